"""The lesson panel in the window: a walk through one lesson, resuming, restarting, demos.

Runs offscreen; waits with qtbot.waitUntil on engine state and panel state, never with sleeps.
The progress store is a file in the test's temporary folder.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from playground.lessons import LessonProgress, ProgressStore
from playground.ui.commands import builtin_cluster
from playground.ui.qt_help import shortcut_rows
from playground.ui.qt_lesson_menu import LessonsHome
from playground.ui.qt_main_window import MainWindow

LESSON = "keys-and-partitions"


@pytest.fixture
def store(tmp_path):
    return ProgressStore(tmp_path / "progress.sqlite", user="tester")


@pytest.fixture
def window(qtbot, store):
    win = MainWindow(builtin_cluster(), running=False)
    win.lessons.home = LessonsHome(store)
    qtbot.addWidget(win)
    win.resize(1600, 1000)
    win.show()
    qtbot.waitExposed(win)
    opened = []
    yield win, opened
    for w in [win] + opened:
        w.bridge.close()


def _start(qtbot, window, lesson_id: str = LESSON, restart: bool = False):
    win, opened = window
    current = win.lessons.home.window or win
    new = current.lessons.start_lesson(lesson_id, restart=restart)
    assert new is not None
    qtbot.addWidget(new)
    opened.append(new)
    qtbot.waitExposed(new)
    new.bridge.set_speed(100)
    return new, new.lessons.panel


def _records(win, key: str) -> list:
    view = win.bridge.view()
    return [(pv.partition, rec) for pv in view.partitions("clicks")
            for _off, rec, _b in view.authoritative_log("clicks", pv.partition).records()
            if rec.key == key.encode()]


def _click(qtbot, button) -> None:
    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_walk_through_a_lesson(qtbot, window, store) -> None:
    old, _ = window
    win, panel = _start(qtbot, window)
    assert not old.isVisible() and win.isVisible()
    assert win.windowTitle().endswith("Lesson: Keys choose the partition")
    assert win.lessons.dock.isVisible()
    assert panel.where_label.text() == "Introduction" and "murmur2" in panel.text.text()
    assert not panel.previous_button.isEnabled()

    # Step 1: the learner does it in the window, with the Produce panel.
    _click(qtbot, panel.next_button)
    assert panel.where_label.text() == "Step 1 of 4 · your turn"
    assert win.bridge.running                                  # your turn: the cluster runs
    assert not panel.next_button.isEnabled()                   # not done yet
    assert [label.text().startswith("○") for label in panel.check_labels] == [True, True]
    qtbot.waitUntil(lambda: bool(win.lessons.overlay.targets()), timeout=5000)
    assert win.lessons.overlay.targets()[0][0] == "clicks"
    produce = win.produce_panel
    produce.topic.setCurrentText("clicks")
    produce.key.setText("user-7")
    produce.count.setValue(3)
    _click(qtbot, produce.send_button)
    qtbot.waitUntil(lambda: 0 in panel.progress.completed, timeout=10_000)
    assert len(_records(win, "user-7")) == 3 and len({p for p, _ in _records(win, "user-7")}) == 1
    assert all(label.text().startswith("✓") for label in panel.check_labels)
    assert store.get(LESSON).completed == {0}                 # saved as soon as the step is done

    # Step 2: a hint, then "Show me" applies the reference solution on the live cluster.
    _click(qtbot, panel.next_button)
    assert panel.where_label.text() == "Step 2 of 4 · your turn"
    _click(qtbot, panel.hint_button)
    assert panel.hint_label.text() == "Hint: Change the key to alice and Count to 1, then Send."
    assert not panel.hint_button.isEnabled() and store.get(LESSON).hints_shown == {1: 1}
    _click(qtbot, panel.show_me_button)
    assert not panel.show_me_button.isEnabled()               # once is enough
    qtbot.waitUntil(lambda: 1 in panel.progress.completed, timeout=10_000)
    assert [p for p, _ in _records(win, "alice")] == [0]

    # Step 3: a prediction. Time stops until the learner commits.
    _click(qtbot, panel.next_button)
    assert panel.where_label.text() == "Step 3 of 4 · predict, then watch"
    assert not win.bridge.running and panel.predict_box.isVisible() and not panel.show_me_button.isVisible()
    _click(qtbot, panel.commit_button)                        # nothing picked yet
    assert panel.reveal_label.text() == "Pick one answer first." and 2 not in panel.progress.predictions
    right = next(b for b in panel.choice_group.buttons() if b.property("choice") == "Partition 3, the new one")
    right.setChecked(True)
    _click(qtbot, panel.commit_button)
    assert win.bridge.running and not panel.commit_button.isEnabled()
    assert all(not b.isEnabled() for b in panel.choice_group.buttons())
    qtbot.waitUntil(lambda: 2 in panel.progress.completed, timeout=10_000)
    assert panel.reveal_label.text().startswith("✓ You predicted it. Answer: Partition 3, the new one.")
    assert "Why: The divisor changed." in panel.reveal_label.text()
    assert not win.bridge.running                              # read the answer before moving on
    assert {p for p, _ in _records(win, "user-3")} == {2, 3}

    # Step 4: a wrong prediction is revealed as such, with the reason.
    _click(qtbot, panel.next_button)
    wrong = next(b for b in panel.choice_group.buttons() if b.property("choice").startswith("It merges"))
    wrong.setChecked(True)
    _click(qtbot, panel.commit_button)
    qtbot.waitUntil(lambda: 3 in panel.progress.completed, timeout=10_000)
    assert panel.reveal_label.text().startswith("✗ You predicted “It merges partition 3 back into the others”.")
    assert panel.next_button.text() == "Finish ✓"
    _click(qtbot, panel.next_button)
    assert panel.where_label.text() == "Lesson complete"
    summary = panel.text.text()
    assert "prediction right" in summary and "prediction missed" in summary

    # Previous re-reads a done step; nothing there can be done again.
    _click(qtbot, panel.previous_button)
    assert panel.where_label.text() == "Step 4 of 4 · predict, then watch"
    assert not panel.commit_button.isEnabled() and all(label.text().startswith("✓") for label in panel.check_labels)

    saved = store.get(LESSON)
    assert saved.finished and saved.completed == {0, 1, 2, 3}
    assert saved.predictions == {2: "Partition 3, the new one", 3: "It merges partition 3 back into the others"}


def test_resume_replays_the_steps_done_and_restart_starts_clean(qtbot, window, store) -> None:
    store.save(LessonProgress(LESSON, page=3, completed={0, 1}))
    win, panel = _start(qtbot, window)
    assert panel.where_label.text() == "Step 3 of 4 · predict, then watch"
    assert len(_records(win, "user-7")) == 3 and len(_records(win, "alice")) == 1
    assert "Resumed at step 3" in win.status_label.text()
    _click(qtbot, panel.previous_button)                       # done steps can be re-read
    assert panel.where_label.text() == "Step 2 of 4 · your turn"

    win2, panel2 = _start(qtbot, window, restart=True)
    assert store.get(LESSON).completed == set()
    assert panel2.where_label.text() == "Introduction"
    assert _records(win2, "user-7") == [] and len(_records(win2, "user-3")) == 2   # just the setup
    assert not win.isVisible() and win2.lessons.home.window is win2


def test_the_lesson_list_shows_progress_and_starts_a_lesson(qtbot, window, store) -> None:
    win, opened = window
    store.save(LessonProgress("null-keys", completed={0, 1, 2}, finished=True))
    win.lessons.show_dock()
    panel = win.lessons.panel
    qtbot.waitUntil(lambda: panel.lesson_list.count() >= 18, timeout=5000)
    texts = [panel.lesson_list.item(i).text() for i in range(panel.lesson_list.count())]
    assert "Records without a key  —  ✓ done" in texts
    assert "Keys choose the partition  —  4 steps" in texts
    panel.lesson_list.setCurrentRow(texts.index("Keys choose the partition  —  4 steps"))
    _click(qtbot, panel.start_button)
    new = win.lessons.home.window
    opened.append(new)
    assert new.lessons.panel.lesson.id == LESSON


def test_ctrl_shift_l_toggles_the_lesson_panel_and_is_listed_in_help(qtbot, window) -> None:
    win, _ = window
    assert ("Lessons", "Lesson panel", "Ctrl+Shift+L") in shortcut_rows(win.menuBar())
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=2000)
    qtbot.keyClick(win.canvas, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(win.lessons.dock.isVisible, timeout=2000)
    qtbot.keyClick(win.canvas, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: not win.lessons.dock.isVisible(), timeout=2000)


def test_file_demos_opens_a_demo_paused_with_its_note(qtbot, window) -> None:
    win, opened = window
    titles = [a.menu().title() for a in win.menuBar().actions() if a.menu() is not None]
    assert titles[0] == "&File" and "&Lessons" in titles
    win.lessons.demos_menu.aboutToShow.emit()
    actions = win.lessons.demos_menu.actions()
    assert len(actions) >= 12
    action = next(a for a in actions if a.text() == "acks=1 loses an acknowledged write")
    action.trigger()
    new = win.lessons.home.window
    opened.append(new)
    qtbot.addWidget(new)
    assert new is not win and new.windowTitle().endswith("Demo: acks=1 loses an acknowledged write")
    assert not new.bridge.running and new.lessons.dock.isVisible()
    assert "The classic." in new.lessons.panel.demo_note.toPlainText()
    assert "orders" in new.bridge.view().topic_names()
