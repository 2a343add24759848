"""Workspaces: save a cluster with its journal, open it again, get the same cluster; bad files say so."""

from __future__ import annotations

import json
import random
import sqlite3

import pytest

from playground.engine import Cluster, Errors, KafkaError
from playground.storage import ClusterSetup, Journal, WorkspaceError, open_workspace, read_meta, save_workspace
from playground.storage.tables import cluster_report, state_digest
from playground.storage.workspace import FORMAT_VERSION

SETUP = ClusterSetup(seed=11, brokers=3, network_latency=5,
                     topics=[{"name": "orders", "partitions": 3, "replication_factor": 3,
                              "config": {"min.insync.replicas": 2}}])


def _session() -> Journal:
    """Topics, records, a group that commits, a killed broker: the state a learner would save."""
    j = Journal.start(SETUP)
    c = j.cluster
    j.execute("create_topic", {"name": "payments", "partitions": 2, "replication_factor": 2, "config": {}})
    c.advance(100)
    j.execute("produce", {"topic": "orders", "key": "user-{i}", "value": "order {i}", "count": 30, "acks": "all",
                          "producer": "ui-acks-all", "headers": [["trace", "a"], ["trace", "b"]]})
    j.execute("produce", {"topic": "payments", "key": None, "value": "pay {i}", "count": 4, "acks": "1",
                          "producer": "ui-acks-1"})
    c.advance(300)
    j.execute("start_consumer", {"name": "c1", "group": "g1", "topics": ["orders"], "commit": "auto",
                                 "processing_time": 0, "auto.offset.reset": "earliest"})
    c.advance(12_000)                       # joins, polls everything, auto-commits
    j.execute("kill_broker", {"broker": 102})
    c.advance(12_000)                       # past broker.session.timeout.ms: 102's partitions move
    j.execute("produce", {"topic": "orders", "key": "user-1", "value": "after {i}", "count": 3, "acks": "all",
                          "producer": "ui-acks-all"})
    c.advance(3_000)
    return j


def _state(c: Cluster) -> dict:
    view = c.view()
    return {
        "now": c.now,
        "records": {(t, p.partition): [(o, r.key, r.value, r.headers, r.timestamp)
                                       for o, r, _ in view.authoritative_log(t, p.partition).records()]
                    for t in view.topic_names() for p in view.partitions(t)},
        "leaders": {(t, p.partition): (p.leader, p.leader_epoch, p.isr) for t in view.topic_names()
                    for p in view.partitions(t)},
        "committed": {g: dict(view.group_committed(g)) for g in view.groups()},
        "events": [(e.time, e.kind, e.text) for e in c.events.history],
    }


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    j = _session()
    path = tmp_path_factory.mktemp("ws") / "session.sqlite"
    save_workspace(j.cluster, j, path)
    return j, path


def test_round_trip_rebuilds_the_same_cluster(saved):
    j, path = saved
    before = _state(j.cluster)
    assert before["committed"]["g1"], "the group committed offsets before the save"
    assert not j.cluster.brokers[102].alive
    ws = open_workspace(path)
    assert ws.mismatches == []
    assert _state(ws.cluster) == before
    assert len(ws.cluster.events.history) == len(j.cluster.events.history)
    assert not ws.cluster.brokers[102].alive
    assert [c.action for c in ws.journal.commands] == [c.action for c in j.commands]


def test_a_reopened_workspace_goes_on_recording(saved, tmp_path):
    _, path = saved
    ws = open_workspace(path)
    ws.journal.execute("restart_broker", {"broker": 102})
    ws.cluster.advance(3_000)
    again = tmp_path / "again.sqlite"
    save_workspace(ws.cluster, ws.journal, again)
    reopened = open_workspace(again)
    assert reopened.mismatches == []
    assert reopened.cluster.brokers[102].alive
    assert _state(reopened.cluster) == _state(ws.cluster)


def test_a_learner_can_query_the_tables(saved):
    j, path = saved
    db = sqlite3.connect(path)
    (orders,) = db.execute("SELECT count(*) FROM records WHERE topic = 'orders'").fetchone()
    assert orders == 33
    committed = {(t, p): o for t, p, o in db.execute(
        "SELECT topic, partition, committed_offset FROM committed_offsets WHERE group_id = 'g1'")}
    assert sum(committed.values()) == 30
    (dead,) = db.execute("SELECT broker_id FROM brokers WHERE NOT alive").fetchone()
    assert dead == 102
    (killed_at,) = db.execute("SELECT time_ms FROM events WHERE kind = 'broker_killed'").fetchone()
    assert killed_at == j.commands[4].time_ms
    # Headers as the scenario report writes them: a JSON object (a repeated name keeps its last value).
    headers = db.execute("SELECT headers FROM records WHERE topic='orders' AND value='order 0'").fetchone()[0]
    assert json.loads(headers) == {"trace": "b"}
    for table in ("topics", "partitions", "records", "committed_offsets", "events", "groups", "journal"):
        assert db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] > 0, table


def test_same_instant_commands_replay_with_the_callbacks_between_them(tmp_path):
    """The window runs the clock to the same ms again and again; a replay must run exactly what ran."""
    rng = random.Random(5)                  # seed 5: the test's own pacing
    j = Journal.start(SETUP)
    c = j.cluster
    for i in range(40):
        j.execute("produce", {"topic": "orders", "key": f"k{i % 4}", "value": "v{i}", "count": 2, "acks": "all",
                              "producer": "ui-acks-all"})
        if rng.random() < 0.5:
            c.run_until(c.now)              # a frame that did not reach the next ms
        j.execute("produce", {"topic": "orders", "key": None, "value": "w", "count": 1, "acks": "0",
                              "producer": "ui-acks-0"})
        c.advance(rng.randrange(0, 7))
    c.run_until(c.now + 1000)
    save_workspace(c, j, tmp_path / "w.sqlite")
    ws = open_workspace(tmp_path / "w.sqlite")
    assert ws.mismatches == []
    assert _state(ws.cluster) == _state(c)


def test_a_refused_command_is_not_recorded_and_changes_nothing():
    j = Journal.start(SETUP)
    events = len(j.cluster.events.history)
    with pytest.raises(KafkaError) as exc:
        j.execute("kill_broker", {"broker": 107})
    assert exc.value.error == Errors.BROKER_NOT_AVAILABLE
    assert j.commands == [] and len(j.cluster.events.history) == events


# -- files that are not workspaces ------------------------------------------------------------
def _one_line_naming(exc: WorkspaceError, path) -> str:
    text = str(exc)
    assert "\n" not in text and str(path) in text
    return text


def test_random_bytes_are_not_a_workspace(tmp_path):
    path = tmp_path / "noise.sqlite"
    path.write_bytes(random.Random(3).randbytes(4096))      # seed 3
    with pytest.raises(WorkspaceError) as exc:
        open_workspace(path)
    assert "not an SQLite database" in _one_line_naming(exc.value, path)


def test_a_damaged_sqlite_file_is_refused(tmp_path, saved):
    _, good = saved
    data = bytearray(good.read_bytes())
    rng = random.Random(9)                                  # seed 9: which bytes get scrambled
    for i in range(100, len(data)):
        data[i] = rng.randrange(256)
    path = tmp_path / "damaged.sqlite"
    path.write_bytes(bytes(data))
    with pytest.raises(WorkspaceError) as exc:
        open_workspace(path)
    _one_line_naming(exc.value, path)


def test_empty_and_missing_files(tmp_path):
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    with pytest.raises(WorkspaceError, match="is empty"):
        open_workspace(empty)
    with pytest.raises(WorkspaceError, match="no such file"):
        open_workspace(tmp_path / "nope.sqlite")


def test_a_foreign_sqlite_file_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "shop.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    db.execute("INSERT INTO customers (name) VALUES ('ada')")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(WorkspaceError) as exc:
        open_workspace(path)
    text = _one_line_naming(exc.value, path)
    assert "not a Kafka Playground workspace" in text and "customers" in text
    assert path.read_bytes() == before


def test_a_newer_format_is_refused(tmp_path, saved):
    _, good = saved
    path = tmp_path / "newer.sqlite"
    path.write_bytes(good.read_bytes())
    db = sqlite3.connect(path)
    db.execute("UPDATE workspace SET value = ? WHERE key = 'format_version'", (str(FORMAT_VERSION + 1),))
    db.commit()
    db.close()
    with pytest.raises(WorkspaceError) as exc:
        read_meta(path)
    assert f"format {FORMAT_VERSION + 1}" in _one_line_naming(exc.value, path)
    with pytest.raises(WorkspaceError, match="newer Kafka Playground"):
        open_workspace(path)


def test_a_journal_that_does_not_replay_is_refused(tmp_path, saved):
    _, good = saved
    path = tmp_path / "bad-journal.sqlite"
    path.write_bytes(good.read_bytes())
    db = sqlite3.connect(path)
    db.execute("UPDATE journal SET args = ? WHERE action = 'kill_broker'", (json.dumps({"broker": 107}),))
    db.commit()
    db.close()
    with pytest.raises(WorkspaceError) as exc:
        open_workspace(path)
    text = _one_line_naming(exc.value, path)
    assert "does not replay" in text and "kill_broker" in text and "BROKER_NOT_AVAILABLE" in text


def test_a_rebuilt_cluster_that_differs_from_the_tables_is_reported(tmp_path, saved):
    _, good = saved
    path = tmp_path / "edited.sqlite"
    path.write_bytes(good.read_bytes())
    db = sqlite3.connect(path)
    db.execute("UPDATE workspace SET value = 'edited' WHERE key = 'digest'")
    db.execute("UPDATE partitions SET records = records + 1 WHERE topic = 'orders' AND partition = 1")
    db.commit()
    db.close()
    ws = open_workspace(path)
    assert any(m.startswith("orders/1 has") and "the file says" in m for m in ws.mismatches)


# -- what a journal can and cannot save ----------------------------------------------------------
def test_a_fresh_cluster_built_by_code_is_saveable(tmp_path):
    c = Cluster(brokers=3, seed=4, network_latency=50)
    c.create_topic("orders", 3, 3, {"min.insync.replicas": 2}, immediate=True)
    j = Journal.for_cluster(c)
    assert j.saveable and j.setup.topics[0]["name"] == "orders"
    j.execute("produce", {"topic": "orders", "key": "a", "value": "b", "count": 1, "acks": "all",
                          "producer": "ui-acks-all"})
    c.advance(1_000)
    save_workspace(c, j, tmp_path / "fresh.sqlite")
    ws = open_workspace(tmp_path / "fresh.sqlite")
    assert ws.mismatches == [] and state_digest(ws.cluster) == state_digest(c)


def test_a_cluster_changed_before_recording_cannot_be_saved_and_nothing_is_lost(tmp_path, saved):
    _, good = saved
    c = Cluster(brokers=3, seed=4)
    c.advance(10)
    j = Journal.for_cluster(c)
    assert not j.saveable
    path = tmp_path / "keep.sqlite"
    path.write_bytes(good.read_bytes())
    with pytest.raises(WorkspaceError, match="cannot be saved"):
        save_workspace(c, j, path)
    assert path.read_bytes() == good.read_bytes()
    assert list(tmp_path.iterdir()) == [path]
    other = Journal.start(SETUP)
    with pytest.raises(WorkspaceError, match="cannot write"):
        save_workspace(other.cluster, other, tmp_path / "no-dir" / "x.sqlite")


def test_the_tables_match_the_scenario_report(saved):
    j, path = saved
    report = cluster_report(j.cluster)
    db = sqlite3.connect(path)
    rows = db.execute("SELECT topic, partition, high_watermark, leader FROM partitions").fetchall()
    expected = [(t, p["partition"], p["high_watermark"], p["leader"])
                for t, topic in report["topics"].items() for p in topic["partitions"]]
    assert sorted(rows) == sorted(expected)
