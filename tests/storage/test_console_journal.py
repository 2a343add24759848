"""The Kafka CLI console in the journal: a command, the lines typed into it, Ctrl+D and Ctrl+C replay exactly.

Headless, through the journal as the window's bridge drives it (`start_tool`, `feed_tool`, ...): run the
commands at uneven instants, save a workspace, open it, and compare the rebuilt cluster with the live one
(the state digest covers every topic, record, high watermark, committed offset and event).
"""

from __future__ import annotations

import random

import pytest

from playground.storage import (
    ClusterSetup,
    Command,
    Journal,
    ReplayError,
    open_workspace,
    replay,
    save_workspace,
)
from playground.storage.tables import state_digest

from .test_workspace import _state

SETUP = ClusterSetup(seed=7, brokers=3, network_latency=5,
                     topics=[{"name": "orders", "partitions": 3, "replication_factor": 3,
                              "config": {"min.insync.replicas": 2}}])
BOOT = ["--bootstrap-server", "localhost:9092"]


class Terminal:
    """What the console pane would show (so a test can see the tool did what it says)."""

    def __init__(self) -> None:
        self.text = ""

    def __call__(self, text: str, _stream: str) -> None:
        self.text += text


def _frames(journal: Journal, until: int, rng: random.Random) -> None:
    """The window's frames: uneven steps, sometimes within the same ms."""
    clock = journal.cluster.clock
    while clock.now < until:
        clock.run_until(clock.now + rng.choice((0, 1, 3, 16, 40)))


def _reopened(journal: Journal, tmp_path, name: str = "w.sqlite"):
    path = tmp_path / name
    save_workspace(journal.cluster, journal, path)
    ws = open_workspace(path)
    assert ws.mismatches == []
    assert state_digest(ws.cluster) == state_digest(journal.cluster)
    assert _state(ws.cluster) == _state(journal.cluster)
    assert (ws.cluster.clock.now, ws.cluster.clock.executed) == (journal.cluster.clock.now,
                                                                  journal.cluster.clock.executed)
    return ws


def _values(cluster, topic: str) -> list[bytes]:
    view = cluster.view()
    return sorted(rec.value for p in view.partitions(topic)
                  for _o, rec, batch in view.authoritative_log(topic, p.partition).records() if not batch.is_control)


def test_console_topic_commands_replay(tmp_path):
    rng = random.Random(3)                  # seed 3: the frame lengths
    j = Journal.start(SETUP)
    out = Terminal()
    j.start_tool(["kafka-topics", *BOOT, "--create", "--topic", "payments", "--partitions", "4",
                  "--replication-factor", "2", "--config", "retention.ms=60000"], out)
    assert "Created topic payments." in out.text
    _frames(j, 700, rng)
    j.start_tool(["kafka-topics", *BOOT, "--alter", "--topic", "payments", "--partitions", "6"], out)
    j.start_tool(["kafka-topics", *BOOT, "--create", "--topic", "gone", "--partitions", "1"], out)
    _frames(j, 1_500, rng)
    j.start_tool(["kafka-topics", *BOOT, "--delete", "--topic", "gone"], out)
    j.start_tool(["kafka-topics", *BOOT, "--create", "--topic", "orders"], out)      # refused: it exists
    assert "Topic 'orders' already exists." in out.text
    _frames(j, 4_000, rng)
    assert [c.action for c in j.commands] == ["tool"] * 5
    assert [c.args["id"] for c in j.commands] == [0, 1, 2, 3, 4]
    ws = _reopened(j, tmp_path)
    view = ws.cluster.view()
    assert len(view.partitions("payments")) == 6 and "gone" not in view.topic_names()
    assert view.topic_configs("payments")["retention.ms"] == 60000


def test_console_producer_lines_typed_later_replay(tmp_path):
    rng = random.Random(4)                  # seed 4: the frame lengths
    j = Journal.start(SETUP)
    producer = j.start_tool(["kafka-console-producer", *BOOT, "--topic", "orders", "--property", "parse.key=true",
                             "--property", "key.separator=:"])
    assert not producer.done and j.running_tools() == {0: producer}
    for i in range(6):
        _frames(j, j.cluster.now + rng.randrange(1, 400), rng)
        j.feed_tool(producer, f"user-{i % 3}:line {i}")
    j.feed_tool(producer, "no separator here")         # LineMessageReader refuses it: the tool exits 1
    _frames(j, j.cluster.now + 3_000, rng)
    assert producer.exit_code == 1 and j.running_tools() == {}
    assert _values(j.cluster, "orders") == [f"line {i}".encode() for i in range(6)]
    ws = _reopened(j, tmp_path)
    assert [c.action for c in ws.journal.commands] == ["tool"] + ["tool_input"] * 7
    assert _values(ws.cluster, "orders") == _values(j.cluster, "orders")


def test_console_producer_ended_with_ctrl_d_replays(tmp_path):
    j = Journal.start(SETUP)
    producer = j.start_tool(["kafka-console-producer", *BOOT, "--topic", "orders", "--sync"])
    for i in range(4):
        j.feed_tool(producer, f"sync {i}")             # --sync queues lines while it waits for an ack
        j.cluster.run_until(j.cluster.now + 7)
    j.end_tool_input(producer)
    j.cluster.run_until(j.cluster.now + 5_000)
    assert producer.exit_code == 0
    j.end_tool_input(producer)                         # finished: ignored, and not recorded
    assert j.commands[-1].action == "tool_end_input" and len(j.commands) == 6
    ws = _reopened(j, tmp_path)
    assert _values(ws.cluster, "orders") == [f"sync {i}".encode() for i in range(4)]


def _group_session(rng: random.Random) -> tuple[Journal, Terminal]:
    """Records produced, a console consumer in group g1 that commits them, stopped with Ctrl+C, then its
    offsets reset to the earliest with --execute."""
    j = Journal.start(SETUP)
    j.execute("produce", {"topic": "orders", "key": "k{i}", "value": "v{i}", "count": 20, "acks": "all",
                          "producer": "ui-acks-all"})
    _frames(j, 800, rng)
    out = Terminal()
    consumer = j.start_tool(["kafka-console-consumer", *BOOT, "--topic", "orders", "--group", "g1",
                             "--from-beginning"], out)
    _frames(j, 9_000, rng)
    assert out.text.count("\n") == 20
    j.stop_tool(consumer)
    _frames(j, 12_000, rng)
    assert consumer.exit_code == 130 and "Processed a total of 20 messages" in out.text
    assert sum(dict(j.cluster.view().group_committed("g1")).values()) == 20
    j.start_tool(["kafka-consumer-groups", *BOOT, "--group", "g1", "--reset-offsets", "--to-earliest",
                  "--topic", "orders", "--execute"], out)
    _frames(j, 14_000, rng)
    return j, out


def test_console_consumer_group_commits_and_reset_offsets_replay(tmp_path):
    j, _ = _group_session(random.Random(5))     # seed 5: the frame lengths
    assert dict(j.cluster.view().group_committed("g1")) and \
        sum(dict(j.cluster.view().group_committed("g1")).values()) == 0
    ws = _reopened(j, tmp_path)
    assert [c.action for c in ws.journal.commands] == ["produce", "tool", "tool_stop", "tool"]
    assert dict(ws.cluster.view().group_committed("g1")) == dict(j.cluster.view().group_committed("g1"))


def test_replay_with_a_tool_running_mid_way_reaches_the_same_instant():
    """A console consumer places its own callbacks on the clock: a replay that runs it reaches the recorded
    instants exactly (`run_to` compares callbacks run), and one that lacks it takes another course."""
    rng = random.Random(6)                  # seed 6: the frame lengths
    j = Journal.start(SETUP)
    j.execute("produce", {"topic": "orders", "key": None, "value": "a{i}", "count": 5, "acks": "1",
                          "producer": "ui-acks-1"})
    _frames(j, 300, rng)
    j.start_tool(["kafka-console-consumer", *BOOT, "--topic", "orders", "--group", "mid", "--from-beginning"])
    _frames(j, 5_000, rng)
    j.execute("produce", {"topic": "orders", "key": None, "value": "b{i}", "count": 5, "acks": "1",
                          "producer": "ui-acks-1"})
    _frames(j, 9_000, rng)
    end = j.mark()
    again = replay(SETUP, j.commands, end)
    assert again.mark() == end
    assert state_digest(again.cluster) == state_digest(j.cluster)
    assert list(again.running_tools()) == [0]          # the consumer runs on in the rebuilt cluster
    without = [c for c in j.commands if c.action != "tool"]
    with pytest.raises(ReplayError, match="took another course"):
        replay(SETUP, without, end)


def test_a_reopened_workspace_can_stop_the_command_it_replayed(tmp_path):
    j = Journal.start(SETUP)
    j.start_tool(["kafka-console-consumer", *BOOT, "--topic", "orders", "--group", "g9"])
    j.cluster.run_until(6_000)
    ws = _reopened(j, tmp_path, "running.sqlite")
    (tool_id, command), = ws.journal.running_tools().items()
    out = Terminal()
    command.redirect(out)                               # what the console does when it takes it over
    ws.journal.stop_tool(command)
    ws.cluster.run_until(ws.cluster.now + 2_000)
    assert command.exit_code == 130 and "Processed a total of 0 messages" in out.text
    assert ws.journal.commands[-1].action == "tool_stop" and ws.journal.commands[-1].args == {"id": tool_id}
    again = _reopened(ws.journal, tmp_path, "stopped.sqlite")
    assert again.journal.running_tools() == {}


def test_a_line_for_a_command_that_is_not_running_does_not_replay():
    bad = [Command(0, 0, "tool_input", {"id": 4, "line": "x"})]
    with pytest.raises(ReplayError, match="no console command 4 is running"):
        replay(SETUP, bad)


def test_real_clients_in_the_journal_are_said_not_silently_lost(tmp_path):
    j = Journal.start(SETUP)
    j.cluster.run_until(500)
    j.record_wire_clients({"bootstrap": "localhost:9092"})
    # What a real client did is not in the journal; this stands for it.
    j.cluster.producer("external").send("orders", b"from outside", b"k")
    j.cluster.run_until(2_000)
    path = tmp_path / "wire.sqlite"
    save_workspace(j.cluster, j, path)
    ws = open_workspace(path)
    assert any("real Kafka clients" in m and "500 ms" in m for m in ws.mismatches)
    assert any("records; the file says" in m for m in ws.mismatches)
    assert ws.cluster.clock.now == 2_000
