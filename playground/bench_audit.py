"""What the guarantees audit costs with many records retained.

    python -m playground.bench audit [--records N] [--more M] [--json]

Fills a 3-broker cluster (one topic, 6 partitions, RF=3, acks=all, 1,000 keys) with
`records` records in fast-forward, read by one consumer group that commits, then times
`ClusterView.audit()` (`Audit.summary`): the first call, a repeat call with nothing new,
and a call after `more` further records were produced and consumed — what the
guarantees panel pays on each refresh. Each call is timed after a full garbage
collection, so that one the simulation made due does not land in the figure.
"""

from __future__ import annotations

import gc
import importlib
import time

from playground.engine import Cluster

# The view imports it on its first group lookup: an import is not the audit's cost.
importlib.import_module("playground.engine.group_view")

TOPIC = "bench"
PARTITIONS = 6


def _fill(cluster: Cluster, producer, consumer, start: int, n: int, keys: list[bytes]) -> None:
    """Send records start..start+n (2,000 per virtual ms), then run until every one is acked and read."""
    value = b"x" * 100
    sent = start
    end = start + n
    send = producer.send
    while sent < end:
        step = min(2_000, end - sent)
        for i in range(sent, sent + step):
            send(TOPIC, value, key=keys[i % len(keys)])
        sent += step
        cluster.advance(1)
    deadline = cluster.now + 60_000
    while (producer.stats.acked < end or consumer.polled < end) and cluster.now < deadline:
        cluster.advance(5)


def _timed(fn) -> tuple[float, object]:
    # Collect first: a full collection the run's own garbage has made due is not the audit's cost.
    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    return (time.perf_counter() - t0) * 1000, out


def audit_cluster(records: int, seed: int = 0):
    """A cluster holding `records` acked and consumed records, with its producer and consumer."""
    cluster = Cluster(brokers=3, seed=seed)
    cluster.create_topic(TOPIC, PARTITIONS, 3, {"min.insync.replicas": 2}, immediate=True)
    producer = cluster.producer("bench-producer", acks="all", linger_ms=5)
    consumer = cluster.consumer("bench-consumer", group_id="bench-group", topics=[TOPIC],
                                auto_offset_reset="earliest", commit="after_processing")
    keys = [f"user-{i}".encode() for i in range(1000)]
    _fill(cluster, producer, consumer, 0, records, keys)
    return cluster, producer, consumer, keys


def bench_audit(records: int = 15_000, more: int = 2_000, seed: int = 0) -> dict:
    wall0 = time.perf_counter()
    cluster, producer, consumer, keys = audit_cluster(records, seed)
    fill_s = time.perf_counter() - wall0
    view = cluster.view()
    first_ms, first = _timed(view.audit)
    same_ms, _ = _timed(view.audit)
    _fill(cluster, producer, consumer, records, more, keys)
    after_ms, after = _timed(view.audit)
    retained = sum(pv.high_watermark - pv.log_start_offset for pv in view.partitions(TOPIC))
    return {
        "benchmark": "audit",
        "records": records,
        "more": more,
        "retained_records": retained,
        "acked": after.acked,
        "acked_lost": after.acked_lost,
        "first_ms": round(first_ms, 2),
        "repeat_unchanged_ms": round(same_ms, 2),
        "repeat_after_more_ms": round(after_ms, 2),
        "fill_s": round(fill_s, 1),
        "first_acked": first.acked,
    }


def print_audit(r: dict) -> None:
    print(f"audit: {r['first_acked']:,} records retained: first summary {r['first_ms']} ms, repeat with nothing "
          f"new {r['repeat_unchanged_ms']} ms, after {r['more']:,} more records {r['repeat_after_more_ms']} ms "
          f"({r['retained_records']:,} retained, acked {r['acked']:,}, lost {r['acked_lost']}; "
          f"filled in {r['fill_s']} s)")
