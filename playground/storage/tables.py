"""The learner's tables: a cluster's state as rows, for querying with SQL.

Built from the same read-only report the scenario runner prints
(`playground.scenario.report.build_report`), so the tables say what
`scenario run --json` says. They are written for reading; a workspace is
reopened from its setup and journal, and these rows only check the result
(`state_digest`, `partition_counts`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from playground.scenario.report import build_report

# One encoder for every row: json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str)


def _json(value: Any) -> str:
    return _ENCODER.encode(value)


def cluster_report(cluster) -> dict[str, Any]:
    return build_report(cluster.view(), "workspace", cluster.seed, [], with_events=False)


def topic_rows(report: dict) -> Iterator[dict]:
    for name, t in report["topics"].items():
        parts = t["partitions"]
        yield {"name": name, "topic_id": t["topic_id"], "partitions": len(parts),
               "replication_factor": len(parts[0]["replicas"]) if parts else 0,
               "internal": name.startswith("__"), "configs": _json(t["configs"])}


def partition_rows(report: dict) -> Iterator[dict]:
    for topic, t in report["topics"].items():
        for p in t["partitions"]:
            leos = p["log_end_offset"]
            leader = p["leader"]
            yield {"topic": topic, "partition": p["partition"], "leader": leader, "leader_epoch": p["leader_epoch"],
                   "replicas": _json(p["replicas"]), "isr": _json(p["isr"]), "elr": _json(p["elr"]),
                   "log_start_offset": p["log_start_offset"], "high_watermark": p["high_watermark"],
                   "last_stable_offset": p["last_stable_offset"],
                   "log_end_offset": leos.get(str(leader)) if leader is not None else max(leos.values(), default=0),
                   "records": len(p["records"]), "segments": len(p["segments"])}


def record_rows(report: dict) -> Iterator[dict]:
    """Every record of every partition's log (the leader's, or the most advanced replica's), from the
    log start offset: keys and values as text where they are UTF-8, else as 0x-hex."""
    for topic, t in report["topics"].items():
        for p in t["partitions"]:
            for r in p["records"]:
                control = r.get("control")
                yield {"topic": topic, "partition": p["partition"], "offset": r["offset"],
                       "key": r.get("key"), "value": r.get("value"),
                       "headers": None if control else _json(r.get("headers", {})),
                       "timestamp": r["timestamp"], "producer_id": r.get("producer_id"), "control": control}


def committed_offset_rows(report: dict) -> Iterator[dict]:
    for group, g in report["groups"].items():
        for tp, offset in g["committed"].items():
            topic, _, partition = tp.rpartition("/")
            yield {"group_id": group, "topic": topic, "partition": int(partition), "committed_offset": offset,
                   "lag": g["lag"].get(tp)}


def group_rows(report: dict) -> Iterator[dict]:
    for group, g in report["groups"].items():
        yield {"group_id": group, "state": g["state"], "generation": g["generation"], "assignor": g["assignor"],
               "coordinator": g["coordinator"], "leader": g.get("leader"), "members": _json(g["members"])}


def consumer_rows(report: dict) -> Iterator[dict]:
    for name, c in report["consumers"].items():
        yield {"name": name, "group_id": c["group"], "state": c["state"], "polled": c["polled"],
               "processed": c["processed"], "assignment": _json(c["assignment"])}


def producer_rows(report: dict) -> Iterator[dict]:
    for name, p in report["producers"].items():
        yield {"name": name, "sent": p["sent"], "acked": p["acked"], "failed": p["failed"],
               "errors": _json(p["errors"]), "idempotent": p.get("idempotent"),
               "producer_id": p.get("producer_id"), "transactional_id": p.get("transactional_id")}


def broker_rows(cluster) -> Iterator[dict]:
    for b in cluster.view().brokers():
        yield {"broker_id": b.broker_id, "alive": b.alive, "fenced": b.fenced, "isolated": b.isolated,
               "replication_delay": b.replication_delay}


def event_rows(cluster) -> Iterator[dict]:
    for e in cluster.events.history:
        yield {"seq": e.seq, "time_ms": e.time, "kind": e.kind.value, "text": e.text, "data": _json(e.data)}


def audit_rows(report: dict) -> Iterator[dict]:
    for name, value in report["audit"].items():
        yield {"name": name, "value": value}


def state_digest(cluster, report: dict | None = None) -> str:
    """SHA-256 of everything the tables show, and every event: equal digests, equal clusters."""
    report = report if report is not None else cluster_report(cluster)
    h = hashlib.sha256(_json(report).encode("utf-8"))
    for e in cluster.events.history:
        h.update(f"\n{e.time}\t{e.kind.value}\t{e.text}".encode())
    return h.hexdigest()


def partition_counts(report: dict) -> dict[str, int]:
    """`orders/0` -> records in its log (what a mismatch names first)."""
    return {f"{topic}/{p['partition']}": len(p["records"])
            for topic, t in report["topics"].items() for p in t["partitions"]}
