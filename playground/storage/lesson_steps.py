"""A lesson's reference steps in the journal: what "Show me", a prediction's run and resuming did.

A lesson's setup and its steps' reference solutions form one validated
scenario, each step with its index in it. The journal of a lesson window
names them as it names a scenario's steps: the contract's action and
`{"step": i}`, with source `lesson`, replayed by the lesson's own runner
(`LessonRun`, whose refusals speak of the lesson) from the lesson text the
workspace keeps. Two commands:

- a step applied at once (resuming a lesson replays the steps done before):
  `kill_broker {"step": 7}`, applied when it is recorded;
- `schedule {"steps": [{"step": 7, "action": "kill_broker", "at_ms": 5200}, ...]}`:
  "Show me" and a committed prediction place the reference steps on the
  cluster's clock, so the window shows them happen as time passes. The steps
  run inside the clock's callbacks, so they cannot be recorded one by one at
  their instants (a replay would lack the callback that ran each); the
  schedule itself is recorded, and a replay places the same callbacks at
  the same times, which apply the same steps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from playground.scenario.schema import Step

if TYPE_CHECKING:
    from playground.lessons import LessonSession

LESSON = "lesson"
SCHEDULE = "schedule"


class LessonSteps:
    """The reference steps of the lesson a journal records, by their index in the lesson's scenario."""

    def __init__(self, session: LessonSession) -> None:
        self.session = session
        self.by_index: dict[int, Step] = {s.index: s for step in session.lesson.steps for s in step.reference}

    def step(self, index: Any) -> Step:
        try:
            return self.by_index[int(index)]
        except (KeyError, TypeError, ValueError):
            raise KeyError(f"the lesson has no reference step {index!r}") from None

    def apply(self, step: Step) -> None:
        """As `LessonSession.apply_reference` does: a refusal is the lesson's step error, not a failure."""
        self.session.run.apply(step)

    def plan(self, steps: tuple[Step, ...] | list[Step]) -> tuple[list[dict[str, Any]], int]:
        """Where `LessonSession.schedule_reference` would place `steps` from now: a `wait` is a gap.
        Returns the entries of a `schedule` command and the time the last step is due."""
        at = self.session.cluster.clock.now
        entries = []
        for step in steps:
            if step.action == "wait":
                at += step.args["duration"]
                continue
            entries.append({"step": step.index, "action": step.action, "at_ms": at})
        return entries, at

    def schedule(self, entries: list[dict[str, Any]]) -> None:
        clock = self.session.cluster.clock
        for entry in entries:
            step = self.step(entry["step"])
            # Never cancelled: a replay places them too, so the cluster that holds them stays the recorded one.
            clock.call_at(int(entry["at_ms"]), self.apply, step)
