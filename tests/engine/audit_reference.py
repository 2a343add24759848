"""The audit as it was before it became incremental: every call reads every log and every ack.

Kept as the reference that `Audit.summary` must agree with, number for number and lost
record for lost record (tests/engine/test_audit_incremental.py). It reads the ledger's
raw bookkeeping (`_acked`, `_removed`, `_processed`, `_starts`), which `Audit` keeps as it was.
"""

from __future__ import annotations

from playground.engine.audit import Audit, AuditSummary, LostRecord
from playground.engine.producer_state import ProducerStateManager
from playground.engine.protocol import TopicPartition
from playground.engine.txn_protocol import marker_committed


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


def reference_summary(audit: Audit, cluster_view) -> AuditSummary:
    out = AuditSummary(acked=audit.acked_count)
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
    for producer, tp, records, base in audit._acked:
        if tp in leaderless:
            out.unavailable += len(records)
            continue
        have = present.get(tp)
        if have is None:
            continue
        removed = audit._removed.get(tp, ())
        for i, rec in enumerate(records):
            ident = (producer, rec.trace)
            if ident not in have and ident not in removed:
                out.acked_lost += 1
                out.lost.append(LostRecord(producer, rec.trace, tp.topic, tp.partition,
                                           base + i if base >= 0 else -1,
                                           "acknowledged, but not in the log below the high watermark"))
    _consumer_side(audit, cluster_view, out)
    return out


def _consumer_side(audit: Audit, cluster_view, out: AuditSummary) -> None:
    for counts in audit._processed.values():
        for per_offset in counts.values():
            out.consumed_duplicates += sum(1 for n in per_offset.values() if n > 1)
    committed_of = getattr(cluster_view, "group_committed", None)
    if committed_of is None:
        return
    for group, starts in audit._starts.items():
        committed = committed_of(group)
        done = audit._processed.get(group, {})
        for tp, start in starts.items():
            end = committed.get(tp)
            log = cluster_view.authoritative_log(tp.topic, tp.partition)
            if end is None or log is None or end <= start:
                continue
            seen = done.get(tp, {})
            aborted = _aborted_offsets(log)
            for off, _rec, batch in log.records(max(start, log.log_start_offset), min(end, log.high_watermark)):
                if not batch.is_control and off not in seen and off not in aborted:
                    out.skipped += 1


def _output_duplicates(log) -> int:
    sources: dict[bytes, int] = {}
    held: dict[int, list[bytes]] = {}
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
    aborted = ProducerStateManager().sync(log).aborted
    if not aborted:
        return set()
    out: set[int] = set()
    for a in aborted:
        for off, _rec, batch in log.records(a.first_offset, a.last_offset):
            if batch.producer_id == a.producer_id and not batch.is_control:
                out.add(off)
    return out


def summary_diff(got: AuditSummary, want: AuditSummary) -> str:
    """What differs between two summaries, in a sentence for an assertion message."""
    fields = [f"{k}: incremental {v}, full scan {want.as_report()[k]}"
              for k, v in got.as_report().items() if v != want.as_report()[k]]
    if got.lost != want.lost:
        fields.append(f"lost differs: incremental {got.lost[:3]}... ({len(got.lost)}), "
                      f"full scan {want.lost[:3]}... ({len(want.lost)})")
    return "; ".join(fields)


def reference_acked_records(audit: Audit, wanted) -> dict:
    """`Audit.acked_records` as it was: every ack read."""
    out = {}
    for producer, _tp, records, _base in audit._acked:
        for rec in records:
            if (producer, rec.trace) in wanted:
                out[(producer, rec.trace)] = rec
    return out
