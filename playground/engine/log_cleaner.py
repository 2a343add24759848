"""Compaction: the log cleaner keeps the latest record of each key (Kafka's `LogCleaner` / `Cleaner`).

A compacted log has a clean head (already compacted, below the cleaner
checkpoint) and a dirty tail. The cleaner looks only at closed segments
below the high watermark: the *cleanable* range runs from the first dirty
offset to the base of the segment holding min(high watermark, active
segment's base offset) (Kafka's `LogCleanerManager.cleanableOffsets` and
`calculateCleanableBytes`). A log is cleaned when its dirty ratio —
cleanable bytes / (clean bytes + cleanable bytes) — is above
`min.cleanable.dirty.ratio`.

A pass builds a map key → latest offset over the dirty range, then rewrites
every segment below its end, grouped up to `segment.bytes` per new segment
(`Cleaner.groupSegmentsBySize`), keeping a record only if no later record
has its key. Offsets never change: batches keep their base and last offset,
records keep theirs, and gaps appear. Records without a key are dropped (a
compacted topic refuses them at produce time, INVALID_RECORD). A tombstone
(null value) survives the pass that first finds it, which stamps its batch
with a delete horizon of now + `delete.retention.ms` (KIP-534); a later pass
after that horizon removes it, so consumers have that long to see the
delete. The active segment is never touched.

Transactions (Kafka's `CleanedTransactionMetadata`): the records of an
aborted transaction are removed, and are left out of the key map, so they
never supersede anything; committed transactional records are compacted
like any other. A transaction's marker stays while any batch of its
transaction is still in the log; once none is, the next pass stamps the
marker with a delete horizon, and a pass after that horizon removes it.
The last batch of each producer id stays (emptied if need be), so its
sequence numbers and epoch survive.
"""

from __future__ import annotations

from dataclasses import dataclass

from .log import PartitionLog
from .log_segment import LogSegment
from .producer_state import AbortedTxn
from .records import RecordBatch
from .txn_protocol import marker_committed


@dataclass(frozen=True)
class CleanableRange:
    """Kafka's `LogToClean`: where the dirty part starts and ends, and the bytes on each side."""

    first_dirty_offset: int
    first_uncleanable_offset: int       # base offset of the first segment the cleaner may not touch
    clean_bytes: int
    cleanable_bytes: int

    @property
    def total_bytes(self) -> int:
        return self.clean_bytes + self.cleanable_bytes

    @property
    def dirty_ratio(self) -> float:
        total = self.total_bytes
        return self.cleanable_bytes / total if total else 0.0


@dataclass(frozen=True)
class CleanResult:
    """What one pass did to one log, for the event and the view."""

    first_dirty_offset: int
    end_offset: int                     # the new cleaner checkpoint
    dirty_ratio: float
    keys: int                           # distinct keys in the dirty range
    records_removed: int                # superseded by a later record with the same key
    tombstones_removed: int             # past their delete horizon
    tombstones_kept: int                # given a delete horizon by this pass
    null_keys_removed: int
    batches_removed: int
    segments_before: int
    segments_after: int
    bytes_before: int
    bytes_after: int
    delete_horizon_ms: int              # the horizon this pass gave new tombstones (-1: none)
    aborted_removed: int = 0            # records of aborted transactions
    markers_removed: int = 0            # transaction markers past their delete horizon
    markers_kept: int = 0               # markers given a delete horizon by this pass


def _bytes(segments: list[LogSegment]) -> int:
    return sum(s.size_bytes for s in segments)


def cleanable_range(log: PartitionLog, last_stable_offset: int | None = None) -> CleanableRange:
    lso = log.log_start_offset
    checkpoint = log.cleaner_checkpoint
    # An invalid checkpoint (below the log start, past the log end) means the whole log is dirty.
    first_dirty = checkpoint if lso <= checkpoint <= log.log_end_offset else lso
    segs = log.segments
    # Never past the last stable offset (the high watermark, lowered by open transactions: a record
    # that may yet be aborted must not supersede a committed one) nor into the active segment.
    stable = log.high_watermark if last_stable_offset is None else min(last_stable_offset, log.high_watermark)
    uncleanable = max(first_dirty, min(stable, segs[-1].base_offset))
    upper = segs[log.segment_index(uncleanable)].base_offset
    clean = [s for s in segs if s.base_offset < first_dirty]
    lo = log.segment_index(min(first_dirty, upper))
    dirty = [s for s in segs[lo:] if s.base_offset < upper]
    return CleanableRange(first_dirty, upper, _bytes(clean), _bytes(dirty))


def needs_cleaning(rng: CleanableRange, min_cleanable_ratio: float) -> bool:
    """Kafka's `grabFilthiestCompactedLog` filter: not empty, and strictly dirtier than the setting."""
    return rng.total_bytes > 0 and rng.cleanable_bytes > 0 and rng.dirty_ratio > min_cleanable_ratio


def _group_by_size(segments: list[LogSegment], max_size: int) -> list[list[LogSegment]]:
    """Kafka's `groupSegmentsBySize`: consecutive segments whose sizes add up to at most
    `segment.bytes` are cleaned into one."""
    groups: list[list[LogSegment]] = []
    for seg in segments:
        if groups and sum(s.size_bytes for s in groups[-1]) + seg.size_bytes <= max_size:
            groups[-1].append(seg)
        else:
            groups.append([seg])
    return groups


class _Transactions:
    """Kafka's `CleanedTransactionMetadata`: which batches a pass walks through belong to aborted
    transactions, and which markers no batch of their transaction still needs."""

    def __init__(self, aborted: list[AbortedTxn]) -> None:
        self._pending = sorted(aborted, key=lambda a: a.first_offset)
        self._next = 0
        self._aborting: dict[int, list] = {}         # producer id -> [AbortedTxn, a batch of it seen]
        self._committing: set[int] = set()            # producer ids with a committed batch seen

    def _reach(self, offset: int) -> None:
        pending = self._pending
        while self._next < len(pending) and pending[self._next].first_offset <= offset:
            txn = pending[self._next]
            self._aborting[txn.producer_id] = [txn, False]
            self._next += 1

    def aborted(self, batch: RecordBatch) -> bool:
        """A data batch read: True when it belongs to an aborted transaction."""
        if not batch.is_transactional:
            return False
        self._reach(batch.last_offset)
        ongoing = self._aborting.get(batch.producer_id)
        if ongoing is not None:
            ongoing[1] = True
            return True
        self._committing.add(batch.producer_id)
        return False

    def marker_discardable(self, batch: RecordBatch) -> bool:
        """A control batch read: True when no batch of its transaction was met (it is no longer needed)."""
        self._reach(batch.last_offset)
        pid = batch.producer_id
        if not batch.records:
            return False
        if marker_committed(batch.records[0]):
            seen = pid in self._committing
            self._committing.discard(pid)
            return not seen
        ongoing = self._aborting.pop(pid, None)
        return ongoing is None or not ongoing[1]


class _Filter:
    """Kafka's `cleanInto` record filter for one pass."""

    def __init__(self, offset_map: dict, end_offset: int, now: int, delete_retention_ms: int,
                 last_of_producer: dict[int, RecordBatch], removed: list | None,
                 aborted: list[AbortedTxn] = ()) -> None:
        self.offset_map = offset_map
        self.txns = _Transactions(list(aborted))
        self.aborted_removed = self.markers_removed = self.markers_kept = 0
        self.removed_records = removed
        self.end_offset = end_offset
        self.now = now
        self.horizon = now + delete_retention_ms
        self.last_of_producer = last_of_producer
        self.removed = self.tombstones_removed = self.tombstones_kept = self.null_keys = 0
        self.batches_removed = 0
        self.horizon_set = False

    def batch(self, batch: RecordBatch) -> RecordBatch | None:
        if batch.is_control:
            return self._marker(batch)
        if batch.base_offset < self.end_offset and self.txns.aborted(batch):
            # An aborted transaction's records go whole: no read_committed consumer may ever see them.
            self.aborted_removed += len(batch.records)
            return self._emptied(batch, [], None)
        latest = self.offset_map
        now = self.now
        base = batch.base_offset
        deltas = batch.offset_deltas
        records = batch.records
        keep: list[int] = []
        tombstones = 0
        for i, rec in enumerate(records):
            off = base + (deltas[i] if deltas is not None else i)
            if off >= self.end_offset:
                keep.append(i)
                continue
            if rec.key is None:
                self.null_keys += 1
                continue
            if latest.get(rec.key, -1) > off:
                self.removed += 1
                continue
            if rec.value is None:
                if 0 <= batch.delete_horizon_ms <= now:
                    self.tombstones_removed += 1
                    continue
                tombstones += 1
            keep.append(i)
        set_horizon = tombstones > 0 and batch.delete_horizon_ms < 0
        if set_horizon:
            self.tombstones_kept += tombstones
            self.horizon_set = True
        if len(keep) == len(records) and not set_horizon:
            return batch            # nothing changed: the very same batch, shared with other replicas
        return self._emptied(batch, keep, self.horizon if set_horizon else None)

    def _last_of_producer(self, batch: RecordBatch) -> bool:
        return batch.producer_id >= 0 and self.last_of_producer.get(batch.producer_id) is batch

    def _emptied(self, batch: RecordBatch, keep: list[int], horizon: int | None) -> RecordBatch | None:
        """`batch` with only the records at `keep`, or None when it goes altogether."""
        records = batch.records
        if self.removed_records is not None and len(keep) < len(records):
            kept = set(keep)
            self.removed_records.extend((batch, r) for i, r in enumerate(records) if i not in kept)
        if not keep:
            # An emptied batch goes, unless it must keep its offsets: the last batch of the pass
            # (so the log end of the cleaned part is known) or an idempotent producer's last batch
            # (its sequence numbers; Kafka's BatchRetention.RETAIN_EMPTY).
            if batch.next_offset != self.end_offset and not self._last_of_producer(batch):
                self.batches_removed += 1
                return None
        return batch.retain(keep, horizon)

    def _marker(self, batch: RecordBatch) -> RecordBatch | None:
        """A transaction marker: kept while its transaction has batches in the log, then given a delete
        horizon, then removed once that has passed (Kafka's control-batch retention, KIP-534)."""
        if batch.base_offset >= self.end_offset or not self.txns.marker_discardable(batch):
            return batch
        if self._last_of_producer(batch) or batch.next_offset == self.end_offset:
            return batch                    # the producer's last batch, or the end of the cleaned part
        if batch.delete_horizon_ms < 0:
            self.markers_kept += 1
            self.horizon_set = True
            return batch.retain(range(len(batch.records)), self.horizon)
        if batch.delete_horizon_ms <= self.now:
            self.markers_removed += 1
            self.batches_removed += 1
            return None
        return batch


def clean(log: PartitionLog, now: int, *, delete_retention_ms: int, segment_bytes: int,
          rng: CleanableRange | None = None, removed: list | None = None,
          aborted: list[AbortedTxn] = ()) -> CleanResult | None:
    """One cleaner pass over `log` (Kafka's `Cleaner.doClean`); None when there is nothing to clean.

    `removed`, when given, collects (batch, record) for every record the pass removed. `aborted`: the
    log's aborted transactions (its producer state's, Kafka's transaction index).
    """
    rng = rng or cleanable_range(log)
    start, upper = rng.first_dirty_offset, rng.first_uncleanable_offset
    if upper <= start:
        return None
    # Build the offset map (Kafka's buildOffsetMap): key -> its latest offset in the dirty range.
    offset_map: dict[bytes, int] = {}
    mapping = _Transactions(list(aborted))
    end_offset = start
    batches = log.batches
    for i in range(log.batch_index(start), len(batches)):
        batch = batches[i]
        if batch.base_offset >= upper:
            break
        # Markers and the records of aborted transactions stay out of the map (Kafka's buildOffsetMap):
        # an aborted record must never make a committed one with its key look superseded.
        if batch.is_control:
            mapping.marker_discardable(batch)
        elif not mapping.aborted(batch):
            for off, rec in batch.iter_from(start):
                if rec.key is not None:
                    offset_map[rec.key] = off
        end_offset = batch.next_offset
    if end_offset <= start:
        return None
    segs = log.segments
    k = 0
    while k < len(segs) - 1 and segs[k].base_offset < end_offset:
        k += 1
    source = segs[:k]
    last_of_producer: dict[int, RecordBatch] = {}
    for batch in batches:
        if batch.producer_id >= 0:
            last_of_producer[batch.producer_id] = batch
    keep = _Filter(offset_map, end_offset, now, delete_retention_ms, last_of_producer, removed, aborted)
    cleaned: list[LogSegment] = []
    for group in _group_by_size(source, segment_bytes):
        out = LogSegment(group[0].base_offset, group[0].created_ms)
        for seg in group:
            for batch in seg.batches:
                kept = keep.batch(batch)
                if kept is not None:
                    out.add(kept, None)
        # The cleaned file keeps the last source file's modification time (Kafka's cleanSegments).
        out.last_modified_ms = group[-1].last_modified_ms
        cleaned.append(out)
    bytes_before = _bytes(source)
    log.replace_segments(0, k, cleaned)
    log.cleaner_checkpoint = end_offset
    log.last_clean_ms = now
    return CleanResult(start, end_offset, rng.dirty_ratio, len(offset_map), keep.removed, keep.tombstones_removed,
                       keep.tombstones_kept, keep.null_keys, keep.batches_removed, len(source), len(cleaned),
                       bytes_before, _bytes(cleaned), keep.horizon if keep.horizon_set else -1,
                       keep.aborted_removed, keep.markers_removed, keep.markers_kept)
