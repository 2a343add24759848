"""The shipped lessons and demos: enough of them, covering the checklist, written for learners."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from playground.lessons import CONCEPTS, LessonError, coverage, load_demos, load_lessons
from playground.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
LESSONS = load_lessons(ROOT / "lessons")
DEMOS = load_demos(ROOT / "lessons" / "demos.yaml", ROOT)

# Checklist concepts no lesson or demo cites yet: none, since the message-formats and
# ecosystem lessons; a concept added to the checklist must come with a lesson or go here.
NOT_YET: set[str] = set()


def test_at_least_18_lessons_and_12_demos() -> None:
    assert len(LESSONS) >= 18 and len(DEMOS) >= 12
    assert len({lesson.id for lesson in LESSONS}) == len(LESSONS)


def test_lessons_and_demos_cover_the_checklist_the_engine_can_show() -> None:
    cited = [c for lesson in LESSONS for c in lesson.concepts] + [c for d in DEMOS for c in d.concepts]
    _covered, missing = coverage(cited)
    assert set(missing) <= NOT_YET, sorted(set(missing) - NOT_YET)
    assert NOT_YET <= set(CONCEPTS)


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_lessons_are_written_for_learners(lesson) -> None:
    assert lesson.intro and lesson.goal
    assert 2 <= len(lesson.steps) <= 8
    for step in lesson.steps:
        assert step.text or step.is_prediction, f"{lesson.id}: step {step.title} has no text"
        if step.is_prediction:
            assert step.prediction.why.count(".") >= 1
        else:
            assert step.hints, f"{lesson.id}: do-step '{step.title}' has no hint"
        for check in step.checks:
            assert len(check.says) <= 90, check.says
    # Short sentences: no paragraph line of the explanation runs past 130 characters.
    long = [line for line in lesson.intro.splitlines() if len(line) > 130]
    assert not long, long


def test_every_demo_is_a_loadable_scenario_with_a_one_paragraph_note() -> None:
    for demo in DEMOS:
        load_scenario(demo.scenario)
        assert 150 <= len(demo.note) <= 900, (demo.id, len(demo.note))
        assert "\n" not in demo.note


def test_a_bad_demo_manifest_names_the_line(tmp_path) -> None:
    bad = tmp_path / "demos.yaml"
    bad.write_text(textwrap.dedent('''\
        demos:
          - id: one
            scenario: scenarios/first-records.yaml
            note: fine
          - id: two
            scenario: scenarios/no-such-file.yaml
            note: missing
        '''), encoding="utf-8")
    with pytest.raises(LessonError) as info:
        load_demos(bad, ROOT)
    assert info.value.line == 6 and info.value.path == "demos[1].scenario"
    bad.write_text("demos:\n  - id: one\n    scenario: scenarios/first-records.yaml\n    note: x\n"
                   "    concepts: [acks, akcs]\n", encoding="utf-8")
    with pytest.raises(LessonError) as info:
        load_demos(bad, ROOT)
    assert "did you mean 'acks'" in str(info.value) and info.value.line == 5


def test_the_lessons_package_imports_no_qt() -> None:
    code = ("import sys, pkgutil, importlib, playground.lessons as p\n"
            "for i in pkgutil.walk_packages(p.__path__, 'playground.lessons.'):\n"
            "    importlib.import_module(i.name)\n"
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'playground.ui'))]\n"
            "assert not bad, bad\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert importlib.import_module("playground.lessons").__name__ == "playground.lessons"
