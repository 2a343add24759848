"""kcat (librdkafka's command-line client) against the served cluster: -L, -P and -C."""

from __future__ import annotations

import re
import subprocess

import pytest

from playground.engine.events import EventKind

from .conftest import require_binary


@pytest.fixture
def kcat():
    return require_binary("kcat", "kcat")


def run(args: list[str], stdin: str | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=timeout)


def test_kcat_lists_every_broker_and_topic(served, kcat):
    served.call(lambda: served.cluster.create_topic("orders", 3, 3))
    served.wait_for(lambda: all("orders" in b.image.topics for b in served.cluster.brokers.values()),
                    what="every broker to learn orders")
    out = run([kcat, "-b", served.bootstrap, "-L"])
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert " 3 brokers:" in text
    for bid in (101, 102, 103):
        assert f"broker {bid} at 127.0.0.1:{served.port_of(bid)}" in text
    assert 'topic "orders" with 3 partitions:' in text
    assert re.search(r"partition 0, leader 10[123], replicas: 10[123],10[123],10[123], isrs:", text)


def test_kcat_produces_and_consumes_keyed_records(served, kcat):
    served.call(lambda: served.cluster.create_topic("orders", 3, 3, {"min.insync.replicas": 2}))
    lines = [f"user-{i % 4}:order {i}" for i in range(12)]
    out = run([kcat, "-b", served.bootstrap, "-P", "-t", "orders", "-K:", "-X", "acks=all"], "\n".join(lines) + "\n")
    assert out.returncode == 0, out.stderr
    out = run([kcat, "-b", served.bootstrap, "-C", "-t", "orders", "-o", "beginning", "-e", "-f", "%p %o %k %s\n"])
    assert out.returncode == 0, out.stderr
    got = [line.split(" ", 3) for line in out.stdout.strip().splitlines()]
    assert sorted(f"{k}:{v}" for _, _, k, v in got) == sorted(lines)
    # murmur2 places a key on one partition, and a partition keeps the order it was written in.
    by_key: dict[str, set[str]] = {}
    for part, _, key, _ in got:
        by_key.setdefault(key, set()).add(part)
    assert all(len(parts) == 1 for parts in by_key.values())
    for part in {p for p, _, _, _ in got}:
        offsets = [int(o) for p, o, _, _ in got if p == part]
        assert offsets == sorted(offsets) and offsets[0] == 0
    produced = served.events(EventKind.CLIENT_PRODUCED)
    assert sum(e.data["records"] for e in produced) == 12
    assert re.match(r"rdkafka \(127\.0\.0\.1:\d+\) produced \d+ records? to orders/\d", produced[0].text)
    assert served.events(EventKind.CLIENT_FETCHED)


def test_kcat_compressed_batches(served, kcat):
    for codec in ("gzip", "snappy", "lz4", "zstd"):
        out = run([kcat, "-b", served.bootstrap, "-P", "-t", f"c-{codec}", "-z", codec],
                  "".join(f"{codec} record {i}\n" for i in range(50)))
        assert out.returncode == 0, out.stderr
        out = run([kcat, "-b", served.bootstrap, "-C", "-t", f"c-{codec}", "-o", "beginning", "-e", "-f", "%s\n"])
        assert out.stdout.splitlines() == [f"{codec} record {i}" for i in range(50)], (codec, out.stdout, out.stderr)
    stored = served.call(lambda: {b.compression for tp, log in served.cluster.brokers[
        served.cluster.leader_of("c-zstd", 0)].disk.items() if tp.topic == "c-zstd" for b in log.batches})
    # librdkafka sends a batch uncompressed when compressing would not make it smaller.
    assert "zstd" in stored and stored <= {"zstd", "none"}
