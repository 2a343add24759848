"""Consumer-group steps in scenarios: the actions, their refusals, and the report's groups and consumers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from playground.scenario.cli import describe_group_offsets, run_command

HEADER = ("GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             "
          "CONSUMER-ID     HOST            CLIENT-ID")

# Three partitions, 30 records (11, 7 and 12 of them per partition), one consumer that has read
# and committed all of them by 12 s.
SETUP = """
name: groups
seed: 8
topics: [{name: sales, partitions: 3, replication_factor: 3}]
steps:
  - produce: {topic: sales, key: "store-{i}", value: "sale {i}", count: 30}
  - start_consumer: {name: c1, group: reports, topics: [sales], auto.offset.reset: earliest}
  - wait: 12s
"""


def _run(tmp_path: Path, capsys, text: str, name: str = "s.yaml", expect_exit: int = 0) -> dict:
    path = tmp_path / name
    path.write_text(text)
    assert run_command(str(path), as_json=True) == expect_exit, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def _errors(report: dict) -> list[tuple[int, str, str]]:
    return [(e["step"], e["action"], e["error"]) for e in report["step_errors"]]


def test_groups_and_consumers_sections_follow_the_contract(tmp_path, capsys):
    report = _run(tmp_path, capsys, SETUP)
    group = report["groups"]["reports"]
    for key in ("state", "generation", "assignor", "coordinator", "members", "committed", "lag"):
        assert key in group
    assert (group["state"], group["generation"], group["assignor"]) == ("Stable", 1, "range")
    assert group["members"] == {"c1": ["sales/0", "sales/1", "sales/2"]}
    assert group["committed"] == {"sales/0": 11, "sales/1": 7, "sales/2": 12}
    assert group["lag"] == {"sales/0": 0, "sales/1": 0, "sales/2": 0}
    assert group["member_ids"]["c1"].startswith("c1-") and group["static_members"] == {}
    assert report["consumers"] == {"c1": {"group": "reports", "polled": 30, "processed": 30, "state": "polling",
                                          "assignment": ["sales/0", "sales/1", "sales/2"]}}


def test_the_coordinator_is_the_leader_of_the_groups_offsets_partition_listed_under_topics(tmp_path, capsys):
    report = _run(tmp_path, capsys, SETUP)
    offsets = report["topics"]["__consumer_offsets"]
    assert len(offsets["partitions"]) == 50 and offsets["configs"]["cleanup.policy"] == "compact"
    home = offsets["partitions"][49]                     # abs("reports".hashCode()) % 50
    assert report["groups"]["reports"]["coordinator"] == home["leader"]
    commits = [json.loads(r["key"]) for r in home["records"] if json.loads(r["key"])["type"] == 1]
    assert {(k["data"]["topic"], k["data"]["partition"]) for k in commits} == {("sales", 0), ("sales", 1),
                                                                               ("sales", 2)}
    assert sum(len(p["records"]) for p in offsets["partitions"]) == len(home["records"])


def test_a_reset_is_refused_while_the_group_has_members_and_changes_nothing(tmp_path, capsys):
    refused = _run(tmp_path, capsys, SETUP + "  - reset_offsets: {group: reports, topic: sales, to: earliest}\n"
                                            "  - wait: 1s\n")
    plain = _run(tmp_path, capsys, SETUP + "  - wait: 1s\n", name="plain.yaml")
    assert _errors(refused) == [(3, "reset_offsets", "NON_EMPTY_GROUP")]
    assert refused["step_errors"][0]["message"] == ("Assignments can only be reset if the group 'reports' is "
                                                    "inactive, but the current state is Stable.")
    for section in ("topics", "groups", "consumers", "audit"):
        assert refused[section] == plain[section]


def test_a_reset_after_the_group_stops_moves_the_committed_offsets(tmp_path, capsys):
    report = _run(tmp_path, capsys, SETUP + """
  - stop_consumer: c1
  - wait: 1s
  - reset_offsets: {group: reports, topic: sales/1, to: {shift_by: -5}}
  - reset_offsets: {group: reports, topic: sales/2, to: {offset: 100}}
  - reset_offsets: {group: reports, topic: returns, to: earliest}
  - wait: 100ms
""")
    group = report["groups"]["reports"]
    assert _errors(report) == [(7, "reset_offsets", "UNKNOWN_TOPIC_OR_PARTITION")]
    assert (group["state"], group["members"]) == ("Empty", {})
    # shift_by moves from the committed offset; an offset past the log end is clamped to it.
    assert group["committed"] == {"sales/0": 11, "sales/1": 2, "sales/2": 12}
    assert group["lag"] == {"sales/0": 0, "sales/1": 5, "sales/2": 0}
    assert report["consumers"]["c1"]["state"] == "stopped" and report["consumers"]["c1"]["assignment"] == []


def test_a_reset_to_a_datetime_and_a_restart_replay_from_there(tmp_path, capsys):
    report = _run(tmp_path, capsys, """
name: replay from a time
seed: 3
topics: [{name: t, partitions: 1, replication_factor: 3}]
steps:
  - produce: {topic: t, value: "early {i}", count: 4}
  - wait: 5s
  - produce: {topic: t, value: "late {i}", count: 6}
  - start_consumer: {name: c1, group: g, topics: [t], auto.offset.reset: earliest}
  - wait: 10s
  - stop_consumer: c1
  - wait: 1s
  - reset_offsets: {group: g, topic: t, to: {datetime: 5s}}
  - wait: 1s
  - start_consumer: {name: c1, group: g, topics: [t], auto.offset.reset: earliest}
  - wait: 10s
""")
    assert report["step_errors"] == []
    assert report["consumers"]["c1"]["processed"] == 10 + 6
    assert report["audit"]["consumed_duplicates"] == 6
    assert report["groups"]["g"]["committed"] == {"t/0": 10}


def test_crash_pause_and_resume_drive_the_consumer(tmp_path, capsys):
    report = _run(tmp_path, capsys, """
name: life of a consumer
seed: 5
topics: [{name: t, partitions: 2, replication_factor: 3}]
steps:
  - start_consumer: {name: c1, group: g, topics: [t], auto.offset.reset: earliest}
  - start_consumer: {name: c2, group: g, topics: [t], auto.offset.reset: earliest, max.poll.interval.ms: 10s}
  - start_consumer: {name: c3, group: g, topics: [t], auto.offset.reset: earliest, session.timeout.ms: 10s}
  - wait: 8s
  - crash_consumer: c3
  - pause_consumer: c2
  - wait: 5s
  - produce: {topic: t, value: "v{i}", partition: 0, count: 5}
  - produce: {topic: t, value: "w{i}", partition: 1, count: 5}
  - wait: 20s
""")
    assert report["step_errors"] == []
    consumers = report["consumers"]
    assert [consumers[n]["state"] for n in ("c1", "c2", "c3")] == ["polling", "paused", "crashed"]
    group = report["groups"]["g"]
    # c3's session expired and c2 left after max.poll.interval.ms without a poll(): c1 owns everything.
    assert group["members"] == {"c1": ["t/0", "t/1"]}
    assert consumers["c1"]["processed"] == 10 and consumers["c2"]["processed"] == 0
    # c2's application has not polled since: it learns that it lost t/1 only at its next poll().
    assert consumers["c2"]["assignment"] == ["t/1"]


def test_a_stopped_consumer_started_again_rejoins_its_group(tmp_path, capsys):
    report = _run(tmp_path, capsys, SETUP + """
  - stop_consumer: c1
  - wait: 1s
  - produce: {topic: sales, key: "store-{i}", value: "sale {i} later", count: 30}
  - start_consumer: {name: c1, group: reports, topics: [sales], auto.offset.reset: earliest}
  - wait: 10s
""")
    assert report["step_errors"] == []
    assert report["groups"]["reports"]["members"] == {"c1": ["sales/0", "sales/1", "sales/2"]}
    assert report["groups"]["reports"]["generation"] == 3           # joined, emptied, joined again
    # The counters carry on across the restart, and nothing is read twice: c1 resumes at its commits.
    assert report["consumers"]["c1"]["processed"] == 60
    assert report["audit"]["consumed_duplicates"] == 0 and report["audit"]["skipped"] == 0


BAD_STEPS = [
    ("stop_consumer: ghost", "INVALID_REQUEST", "cannot stop consumer ghost: there is no such consumer; "
                                                "consumers started so far: c1"),
    ("crash_consumer: ghost", "INVALID_REQUEST", "cannot crash consumer ghost: there is no such consumer"),
    ("pause_consumer: ghost", "INVALID_REQUEST", "cannot pause consumer ghost"),
    ("resume_consumer: c1", "INVALID_REQUEST", "consumer c1 is not paused"),
    ("start_consumer: {name: c1, group: other, topics: [sales]}", "INVALID_REQUEST",
     "consumer c1 is already running (group reports)"),
    ("reset_offsets: {group: reports, topic: missing, to: latest}", "NON_EMPTY_GROUP", "Assignments can only"),
]


@pytest.mark.parametrize("step, error, message", BAD_STEPS, ids=[s.split(":")[0] for s, _, _ in BAD_STEPS])
def test_a_bad_consumer_step_is_a_step_error_that_changes_nothing(tmp_path, capsys, step, error, message):
    bad = _run(tmp_path, capsys, SETUP + f"  - {step}\n  - wait: 1s\n")
    plain = _run(tmp_path, capsys, SETUP + "  - wait: 1s\n", name="plain.yaml")
    assert _errors(bad) == [(3, step.split(":")[0], error)]
    assert bad["step_errors"][0]["message"].startswith(message)
    for section in ("topics", "groups", "consumers", "audit", "virtual_time_ms"):
        assert bad[section] == plain[section]


def test_steps_on_a_consumer_that_is_no_longer_running_are_refused(tmp_path, capsys):
    report = _run(tmp_path, capsys, SETUP + """
  - pause_consumer: c1
  - pause_consumer: c1
  - resume_consumer: c1
  - crash_consumer: c1
  - stop_consumer: c1
  - crash_consumer: c1
  - resume_consumer: c1
  - wait: 1s
""")
    assert _errors(report) == [(4, "pause_consumer", "INVALID_REQUEST"), (7, "stop_consumer", "INVALID_REQUEST"),
                               (8, "crash_consumer", "INVALID_REQUEST"), (9, "resume_consumer", "INVALID_REQUEST")]
    messages = [e["message"] for e in report["step_errors"]]
    assert messages[0] == "consumer c1 is already paused"
    assert messages[1] == ("cannot stop consumer c1: it is not running (it crashed); start_consumer starts it "
                           "again")
    assert report["consumers"]["c1"]["state"] == "crashed"


def test_stopping_twice_in_one_moment_is_refused_while_the_first_stop_completes(tmp_path, capsys):
    report = _run(tmp_path, capsys, SETUP + "  - stop_consumer: c1\n  - stop_consumer: c1\n  - wait: 1s\n")
    assert _errors(report) == [(4, "stop_consumer", "INVALID_REQUEST")]
    assert "already shutting down" in report["step_errors"][0]["message"]
    assert report["consumers"]["c1"]["state"] == "stopped"
    assert report["groups"]["reports"]["state"] == "Empty"


def test_a_consumer_may_crash_while_it_stops(tmp_path, capsys):
    report = _run(tmp_path, capsys, SETUP + "  - stop_consumer: c1\n  - crash_consumer: c1\n  - wait: 1s\n")
    assert report["step_errors"] == []
    assert report["consumers"]["c1"]["state"] == "crashed"
    # No LeaveGroup went out: the coordinator keeps c1 until its session times out.
    assert report["groups"]["reports"]["members"] == {"c1": ["sales/0", "sales/1", "sales/2"]}


def test_transactional_commits_need_an_output_producer_configured_before(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text("""
name: exactly once
topics: [{name: t, partitions: 1, replication_factor: 3}]
steps:
  - start_consumer: {name: c1, group: g, topics: [t], commit: transactional, output: p1}
""")
    assert run_command(str(path)) == 2
    captured = capsys.readouterr()
    assert "s.yaml:5: steps[0].start_consumer.output: output: p1 must be a producer that an earlier " \
           "start_producer step configured" in captured.err
    assert captured.out == ""


# -- the human summary ---------------------------------------------------------------------------
def test_the_summary_describes_groups_like_kafka_consumer_groups(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(SETUP)
    assert run_command(str(path)) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "Group reports: Stable, generation 1, assignor range, coordinator 102, 1 member(s)" in lines
    header = next(i for i, line in enumerate(lines) if line.startswith("GROUP "))
    assert lines[header].startswith("GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  "
                                    "LAG             CONSUMER-ID")
    assert lines[header].endswith("HOST            CLIENT-ID")
    row = lines[header + 1].split()
    assert row[:6] == ["reports", "sales", "0", "11", "11", "0"]
    assert row[6].startswith("c1-") and row[7:] == ["/c1", "c1"]
    assert "Consumer c1 (group reports): polling, polled 30, processed 30, owns sales/0, sales/1, sales/2" in lines
    # Internal topics get one line, not 50 partitions.
    assert sum("__consumer_offsets" in line for line in lines) == 1


def test_describe_lists_unowned_commits_and_idle_members_with_dashes():
    group = {"state": "Stable", "members": {"c1": ["t/0"], "c2": []}, "member_ids": {"c1": "c1-x", "c2": "c2-y"},
             "committed": {"t/0": 3, "t/1": 4}, "lag": {"t/0": 2, "t/1": 0}}
    topics = {"t": {"partitions": [{"high_watermark": 5}, {"high_watermark": 4}]}}
    lines = describe_group_offsets("g", group, topics)
    assert lines[0] == HEADER
    assert [line.split() for line in lines[1:]] == [
        ["g", "t", "0", "3", "5", "2", "c1-x", "/c1", "c1"],
        ["g", "t", "1", "4", "4", "0", "-", "-", "-"],
        ["g", "-", "-", "-", "-", "-", "c2-y", "/c2", "c2"],
    ]


@pytest.mark.parametrize("state, notice", [
    ("Empty", "Consumer group 'g' has no active members."),
    ("PreparingRebalance", "Warning: Consumer group 'g' is rebalancing."),
    ("CompletingRebalance", "Warning: Consumer group 'g' is rebalancing."),
])
def test_describe_prints_kafkas_notice_for_a_group_that_is_not_stable(state, notice):
    group = {"state": state, "members": {}, "committed": {"t/0": 3}, "lag": {"t/0": 0}}
    lines = describe_group_offsets("g", group, {"t": {"partitions": [{"high_watermark": 3}]}})
    assert lines[0] == notice and lines[1] == HEADER and lines[2].split() == ["g", "t", "0", "3", "3", "0", "-",
                                                                            "-", "-"]


def test_describe_of_a_dead_group_prints_only_the_notice():
    group = {"state": "Dead", "members": {}, "committed": {}, "lag": {}}
    assert describe_group_offsets("g", group, {}) == [
        "Consumer group 'g' does not exist (no live broker coordinates it)."]


def test_a_group_scenario_gives_the_same_bytes_in_processes_with_different_hash_seeds():
    """Member ids, assignments and commits must not depend on Python's per-process string hashing."""
    path = Path(__file__).resolve().parents[2] / "scenarios" / "group-coordinator-failover.yaml"
    outputs = []
    for hash_seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run([sys.executable, "-m", "playground.cli", "scenario", "run", str(path), "--json",
                               "--events"], env=env, capture_output=True, check=True)
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] and b'"groups"' in outputs[0]
