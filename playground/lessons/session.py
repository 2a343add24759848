"""A lesson being worked through on a live cluster (no Qt).

`LessonSession(lesson)` builds the setup's cluster and runs its set-up steps
at once (the learner starts where the setup ends). The window and the
headless verifier then drive it the same way: `begin_step(i)` marks where
the step's events start, `evaluate()` checks the step against the engine's
state (the scenario report) and the events since, and the reference steps
(`solution` or a prediction's `run`) are applied at once (`apply_reference`,
headless) or placed on the engine's own clock (`schedule_reference`, so the
window shows them happen as virtual time passes).
"""

from __future__ import annotations

from typing import Any, Callable

from playground.engine import Cluster
from playground.engine.errors import Errors
from playground.engine.events import Event, EventKind
from playground.scenario.report import build_report
from playground.scenario.runner import ScenarioRun
from playground.scenario.schema import Step

from .checks import CheckResult, evaluate_checks
from .model import Lesson, LessonStep


class LessonRun(ScenarioRun):
    """A scenario run whose refused steps speak of the lesson, not of scenario step numbers."""

    def _step_error(self, step: Step, error: Errors, message: str) -> None:
        self.step_errors.append({"step": step.index, "action": step.action, "error": error.name, "message": message})
        self.cluster.events.emit(EventKind.STEP_ERROR, f"Kafka refused the lesson's {step.action}: {error.name} — "
                                                       f"{message}", step=step.index, action=step.action,
                                 error=error.name)


class LessonSession:
    def __init__(self, lesson: Lesson) -> None:
        self.lesson = lesson
        self.run = LessonRun(lesson.setup)
        self.run.run()
        self.setup_errors = list(self.run.step_errors)
        self.index = 0
        self.step_seq = len(self.cluster.events.history)
        self._scheduled: list[Any] = []

    @property
    def cluster(self) -> Cluster:
        return self.run.cluster

    @property
    def step(self) -> LessonStep:
        return self.lesson.steps[self.index]

    def begin_step(self, index: int) -> None:
        """Make step `index` the current one; its event checks count events from now on."""
        if not 0 <= index < len(self.lesson.steps):
            raise IndexError(f"lesson {self.lesson.id} has steps 0 to {len(self.lesson.steps) - 1}, not {index}")
        self.index = index
        self.step_seq = len(self.cluster.events.history)

    def events_since_step(self) -> list[Event]:
        return self.cluster.events.since(self.step_seq)

    def report(self) -> dict[str, Any]:
        """The scenario JSON report of the cluster as it is now (what `report:` checks read)."""
        return build_report(self.cluster.view(), self.lesson.title, self.lesson.setup.seed, self.run.step_errors)

    def evaluate(self) -> list[CheckResult]:
        checks = self.step.checks
        # The report lists every record of every topic: skip it when only events are checked.
        report = self.report() if any(c.kind != "event" for c in checks) else {}
        return evaluate_checks(checks, report, self.events_since_step())

    def passed(self, results: list[CheckResult] | None = None) -> bool:
        return all(r.ok for r in (results if results is not None else self.evaluate()))

    # -- reference steps -------------------------------------------------------------------------
    def apply_reference(self, index: int | None = None) -> None:
        """Run the step's solution (or prediction run) now, waits included (headless)."""
        for step in self.lesson.steps[self.index if index is None else index].reference:
            self.run.apply(step)

    def fast_forward(self, count: int) -> None:
        """Replay the reference steps of the first `count` steps (resuming saved progress), then open
        step `count`."""
        for i in range(min(count, len(self.lesson.steps))):
            self.begin_step(i)
            self.apply_reference(i)
        if count < len(self.lesson.steps):
            self.begin_step(count)

    def schedule_reference(self, index: int | None = None,
                           on_step: Callable[[Step], None] | None = None) -> int:
        """Place the step's reference steps on the engine clock from now (a `wait` is a gap); returns the
        virtual time at which the last one is due, so a window that keeps running time sees them happen."""
        clock = self.cluster.clock
        at = clock.now
        for step in self.lesson.steps[self.index if index is None else index].reference:
            if step.action == "wait":
                at += step.args["duration"]
                continue
            self._scheduled.append(clock.call_at(at, self._apply_scheduled, step, on_step))
        return at

    def _apply_scheduled(self, step: Step, on_step: Callable[[Step], None] | None) -> None:
        self.run.apply(step)
        if on_step is not None:
            on_step(step)

    def cancel_scheduled(self) -> None:
        """Drop reference steps not applied yet (the learner restarted or left the lesson)."""
        for timer in self._scheduled:
            timer.cancel()
        self._scheduled.clear()
