"""The audit's running read of one partition's authoritative log.

`Audit.summary` used to read every record of every log on every call. A
`PartitionScan` instead remembers what it has read of one log object —
which (producer, send serial) pairs are present and at which offset each
first appears relative to the high watermark, duplicates, per-key serial
order, what read_committed consumers see of pipeline outputs — and on each
call reads only the records appended since. That stays right as long as
the log has only been appended to and its high watermark has only risen;
anything else (truncation, retention or DeleteRecords moving the log start
offset, the cleaner rewriting segments, another replica's log becoming the
authoritative one) makes `Audit` start a new scan of that partition
(`PartitionLog.rewrites` says when).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import deque

from .log import PartitionLog
from .producer_state import ProducerStateManager
from .txn_protocol import marker_committed


class PartitionScan:
    __slots__ = ("log", "rewrites", "log_start", "scanned_to", "hw", "seen", "pending", "uncommitted",
                 "duplicates", "serials", "order_violations", "read_to", "sources", "held",
                 "output_duplicates", "_producer_state", "_aborted_done", "aborted", "aborted_log",
                 "records_read")

    def __init__(self, log: PartitionLog | None) -> None:
        self.log = log
        self.rewrites = log.rewrites if log is not None else 0
        self.log_start = log.log_start_offset if log is not None else 0
        self.scanned_to = self.log_start        # next offset to read for the producer side
        self.hw = 0                             # the high watermark `uncommitted` was judged against
        # producer -> send serials present in the log (the first copy of each counts)
        self.seen: dict[str, set[int]] = {}
        # First copies at or above the high watermark, in offset order: (offset, producer, serial).
        self.pending: deque[tuple[int, str, int]] = deque()
        self.uncommitted: dict[str, set[int]] = {}          # the same, per producer
        self.duplicates = 0
        self.records_read = 0                   # what this scan has cost so far, in records
        # producer -> key -> the serials of that key's first copies, sorted (an int while there is
        # one): an append counts the earlier serials above its own, which keeps the inversion count
        # of the key's serials in log order exact.
        self.serials: dict[str, dict[bytes, int | list[int]]] = {}
        self.order_violations = 0
        # Pipeline outputs as read_committed consumers see them, read batch by batch below the HW.
        self.read_to = self.log_start
        self.sources: dict[bytes, int] = {}
        self.held: dict[int, list[bytes]] = {}      # producer id -> sources of its open transaction
        self.output_duplicates = 0
        # Offsets of records in aborted transactions (only for partitions a group consumes).
        self._producer_state: ProducerStateManager | None = None
        self._aborted_done = 0
        self.aborted: set[int] = set()
        self.aborted_log: list[int] = []            # the same offsets, in the order they were found

    def follows(self, log: PartitionLog | None) -> bool:
        """Whether this scan can go on from where it stopped: same log, only appended to since."""
        if log is not self.log:
            return False
        return log is None or (log.rewrites == self.rewrites and log.log_start_offset == self.log_start
                               and log.high_watermark >= self.hw and log.log_end_offset >= self.scanned_to)

    def committed(self, producer: str, serial: int) -> bool:
        """Present in the log, its first copy below the high watermark."""
        got = self.seen.get(producer)
        if got is None or serial not in got:
            return False
        above = self.uncommitted.get(producer)
        return above is None or serial not in above

    def advance(self) -> None:
        """Take in what the log gained since the last call: a higher HW, appended records."""
        log = self.log
        if log is None:
            return
        hw = log.high_watermark
        pending = self.pending
        if hw > self.hw:
            uncommitted = self.uncommitted
            while pending and pending[0][0] < hw:
                _off, producer, serial = pending.popleft()
                uncommitted[producer].discard(serial)
            self.hw = hw
        if log.log_end_offset > self.scanned_to:
            self._read_records(log, hw)
        self._read_outputs(log, hw)

    def _read_records(self, log: PartitionLog, hw: int) -> None:
        start = self.scanned_to
        batches = log.batches
        seen, serials, pending, uncommitted = self.seen, self.serials, self.pending, self.uncommitted
        duplicates = inversions = read = 0
        for i in range(log.batch_index(start), len(batches)):
            b = batches[i]
            origin = b.origin
            if origin is None:
                continue
            producer = origin.producer
            got = seen.get(producer)
            if got is None:
                got = seen[producer] = set()
                by_key = serials[producer] = {}
            else:
                by_key = serials[producer]
            base = b.base_offset
            if base < start:                     # the first batch may begin below where we start
                pairs = list(b.iter_from(start))
                read += len(pairs)
            elif b.offset_deltas is None:
                pairs = enumerate(b.records, base)
                read += len(b.records)
            else:
                pairs = zip([base + d for d in b.offset_deltas], b.records)
                read += len(b.records)
            for off, rec in pairs:
                serial = rec.trace
                if serial < 0:
                    continue
                if serial in got:
                    duplicates += 1
                    continue
                got.add(serial)
                if off >= hw:
                    pending.append((off, producer, serial))
                    above = uncommitted.get(producer)
                    if above is None:
                        above = uncommitted[producer] = set()
                    above.add(serial)
                key = rec.key
                if key is None:
                    continue
                earlier = by_key.get(key)
                if earlier is None:
                    by_key[key] = serial
                elif earlier.__class__ is int:
                    if serial > earlier:
                        by_key[key] = [earlier, serial]
                    else:
                        by_key[key] = [serial, earlier]
                        inversions += 1
                elif serial > earlier[-1]:
                    earlier.append(serial)
                else:
                    # An earlier serial of this key above this one: each such pair is out of order.
                    at = bisect_right(earlier, serial)
                    inversions += len(earlier) - at
                    earlier.insert(at, serial)
        self.scanned_to = log.log_end_offset
        self.records_read += read
        self.duplicates += duplicates
        self.order_violations += inversions

    def _read_outputs(self, log: PartitionLog, hw: int) -> None:
        """Input records (named by their `source` header) that read_committed consumers see more than
        once: whole batches below the HW, a transaction's records counted when its COMMIT comes."""
        if self.read_to >= hw:
            return
        batches = log.batches
        sources, held = self.sources, self.held
        dups = 0
        i = log.batch_index(self.read_to)
        n = len(batches)
        while i < n:
            batch = batches[i]
            if batch.next_offset > hw:
                break
            i += 1
            self.read_to = batch.next_offset
            if batch.is_control:
                kept = held.pop(batch.producer_id, [])
                if marker_committed(batch.records[0]):
                    for src in kept:
                        seen = sources.get(src, 0)
                        sources[src] = seen + 1
                        if seen:
                            dups += 1
                continue
            transactional = batch.is_transactional
            for rec in batch.records:
                headers = rec.headers
                if not headers:
                    continue
                src = next((v for k, v in headers if k == "source"), None)
                if src is None:
                    continue
                if transactional:
                    held.setdefault(batch.producer_id, []).append(src)
                else:
                    seen = sources.get(src, 0)
                    sources[src] = seen + 1
                    if seen:
                        dups += 1
        self.output_duplicates += dups

    def sync_aborted(self) -> None:
        """Bring `aborted` up to date: the records of transactions whose ABORT marker the log holds."""
        log = self.log
        if log is None:
            return
        if self._producer_state is None:
            self._producer_state = ProducerStateManager()
        txns = self._producer_state.sync(log).aborted
        for a in txns[self._aborted_done:]:
            for off, _rec, batch in log.records(a.first_offset, a.last_offset):
                if batch.producer_id == a.producer_id and not batch.is_control and off not in self.aborted:
                    self.aborted.add(off)
                    self.aborted_log.append(off)
        self._aborted_done = len(txns)

    def holds_record(self, offset: int) -> bool:
        """A data record (not a marker) sits at `offset`, at or above the log start offset."""
        log = self.log
        if log is None or offset < log.log_start_offset:
            return False
        i = log.batch_index(offset)
        if i >= len(log.batches):
            return False
        b = log.batches[i]
        if b.is_control or not b.base_offset <= offset <= b.last_offset:
            return False
        delta = offset - b.base_offset
        deltas = b.offset_deltas
        if deltas is None:
            return delta < len(b.records)
        at = bisect_left(deltas, delta)
        return at < len(deltas) and deltas[at] == delta
