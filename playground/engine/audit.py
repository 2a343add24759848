"""The guarantees ledger: what producers were told, against what the logs hold.

Producers report every acknowledged batch here; `summary()` compares those
acks with the partition logs at the moment it is asked, which turns delivery
semantics into numbers (acked, acked_lost, unavailable, duplicates_in_log,
order_violations). Consumers report what their groups processed, which adds
consumed_duplicates and skipped.

`summary()` is asked often (the guarantees panel refreshes while time runs)
and logs may hold a million records, so it works incrementally: per
partition a `PartitionScan` (audit_scan.py) reads only what the log gained
since the last call, an `AckedPartition` judges only the acks that came
since (and re-judges the ones still missing), and a `SkippedRange`
(audit_consumed.py) per group and partition counts only what its consumed
range gained. A log changed other than by appending is read again, for that
partition only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .audit_consumed import SkippedRange
from .audit_scan import PartitionScan
from .protocol import TopicPartition
from .records import Record

LOST_REASON = "acknowledged, but not in the log below the high watermark"


@dataclass
class LostRecord:
    producer: str
    serial: int
    topic: str
    partition: int
    offset: int
    reason: str


@dataclass
class AuditSummary:
    acked: int = 0
    acked_lost: int = 0
    unavailable: int = 0
    duplicates_in_log: int = 0
    order_violations: int = 0
    consumed_duplicates: int = 0
    skipped: int = 0
    # Records a consume-transform-produce pipeline wrote to its output more than once for one input
    # record, counting only what read_committed consumers see (committed, or not transactional).
    output_duplicates: int = 0
    lost: list[LostRecord] = field(default_factory=list)

    def as_report(self) -> dict[str, int]:
        return {"acked": self.acked, "acked_lost": self.acked_lost, "unavailable": self.unavailable,
                "duplicates_in_log": self.duplicates_in_log, "order_violations": self.order_violations,
                "consumed_duplicates": self.consumed_duplicates, "skipped": self.skipped,
                "output_duplicates": self.output_duplicates}


class AckedPartition:
    """The acks of one partition, and which of their records its log does not hold (yet).

    `missing` maps (ack number, index in the batch) to the record's LostRecord, in ack order:
    an acked record neither committed in the log (its first copy below the high watermark)
    nor removed there on purpose by retention or the cleaner.
    """

    __slots__ = ("tp", "acks", "records", "judged", "scan", "missing")

    def __init__(self, tp: TopicPartition) -> None:
        self.tp = tp
        self.acks: list[tuple[int, str, list[Record], int]] = []    # (ack number, producer, records, base)
        self.records = 0
        self.judged = 0                 # acks judged against `scan`
        self.scan: PartitionScan | None = None
        self.missing: dict[tuple[int, int], LostRecord] = {}

    def forget(self) -> None:
        """The partition is gone (its topic deleted): judge every ack again if it comes back."""
        self.scan = None
        self.judged = 0
        self.missing = {}

    def judge(self, scan: PartitionScan, removed: set[tuple[str, int]]) -> None:
        if scan is not self.scan:
            self.forget()
            self.scan = scan
        elif self.missing:
            # Still missing? A higher HW, a late follower copy or a removal may have settled it.
            committed = scan.committed
            self.missing = {k: lost for k, lost in self.missing.items()
                            if not committed(lost.producer, lost.serial)
                            and (lost.producer, lost.serial) not in removed}
        acks = self.acks
        if self.judged == len(acks):
            return
        tp = self.tp
        seen, uncommitted, missing = scan.seen, scan.uncommitted, self.missing
        empty: set[int] = set()
        for seq, producer, records, base in acks[self.judged:]:
            got = seen.get(producer, empty)
            above = uncommitted.get(producer, empty)
            for i, rec in enumerate(records):
                serial = rec.trace
                if serial in got and serial not in above:
                    continue
                if (producer, serial) in removed:
                    continue
                missing[(seq, i)] = LostRecord(producer, serial, tp.topic, tp.partition,
                                               base + i if base >= 0 else -1, LOST_REASON)
        self.judged = len(acks)


class Audit:
    def __init__(self) -> None:
        # (producer, partition, the records of one acknowledged batch, base offset), in ack order
        self._acked: list[tuple[str, TopicPartition, list[Record], int]] = []
        self.acked_count = 0
        self._by_partition: dict[TopicPartition, AckedPartition] = {}
        self._scans: dict[TopicPartition, PartitionScan] = {}
        # Consumer side, per group: how often each offset was processed, and the lowest
        # offset the group ever started a partition from (where its consumed range begins).
        self._processed: dict[str, dict[TopicPartition, dict[int, int]]] = {}
        self._starts: dict[str, dict[TopicPartition, int]] = {}
        # Offsets processed for the first time since the last summary, per group and partition.
        self._fresh: dict[str, dict[TopicPartition, list[int]]] = {}
        self._skipped: dict[tuple[str, TopicPartition], SkippedRange] = {}
        self.consumed_duplicates = 0    # offsets some group processed more than once
        # (producer, send serial) of records retention or the log cleaner removed, per partition:
        # they left the log on purpose (only committed records are removed), so they are not lost.
        self._removed: dict[TopicPartition, set[tuple[str, int]]] = {}

    def record_removed(self, tp: TopicPartition, removed) -> None:
        """Brokers report (batch, record) pairs that retention or compaction removed from a replica."""
        idents = [(b.origin.producer, r.trace) for b, r in removed if b.origin is not None and r.trace >= 0]
        if idents:
            self._removed.setdefault(tp, set()).update(idents)

    def record_processed(self, group: str, topic: str, partition: int, offset: int) -> None:
        tp = TopicPartition(topic, partition)
        counts = self._processed.setdefault(group, {}).setdefault(tp, {})
        n = counts.get(offset, 0)
        counts[offset] = n + 1
        if n == 0:
            self._fresh.setdefault(group, {}).setdefault(tp, []).append(offset)
        elif n == 1:
            self.consumed_duplicates += 1

    def records_processed(self, group: str, records) -> None:
        """`record_processed` for each of a poll's records (anything with topic, partition, offset)."""
        by_tp = self._processed.setdefault(group, {})
        fresh_by_tp = self._fresh.setdefault(group, {})
        counts: dict[int, int] = {}
        fresh: list[int] = []
        last = None
        twice = 0
        for r in records:
            if (r.topic, r.partition) != last:
                last = (r.topic, r.partition)
                tp = TopicPartition(*last)
                counts = by_tp.setdefault(tp, {})
                fresh = fresh_by_tp.setdefault(tp, [])
            off = r.offset
            n = counts.get(off, 0)
            counts[off] = n + 1
            if n == 0:
                fresh.append(off)
            elif n == 1:
                twice += 1
        self.consumed_duplicates += twice

    def record_start(self, group: str, tp: TopicPartition, offset: int) -> None:
        starts = self._starts.setdefault(group, {})
        if offset < starts.get(tp, offset + 1):
            starts[tp] = offset

    def acked_records(self, wanted: set[tuple[str, int]]) -> dict[tuple[str, int], Record]:
        """The acknowledged records for (producer, send serial) pairs, as the producer sent them."""
        # The pairs asked for are usually the lost ones of the last summary: look there first (and
        # at acks not judged yet, which come later in ack order), else read every ack. That holds
        # because a send serial names one record sent to one partition (a retry resends it there),
        # whose acks are all missing or all not.
        out: dict[tuple[str, int], Record] = {}
        if any(serial < 0 for _producer, serial in wanted):
            return self._all_acked_records(wanted)
        for part in self._by_partition.values():
            for (seq, i), lost in part.missing.items():
                ident = (lost.producer, lost.serial)
                if ident in wanted:
                    out[ident] = self._acked[seq][2][i]
            for _seq, producer, records, _base in part.acks[part.judged:]:
                for rec in records:
                    if (producer, rec.trace) in wanted:
                        out[(producer, rec.trace)] = rec
        return out if len(out) == len(wanted) else self._all_acked_records(wanted)

    def _all_acked_records(self, wanted: set[tuple[str, int]]) -> dict[tuple[str, int], Record]:
        out: dict[tuple[str, int], Record] = {}
        for producer, _tp, records, _base in self._acked:
            for rec in records:
                if (producer, rec.trace) in wanted:
                    out[(producer, rec.trace)] = rec
        return out

    def record_acked(self, producer: str, tp: TopicPartition, base_offset: int, records: list[Record]) -> None:
        part = self._by_partition.get(tp)
        if part is None:
            part = self._by_partition[tp] = AckedPartition(tp)
        part.acks.append((len(self._acked), producer, records, base_offset))
        part.records += len(records)
        self._acked.append((producer, tp, records, base_offset))
        self.acked_count += len(records)

    def summary(self, cluster_view) -> AuditSummary:
        """Compare acks with the logs of `cluster_view` (an engine `ClusterView`)."""
        out = AuditSummary(acked=self.acked_count, consumed_duplicates=self.consumed_duplicates)
        scans: dict[TopicPartition, PartitionScan] = {}
        leaderless: set[TopicPartition] = set()
        for topic in cluster_view.topic_names(include_internal=True):
            for p in cluster_view.partitions(topic):
                tp = TopicPartition(topic, p.partition)
                if p.leader < 0:
                    leaderless.add(tp)
                log = cluster_view.authoritative_log(topic, p.partition)
                scan = self._scans.get(tp)
                if scan is None or not scan.follows(log):
                    scan = PartitionScan(log)       # new, or changed other than by appending: read anew
                scan.advance()
                scans[tp] = scan
                out.duplicates_in_log += scan.duplicates
                out.order_violations += scan.order_violations
                out.output_duplicates += scan.output_duplicates
        self._scans = scans
        lost: list[tuple[tuple[int, int], LostRecord]] = []
        no_removals: set[tuple[str, int]] = set()
        for tp, part in self._by_partition.items():
            scan = scans.get(tp)
            if scan is None:
                part.forget()       # the topic was deleted: its records went on purpose
                continue
            part.judge(scan, self._removed.get(tp, no_removals))
            if tp in leaderless:
                out.unavailable += part.records
            else:
                lost.extend(part.missing.items())
        lost.sort(key=lambda item: item[0])
        out.lost = [item[1] for item in lost]
        out.acked_lost = len(out.lost)
        out.skipped = self._skipped_records(cluster_view, scans)
        return out

    def _skipped_records(self, cluster_view, scans: dict[TopicPartition, PartitionScan]) -> int:
        """Records of a group's consumed range (from where it started to its committed offset) it
        never processed (see audit_consumed.py)."""
        committed_of = getattr(cluster_view, "group_committed", None)
        ranges: dict[tuple[str, TopicPartition], SkippedRange] = {}
        total = 0
        for group, starts in (self._starts.items() if committed_of is not None else ()):
            committed = committed_of(group)
            done = self._processed.get(group, {})
            fresh_by_tp = self._fresh.get(group, {})
            for tp, start in starts.items():
                end = committed.get(tp)
                scan = scans.get(tp)
                if end is None or scan is None or scan.log is None or end <= start:
                    continue
                log = scan.log
                lo = max(start, log.log_start_offset)
                hi = max(lo, min(end, log.high_watermark))        # an empty range stays at its start
                scan.sync_aborted()
                processed = done.get(tp, {})
                fresh = fresh_by_tp.get(tp, [])
                rng = self._skipped.get((group, tp))
                if rng is not None and rng.follows(scan, lo, hi):
                    rng.advance(hi, processed, fresh)
                else:
                    rng = SkippedRange(scan, lo, hi, processed)
                fresh.clear()
                ranges[(group, tp)] = rng
                total += rng.skipped
        # A range not carried on this time (no commit yet, the log gone) is counted anew when it
        # is next asked for, so what was processed meanwhile needs no remembering.
        self._skipped = ranges
        for fresh_by_tp in self._fresh.values():
            for fresh in fresh_by_tp.values():
                fresh.clear()
        return total
