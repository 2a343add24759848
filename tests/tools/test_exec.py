"""`kafka-playground exec`: run a scenario, then one Kafka CLI command, and print what the console would."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from playground.cli import main

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
BOOTSTRAP = ["--bootstrap-server", "localhost:9092"]


def test_consumer_prints_the_scenarios_records_then_stops_when_caught_up(capsys):
    code = main(["exec", "--scenario", str(SCENARIOS / "first-records.yaml"), "--", "kafka-console-consumer",
                 *BOOTSTRAP, "--topic", "orders", "--from-beginning", "--property", "print.key=true",
                 "--property", "print.partition=true"])
    out, err = capsys.readouterr()
    assert code == 0
    # murmur2("user-1") % 3 == 2: all five records are on partition 2, in order.
    assert out == "".join(f"Partition:2\tuser-1\torder {i}\n" for i in range(5))
    assert err == "Processed a total of 5 messages\n"


def test_consumer_groups_describes_the_group_the_scenario_left(capsys):
    code = main(["exec", "--scenario", str(SCENARIOS / "group-reset-offsets.yaml"), "--", "kafka-consumer-groups",
                 *BOOTSTRAP, "--describe", "--group", "reports"])
    out, err = capsys.readouterr()
    lines = out.split("\n")
    assert (code, err, lines[0], lines[-1]) == (0, "", "", "")
    assert lines[1].split() == ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG",
                                "CONSUMER-ID", "HOST", "CLIENT-ID"]
    rows = [line.split() for line in lines[2:-1]]
    assert [r[:3] for r in rows] == [["reports", "sales", "0"], ["reports", "sales", "1"], ["reports", "sales", "2"]]
    assert sum(int(r[3]) for r in rows) == 30 and {r[5] for r in rows} == {"0"}      # read all 30, no lag
    assert {r[8] for r in rows} == {"c1"} and {r[7] for r in rows} == {"/127.0.0.1"}


def test_reset_offsets_refused_while_the_scenarios_consumer_runs(capsys):
    code = main(["exec", "--scenario", str(SCENARIOS / "group-reset-offsets.yaml"), "--", "kafka-consumer-groups",
                 *BOOTSTRAP, "--reset-offsets", "--group", "reports", "--topic", "sales", "--to-earliest",
                 "--execute"])
    out, _err = capsys.readouterr()
    assert code == 0
    assert out.startswith("\nError: Assignments can only be reset if the group 'reports' is inactive, but the "
                          "current state is Stable.\n")


def test_producer_reads_standard_input(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("k1:one\nk2:two\n"))
    code = main(["exec", "--", "kafka-console-producer", *BOOTSTRAP, "--topic", "orders", "--property",
                 "parse.key=true", "--property", "key.separator=:"])
    assert code == 0 and capsys.readouterr() == ("", "")


def test_tool_errors_give_kafkas_exit_code_and_a_bad_scenario_gives_2(capsys, tmp_path):
    assert main(["exec", "--", "kafka-topics", "--list"]) == 1
    assert capsys.readouterr().err == "--bootstrap-server must be specified\n"
    assert main(["exec", "--", "kafka-sql"]) == 127
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nseed: 1\nsteps: [{fly: {}}]\n")
    assert main(["exec", "--scenario", str(bad), "--", "kafka-topics", *BOOTSTRAP, "--list"]) == 2
    assert main(["exec"]) == 2


def test_exec_runs_as_a_command_without_qt():
    code = ("import sys; from playground.cli import main; rc = main(sys.argv[1:]); "
            "assert not [m for m in sys.modules if m.startswith('PySide6')]; sys.exit(rc)")
    result = subprocess.run([sys.executable, "-c", code, "exec", "--scenario", str(SCENARIOS / "first-records.yaml"),
                             "--", "kafka-topics.sh", *BOOTSTRAP, "--describe", "--topic", "orders"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("Topic: orders\tTopicId: ") and first.endswith(
        "\tPartitionCount: 3\tReplicationFactor: 3\tConfigs: min.insync.replicas=2")
