"""What the console, a lesson's "Show me" and a demo do in the window is journalled: a saved workspace
replays to the same cluster (records, high watermarks, committed offsets, topics, events).

Offscreen; virtual time moves with the bridge (`show_at`, or its QTimer at 100x), waits are
qtbot.waitUntil, never sleeps.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import Qt

from playground.lessons import ProgressStore
from playground.storage import Journal, open_workspace
from playground.storage.tables import state_digest
from playground.ui.commands import builtin_setup
from playground.ui.qt_lesson_menu import LessonsHome
from playground.ui.qt_main_window import MainWindow

BOOTSTRAP = "--bootstrap-server localhost:9092"


def _window(qtbot, journal: Journal | None = None) -> MainWindow:
    journal = journal or Journal.start(builtin_setup())
    win = MainWindow(journal.cluster, journal.timeline(), journal=journal, running=False)
    win.bridge.set_speed(100.0)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    return win


def _console(qtbot, win: MainWindow):
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=2000)
    win.toggle_console()
    qtbot.waitUntil(lambda: win.console.input.hasFocus(), timeout=2000)
    return win.console


def _type(qtbot, console, line: str) -> None:
    qtbot.keyClicks(console.input, line)
    qtbot.keyClick(console.input, Qt.Key.Key_Return)


def _ctrl(qtbot, console, key) -> None:
    qtbot.keyClick(console.input, key, Qt.KeyboardModifier.ControlModifier)


def _run(win: MainWindow, ms: int, step: int = 37) -> None:
    """Frames of uneven length, as the window's timer gives them."""
    bridge = win.bridge
    end = bridge.now + ms
    while bridge.now < end:
        bridge.show_at(min(end, bridge.now + step))
        step = 7 + (step * 13) % 53


def _saved_and_reopened(win: MainWindow, path) -> object:
    assert win.workspace.save_as(str(path))
    ws = open_workspace(path)
    assert ws.mismatches == []
    live = win.bridge.journal.cluster
    assert state_digest(ws.cluster) == state_digest(live)
    assert (ws.cluster.clock.now, ws.cluster.clock.executed) == (live.clock.now, live.clock.executed)
    return ws


def test_console_commands_in_the_window_replay_from_a_workspace(qtbot, tmp_path):
    win = _window(qtbot)
    console = _console(qtbot, win)
    _type(qtbot, console, f"kafka-topics {BOOTSTRAP} --create --topic payments --partitions 2 "
                          "--replication-factor 3")
    assert "Created topic payments." in console.text()
    _run(win, 400)
    _type(qtbot, console, f"kafka-console-producer {BOOTSTRAP} --topic payments --property parse.key=true "
                          "--property key.separator=:")
    for i in range(5):
        _type(qtbot, console, f"user-{i}:paid {i}")
        _run(win, 30 * i + 11)
    _ctrl(qtbot, console, Qt.Key.Key_D)
    qtbot.waitUntil(lambda: (_run(win, 100), not console.running)[1], timeout=10_000)
    _type(qtbot, console, f"kafka-console-consumer {BOOTSTRAP} --topic payments --group audit --from-beginning")
    qtbot.waitUntil(lambda: (_run(win, 200), console.text().count("paid ") == 5)[1], timeout=10_000)
    _run(win, 6_000)                                    # auto commit (auto.commit.interval.ms 5000)
    _ctrl(qtbot, console, Qt.Key.Key_C)
    qtbot.waitUntil(lambda: (_run(win, 100), not console.running)[1], timeout=10_000)
    view = win.bridge.view()
    assert sum(dict(view.group_committed("audit")).values()) == 5
    # Kafka resets only an inactive group: first refused (journalled all the same, it changes nothing) ...
    _type(qtbot, console, f"kafka-consumer-groups {BOOTSTRAP} --group audit --reset-offsets --to-offset 1 "
                          "--topic payments --execute")
    assert "can only be reset if the group 'audit' is inactive" in console.text()
    qtbot.waitUntil(lambda: (_run(win, 100), view.group("audit").state == "Empty")[1], timeout=10_000)
    _type(qtbot, console, f"kafka-consumer-groups {BOOTSTRAP} --group audit --reset-offsets --to-offset 1 "
                          "--topic payments --execute")
    _run(win, 1_000)
    assert dict(view.group_committed("audit")) and set(dict(view.group_committed("audit")).values()) == {1}
    actions = [c.action for c in win.bridge.journal.commands]
    assert actions == ["tool", "tool"] + ["tool_input"] * 5 + ["tool_end_input", "tool", "tool_stop", "tool", "tool"]

    ws = _saved_and_reopened(win, tmp_path / "console.sqlite")
    assert dict(ws.cluster.view().group_committed("audit")) == dict(view.group_committed("audit"))
    assert len(ws.cluster.view().partitions("payments")) == 2


def test_a_console_consumer_running_at_the_save_goes_on_in_the_reopened_window(qtbot, tmp_path):
    win = _window(qtbot)
    console = _console(qtbot, win)
    win.bridge.produce("orders", "before", key="k")
    _run(win, 500)
    _type(qtbot, console, f"kafka-console-consumer {BOOTSTRAP} --topic orders --group g1 --from-beginning")
    qtbot.waitUntil(lambda: (_run(win, 200), "before" in console.text())[1], timeout=10_000)
    path = tmp_path / "running.sqlite"
    _saved_and_reopened(win, path)

    new = win.workspace.open_workspace(str(path))
    qtbot.addWidget(new)
    reopened = new.console
    assert reopened.running and "still running from the saved session" in reopened.text()
    assert "kafka-console-consumer is running" in reopened.status.text()
    new.bridge.produce("orders", "after", key="k")
    qtbot.waitUntil(lambda: (_run(new, 200), "after" in reopened.text())[1], timeout=10_000)
    reopened.interrupt()                                # Ctrl+C reaches the replayed command, journalled
    qtbot.waitUntil(lambda: (_run(new, 100), not reopened.running)[1], timeout=10_000)
    assert reopened.text().endswith("after\n^C\nProcessed a total of 2 messages\n")     # "before" too
    assert new.bridge.journal.commands[-1].action == "tool_stop"
    _saved_and_reopened(new, tmp_path / "stopped.sqlite")


@pytest.fixture
def lesson_window(qtbot, tmp_path):
    win = _window(qtbot)
    win.lessons.home = LessonsHome(ProgressStore(tmp_path / "progress.sqlite", user="tester"))
    new = win.lessons.start_lesson("keys-and-partitions")
    qtbot.addWidget(new)
    qtbot.waitExposed(new)
    new.bridge.set_speed(100)
    yield new
    new.bridge.close()


def test_lesson_show_me_and_a_prediction_replay_from_a_workspace(qtbot, tmp_path, lesson_window):
    win, panel = lesson_window, lesson_window.lessons.panel
    assert win.bridge.journal.saveable and win.bridge.journal.lesson_session is panel.session
    panel.go_next()                                     # step 1: the learner produces in the window
    win.bridge.produce("clicks", None, key="user-7", count=3)
    qtbot.waitUntil(lambda: 0 in panel.progress.completed, timeout=10_000)
    panel.go_next()                                     # step 2: "Show me"
    qtbot.mouseClick(panel.show_me_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: 1 in panel.progress.completed, timeout=10_000)
    panel.go_next()                                     # step 3: a prediction, then its run
    panel.choice_group.buttons()[0].setChecked(True)
    qtbot.mouseClick(panel.commit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: 2 in panel.progress.completed, timeout=10_000)
    journal = win.bridge.journal
    assert [c.action for c in journal.commands] == ["produce", "schedule", "schedule"]
    assert [c.source for c in journal.commands] == ["user", "lesson", "lesson"]
    ws = _saved_and_reopened(win, tmp_path / "lesson.sqlite")
    assert ws.title.startswith("Lesson: ") and ws.journal.lesson_session is not None


def test_a_resumed_lesson_journals_the_steps_it_replayed(qtbot, tmp_path):
    from playground.lessons import LessonProgress
    store = ProgressStore(tmp_path / "progress.sqlite", user="tester")
    store.save(LessonProgress("keys-and-partitions", page=3, completed={0, 1}))
    win = _window(qtbot)
    win.lessons.home = LessonsHome(store)
    new = win.lessons.start_lesson("keys-and-partitions")
    qtbot.addWidget(new)
    journal = new.bridge.journal
    assert journal.commands and {c.source for c in journal.commands} == {"lesson"}
    _run(new, 2_000)
    _saved_and_reopened(new, tmp_path / "resumed.sqlite")
    new.bridge.close()


def test_a_demo_is_recorded_from_its_scenario(qtbot, tmp_path):
    win = _window(qtbot)
    win.lessons.demos_menu.aboutToShow.emit()
    action = next(a for a in win.lessons.demos_menu.actions() if a.text() == "acks=1 loses an acknowledged write")
    action.trigger()
    demo = win.lessons.home.window
    qtbot.addWidget(demo)
    journal = demo.bridge.journal
    assert journal.saveable and journal.setup.scenario is not None
    _run(demo, 3_000)
    assert any(c.source == "scenario" for c in journal.commands)
    _saved_and_reopened(demo, tmp_path / "demo.sqlite")
    demo.bridge.close()
