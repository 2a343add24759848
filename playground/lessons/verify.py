"""`lessons verify`: run each lesson's reference solution headless and prove its checks mean something.

For every step, in order:
1. each check that is not a guard must FAIL on the untouched setup (the
   cluster right after the set-up, before any step) and at the start of its
   step (after the earlier steps' reference solutions): no check may pass
   vacuously;
2. the step's reference steps (`solution`, or a prediction's `run`) run;
3. every check, guards included, must then PASS.
The set-up itself must run without a refused step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .checks import CheckResult, evaluate_checks
from .model import Lesson
from .session import LessonSession


@dataclass
class StepVerdict:
    index: int
    title: str
    untouched: list[CheckResult]        # on the untouched setup
    before: list[CheckResult]           # at the start of the step
    after: list[CheckResult]            # after the reference steps
    problems: list[str] = field(default_factory=list)


@dataclass
class LessonVerdict:
    lesson: Lesson
    steps: list[StepVerdict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    virtual_time_ms: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems and all(not s.problems for s in self.steps)

    def all_problems(self) -> list[str]:
        return self.problems + [p for s in self.steps for p in s.problems]


def verify_lesson(lesson: Lesson) -> LessonVerdict:
    verdict = LessonVerdict(lesson)
    session = LessonSession(lesson)
    for err in session.setup_errors:
        verdict.problems.append(f"{lesson.filename}: the setup's step {err['step']} ({err['action']}) was refused: "
                                f"{err['error']} — {err['message']}")
    untouched_report = session.report()
    for i, step in enumerate(lesson.steps):
        session.begin_step(i)
        untouched = evaluate_checks(step.checks, untouched_report, [])
        before = session.evaluate()
        session.apply_reference(i)
        after = session.evaluate()
        sv = StepVerdict(i, step.title, untouched, before, after)
        where = f"{lesson.filename}: steps[{i}] ({step.title})"
        for c, u, b, a in zip(step.checks, untouched, before, after):
            line = f":{c.line}" if c.line else ""
            if not c.guard and u.ok:
                sv.problems.append(f"{where}{line}: check '{c.says}' already passes on the untouched setup "
                                   f"({u.actual}); it must fail until the learner acts")
            elif not c.guard and b.ok:
                sv.problems.append(f"{where}{line}: check '{c.says}' already passes before the step ({b.actual}); "
                                   "it must fail until the learner acts")
            if not a.ok:
                what = "the prediction's run" if step.is_prediction else "the reference solution"
                sv.problems.append(f"{where}{line}: check '{c.says}' fails after {what}: now {a.actual}")
        verdict.steps.append(sv)
    verdict.virtual_time_ms = session.cluster.now
    return verdict
