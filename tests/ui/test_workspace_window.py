"""File ▸ Save / Open, autosave and the restore offer, settings: through the window's menus.

Runs offscreen. File dialogs are patched to return paths under tmp_path;
message boxes are the window's own non-blocking ones (`workspace.dialog`).
QSettings go to an INI file under tmp_path: these tests never touch the
user's settings or data folder.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import random
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QMessageBox

from playground.storage import Journal, read_meta
from playground.storage.tables import state_digest
from playground.ui.commands import builtin_setup
from playground.ui.qt_main_window import MainWindow
from playground.ui.qt_workspace import NO_RESTORE_ENV, AppSession

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.fixture
def session(tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    return AppSession(settings, tmp_path / "data" / "autosave.sqlite")


def _window(qtbot, session, journal: Journal | None = None) -> MainWindow:
    journal = journal or Journal.start(builtin_setup())
    win = MainWindow(journal.cluster, journal.timeline(), journal=journal, running=False, session=session)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    session.window = win
    return win


def _frames(bridge, until: int, rng: random.Random) -> None:
    """Run time like the window's timer does: small, uneven steps, sometimes within the same ms."""
    while bridge.now < until:
        bridge.tick(rng.choice((0.2, 3.0, 16.0, 40.0)))


def _menu_action(win: MainWindow, menu: str, text: str):
    for top in win.menuBar().actions():
        if top.menu() is not None and top.menu().title().replace("&", "") == menu:
            for action in top.menu().actions():
                if action.text() == text:
                    return action
    raise AssertionError(f"no {menu} ▸ {text}")


def _busy_session(win: MainWindow) -> None:
    """Every kind of command the window sends, at uneven frames (seed 21 picks the frame lengths)."""
    rng = random.Random(21)
    b = win.bridge
    b.set_speed(100.0)
    b.resume()
    b.create_topic("payments", 2, 2)
    b.produce("orders", "order {i}", key="user-{i}", count=12, headers=(("trace", b"x"), ("trace", b"y")))
    _frames(b, 1_500, rng)
    b.start_consumer("c1", "g1", ["orders"], commit="after_processing", processing_time=5,
                     auto_offset_reset="earliest", max_poll_records=4)
    b.start_producer("loop", "payments", "20", key="k{i}", value="p {i}", linger_ms="10", acks="1")
    b.start_consumer("c2", "g2", ["payments"], assignor="cooperative-sticky", auto_offset_reset="earliest")
    _frames(b, 6_000, rng)
    b.crash_consumer("c2")
    b.pause_consumer("c1")
    b.slow_broker(103, 500)
    _frames(b, 7_000, rng)
    b.resume_consumer("c1")
    b.isolate_broker(101)
    _frames(b, 9_000, rng)
    b.heal(101)
    b.stop_producer("loop")
    b.stop_consumer("c1")                   # commits, leaves: the group is Empty
    while b.view().group("g1").state != "Empty":
        assert b.now < 60_000, b.view().group("g1")
        _frames(b, b.now + 100, rng)
    b.reset_offsets("g1", "orders", "earliest")
    b.slow_broker(103, 0)
    b.kill_broker(102)
    _frames(b, 20_000, rng)                 # past broker.session.timeout.ms: 102's partitions move
    b.restart_broker(102)
    b.kill_controller()
    b.produce("orders", None, key="user-1", acks="1")         # a tombstone
    _frames(b, 24_000, rng)
    b.pause()


def test_save_then_open_in_a_fresh_window(qtbot, session, tmp_path, monkeypatch):
    a = _window(qtbot, session)
    _busy_session(a)
    assert len(a.bridge.journal.commands) == 19
    path = str(tmp_path / "mine.sqlite")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kw: (path, ""))
    _menu_action(a, "File", "Save workspace").trigger()            # no path yet: Save asks where
    assert os.path.exists(path) and a.workspace.path == path
    assert a.windowTitle().endswith("mine.sqlite")
    assert session.last_dir() == str(tmp_path)

    b = _window(qtbot, session)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kw: (path, ""))
    _menu_action(b, "File", "Open workspace…").trigger()
    opened = session.window
    qtbot.addWidget(opened)
    assert opened is not b and not b.isVisible() and opened.isVisible()
    assert "matches the saved tables" in opened.status_label.text()
    assert state_digest(opened.bridge.journal.cluster) == state_digest(a.bridge.journal.cluster)
    assert opened.bridge.view().brokers()[1].alive                  # 102 restarted before the save
    # Save (Ctrl+S) now writes to the opened file without asking.
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kw: pytest.fail("Save asked for a path"))
    opened.bridge.produce("orders", "more")
    assert opened.workspace.save()


def test_a_corrupt_file_shows_the_reason_and_keeps_the_cluster(qtbot, session, tmp_path, monkeypatch):
    win = _window(qtbot, session)
    win.bridge.produce("orders", "keep me", key="user-1")
    win.bridge.show_at(500)
    before = state_digest(win.bridge.journal.cluster)
    bad = tmp_path / "broken.sqlite"
    bad.write_bytes(random.Random(8).randbytes(2048))             # seed 8
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kw: (str(bad), ""))
    _menu_action(win, "File", "Open workspace…").trigger()
    box = win.workspace.dialog
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert str(bad) in box.text() and "not an SQLite database" in box.text()
    assert "unchanged" in box.text()
    box.accept()
    assert session.window is win and win.isVisible()
    assert state_digest(win.bridge.journal.cluster) == before


def test_autosave_on_exit_and_the_offer_to_restore(qtbot, session, monkeypatch):
    monkeypatch.delenv(NO_RESTORE_ENV, raising=False)
    first = _window(qtbot, session)
    first.bridge.produce("orders", "remember me", key="user-2", count=3)
    first.bridge.kill_broker(103)
    first.bridge.show_at(2_000)
    digest = state_digest(first.bridge.journal.cluster)
    first.close()
    assert session.autosave_path.exists()

    again = _window(qtbot, session)
    box = again.workspace.offer_restore()
    assert box is not None and box.isVisible() and "2 s of virtual time" in box.text()
    assert "last session" in box.text()
    box.buttonClicked.emit(again.workspace.restore_button)
    restored = session.window
    qtbot.addWidget(restored)
    assert restored is not again
    assert state_digest(restored.bridge.journal.cluster) == digest
    assert restored.workspace.path is None                 # Save asks, rather than overwriting the autosave
    assert "Restored the last session" in restored.status_label.text()
    restored.close()                                        # autosaves again, under the same title
    assert read_meta(session.autosave_path)["title"].count("last session") == 1


def test_start_a_new_cluster_instead_and_the_env_var_skips_the_offer(qtbot, session, monkeypatch):
    monkeypatch.delenv(NO_RESTORE_ENV, raising=False)
    first = _window(qtbot, session)
    first.bridge.produce("orders", "x")
    first.close()
    win = _window(qtbot, session)
    box = win.workspace.offer_restore()
    box.buttonClicked.emit(win.workspace.new_button)
    assert session.window is win and win.bridge.journal.commands == []
    monkeypatch.setenv(NO_RESTORE_ENV, "1")
    assert win.workspace.offer_restore() is None


def test_new_cluster_replaces_the_window(qtbot, session):
    win = _window(qtbot, session)
    win.bridge.kill_broker(101)
    _menu_action(win, "File", "New cluster (built-in: 3 brokers, topic orders)").trigger()
    fresh = session.window
    qtbot.addWidget(fresh)
    assert fresh is not win and all(b.alive for b in fresh.bridge.view().brokers())
    assert fresh.bridge.journal.saveable


def test_layout_and_speed_are_kept_in_settings(qtbot, session):
    win = _window(qtbot, session)
    win.bridge.set_speed(5.0)
    win.resize(640, 480)             # within the offscreen screen: restoreGeometry keeps it on screen
    size = (win.width(), win.height())
    assert size != (1400, 900)
    win.close()
    assert session.settings.value("time/speed") is not None
    later = _window(qtbot, session)
    assert later.bridge.speed != 5.0
    assert session.restore_layout(later)
    assert later.bridge.speed == 5.0
    assert (later.width(), later.height()) == size


def test_file_shortcuts(qtbot, session):
    win = _window(qtbot, session)
    keys = {a.text(): a.shortcut().toString() for a in win.menuBar().actions()[0].menu().actions()}
    assert win.menuBar().actions()[0].menu().title() == "&File"
    assert keys["Open workspace…"] == "Ctrl+O"
    assert keys["Save workspace"] == "Ctrl+S"
    assert keys["Save workspace as…"] == "Ctrl+Shift+S"


def test_a_scenario_saved_mid_timeline_goes_on_in_the_opened_window(qtbot, session, tmp_path):
    from playground.ui.app import open_session
    opened = open_session(scenario=str(SCENARIOS / "zombie-leader.yaml"))
    live = _window(qtbot, session, opened.journal)
    steps = len(opened.timeline)
    live.bridge.show_at(opened.timeline[steps // 2][0])
    path = tmp_path / "half.sqlite"
    assert live.workspace.save_as(str(path))
    new = live.workspace.open_workspace(str(path))
    qtbot.addWidget(new)
    assert 0 < len(new.bridge.journal.timeline()) < steps
    end = opened.timeline[-1][0] + 2_000
    new.bridge.show_at(end)
    other = _window(qtbot, AppSession(), open_session(scenario=str(SCENARIOS / "zombie-leader.yaml")).journal)
    other.bridge.show_at(end)
    assert state_digest(new.bridge.journal.cluster) == state_digest(other.bridge.journal.cluster)
