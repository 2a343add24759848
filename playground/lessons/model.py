"""What a lesson is once loaded: plain, immutable data (no engine, no Qt).

A `Lesson` has a goal, an explanation, a setup (a validated scenario) and
steps. A step either asks the learner to *do* something in the window or the
console (its `solution` is the reference solution, scenario steps) or asks
them to *predict* an outcome before the playground *runs* it (`run`). Either
way its `checks` say, on engine state and events, when the step is done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from playground.scenario import Scenario, Step


@dataclass(frozen=True)
class Check:
    """One condition of a step, with the sentence the learner sees (`says`).

    `kind` is one of CHECK_KINDS (see checks.py); `spec` its normalised
    arguments. A `guard` must hold once the step is done but is not its goal,
    so it may also hold before (`no acknowledged record was lost`).
    """

    says: str
    kind: str
    spec: dict[str, Any]
    guard: bool = False
    line: Optional[int] = None


@dataclass(frozen=True)
class Prediction:
    """Predict-then-verify: the learner commits to one of `choices`; the
    playground runs the step and reveals `answer` with the reason (`why`)."""

    question: str
    choices: tuple[str, ...]
    answer: str
    why: str


@dataclass(frozen=True)
class LookAt:
    """What the panel highlights on the canvas while the step is open."""

    brokers: tuple[Any, ...] = ()           # broker ids (int) or {"leader_of": "topic/p"} resolved live
    partitions: tuple[tuple[str, int], ...] = ()
    topics: tuple[str, ...] = ()
    consumers: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    controller: bool = False

    def __bool__(self) -> bool:
        return bool(self.brokers or self.partitions or self.topics or self.consumers or self.groups
                    or self.controller)


@dataclass(frozen=True)
class LessonStep:
    index: int                  # 0-based, as in `steps[2]` in error messages
    title: str
    text: str                   # Markdown: what to do, and why
    checks: tuple[Check, ...]
    hints: tuple[str, ...] = ()
    solution: tuple[Step, ...] = ()         # a do-step's reference solution
    prediction: Optional[Prediction] = None
    run: tuple[Step, ...] = ()              # what the playground runs after the prediction
    look_at: LookAt = field(default_factory=LookAt)
    speed: Optional[float] = None           # the window's speed while this step is open
    line: Optional[int] = None

    @property
    def is_prediction(self) -> bool:
        return self.prediction is not None

    @property
    def reference(self) -> tuple[Step, ...]:
        """The scenario steps that complete this step: the solution, or the prediction's run."""
        return self.run if self.is_prediction else self.solution


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    concepts: tuple[str, ...]
    goal: str
    intro: str                  # Markdown: the explanation
    setup: Scenario             # cluster, topics and set-up steps (run before the first step)
    steps: tuple[LessonStep, ...]
    filename: str
    order: str = ""             # the file name's sort key (`03-keys`)
    speed: Optional[float] = None

    @property
    def check_count(self) -> int:
        return sum(len(s.checks) for s in self.steps)


@dataclass(frozen=True)
class Demo:
    """A ready classroom scenario with a teacher's note (lessons/demos.yaml)."""

    id: str
    title: str
    scenario: str               # path of the scenario file, as resolved
    note: str
    concepts: tuple[str, ...] = ()
    line: Optional[int] = None
