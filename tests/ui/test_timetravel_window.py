"""Time travel in the window: scrubbing back shows the earlier cluster; a fork goes its own way.

Runs offscreen. Travelling shows a new window where the old one was (the TimeTravel object
moves on with it); the tests follow `time_travel.window`.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt

from playground.engine import Cluster
from playground.storage import Journal
from playground.ui.commands import builtin_setup
from playground.ui.qt_main_window import MainWindow
from playground.ui.qt_workspace import AppSession


@pytest.fixture
def session(tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    return AppSession(settings, tmp_path / "data" / "autosave.sqlite")


@pytest.fixture
def window(qtbot, session):
    journal = Journal.start(builtin_setup())
    win = MainWindow(journal.cluster, journal.timeline(), journal=journal, running=False, session=session)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    session.window = win
    tt = win.time_travel
    yield win
    # Travelling replaced (and deleted) the first window: close whichever is on screen now.
    tt.window.close()
    tt.window.deleteLater()


def committed(win) -> int:
    return sum(p.high_watermark for p in win.bridge.view().partitions("orders"))


def history_until(win, t: int) -> list[tuple[int, str]]:
    return [(e.time, e.text) for e in win.bridge.event_history if e.time <= t]


def run(win, until: int) -> None:
    win.bridge.run_to(until)
    win.bridge.show_at(until)


def story(win) -> None:
    """6 records at 0.5 s, 4 more at 3 s, to 6 s."""
    run(win, 500)
    win.bridge.produce("orders", "first {i}", key="k{i}", count=6)
    run(win, 3000)
    win.bridge.produce("orders", "second {i}", key="k{i}", count=4)
    run(win, 6000)


def test_scrubbing_back_shows_the_cluster_as_it_was(window, qtbot):
    story(window)
    live_cluster = window.bridge.journal.cluster
    live_history = history_until(window, 2000)
    assert committed(window) == 10
    tt = window.time_travel
    assert tt.travel_to(2000)
    past = tt.window
    assert past is not window and tt.in_past
    assert past.bridge.now == 2000 and not past.bridge.running
    assert committed(past) == 6                     # the second send has not happened yet
    assert [(e.time, e.text) for e in past.bridge.event_history] == live_history
    past.guarantees.refresh()
    assert past.guarantees.value("acked") == 6
    # Charts folded from events draw the run up to that instant, not an empty plot.
    past.acks_chart.advance()
    assert past.acks_chart.history.series, "the acks made before 2 s are on the latency chart"
    assert past.time_travel.banner.isVisible() and "THE PAST" in past.time_travel.banner.text()
    assert tt.timeline.playhead_ms == 2000 and tt.timeline.end_ms == 6000
    # The live run is untouched, and going back to it replays nothing: it is the same cluster.
    assert live_cluster.now == 6000 and tt.branch.journal.cluster is live_cluster
    assert tt.back_to_live()
    assert tt.window.bridge.journal.cluster is live_cluster and not tt.in_past
    assert not tt.banner.isVisible()
    assert committed(tt.window) == 10


def test_dragging_on_the_timeline_travels_there(window, qtbot):
    story(window)
    tt = window.time_travel
    bar = tt.timeline
    x = round(bar.x_of(4500))
    qtbot.mousePress(bar, Qt.MouseButton.LeftButton, pos=QPoint(x - 40, 10))
    qtbot.mouseMove(bar, QPoint(x, 10))
    qtbot.mouseRelease(bar, Qt.MouseButton.LeftButton, pos=QPoint(x, 10))
    qtbot.waitUntil(lambda: tt.in_past)
    assert abs(tt.window.bridge.now - 4500) <= bar._span() / bar.width() * 2
    assert committed(tt.window) == 10


def test_the_keys_step_back_and_jump_between_marks(window, qtbot):
    story(window)
    tt = window.time_travel
    qtbot.keyClick(tt.window, Qt.Key.Key_Left)
    assert tt.window.bridge.now == 5000
    qtbot.waitUntil(tt.window.isActiveWindow)
    qtbot.keyClick(tt.window, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    assert tt.window.bridge.now == 3000             # the second send is the mark before 5 s
    # The send at 3 s is part of that instant (sent, not yet replicated): the commands at an instant count.
    assert tt.window.bridge.journal.commands[-1].args["value"] == "second {i}"
    assert committed(tt.window) == 6
    qtbot.waitUntil(tt.window.isActiveWindow)
    qtbot.keyClick(tt.window, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    assert not tt.in_past and tt.window.bridge.now == 6000


def test_a_command_in_the_past_forks_a_branch_that_diverges(window, qtbot):
    story(window)
    tt = window.time_travel
    original = tt.branch
    assert tt.travel_to(2000)
    past = tt.window
    past.bridge.produce("orders", "other {i}", key="k{i}", acks="1", count=2)    # a different choice
    assert len(tt.machine.branches) == 2 and not tt.in_past
    fork = tt.branch
    assert (fork.number, fork.parent, fork.fork_ms) == (2, 1, 2000)
    assert [c.args["value"] for c in fork.own_commands()] == ["other {i}"]
    run(past, 6000)
    assert committed(past) == 8                     # 6, then 2 of its own; never the 4 of branch 1
    assert original.cluster.now == 6000 and sum(
        p.high_watermark for p in original.cluster.view().partitions("orders")) == 10
    dialog = tt.compare()
    rows = {label: (a, b) for label, a, b in dialog.rows()}
    assert rows["acknowledged"] == ("10", "8")
    assert "acknowledged" in dialog.differing
    assert dialog.done_b.item(0).text().endswith("produce 2 records to orders (acks=1)")
    dialog.close()
    # Back to the original branch: its own live cluster, as it was left.
    assert tt.switch_branch(1)
    assert tt.window.bridge.journal.cluster is original.cluster and committed(tt.window) == 10
    assert [tt.branches.itemData(i) for i in range(tt.branches.count())] == [1, 2]


def test_resuming_time_in_the_past_forks_too(window, qtbot):
    story(window)
    tt = window.time_travel
    assert tt.travel_to(1000)
    tt.window.bridge.resume()
    assert len(tt.machine.branches) == 2 and not tt.in_past
    tt.window.bridge.pause()
    # Looking around did not fork: travelling again from branch 2's own past is still possible.
    assert tt.travel_to(500) and tt.in_past and len(tt.machine.branches) == 2


def test_fork_here_in_the_live_run_copies_the_present(window, qtbot):
    story(window)
    tt = window.time_travel
    new = tt.fork_here()
    assert new is not None and new.fork_ms == 6000 and tt.branch is new
    assert committed(tt.window) == 10 and tt.window.bridge.journal.cluster is not tt.machine.branch(1).cluster


def test_travel_is_refused_plainly_when_the_cluster_cannot_be_replayed(qtbot, session):
    cluster = Cluster(brokers=1, seed=3)            # made by hand: its set-up is not known
    win = MainWindow(cluster, running=False, session=session, journal=Journal(cluster, None))
    qtbot.addWidget(win)        # never replaced: travel is refused
    cluster.advance(2000)
    assert not win.time_travel.travel_to(500)
    assert win.time_travel.window is win and cluster.now == 2000
    assert "set-up" in win.status_label.text()


def test_compare_needs_two_branches(window):
    assert window.time_travel.compare() is None
    assert "one branch only" in window.status_label.text()


def test_a_demo_travels_back_with_its_scenario_steps(qtbot, tmp_path):
    """A demo opens journalled from its scenario: its steps replay, so the past is the demo's past."""
    from playground.lessons import ProgressStore
    from playground.ui.commands import builtin_cluster
    from playground.ui.qt_lesson_menu import LessonsHome
    first = MainWindow(builtin_cluster(), running=False)
    first.lessons.home = LessonsHome(ProgressStore(tmp_path / "progress.sqlite", user="tester"))
    first.show()
    demo = first.lessons.open_demo(next(d.id for d in first.lessons.home.demos()
                                        if d.title == "acks=1 loses an acknowledged write"))
    assert demo is not None and demo.bridge.journal.saveable
    demo.bridge.run_to(17_000)                       # after the leader died and a follower took over
    assert demo.bridge.journal.applied_steps()
    leader_now = demo.bridge.view().partitions("orders")[0].leader
    tt = demo.time_travel
    try:
        assert tt.travel_to(1_050)                   # before the "at risk" send and the kill
        past = tt.window.bridge.view().partitions("orders")[0]
        assert past.leader == 101 and past.leader != leader_now
        assert [c.action for c in tt.window.bridge.journal.commands] == ["produce", "slow_broker", "slow_broker"]
    finally:
        tt.window.close()
        tt.window.deleteLater()


def test_time_travel_is_off_during_a_lesson(qtbot, tmp_path):
    from playground.lessons import ProgressStore
    from playground.ui.commands import builtin_cluster
    from playground.ui.qt_lesson_menu import LessonsHome
    first = MainWindow(builtin_cluster(), running=False)
    first.lessons.home = LessonsHome(ProgressStore(tmp_path / "progress.sqlite", user="tester"))
    first.show()
    win = first.lessons.start_lesson("keys-and-partitions")
    qtbot.addWidget(win)
    win.bridge.run_to(3000)
    assert not win.time_travel.travel_to(1000)
    assert win.time_travel.window is win and win.bridge.now == 3000
    assert "during a lesson" in win.status_label.text()


def test_console_commands_are_part_of_the_past_and_fork_it(window, qtbot):
    run(window, 800)
    out: list[str] = []
    window.bridge.run_tool(["kafka-topics", "--bootstrap-server", "localhost:9092", "--create", "--topic",
                            "payments", "--partitions", "2", "--replication-factor", "3"],
                           lambda text, stream: out.append(text))
    run(window, 4000)
    assert "Created topic payments." in "".join(out)
    tt = window.time_travel
    assert tt.travel_to(2000)
    assert "payments" in tt.window.bridge.view().topic_names()
    assert tt.travel_to(500)
    assert "payments" not in tt.window.bridge.view().topic_names()
    # A console command typed in the past forks a branch like any other command.
    tt.window.bridge.run_tool(["kafka-topics", "--bootstrap-server", "localhost:9092", "--create", "--topic",
                               "refunds", "--partitions", "1", "--replication-factor", "1"], lambda *_: None)
    assert len(tt.machine.branches) == 2 and not tt.in_past
    assert [c.action for c in tt.branch.own_commands()] == ["tool"]


def test_the_past_opens_in_presenter_mode_when_presenting(window, qtbot):
    story(window)
    window.set_presenter(True)
    tt = window.time_travel
    try:
        assert tt.travel_to(2000)
        past = tt.window
        assert past.menuBar().isHidden() and past.statusBar().isHidden(), "no chrome while presenting"
        assert past.canvas.zoom > 1 and not tt.toolbar.isHidden() and tt.banner.isVisible()
    finally:
        tt.window.set_presenter(False)
    assert not tt.window.menuBar().isHidden()
