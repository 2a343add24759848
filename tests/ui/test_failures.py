"""Failures and the control plane in the window: the broker menu and keys, what the canvas shows
about dead, isolated, slow and zombie brokers, the controller quorum, election flashes, and the
guarantees panel.

Offscreen (tests/conftest.py). The canvas is checked through the values it draws from
(`broker_badges`, `control_plane`, `drawn_strips`, `effects`), not through pixels; `canvas.grab()`
is only there to make it paint (offscreen, `repaint()` may skip a window that is not exposed).
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QImage, QPainter

from playground.engine import EventKind
from playground.engine.view import BrokerView, ControllerView
from playground.ui import effects as fx
from playground.ui import flights as fl
from playground.ui.canvas_control import chip_rects, draw_control_plane
from playground.ui.canvas_model import DEAD, ISOLATED, ZOOKEEPER, broker_badges, control_plane
from playground.ui.commands import builtin_cluster
from playground.ui.qt_broker_actions import HEAL, ISOLATE, KILL, RESTART, menu_action
from playground.ui.qt_main_window import MainWindow

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _open(qtbot, cluster, timeline=(), title="test") -> MainWindow:
    win = MainWindow(cluster, list(timeline), title=title, running=False)
    qtbot.addWidget(win)
    win.resize(1600, 1000)
    win.show()
    qtbot.waitExposed(win)
    return win


@pytest.fixture
def window(qtbot):
    win = _open(qtbot, builtin_cluster())
    yield win
    win.bridge.close()


@pytest.fixture
def scenario(qtbot):
    opened = []

    def load(name: str) -> MainWindow:
        from playground.ui.app import load as load_scenario
        cluster, timeline, title = load_scenario(str(SCENARIOS / name))
        win = _open(qtbot, cluster, timeline, title)
        opened.append(win)
        return win

    yield load
    for win in opened:
        win.bridge.close()


def _broker(win, broker_id: int):
    return next(b for b in win.bridge.view().brokers() if b.broker_id == broker_id)


def _badge(win, broker_id: int):
    return next(b for b in win.canvas.broker_badges() if b.broker_id == broker_id)


def _focus_canvas(qtbot, win) -> None:
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=2000)
    win.canvas.setFocus()


# -- the broker menu -------------------------------------------------------------------------
def test_clicking_a_broker_opens_its_menu_and_kill_kills_it(qtbot, window):
    window.canvas.grab()
    header = window.canvas.broker_rect(101)
    qtbot.mouseClick(window.canvas, Qt.MouseButton.LeftButton, pos=header.center().toPoint())
    menu = window.canvas.current_menu()
    qtbot.waitUntil(lambda: menu.isVisible(), timeout=2000)
    assert window.broker_actions.selected == 101
    menu_action(menu, KILL).trigger()
    assert not _broker(window, 101).alive
    assert _badge(window, 101).state == DEAD
    assert "Killed broker 101" in window.status_label.text()
    assert any(e.kind == EventKind.BROKER_KILLED and e.data["broker"] == 101 for e in window.bridge.view().events())


def test_right_click_isolate_then_heal(qtbot, window):
    window.canvas.grab()
    column_point = window.canvas.broker_rect(102).center() + QPointF(0, 200)     # the column, below the header
    assert window.canvas.hit(column_point) == ("broker", 102)
    qtbot.mouseClick(window.canvas, Qt.MouseButton.RightButton, pos=column_point.toPoint())
    menu_action(window.canvas.current_menu(), ISOLATE).trigger()
    assert window.bridge.view().isolated_brokers() == [102]
    assert _broker(window, 102).isolated
    assert _badge(window, 102).state == ISOLATED
    assert "clients can still reach it" in _badge(window, 102).tags
    menu = window.broker_actions.broker_menu(102, window.canvas)
    menu_action(menu, HEAL).trigger()
    assert window.bridge.view().isolated_brokers() == []
    assert _badge(window, 102).state != ISOLATED


def test_slow_down_choices_set_the_replication_delay(qtbot, window):
    menu = window.broker_actions.broker_menu(103, window.canvas)
    menu_action(menu, "slow:2000").trigger()
    assert _broker(window, 103).replication_delay == 2000
    assert "SLOW +2 s" in _badge(window, 103).tags
    menu = window.broker_actions.broker_menu(103, window.canvas)
    assert menu_action(menu, "slow:2000").isChecked()
    menu_action(menu, "slow:0").trigger()
    assert _broker(window, 103).replication_delay == 0
    assert not any(t.startswith("SLOW") for t in _badge(window, 103).tags)


def test_a_refused_action_shows_kafkas_error_and_changes_nothing(qtbot, window):
    bridge = window.bridge
    menu_action(window.broker_actions.broker_menu(101, window.canvas), RESTART).trigger()    # it is running
    assert window.status_label.text().startswith("INVALID_REQUEST: ")
    assert "kill it first" in window.status_label.text()
    assert "c62828" in window.status_label.styleSheet()                                     # shown as an error
    window.broker_actions.kill(101)
    brokers, events = bridge.view().brokers(), len(bridge.view().events())
    menu_action(window.broker_actions.broker_menu(101, window.canvas), KILL).trigger()       # already dead
    assert window.status_label.text().startswith("BROKER_NOT_AVAILABLE: ")
    assert "already dead" in window.status_label.text()
    assert bridge.view().brokers() == brokers and len(bridge.view().events()) == events


def test_keys_select_a_broker_then_kill_restart_isolate_heal_slow(qtbot, window):
    _focus_canvas(qtbot, window)
    acts = window.broker_actions
    qtbot.keyClick(window.canvas, Qt.Key.Key_K)                          # nothing selected yet
    assert "Select a broker first" in window.status_label.text()
    assert all(b.alive for b in window.bridge.view().brokers())
    qtbot.keyClick(window.canvas, Qt.Key.Key_2)
    assert acts.selected == 102
    qtbot.keyClick(window.canvas, Qt.Key.Key_I)
    assert window.bridge.view().isolated_brokers() == [102]
    qtbot.keyClick(window.canvas, Qt.Key.Key_H)
    assert window.bridge.view().isolated_brokers() == []
    qtbot.keyClick(window.canvas, Qt.Key.Key_S)
    assert _broker(window, 102).replication_delay == 500
    qtbot.keyClick(window.canvas, Qt.Key.Key_S)
    assert _broker(window, 102).replication_delay == 2000
    qtbot.keyClick(window.canvas, Qt.Key.Key_3)
    qtbot.keyClick(window.canvas, Qt.Key.Key_K)
    assert not _broker(window, 103).alive
    qtbot.keyClick(window.canvas, Qt.Key.Key_R)
    assert _broker(window, 103).alive
    qtbot.keyClick(window.canvas, Qt.Key.Key_9)                          # only three brokers
    assert "no broker number 9" in window.status_label.text() and acts.selected == 103
    qtbot.keyClick(window.canvas, Qt.Key.Key_Escape)
    assert acts.selected is None
    # typing digits and letters into the produce panel does not select or kill anything
    qtbot.keyClicks(window.produce_panel.value, "1k")
    assert window.produce_panel.value.text().endswith("1k") and acts.selected is None


def test_help_lists_the_keyboard_shortcuts(qtbot, window):
    dialog = window.open_shortcuts()
    qtbot.addWidget(dialog)
    keys = {(what, keys) for _menu, what, keys in dialog.rows()}
    assert ("Kill the selected broker", "K") in keys
    assert ("Isolate the selected broker (clients still reach it)", "I") in keys
    assert ("Broker 101", "1") in keys and ("Broker 103", "3") in keys
    assert any("Click (or right-click) a broker" in what for what, _ in keys)


# -- what the canvas shows ----------------------------------------------------------------------
def test_zombie_scenario_shows_isolated_broker_and_zombie_leadership(qtbot, scenario):
    win = scenario("zombie-leader.yaml")
    win.bridge.show_at(12_000)              # isolated at 100 ms, fenced and replaced at ~9 s
    win.canvas.grab()
    assert _badge(win, 103).state == ISOLATED and _badge(win, 103).fenced
    strip = next(s for s in win.canvas.drawn_strips() if s.broker == 103)
    assert strip.broker_state == ISOLATED
    assert strip.zombie == (0, 1) and not strip.leader
    assert any("ZOMBIE" in b for b in strip.banners)
    leader = next(s for s in win.canvas.drawn_strips() if s.leader)
    assert leader.broker != 103 and leader.zombie is None
    win.bridge.show_at(45_000)              # healed, truncated, back in the ISR
    win.canvas.grab()
    assert all(s.zombie is None for s in win.canvas.drawn_strips())
    assert _badge(win, 103).state not in (ISOLATED, DEAD)


def test_dead_broker_is_marked_on_its_header_and_strips(qtbot, scenario):
    win = scenario("acks-1-loses-a-write.yaml")
    win.bridge.show_at(5_000)               # the leader crashed at ~1.1 s, not fenced yet
    win.canvas.grab()
    assert _badge(win, 101).state == DEAD
    assert {s.broker_state for s in win.canvas.drawn_strips() if s.broker == 101} == {DEAD}
    assert "SLOW +1 s" in _badge(win, 102).tags


def test_elections_isr_changes_and_truncation_flash_with_captions(qtbot, scenario):
    win = scenario("acks-1-loses-a-write.yaml")
    win.bridge.show_at(9_100)               # 101 fenced at 9 001 ms: 102 elected, 101 leaves the ISR
    win.canvas.grab()
    strips = {s.broker: s for s in win.canvas.drawn_strips()}
    assert fx.ELECTED in strips[102].effects and fx.EPOCH in strips[102].effects
    assert any("NEW LEADER" in b and "epoch 0 → 1" in b for b in strips[102].banners)
    assert fx.ISR_LEFT in strips[101].effects
    captions = win.canvas.captions()
    assert any("elected broker 102 leader of orders/0 · epoch 0 → 1" in c for c in captions)
    assert any("Broker 101 left the ISR of orders/0" in c for c in captions)
    win.bridge.show_at(16_200)              # 101 restarted and truncated offsets 2-4
    win.canvas.grab()
    truncated = next(e for e in win.canvas.effects.active() if e.kind == fx.TRUNCATED)
    assert (truncated.broker, truncated.data["offset"], truncated.data["removed"]) == (101, 2, 3)
    assert fx.TRUNCATED in next(s for s in win.canvas.drawn_strips() if s.broker == 101).effects
    assert any("truncated orders/0: offsets 2–4 dropped" in c for c in win.canvas.captions())
    win.bridge.show_at(40_000)              # long after, at the same speed: every flash has faded
    win.canvas.grab()
    assert win.canvas.effects.active() == [] and win.canvas.captions() == []


def test_flashes_age_in_playback_time_and_freeze_while_paused():
    effects = fx.Effects(1000.0)
    event = SimpleNamespace(kind=EventKind.LEADER_ELECTED, time=1000, text="",
                            data={"topic": "t", "partition": 0, "leader": 102, "old_leader": 101,
                                  "leader_epoch": 4, "unclean": True})
    effects.on_event(event, speed=0.05, controller_id=2)
    assert effects.captions()[0][0].text.startswith("Controller 2 elected broker 102 leader of t/0 · epoch 3 → 4")
    assert "UNCLEAN" in effects.captions()[0][0].text
    effects.advance(1100.0, 0.05)           # 100 virtual ms at 0.05x = 2 s on screen
    assert {e.kind for e, _ in effects.for_strip(102, "t", 0)} == {fx.ELECTED, fx.EPOCH}
    assert [e.kind for e, _ in effects.for_strip(101, "t", 0)] == [fx.EPOCH]
    effects.advance(1100.0, 0.05)           # paused: nothing ages
    assert effects.playback == pytest.approx(2000.0)
    effects.advance(1100.0, 100.0)          # speeding up does not bring anything back or forward
    effects.advance(1400.0, 100.0)          # 300 virtual ms at 100x = 3 ms on screen
    assert effects.for_strip(102, "t", 0)
    effects.advance(1600.0, 0.05)           # 4 more seconds: the strip flash is over, the caption is not
    assert effects.for_strip(102, "t", 0) == [] and effects.captions()


# -- the control plane --------------------------------------------------------------------------
def test_controller_box_lists_the_voters_and_the_active_one(qtbot, window):
    bridge = window.bridge
    window.canvas.grab()
    plane = window.canvas.control_plane()
    assert plane.mode == "kraft"
    assert [n.node_id for n in plane.nodes] == [1, 2, 3]
    assert [n.node_id for n in plane.nodes if n.active] == [1] and plane.active_id == 1
    assert plane.log and plane.committed(plane.log[-1][0])
    assert all(window.canvas.controller_rect(n) is not None for n in (1, 2, 3))
    # kill the active controller from its box: it is drawn dead, nobody is active, then a new one wins
    menu = window.broker_actions.controller_menu(1, window.canvas)
    menu_action(menu, KILL).trigger()
    plane = window.canvas.control_plane()
    assert [n.role for n in plane.nodes if n.node_id == 1] == ["dead"]
    assert plane.active_id is None and "NO ACTIVE CONTROLLER" in plane.status
    seen_votes = []
    bridge.message_sent.connect(lambda m: seen_votes.extend(
        f for f in fl.classify(m, bridge.view()) if f.kind == fl.VOTE))
    bridge.set_speed(100.0)
    bridge.resume()
    qtbot.waitUntil(lambda: window.canvas.control_plane().active_id in (2, 3), timeout=15000)
    bridge.pause()
    plane = window.canvas.control_plane()
    assert sum(n.active for n in plane.nodes) == 1 and plane.epoch > 1
    assert seen_votes and all(f.src[0] == f.dst[0] == "controller" for f in seen_votes)
    menu_action(window.broker_actions.controller_menu(1, window.canvas), RESTART).trigger()
    assert window.canvas.control_plane().nodes[0].alive


class _ZooKeeperView:
    """What `ClusterView` reports in ZooKeeper mode (the engine's mode is still being built)."""

    controller_mode = ZOOKEEPER

    def __init__(self, controller_id):
        self.controller_id = controller_id

    def controllers(self):
        return [ControllerView(n, n != 3, "zookeeper", 5, 40, 40) for n in (1, 2, 3)]

    def metadata_log(self, last=20):
        return [(39, "/brokers/ids/103 created"), (40, "/controller = 101")][-last:]

    def brokers(self):
        return [BrokerView(101, True, False), BrokerView(102, True, False), BrokerView(103, False, True)]


def test_zookeeper_mode_draws_the_ensemble_and_crowns_the_controller_broker():
    view = _ZooKeeperView(controller_id=101)
    plane = control_plane(view)
    assert plane.mode == ZOOKEEPER and plane.controller_broker == 101
    assert [n.role for n in plane.nodes] == ["zookeeper", "zookeeper", "dead"]
    assert not any(n.active for n in plane.nodes)
    assert "broker 101" in plane.status
    badges = {b.broker_id: b for b in broker_badges(view, plane)}
    assert badges[101].controller and "♛ CONTROLLER" in badges[101].tags
    assert not badges[102].controller and badges[103].state == DEAD
    none = control_plane(_ZooKeeperView(controller_id=None))
    assert not none.has_controller and "no active controller" in none.status
    assert not any(b.controller for b in broker_badges(_ZooKeeperView(None), none))


def test_an_empty_control_plane_is_tolerated_and_drawn(qtbot):
    view = SimpleNamespace(controller_mode="kraft", controller_id=None, controllers=lambda: [],
                           metadata_log=lambda last=20: [], brokers=lambda: [])
    plane = control_plane(view)
    assert plane.nodes == () and not plane.has_controller and plane.log == ()
    assert "no active controller" in plane.status
    image = QImage(900, 140, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    box = QRectF(10, 10, 880, 108)
    assert chip_rects(box, plane) == {}
    draw_control_plane(painter, box, plane, {}, {})        # nothing to draw but the box and its words
    painter.end()


# -- the guarantees panel -------------------------------------------------------------------------
def test_guarantees_panel_follows_the_audit_after_a_loss(qtbot, scenario):
    win = scenario("acks-1-loses-a-write.yaml")
    panel = win.guarantees
    assert panel.value("acked") == 0 and panel.value("acked_lost") == 0
    win.bridge.run_to(30_000)               # the whole scenario: kill, failover, restart, truncation
    audit = win.bridge.view().audit()
    assert audit.acked_lost == 3
    qtbot.waitUntil(lambda: panel.value("acked_lost") == 3, timeout=3000)
    assert panel.value("acked") == audit.acked == 5
    assert panel.value("unavailable") == 0 and panel.value("duplicates_in_log") == 0
    rows = panel.lost_rows()
    assert [(r.partition, r.offset, r.key, r.value, r.producer) for r in rows] == [
        ("orders/0", 2, "user-1", "at risk 0", "producer-1"),
        ("orders/0", 3, "user-1", "at risk 1", "producer-1"),
        ("orders/0", 4, "user-1", "at risk 2", "producer-1")]
    assert all("Truncated at 16 124 ms: broker 101" in r.why and "acks=1" in r.why for r in rows)
    assert panel.table.rowCount() == 3 and panel.table.item(0, 3).text() == "at risk 0"
    assert "offset 2" in panel.why.text()
