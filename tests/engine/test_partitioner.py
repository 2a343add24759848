"""Partition choice as Kafka's producer makes it: murmur2 for keys, sticky or round robin for null keys."""

import random

import pytest

from playground.engine import Cluster
from playground.engine.partitioner import (StickyPartitioner, murmur2, partition_for_key,
                                           to_positive)

# Kafka's UtilsTest.testMurmur2 (signed 32-bit results).
MURMUR2_VECTORS = [
    ("21", -973932308),
    ("foobar", -790332482),
    ("a-little-bit-long-string", -985981536),
    ("a-little-bit-longer-string", -1486304829),
    ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
    ("abc", 479470107),
]


@pytest.mark.parametrize("text,expected", MURMUR2_VECTORS)
def test_murmur2_matches_kafka(text, expected):
    assert murmur2(text.encode("utf-8")) == expected


def test_murmur2_returns_java_int_range():
    for n in range(64):
        h = murmur2(bytes(range(n)))
        assert -(1 << 31) <= h < (1 << 31), f"length {n}: {h} is not a signed 32-bit int"


def test_foobar_partitions():
    assert partition_for_key(b"foobar", 10) == 6
    assert partition_for_key(b"foobar", 50) == 16


def test_to_positive_clears_the_sign_bit_instead_of_abs():
    h = murmur2(b"foobar")
    assert h < 0
    assert to_positive(h) == h & 0x7FFFFFFF == 1357151166
    assert to_positive(h) != abs(h)
    # abs() would send "foobar" elsewhere: the reason Kafka uses toPositive.
    assert abs(h) % 10 == 2 and to_positive(h) % 10 == 6
    assert to_positive(-1) == 0x7FFFFFFF
    assert to_positive(-(1 << 31)) == 0            # abs() would overflow in Java
    assert to_positive(0) == 0
    assert to_positive(12345) == 12345


# -- through a producer -------------------------------------------------------------
def _cluster(partitions, seed=0):
    c = Cluster(brokers=3, seed=seed)
    c.create_topic("t", partitions, 1, immediate=True)
    return c


def _partition_of_values(cluster, topic):
    """value -> partition, read from the leaders' logs."""
    view = cluster.view()
    out = {}
    for p in view.partitions(topic):
        for _, rec, _ in view.authoritative_log(topic, p.partition).records():
            assert rec.value not in out, f"value {rec.value!r} is in the log twice"
            out[rec.value] = p.partition
    return out


def test_same_key_always_goes_to_one_partition():
    c = _cluster(6)
    p = c.producer("p", acks="1")
    keys = [f"user-{i}".encode() for i in range(20)]
    for rnd in range(3):
        for k in keys:
            p.send("t", k + b"#" + str(rnd).encode(), key=k)
    c.advance(200)
    where = _partition_of_values(c, "t")
    assert len(where) == 60
    for k in keys:
        parts = {where[k + b"#" + str(rnd).encode()] for rnd in range(3)}
        assert parts == {partition_for_key(k, 6)}, f"key {k!r} went to {parts}"
    assert len(set(where.values())) > 1


def test_keyed_record_ignores_partition_availability_and_uses_all_partitions():
    c = _cluster(10)
    p = c.producer("p", acks="1")
    p.send("t", b"x", key=b"foobar")
    c.advance(100)
    assert _partition_of_values(c, "t") == {b"x": 6}


def _stints(sizes, batch_size):
    """Group record indices the way the uniform sticky partitioner switches: after >= batch_size bytes."""
    groups, current, produced = [], [], 0
    for i, size in enumerate(sizes):
        if current and produced >= batch_size:
            groups.append(current)
            current, produced = [], 0
        current.append(i)
        produced += size
    groups.append(current)
    return groups


def _sticky_choices(sp: StickyPartitioner, sizes: list[int], batch_limit: int | None) -> list[int]:
    """Partitions chosen for records of `sizes`, with the accumulator's batches filling to
    `batch_limit` bytes (None: no batch ever fills, as when linger.ms sends them half full)."""
    chosen, batch = [], 0
    for size in sizes:
        chosen.append(sp.partition("t", [0, 1, 2], 3, size))
        batch += size
        full = batch_limit is not None and batch >= batch_limit
        sp.appended("t", size, full)
        if full:
            batch = 0
    return chosen


@pytest.mark.parametrize("seed", range(8))
def test_sticky_partitioner_unit_stays_for_batch_size_bytes_then_moves(seed):
    sp = StickyPartitioner(random.Random(seed), batch_size=100)
    sizes = [30] * 40
    chosen = _sticky_choices(sp, sizes, 100)
    stints = _stints(sizes, 100)
    assert [len(g) for g in stints] == [4] * 10
    for g in stints:
        assert len({chosen[i] for i in g}) == 1, f"seed {seed}: partition changed inside a stint {g}: {chosen}"
    firsts = [chosen[g[0]] for g in stints]
    assert len(set(firsts)) > 1, f"seed {seed}: never moved off partition {firsts[0]}"


@pytest.mark.parametrize("seed", range(4))
def test_sticky_partitioner_waits_for_a_batch_boundary_up_to_twice_batch_size(seed):
    # KIP-794 (BuiltInPartitioner.updatePartitionInfo): past batch.size bytes it switches only once
    # the partition's batch is full, and at 2 x batch.size whatever the batches look like.
    sp = StickyPartitioner(random.Random(seed), batch_size=100)
    chosen = _sticky_choices(sp, [30] * 21, None)
    stints = [chosen[i:i + 7] for i in range(0, 21, 7)]
    for g in stints:
        assert len(set(g)) == 1, f"seed {seed}: switched inside {g}: {chosen}"


def test_sticky_partitioner_only_picks_available_partitions():
    sp = StickyPartitioner(random.Random(1), batch_size=10)
    chosen = set()
    for _ in range(50):
        chosen.add(sp.partition("t", [1, 4], 6, 10))
        sp.appended("t", 10, True)
    assert chosen == {1, 4}


@pytest.mark.parametrize("seed", range(5))
def test_sticky_producer_fills_one_partition_per_batch(seed):
    c = _cluster(3, seed)
    p = c.producer("p", acks="1", batch_size=100, linger_ms=1000)
    values = [b"v%020d" % i for i in range(40)]          # 22 bytes + 8 overhead = 30 bytes a record
    for v in values:
        p.send("t", v)
    c.advance(3000)
    where = _partition_of_values(c, "t")
    assert len(where) == 40, f"seed {seed}: {len(where)} records landed"
    # With the 61-byte batch header a 100-byte batch holds one record, and each record that does
    # not fit opens a batch that is not full yet, so the switch comes at 2 x batch.size.
    stints = _stints([30] * 40, 200)
    for g in stints:
        parts = {where[values[i]] for i in g}
        assert len(parts) == 1, f"seed {seed}: one stint went to partitions {parts}"
    firsts = [where[values[g[0]]] for g in stints]
    assert len(set(firsts)) > 1, f"seed {seed}: the sticky partitioner never moved ({firsts})"


def test_round_robin_cycles_partitions():
    c = _cluster(3)
    p = c.producer("p", acks="1", partitioner="round_robin")
    values = [b"r%d" % i for i in range(9)]
    for v in values:
        p.send("t", v)
    c.advance(200)
    where = _partition_of_values(c, "t")
    assert [where[v] for v in values] == [0, 1, 2, 0, 1, 2, 0, 1, 2]
    view = c.view()
    for part in range(3):
        got = [rec.value for _, rec, _ in view.authoritative_log("t", part).records()]
        assert got == [values[i] for i in range(part, 9, 3)]
