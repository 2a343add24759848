"""The JSON report of a scenario run (the contract in scenario-format.md).

Built only from the engine's read-only `ClusterView`, in a fixed key order,
so the same run always serialises to the same bytes.
"""

from __future__ import annotations

from typing import Any

from playground.engine.records import decode_text
from playground.engine.txn_protocol import marker_name


def partition_report(view, topic: str, pv) -> dict[str, Any]:
    log = view.authoritative_log(topic, pv.partition)
    records = []
    segments = [{"base_offset": s.base_offset, "next_offset": s.next_offset, "size_bytes": s.size_bytes,
                 "active": s.active} for s in view.segments(topic, pv.partition)]
    if log is not None:
        for off, rec, batch in log.records():
            if batch.is_control:
                # A transaction marker: it takes an offset, but no application ever sees it.
                records.append({"offset": off, "control": marker_name(rec), "producer_id": batch.producer_id,
                                "timestamp": rec.timestamp})
                continue
            entry = {
                "offset": off,
                "key": decode_text(rec.key),
                "value": decode_text(rec.value),
                "headers": {k: decode_text(v) for k, v in rec.headers},
                "timestamp": rec.timestamp,
            }
            if batch.is_transactional:
                entry["producer_id"] = batch.producer_id
            records.append(entry)
    lso = view.partition_txn(topic, pv.partition)
    return {
        "partition": pv.partition,
        "leader": pv.leader if pv.leader >= 0 else None,
        "leader_epoch": pv.leader_epoch,
        "replicas": list(pv.replicas),
        "isr": list(pv.isr),
        "elr": list(pv.elr),
        "last_known_elr": list(pv.last_known_elr),
        "log_start_offset": pv.log_start_offset,
        "high_watermark": pv.high_watermark,
        "last_stable_offset": lso.last_stable_offset if lso else pv.high_watermark,
        "log_end_offset": {str(b): leo for b, leo in pv.log_end_offsets.items()},
        "records": records,
        "segments": segments,
    }


def producer_txn_report(t) -> dict[str, Any]:
    """Idempotence and transactions of a producer, beside the contract's counters."""
    out: dict[str, Any] = {"idempotent": t.idempotent}
    if t.idempotent:
        out.update(producer_id=t.producer_id, producer_epoch=t.producer_epoch)
    if t.transactional_id is not None:
        out.update(transactional_id=t.transactional_id, transaction_state=t.state, fenced=t.fenced)
    return out


def group_report(gv) -> dict[str, Any]:
    """The contract's group fields (and the leader), plus each member's member id and, for
    static members, its group.instance.id."""
    return {**gv.as_report(), "member_ids": dict(sorted(gv.member_ids.items())),
            "static_members": dict(sorted(gv.static_members.items()))}


def consumer_report(cv) -> dict[str, Any]:
    """The contract's group, polled and processed, plus what the process is doing
    (`state`: polling, processing, committing, paused, stopped, crashed, ...) and the
    partitions it owns (none once it has stopped or crashed)."""
    owned = sorted(cv.assignment) if cv.alive else []
    return {**cv.as_report(), "state": cv.state, "assignment": [str(tp) for tp in owned]}


def build_report(view, name: str, seed: int, step_errors: list[dict], with_events: bool = False) -> dict[str, Any]:
    audit = view.audit()
    report: dict[str, Any] = {
        "name": name,
        "seed": seed,
        "virtual_time_ms": view.now,
        "controller": view.controller_id,
        "brokers": {str(b.broker_id): {"alive": b.alive, "fenced": b.fenced} for b in view.brokers()},
        "topics": {
            topic: {
                "topic_id": view.topic_id(topic),
                "configs": {k: v for k, v in sorted(view.topic_configs(topic).items())},
                "partitions": [partition_report(view, topic, pv) for pv in view.partitions(topic)],
            }
            for topic in view.topic_names(include_internal=True)
        },
        "producers": {pname: {**p.as_report(), **producer_txn_report(view.producer_txn(pname))}
                      for pname, p in view.producers().items()},
        "transactions": {tid: {"producer_id": t.producer_id, "producer_epoch": t.producer_epoch, "state": t.state,
                               "partitions": list(t.partitions), "coordinator": t.coordinator}
                         for tid, t in view.transactions().items()},
        "groups": {gid: group_report(g) for gid, g in view.groups().items()},
        "consumers": {name: consumer_report(c) for name, c in view.consumers().items()},
        "audit": audit.as_report(),
        "lost_records": [
            {"producer": r.producer, "serial": r.serial, "topic": r.topic, "partition": r.partition,
             "offset": r.offset, "reason": r.reason}
            for r in audit.lost
        ],
        "step_errors": step_errors,
        "expectations": [],
    }
    if with_events:
        report["events"] = [e.to_dict() for e in view.events()]
    return report
