"""One segment of a replica's log: the unit that retention deletes and the cleaner rewrites.

Kafka keeps a partition's log as a series of segment files (`00000000000000000000.log`,
...), named by their base offset; the last one is the *active* segment, the only one
written to. A segment is closed (rolled) when the next batch would make it larger than
`segment.bytes`, or once `segment.ms` has passed since its first record (Kafka's
`LogSegment.shouldRoll`). Retention deletes whole closed segments; the log cleaner
rewrites closed segments below the active one.
"""

from __future__ import annotations

from .records import RecordBatch

ROLL_BY_BYTES = "segment.bytes"
ROLL_BY_TIME = "segment.ms"


class LogSegment:
    __slots__ = ("base_offset", "next_offset", "batches", "size_bytes", "created_ms", "last_modified_ms",
                 "max_timestamp", "record_count", "rolling_timestamp")

    def __init__(self, base_offset: int, created_ms: int = 0) -> None:
        self.base_offset = base_offset
        self.next_offset = base_offset          # one past the last offset written to it
        self.batches: list[RecordBatch] = []
        self.size_bytes = 0
        self.created_ms = created_ms
        self.last_modified_ms = created_ms      # the file's mtime: when it was last written
        self.max_timestamp = -1                 # largest record timestamp (Kafka's maxTimestampSoFar)
        self.record_count = 0
        # Kafka's rollingBasedTimestamp: the largest timestamp of the first batch written,
        # from which segment.ms is counted (-1 while empty or when records carry none).
        self.rolling_timestamp = -1

    def __repr__(self) -> str:
        return (f"LogSegment(base={self.base_offset}, next={self.next_offset}, size={self.size_bytes}, "
                f"records={self.record_count})")

    def add(self, batch: RecordBatch, now: int | None) -> None:
        if not self.batches:
            self.rolling_timestamp = batch.max_timestamp
        self.batches.append(batch)
        self.size_bytes += batch.size_bytes
        self.next_offset = batch.next_offset
        self.record_count += len(batch.records)
        if batch.max_timestamp > self.max_timestamp:
            self.max_timestamp = batch.max_timestamp
        if now is not None:
            self.last_modified_ms = now

    def recompute(self) -> None:
        """Totals again from the batches (after truncation or cleaning)."""
        batches = self.batches
        self.size_bytes = sum(b.size_bytes for b in batches)
        self.record_count = sum(len(b.records) for b in batches)
        self.max_timestamp = max((b.max_timestamp for b in batches), default=-1)
        if batches:
            self.next_offset = batches[-1].next_offset
            self.rolling_timestamp = batches[0].max_timestamp
        else:
            self.next_offset = self.base_offset
            self.rolling_timestamp = -1

    # -- rolling ------------------------------------------------------------------
    def time_waited_for_roll(self, now: int, message_timestamp: int) -> int:
        """Kafka's `LogSegment.timeWaitedForRoll`: by record timestamps when the first batch
        has one (the new batch's timestamp minus the first's), else since the segment was created."""
        if self.rolling_timestamp >= 0:
            return message_timestamp - self.rolling_timestamp
        return now - self.created_ms

    def should_roll(self, batch: RecordBatch, now: int, segment_bytes: int, segment_ms: int) -> str | None:
        """Which setting makes `batch` go to a new segment (Kafka's `LogSegment.shouldRoll`), or None.

        A segment that is still empty never rolls: Kafka would only replace it by an
        identical empty one.
        """
        size = self.size_bytes
        if size == 0:
            return None
        if size > segment_bytes - batch.size_bytes:
            return ROLL_BY_BYTES
        # time_waited_for_roll, inline (every append asks)
        waited = batch.max_timestamp - self.rolling_timestamp if self.rolling_timestamp >= 0 \
            else now - self.created_ms
        if waited > segment_ms:
            return ROLL_BY_TIME
        return None

    # -- retention ---------------------------------------------------------------------
    def largest_timestamp(self) -> int:
        """Kafka's `LogSegment.largestTimestamp`: the newest record's timestamp, or the file's
        last-modified time when records carry no timestamp."""
        return self.max_timestamp if self.max_timestamp >= 0 else self.last_modified_ms
