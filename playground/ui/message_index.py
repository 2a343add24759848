"""What the message browser lists, without Qt: rows of (partition, offset, record, batch), found
lazily across partitions, filtered by a search, started at a seek position, labelled with the
transaction they belong to.

Reads go through `ClusterView` (the leader's log, up to the high watermark: what a
read_uncommitted consumer can fetch). Nothing here is kept between scans but each partition's
next offset, so retention, compaction and new records are seen as they happen: a scan reopens the
logs from those positions every time.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass, field
from typing import Callable, Iterator, NamedTuple

from playground.engine.records import Record, RecordBatch
from playground.engine.txn_protocol import marker_name
from playground.scenario.loader import parse_duration

FIELDS = {"any": "key, value or header", "key": "key", "value": "value", "header": "header"}


class BrowseError(ValueError):
    """Input the browser refuses (a bad regex, an offset out of range, a time it cannot read)."""


class Row(NamedTuple):
    partition: int
    offset: int
    record: Record
    batch: RecordBatch


# -- search -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RecordFilter:
    """A substring or a regular expression, matched against the raw bytes of a record's key, value or
    headers (header names and values). Text is matched as its UTF-8 bytes."""

    text: str = ""
    where: str = "any"
    regex: bool = False
    _pattern: object = field(default=None, compare=False, repr=False)
    _matcher: object = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.where not in FIELDS:
            raise BrowseError(f"Search in {self.where!r}? Choose one of {', '.join(FIELDS)}.")
        if self.regex and self.text:
            try:
                pattern = re.compile(self.text.encode("utf-8"))
            except re.error as exc:
                raise BrowseError(f"The regular expression does not compile: {exc.msg} at position "
                                  f"{exc.pos}.") from None
        else:
            pattern = self.text.encode("utf-8")
        object.__setattr__(self, "_pattern", pattern)
        object.__setattr__(self, "_matcher", self._build_matcher())

    @property
    def empty(self) -> bool:
        return not self.text

    @property
    def matches(self) -> Callable[[Record, RecordBatch], bool]:
        """matches(record, batch): one closure per search, with the field choice and the kind of match
        decided once, since a search runs it on every record of the topic."""
        return self._matcher

    def _build_matcher(self) -> Callable[[Record, RecordBatch], bool]:
        if not self.text:
            return lambda record, batch: True
        pattern = self._pattern
        hit = (lambda data: data is not None and pattern.search(data) is not None) if self.regex else (
            lambda data: data is not None and pattern in data)
        key, value, headers = (self.where in ("any", "key"), self.where in ("any", "value"),
                               self.where in ("any", "header"))

        def matcher(record: Record, batch: RecordBatch) -> bool:
            if batch.is_control:            # markers hold no user data: a search never lists them
                return False
            if key and hit(record.key):
                return True
            if value and hit(record.value):
                return True
            if headers:
                for name, data in record.headers:
                    if hit(name.encode("utf-8")) or hit(data):
                        return True
            return False
        return matcher

    def describe(self) -> str:
        kind = f"matches /{self.text}/" if self.regex else f"contains {self.text!r}"
        return f"records whose {FIELDS[self.where]} {kind}" if self.text else "every record"


# -- scanning -----------------------------------------------------------------------------------
class RecordScan:
    """Rows of `topic`'s `partitions`, merged across partitions by timestamp (then partition, offset),
    each partition from its start offset up to its high watermark, that match `filter`.

    `scan()` hands out the next rows and remembers per partition where to go on, so it can be
    called again later, when the high watermarks have moved, and continue with the new records.
    """

    def __init__(self, view, topic: str, partitions: list[int], record_filter: RecordFilter | None = None,
                 starts: dict[int, int] | None = None) -> None:
        self.view = view
        self.topic = topic
        self.partitions = list(partitions)
        self.filter = record_filter or RecordFilter()
        self.starts = dict(starts or {})
        self.next_offsets = {p: self.starts.get(p, 0) for p in self.partitions}
        self.scanned = 0                # records looked at so far (matching or not)
        self.found = 0

    def _log(self, partition: int):
        return self.view.authoritative_log(self.topic, partition)

    def _iter(self, partition: int) -> Iterator[tuple[int, int, int, Record, RecordBatch]]:
        log = self._log(partition)
        if log is None:
            return
        # (timestamp, partition, offset) never ties, so the merge never compares records
        for off, rec, batch in log.records(self.next_offsets[partition], log.high_watermark):
            yield rec.timestamp, partition, off, rec, batch

    def remaining(self) -> bool:
        """Whether some partition has records past where the scan got to (a cheap check)."""
        for p in self.partitions:
            log = self._log(p)
            if log is not None and max(self.next_offsets[p], log.log_start_offset) < log.high_watermark:
                return True
        return False

    def scan(self, max_rows: int, max_records: int) -> list[Row]:
        """Up to `max_rows` matching rows, looking at no more than `max_records` records."""
        out: list[Row] = []
        iters = [self._iter(p) for p in self.partitions]
        merged = iters[0] if len(iters) == 1 else heapq.merge(*iters)
        matches = None if self.filter.empty else self.filter.matches
        next_offsets = self.next_offsets
        looked = 0
        for _ts, p, off, rec, batch in merged:
            next_offsets[p] = off + 1
            looked += 1
            if matches is None or matches(rec, batch):
                out.append(Row(p, off, rec, batch))
                if len(out) >= max_rows:
                    break
            if looked >= max_records:
                break
        else:
            # Everything up to the high watermarks was seen: a compacted-away tail or markers-only
            # batches must not be looked at again.
            for p in self.partitions:
                log = self._log(p)
                if log is not None:
                    self.next_offsets[p] = max(self.next_offsets[p], log.high_watermark)
        self.scanned += looked
        self.found += len(out)
        return out

    def all_rows(self, chunk: int = 50_000) -> list[Row]:
        """Every matching row from the start positions (for export): a fresh scan of its own."""
        fresh = RecordScan(self.view, self.topic, self.partitions, self.filter, self.starts)
        rows: list[Row] = []
        while True:
            got = fresh.scan(chunk, chunk)
            rows += got
            if not fresh.remaining():
                return rows

    def high_watermarks(self) -> list[int]:
        return [log.high_watermark if log is not None else -1 for log in map(self._log, self.partitions)]

    def structure(self) -> tuple:
        """Changes when rows already listed may no longer be in the logs (retention moved a log start,
        the cleaner compacted, a log was truncated below where the scan got to)."""
        sig = []
        for p in self.partitions:
            log = self._log(p)
            if log is None:
                sig.append(None)
                continue
            truncated = self.next_offsets[p] > log.high_watermark
            sig.append((log.log_start_offset, log.last_clean_ms, truncated))
        return tuple(sig)


# -- seeking ------------------------------------------------------------------------------------
def seek_offset(view, topic: str, partitions: list[int], offset: int) -> tuple[dict[int, int], str]:
    """Start positions for `offset` in each partition, and a sentence. Refused (BrowseError with Kafka's
    OFFSET_OUT_OF_RANGE) when no partition holds it, as a fetch at that offset would be."""
    ranges = {}
    for p in partitions:
        log = view.authoritative_log(topic, p)
        if log is not None:
            ranges[p] = (log.log_start_offset, log.high_watermark)
    inside = [p for p, (lo, hi) in ranges.items() if lo <= offset <= hi]
    if not inside:
        spans = ", ".join(f"{topic}/{p} has {lo}–{hi - 1}" if hi > lo else f"{topic}/{p} is empty at {lo}"
                          for p, (lo, hi) in sorted(ranges.items()))
        raise BrowseError(f"OFFSET_OUT_OF_RANGE: offset {offset} is outside what can be read "
                          f"(from the log start offset to the high watermark): {spans}. Nothing changed.")
    starts = {p: min(max(offset, lo), hi) for p, (lo, hi) in ranges.items()}
    if len(partitions) == 1:
        return starts, f"From offset {offset} of {topic}/{partitions[0]}."
    return starts, f"From offset {offset} in each partition (or its nearest readable offset)."


def parse_time(text: str) -> int:
    try:
        return parse_duration(text.strip())
    except ValueError:
        raise BrowseError(f"{text.strip()!r} is not a time: write virtual milliseconds (1500) or use a unit "
                          "(1500ms, 1.5s, 2m).") from None


def seek_timestamp(view, topic: str, partitions: list[int], timestamp: int) -> tuple[dict[int, int], str]:
    """Kafka's ListOffsets by timestamp: in each partition the first offset whose record has a timestamp
    at or after `timestamp`. A partition with none starts at its high watermark (nothing from it yet);
    with none anywhere the seek is refused and nothing changes."""
    starts, found = {}, []
    for p in partitions:
        log = view.authoritative_log(topic, p)
        if log is None:
            continue
        off = log.offset_for_timestamp(timestamp)
        if off is None or off >= log.high_watermark:
            starts[p] = log.high_watermark
        else:
            starts[p] = off
            found.append(f"{topic}/{p} from offset {off}")
    if not found:
        raise BrowseError(f"No record has a timestamp at or after {timestamp:,} ms (ListOffsets answers "
                          "offset -1). Nothing changed.")
    return starts, f"Records at or after {timestamp:,} ms: " + ", ".join(found) + "."


# -- transactions -------------------------------------------------------------------------------
class TxnLabels:
    """A record's place in a transaction, from the partition's open and aborted transactions
    (ClusterView.partition_txn)."""

    def __init__(self, view, topic: str) -> None:
        self.view = view
        self.topic = topic
        self._cache: dict[int, tuple[tuple, object]] = {}

    def _txn(self, partition: int):
        log = self.view.authoritative_log(self.topic, partition)
        if log is None:
            return None
        # Rebuilding the producer state reads every batch of the log: done once per partition until
        # `invalidate` (the panel calls it a few times a second) or until the log is rewritten.
        key = (id(log), log.log_start_offset, log.last_clean_ms)
        hit = self._cache.get(partition)
        if hit is None or hit[0] != key:
            hit = (key, self.view.partition_txn(self.topic, partition))
            self._cache[partition] = hit
        return hit[1]

    def invalidate(self) -> None:
        self._cache.clear()

    def label(self, partition: int, offset: int, record: Record, batch: RecordBatch) -> str:
        if batch.is_control:
            return f"{marker_name(record)} marker"
        if not batch.is_transactional:
            return ""
        txn = self._txn(partition)
        if txn is None:
            return "transactional"
        pid = batch.producer_id
        for a_pid, first, marker in txn.aborted:
            if a_pid == pid and first <= offset < marker:
                return "aborted"
        first = txn.open_transactions.get(pid)
        if first is not None and offset >= first:
            return "open transaction"
        return "committed"
