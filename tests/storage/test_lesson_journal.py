"""A lesson's cluster in the journal: its set-up from the lesson text, and what "Show me", a prediction's run
and resuming did, replayed exactly from a workspace."""

from __future__ import annotations

import pytest

from playground.lessons import LessonSession, lesson_files, load_lesson
from playground.storage import (
    ClusterSetup,
    Journal,
    open_workspace,
    replay,
    save_workspace,
)
from playground.storage.tables import state_digest

from .test_workspace import _state

LESSON = "keys-and-partitions"


def _setup(lesson_id: str) -> ClusterSetup:
    path = next(p for p in lesson_files() if p.stem.endswith(lesson_id))
    return ClusterSetup.from_lesson(path.read_text(encoding="utf-8"), str(path), path.stem)


def test_a_lesson_setup_is_stored_as_its_text():
    setup = _setup(LESSON)
    assert setup.lesson is not None and setup.lesson.id == LESSON and setup.scenario is None
    assert ClusterSetup.from_dict(setup.to_dict()) == setup
    assert setup.describe().startswith(f"lesson “{LESSON}”: ")
    j = Journal.start(setup)
    fresh = LessonSession(load_lesson(setup.lesson.file))
    assert j.cluster.now > 0                                           # the setup ran, as the window runs it
    assert state_digest(j.cluster) == state_digest(fresh.cluster)


def test_show_me_and_a_prediction_run_replay_exactly(tmp_path):
    j = Journal.start(_setup(LESSON))
    session = j.lesson_session
    steps = session.lesson.steps
    j.apply_lesson_steps(steps[0].reference)           # resuming: step 1 was done before
    session.begin_step(1)
    j.cluster.run_until(j.cluster.now + 250)
    due = j.schedule_lesson_steps(steps[1].reference)  # "Show me"
    j.cluster.run_until(due + 2_000)
    assert session.passed()
    session.begin_step(2)
    due = j.schedule_lesson_steps(steps[2].reference)  # a committed prediction: its run
    mid = j.cluster.now + 1
    j.cluster.run_until(mid)                           # saved before the run's last step is due
    assert due > mid
    path = tmp_path / "lesson.sqlite"
    save_workspace(j.cluster, j, path)
    ws = open_workspace(path)
    assert ws.mismatches == []
    assert [c.source for c in ws.journal.commands] == ["lesson"] * len(ws.journal.commands)
    assert [c.action for c in ws.journal.commands][-2:] == ["schedule", "schedule"]
    # Both go on: the scheduled steps still to come happen in both, at the same instants.
    for journal in (j, ws.journal):
        journal.cluster.run_until(due + 3_000)
    assert state_digest(ws.cluster) == state_digest(j.cluster)
    assert _state(ws.cluster) == _state(j.cluster)
    ws.journal.lesson_session.begin_step(2)
    assert ws.journal.lesson_session.step.is_prediction and ws.journal.lesson_session.passed()


@pytest.mark.parametrize("path", lesson_files(), ids=lambda p: p.stem)
def test_every_lessons_reference_steps_replay(path):
    """Each lesson: the first half of its steps applied at once, the rest scheduled one after another."""
    setup = ClusterSetup.from_lesson(path.read_text(encoding="utf-8"), str(path), path.stem)
    j = Journal.start(setup)
    session = j.lesson_session
    steps = session.lesson.steps
    half = len(steps) // 2
    for i, step in enumerate(steps):
        session.begin_step(i)
        if i < half:
            j.apply_lesson_steps(step.reference)
        else:
            due = j.schedule_lesson_steps(step.reference)
            j.cluster.run_until(due + 500)
    j.cluster.run_until(j.cluster.now + 1_000)
    again = replay(setup, j.commands, j.mark())
    assert state_digest(again.cluster) == state_digest(j.cluster)
    assert again.lesson_session.run.step_errors == session.run.step_errors
