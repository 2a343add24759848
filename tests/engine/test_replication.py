"""Replication, acks and the high watermark; what consumers may read.

Invariants are checked after every event (and after every scheduler step),
the way Kafka's RaftEventSimulationTest checks its invariants.
"""

import pytest

from playground.engine import Cluster, Errors, EventKind, TopicPartition
from playground.engine.protocol import EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, FetchResponse

TP0 = TopicPartition("t", 0)


class Invariants:
    """Subscribes to a cluster's events and checks replication invariants after each one."""

    def __init__(self, cluster, topics, seed=None):
        self.c = cluster
        self.topics = topics
        self.seed = seed
        self.last_hw = {}
        self.checked = 0
        cluster.events.subscribe(self.check)

    def check(self, event=None):
        view = self.c.view()
        where = f"seed {self.seed}, t={view.now}ms, after {event!r}"
        for topic in self.topics:
            for pv in view.partitions(topic):
                if pv.leader < 0:
                    continue
                leader_log = view.replica_log(pv.leader, topic, pv.partition)
                if leader_log is None:
                    continue                   # the leader has not learned the topic yet
                hw = leader_log.high_watermark
                isr_leos = {}
                for r in pv.isr:
                    log = view.replica_log(r, topic, pv.partition)
                    isr_leos[r] = log.log_end_offset if log is not None else 0
                assert hw <= min(isr_leos.values()), \
                    f"{where}: {pv.tp} high watermark {hw} passes an ISR member's log end {isr_leos}"
                key = (topic, pv.partition)
                assert hw >= self.last_hw.get(key, 0), \
                    f"{where}: {pv.tp} high watermark went back {self.last_hw[key]} -> {hw}"
                self.last_hw[key] = hw
                leader_batches = leader_log.batches
                for r in pv.replicas:
                    log = view.replica_log(r, topic, pv.partition)
                    if log is None:
                        continue
                    assert log.high_watermark <= log.log_end_offset, \
                        f"{where}: broker {r} {pv.tp} HW {log.high_watermark} > LEO {log.log_end_offset}"
                    assert log.high_watermark <= hw, \
                        f"{where}: follower {r} {pv.tp} HW {log.high_watermark} ahead of leader's {hw}"
                    n = len(log.batches)
                    assert [_batch_key(b) for b in log.batches] == [_batch_key(b) for b in leader_batches[:n]], \
                        f"{where}: broker {r}'s {pv.tp} is not a prefix of the leader's log"
        self.checked += 1


def _batch_key(b):
    return b.base_offset, b.leader_epoch, tuple((r.key, r.value, r.timestamp, r.headers) for r in b.records)


def _records(log):
    return [(off, rec.key, rec.value, rec.timestamp, rec.headers) for off, rec, _ in log.records()]


def _cluster(partitions=1, rf=3, config=None, seed=0, **kw):
    c = Cluster(brokers=3, seed=seed, **kw)
    c.create_topic("t", partitions, rf, config, immediate=True)
    return c


def _run_checked(cluster, inv, until):
    """Step the scheduler to `until`, checking invariants after every callback."""
    while True:
        t = cluster.clock.next_time()
        if t is None or t > until:
            break
        cluster.clock.step()
        inv.check()
    cluster.run_until(until)


# -- the high watermark --------------------------------------------------------------------
def test_acks_all_hw_moves_only_after_every_isr_member_fetched():
    c = _cluster()
    inv = Invariants(c, ["t"])
    pv = c.view().partitions("t")[0]
    followers = [r for r in pv.isr if r != pv.leader]
    done = []
    p = c.producer("p", acks="all")
    p.send("t", b"v", callback=lambda err, off: done.append((c.now, err, off)))
    _run_checked(c, inv, 200)
    h = c.events.history
    hw_events = [e for e in h if e.kind is EventKind.HIGH_WATERMARK_ADVANCED]
    assert [(e.data["old"], e.data["high_watermark"]) for e in hw_events] == [(0, 1)]
    hw_at = hw_events[0].seq
    for f in followers:
        fetched = [e for e in h[:hw_at] if e.kind is EventKind.REPLICA_FETCHED and e.data["broker"] == f
                   and e.data["log_end_offset"] >= 1]
        assert fetched, f"HW advanced before follower {f} had the record"
    acked = [e for e in h if e.kind is EventKind.PRODUCE_ACKED]
    assert len(acked) == 1 and acked[0].seq > hw_at, "acks=all was acknowledged before the HW covered it"
    assert done == [(acked[0].time, Errors.NONE, 0)]
    assert inv.checked > 10


def test_followers_logs_equal_the_leaders():
    c = _cluster(partitions=3)
    inv = Invariants(c, ["t"])
    p1 = c.producer("p1", acks="all")
    p2 = c.producer("p2", acks="1", linger_ms=0)
    for i in range(60):
        p1.send("t", b"a%d" % i, key=b"k%d" % (i % 7))
        p2.send("t", b"b%d" % i)
        c.advance(3)
    c.advance(2000)
    view = c.view()
    total = 0
    for pv in view.partitions("t"):
        leader = _records(view.replica_log(pv.leader, "t", pv.partition))
        total += len(leader)
        assert pv.high_watermark == len(leader)
        for r in pv.replicas:
            assert _records(view.replica_log(r, "t", pv.partition)) == leader, f"broker {r} differs on {pv.tp}"
            assert pv.log_end_offsets[r] == len(leader)
    assert total == 120
    assert p1.stats.acked == 60 and p2.stats.acked == 60
    assert view.audit().acked_lost == 0
    assert inv.checked > 0


@pytest.mark.parametrize("seed", range(8))
def test_hw_invariants_hold_under_mixed_load(seed):
    c = _cluster(partitions=3, seed=seed)
    inv = Invariants(c, ["t"], seed=seed)
    producers = [c.producer("all", acks="all"), c.producer("one", acks="1", linger_ms=0),
                 c.producer("zero", acks="0", linger_ms=2)]
    rng = c.rng
    for i in range(80):
        prod = producers[rng.randrange(3)]
        prod.send("t", b"%d" % i, key=None if rng.random() < 0.5 else b"k%d" % rng.randrange(5))
        c.advance(rng.randrange(4))
    _run_checked(c, inv, c.now + 1500)
    view = c.view()
    assert sum(pv.high_watermark for pv in view.partitions("t")) == 80, f"seed {seed}: records missing"
    assert view.audit().acked_lost == 0, f"seed {seed}"


# -- acks ----------------------------------------------------------------------------------
def test_acks_1_is_acknowledged_before_the_record_is_committed():
    c = _cluster()
    p = c.producer("p", acks="1")
    p.send("t", b"v")
    c.advance(200)
    h = c.events.history
    acked = [e for e in h if e.kind is EventKind.PRODUCE_ACKED]
    fetched = [e for e in h if e.kind is EventKind.REPLICA_FETCHED]
    hw = [e for e in h if e.kind is EventKind.HIGH_WATERMARK_ADVANCED]
    assert len(acked) == 1 and len(fetched) == 2 and len(hw) == 1
    assert acked[0].time <= min(e.time for e in fetched), "acks=1 waited for a follower's fetch"
    assert acked[0].time < hw[0].time, "acks=1 waited for the high watermark"


def test_acks_1_does_not_wait_for_followers_at_all():
    c = _cluster()
    pv = c.view().partitions("t")[0]
    for f in pv.replicas:
        if f != pv.leader:
            c.network.cut(pv.leader, f)
    done = []
    p1 = c.producer("one", acks="1")
    p1.send("t", b"fast", callback=lambda err, off: done.append((err, off)))
    pall = c.producer("all", acks="all")
    pall.send("t", b"slow", callback=lambda err, off: done.append((err, off)))
    c.advance(1000)
    assert done == [(Errors.NONE, 0)], "acks=1 must be acked without followers; acks=all must not"
    view = c.view()
    assert view.replica_log(pv.leader, "t", 0).log_end_offset == 2
    assert view.partitions("t")[0].high_watermark == 0
    for f in pv.replicas:
        if f != pv.leader:
            assert view.replica_log(f, "t", 0).log_end_offset == 0


def test_acks_0_gets_no_response_but_the_record_lands():
    c = _cluster()
    responses = []
    c.network.subscribe(lambda m: responses.append(m) if m.api == "produce" and m.direction == "response" else None)
    done = []
    p = c.producer("p", acks="0")
    p.send("t", b"fire-and-forget", callback=lambda err, off: done.append((err, off)))
    c.advance(500)
    assert responses == []
    assert done == [(Errors.NONE, -1)], "acks=0 callbacks get offset -1, as in Kafka"
    # The producer learns no offset: whatever it reports carries none.
    assert all(e.data["base_offset"] == -1 for e in c.events.of_kind(EventKind.PRODUCE_ACKED))
    pv = c.view().partitions("t")[0]
    assert pv.high_watermark == 1 and set(pv.log_end_offsets.values()) == {1}
    assert _records(c.view().authoritative_log("t", 0))[0][2] == b"fire-and-forget"


def test_acks_all_with_min_insync_2_on_rf_3_succeeds():
    c = _cluster(config={"min.insync.replicas": 2})
    done = []
    p = c.producer("p", acks="all")
    for i in range(5):
        p.send("t", b"%d" % i, callback=lambda err, off: done.append((err, off)))
    c.advance(500)
    assert done == [(Errors.NONE, i) for i in range(5)]
    assert (p.stats.acked, p.stats.failed, p.stats.errors) == (5, 0, {})


def test_min_insync_above_isr_size_is_not_enough_replicas_and_nothing_is_written():
    c = _cluster(config={"min.insync.replicas": 4})
    done = []
    p = c.producer("p", acks="all", delivery_timeout_ms=2000)
    p.send("t", b"never", callback=lambda err, off: done.append((err, off)))
    c.advance(500)
    assert p.stats.errors.get("NOT_ENOUGH_REPLICAS", 0) >= 1, p.stats.errors
    assert set(p.stats.errors) == {"NOT_ENOUGH_REPLICAS"}
    assert done == [] and p.stats.failed == 0, "a retriable error is retried until delivery.timeout.ms"
    c.advance(3000)
    # Kafka fails the batch with the last error, or with a TimeoutException when the
    # accumulator expires it between retries.
    assert len(done) == 1 and done[0][0] in (Errors.NOT_ENOUGH_REPLICAS, Errors.REQUEST_TIMED_OUT), done
    assert done[0][1] == -1
    assert (p.stats.sent, p.stats.acked, p.stats.failed) == (1, 0, 1)
    assert p.stats.errors["NOT_ENOUGH_REPLICAS"] >= 5, "retried every retry.backoff.ms"
    pv = c.view().partitions("t")[0]
    assert set(pv.log_end_offsets.values()) == {0}, pv.log_end_offsets
    assert pv.high_watermark == 0
    assert c.events.of_kind(EventKind.RECORDS_APPENDED) == []
    assert len(c.events.of_kind(EventKind.PRODUCE_FAILED)) == 1


def test_min_insync_does_not_apply_to_acks_1():
    c = _cluster(config={"min.insync.replicas": 4})
    done = []
    c.producer("p", acks="1").send("t", b"ok", callback=lambda err, off: done.append((err, off)))
    c.advance(500)
    assert done == [(Errors.NONE, 0)]


# -- timestamps ------------------------------------------------------------------------------
def test_log_append_time_stamps_the_brokers_time():
    c = _cluster(config={"message.timestamp.type": "LogAppendTime"})
    c.advance(1000)
    p = c.producer("p", acks="all")
    p.send("t", b"v", timestamp=5)
    c.advance(500)
    appended = c.events.of_kind(EventKind.RECORDS_APPENDED)
    assert len(appended) == 1
    view = c.view()
    for r in view.partitions("t")[0].replicas:
        log = view.replica_log(r, "t", 0)
        ((_, rec, batch),) = list(log.records())
        assert rec.timestamp == appended[0].time != 5, f"broker {r}: {rec.timestamp}"
        assert batch.timestamp_type == "LogAppendTime"


def test_log_append_time_set_by_alter_config_applies_once_brokers_learn_it():
    c = _cluster()
    c.alter_config("topic", "t", {"message.timestamp.type": "LogAppendTime"})
    assert c.view().topic_configs("t") == {"message.timestamp.type": "LogAppendTime"}
    c.advance(100)
    c.producer("p").send("t", b"v", timestamp=7)
    c.advance(500)
    ((_, rec, _),) = list(c.view().authoritative_log("t", 0).records())
    assert rec.timestamp == c.events.of_kind(EventKind.RECORDS_APPENDED)[0].time


def test_create_time_keeps_the_producers_timestamp():
    c = _cluster()
    c.advance(1000)
    p = c.producer("p", acks="all")
    p.send("t", b"explicit", timestamp=12345)
    p.send("t", b"implicit")                      # stamped with the producer's clock at send()
    c.advance(500)
    view = c.view()
    for r in view.partitions("t")[0].replicas:
        recs = list(view.replica_log(r, "t", 0).records())
        assert [rec.timestamp for _, rec, _ in recs] == [12345, 1000], f"broker {r}"
        assert all(b.timestamp_type == "CreateTime" for _, _, b in recs)


def test_headers_and_null_values_survive_replication_and_consumption():
    c = _cluster()
    headers = (("trace-id", b"abc"), ("empty", None), ("trace-id", b"dup-keys-allowed"))
    p = c.producer("p", acks="all")
    p.send("t", None, key=b"tombstone", headers=headers)
    p.send("t", b"", key=None)
    c.advance(500)
    view = c.view()
    for r in view.partitions("t")[0].replicas:
        got = [(rec.key, rec.value, rec.headers) for _, rec, _ in view.replica_log(r, "t", 0).records()]
        assert got == [(b"tombstone", None, headers), (None, b"", ())], f"broker {r}: {got}"
    seen = []
    cons = c.consumer("c", auto_offset_reset="earliest")
    cons.on_records = lambda recs: seen.extend((r.record.key, r.record.value, r.record.headers) for r in recs)
    cons.assign([TP0])
    c.advance(500)
    assert seen == [(b"tombstone", None, headers), (None, b"", ())]


# -- consumers ----------------------------------------------------------------------------------
def _collect(cluster, consumer):
    calls = []

    def on_records(recs):
        hw = cluster.view().partitions("t")[recs[0].partition].high_watermark
        for r in recs:
            assert r.offset < hw, f"consumer got offset {r.offset} at or above the high watermark {hw}"
        calls.append([(r.offset, r.record.value) for r in recs])
    consumer.on_records = on_records
    return calls


def test_earliest_reads_everything_in_order_and_never_beyond_hw():
    c = _cluster()
    fetches = []

    def on_message(m):
        if m.api == "fetch" and m.direction == "response" and m.dst == "c" and isinstance(m.body, FetchResponse):
            fetches.append(m.body)
    c.network.subscribe(on_message)
    cons = c.consumer("c", auto_offset_reset="earliest")
    calls = _collect(c, cons)
    cons.assign([TP0])
    c.advance(20)
    p = c.producer("p", acks="1", linger_ms=0)
    for i in range(30):
        p.send("t", b"%d" % i)
        c.advance(2)
    c.advance(2000)
    got = [x for call in calls for x in call]
    assert got == [(i, b"%d" % i) for i in range(30)]
    assert cons.position(TP0) == 30 and cons.polled == 30
    assert fetches, "the consumer never fetched"
    for resp in fetches:
        for data in resp.partitions.values():
            for b in data.batches:
                assert b.next_offset <= data.high_watermark, \
                    f"a fetch handed the consumer offsets up to {b.last_offset} above HW {data.high_watermark}"


def test_latest_starts_at_the_end():
    c = _cluster()
    p = c.producer("p", acks="all")
    for i in range(5):
        p.send("t", b"before-%d" % i)
    c.advance(500)
    cons = c.consumer("c")                      # auto.offset.reset=latest is Kafka's default
    calls = _collect(c, cons)
    cons.assign([TP0])
    c.advance(100)
    assert cons.position(TP0) == 5
    for i in range(3):
        p.send("t", b"after-%d" % i)
    c.advance(1000)
    assert [x for call in calls for x in call] == [(5, b"after-0"), (6, b"after-1"), (7, b"after-2")]


def _timestamped(c, n=10):
    p = c.producer("p", acks="all")
    for i in range(n):
        p.send("t", b"%d" % i, timestamp=1000 * (i + 1))
    c.advance(500)


@pytest.mark.parametrize("target,expected", [(4500, 4), (4000, 3), (1, 0), (10000, 9),
                                             (EARLIEST_TIMESTAMP, 0), (LATEST_TIMESTAMP, 10), (99999, 10)])
def test_seek_to_timestamp(target, expected):
    c = _cluster()
    _timestamped(c)
    cons = c.consumer("c", auto_offset_reset="earliest")
    calls = _collect(c, cons)
    cons.assign([TP0])
    c.advance(500)
    assert cons.position(TP0) == 10
    calls.clear()
    cons.seek_to(TP0, target)
    c.advance(500)
    got = [off for call in calls for off, _ in call]
    assert got == list(range(expected, 10)), f"seek_to({target}) read {got}"
    assert cons.position(TP0) == 10
    seeks = [e for e in c.events.of_kind(EventKind.CONSUMER_SEEK) if e.data["consumer"] == "c"]
    assert seeks[-1].data["offset"] == expected


def test_seek_moves_the_position():
    c = _cluster()
    _timestamped(c)
    cons = c.consumer("c", auto_offset_reset="earliest")
    calls = _collect(c, cons)
    cons.assign([TP0])
    c.advance(500)
    calls.clear()
    cons.seek(TP0, 7)
    assert cons.position(TP0) == 7
    c.advance(500)
    assert [off for call in calls for off, _ in call] == [7, 8, 9]


def test_max_poll_records_is_respected():
    c = _cluster()
    p = c.producer("p", acks="all", linger_ms=50)
    for i in range(25):
        p.send("t", b"%d" % i)
    c.advance(500)
    assert c.view().partitions("t")[0].high_watermark == 25
    cons = c.consumer("c", auto_offset_reset="earliest", max_poll_records=10)
    calls = _collect(c, cons)
    cons.assign([TP0])
    c.advance(500)
    assert [len(call) for call in calls] == [10, 10, 5]
    assert [off for call in calls for off, _ in call] == list(range(25))


def test_consumer_keeps_fetching_after_splitting_a_fetch_across_polls():
    c = _cluster()
    p = c.producer("p", acks="all", linger_ms=50)
    for i in range(25):
        p.send("t", b"%d" % i)
    c.advance(500)
    cons = c.consumer("c", auto_offset_reset="earliest", max_poll_records=10)
    calls = _collect(c, cons)
    cons.assign([TP0])
    c.advance(500)
    for i in range(25, 30):
        p.send("t", b"%d" % i)
    c.advance(2000)
    assert [off for call in calls for off, _ in call] == list(range(30))


def test_producing_to_an_unknown_topic_auto_creates_it_with_broker_defaults():
    # auto.create.topics.enable=true (Kafka's default): the broker asks the controller
    # to create it with num.partitions and default.replication.factor.
    c = Cluster(seed=3, config={"num.partitions": 2, "default.replication.factor": 3})
    p = c.producer()
    p.send("fresh", b"hello")
    c.advance(2000)
    parts = c.view().partitions("fresh")
    assert [len(pv.replicas) for pv in parts] == [3, 3]
    assert p.stats.acked == 1 and p.stats.failed == 0
    created = [e for e in c.events.history if e.kind.value == "topic_created"]
    assert "auto.create.topics.enable" in created[0].text


def test_without_auto_creation_send_gives_up_after_max_block_ms():
    c = Cluster(seed=3, config={"auto.create.topics.enable": False})
    p = c.producer()
    failures = []
    p.send("missing", b"x", callback=lambda err, off: failures.append((c.now, err.name)))
    c.advance(59_000)
    assert failures == []
    c.advance(2_000)
    assert len(failures) == 1 and failures[0][1] == "REQUEST_TIMED_OUT"
    assert 60_000 <= failures[0][0] <= 60_200
    assert "missing" not in c.view().topic_names()


def test_illegal_topic_name_in_send_fails_at_once():
    c = Cluster(seed=3)
    p = c.producer()
    p.send("bad name", b"x")
    c.advance(500)
    assert p.stats.failed == 1 and p.stats.errors == {"INVALID_TOPIC_EXCEPTION": 1}
    assert c.view().topic_names() == []
