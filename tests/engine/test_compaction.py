"""Compaction: the latest record per key at its own offset, tombstones kept for delete.retention.ms,
the dirty-ratio threshold, the active segment untouched, null keys refused, __consumer_offsets."""

from __future__ import annotations

from playground.engine import Cluster, Errors, EventKind, TopicPartition
from playground.engine.group_offsets import OFFSETS_TOPIC
from playground.engine.invariants import InvariantChecker
from playground.engine.log import PartitionLog
from playground.engine.log_cleaner import clean, cleanable_range, needs_cleaning
from playground.engine.records import Record, RecordBatch

TP = TopicPartition("t", 0)


def _batch(base: int, keys: list[str | None], values: list[bytes | None] | None = None, ts: int = 0) -> RecordBatch:
    values = values if values is not None else [b"v%d" % (base + i) for i in range(len(keys))]
    recs = [Record(k.encode() if k is not None else None, v, (), ts) for k, v in zip(keys, values)]
    return RecordBatch(recs, base_offset=base, leader_epoch=0)


def _kinds(c: Cluster, kind: EventKind, **match):
    return [e for e in c.events.history if e.kind == kind and all(e.data.get(k) == v for k, v in match.items())]


def _latest(log) -> list[tuple[int, bytes, bytes | None]]:
    return [(o, r.key, r.value) for o, r, _ in log.records()]


# -- batches with gaps ----------------------------------------------------------------------------
def test_a_retained_copy_keeps_its_offsets_and_the_batch_span():
    b = _batch(10, ["a", "b", "a", "c", "b"])
    kept = b.retain([2, 3])
    assert (kept.base_offset, kept.last_offset, kept.next_offset, kept.count) == (10, 14, 15, 2)
    assert [o for o, _ in kept.iter_from(0)] == [12, 13] and kept.offsets() == [12, 13]
    assert [o for o, _ in kept.iter_from(13)] == [13] and list(kept.iter_from(14)) == []
    assert kept.size_bytes == b.size_bytes - b.records[0].size() - b.records[1].size() - b.records[4].size()
    empty = b.retain([])
    assert (empty.count, empty.last_offset, empty.max_timestamp) == (0, 14, b.max_timestamp)
    assert (b.count, b.last_offset, b.offset_deltas) == (5, 14, None), "the original is never changed"


def test_a_log_with_gaps_reads_around_them_and_a_follower_may_append_past_its_end():
    log = PartitionLog("t", 0)
    log.append(_batch(0, ["a", "b", "c"]).retain([2]))
    log.append(_batch(3, ["d", "e"]), allow_gap=True)
    log.append(_batch(8, ["f"]), allow_gap=True)          # 5-7 were whole batches the leader removed
    assert log.log_end_offset == 9
    assert [o for o, _, _ in log.records()] == [2, 3, 4, 8]
    assert [b.base_offset for b in log.read(5, 9)] == [8], "a fetch in a gap gets the next batch"
    assert [o for o, _, _ in log.records(1, 4)] == [2, 3]
    try:
        log.append(_batch(12, ["g"]))
    except ValueError:
        pass
    else:
        raise AssertionError("a leader's append never leaves a gap")


# -- the cleaner on one log ---------------------------------------------------------------------------
def _compacted_log() -> PartitionLog:
    """Segments [0-3] [4-7] and an active [8-9]; keys a, b repeat, c once."""
    log = PartitionLog("t", 0)
    log.append(_batch(0, ["a", "b", "a", "c"]), 0)
    log.roll(0)
    log.append(_batch(4, ["b", "a", "b", "a"]), 0)
    log.roll(0)
    log.append(_batch(8, ["a", "b"]), 0)
    log.high_watermark = log.log_end_offset
    return log


def test_the_cleaner_keeps_the_latest_record_per_key_at_its_offset_and_never_the_active_segment():
    log = _compacted_log()
    rng = cleanable_range(log)
    assert (rng.first_dirty_offset, rng.first_uncleanable_offset) == (0, 8)
    result = clean(log, 1000, delete_retention_ms=10_000, segment_bytes=10**6)
    assert result.records_removed == 5 and result.end_offset == 8 == log.cleaner_checkpoint
    assert _latest(log) == [(3, b"c", b"v3"), (6, b"b", b"v6"), (7, b"a", b"v7"), (8, b"a", b"v8"), (9, b"b", b"v9")], \
        "a and b keep their latest record below the active segment; the active segment is untouched"
    assert [(s.base_offset, s.next_offset) for s in log.segments] == [(0, 8), (8, 10)], \
        "small cleaned segments are merged up to segment.bytes"
    assert cleanable_range(log).cleanable_bytes == 0, "nothing dirty is left below the active segment"


def test_the_cleaner_stops_below_the_segment_holding_the_high_watermark():
    log = _compacted_log()
    log.high_watermark = 5
    assert cleanable_range(log).first_uncleanable_offset == 4
    clean(log, 0, delete_retention_ms=0, segment_bytes=10**6)
    assert [o for o, _, _ in log.records()] == [1, 2, 3, 4, 5, 6, 7, 8, 9], \
        "only [0-3] was cleaned, against the keys of [0-3] alone"


def test_the_dirty_ratio_decides_and_must_be_above_the_setting():
    log = _compacted_log()
    clean(log, 0, delete_retention_ms=0, segment_bytes=10**6)
    log.roll(0)                                           # [8-9] closes: dirty now
    rng = cleanable_range(log)
    assert rng.first_dirty_offset == 8 and 0 < rng.dirty_ratio < 1
    assert rng.dirty_ratio == rng.cleanable_bytes / (rng.clean_bytes + rng.cleanable_bytes)
    assert needs_cleaning(rng, rng.dirty_ratio - 0.01) and not needs_cleaning(rng, rng.dirty_ratio)


# -- in a cluster -------------------------------------------------------------------------------
COMPACT = {"cleanup.policy": "compact", "segment.bytes": 600, "min.cleanable.dirty.ratio": 0.1,
           "delete.retention.ms": 10_000, "min.insync.replicas": 2}


def _cluster(config: dict | None = None, seed: int = 5, **broker) -> Cluster:
    c = Cluster(seed=seed, config={"log.cleaner.backoff.ms": 2000, **broker})
    c.create_topic("t", 1, 3, {**COMPACT, **(config or {})}, immediate=True)
    return c


def _send(c: Cluster, pairs, every_ms: int = 100) -> None:
    p = c.producer(linger_ms=0)
    for key, value in pairs:
        p.send("t", value, key=key.encode() if key is not None else None)
        c.advance(every_ms)


def test_compaction_keeps_the_latest_value_per_key_on_every_replica():
    c = _cluster()
    checker = InvariantChecker(c)
    _send(c, [(f"k{i % 4}", b"v%d" % i) for i in range(40)])
    c.advance(5000)
    cleaned = _kinds(c, EventKind.LOG_CLEANED)
    assert {e.data["broker"] for e in cleaned} == {101, 102, 103}
    assert "min.cleanable.dirty.ratio=0.1" in cleaned[0].text and "Offsets stay as they were" in cleaned[0].text
    v = c.view()
    logs = [v.replica_log(b, "t", 0) for b in (101, 102, 103)]
    for log in logs:
        cleaned_to = log.cleaner_checkpoint
        below = [(o, r.key, r.value) for o, r, _ in log.records(0, cleaned_to)]
        # Key k{j} was written at offsets j, j+4, ...: its latest below the checkpoint stays, alone.
        assert below == sorted((max(i for i in range(cleaned_to) if i % 4 == j), b"k%d" % j,
                                b"v%d" % max(i for i in range(cleaned_to) if i % 4 == j)) for j in range(4))
        above = [o for o, _, _ in log.records(cleaned_to)]
        assert above == list(range(cleaned_to, 40)), "nothing at or above the checkpoint was touched"
    assert _latest(logs[0]) == _latest(logs[1]) == _latest(logs[2])
    assert v.audit().acked_lost == 0, "records compacted away are not lost"
    assert not checker.violations


def test_a_consumer_reads_a_compacted_log_across_its_gaps_to_the_end():
    c = _cluster()
    _send(c, [(f"k{i % 3}", b"v%d" % i) for i in range(40)])
    c.advance(5000)
    hw = c.view().partitions("t")[0].high_watermark
    got = []
    cons = c.consumer("reader", auto_offset_reset="earliest")
    cons.on_records = lambda recs: got.extend(r.offset for r in recs)
    cons.assign([TP])
    c.advance(3000)
    assert got == [o for o, _, _ in _latest(c.view().authoritative_log("t", 0))]
    assert len(got) < 40 and cons.position(TP) == hw == 40


def test_a_tombstone_stays_for_delete_retention_ms_after_the_pass_that_first_cleans_it():
    c = _cluster()
    _send(c, [(f"k{i % 3}", b"v%d" % i) for i in range(12)] + [("k1", None)]
          + [(f"x{i}", b"w%d" % i) for i in range(8)])
    c.advance(3000)
    first = [e for e in _kinds(c, EventKind.LOG_CLEANED, broker=101) if e.data["tombstones_kept"]]
    assert first, "the pass that first cleans the tombstone's segment keeps it"
    horizon = first[0].time + 10_000
    assert f"until t={horizon} ms" in first[0].text
    log = c.view().replica_log(101, "t", 0)
    assert (b"k1", None) in [(r.key, r.value) for _, r, _ in log.records()]
    assert all(r.key != b"k1" or r.value is None for _, r, _ in log.records()), "older k1 records are gone"
    # More writes make the log dirty again: passes before the horizon keep the tombstone ...
    _send(c, [(f"y{i}", b"z") for i in range(10)], every_ms=400)
    assert c.now < horizon
    assert (b"k1", None) in [(r.key, r.value) for _, r, _ in c.view().replica_log(101, "t", 0).records()]
    # ... and the first pass after it removes the tombstone.
    c.run_until(horizon)
    _send(c, [(f"y{i}", b"zz") for i in range(10)], every_ms=400)
    c.advance(3000)
    assert b"k1" not in [r.key for _, r, _ in c.view().replica_log(101, "t", 0).records()]
    removed = [e for e in _kinds(c, EventKind.LOG_CLEANED, broker=101) if e.data["tombstones_removed"]]
    assert removed and removed[0].time >= horizon and "past their delete.retention.ms" in removed[0].text


def test_below_the_dirty_ratio_no_pass_runs():
    c = _cluster({"min.cleanable.dirty.ratio": 0.9})
    _send(c, [(f"k{i % 4}", b"v%d" % i) for i in range(24)])
    c.advance(2000)                                      # the first segment was all dirty: cleaned once
    passes = len(_kinds(c, EventKind.LOG_CLEANED, broker=101))
    assert passes >= 1
    state = c.view().cleaner_state("t", 0, 101)
    assert state.compacted and state.min_cleanable_dirty_ratio == 0.9 and state.last_clean_ms is not None
    _send(c, [(f"k{i % 4}", b"w%d" % i) for i in range(8)])
    c.advance(6000)
    state = c.view().cleaner_state("t", 0, 101)
    assert 0 < state.dirty_ratio <= 0.9
    assert len(_kinds(c, EventKind.LOG_CLEANED, broker=101)) == passes, "dirty, but not above the ratio"


def test_the_active_segment_is_never_cleaned():
    c = _cluster({"segment.bytes": 10**6, "min.cleanable.dirty.ratio": 0.0})
    _send(c, [("same", b"v%d" % i) for i in range(20)])
    c.advance(10_000)
    assert not _kinds(c, EventKind.LOG_CLEANED)
    assert len(_latest(c.view().authoritative_log("t", 0))) == 20
    assert c.view().segments("t", 0)[-1].active and len(c.view().segments("t", 0)) == 1


def test_a_compacted_topic_refuses_records_without_a_key():
    c = _cluster()
    errors = []
    p = c.producer(linger_ms=0)
    p.send("t", b"no key", callback=lambda err, off: errors.append(err))
    c.advance(500)
    assert errors == [Errors.INVALID_RECORD]
    assert c.view().partitions("t")[0].log_end_offsets == {101: 0, 102: 0, 103: 0}
    assert p.stats.errors.get("INVALID_RECORD") == 1 and p.stats.failed == 1


def test_compact_delete_also_deletes_old_segments_on_the_cleaners_loop():
    c = _cluster({"cleanup.policy": "compact,delete", "retention.ms": 8000},
                 **{"log.retention.check.interval.ms": 10**6})
    _send(c, [(f"k{i}", b"v") for i in range(30)])
    c.advance(15_000)
    deleted = _kinds(c, EventKind.SEGMENT_DELETED, broker=101)
    assert deleted and deleted[0].data["setting"] == "retention.ms"
    assert deleted[0].time < 10**6, "not the retention task: the cleaner's loop ran it"
    assert c.view().partitions("t")[0].log_start_offset > 0


# -- __consumer_offsets ----------------------------------------------------------------------------
def test_consumer_offsets_is_compacted_and_a_new_coordinator_reloads_the_right_offsets():
    c = Cluster(seed=2, config={"offsets.topic.segment.bytes": 400, "log.cleaner.backoff.ms": 1000,
                                "offsets.topic.num.partitions": 3})
    c.create_topic("orders", 3, 3, immediate=True)
    p = c.producer(linger_ms=0)
    for i in range(60):
        p.send("orders", b"v%d" % i, key=b"k%d" % i)
    c.advance(200)
    c.consumer("c1", group_id="g", topics=["orders"], auto_offset_reset="earliest",
               auto_commit_interval_ms=200, processing_time=50, max_poll_records=2)
    checker = InvariantChecker(c)
    c.advance(12_000)
    before = c.view().group("g")
    cleaned = [e for e in _kinds(c, EventKind.LOG_CLEANED, topic=OFFSETS_TOPIC)]
    assert cleaned and sum(e.data["records_removed"] for e in cleaned) > 0, "old commits were compacted away"
    coordinator = before.coordinator
    part = next(e.data["partition"] for e in cleaned if e.data["broker"] == coordinator)
    log = c.view().replica_log(coordinator, OFFSETS_TOPIC, part)
    keys = [r.key for _, r, _ in log.records(0, log.cleaner_checkpoint)]
    assert keys and len(keys) == len(set(keys)), "one commit per key left in the cleaned part"
    c.consumers["c1"].pause()                             # no new commits: what is committed stays put
    c.advance(3000)
    committed = c.view().group_committed("g")
    assert sorted(committed) == [TopicPartition("orders", p) for p in range(3)]
    assert all(n > 0 for n in committed.values())
    c.kill_broker(coordinator)
    c.advance(15_000)
    after = c.view().group("g")
    assert after.coordinator not in (None, coordinator)
    assert any(e.data["broker"] == after.coordinator and e.data["partition"] == part for e in cleaned), \
        "the new coordinator's own replica had been compacted before it took over"
    assert c.view().group_committed("g") == committed
    loaded = _kinds(c, EventKind.GROUPS_LOADED)
    assert loaded and loaded[-1].data["broker"] == after.coordinator
    assert not checker.violations


def _txn(base: int, pid: int, keys: list[str], value: bytes = b"in txn") -> RecordBatch:
    return RecordBatch([Record(k.encode(), value, (), 0) for k in keys], base_offset=base, leader_epoch=0,
                       producer_id=pid, is_transactional=True)


def _marker(base: int, pid: int, committed: bool) -> RecordBatch:
    from playground.engine.txn_protocol import end_txn_marker
    return RecordBatch([end_txn_marker(committed, 0, 0)], base_offset=base, leader_epoch=0, producer_id=pid,
                       is_transactional=True, is_control=True)


def _state(log):
    from playground.engine.producer_state import ProducerStateManager
    return ProducerStateManager().sync(log)


def _clean(log, now: int, retention: int = 1000):
    return clean(log, now, delete_retention_ms=retention, segment_bytes=10**6, aborted=_state(log).aborted)


def test_an_aborted_transaction_is_removed_and_never_supersedes_a_committed_record():
    """Kafka's CleanedTransactionMetadata: aborted records go and stay out of the key map; the ABORT marker
    stays while its records are in the log, then gets a delete horizon, then goes after it."""
    log = PartitionLog("t", 0)
    log.append(_batch(0, ["a"], [b"committed a"]), 0)
    log.append(_txn(1, 7, ["a", "b"], b"aborted"), 0)     # would supersede a if it counted
    log.append(_marker(3, 7, committed=False), 0)
    log.append(_txn(4, 7, ["c"]), 0)                      # producer 7 goes on: its last batch is not the
    log.append(_marker(5, 7, committed=True), 0)          # ABORT marker (a producer's last batch always stays)
    log.append(_batch(6, ["z"]), 0)
    log.roll(0)
    log.append(_batch(7, ["y"]), 0)
    log.high_watermark = log.log_end_offset
    assert [(a.producer_id, a.first_offset, a.last_offset) for a in _state(log).aborted] == [(7, 1, 3)]
    first = _clean(log, 100)
    assert first.aborted_removed == 2 and first.records_removed == 0
    assert (0, b"a", b"committed a") in _latest(log), "the committed a stays: the aborted a does not count"
    assert [o for o, _, _ in log.records()] == [0, 3, 4, 5, 6, 7]
    assert first.markers_kept == 0, "this pass met the aborted records: the ABORT marker stays as it is"
    log.cleaner_checkpoint = 0                            # clean it all again, as a dirtier log would be
    second = _clean(log, 200)
    marker = next(b for b in log.batches if b.base_offset == 3)
    assert second.markers_kept == 1 and marker.delete_horizon_ms == 1200, "no record of it is left: marked"
    log.cleaner_checkpoint = 0
    third = _clean(log, 1100)
    assert third.markers_removed == 0 and any(b.base_offset == 3 for b in log.batches), "not before its horizon"
    log.cleaner_checkpoint = 0
    fourth = _clean(log, 1200)
    assert fourth.markers_removed == 1 and not any(b.base_offset == 3 for b in log.batches)
    assert [o for o, _, _ in log.records()] == [0, 4, 5, 6, 7]


def test_a_commit_marker_goes_once_its_records_are_superseded():
    log = PartitionLog("t", 0)
    log.append(_txn(0, 5, ["k"]), 0)
    log.append(_marker(1, 5, committed=True), 0)
    log.append(_batch(2, ["k"], [b"newer"]), 0)
    log.append(RecordBatch([Record(b"x", b"x", (), 0)], base_offset=3, leader_epoch=0, producer_id=5), 0)
    log.roll(0)
    log.append(_batch(4, ["y"]), 0)
    log.high_watermark = log.log_end_offset
    _clean(log, 0, retention=0)
    assert [o for o, _, _ in log.records()] == [1, 2, 3, 4], "the committed k is superseded by the newer k"
    log.cleaner_checkpoint = 0
    _clean(log, 0, retention=0)                           # no batch of the transaction left: marked
    log.cleaner_checkpoint = 0
    result = _clean(log, 0, retention=0)
    assert result.markers_removed == 1 and [o for o, _, _ in log.records()] == [2, 3, 4]


def test_a_producers_last_batch_stays_even_when_it_is_a_marker_no_longer_needed():
    log = PartitionLog("t", 0)
    log.append(_txn(0, 9, ["k"]), 0)
    log.append(_marker(1, 9, committed=False), 0)
    log.append(_batch(2, ["z"]), 0)
    log.roll(0)
    log.append(_batch(3, ["y"]), 0)
    log.high_watermark = log.log_end_offset
    for now in (0, 10, 20):
        log.cleaner_checkpoint = 0
        _clean(log, now, retention=0)
    assert [b.base_offset for b in log.batches if b.producer_id == 9] == [1], \
        "producer 9's epoch and sequence live in its last batch: the marker stays"


def test_an_idempotent_producers_last_batch_stays_even_when_emptied():
    log = PartitionLog("t", 0)
    mine = RecordBatch([Record(b"a", b"old", (), 0)], base_offset=0, leader_epoch=0, producer_id=7)
    log.append(mine, 0)
    log.append(_batch(1, ["a"]), 0)
    log.append(_batch(2, ["b"]), 0)
    log.roll(0)
    log.append(_batch(3, ["z"]), 0)
    log.high_watermark = log.log_end_offset
    clean(log, 0, delete_retention_ms=0, segment_bytes=10**6)
    first = log.batches[0]
    assert (first.base_offset, first.last_offset, first.count, first.producer_id) == (0, 0, 0, 7), \
        "its records are gone, but the batch (the producer's last sequence) stays"
    assert [o for o, _, _ in log.records()] == [1, 2, 3]
