"""Same seed, same actions: the same run, event for event."""

import random

import pytest

from playground.engine import Cluster, TopicPartition


def _script(seed, advance_in_steps_of=None):
    c = Cluster(brokers=4, seed=seed)
    pace = random.Random(seed)          # the test's own choices, apart from the engine's
    c.create_topic("orders", 6, 3, {"min.insync.replicas": 2}, immediate=True)
    c.create_topic("audit.log", 2, 2)
    c.advance(50)
    p_all = c.producer("all", acks="all")
    p_one = c.producer("one", acks="1", linger_ms=0, batch_size=200)
    p_rr = c.producer("rr", acks="1", partitioner="round_robin")
    cons = c.consumer("reader", auto_offset_reset="earliest", max_poll_records=7)
    cons.assign([TopicPartition("orders", p) for p in range(6)])
    for i in range(60):
        p_all.send("orders", b"a%d" % i, key=b"customer-%d" % (i % 9))
        p_one.send("orders", b"b%d" % i)
        if i % 3 == 0:
            p_rr.send("audit.log", b"r%d" % i, headers=(("i", b"%d" % i),))
        c.advance(pace.randrange(5))
        if i == 30:
            c.add_partitions("audit.log", 4)
    if advance_in_steps_of:
        for _ in range(2000 // advance_in_steps_of):
            c.advance(advance_in_steps_of)
    else:
        c.advance(2000)
    c.delete_topic("audit.log")
    c.create_topic("audit.log", 3, 3)
    c.advance(200)
    return c


def _history(c):
    return [(e.time, e.kind, e.text) for e in c.events.history]


def _placement(c):
    view = c.view()
    return {t: [(p.partition, p.replicas, p.leader) for p in view.partitions(t)] for t in view.topic_names()}


def _ids(c):
    view = c.view()
    return {t: view.topic_id(t) for t in view.topic_names()}


@pytest.mark.parametrize("seed", [0, 1, 42])
def test_same_seed_same_history_and_topic_ids(seed):
    a, b = _script(seed), _script(seed)
    ha, hb = _history(a), _history(b)
    assert len(ha) > 500, f"seed {seed}: the script did too little ({len(ha)} events)"
    for i, (ea, eb) in enumerate(zip(ha, hb)):
        assert ea == eb, f"seed {seed}: runs diverge at event {i}: {ea} vs {eb}"
    assert len(ha) == len(hb), f"seed {seed}"
    assert [e.data for e in a.events.history] == [e.data for e in b.events.history], f"seed {seed}"
    assert _ids(a) == _ids(b), f"seed {seed}"
    assert _placement(a) == _placement(b), f"seed {seed}"
    assert a.consumers["reader"].polled == b.consumers["reader"].polled, f"seed {seed}"
    assert a.view().audit().as_report() == b.view().audit().as_report(), f"seed {seed}"


def test_advancing_in_small_steps_equals_one_big_advance():
    big, small = _script(7), _script(7, advance_in_steps_of=1)
    assert _history(big) == _history(small)


def test_different_seed_changes_placement_or_topic_ids():
    runs = {seed: _script(seed) for seed in range(4)}
    for s1 in runs:
        for s2 in runs:
            if s1 < s2:
                a, b = runs[s1], runs[s2]
                assert _ids(a) != _ids(b) or _placement(a) != _placement(b), \
                    f"seeds {s1} and {s2} gave the same topic ids and placement"


def test_topic_ids_differ_between_seeds_and_between_topics():
    ids = set()
    for seed in range(10):
        c = Cluster(seed=seed)
        for name in ("a", "b"):
            c.create_topic(name, 1, 1)
            tid = c.view().topic_id(name)
            assert tid not in ids, f"seed {seed}: topic id {tid} repeated"
            ids.add(tid)
    assert len(ids) == 20


def test_the_module_level_random_is_never_used(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("the engine used the module-level random generator")
    for name in ("random", "randrange", "randint", "choice", "shuffle", "getrandbits", "uniform", "sample"):
        monkeypatch.setattr(random, name, forbidden)
    c = _script(3)
    assert c.view().audit().acked > 0
