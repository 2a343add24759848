"""Storage: segments rolled by segment.bytes / segment.ms, retention on the broker's schedule,
followers following the leader's log start offset, consumers below the log start."""

from __future__ import annotations

import pytest

from playground.engine import Cluster, EventKind, TopicPartition
from playground.engine.invariants import InvariantChecker
from playground.engine.log import PartitionLog
from playground.engine.log_retention import delete_old_segments, plan_retention_ms
from playground.engine.records import Record, RecordBatch

TP = TopicPartition("t", 0)


def _batch(base: int, n: int, ts: int = 0, size: int = 100) -> RecordBatch:
    recs = [Record(b"k%d" % (base + i), b"v", (), ts) for i in range(n)]
    return RecordBatch(recs, base_offset=base, leader_epoch=0, size_bytes=size)


def _segmented_log(batches: int, per_segment: int, ts_step: int = 1000) -> PartitionLog:
    """A log of 1-record, 100-byte batches, rolled every `per_segment` batches, timestamps i*ts_step."""
    log = PartitionLog("t", 0)
    for i in range(batches):
        if i and i % per_segment == 0:
            log.roll(i * ts_step)
        log.append(_batch(i, 1, ts=i * ts_step), i * ts_step)
    log.high_watermark = log.log_end_offset
    return log


def _kinds(c: Cluster, kind: EventKind, **match):
    return [e for e in c.events.history if e.kind == kind and all(e.data.get(k) == v for k, v in match.items())]


def _cluster(topic_config: dict, seed: int = 3, **broker_config) -> Cluster:
    c = Cluster(seed=seed, config=broker_config or None)
    c.create_topic("t", 1, 3, {"min.insync.replicas": 2, **topic_config}, immediate=True)
    return c


def _produce(c: Cluster, n: int, every_ms: int = 100, value: bytes = b"x" * 50, key_prefix: str = "k") -> None:
    p = c.producer(linger_ms=0)
    for i in range(n):
        p.send("t", value, key=f"{key_prefix}{i}".encode())
        c.advance(every_ms)


# -- rolling -------------------------------------------------------------------------------------
def test_a_segment_rolls_when_the_next_batch_would_pass_segment_bytes():
    log = PartitionLog("t", 0)
    log.append(_batch(0, 1, size=400), 0)
    log.append(_batch(1, 1, size=400), 0)
    assert log.should_roll(_batch(2, 1, size=200), 0, 1000, 10**9) is None, "800 + 200 is not past 1000"
    assert log.should_roll(_batch(2, 1, size=201), 0, 1000, 10**9) == "segment.bytes"
    empty = PartitionLog("t", 0)
    assert empty.should_roll(_batch(0, 1, size=5000), 0, 1000, 10**9) is None, \
        "an empty active segment takes a batch larger than segment.bytes rather than rolling"


def test_segment_ms_counts_from_the_first_batch_timestamp_and_else_from_creation():
    log = PartitionLog("t", 0, created_ms=0)
    log.append(_batch(0, 1, ts=10_000), 500)
    assert log.should_roll(_batch(1, 1, ts=70_000), 999_999, 10**9, 60_000) is None, \
        "60 s after the first record is not more than segment.ms=60000"
    assert log.should_roll(_batch(1, 1, ts=70_001), 0, 10**9, 60_000) == "segment.ms", \
        "record timestamps decide, not the clock"
    untimed = PartitionLog("t", 0, created_ms=1000)
    untimed.append(_batch(0, 1, ts=-1), 1000)
    assert untimed.should_roll(_batch(1, 1, ts=-1), 61_000, 10**9, 60_000) is None
    assert untimed.should_roll(_batch(1, 1, ts=-1), 61_001, 10**9, 60_000) == "segment.ms"


def test_the_leader_and_each_follower_roll_their_own_segments_and_say_which_setting_did_it():
    c = _cluster({"segment.bytes": 1000})
    _produce(c, 30)
    rolls = _kinds(c, EventKind.SEGMENT_ROLLED)
    assert {e.data["broker"] for e in rolls} == {101, 102, 103}
    assert all(e.data["setting"] == "segment.bytes" and "segment.bytes=1000" in e.text for e in rolls)
    v = c.view()
    for b in (101, 102, 103):
        segs = v.segments("t", 0, b)
        assert len(segs) >= 3 and [s.active for s in segs] == [False] * (len(segs) - 1) + [True]
        assert all(s.size_bytes <= 1000 for s in segs)
        assert [s.next_offset for s in segs[:-1]] == [s.base_offset for s in segs[1:]], "segments tile the log"
        assert sum(s.record_count for s in segs) == 30


def test_segment_ms_rolls_by_time_in_a_running_cluster():
    c = _cluster({"segment.ms": 5000})
    _produce(c, 12, every_ms=1000)
    rolls = _kinds(c, EventKind.SEGMENT_ROLLED, broker=101)
    assert rolls and all(e.data["setting"] == "segment.ms" and "segment.ms=5000" in e.text for e in rolls)
    assert [s.base_offset for s in c.view().segments("t", 0, 101)] == [0, 6]


def test_truncation_across_segments_keeps_the_segments_below_and_an_empty_active_one_at_the_cut():
    log = _segmented_log(9, 3)                       # [0-2] [3-5] [6-8]
    assert [s.base_offset for s in log.segments] == [0, 3, 6]
    assert log.truncate_to(4) == 5
    assert [(s.base_offset, s.next_offset) for s in log.segments] == [(0, 3), (3, 4)]
    assert log.log_end_offset == 4 and log.active_segment.record_count == 1
    assert log.truncate_to(3) == 1
    assert [(s.base_offset, s.next_offset, s.size_bytes) for s in log.segments] == [(0, 3, 300), (3, 3, 0)], \
        "cut at a segment's base: that segment stays, empty and active"
    log.append(_batch(3, 1), 0)
    assert log.read(0, 4)[-1].base_offset == 3 and log.size_bytes == 400


# -- retention, decided on a log --------------------------------------------------------------------
def test_retention_never_deletes_past_the_high_watermark():
    log = _segmented_log(9, 3)
    log.high_watermark = 5                           # offsets 5.. are not committed
    deletions = plan_retention_ms(log, now=10**9, retention_ms=1)
    assert [(d.base_offset, d.next_offset) for d in deletions] == [(0, 3)], \
        "segment 3-5 reaches past the high watermark, so it and everything after it stay"


def test_when_every_segment_is_past_retention_the_log_rolls_an_empty_active_segment_first():
    log = _segmented_log(9, 3)
    result = delete_old_segments(log, 10**9, delete_policy=True, retention_ms=1000, retention_bytes=-1)
    assert [d.base_offset for d in result.deleted] == [0, 3, 6] and result.rolled_at == 9
    assert [(s.base_offset, s.size_bytes) for s in log.segments] == [(9, 0)]
    assert (log.log_start_offset, log.log_end_offset, list(log.records())) == (9, 9, [])
    again = delete_old_segments(log, 10**9, delete_policy=True, retention_ms=1000, retention_bytes=-1)
    assert again.deleted == [] and len(log.segments) == 1, "an empty active segment is never deleted"


def test_retention_bytes_deletes_oldest_segments_while_the_rest_still_holds_the_limit():
    log = _segmented_log(9, 3)                       # three segments of 300 bytes
    result = delete_old_segments(log, 0, delete_policy=True, retention_ms=-1, retention_bytes=350)
    assert [d.base_offset for d in result.deleted] == [0], "without segment 3-5 the log would hold 300 < 350"
    assert "retention.bytes=350" in result.deleted[0].reason and log.size_bytes == 600
    assert delete_old_segments(log, 0, delete_policy=True, retention_ms=-1, retention_bytes=350).deleted == []
    log = _segmented_log(9, 3)
    result = delete_old_segments(log, 0, delete_policy=True, retention_ms=-1, retention_bytes=300)
    assert [d.base_offset for d in result.deleted] == [0, 3] and log.log_start_offset == 6


# -- retention in a cluster ---------------------------------------------------------------------
RETENTION = {"segment.bytes": 1000, "retention.ms": 20_000}


def test_retention_ms_deletes_on_the_check_interval_and_not_before():
    c = _cluster(RETENTION, **{"log.initial.task.delay.ms": 40_000, "log.retention.check.interval.ms": 30_000})
    checker = InvariantChecker(c)
    _produce(c, 30)                                   # 3 s of records, segments of ~8 records
    c.run_until(39_999)
    assert not _kinds(c, EventKind.SEGMENT_DELETED), "breached long ago, but no retention check has run"
    assert c.view().partitions("t")[0].log_start_offset == 0
    c.run_until(40_000)
    deleted = _kinds(c, EventKind.SEGMENT_DELETED, broker=101)
    assert deleted and all(e.data["setting"] == "retention.ms" for e in deleted)
    assert "retention.ms=20000: its newest record is" in deleted[0].text
    pv = c.view().partitions("t")[0]
    assert pv.log_start_offset == 30 and pv.high_watermark == 30, "all of it breached: an empty segment at 30"
    assert c.view().audit().acked_lost == 0, "deleted by retention is not lost"
    assert not checker.violations


def test_a_dead_broker_deletes_nothing_and_restarts_its_schedule_on_restart():
    c = _cluster(RETENTION, **{"log.initial.task.delay.ms": 5000, "log.retention.check.interval.ms": 5000})
    _produce(c, 30)
    c.kill_broker(103)
    c.advance(60_000)
    assert c.view().replica_log(103, "t", 0).log_start_offset == 0, "its retention stopped with the process"
    assert c.view().partitions("t")[0].log_start_offset > 0
    c.restart_broker(103)
    c.advance(6000)
    log = c.view().replica_log(103, "t", 0)
    assert log.log_start_offset == 30 and len(log.segments) == 1


def test_a_follower_takes_the_leaders_log_start_offset_and_deletes_below_it_at_its_own_check():
    c = _cluster(RETENTION, **{"log.initial.task.delay.ms": 20_000, "log.retention.check.interval.ms": 20_000})
    c.kill_broker(103)
    _produce(c, 30)
    c.run_until(25_000)
    c.restart_broker(103)                            # its first check at 45 s, the leader's second at 40 s
    c.advance(1000)
    assert c.view().replica_log(103, "t", 0).log_end_offset == 30
    c.run_until(40_000)                              # the leader's second check
    leader_start = c.view().partitions("t")[0].log_start_offset
    assert leader_start == 30
    c.advance(1000)                                  # its parked fetch comes back with the news
    moved = _kinds(c, EventKind.LOG_START_OFFSET_ADVANCED, broker=103)
    assert moved and moved[-1].data["log_start_offset"] == leader_start
    log = c.view().replica_log(103, "t", 0)
    assert log.log_start_offset == leader_start and len(log.segments) > 1, "segments stay until its own check"
    assert list(log.records()) == []
    c.run_until(c.brokers[103]._retention_timer.time)
    assert len(c.view().replica_log(103, "t", 0).segments) == 1
    gone = _kinds(c, EventKind.SEGMENT_DELETED, broker=103)
    assert gone and gone[0].data["setting"] == "log start offset"


def test_a_follower_behind_the_leaders_log_start_starts_over_there():
    c = _cluster({**RETENTION, "min.insync.replicas": 1},
                 **{"log.initial.task.delay.ms": 5000, "log.retention.check.interval.ms": 5000})
    c.kill_broker(103)
    _produce(c, 30)
    c.advance(40_000)
    _produce(c, 3)
    assert c.view().partitions("t")[0].log_start_offset == 30
    c.restart_broker(103)
    c.advance(15_000)
    truncated = _kinds(c, EventKind.REPLICA_TRUNCATED, broker=103)
    assert truncated and "starts over at 30" in truncated[0].text
    log = c.view().replica_log(103, "t", 0)
    assert (log.log_start_offset, log.log_end_offset) == (30, 33)
    assert [o for o, _, _ in log.records()] == [30, 31, 32]


# -- consumers below the log start ---------------------------------------------------------------
def _deleted_cluster() -> Cluster:
    c = _cluster(RETENTION, **{"log.initial.task.delay.ms": 5000, "log.retention.check.interval.ms": 5000})
    _produce(c, 30)
    c.advance(23_000)                                 # every record is past retention.ms: all deleted
    _produce(c, 5)
    start = c.view().partitions("t")[0].log_start_offset
    assert 0 < start <= 30
    return c


@pytest.mark.parametrize("policy", ["earliest", "latest"])
def test_a_consumer_below_the_log_start_gets_offset_out_of_range_and_its_reset_policy_applies(policy):
    c = _deleted_cluster()
    pv = c.view().partitions("t")[0]
    cons = c.consumer("reader", auto_offset_reset=policy)
    cons.assign([TP])
    cons.seek(TP, 2)
    got = []
    cons.on_records = lambda recs: got.extend(r.offset for r in recs)
    c.advance(2000)
    oor = _kinds(c, EventKind.CONSUMER_OFFSET_OUT_OF_RANGE, consumer="reader")
    assert oor and oor[0].data["offset"] == 2 and f"below the log start offset {pv.log_start_offset}" in oor[0].text
    assert f"auto.offset.reset={policy}" in oor[0].text
    expected = pv.log_start_offset if policy == "earliest" else pv.high_watermark
    seek = _kinds(c, EventKind.CONSUMER_SEEK, consumer="reader")[-1]
    assert seek.data["offset"] == expected
    assert got == list(range(expected, pv.high_watermark))
    assert cons.position(TP) == pv.high_watermark


def test_auto_offset_reset_none_below_the_log_start_is_an_offset_out_of_range_error():
    c = _deleted_cluster()
    cons = c.consumer("reader", auto_offset_reset="none")
    cons.assign([TP])
    cons.seek(TP, 2)
    c.advance(2000)
    assert cons.error is not None and "OffsetOutOfRangeException" in cons.error
    assert cons.polled == 0


def test_listing_the_earliest_offset_gives_the_log_start_offset_after_retention():
    c = _deleted_cluster()
    cons = c.consumer("reader", auto_offset_reset="earliest")
    cons.assign([TP])
    c.advance(2000)
    assert _kinds(c, EventKind.CONSUMER_SEEK, consumer="reader")[0].data["offset"] == \
        c.view().partitions("t")[0].log_start_offset
    assert not _kinds(c, EventKind.CONSUMER_OFFSET_OUT_OF_RANGE)


def test_the_view_and_the_report_show_segments():
    from playground.scenario.report import partition_report
    c = _deleted_cluster()
    v = c.view()
    pv = v.partitions("t")[0]
    rep = partition_report(v, "t", pv)
    segs = v.segments("t", 0)
    assert rep["segments"] == [{"base_offset": s.base_offset, "next_offset": s.next_offset,
                                "size_bytes": s.size_bytes, "active": s.active} for s in segs]
    assert rep["segments"][0]["base_offset"] == rep["log_start_offset"] == pv.log_start_offset
    assert rep["segments"][-1]["active"] and rep["segments"][-1]["next_offset"] == rep["high_watermark"]


# -- faults with storage on ----------------------------------------------------------------------
STORAGE_BROKER = {"log.retention.check.interval.ms": 2000, "log.initial.task.delay.ms": 2000,
                  "log.cleaner.backoff.ms": 1000}
STORAGE_TOPICS = {
    "delete": {"segment.bytes": 1500, "retention.ms": 8000},
    "compact": {"segment.bytes": 1500, "cleanup.policy": "compact", "min.cleanable.dirty.ratio": 0.05,
                "delete.retention.ms": 3000},
    "compact,delete": {"segment.bytes": 1500, "cleanup.policy": "compact,delete", "retention.ms": 10_000,
                       "min.cleanable.dirty.ratio": 0.05},
}


@pytest.mark.parametrize("policy", sorted(STORAGE_TOPICS))
@pytest.mark.parametrize("seed", range(6))
def test_fault_schedules_with_retention_and_compaction_lose_nothing_acknowledged(policy, seed):
    """Seeds 0-5 of the fault schedules (kills, isolations, slow followers), with small segments,
    short retention and an eager cleaner: invariants hold after every step (retention and the
    cleaner remove only committed records) and no acknowledged record counts as lost."""
    from playground.faults import run_fault_schedule
    run = run_fault_schedule(seed, topic_config=STORAGE_TOPICS[policy], broker_config=STORAGE_BROKER)
    assert run.violation is None, run.describe()
    assert run.settled, f"{run.unsettled}\n{run.describe()}"
    assert run.audit.acked_lost == 0, run.describe()
    # Some seeds settle just after the last records land: give retention and the cleaner time.
    c = run.cluster
    checker = InvariantChecker(c)
    c.advance(20_000)
    assert not checker.violations and c.view().audit().acked_lost == 0, run.describe()
    kinds = {e.kind for e in c.events.history}
    assert EventKind.SEGMENT_ROLLED in kinds
    assert (EventKind.SEGMENT_DELETED in kinds) == ("delete" in policy)
    assert (EventKind.LOG_CLEANED in kinds) == ("compact" in policy)
