"""The command journal: every command that changed a cluster, at the instant it ran.

A `Command` is (virtual time, callbacks run so far, action, JSON arguments,
source). The pair (time, callbacks run) pins an instant exactly: the window
may run the clock to the same millisecond many times, running callbacks due
then between two commands, and a replay must do exactly the same.

`replay(setup, commands, end)` builds the cluster from its `ClusterSetup` and
applies the commands at their instants, headless and as fast as the machine
goes: the engine is deterministic, so the result is the same cluster. The
journal grows again during a replay, so a reopened workspace goes on being
recorded. Later the same journal serves time travel (replay to an earlier
instant).

Sources: `user` commands come from the window (`SimulationBridge`), `scenario`
commands are the steps of the scenario the cluster came from (`{"step": i}`),
replayed by the scenario runner itself, and `lesson` commands the reference
steps of the lesson the cluster came from ("Show me", `lesson_steps.py`).
The Kafka CLI console's commands are `user` commands (`tool`, `tool_input`,
..., see `tools.py`).

Real Kafka clients served by the window's wire listener act from outside the
simulation and are not in the journal: the window records `wire_clients`
when they first act, and a replay that meets it says so (`replay_notes`) and
from then on only follows the recorded times, since the callbacks their
requests ran cannot be run again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from playground.engine import Cluster, KafkaError
from playground.scenario import ClusterSpec, Scenario, ScenarioError, Step
from playground.scenario.runner import ScenarioRun

from .actions import EXACT, STATEFUL, WIRE_CLIENTS, runner_args
from .lesson_steps import LESSON, SCHEDULE, LessonSteps
from .setup import ClusterSetup
from .tools import ToolRuns, discard

if TYPE_CHECKING:
    from playground.lessons import LessonSession
    from playground.tools import Command as ToolCommand

USER = "user"
SCENARIO = "scenario"

Mark = tuple[int, int]          # (virtual time in ms, callbacks the scheduler has run)


class ReplayError(Exception):
    """A journal that does not replay: which command, and why (one line)."""


@dataclass(frozen=True)
class Command:
    time_ms: int
    executed: int               # callbacks run before this command (see the module docstring)
    action: str                 # the scenario contract's action name
    args: dict[str, Any] = field(default_factory=dict)
    source: str = USER

    def describe(self) -> str:
        return f"{self.action} at {self.time_ms} ms"

    def args_json(self) -> str:
        return json.dumps(self.args, sort_keys=True, ensure_ascii=False)


class _JournaledRun(ScenarioRun):
    """The scenario runner, recording each scenario step it applies."""

    def __init__(self, scn: Scenario, cluster: Cluster, journal: Journal) -> None:
        super().__init__(scn, cluster)
        self._journal = journal

    def apply(self, step: Step) -> None:
        self._journal.record(step.action, {"step": step.index}, source=SCENARIO)
        super().apply(step)


def _blank_scenario(setup: ClusterSetup | None, cluster: Cluster) -> Scenario:
    """A scenario with no steps, so the runner can apply user commands to a cluster not made from one."""
    seed = setup.seed if setup else cluster.seed
    return Scenario("workspace", "", seed, ClusterSpec(), [], [], [])


class Journal:
    def __init__(self, cluster: Cluster, setup: ClusterSetup | None, *,
                 lesson: LessonSession | None = None) -> None:
        self.cluster = cluster
        self.setup = setup
        self.commands: list[Command] = []
        self.scenario: Scenario | None = setup.parsed_scenario() if setup and setup.scenario else None
        # A lesson's cluster goes on with the runner that ran its setup: its producers, its step errors.
        self.lesson: LessonSteps | None = LessonSteps(lesson) if lesson is not None else None
        self.run: ScenarioRun = lesson.run if lesson is not None else _JournaledRun(
            self.scenario or _blank_scenario(setup, cluster), cluster, self)
        self.tools = ToolRuns(cluster)
        # Problems a replay met but the live run went on after (a scenario step that raised).
        self.replay_notes: list[str] = []
        # Called with each command recorded as it runs (not when replayed): time travel forks on it.
        self.listeners: list[Callable[[Command], None]] = []
        # Set by replaying `wire_clients`: the recording is no longer followed callback by callback.
        self.approximate = False

    # -- making one ------------------------------------------------------------------------
    @classmethod
    def start(cls, setup: ClusterSetup) -> Journal:
        """A new cluster from `setup`, recorded from its first instant (a lesson's: from the end of its
        setup, with its session as `lesson_session`)."""
        if setup.lesson is not None:
            session = setup.lesson_session()
            return cls(session.cluster, setup, lesson=session)
        return cls(setup.build(), setup)

    @classmethod
    def for_cluster(cls, cluster: Cluster) -> Journal:
        """Record a cluster someone else built; saveable only if its set-up can be read off it."""
        return cls(cluster, ClusterSetup.infer(cluster))

    @property
    def saveable(self) -> bool:
        return self.setup is not None

    @property
    def lesson_session(self) -> LessonSession | None:
        return self.lesson.session if self.lesson is not None else None

    # -- recording -------------------------------------------------------------------------
    def mark(self) -> Mark:
        clock = self.cluster.clock
        return clock.now, clock.executed

    def record(self, action: str, args: dict[str, Any], *, mark: Mark | None = None,
               source: str = USER) -> Command:
        """Note a command that ran (or, from the runner, is about to); `mark` is taken before it ran."""
        time_ms, executed = mark if mark is not None else self.mark()
        cmd = Command(time_ms, executed, action, json.loads(json.dumps(args)), source)
        self.commands.append(cmd)
        self._tell(cmd)
        return cmd

    def _tell(self, cmd: Command) -> None:
        for listener in list(self.listeners):
            listener(cmd)

    # -- the Kafka CLI console (tools.py) ----------------------------------------------------------
    def start_tool(self, argv: list[str], out=discard) -> ToolCommand:
        """Start a console command (its output to `out(text, "out" | "err")`), recorded as `tool`. Recorded
        even if it raises (a bug in a tool): what it did before raising, a replay does too."""
        mark = self.mark()
        tool_id = self.tools.next_id
        try:
            return self.tools.start(argv, out, tool_id)
        finally:
            self.record("tool", {"id": tool_id, "argv": list(argv)}, mark=mark)

    def feed_tool(self, command: ToolCommand, line: str) -> None:
        """One line typed into a running command (the console producer's input)."""
        self._tool_signal(command, "tool_input", line)

    def end_tool_input(self, command: ToolCommand) -> None:
        """Ctrl+D: the end of a running command's input."""
        self._tool_signal(command, "tool_end_input")

    def stop_tool(self, command: ToolCommand) -> None:
        """Ctrl+C: stop a running command."""
        self._tool_signal(command, "tool_stop")

    def running_tools(self) -> dict[int, ToolCommand]:
        """Console commands still running, by id (after a replay: those running when it was saved)."""
        return dict(self.tools.running)

    def _tool_signal(self, command: ToolCommand, action: str, line: str | None = None) -> None:
        tool_id = self.tools.id_of(command)
        if tool_id is None:
            if not command.done:
                raise ValueError(f"{command.name} was not started through this journal: a replay would lack it")
            return                  # a finished command ignores its input and Ctrl+C: nothing to record
        mark = self.mark()
        args: dict[str, Any] = {"id": tool_id, "line": line} if action == "tool_input" else {"id": tool_id}
        try:
            self.tools.signal(action, tool_id, line)
        finally:
            self.record(action, args, mark=mark)

    # -- a lesson's reference steps (lesson_steps.py) ---------------------------------------------------
    def apply_lesson_steps(self, steps) -> None:
        """Apply lesson reference steps now, one command each (resuming a lesson; `wait` advances)."""
        lesson = self._lesson()
        for step in steps:
            mark = self.mark()
            lesson.apply(step)
            self.record(step.action, {"step": step.index}, mark=mark, source=LESSON)

    def schedule_lesson_steps(self, steps) -> int:
        """Place lesson reference steps on the clock from now ("Show me", a prediction's run), recorded as
        one `schedule` command; returns the virtual time the last is due (waits included)."""
        lesson = self._lesson()
        entries, end = lesson.plan(steps)
        mark = self.mark()
        lesson.schedule(entries)
        self.record(SCHEDULE, {"steps": entries}, mark=mark, source=LESSON)
        return end

    def _lesson(self) -> LessonSteps:
        if self.lesson is None:
            raise ValueError("this journal records no lesson")
        return self.lesson

    # -- real Kafka clients ------------------------------------------------------------------------
    def record_wire_clients(self, detail: dict[str, Any]) -> Command:
        """Real clients acted on the cluster over the wire: what they did is not journalled (see above)."""
        return self.record(WIRE_CLIENTS, detail)

    # -- the scenario's timeline -----------------------------------------------------------
    def applied_steps(self) -> set[int]:
        return {c.args["step"] for c in self.commands if c.source == SCENARIO}

    def timeline(self) -> list[tuple[int, Callable[[], None]]]:
        """The scenario steps not applied yet, at their virtual times, for the window to apply as
        time passes (each records itself)."""
        if self.scenario is None:
            return []
        done = self.applied_steps()
        out: list[tuple[int, Callable[[], None]]] = []
        t = 0
        for step in self.scenario.steps:
            if step.action == "wait":
                t += step.args["duration"]
            elif step.index not in done:
                out.append((t, lambda step=step: self.run.apply(step)))
        return out

    # -- replaying -------------------------------------------------------------------------
    def run_to(self, mark: Mark) -> None:
        """Run the clock to the instant `mark`: to its time, having run exactly its callbacks."""
        time_ms, executed = mark
        clock = self.cluster.clock
        if self.approximate:
            clock.run_until(max(time_ms, clock.now))
            return
        if time_ms > clock.now:
            # Time only moves past a callback by running it: everything before `time_ms` ran live.
            clock.run_until(time_ms - 1)
        while clock.executed < executed:
            due = clock.next_time()
            if due is None or due > time_ms:
                break
            clock.step()
        if clock.executed == executed and clock.now < time_ms:
            clock.run_until(time_ms)
        if clock.executed != executed or clock.now != time_ms:
            raise ReplayError(f"the cluster took another course: at {time_ms} ms the recording had run {executed} "
                              f"callbacks, the replay {clock.executed} (at {clock.now} ms)")

    def replay_command(self, cmd: Command, name: str) -> None:
        """Run to `cmd`'s instant and apply it. ReplayError when it fails, unless real clients acted
        before (then the cluster may differ from the recording: the failure is noted, `name` first)."""
        try:
            self.run_to((cmd.time_ms, cmd.executed))
            self.apply(cmd)
        except ReplayError as exc:
            if not self.approximate:
                raise
            # After real clients acted, a command may meet another cluster; the live one went on.
            self.replay_notes.append(f"{name} did not replay: {exc}")

    def execute(self, action: str, args: dict[str, Any]) -> Command:
        """Run a user command now and record it: what a headless caller does instead of the window.

        Kafka's refusal comes back as KafkaError, and then nothing is recorded.
        """
        mark = self.mark()
        if action == "tool" and "id" not in args:
            args = {"id": self.tools.next_id, **args}
        cmd = Command(mark[0], mark[1], action, json.loads(json.dumps(args)), USER)
        self._dispatch(cmd)
        self.commands.append(cmd)
        self._tell(cmd)
        return cmd

    def apply(self, cmd: Command) -> None:
        """Apply one recorded command at the current instant (ReplayError if it fails)."""
        if cmd.source == SCENARIO:
            self._apply_step(cmd)
            return
        try:
            if cmd.source == LESSON:
                self._apply_lesson(cmd)
            else:
                self._dispatch(cmd)
        except KafkaError as exc:
            raise ReplayError(f"{exc.error.name}: {exc.message}") from None
        except ReplayError:
            raise
        except Exception as exc:        # noqa: BLE001 - a malformed or unknown command, said in one line
            raise ReplayError(f"{type(exc).__name__}: {exc}") from None
        self.commands.append(cmd)

    def _dispatch(self, cmd: Command) -> None:
        if cmd.action in STATEFUL:
            STATEFUL[cmd.action](self, cmd)
            return
        if cmd.action in EXACT:
            EXACT[cmd.action](self.cluster, cmd.args)
            return
        self.run.perform(Step(-1, cmd.action, runner_args(cmd.action, cmd.args)))

    def _apply_lesson(self, cmd: Command) -> None:
        if self.lesson is None:
            raise ReplayError("a lesson's command, but the journal records no lesson")
        if cmd.action == SCHEDULE:
            self.lesson.schedule(list(cmd.args["steps"]))
            return
        step = self.lesson.step(cmd.args.get("step"))
        if step.action != cmd.action:
            raise ReplayError(f"lesson step {step.index} is {step.action}, the journal says {cmd.action}")
        self.lesson.apply(step)

    def _apply_step(self, cmd: Command) -> None:
        steps = self.scenario.steps if self.scenario is not None else []
        index = cmd.args.get("step")
        if not isinstance(index, int) or not 0 <= index < len(steps):
            raise ReplayError(f"scenario step {index!r} does not exist (the scenario has {len(steps)} steps)")
        step = steps[index]
        if step.action != cmd.action:
            raise ReplayError(f"scenario step {index} is {step.action}, the journal says {cmd.action}")
        try:
            self.run.apply(step)            # records it again (same instant, same step)
        except Exception as exc:            # noqa: BLE001 - the window went on after such a step; so do we
            self.replay_notes.append(f"step {index} ({step.action}) raised {type(exc).__name__}: {exc}")


def replay(setup: ClusterSetup, commands: Iterable[Command], end: Mark | None = None,
           build: Callable[[ClusterSetup], Journal] = Journal.start) -> Journal:
    """Rebuild a cluster: `setup`, then each command at its instant, then the clock to `end`.

    Raises ReplayError naming the first command that fails (or the set-up, when
    the stored scenario no longer validates).
    """
    try:
        journal = build(setup)
    except ScenarioError as exc:
        raise ReplayError(f"its scenario no longer loads: {exc}") from None
    except (KafkaError, ValueError) as exc:
        raise ReplayError(f"its cluster set-up is refused: {exc}") from None
    for n, cmd in enumerate(commands):
        try:
            journal.replay_command(cmd, f"command {n} ({cmd.describe()})")
        except ReplayError as exc:
            raise ReplayError(f"command {n} ({cmd.describe()}): {exc}") from None
    if end is not None:
        try:
            journal.run_to(end)
        except ReplayError as exc:
            raise ReplayError(f"after the last command: {exc}") from None
    return journal
