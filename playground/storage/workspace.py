"""Workspaces: a cluster saved to an SQLite file that a learner can query, and opened again.

    save_workspace(cluster, journal, "session.sqlite")
    ws = open_workspace("session.sqlite")        # ws.cluster, ws.journal, ws.mismatches

The file holds two things. What reopening needs: the `workspace` table (format,
version, the cluster's set-up as JSON, the instant it was saved at, a digest of
its state) and the `journal` table (every command, at its instant). What a
learner reads: `topics`, `partitions`, `records`, `committed_offsets`,
`groups`, `consumers`, `producers`, `brokers`, `events` and `audit` (see
`tables.py`). Opening replays the journal and then checks the result against
the stored digest and record counts, and says so if they differ.

A file that is not SQLite, an SQLite file of something else, a newer format or
a journal that does not replay raises `WorkspaceError`, one line naming the
file; nothing is written then, and a file is only ever replaced whole (written
aside, then renamed), so a failed save loses nothing either.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from playground.engine import Cluster

from . import tables
from .journal import Command, Journal, ReplayError, replay
from .setup import ClusterSetup

FORMAT = "kafka-playground-workspace"
# 2: console commands (`tool`, ...), lesson set-ups and their `lesson` commands, `wire_clients`; a version 1
# reader would misread those (a lesson's set-up as the default cluster), so it is told to update instead.
FORMAT_VERSION = 2
SQLITE_MAGIC = b"SQLite format 3\x00"

# Learner-facing tables: columns and types (written even when empty, so queries never miss a table).
SCHEMAS: dict[str, tuple[dict[str, type], tuple[str, ...]]] = {
    "topics": ({"name": str, "topic_id": str, "partitions": int, "replication_factor": int, "internal": bool,
                "configs": str}, ("name",)),
    "partitions": ({"topic": str, "partition": int, "leader": int, "leader_epoch": int, "replicas": str,
                    "isr": str, "elr": str, "log_start_offset": int, "high_watermark": int,
                    "last_stable_offset": int, "log_end_offset": int, "records": int, "segments": int},
                   ("topic", "partition")),
    "records": ({"topic": str, "partition": int, "offset": int, "key": str, "value": str, "headers": str,
                 "timestamp": int, "producer_id": int, "control": str}, ("topic", "partition", "offset")),
    "committed_offsets": ({"group_id": str, "topic": str, "partition": int, "committed_offset": int, "lag": int},
                          ("group_id", "topic", "partition")),
    "groups": ({"group_id": str, "state": str, "generation": int, "assignor": str, "coordinator": int,
                "leader": str, "members": str}, ("group_id",)),
    "consumers": ({"name": str, "group_id": str, "state": str, "polled": int, "processed": int,
                   "assignment": str}, ("name",)),
    "producers": ({"name": str, "sent": int, "acked": int, "failed": int, "errors": str, "idempotent": bool,
                   "producer_id": int, "transactional_id": str}, ("name",)),
    "brokers": ({"broker_id": int, "alive": bool, "fenced": bool, "isolated": bool, "replication_delay": int},
                ("broker_id",)),
    "events": ({"seq": int, "time_ms": int, "kind": str, "text": str, "data": str}, ("seq",)),
    "audit": ({"name": str, "value": int}, ("name",)),
    "journal": ({"seq": int, "time_ms": int, "executed": int, "action": str, "args": str, "source": str},
                ("seq",)),
}


class WorkspaceError(Exception):
    """A workspace that cannot be opened or saved; str() is one line naming the file."""

    def __init__(self, path: str | os.PathLike, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


@dataclass
class Workspace:
    cluster: Cluster
    journal: Journal
    path: str
    title: str
    saved_at: str
    # Where the rebuilt cluster differs from the stored tables (empty: it is the same cluster).
    mismatches: list[str] = field(default_factory=list)


def _app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("kafka-playground")
    except PackageNotFoundError:
        return "unknown"


# -- saving --------------------------------------------------------------------------------
def save_workspace(cluster: Cluster, journal: Journal, path: str | os.PathLike, *, title: str | None = None) -> None:
    """Write `cluster` and the journal that recorded it to `path` (replacing the file whole, or not at all)."""
    path = Path(path)
    if journal.cluster is not cluster:
        raise ValueError("the journal records another cluster")
    if not journal.saveable:
        raise WorkspaceError(path, "this cluster cannot be saved: it was changed before it was recorded, so "
                                   "there is no set-up to rebuild it from")
    if not path.parent.is_dir():
        raise WorkspaceError(path, f"cannot write it: there is no folder {path.parent}")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.saving")
    try:
        tmp.unlink(missing_ok=True)
        db = sqlite_utils.Database(tmp)
        try:
            # A file written aside needs no rollback journal and no sync per insert batch (sqlite-utils
            # commits each batch): one fsync before the rename makes it durable, and 5x faster.
            db.conn.execute("PRAGMA journal_mode = OFF")
            db.conn.execute("PRAGMA synchronous = OFF")
            _write(db, journal, title)
        finally:
            db.conn.close()
        with tmp.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise WorkspaceError(path, f"cannot write it: {exc.strerror or exc}") from None
    except sqlite3.Error as exc:
        tmp.unlink(missing_ok=True)
        raise WorkspaceError(path, f"cannot write it: {exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write(db: sqlite_utils.Database, journal: Journal, title: str | None) -> None:
    cluster = journal.cluster
    report = tables.cluster_report(cluster)
    for name, (columns, pk) in SCHEMAS.items():
        db[name].create(columns, pk=pk if len(pk) > 1 else pk[0])
    rows = {
        "topics": tables.topic_rows(report), "partitions": tables.partition_rows(report),
        "records": tables.record_rows(report), "committed_offsets": tables.committed_offset_rows(report),
        "groups": tables.group_rows(report), "consumers": tables.consumer_rows(report),
        "producers": tables.producer_rows(report), "brokers": tables.broker_rows(cluster),
        "events": tables.event_rows(cluster), "audit": tables.audit_rows(report),
        "journal": ({"seq": i, "time_ms": c.time_ms, "executed": c.executed, "action": c.action,
                     "args": c.args_json(), "source": c.source} for i, c in enumerate(journal.commands)),
    }
    with db.conn:
        for name, items in rows.items():
            # sqlite-utils made the tables; rows go in with one executemany per table, since
            # insert_all's per-value checks cost seconds for a long session's records and events.
            columns = list(SCHEMAS[name][0])
            sql = (f"INSERT INTO [{name}] ({', '.join(f'[{c}]' for c in columns)}) "
                   f"VALUES ({', '.join('?' for _ in columns)})")
            db.conn.executemany(sql, (tuple(row.get(c) for c in columns) for row in items))
        setup = journal.setup
        assert setup is not None
        meta = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "app_version": _app_version(),
            "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "title": title or setup.describe(), "setup": json.dumps(setup.to_dict(), ensure_ascii=False),
            "virtual_time_ms": cluster.clock.now, "executed": cluster.clock.executed,
            "digest": tables.state_digest(cluster, report), "commands": len(journal.commands),
            "events": len(cluster.events.history),
            "records": sum(tables.partition_counts(report).values()),
        }
        db["workspace"].insert_all(({"key": k, "value": str(v)} for k, v in meta.items()), pk="key")


# -- opening -------------------------------------------------------------------------------
def _connect(path: Path) -> sqlite_utils.Database:
    """Read-only: opening a workspace (or a file that is not one) never changes the file."""
    if not path.exists():
        raise WorkspaceError(path, "no such file")
    if not path.is_file():
        raise WorkspaceError(path, "is not a file")
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise WorkspaceError(path, f"cannot read it: {exc.strerror or exc}") from None
    if not head:
        raise WorkspaceError(path, "is empty, not a Kafka Playground workspace")
    if head != SQLITE_MAGIC:
        raise WorkspaceError(path, "is not a Kafka Playground workspace: it is not an SQLite database")
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    return sqlite_utils.Database(conn)


def read_meta(path: str | os.PathLike) -> dict[str, str]:
    """The `workspace` table of a file, checked to be a workspace this version reads (no replay)."""
    path = Path(path)
    db = _connect(path)
    try:
        return _meta(db, path)
    finally:
        db.conn.close()


def _meta(db: sqlite_utils.Database, path: Path) -> dict[str, str]:
    try:
        names = db.table_names()
        if "workspace" not in names:
            listed = ", ".join(names[:6]) + (", …" if len(names) > 6 else "") if names else "no tables"
            raise WorkspaceError(path, f"is an SQLite database but not a Kafka Playground workspace (it has "
                                       f"{listed})")
        meta = {str(r.get("key")): str(r.get("value")) for r in db["workspace"].rows}
    except sqlite3.DatabaseError as exc:
        raise WorkspaceError(path, f"is damaged or not a workspace: {exc}") from None
    if meta.get("format") != FORMAT:
        raise WorkspaceError(path, "is an SQLite database but not a Kafka Playground workspace (its workspace table "
                                   "is someone else's)")
    try:
        version = int(meta.get("format_version", ""))
    except ValueError:
        raise WorkspaceError(path, f"is damaged: format_version {meta.get('format_version')!r} is not a "
                                   "number") from None
    if version > FORMAT_VERSION:
        raise WorkspaceError(path, f"was written by a newer Kafka Playground (workspace format {version}, "
                                   f"{meta.get('app_version', '?')}); this version reads format {FORMAT_VERSION}: "
                                   "update to open it")
    if "journal" not in names:
        raise WorkspaceError(path, "is damaged: it has no journal table")
    return meta


def open_workspace(path: str | os.PathLike) -> Workspace:
    """Rebuild the cluster a workspace file describes (WorkspaceError, one line, if it cannot)."""
    path = Path(path)
    db = _connect(path)
    try:
        meta = _meta(db, path)
        try:
            setup = ClusterSetup.from_dict(json.loads(meta["setup"]))
            commands = [Command(int(r["time_ms"]), int(r["executed"]), str(r["action"]), json.loads(r["args"]),
                                str(r["source"])) for r in db["journal"].rows_where(order_by="seq")]
            end = (int(meta["virtual_time_ms"]), int(meta["executed"]))
            stored_counts = _stored_counts(db)
        except (KeyError, TypeError, ValueError, sqlite3.DatabaseError) as exc:
            raise WorkspaceError(path, f"is damaged: {type(exc).__name__}: {exc}") from None
    finally:
        db.conn.close()
    try:
        journal = replay(setup, commands, end)
    except ReplayError as exc:
        raise WorkspaceError(path, f"its journal does not replay: {exc}") from None
    mismatches = _check(journal.cluster, meta, stored_counts) + journal.replay_notes
    return Workspace(journal.cluster, journal, str(path), meta.get("title", ""), meta.get("saved_at", ""),
                     mismatches)


def _stored_counts(db: sqlite_utils.Database) -> dict[str, int]:
    if "partitions" not in db.table_names():
        return {}
    return {f"{r['topic']}/{r['partition']}": int(r["records"]) for r in db["partitions"].rows}


def _check(cluster: Cluster, meta: dict[str, str], stored_counts: dict[str, int]) -> list[str]:
    """Where the rebuilt cluster differs from what the file says (empty when the digests agree)."""
    report = tables.cluster_report(cluster)
    if tables.state_digest(cluster, report) == meta.get("digest"):
        return []
    out = []
    counts = tables.partition_counts(report)
    for tp in sorted(set(counts) | set(stored_counts)):
        if counts.get(tp) != stored_counts.get(tp):
            out.append(f"{tp} has {counts.get(tp, 'no')} records; the file says {stored_counts.get(tp, 'none')}")
    events = len(cluster.events.history)
    if str(events) != meta.get("events"):
        out.append(f"{events} events; the file says {meta.get('events')}")
    return out or ["the rebuilt cluster differs from the saved one in detail (its state digest)"]


def open_cluster(path: str | os.PathLike) -> tuple[Cluster, Journal]:
    """(cluster, journal) of a workspace file, for callers that need no more."""
    ws = open_workspace(path)
    return ws.cluster, ws.journal


def describe(meta: dict[str, Any]) -> str:
    """`orders demo — 12.5 s of virtual time, 340 records, saved 2024-05-01 10:02 UTC` for a dialog."""
    seconds = int(meta.get("virtual_time_ms", 0)) / 1000
    saved = str(meta.get("saved_at", "")).replace("T", " ")[:16]
    return (f"{meta.get('title', 'a cluster')} — {seconds:g} s of virtual time, {meta.get('records', '?')} records, "
            f"{meta.get('commands', '?')} commands, saved {saved} UTC")
