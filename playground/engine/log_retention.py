"""Retention: which closed segments of a log are deleted, and why (Kafka's `UnifiedLog.deleteOldSegments`).

Three rules run in Kafka's order, each deleting from the oldest segment
forward until a segment does not qualify:

1. segments wholly below the log start offset (a follower that learned the
   leader's log start offset, or a DeleteRecords) — for every log;
2. `retention.bytes`: while the log is larger than the limit, the oldest
   segments that fit in the excess — with `cleanup.policy` containing delete;
3. `retention.ms`: segments whose newest record is older than the limit.

A segment is never deleted unless every offset in it is below the high
watermark (so the log start offset never passes it), and an empty active
segment is never deleted. The active segment can be deleted when all of it
is committed and past retention: the log then first rolls a new empty active
segment (Kafka's `deletableSegments` / `deleteSegments`).

`plan_*` functions only decide; `delete` changes the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .log import PartitionLog
from .log_segment import LogSegment

LOG_START_OFFSET = "log start offset"


@dataclass(frozen=True)
class SegmentDeletion:
    """One segment retention deletes: its offsets and size, the setting that caused it, why."""

    base_offset: int
    next_offset: int
    size_bytes: int
    record_count: int
    setting: str            # retention.ms | retention.bytes | log start offset
    reason: str             # "retention.ms=60000: its newest record is 75 s old"


def describe_age(ms: int) -> str:
    """A duration as a reader says it: 750 ms, 75 s, 12 min, 3 h, 8 d."""
    if ms < 1000:
        return f"{ms} ms"
    if ms < 120_000:
        return f"{ms / 1000:g} s"
    if ms < 2 * 3600_000:
        return f"{ms // 60_000} min"
    if ms < 2 * 86400_000:
        return f"{ms // 3600_000} h"
    return f"{ms // 86400_000} d"


def _deletable(log: PartitionLog, predicate: Callable[[LogSegment, LogSegment | None], str | None],
               setting: str) -> list[SegmentDeletion]:
    """Kafka's `deletableSegments`: the oldest segments, in order, while `predicate` gives a reason."""
    out: list[SegmentDeletion] = []
    segs = log.segments
    for i, seg in enumerate(segs):
        nxt = segs[i + 1] if i + 1 < len(segs) else None
        upper = nxt.base_offset if nxt is not None else log.log_end_offset
        if nxt is None and seg.size_bytes == 0:
            break                   # never the empty active segment
        if log.high_watermark < upper:
            break                   # not all committed: the log start offset must not pass the HW
        reason = predicate(seg, nxt)
        if reason is None:
            break
        out.append(SegmentDeletion(seg.base_offset, upper, seg.size_bytes, seg.record_count, setting, reason))
    return out


def plan_log_start_breach(log: PartitionLog) -> list[SegmentDeletion]:
    lso = log.log_start_offset

    def below_start(seg: LogSegment, nxt: LogSegment | None) -> str | None:
        if nxt is not None and nxt.base_offset <= lso:
            return f"every record in it is below the log start offset {lso}"
        return None
    return _deletable(log, below_start, LOG_START_OFFSET)


def plan_retention_bytes(log: PartitionLog, retention_bytes: int) -> list[SegmentDeletion]:
    size = log.size_bytes
    if retention_bytes < 0 or size < retention_bytes:
        return []
    excess = [size - retention_bytes]

    def over_size(seg: LogSegment, nxt: LogSegment | None) -> str | None:
        over = excess[0]
        if over - seg.size_bytes < 0:
            return None
        excess[0] -= seg.size_bytes
        return (f"retention.bytes={retention_bytes}: the log held {size} bytes, {over} still over the "
                f"limit, and this oldest segment ({seg.size_bytes} bytes) fits in that excess")
    return _deletable(log, over_size, "retention.bytes")


def plan_retention_ms(log: PartitionLog, now: int, retention_ms: int) -> list[SegmentDeletion]:
    if retention_ms < 0:
        return []

    def too_old(seg: LogSegment, nxt: LogSegment | None) -> str | None:
        newest = seg.largest_timestamp()
        age = now - newest
        if age <= retention_ms:
            return None
        what = "its newest record is" if seg.max_timestamp >= 0 else "it was last written"
        return f"retention.ms={retention_ms}: {what} {describe_age(age)} old"
    return _deletable(log, too_old, "retention.ms")


def delete(log: PartitionLog, deletions: list[SegmentDeletion], now: int) -> tuple[bool, list[LogSegment]]:
    """Apply one plan: (whether the log first rolled a new empty active segment because every
    segment was to go, the segments removed) — Kafka's `deleteSegments`."""
    if not deletions:
        return False, []
    rolled = False
    if len(deletions) == len(log.segments):
        log.roll(now)
        rolled = True
    return rolled, log.delete_oldest_segments(len(deletions))


@dataclass(frozen=True)
class RetentionResult:
    deleted: list[SegmentDeletion]
    removed: list[LogSegment]        # the segments themselves, with their batches
    rolled_at: int | None            # base offset of the empty active segment rolled first, if any


def delete_old_segments(log: PartitionLog, now: int, *, delete_policy: bool, retention_ms: int,
                        retention_bytes: int) -> RetentionResult:
    """Kafka's `UnifiedLog.deleteOldSegments`: the three rules in order, each on the log the
    previous one left."""
    deleted: list[SegmentDeletion] = []
    removed: list[LogSegment] = []
    rolled_at = None
    plans: list[Callable[[], list[SegmentDeletion]]] = [lambda: plan_log_start_breach(log)]
    if delete_policy:
        plans.append(lambda: plan_retention_bytes(log, retention_bytes))
        plans.append(lambda: plan_retention_ms(log, now, retention_ms))
    for plan in plans:
        deletions = plan()
        rolled, gone = delete(log, deletions, now)
        if rolled:
            rolled_at = log.active_segment.base_offset
        deleted.extend(deletions)
        removed.extend(gone)
    return RetentionResult(deleted, removed, rolled_at)
