"""The guarantees ledger: what producers were told, against what the logs hold.

Producers report every acknowledged batch here; `summary()` compares those
acks with the partition logs at the moment it is asked, which turns delivery
semantics into numbers (acked, acked_lost, unavailable, duplicates_in_log,
order_violations). Consumers report what their groups processed, which adds
consumed_duplicates and skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .producer_state import ProducerStateManager
from .protocol import TopicPartition
from .records import Record
from .txn_protocol import marker_committed


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


def count_inversions(seq: list[int]) -> int:
    """Pairs i < j with seq[i] > seq[j] (merge sort, O(n log n))."""
    if len(seq) < 2:
        return 0
    work = list(seq)
    buf = [0] * len(work)
    total = 0
    width = 1
    n = len(work)
    while width < n:
        for lo in range(0, n, 2 * width):
            mid = min(lo + width, n)
            hi = min(lo + 2 * width, n)
            i, j, k = lo, mid, lo
            while i < mid and j < hi:
                if work[i] <= work[j]:
                    buf[k] = work[i]
                    i += 1
                else:
                    buf[k] = work[j]
                    total += mid - i
                    j += 1
                k += 1
            buf[k:k + mid - i] = work[i:mid]
            k += mid - i
            buf[k:k + hi - j] = work[j:hi]
        work, buf = buf, work
        width *= 2
    return total


class Audit:
    def __init__(self) -> None:
        # (producer, partition, the records of one acknowledged batch, base offset)
        self._acked: list[tuple[str, TopicPartition, list[Record], int]] = []
        self.acked_count = 0
        # Consumer side, per group: how often each offset was processed, and the lowest
        # offset the group ever started a partition from (where its consumed range begins).
        self._processed: dict[str, dict[TopicPartition, dict[int, int]]] = {}
        self._starts: dict[str, dict[TopicPartition, int]] = {}
        # (producer, send serial) of records retention or the log cleaner removed, per partition:
        # they left the log on purpose (only committed records are removed), so they are not lost.
        self._removed: dict[TopicPartition, set[tuple[str, int]]] = {}

    def record_removed(self, tp: TopicPartition, removed) -> None:
        """Brokers report (batch, record) pairs that retention or compaction removed from a replica."""
        idents = [(b.origin.producer, r.trace) for b, r in removed if b.origin is not None and r.trace >= 0]
        if idents:
            self._removed.setdefault(tp, set()).update(idents)

    def record_processed(self, group: str, topic: str, partition: int, offset: int) -> None:
        counts = self._processed.setdefault(group, {}).setdefault(TopicPartition(topic, partition), {})
        counts[offset] = counts.get(offset, 0) + 1

    def records_processed(self, group: str, records) -> None:
        """`record_processed` for each of a poll's records (anything with topic, partition, offset)."""
        by_tp = self._processed.setdefault(group, {})
        counts = None
        last = None
        for r in records:
            if (r.topic, r.partition) != last:
                last = (r.topic, r.partition)
                counts = by_tp.setdefault(TopicPartition(*last), {})
            counts[r.offset] = counts.get(r.offset, 0) + 1

    def record_start(self, group: str, tp: TopicPartition, offset: int) -> None:
        starts = self._starts.setdefault(group, {})
        if offset < starts.get(tp, offset + 1):
            starts[tp] = offset

    def acked_records(self, wanted: set[tuple[str, int]]) -> dict[tuple[str, int], Record]:
        """The acknowledged records for (producer, send serial) pairs, as the producer sent them."""
        out: dict[tuple[str, int], Record] = {}
        for producer, _tp, records, _base in self._acked:
            for rec in records:
                if (producer, rec.trace) in wanted:
                    out[(producer, rec.trace)] = rec
        return out

    def record_acked(self, producer: str, tp: TopicPartition, base_offset: int, records: list[Record]) -> None:
        self._acked.append((producer, tp, records, base_offset))
        self.acked_count += len(records)

    def summary(self, cluster_view) -> AuditSummary:
        """Compare acks with the logs of `cluster_view` (an engine `ClusterView`)."""
        out = AuditSummary(acked=self.acked_count)
        present: dict[TopicPartition, set[tuple[str, int]]] = {}
        leaderless: set[TopicPartition] = set()
        for topic in cluster_view.topic_names(include_internal=True):
            for p in cluster_view.partitions(topic):
                tp = TopicPartition(topic, p.partition)
                log = cluster_view.authoritative_log(topic, p.partition)
                if p.leader < 0:
                    leaderless.add(tp)
                committed: set[tuple[str, int]] = set()
                seen: set[tuple[str, int]] = set()
                by_key: dict[tuple[str, bytes | None], list[int]] = {}
                if log is not None:
                    hw = log.high_watermark
                    for off, rec, batch in log.records():
                        if batch.origin is None or rec.trace < 0:
                            continue
                        ident = (batch.origin.producer, rec.trace)
                        if ident in seen:
                            out.duplicates_in_log += 1
                            continue
                        seen.add(ident)
                        if off < hw:
                            committed.add(ident)
                        if rec.key is not None:
                            by_key.setdefault((batch.origin.producer, rec.key), []).append(rec.trace)
                present[tp] = committed
                if log is not None:
                    out.output_duplicates += _output_duplicates(log)
                for serials in by_key.values():
                    out.order_violations += count_inversions(serials)
        for producer, tp, records, base in self._acked:
            if tp in leaderless:
                out.unavailable += len(records)
                continue
            have = present.get(tp)
            if have is None:
                continue            # the topic was deleted: its records went on purpose
            removed = self._removed.get(tp, ())
            for i, rec in enumerate(records):
                ident = (producer, rec.trace)
                if ident not in have and ident not in removed:
                    out.acked_lost += 1
                    out.lost.append(LostRecord(producer, rec.trace, tp.topic, tp.partition,
                                               base + i if base >= 0 else -1,
                                               "acknowledged, but not in the log below the high watermark"))
        self._consumer_side(cluster_view, out)
        return out

    def _consumer_side(self, cluster_view, out: AuditSummary) -> None:
        """consumed_duplicates: records a group processed more than once; skipped: records of a
        group's consumed range (from where it started to its committed offset) it never processed."""
        for counts in self._processed.values():
            for per_offset in counts.values():
                out.consumed_duplicates += sum(1 for n in per_offset.values() if n > 1)
        committed_of = getattr(cluster_view, "group_committed", None)
        if committed_of is None:
            return
        for group, starts in self._starts.items():
            committed = committed_of(group)
            done = self._processed.get(group, {})
            for tp, start in starts.items():
                end = committed.get(tp)
                log = cluster_view.authoritative_log(tp.topic, tp.partition)
                if end is None or log is None or end <= start:
                    continue
                seen = done.get(tp, {})
                aborted = _aborted_offsets(log)
                for off, _rec, batch in log.records(max(start, log.log_start_offset), min(end, log.high_watermark)):
                    # Markers and aborted records are never processed on purpose: not a loss.
                    if not batch.is_control and off not in seen and off not in aborted:
                        out.skipped += 1


def _output_duplicates(log) -> int:
    """Input records (named by their `source` header) that appear more than once among the records of
    `log` that read_committed consumers see."""
    sources: dict[bytes, int] = {}
    held: dict[int, list[bytes]] = {}          # producer id -> sources of its open transaction
    for batch in log.read(log.log_start_offset, log.high_watermark):
        if batch.is_control:
            kept = held.pop(batch.producer_id, [])
            if marker_committed(batch.records[0]):
                for src in kept:
                    sources[src] = sources.get(src, 0) + 1
            continue
        for rec in batch.records:
            src = next((v for k, v in rec.headers if k == "source"), None)
            if src is None:
                continue
            if batch.is_transactional:
                held.setdefault(batch.producer_id, []).append(src)
            else:
                sources[src] = sources.get(src, 0) + 1
    return sum(n - 1 for n in sources.values() if n > 1)


def _aborted_offsets(log) -> set[int]:
    """Offsets of records that belong to aborted transactions in `log`."""
    aborted = ProducerStateManager().sync(log).aborted
    if not aborted:
        return set()
    out: set[int] = set()
    for a in aborted:
        for off, _rec, batch in log.records(a.first_offset, a.last_offset):
            if batch.producer_id == a.producer_id and not batch.is_control:
                out.add(off)
    return out
