"""The scenario runner end to end: exit codes, reports, determinism, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from playground.scenario.cli import run_command

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml"))


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_run_and_hold_their_expectations(path, capsys):
    assert run_command(str(path), as_json=True) == 0, capsys.readouterr().out
    report = json.loads(capsys.readouterr().out)
    assert report["expectations"], "an example should check something"
    assert all(e["ok"] for e in report["expectations"])


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_same_file_same_seed_gives_identical_json(path, capsys):
    run_command(str(path), as_json=True, with_events=True)
    first = capsys.readouterr().out
    run_command(str(path), as_json=True, with_events=True)
    assert capsys.readouterr().out == first


def test_report_has_the_contract_fields(capsys):
    run_command(str(ROOT / "scenarios" / "first-records.yaml"), as_json=True)
    report = json.loads(capsys.readouterr().out)
    for key in ("name", "seed", "virtual_time_ms", "controller", "brokers", "topics", "producers",
                "groups", "consumers", "audit", "step_errors", "expectations"):
        assert key in report
    p2 = report["topics"]["orders"]["partitions"][2]
    assert set(p2["log_end_offset"]) == {str(b) for b in p2["replicas"]}
    assert p2["records"][0] == {"offset": 0, "key": "user-1", "value": "order 0", "headers": {},
                                "timestamp": p2["records"][0]["timestamp"]}
    producer = report["producers"]["producer-1"]
    assert {k: producer[k] for k in ("sent", "acked", "failed", "errors")} == {"sent": 5, "acked": 5, "failed": 0,
                                                                            "errors": {}}
    # Added fields: the five records went in one batch (linger.ms 5), not from a send loop.
    assert (producer["requests"], producer["batches"], producer["rate"], producer["running"]) == (1, 1, None, False)
    assert (producer["idempotent"], producer["producer_id"], producer["producer_epoch"]) == (True, 0, 0)
    assert set(report["audit"]) >= {"acked", "acked_lost", "unavailable", "duplicates_in_log",
                                    "order_violations", "consumed_duplicates", "skipped"}


def test_failed_expectation_exits_1_with_expected_and_actual(tmp_path, capsys):
    path = _write(tmp_path, """
name: wrong guess
topics: [{name: t, partitions: 1, replication_factor: 3}]
steps:
  - produce: {topic: t, value: v, count: 2}
  - wait: 1s
expect:
  topics.t.partitions[0].high_watermark: 3
""")
    assert run_command(path, as_json=True) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["expectations"] == [{"path": "topics.t.partitions[0].high_watermark", "expected": 3,
                                       "actual": 2, "ok": False}]


def test_refused_step_is_listed_and_the_run_goes_on(tmp_path, capsys):
    path = _write(tmp_path, """
name: shrink
topics: [{name: t, partitions: 3, replication_factor: 1}]
steps:
  - add_partitions: {topic: t, count: 2}
  - create_topic: {name: "bad name", partitions: 1, replication_factor: 1}
  - produce: {topic: t, value: v, partition: 2}
  - wait: 1s
expect:
  topics.t.partitions[2].high_watermark: 1
""")
    assert run_command(path, as_json=True) == 0
    report = json.loads(capsys.readouterr().out)
    assert [(e["step"], e["action"], e["error"]) for e in report["step_errors"]] == [
        (0, "add_partitions", "INVALID_PARTITIONS"), (1, "create_topic", "INVALID_TOPIC_EXCEPTION")]
    assert len(report["topics"]["t"]["partitions"]) == 3


def test_setup_topic_kafka_refuses_makes_the_file_invalid(tmp_path, capsys):
    path = _write(tmp_path, """
name: too many replicas
cluster: {brokers: 3}
topics:
  - name: t
    partitions: 1
    replication_factor: 4
""")
    assert run_command(path) == 2
    err = capsys.readouterr().err
    assert "s.yaml:5: topics[0]" in err and "INVALID_REPLICATION_FACTOR" in err


def test_unknown_key_names_line_and_key(tmp_path, capsys):
    path = _write(tmp_path, "name: x\ncluster:\n  brokers: 3\n  brokerz: 4\n")
    assert run_command(path) == 2
    err = capsys.readouterr().err
    assert "s.yaml:4" in err and "brokerz" in err
