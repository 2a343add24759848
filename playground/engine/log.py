"""One replica's log of a partition: batches at offsets, plus its watermarks.

The log is the replica's disk: it survives a broker crash. It knows its
log start offset (first offset still kept), log end offset (next offset to
write), the high watermark this replica has learned, and the leader epoch
cache that Kafka uses to find where a follower diverged from a new leader.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Iterator

from .records import Record, RecordBatch


class PartitionLog:
    __slots__ = ("topic", "partition", "batches", "_bases", "log_start_offset",
                 "log_end_offset", "high_watermark", "epoch_cache", "size_bytes")

    def __init__(self, topic: str, partition: int) -> None:
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

    # -- writing ---------------------------------------------------------
    def append(self, batch: RecordBatch) -> None:
        """Append a batch whose offsets are already assigned."""
        if batch.base_offset != self.log_end_offset:
            raise ValueError(f"{self.topic}/{self.partition}: batch at {batch.base_offset}, "
                             f"log end is {self.log_end_offset}")
        if batch.leader_epoch >= 0 and (not self.epoch_cache or self.epoch_cache[-1][0] < batch.leader_epoch):
            self._assign_epoch(batch.leader_epoch, batch.base_offset)
        self.batches.append(batch)
        self._bases.append(batch.base_offset)
        self.log_end_offset = batch.next_offset
        self.size_bytes += batch.size_bytes

    def assign_epoch_start(self, epoch: int) -> None:
        """A new leader records where its epoch starts, before any append."""
        if not self.epoch_cache or self.epoch_cache[-1][0] < epoch:
            self._assign_epoch(epoch, self.log_end_offset)

    def _assign_epoch(self, epoch: int, start: int) -> None:
        # Kafka's LeaderEpochFileCache.maybeTruncateNonMonotonicEntries: an epoch that starts
        # where the new one starts never held a record, so it goes.
        while self.epoch_cache and self.epoch_cache[-1][1] >= start:
            self.epoch_cache.pop()
        self.epoch_cache.append((epoch, start))

    def truncate_to(self, offset: int) -> int:
        """Remove every batch that ends at or after `offset`; returns records removed.

        Like Kafka, whole batches go: the log end becomes the base offset of
        the first batch removed.
        """
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
        return removed

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
        if self.batches[idx].last_offset < offset:
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
        for i in range(self.batch_index(offset), len(batches)):
            b = batches[i]
            if b.base_offset >= max_offset:
                break
            if b.next_offset > max_offset:
                # Never hand out part of a batch above the limit as whole.
                break
            if out and size + b.size_bytes > max_bytes:
                break
            out.append(b)
            size += b.size_bytes
        return out

    def records(self, start: int | None = None, end: int | None = None) -> Iterator[tuple[int, Record, RecordBatch]]:
        start = self.log_start_offset if start is None else start
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
