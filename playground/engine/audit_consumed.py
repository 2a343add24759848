"""The consumer side of the audit: records a group skipped, kept up to date call by call.

`skipped` counts, per group and partition, the data records of its consumed
range — from the lowest offset it ever started from to its committed offset,
within the log start offset and the high watermark — that it never
processed; records of aborted transactions and markers are never processed
on purpose and do not count. A `SkippedRange` remembers that count for the
range it last covered and, while the log has only been appended to (the
same `PartitionScan`), takes in only what changed: the range growing at its
end, offsets processed for the first time, transactions found aborted. Any
other change (the range starting elsewhere or ending lower, a new scan of
the log) counts the range again.
"""

from __future__ import annotations

from .audit_scan import PartitionScan


class SkippedRange:
    __slots__ = ("scan", "start", "end", "skipped", "aborted_done")

    def __init__(self, scan: PartitionScan, start: int, end: int, processed: dict[int, int]) -> None:
        self.scan = scan
        self.start = start
        self.end = end
        self.skipped = _count_unprocessed(scan, start, end, processed)
        self.aborted_done = len(scan.aborted_log)

    def follows(self, scan: PartitionScan, start: int, end: int) -> bool:
        return scan is self.scan and start == self.start and end >= self.end

    def advance(self, end: int, processed: dict[int, int], fresh: list[int]) -> None:
        """Take in offsets processed for the first time (`fresh`), newly aborted records, and the
        range grown to `end`."""
        scan, start, old_end = self.scan, self.start, self.end
        skipped = self.skipped
        aborted = scan.aborted
        # A counted record leaves the count when it is now processed and not aborted, or now aborted
        # and was not processed before (the two cases exclude each other).
        inside = [off for off in fresh if start <= off < old_end]
        for off in inside:
            if off not in aborted and scan.holds_record(off):
                skipped -= 1
        newly_aborted = scan.aborted_log[self.aborted_done:]
        if newly_aborted:
            fresh_inside = set(inside)
            for off in newly_aborted:
                # Found through the log's own records: each is a data record there.
                if start <= off < old_end and (off not in processed or off in fresh_inside):
                    skipped -= 1
            self.aborted_done = len(scan.aborted_log)
        if end > old_end:
            skipped += _count_unprocessed(scan, old_end, end, processed)
            self.end = end
        self.skipped = skipped


def _count_unprocessed(scan: PartitionScan, start: int, end: int, processed: dict[int, int]) -> int:
    """Data records at offsets in [start, end) neither processed nor aborted."""
    log = scan.log
    if log is None:
        return 0
    start = max(start, log.log_start_offset)
    if end <= start:
        return 0
    aborted = scan.aborted
    batches = log.batches
    n = 0
    for i in range(log.batch_index(start), len(batches)):
        b = batches[i]
        base = b.base_offset
        if base >= end:
            break
        # Markers and aborted records are never processed on purpose: not a loss.
        if b.is_control:
            continue
        if b.offset_deltas is None:
            offsets = set(range(max(base, start), min(base + len(b.records), end)))
        else:
            offsets = {base + d for d in b.offset_deltas if start <= base + d < end}
        unprocessed = offsets.difference(processed)
        if aborted and unprocessed:
            unprocessed.difference_update(aborted)
        n += len(unprocessed)
    return n
