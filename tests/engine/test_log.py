"""PartitionLog: one replica's log, its watermarks and its leader epoch cache."""

import pytest

from playground.engine.log import PartitionLog
from playground.engine.records import Record, RecordBatch


def _batch(base, n, epoch=0, ts=None, start_value=None):
    start_value = base if start_value is None else start_value
    timestamps = ts if ts is not None else [1000 + base + i for i in range(n)]
    recs = [Record(None, b"v%d" % (start_value + i), (), timestamps[i]) for i in range(n)]
    return RecordBatch(recs, base_offset=base, leader_epoch=epoch)


def _log(*sizes_and_epochs):
    """A log of consecutive batches: (count, epoch) pairs."""
    log = PartitionLog("t", 0)
    for n, epoch in sizes_and_epochs:
        log.append(_batch(log.log_end_offset, n, epoch))
    return log


def _offsets(batches):
    return [(b.base_offset, b.last_offset) for b in batches]


# -- append --------------------------------------------------------------------------------
def test_new_log_is_empty():
    log = PartitionLog("t", 0)
    assert (log.log_start_offset, log.log_end_offset, log.high_watermark) == (0, 0, 0)
    assert log.latest_epoch == -1 and log.epoch_cache == []
    assert log.read(0, 10) == [] and list(log.records()) == []


def test_append_moves_log_end_and_size():
    log = _log((3, 0), (2, 0))
    assert log.log_end_offset == 5
    assert log.high_watermark == 0, "appending never moves the high watermark by itself"
    assert log.size_bytes == sum(b.size_bytes for b in log.batches)
    assert [off for off, _, _ in log.records()] == [0, 1, 2, 3, 4]
    assert [rec.value for _, rec, _ in log.records()] == [b"v0", b"v1", b"v2", b"v3", b"v4"]


@pytest.mark.parametrize("base", [0, 4, 6])
def test_append_at_the_wrong_offset_is_refused_and_changes_nothing(base):
    log = _log((5, 0))
    size = log.size_bytes
    with pytest.raises(ValueError):
        log.append(_batch(base, 1))
    assert (log.log_end_offset, log.size_bytes, len(log.batches)) == (5, size, 1)


# -- read ----------------------------------------------------------------------------------
def test_read_returns_whole_batches_below_the_limit():
    log = _log((3, 0), (3, 0), (3, 0))          # [0-2] [3-5] [6-8]
    assert _offsets(log.read(0, 9)) == [(0, 2), (3, 5), (6, 8)]
    assert _offsets(log.read(4, 9)) == [(3, 5), (6, 8)], "the batch holding the fetch offset comes whole"
    assert _offsets(log.read(0, 6)) == [(0, 2), (3, 5)]
    assert _offsets(log.read(0, 7)) == [(0, 2), (3, 5)], "never a batch that reaches past max_offset"
    assert log.read(3, 3) == [] and log.read(9, 20) == [] and log.read(5, 4) == []


def test_read_respects_max_bytes_but_always_returns_the_first_batch():
    log = _log((3, 0), (3, 0), (3, 0))
    one = log.batches[0].size_bytes
    assert _offsets(log.read(0, 9, max_bytes=1)) == [(0, 2)], "the first batch comes even if too big"
    assert _offsets(log.read(0, 9, max_bytes=one * 2)) == [(0, 2), (3, 5)]
    assert _offsets(log.read(0, 9, max_bytes=one * 2 - 1)) == [(0, 2)]


def test_records_between_offsets():
    log = _log((3, 0), (3, 0))
    assert [off for off, _, _ in log.records(2, 5)] == [2, 3, 4]
    assert [off for off, _, _ in log.records(4)] == [4, 5]


# -- truncate ----------------------------------------------------------------------------------
def test_truncate_at_a_batch_boundary():
    log = _log((3, 0), (3, 1), (3, 2))
    log.high_watermark = 9
    assert log.truncate_to(6) == 3
    assert log.log_end_offset == 6 and _offsets(log.batches) == [(0, 2), (3, 5)]
    assert log.high_watermark == 6, "the high watermark never stays above the log end"
    assert log.size_bytes == sum(b.size_bytes for b in log.batches)
    assert log.epoch_cache == [(0, 0), (1, 3)], "Kafka's truncateFromEnd drops epochs starting at or after it"


def test_truncate_inside_a_batch_removes_the_whole_batch():
    log = _log((3, 0), (3, 1), (3, 2))
    assert log.truncate_to(4) == 6
    assert log.log_end_offset == 3 and _offsets(log.batches) == [(0, 2)]
    assert log.epoch_cache == [(0, 0)]


def test_truncate_at_or_past_the_end_does_nothing():
    log = _log((3, 0))
    assert log.truncate_to(3) == 0 and log.truncate_to(10) == 0
    assert log.log_end_offset == 3 and log.epoch_cache == [(0, 0)]


def test_truncate_to_zero_empties_and_the_log_can_be_appended_again():
    log = _log((3, 0), (2, 1))
    log.high_watermark = 3
    assert log.truncate_to(0) == 5
    assert (log.log_end_offset, log.high_watermark, log.batches, log.epoch_cache, log.size_bytes) == (0, 0, [], [], 0)
    log.append(_batch(0, 2, epoch=2, start_value=100))
    assert [rec.value for _, rec, _ in log.records()] == [b"v100", b"v101"]
    assert log.epoch_cache == [(2, 0)]


def test_truncate_keeps_a_lower_high_watermark():
    log = _log((3, 0), (3, 0))
    log.high_watermark = 2
    log.truncate_to(3)
    assert log.high_watermark == 2


# -- the leader epoch cache ----------------------------------------------------------------------
def test_epoch_cache_records_where_each_epoch_starts():
    log = _log((2, 0), (2, 0), (1, 1), (3, 3))
    assert log.epoch_cache == [(0, 0), (1, 4), (3, 5)]
    assert log.latest_epoch == 3


def test_a_new_leader_records_its_epoch_start_before_any_append():
    log = _log((2, 0))
    log.assign_epoch_start(2)
    assert log.epoch_cache == [(0, 0), (2, 2)] and log.latest_epoch == 2
    log.assign_epoch_start(2)            # same epoch again: no change (Kafka's isUpdateNeeded)
    assert log.epoch_cache == [(0, 0), (2, 2)]
    log.append(_batch(2, 1, epoch=2))
    assert log.epoch_cache == [(0, 0), (2, 2)], "the epoch was already known"
    log.append(_batch(3, 1, epoch=1))    # UnifiedLog only assigns epochs above the latest on append
    assert log.epoch_cache == [(0, 0), (2, 2)]


def test_batches_without_an_epoch_leave_the_cache_alone():
    log = PartitionLog("t", 0)
    log.append(_batch(0, 2, epoch=-1))
    assert log.epoch_cache == [] and log.latest_epoch == -1


def _cache(entries, leo):
    log = PartitionLog("t", 0)
    log.epoch_cache = list(entries)
    log.log_end_offset = leo
    return log


# Kafka's LeaderEpochFileCacheTest, for LeaderEpochFileCache.endOffsetFor(requestedEpoch, logEndOffset).
@pytest.mark.parametrize("entries,leo,epoch,expected", [
    # shouldAddEpochAndMessageOffsetToCache
    ([(2, 10)], 11, 2, (2, 11)),
    # shouldReturnLogEndOffsetIfLatestEpochRequested
    ([(2, 5), (3, 6), (4, 7)], 10, 4, (4, 10)),
    # shouldReturnUndefinedOffsetIfUndefinedEpochRequested
    ([(2, 5), (3, 6), (4, 7)], 10, -1, (-1, -1)),
    # shouldReturnUnsupportedIfNoEpochRecorded / ...AndUndefinedEpochRequested
    ([], 0, 0, (-1, -1)),
    ([], 0, -1, (-1, -1)),
    # shouldReturnFirstEpochIfRequestedEpochLessThanFirstEpoch
    ([(5, 11), (6, 12)], 13, 4, (4, 11)),
    # shouldGetFirstOffsetOfSubsequentEpochWhenOffsetRequestedForPreviousEpoch
    ([(1, 5), (2, 7)], 8, 1, (1, 7)),
    # shouldReturnNextAvailableEpochIfThereIsNoExactEpochForTheOneRequested
    ([(0, 10), (2, 13), (4, 17)], 20, 0, (0, 13)),
    ([(0, 10), (2, 13), (4, 17)], 20, 1, (0, 13)),
    ([(0, 10), (2, 13), (4, 17)], 20, 2, (2, 17)),
    ([(0, 10), (2, 13), (4, 17)], 20, 3, (2, 17)),
    # an epoch above every known epoch is undefined
    ([(0, 10), (2, 13), (4, 17)], 20, 5, (-1, -1)),
])
def test_end_offset_for_epoch_matches_kafka(entries, leo, epoch, expected):
    assert _cache(entries, leo).end_offset_for_epoch(epoch) == expected


def _leader_twice_without_records():
    """Epoch 0 wrote [0, 5); epochs 1 and 2 began at 5 and wrote nothing."""
    log = _log((5, 0))
    log.assign_epoch_start(1)
    log.assign_epoch_start(2)
    return log


# Kafka's LeaderEpochFileCache.assign(2, 5) after (1, 5) removes (1, 5): an entry whose start is
# not below the new entry's start is truncated (maybeTruncateNonMonotonicEntries). The cache is
# then [(0, 0), (2, 5)] and endOffsetFor answers as below.
@pytest.mark.parametrize("epoch,expected", [(-1, (-1, -1)), (0, (0, 5)), (2, (2, 5)), (3, (-1, -1))])
def test_empty_epochs_answer_like_kafka(epoch, expected):
    assert _leader_twice_without_records().end_offset_for_epoch(epoch) == expected


def test_an_epoch_with_no_records_is_dropped_from_the_cache_like_kafka():
    log = _leader_twice_without_records()
    assert log.epoch_cache == [(0, 0), (2, 5)]
    assert log.end_offset_for_epoch(1) == (0, 5)


def test_end_offset_for_epoch_on_a_real_log():
    log = _log((3, 0), (2, 2), (4, 5))     # epoch 0: [0,3)  epoch 2: [3,5)  epoch 5: [5,9)
    assert log.end_offset_for_epoch(0) == (0, 3)
    assert log.end_offset_for_epoch(1) == (0, 3)
    assert log.end_offset_for_epoch(2) == (2, 5)
    assert log.end_offset_for_epoch(4) == (2, 5)
    assert log.end_offset_for_epoch(5) == (5, 9)
    assert log.end_offset_for_epoch(6) == (-1, -1)


# -- offset for timestamp -----------------------------------------------------------------------
def test_offset_for_timestamp_finds_the_first_record_at_or_after():
    log = PartitionLog("t", 0)
    log.append(_batch(0, 3, ts=[100, 200, 300]))
    log.append(_batch(3, 3, ts=[400, 500, 600]))
    assert log.offset_for_timestamp(0) == 0
    assert log.offset_for_timestamp(100) == 0
    assert log.offset_for_timestamp(101) == 1
    assert log.offset_for_timestamp(300) == 2
    assert log.offset_for_timestamp(301) == 3
    assert log.offset_for_timestamp(600) == 5
    assert log.offset_for_timestamp(601) is None


def test_offset_for_timestamp_with_out_of_order_create_times():
    # Like Kafka: the first batch whose max timestamp reaches the target, then its first record that does.
    log = PartitionLog("t", 0)
    log.append(_batch(0, 3, ts=[500, 100, 900]))
    log.append(_batch(3, 2, ts=[200, 950]))
    assert log.offset_for_timestamp(150) == 0
    assert log.offset_for_timestamp(600) == 2
    assert log.offset_for_timestamp(920) == 4


def test_offset_for_timestamp_skips_records_below_the_log_start():
    log = PartitionLog("t", 0)
    log.append(_batch(0, 4, ts=[100, 200, 300, 400]))
    log.log_start_offset = 2
    assert log.offset_for_timestamp(0) == 2
    assert log.offset_for_timestamp(350) == 3
