"""start_producer and stop_producer in scenarios: rate-driven producers, configure-only producers
for later produce steps, refusals, and the report's batching fields."""

from __future__ import annotations

import json
from pathlib import Path

from playground.scenario.cli import run_command
from playground.scenario.loader import load_scenario
from playground.scenario.runner import ScenarioRun

TOPIC = "topics: [{name: t, partitions: 1, replication_factor: 3}]\n"


def _run(tmp_path: Path, capsys, text: str, expect_exit: int = 0) -> dict:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    assert run_command(str(path), as_json=True, with_events=True) == expect_exit, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def _scenario_run(tmp_path: Path, text: str) -> ScenarioRun:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    run = ScenarioRun(load_scenario(str(path)))
    run.run()
    return run


def test_rate_100_for_two_seconds_then_stop(tmp_path, capsys):
    report = _run(tmp_path, capsys, "name: rate\n" + TOPIC + """
steps:
  - start_producer: {name: p1, topic: t, rate: 100, value: "v{i}"}
  - wait: 2s
  - stop_producer: p1
  - wait: 2s
expect:
  producers.p1.sent: 201
  producers.p1.acked: 201
""")
    p1 = report["producers"]["p1"]
    assert (p1["sent"], p1["acked"], p1["failed"], p1["rate"], p1["running"]) == (201, 201, 0, 100, False)
    records = report["topics"]["t"]["partitions"][0]["records"]
    assert [r["timestamp"] for r in records] == list(range(0, 2001, 10))     # nothing after the stop
    assert [r["value"] for r in records[:2]] == ["v0", "v1"]
    kinds = [e["kind"] for e in report["events"]]
    assert kinds.count("producer_started") == 1 and kinds.count("producer_stopped") == 1
    assert report["step_errors"] == []


def test_configure_only_start_producer_sets_linger_and_acks_for_later_produce_steps(tmp_path):
    run = _scenario_run(tmp_path, "name: configure\n" + TOPIC + """
steps:
  - start_producer: {name: slow, acks: "1", linger.ms: 50}
  - produce: {topic: t, value: "r{i}", count: 4, producer: slow}
  - wait: 30ms
  - produce: {topic: t, value: "default {i}", count: 4, producer: plain}
  - wait: 1s
""")
    view = run.cluster.view()
    slow, plain = view.producers()["slow"], view.producers()["plain"]
    assert slow.config["acks"] == "1" and slow.config["linger.ms"] == 50 and slow.config["enable.idempotence"] is False
    assert not slow.running and slow.rate is None
    # The four records waited for linger.ms together: one request, acknowledged 50 ms and more later.
    assert (slow.acked, slow.requests, slow.batches) == (4, 1, 1) and slow.ack_latency_p50 >= 50
    assert plain.config["linger.ms"] == 5 and plain.ack_latency_p50 < 50
    report = run.report()
    assert report["step_errors"] == []
    assert report["producers"]["slow"]["ack_latency_ms"]["p50"] == slow.ack_latency_p50


def test_a_produce_step_with_other_acks_than_the_configured_producer_is_a_step_error(tmp_path, capsys):
    report = _run(tmp_path, capsys, "name: acks\n" + TOPIC + """
steps:
  - start_producer: {name: p, acks: "1"}
  - produce: {topic: t, value: v, acks: all, producer: p}
""")
    assert [(e["step"], e["error"]) for e in report["step_errors"]] == [(1, "INVALID_CONFIG")]
    assert "created with acks=1" in report["step_errors"][0]["message"]


def test_bad_config_values_are_load_errors_naming_the_key(tmp_path, capsys):
    for value, key in (("linger.ms: -5", "linger.ms"), ("batch.size: big", "batch.size"),
                       ("compression.type: brotli", "compression.type"), ("acks: 2", "acks"),
                       ("rate: 0, topic: t", "rate")):
        path = tmp_path / "s.yaml"
        path.write_text("name: bad\n" + TOPIC + f"steps:\n  - start_producer: {{name: p, {value}}}\n")
        assert run_command(str(path)) == 2
        captured = capsys.readouterr()
        assert f"s.yaml:4: steps[0].start_producer.{key}: " in captured.err and captured.out == ""


def test_stop_refusals_are_step_errors_and_the_run_goes_on(tmp_path, capsys):
    report = _run(tmp_path, capsys, "name: stops\n" + TOPIC + """
steps:
  - stop_producer: ghost
  - start_producer: {name: p1, topic: t, rate: 10}
  - start_producer: {name: p1, topic: t, rate: 20}
  - wait: 1s
  - stop_producer: p1
  - stop_producer: p1
  - start_producer: {name: p1, topic: t, rate: 10, linger.ms: 100}
  - wait: 1s
""")
    assert [(e["step"], e["action"], e["error"]) for e in report["step_errors"]] == [
        (0, "stop_producer", "INVALID_REQUEST"), (2, "start_producer", "INVALID_REQUEST"),
        (5, "stop_producer", "INVALID_REQUEST"), (6, "start_producer", "INVALID_CONFIG")]
    messages = [e["message"] for e in report["step_errors"]]
    assert messages[0] == "cannot stop producer ghost: there is no such producer; no producer exists yet"
    assert "already sending 10 records/s to t" in messages[1]
    assert "exists with linger.ms=5, not 100" in messages[3]
    assert report["producers"]["p1"]["sent"] == 11


def test_transaction_steps_commit_and_abort_and_the_report_shows_markers(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text("name: tx\n" + TOPIC + """steps:
  - start_producer: {name: p, topic: t, transactional.id: tx-1}
  - wait: 1s
  - begin_transaction: p
  - produce: {topic: t, producer: p, value: "kept {i}", count: 2, partition: 0}
  - wait: 100ms
  - commit_transaction: p
  - wait: 100ms
  - begin_transaction: p
  - produce: {topic: t, producer: p, value: "dropped {i}", count: 2, partition: 0}
  - wait: 100ms
  - abort_transaction: p
  - wait: 100ms
  - commit_transaction: p
""")
    assert run_command(str(path), as_json=True) == 0
    report = json.loads(capsys.readouterr().out)
    records = report["topics"]["t"]["partitions"][0]["records"]
    assert [r.get("control") or r["value"] for r in records] == ["kept 0", "kept 1", "COMMIT", "dropped 0",
                                                                  "dropped 1", "ABORT"]
    assert report["topics"]["t"]["partitions"][0]["last_stable_offset"] == 6
    assert report["transactions"]["tx-1"]["state"] == "CompleteAbort"
    assert report["producers"]["p"]["transactional_id"] == "tx-1"
    # The last commit has no transaction to end: Kafka's error, as a step error.
    assert [(e["step"], e["error"]) for e in report["step_errors"]] == [(12, "INVALID_TXN_STATE")]


def test_linger_batching_example_shows_fewer_fuller_requests(capsys):
    root = Path(__file__).resolve().parents[2]
    assert run_command(str(root / "scenarios" / "linger-batching.yaml"), as_json=True) == 0
    report = json.loads(capsys.readouterr().out)
    fast, lingering = report["producers"]["no-linger"], report["producers"]["linger-50"]
    assert fast["sent"] == lingering["sent"] == 1001
    assert lingering["requests"] * 5 < fast["requests"]
    assert lingering["ack_latency_ms"]["p50"] - fast["ack_latency_ms"]["p50"] >= 45
