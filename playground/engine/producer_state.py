"""What a partition replica knows of its producers, derived from its own log.

Kafka's `ProducerStateManager`: for every producer id that wrote to the
partition, its epoch and the sequence numbers and offsets of its last five
batches (so a retried batch is recognised as a duplicate and answered with
its original offset, and a batch that skips sequence numbers is refused
with OUT_OF_ORDER_SEQUENCE_NUMBER); the transactions still open (their
first offset bounds the last stable offset) and the aborted ones (which
read_committed consumers must skip).

The state is derived data: it is rebuilt from the log after a restart and
after truncation, and brought up to date lazily (`sync`) before it is used,
so leaders and followers share one code path and a new leader knows every
producer its log has seen.
"""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

from .errors import Errors
from .log import PartitionLog
from .records import RecordBatch
from .txn_protocol import marker_committed

# Kafka's ProducerStateEntry.NUM_BATCHES_TO_RETAIN, which is also why an idempotent
# producer may have at most 5 requests in flight per connection.
BATCHES_TO_RETAIN = 5
INT_MAX = 2**31 - 1


class BatchMetadata(NamedTuple):
    first_seq: int
    last_seq: int
    first_offset: int
    last_offset: int


class AbortedTxn(NamedTuple):
    producer_id: int
    first_offset: int
    last_offset: int            # the offset of the ABORT marker


class ProducerStateEntry:
    __slots__ = ("producer_id", "epoch", "batches", "txn_first_offset")

    def __init__(self, producer_id: int, epoch: int) -> None:
        self.producer_id = producer_id
        self.epoch = epoch
        self.batches: deque[BatchMetadata] = deque(maxlen=BATCHES_TO_RETAIN)
        self.txn_first_offset = -1            # first offset of its open transaction, or -1

    @property
    def last_seq(self) -> int:
        return self.batches[-1].last_seq if self.batches else -1


def _in_sequence(last_seq: int, next_seq: int) -> bool:
    return next_seq == last_seq + 1 or (next_seq == 0 and last_seq == INT_MAX)


class ProducerStateManager:
    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.producers: dict[int, ProducerStateEntry] = {}
        self.aborted: list[AbortedTxn] = []
        # Completed transactions whose marker is not yet below the high watermark: their
        # records are not stable yet (Kafka's unreplicatedTxns).
        self._completing: list[tuple[int, int]] = []     # (first_offset, marker offset)
        self._synced_to = 0
        self._last_batch: RecordBatch | None = None

    # -- keeping up with the log ------------------------------------------------
    def sync(self, log: PartitionLog) -> "ProducerStateManager":
        """Replay what the log gained since the last call; rebuild if it was truncated or rewritten."""
        if self._synced_to == log.log_end_offset and (self._last_batch is None or self._still_there(log)):
            return self
        if log.log_end_offset < self._synced_to or (self._last_batch is not None and not self._still_there(log)):
            self._reset()               # truncated, or rewritten by the cleaner: replay it all
        for batch in log.read(self._synced_to, log.log_end_offset):
            if batch.base_offset >= self._synced_to:
                self.replay(batch)
        self._synced_to = log.log_end_offset
        return self

    def _still_there(self, log: PartitionLog) -> bool:
        last = self._last_batch
        if last.next_offset > log.log_end_offset:
            return False
        i = log.batch_index(last.base_offset)
        return i < len(log.batches) and log.batches[i] is last

    def replay(self, batch: RecordBatch) -> None:
        self._last_batch = batch
        pid = batch.producer_id
        if pid < 0:
            return
        entry = self.producers.get(pid)
        if entry is None:
            entry = self.producers[pid] = ProducerStateEntry(pid, batch.producer_epoch)
        elif batch.producer_epoch > entry.epoch:
            entry.epoch = batch.producer_epoch
            entry.batches.clear()
        if batch.is_control:
            if entry.txn_first_offset >= 0:
                marker = batch.last_offset
                if not marker_committed(batch.records[0]):
                    self.aborted.append(AbortedTxn(pid, entry.txn_first_offset, marker))
                self._completing.append((entry.txn_first_offset, marker))
                entry.txn_first_offset = -1
            return
        if batch.base_sequence >= 0:
            # Kafka's lastSequence = baseSequence + lastOffsetDelta: right even after compaction
            # removed records from the batch.
            last_seq = batch.base_sequence + batch.last_offset - batch.base_offset
            entry.batches.append(BatchMetadata(batch.base_sequence, last_seq, batch.base_offset, batch.last_offset))
        if batch.is_transactional and entry.txn_first_offset < 0:
            entry.txn_first_offset = batch.base_offset

    # -- the leader's checks before an append -------------------------------------
    def check(self, batch: RecordBatch) -> tuple[Errors, str, int]:
        """(error, sentence, duplicate_base_offset): what the leader makes of a producer's batch.

        Kafka's ProducerAppendInfo.checkProducerEpoch / checkSequence and
        ProducerStateEntry.findDuplicateBatch. A duplicate is answered with the
        offset it was first written at (-1 when it is not a duplicate).
        """
        pid = batch.producer_id
        entry = self.producers.get(pid)
        if pid < 0 or entry is None:
            return Errors.NONE, "", -1
        if batch.producer_epoch < entry.epoch:
            return (Errors.INVALID_PRODUCER_EPOCH,
                    f"producer {pid} sent epoch {batch.producer_epoch}, but epoch {entry.epoch} has written here "
                    "since: a newer instance of this producer fenced it", -1)
        if batch.is_control or batch.base_sequence < 0:
            return Errors.NONE, "", -1
        first, last = batch.base_sequence, batch.base_sequence + batch.count - 1
        if batch.producer_epoch == entry.epoch:
            for meta in entry.batches:
                if meta.first_seq == first and meta.last_seq == last:
                    return Errors.DUPLICATE_SEQUENCE_NUMBER, (
                        f"producer {pid} already wrote sequence numbers {first}–{last} at offset "
                        f"{meta.first_offset}"), meta.first_offset
            if entry.batches and not _in_sequence(entry.last_seq, first):
                return (Errors.OUT_OF_ORDER_SEQUENCE_NUMBER,
                        f"producer {pid} sent sequence number {first}, but the last one written here is "
                        f"{entry.last_seq}; {entry.last_seq + 1} must come first", -1)
        elif first != 0:
            return (Errors.OUT_OF_ORDER_SEQUENCE_NUMBER,
                    f"producer {pid} starts epoch {batch.producer_epoch} at sequence number {first}, not 0", -1)
        return Errors.NONE, "", -1

    # -- transactions ----------------------------------------------------------------
    def first_unstable_offset(self, high_watermark: int) -> int | None:
        """The first offset of a transaction that is open, or whose marker is not yet committed."""
        self._completing = [(f, m) for f, m in self._completing if m >= high_watermark]
        firsts = [e.txn_first_offset for e in self.producers.values() if e.txn_first_offset >= 0]
        firsts.extend(f for f, _ in self._completing)
        return min(firsts) if firsts else None

    def last_stable_offset(self, high_watermark: int) -> int:
        first = self.first_unstable_offset(high_watermark)
        return high_watermark if first is None else min(first, high_watermark)

    def open_transactions(self) -> dict[int, int]:
        """producer id -> first offset of its open transaction."""
        return {pid: e.txn_first_offset for pid, e in self.producers.items() if e.txn_first_offset >= 0}

    def aborted_between(self, start: int, end: int) -> list[AbortedTxn]:
        """Aborted transactions that overlap [start, end) (what a read_committed fetch is told)."""
        return [a for a in self.aborted if a.first_offset < end and a.last_offset >= start]
