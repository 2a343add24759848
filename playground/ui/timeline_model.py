"""What the time-travel timeline marks: the commands given and the events worth finding again.

Plain Python over a branch's live cluster and journal (no Qt), read incrementally:
each `update()` looks only at the events emitted since the last one, so a long run
costs nothing per frame. Marks are grouped in lanes by what they mean (a fault, a
recovery, a leader election, a group rebalance, a command), each with the sentence
the event log has for it.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from playground.engine import EventKind
from playground.storage.journal import SCENARIO, Command

# Event kind -> lane. Everything else (records, fetches, heartbeats) stays off the timeline.
LANES: dict[EventKind, str] = {
    EventKind.BROKER_KILLED: "fault",
    EventKind.BROKER_ISOLATED: "fault",
    EventKind.BROKER_SLOWED: "fault",
    EventKind.CONTROLLER_KILLED: "fault",
    EventKind.REPLICA_TRUNCATED: "fault",
    EventKind.PRODUCE_FAILED: "fault",
    EventKind.CONSUMER_CRASHED: "fault",
    EventKind.PRODUCER_CRASHED: "fault",
    EventKind.PRODUCER_FENCED: "fault",
    EventKind.BROKER_RESTARTED: "recovery",
    EventKind.BROKER_HEALED: "recovery",
    EventKind.CONTROLLER_RESTARTED: "recovery",
    EventKind.BROKER_UNFENCED: "recovery",
    EventKind.LEADER_ELECTED: "leadership",
    EventKind.CONTROLLER_ELECTION: "leadership",
    EventKind.ISR_CHANGED: "leadership",
    EventKind.REBALANCE_STARTED: "group",
    EventKind.GROUP_STABLE: "group",
    EventKind.TOPIC_CREATED: "command",
}
# Lane -> (palette colour key, what the legend calls it), top to bottom.
LANE_STYLE: dict[str, tuple[str, str]] = {
    "command": ("selected", "commands"),
    "fault": ("dead", "faults"),
    "recovery": ("good", "recoveries"),
    "leadership": ("leader", "elections and ISR changes"),
    "group": ("rebalance", "rebalances"),
}


@dataclass(frozen=True, slots=True)
class Mark:
    time: int
    lane: str
    text: str


def describe_command(cmd: Command) -> str:
    """A journal command in a few words, for the timeline's tooltip."""
    a = cmd.args
    if cmd.source == SCENARIO:
        return f"scenario step {int(a.get('step', -1)) + 1}: {cmd.action.replace('_', ' ')}"
    action = cmd.action
    if action == "produce":
        n = int(a.get("count", 1))
        return f"produce {n} record{'s' if n != 1 else ''} to {a.get('topic')} (acks={a.get('acks')})"
    if action in ("kill_broker", "restart_broker", "isolate_broker", "heal", "slow_broker"):
        verb = {"kill_broker": "kill", "restart_broker": "restart", "isolate_broker": "isolate",
                "heal": "heal the network of", "slow_broker": "slow down"}[action]
        return f"{verb} broker {a.get('broker')}"
    if action in ("start_consumer", "stop_consumer", "crash_consumer", "pause_consumer", "resume_consumer"):
        verb = action.split("_")[0]
        group = f" in group {a['group']}" if action == "start_consumer" and a.get("group") else ""
        return f"{verb} consumer {a.get('name')}{group}"
    if action in ("start_producer", "stop_producer"):
        rate = f" at {a['rate']}" if action == "start_producer" and a.get("rate") else ""
        return f"{action.split('_')[0]} producer {a.get('name')}{rate}"
    if action == "create_topic":
        return f"create topic {a.get('name')} ({a.get('partitions')} partitions, RF {a.get('replication_factor')})"
    if action == "reset_offsets":
        return f"reset group {a.get('group')}'s offsets on {a.get('topic')} to {a.get('to')}"
    if action == "alter_config":
        return f"alter the config of {a.get('topic') or 'the brokers'}: {a.get('config')}"
    return action.replace("_", " ")


class TimelineMarks:
    """The marks of one branch, kept up to date as its cluster runs."""

    def __init__(self) -> None:
        self._history: list | None = None
        self._journal = None
        self._seen = 0
        self._commands_seen = 0
        self.events: list[Mark] = []          # sorted by time (events come in time order)
        self.commands: list[Mark] = []

    def follow(self, journal) -> None:
        """Mark `journal`'s cluster and commands (a branch's live run); from scratch when it is another."""
        if journal is self._journal:
            return
        self._journal = journal
        self._history = journal.cluster.events.history
        self._seen = 0
        self._commands_seen = 0
        self.events = []
        self.commands = []

    def update(self) -> bool:
        """Take in what happened since the last call; True when a mark was added."""
        if self._journal is None:
            return False
        added = False
        history = self._history
        for event in history[self._seen:]:
            lane = LANES.get(event.kind)
            if lane is not None:
                self.events.append(Mark(event.time, lane, event.text))
                added = True
        self._seen = len(history)
        commands = self._journal.commands
        for cmd in commands[self._commands_seen:]:
            self.commands.append(Mark(cmd.time_ms, "command", describe_command(cmd)))
            added = True
        self._commands_seen = len(commands)
        return added

    def all_times(self) -> list[int]:
        return sorted({m.time for m in self.events} | {m.time for m in self.commands})

    def previous(self, t: int) -> int | None:
        """The latest marked instant before `t`."""
        times = self.all_times()
        i = bisect.bisect_left(times, t)
        return times[i - 1] if i > 0 else None

    def next(self, t: int) -> int | None:
        """The earliest marked instant after `t`."""
        times = self.all_times()
        i = bisect.bisect_right(times, t)
        return times[i] if i < len(times) else None

    def near(self, t: int, tolerance_ms: float) -> list[Mark]:
        """Marks within `tolerance_ms` of `t`, commands first, nearest first."""
        out: list[Mark] = []
        for marks in (self.commands, self.events):
            lo = bisect.bisect_left(marks, t - tolerance_ms, key=lambda m: m.time)
            hi = bisect.bisect_right(marks, t + tolerance_ms, key=lambda m: m.time)
            out += sorted(marks[lo:hi], key=lambda m: abs(m.time - t))
        return out
