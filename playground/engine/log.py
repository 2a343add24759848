"""One replica's log of a partition: batches at offsets, in segments, plus its watermarks.

The log is the replica's disk: it survives a broker crash. It knows its
log start offset (first offset still kept), log end offset (next offset to
write), the high watermark this replica has learned, and the leader epoch
cache that Kafka uses to find where a follower diverged from a new leader.

The batches live in segments (`LogSegment`, the last one active); each
replica rolls its own. `batches` and `_bases` are a flat index over all
segments for reading. Retention deletes the oldest segments
(`delete_oldest_segments`), the cleaner swaps cleaned copies in
(`replace_segments`), and `cleaner_checkpoint` is where the dirty part of a
compacted log begins (Kafka's cleaner-offset-checkpoint file).

`quiet` lists the leader's fetch-session entries that found nothing to send on
this log at their last fetch (see `BrokerFetch._read`): any change of its log end,
high watermark, log start or epoch cache `thaw`s them, so the next fetch reads
the partition again.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Iterator

from .log_segment import LogSegment
from .records import Record, RecordBatch


class PartitionLog:
    __slots__ = ("topic", "partition", "batches", "_bases", "log_start_offset",
                 "log_end_offset", "high_watermark", "epoch_cache", "size_bytes", "segments",
                 "cleaner_checkpoint", "last_clean_ms", "rewrites", "quiet")

    def __init__(self, topic: str, partition: int, created_ms: int = 0) -> None:
        self.topic = topic
        self.partition = partition
        self.batches: list[RecordBatch] = []
        self._bases: list[int] = []
        self.log_start_offset = 0
        self.log_end_offset = 0
        self.high_watermark = 0
        # (leader_epoch, start_offset): the first offset written in each epoch
        # (Kafka's LeaderEpochFileCache).
        self.epoch_cache: list[tuple[int, int]] = []
        self.size_bytes = 0
        self.segments: list[LogSegment] = [LogSegment(0, created_ms)]
        # The first offset the cleaner has not compacted yet, and when it last did.
        self.cleaner_checkpoint = 0
        self.last_clean_ms = -1
        # Bumped by every change other than an append at the end (truncation, retention, a log
        # start offset moved, the cleaner's rewrite): whoever follows the log incrementally (the
        # audit) knows from it that what it read may be gone and reads the log again.
        self.rewrites = 0
        self.quiet: list = []

    def thaw(self) -> None:
        """The log changed (or its leader's state did): fetch-session entries that skipped it as
        unchanged read it again at their next fetch."""
        quiet = self.quiet
        self.quiet = []
        for entry in quiet:
            entry.thaw()

    # -- writing ---------------------------------------------------------
    def append(self, batch: RecordBatch, now: int | None = None, *, allow_gap: bool = False) -> None:
        """Append a batch whose offsets are already assigned.

        A leader's batch starts at the log end. A follower copies the leader's
        batches, and a compacted leader may have removed whole batches, so with
        `allow_gap` a batch may start past the log end (Kafka only requires
        offsets to grow on a follower's append).
        """
        base = batch.base_offset
        if base != self.log_end_offset and not (allow_gap and base > self.log_end_offset):
            raise ValueError(f"{self.topic}/{self.partition}: batch at {base}, "
                             f"log end is {self.log_end_offset}")
        if self.quiet:
            self.thaw()
        if batch.leader_epoch >= 0 and (not self.epoch_cache or self.epoch_cache[-1][0] < batch.leader_epoch):
            self._assign_epoch(batch.leader_epoch, base)
        self.batches.append(batch)
        self._bases.append(base)
        self.log_end_offset = batch.next_offset
        self.size_bytes += batch.size_bytes
        self.segments[-1].add(batch, now)

    # -- segments --------------------------------------------------------
    @property
    def active_segment(self) -> LogSegment:
        return self.segments[-1]

    def should_roll(self, batch: RecordBatch, now: int, segment_bytes: int, segment_ms: int) -> str | None:
        """The setting that makes `batch` start a new segment (see `LogSegment.should_roll`)."""
        return self.segments[-1].should_roll(batch, now, segment_bytes, segment_ms)

    def roll(self, now: int, base_offset: int | None = None) -> LogSegment:
        """Kafka's `LocalLog.roll`: close the active segment and open an empty one at the log end
        (or at `base_offset`, the first offset of the batch about to be appended). An active
        segment that is still empty is replaced rather than kept."""
        offset = self.log_end_offset if base_offset is None else base_offset
        segment = LogSegment(offset, now)
        if not self.segments[-1].batches:
            self.segments[-1] = segment
        else:
            self.segments.append(segment)
        return segment

    def delete_oldest_segments(self, count: int) -> list[LogSegment]:
        """Retention: drop the `count` oldest segments, never the active one (roll first to
        delete everything); the log start offset moves to the next segment's base offset
        (Kafka's `UnifiedLog.deleteSegments`)."""
        if not 0 < count < len(self.segments):
            raise ValueError(f"{self.topic}/{self.partition}: cannot delete {count} of "
                             f"{len(self.segments)} segments")
        if self.quiet:
            self.thaw()
        gone = self.segments[:count]
        self.rewrites += 1
        n = sum(len(s.batches) for s in gone)
        del self.segments[:count]
        del self.batches[:n]
        del self._bases[:n]
        self.size_bytes -= sum(s.size_bytes for s in gone)
        self.increment_log_start_offset(self.segments[0].base_offset)
        return gone

    def increment_log_start_offset(self, offset: int) -> bool:
        """Kafka's `UnifiedLog.maybeIncrementLogStartOffset`: records below `offset` are gone for
        readers at once (segments wholly below it go at the next retention check). Never past
        the high watermark."""
        offset = min(offset, self.high_watermark)
        if offset <= self.log_start_offset:
            return False
        if self.quiet:
            self.thaw()
        self.log_start_offset = offset
        self.rewrites += 1
        # LeaderEpochFileCache.truncateFromStart: entries at or below the new start go, and the
        # last of them is kept, moved to start there.
        cache = self.epoch_cache
        below = [e for e in cache if e[1] <= offset]
        if below:
            self.epoch_cache = [(below[-1][0], offset)] + [e for e in cache if e[1] > offset]
        if self.cleaner_checkpoint < offset:
            self.cleaner_checkpoint = offset
        return True

    def truncate_fully_and_start_at(self, offset: int, now: int) -> int:
        """Kafka's `UnifiedLog.truncateFullyAndStartAt`: drop every record and continue, empty, at
        `offset` (a follower whose leader's log now starts past this log's end). Returns records
        dropped."""
        if self.quiet:
            self.thaw()
        removed = sum(len(b.records) for b in self.batches)
        self.rewrites += 1
        self.batches = []
        self._bases = []
        self.segments = [LogSegment(offset, now)]
        self.size_bytes = 0
        self.log_start_offset = self.log_end_offset = self.high_watermark = offset
        self.epoch_cache = []
        self.cleaner_checkpoint = offset
        return removed

    def replace_segments(self, start: int, stop: int, cleaned: list[LogSegment]) -> None:
        """Swap the cleaner's copies in for segments[start:stop] (Kafka's `replaceSegments`)."""
        if stop >= len(self.segments):
            raise ValueError("the active segment is never replaced by the cleaner")
        if self.quiet:
            self.thaw()
        self.segments[start:stop] = cleaned
        self.rewrites += 1
        self.batches = [b for seg in self.segments for b in seg.batches]
        self._bases = [b.base_offset for b in self.batches]
        self.size_bytes = sum(seg.size_bytes for seg in self.segments)

    def segment_index(self, offset: int) -> int:
        """Index of the segment that holds `offset` (the last whose base offset is <= it)."""
        segs = self.segments
        lo, hi = 0, len(segs)
        while lo < hi:
            mid = (lo + hi) // 2
            if segs[mid].base_offset <= offset:
                lo = mid + 1
            else:
                hi = mid
        return max(0, lo - 1)

    def assign_epoch_start(self, epoch: int) -> None:
        """A new leader records where its epoch starts, before any append."""
        if not self.epoch_cache or self.epoch_cache[-1][0] < epoch:
            self._assign_epoch(epoch, self.log_end_offset)

    def _assign_epoch(self, epoch: int, start: int) -> None:
        # Kafka's LeaderEpochFileCache.maybeTruncateNonMonotonicEntries: an epoch that starts
        # where the new one starts never held a record, so it goes.
        if self.quiet:
            self.thaw()
        while self.epoch_cache and self.epoch_cache[-1][1] >= start:
            self.epoch_cache.pop()
        self.epoch_cache.append((epoch, start))

    def truncate_to(self, offset: int) -> int:
        """Remove every batch that ends at or after `offset`; returns records removed.

        Like Kafka, whole batches go: the log end becomes the base offset of
        the first batch removed.
        """
        if self.quiet:
            self.thaw()
        if offset >= self.log_end_offset:
            # Kafka's UnifiedLog.truncateTo still trims the epoch cache: a broker that led
            # an epoch without appending to it holds an entry at its log end that the new
            # leader never had, and would report it as its last fetched epoch forever.
            self.epoch_cache = [(e, s) for e, s in self.epoch_cache if s < self.log_end_offset]
            return 0
        idx = bisect_right(self._bases, offset) - 1
        if idx < 0:
            idx = 0
        elif self.batches[idx].base_offset < offset <= self.batches[idx].last_offset:
            pass  # the batch containing offset goes too
        elif self.batches[idx].last_offset < offset:
            idx += 1
        removed = 0
        self.rewrites += 1
        for b in self.batches[idx:]:
            removed += b.count
            self.size_bytes -= b.size_bytes
        del self.batches[idx:]
        del self._bases[idx:]
        self.log_end_offset = self.batches[-1].next_offset if self.batches else self.log_start_offset
        self.high_watermark = min(self.high_watermark, self.log_end_offset)
        # Kafka's LeaderEpochFileCache.truncateFromEnd: epochs that start at or
        # past the new log end no longer exist on this replica.
        self.epoch_cache = [(e, s) for e, s in self.epoch_cache if s < self.log_end_offset]
        self._truncate_segments(idx)
        # LogCleanerManager.maybeTruncateCheckpoint: the cleaner never looks past the log end.
        if self.cleaner_checkpoint > self.log_end_offset:
            self.cleaner_checkpoint = self.log_end_offset
        return removed

    def _truncate_segments(self, keep: int) -> None:
        """Cut the segments after the first `keep` batches (Kafka's `LocalLog.truncateTo`: later
        segments are deleted, the one holding the cut is truncated and becomes active)."""
        segs = self.segments
        cum = 0
        for si, seg in enumerate(segs):
            if cum + len(seg.batches) > keep:
                break
            cum += len(seg.batches)
        else:
            return
        seg = segs[si]
        del seg.batches[keep - cum:]
        del segs[si + 1:]
        seg.recompute()
        if not seg.batches and seg.base_offset != self.log_end_offset:
            # Emptied, and not where the log now ends: only the segments before it remain.
            del segs[si]
            if not segs:
                segs.append(LogSegment(self.log_end_offset, seg.created_ms))

    # -- leader epochs ---------------------------------------------------
    @property
    def latest_epoch(self) -> int:
        return self.epoch_cache[-1][0] if self.epoch_cache else -1

    def end_offset_for_epoch(self, epoch: int) -> tuple[int, int]:
        """Kafka's `LeaderEpochFileCache.endOffsetFor`: (epoch, end offset).

        For the latest epoch the end is the log end; otherwise it is the start
        of the first larger epoch, paired with the largest epoch <= the one
        asked for (or the one asked for when it is older than every entry).
        """
        cache = self.epoch_cache
        if epoch < 0:
            return -1, -1
        if cache and epoch == cache[-1][0]:
            return epoch, self.log_end_offset
        higher = next(((e, s) for e, s in cache if e > epoch), None)
        if higher is None:
            return -1, -1
        floor = None
        for e, s in cache:
            if e <= epoch:
                floor = (e, s)
        return (floor[0] if floor else epoch), higher[1]

    # -- reading ---------------------------------------------------------
    def batch_index(self, offset: int) -> int:
        """Index of the batch that contains `offset` (or the next one after it)."""
        idx = bisect_right(self._bases, offset) - 1
        if idx < 0:
            return 0
        b = self.batches[idx]
        if b.base_offset + b.last_offset_delta < offset:      # its last_offset, without the property
            return idx + 1
        return idx

    def read(self, offset: int, max_offset: int, max_bytes: int = 1 << 62) -> list[RecordBatch]:
        """Whole batches holding offsets in [offset, max_offset), up to `max_bytes`.

        The first batch is always returned even if larger than max_bytes, as
        Kafka does, so a consumer can always make progress.
        """
        out: list[RecordBatch] = []
        if offset >= max_offset:
            return out
        batches = self.batches
        size = 0
        # batch_index(offset), inline
        first = bisect_right(self._bases, offset) - 1
        if first < 0:
            first = 0
        elif batches[first].base_offset + batches[first].last_offset_delta < offset:
            first += 1
        for i in range(first, len(batches)):
            b = batches[i]
            if b.base_offset >= max_offset:
                break
            if b.base_offset + b.last_offset_delta + 1 > max_offset:     # its next_offset
                # Never hand out part of a batch above the limit as whole.
                break
            if out and size + b.size_bytes > max_bytes:
                break
            out.append(b)
            size += b.size_bytes
        return out

    def records(self, start: int | None = None, end: int | None = None) -> Iterator[tuple[int, Record, RecordBatch]]:
        """(offset, record, batch) for the records present in [start, end), never below the
        log start offset (compacted-away offsets are simply absent)."""
        start = self.log_start_offset if start is None or start < self.log_start_offset else start
        end = self.log_end_offset if end is None else end
        for i in range(self.batch_index(start), len(self.batches)):
            b = self.batches[i]
            if b.base_offset >= end:
                return
            for off, rec in b.iter_from(start):
                if off >= end:
                    return
                yield off, rec, b

    def offset_for_timestamp(self, timestamp: int) -> int | None:
        """First offset whose record timestamp is >= `timestamp` (ListOffsets by time)."""
        for b in self.batches:
            if b.max_timestamp < timestamp:
                continue
            for off, rec in b.iter_from(self.log_start_offset):
                if rec.timestamp >= timestamp:
                    return off
        return None
