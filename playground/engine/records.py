"""Records and record batches, shaped like Kafka's record batch v2.

A batch is immutable once a leader has appended it: replicas share the
object, as they would share identical bytes. A batch as written holds
contiguous offsets, `base_offset + index`. The log cleaner (compaction)
replaces a batch by a copy with some records removed: the copy keeps the
batch's base and last offset (Kafka's `lastOffsetDelta` in the batch header)
and each remaining record keeps its offset (`offset_deltas`, Kafka's
per-record offset delta), so offsets never change and gaps appear instead.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import Iterator, Sequence

# Timestamp types (the batch attribute bit in Kafka's record batch).
CREATE_TIME = "CreateTime"
LOG_APPEND_TIME = "LogAppendTime"

# Fixed bytes of a v2 batch header; per-record overhead is an estimate of the
# varint fields (length, attributes, timestamp delta, offset delta, lengths).
BATCH_OVERHEAD = 61
RECORD_OVERHEAD = 8


class Record:
    """One record: key and value are bytes or None (a null value is a tombstone).

    `trace` is the playground's own tag, not part of Kafka's format: the send
    serial the producer gave the record, so the audit can follow it.
    """

    __slots__ = ("key", "value", "headers", "timestamp", "trace")

    def __init__(self, key: bytes | None, value: bytes | None, headers: tuple = (), timestamp: int = 0,
                 trace: int = -1) -> None:
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
        self.trace = trace

    def size(self) -> int:
        n = RECORD_OVERHEAD
        if self.key is not None:
            n += len(self.key)
        if self.value is not None:
            n += len(self.value)
        for hk, hv in self.headers:
            n += 2 + len(hk) + (len(hv) if hv is not None else 0)
        return n


@dataclass(frozen=True, slots=True)
class Origin:
    """Who sent a batch, for the audit; each record's `trace` is its send serial.

    A retry resends the same records, which is how duplicates are recognised.
    """

    producer: str


class RecordBatch:
    __slots__ = (
        "base_offset", "records", "leader_epoch", "timestamp_type", "max_timestamp",
        "producer_id", "producer_epoch", "base_sequence", "size_bytes", "origin",
        "is_transactional", "is_control", "compression",
        "last_offset_delta", "offset_deltas", "delete_horizon_ms", "raw",
    )

    def __init__(
        self,
        records: list[Record],
        *,
        base_offset: int = -1,
        leader_epoch: int = -1,
        timestamp_type: str = CREATE_TIME,
        producer_id: int = -1,
        producer_epoch: int = -1,
        base_sequence: int = -1,
        size_bytes: int | None = None,
        origin: Origin | None = None,
        is_transactional: bool = False,
        is_control: bool = False,
        compression: str = "none",
        max_timestamp: int | None = None,
    ) -> None:
        self.base_offset = base_offset
        self.records = records
        self.leader_epoch = leader_epoch
        self.timestamp_type = timestamp_type
        # A batch read from bytes brings its header's maxTimestamp; otherwise it is computed (a loop:
        # batches hold a few records, and a generator costs more than the comparisons).
        if max_timestamp is None:
            max_timestamp = -1
            if records:
                max_timestamp = records[0].timestamp
                for r in records:
                    if r.timestamp > max_timestamp:
                        max_timestamp = r.timestamp
        self.max_timestamp = max_timestamp
        self.producer_id = producer_id
        self.producer_epoch = producer_epoch
        self.base_sequence = base_sequence
        self.size_bytes = size_bytes if size_bytes is not None else BATCH_OVERHEAD + sum(r.size() for r in records)
        self.origin = origin
        self.is_transactional = is_transactional
        self.is_control = is_control
        self.compression = compression
        # Kafka's lastOffsetDelta: fixed when the batch is written, kept by compaction.
        self.last_offset_delta = len(records) - 1
        # None: the records sit at base_offset + 0, 1, 2, ... (every batch until the
        # cleaner removes records from it); otherwise each record's offset - base_offset.
        self.offset_deltas: tuple[int, ...] | None = None
        # KIP-534: the time after which the cleaner may remove this batch's tombstones
        # (set by the first cleaner pass that keeps them); -1 until then.
        self.delete_horizon_ms = -1
        # The record batch v2 bytes a client sent, when the batch came off the wire: a leader
        # writes them as they are, setting only baseOffset and partitionLeaderEpoch, which lie
        # outside the CRC (Kafka's in-place offset assignment). None for every other batch.
        self.raw: bytes | None = None

    @property
    def count(self) -> int:
        """Records present in the batch (fewer than its offset span once compacted)."""
        return len(self.records)

    @property
    def last_offset(self) -> int:
        return self.base_offset + self.last_offset_delta

    @property
    def next_offset(self) -> int:
        return self.base_offset + self.last_offset_delta + 1

    @property
    def compacted(self) -> bool:
        return self.offset_deltas is not None

    def offsets(self) -> list[int]:
        """The offset of each record present, in order."""
        base = self.base_offset
        if self.offset_deltas is None:
            return list(range(base, base + len(self.records)))
        return [base + d for d in self.offset_deltas]

    def retain(self, keep: Sequence[int], delete_horizon_ms: int | None = None) -> "RecordBatch":
        """The cleaner's copy holding only the records at indices `keep` (ascending).

        Offsets, epoch, producer id and origin stay; the size shrinks by what went
        (Kafka's MemoryRecords.filterTo writes such a batch, empty ones included when
        the cleaner must keep the batch's offsets).
        """
        records = self.records
        deltas = self.offset_deltas
        kept = [records[i] for i in keep]
        keep_set = set(keep)
        size = self.size_bytes - sum(r.size() for i, r in enumerate(records) if i not in keep_set)
        out = RecordBatch(
            kept, base_offset=self.base_offset, leader_epoch=self.leader_epoch,
            timestamp_type=self.timestamp_type, producer_id=self.producer_id,
            producer_epoch=self.producer_epoch, base_sequence=self.base_sequence, size_bytes=size,
            origin=self.origin, is_transactional=self.is_transactional, is_control=self.is_control,
            compression=self.compression,
        )
        out.last_offset_delta = self.last_offset_delta
        out.offset_deltas = tuple(deltas[i] if deltas is not None else i for i in keep)
        if not kept:
            out.max_timestamp = self.max_timestamp
        out.delete_horizon_ms = self.delete_horizon_ms if delete_horizon_ms is None else delete_horizon_ms
        return out

    def stamped(self, base_offset: int, leader_epoch: int, append_time: int | None,
                recompressed: tuple[str, int] | None = None) -> "RecordBatch":
        """The copy a leader writes: offsets and epoch assigned (and LogAppendTime); `recompressed`:
        (codec, size in bytes) when the topic's compression.type makes the broker compress it anew."""
        records = self.records
        ts_type = self.timestamp_type
        if append_time is not None:
            records = [Record(r.key, r.value, r.headers, append_time, r.trace) for r in records]
            ts_type = LOG_APPEND_TIME
        out = RecordBatch(
            records, base_offset=base_offset, leader_epoch=leader_epoch, timestamp_type=ts_type,
            producer_id=self.producer_id, producer_epoch=self.producer_epoch,
            base_sequence=self.base_sequence, size_bytes=self.size_bytes, origin=self.origin,
            is_transactional=self.is_transactional, is_control=self.is_control,
            compression=self.compression,
        )
        if recompressed is not None:
            out.compression, out.size_bytes = recompressed
        elif append_time is None:
            out.raw = self.raw      # LogAppendTime rewrites timestamps inside the CRC: bytes anew
        return out

    def iter_from(self, offset: int) -> Iterator[tuple[int, Record]]:
        base = self.base_offset
        recs = self.records
        deltas = self.offset_deltas
        if deltas is None:
            for i in range(max(0, offset - base), len(recs)):
                yield base + i, recs[i]
            return
        for i in range(bisect_left(deltas, offset - base), len(recs)):
            yield base + deltas[i], recs[i]


def decode_text(data: bytes | None) -> str | None:
    """Bytes as a UTF-8 string where they decode, else as a hex escape string."""
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + data.hex()
