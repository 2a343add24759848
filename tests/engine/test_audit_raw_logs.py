"""The incremental audit against the full scan, on logs changed by hand.

Seeded random operations straight on `PartitionLog`s behind a minimal ClusterView:
appends (duplicates, late and out-of-order serials, transactions and their markers,
gaps), acks (some for records never written where the audit looks), the high
watermark rising and falling, truncation, truncation to empty, DeleteRecords moving
the log start offset, retention deleting segments, the cleaner rewriting them, another
replica becoming authoritative, no leader, no log at all, topics deleted and created
again, and a consumer side (starts, processed offsets, commits going back and forth).
After most steps, `Audit.summary` must equal the reference full scan, and
`acked_records` the reference walk over every ack; a failure names the seed and step.
"""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import ClassVar

import pytest

from playground.engine import TopicPartition
from playground.engine.audit import Audit
from playground.engine.log import PartitionLog
from playground.engine.log_segment import LogSegment
from playground.engine.records import Origin, Record, RecordBatch
from playground.engine.txn_protocol import end_txn_marker

from .audit_reference import reference_acked_records, reference_summary, summary_diff


class _Part:
    def __init__(self, topic: str, partition: int) -> None:
        self.replicas = [PartitionLog(topic, partition), PartitionLog(topic, partition)]
        self.authoritative = 0          # index into replicas; -1: no log at all
        self.leader = 101               # -1: leaderless


class _RawView:
    """What `Audit.summary` reads of a ClusterView, over logs the test changes by hand."""

    def __init__(self) -> None:
        self.topics: dict[str, list[_Part]] = {}
        self.committed: dict[str, dict[TopicPartition, int]] = {}

    def topic_names(self, include_internal: bool = True) -> list[str]:
        return sorted(self.topics)

    def partitions(self, topic: str):
        return [SimpleNamespace(partition=i, leader=p.leader) for i, p in enumerate(self.topics.get(topic, []))]

    def authoritative_log(self, topic: str, partition: int):
        parts = self.topics.get(topic)
        if parts is None or partition >= len(parts) or parts[partition].authoritative < 0:
            return None
        part = parts[partition]
        return part.replicas[part.authoritative]

    def group_committed(self, group: str) -> dict[TopicPartition, int]:
        return dict(self.committed.get(group, {}))


class _RawRun:
    PIDS: ClassVar[dict[str, int]] = {"a": 1, "b": 2}

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.view = _RawView()
        self.audit = Audit()
        self.serial = {"a": 0, "b": 0}
        # Every record made, for duplicates and late copies: a send serial names one record sent to
        # one partition, as with the engine's producers.
        self.sent: list[tuple[TopicPartition, str, Record]] = []
        self.open_txn: dict[str, bool] = {"a": False, "b": False}
        for topic in ("t", "u"):
            self.view.topics[topic] = [_Part(topic, p) for p in range(2)]

    def _record(self, tp: TopicPartition, producer: str) -> Record:
        rng = self.rng
        if self.sent and rng.random() < 0.1:
            # Sent earlier, lands now: a retry (duplicate if it landed before) or a late batch (out of order).
            earlier_tp, p, rec = rng.choice(self.sent[-30:])
            if p == producer and earlier_tp == tp:
                return rec
        serial = self.serial[producer]
        self.serial[producer] += 1
        headers = (("source", b"s%d" % rng.randrange(6)),) if rng.random() < 0.3 else ()
        rec = Record(rng.choice([None, b"k1", b"k2", b"k3"]), b"v", headers, 0,
                     serial if rng.random() < 0.95 else -1)
        self.sent.append((tp, producer, rec))
        return rec

    def _tp_log(self):
        topic = self.rng.choice(sorted(self.view.topics))
        parts = self.view.topics[topic]
        i = self.rng.randrange(len(parts))
        return TopicPartition(topic, i), parts[i]

    def step(self) -> str:
        rng = self.rng
        audit = self.audit
        if not self.view.topics:
            self.view.topics["t"] = [_Part("t", p) for p in range(2)]
        tp, part = self._tp_log()
        log = rng.choice(part.replicas)
        roll = rng.random()
        if roll < 0.40:
            producer = rng.choice("ab")
            txn = rng.random() < 0.25
            if txn and self.open_txn[producer] and rng.random() < 0.4:
                marker = end_txn_marker(rng.random() < 0.5, 0, 0)
                batch = RecordBatch([marker], base_offset=log.log_end_offset, producer_id=self.PIDS[producer],
                                    is_transactional=True, is_control=True)
                log.append(batch)
                self.open_txn[producer] = False
                return "marker"
            records = [self._record(tp, producer) for _ in range(rng.randrange(1, 5))]
            gap = rng.random() < 0.05
            batch = RecordBatch(records, base_offset=log.log_end_offset + (rng.randrange(1, 4) if gap else 0),
                                producer_id=self.PIDS[producer] if txn or rng.random() < 0.5 else -1,
                                origin=Origin(producer) if rng.random() < 0.95 else None, is_transactional=txn)
            log.append(batch, allow_gap=gap)
            if txn:
                self.open_txn[producer] = True
            if rng.random() < 0.5:          # the other replica copies it (followers share batch objects)
                other = part.replicas[1 - part.replicas.index(log)]
                if other.log_end_offset <= batch.base_offset:
                    other.append(batch, allow_gap=True)
            if rng.random() < 0.7:
                audit.record_acked(producer, tp, batch.base_offset if rng.random() < 0.9 else -1, records)
            return "append"
        if roll < 0.47:                     # acked but never written where the audit looks
            producer = rng.choice("ab")
            audit.record_acked(producer, tp, rng.randrange(-1, 50), [self._record(tp, producer)])
            return "ack elsewhere"
        if roll < 0.60:
            if rng.random() < 0.85:
                log.high_watermark = min(log.log_end_offset, log.high_watermark + rng.randrange(0, 8))
            else:
                log.high_watermark = rng.randint(log.log_start_offset, log.high_watermark)
            return "hw"
        if roll < 0.64:
            if log.log_end_offset > log.log_start_offset:
                log.truncate_to(rng.randint(log.log_start_offset, log.log_end_offset))
            return "truncate"
        if roll < 0.65:
            log.truncate_fully_and_start_at(log.log_end_offset + rng.randrange(0, 3), 0)
            return "truncate fully"
        if roll < 0.68:
            if log.high_watermark > log.log_start_offset:
                log.increment_log_start_offset(rng.randint(log.log_start_offset, log.high_watermark))
            return "delete records"
        if roll < 0.72:
            log.roll(0)
            return "roll"
        if roll < 0.75:
            if len(log.segments) > 1:
                gone = log.delete_oldest_segments(rng.randrange(1, len(log.segments)))
                audit.record_removed(tp, [(b, r) for s in gone for b in s.batches for r in b.records])
            return "retention"
        if roll < 0.79:
            self._clean(tp, log)
            return "clean"
        if roll < 0.82:
            part.authoritative = rng.choice([0, 1, 1, 0, -1] if rng.random() < 0.2 else [0, 1])
            return "new authoritative replica"
        if roll < 0.84:
            part.leader = -1 if part.leader >= 0 else 101
            return "leader"
        if roll < 0.85:
            if len(self.view.topics) > 1 or rng.random() < 0.3:
                del self.view.topics[tp.topic]
            else:
                self.view.topics[tp.topic] = [_Part(tp.topic, p) for p in range(2)]
            return "topic deleted or created again"
        if roll < 0.86:
            for topic in ("t", "u"):
                if topic not in self.view.topics:
                    self.view.topics[topic] = [_Part(topic, p) for p in range(rng.randrange(1, 3))]
            return "topic created"
        return self._consume(tp, part)

    def _clean(self, tp: TopicPartition, log: PartitionLog) -> None:
        """The cleaner's rewrite of closed segments: records go, offsets stay, emptied batches may go."""
        rng = self.rng
        if len(log.segments) < 2:
            return
        k = rng.randrange(1, len(log.segments))
        cleaned = []
        removed = []
        for seg in log.segments[:k]:
            out = LogSegment(seg.base_offset, seg.created_ms)
            for b in seg.batches:
                if b.is_control:
                    if rng.random() < 0.3:
                        continue
                    out.add(b, None)
                    continue
                keep = [i for i in range(len(b.records)) if rng.random() < 0.7]
                removed += [(b, r) for i, r in enumerate(b.records) if i not in keep]
                if keep or rng.random() < 0.5:
                    out.add(b.retain(keep), None)
            cleaned.append(out)
        log.replace_segments(0, k, cleaned)
        if removed and rng.random() < 0.8:
            self.audit.record_removed(tp, removed)

    def _consume(self, tp: TopicPartition, part: _Part) -> str:
        rng = self.rng
        group = rng.choice(["g1", "g2"])
        log = self.view.authoritative_log(tp.topic, tp.partition)
        top = log.log_end_offset if log is not None else 10
        roll = rng.random()
        if roll < 0.2:
            self.audit.record_start(group, tp, rng.randrange(0, top + 1))
            return "start"
        if roll < 0.7:
            lo = rng.randrange(0, top + 1)
            records = [SimpleNamespace(topic=tp.topic, partition=tp.partition, offset=o)
                       for o in range(lo, min(top + 2, lo + rng.randrange(1, 12)))]
            if rng.random() < 0.2 and records:
                r = records[0]
                self.audit.record_processed(group, r.topic, r.partition, r.offset)
            else:
                self.audit.records_processed(group, records)
            return "processed"
        committed = self.view.committed.setdefault(group, {})
        if rng.random() < 0.1:
            committed.pop(tp, None)
        else:
            old = committed.get(tp, 0)
            committed[tp] = max(0, old + rng.randrange(-4, 12)) if rng.random() < 0.9 else rng.randrange(0, top + 2)
        return "commit"


def raw_log_run(seed: int, steps: int = 400) -> SimpleNamespace:
    run = _RawRun(seed)
    checks = 0
    for i in range(steps):
        what = run.step()
        if run.rng.random() < 0.6:
            got = run.audit.summary(run.view)
            want = reference_summary(run.audit, run.view)
            checks += 1
            if got != want:
                return SimpleNamespace(mismatch=f"seed {seed}, step {i} ({what}): {summary_diff(got, want)}", checks=checks)
            wanted = {(lost.producer, lost.serial) for lost in got.lost}
            wanted |= {(p, rec.trace) for _tp, p, rec in run.sent[-5:]}
            if run.audit.acked_records(wanted) != reference_acked_records(run.audit, wanted):
                return SimpleNamespace(mismatch=f"seed {seed}, step {i} ({what}): acked_records differs",
                                       checks=checks)
    return SimpleNamespace(mismatch=None, checks=checks)


@pytest.mark.parametrize("seed", range(60))
def test_raw_log_changes_agree_with_the_full_scan(seed):
    result = raw_log_run(seed)
    assert result.mismatch is None, result.mismatch
    assert result.checks > 100


def test_the_raw_log_runs_reach_every_count():
    """The raw runs are worth something only if they produce each kind of finding."""
    totals = dict.fromkeys(("acked_lost", "unavailable", "duplicates_in_log", "order_violations",
                            "consumed_duplicates", "skipped", "output_duplicates"), 0)
    for seed in range(20):
        run = _RawRun(seed)
        for _ in range(400):
            run.step()
            report = run.audit.summary(run.view).as_report()
            for k in totals:
                totals[k] += bool(report[k])
    assert all(totals.values()), totals
