"""`lessons verify` in CI: every shipped lesson's reference solution passes its checks, and every
check fails on the untouched setup, so none can pass vacuously."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from playground.lessons import lesson_files, load_lesson, parse_lesson, verify_lesson

ROOT = Path(__file__).resolve().parents[2]
FILES = lesson_files(ROOT / "lessons")


def test_there_are_lessons() -> None:
    assert len(FILES) >= 1


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_shipped_lesson_verifies(path: Path) -> None:
    verdict = verify_lesson(load_lesson(path))
    assert verdict.ok, "\n".join(verdict.all_problems())
    for step in verdict.steps:
        for check, before, after in zip(verdict.lesson.steps[step.index].checks, step.before, step.after):
            assert after.ok
            assert check.guard or not before.ok


VACUOUS = textwrap.dedent('''\
    ---
    id: vacuous
    title: A check that is already true
    concepts: [offsets]
    goal: Nothing.
    setup:
      topics: [{name: t, partitions: 1, replication_factor: 1}]
      steps:
        - produce: {topic: t, key: k, value: v}
        - wait: 1s
    ---
    Words.

    ## Do nothing at all

    ```yaml
    solution: [{wait: 1s}]
    checks:
      - says: There is a record already
        records: {topic: t}
      - says: A second record arrived
        records: {topic: t}
        count: 2
    ```
    ''')


def test_a_check_that_passes_before_the_learner_acts_fails_verification() -> None:
    verdict = verify_lesson(parse_lesson(VACUOUS, "vacuous.md"))
    assert not verdict.ok
    problems = verdict.all_problems()
    assert any("There is a record already" in p and "already passes on the untouched setup" in p for p in problems)
    assert any("A second record arrived" in p and "fails after the reference solution" in p for p in problems)
    assert len(problems) == 2


def test_a_refused_setup_step_fails_verification() -> None:
    text = VACUOUS.replace("    - wait: 1s\n", "    - wait: 1s\n    - add_partitions: {topic: t, count: 1}\n"
                           "    - wait: 1s\n", 1)
    assert "add_partitions: {topic: t, count: 1}" in text
    verdict = verify_lesson(parse_lesson(text, "refused.md"))
    assert any("setup" in p and "INVALID_PARTITIONS" in p for p in verdict.problems)
