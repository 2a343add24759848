"""The first window: produce through the panel, watch replication, create topics, control time.

Runs offscreen (tests/conftest.py sets QT_QPA_PLATFORM). Waiting is done with
qtbot.waitUntil on engine state read through the view, never with sleeps.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from playground.engine import Cluster, EventKind
from playground.ui import flights as fl
from playground.ui.bridge import SPEEDS, SimulationBridge, default_speed
from playground.ui.commands import builtin_cluster, parse_headers, producer_name
from playground.ui.qt_main_window import MainWindow
from playground.ui.qt_panels import CreateTopicDialog
from playground.ui.qt_theme import COLORS


@pytest.fixture
def window(qtbot):
    win = MainWindow(builtin_cluster(), running=False)
    qtbot.addWidget(win)
    win.resize(1600, 1000)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.bridge.close()


def _fill_and_send(qtbot, win, key: str, value: str) -> None:
    panel = win.produce_panel
    panel.key.clear()
    qtbot.keyClicks(panel.key, key)
    panel.value.clear()
    qtbot.keyClicks(panel.value, value)
    qtbot.mouseClick(panel.send_button, Qt.MouseButton.LeftButton)


def test_produce_through_panel_replicates_and_commits(qtbot, window):
    bridge = window.bridge
    bridge.set_speed(100.0)
    bridge.resume()
    _fill_and_send(qtbot, window, "user-1", "hello")
    assert "queued 1 record" in window.produce_panel.status.text()
    view = bridge.view()
    pv = next(p for p in view.partitions("orders") if p.partition == 2)   # murmur2("user-1") % 3 == 2
    followers = [b for b in pv.replicas if b != pv.leader]

    def follower_has_record():
        log = bridge.view().replica_log(followers[0], "orders", 2)
        return [(o, r.key, r.value) for o, r, _ in log.records()] == [(0, b"user-1", b"hello")]

    qtbot.waitUntil(follower_has_record, timeout=10000)
    qtbot.waitUntil(lambda: bridge.view().partitions("orders")[2].high_watermark == 1, timeout=10000)
    qtbot.waitUntil(lambda: bridge.view().producers()[producer_name("all")].acked == 1, timeout=10000)
    assert bridge.view().partitions("orders")[2].log_end_offsets[pv.leader] == 1


def test_canvas_draws_every_replica_and_the_records(qtbot, window):
    bridge = window.bridge
    bridge.produce("orders", "v", key="user-1", count=2)
    bridge.show_at(400)                       # acks=all has completed by now (50 ms hops)
    window.canvas.repaint()
    strips = window.canvas.drawn_strips()
    assert len(strips) == 9                   # 3 partitions x RF 3
    leaders = {(s.topic, s.partition): s.broker for s in strips if s.leader}
    assert leaders == {("orders", pv.partition): pv.leader for pv in bridge.view().partitions("orders")}
    p2 = [s for s in strips if s.partition == 2]
    assert all(s.log_end_offset == 2 for s in p2)
    assert next(s for s in p2 if s.leader).high_watermark == 2
    image = window.canvas.grab().toImage()
    assert not image.isNull()
    committed = COLORS["committed"].rgb()
    strip = next(s for s in p2 if s.leader).rect
    hits = sum(1 for x in range(int(strip.left()), int(strip.right()), 3)
               for y in range(int(strip.top()), int(strip.bottom()), 3) if image.pixel(x, y) == committed)
    assert hits > 20, "the committed cells of orders/2 are not drawn"


def test_in_flight_messages_become_moving_dots(qtbot, window):
    bridge = window.bridge
    bridge.produce("orders", "v", key="user-1")
    bridge.show_at(130)                       # produce request left at 105, arrives at 155
    kinds = {f.kind for f in window.canvas.flights() if f.sent_at <= 130 < f.arrive_at}
    assert fl.PRODUCE in kinds
    produce = next(f for f in window.canvas.flights() if f.kind == fl.PRODUCE)
    assert produce.label == "1 rec" and produce.progress(130) == pytest.approx(0.5)
    bridge.show_at(180)                       # the leader appended; fetch responses carry the record
    assert any(f.kind == fl.REPLICATE and f.label == "+1 rec" for f in window.canvas.flights())
    assert not any(f.kind == fl.CONTROL for f in window.canvas.flights())   # hidden by default


def test_create_topic_with_a_bad_name_shows_kafkas_error_and_creates_nothing(qtbot, window):
    before = window.bridge.view().topic_names()
    dialog = window.open_create_topic()
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.name, "bad name!")
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert "INVALID_TOPIC_EXCEPTION" in dialog.error.text()
    assert len(dialog.error.text().splitlines()) >= 2           # the name, then Kafka's sentence
    assert dialog.name.text() == "bad name!"
    assert window.bridge.view().topic_names() == before


def test_replication_factor_above_broker_count_is_refused(qtbot, window):
    dialog = window.open_create_topic()
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.name, "payments")
    dialog.replication_factor.setValue(4)
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert "INVALID_REPLICATION_FACTOR" in dialog.error.text()
    assert dialog.replication_factor.value() == 4 and dialog.name.text() == "payments"
    assert "payments" not in window.bridge.view().topic_names()
    # corrected input goes through, the dialog closes and brokers learn the topic by fetching metadata
    dialog.replication_factor.setValue(3)
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert "payments" in window.bridge.view().topic_names()
    assert window.produce_panel.topic.findText("payments") >= 0
    window.bridge.show_at(window.bridge.now + 100)
    window.canvas.repaint()
    assert sum(1 for s in window.canvas.drawn_strips() if s.topic == "payments") == 9


def test_pause_stops_virtual_time(qtbot, window):
    bridge = window.bridge
    bridge.set_speed(10.0)
    qtbot.mouseClick(window.time_controls.pause_button, Qt.MouseButton.LeftButton)   # resume
    assert bridge.running
    qtbot.waitUntil(lambda: bridge.now > 20, timeout=5000)
    qtbot.mouseClick(window.time_controls.pause_button, Qt.MouseButton.LeftButton)   # pause
    assert not bridge.running and not bridge.timer_active
    frozen = bridge.now
    bridge.tick(1000.0)                       # a frame arriving after pausing moves nothing
    qtbot.waitSignal(bridge.frame, timeout=200, raising=False)
    assert bridge.now == frozen
    assert "Resume" in window.time_controls.pause_button.text()


def test_running_advances_by_elapsed_times_speed(qtbot, window):
    bridge = window.bridge
    bridge.set_speed(0.5)
    bridge.resume()
    bridge.tick(0.0, budget_ms=None)          # no frame budget: the mapping alone (test_frames has the budget)
    start = bridge.display_time
    bridge.tick(80.0, budget_ms=None)
    assert bridge.display_time == pytest.approx(start + 40.0)
    assert bridge.now == int(start + 40.0)
    bridge.tick(10_000.0, budget_ms=None)     # a stalled frame is capped, time does not leap
    assert bridge.display_time <= start + 40.0 + 100 * 0.5 + 1e-9


def test_step_runs_exactly_the_next_instant(qtbot, window):
    bridge = window.bridge
    bridge.produce("orders", "v", key="user-1")
    clock_next = bridge.next_step_time()
    assert clock_next is not None and clock_next > bridge.now
    qtbot.mouseClick(window.time_controls.step_button, Qt.MouseButton.LeftButton)
    assert bridge.now == clock_next
    assert not bridge.running
    later = bridge.next_step_time()
    assert later is None or later > clock_next          # everything due at that instant has run
    assert window.time_controls.clock.text().startswith(f"t = {clock_next}")


def test_speed_steps_through_the_list(qtbot, window):
    bridge = window.bridge
    bridge.set_speed(SPEEDS[0])
    bridge.slower()
    assert bridge.speed == SPEEDS[0]
    bridge.faster()
    assert bridge.speed == SPEEDS[1]
    assert window.time_controls.speed.currentData() == SPEEDS[1]
    window.time_controls.speed.setCurrentIndex(len(SPEEDS) - 1)
    assert bridge.speed == SPEEDS[-1]
    assert default_speed(50) == 0.1 and default_speed(1) == SPEEDS[0]


def test_event_log_lists_every_event_newest_last(qtbot, window):
    bridge = window.bridge
    bridge.produce("orders", "v", key="user-1")
    bridge.show_at(400)
    history = bridge.view().events()
    qtbot.waitUntil(lambda: window.event_model.rowCount() == len(history), timeout=2000)
    last = window.event_model.index(window.event_model.rowCount() - 1)
    text = window.event_model.data(last)
    assert text.endswith(history[-1].text) and " — " in text
    assert any(e.kind == EventKind.PRODUCE_ACKED for e in history)


def test_timeline_steps_apply_as_time_passes(qtbot):
    cluster = Cluster(brokers=1, network_latency=5)
    applied = []
    bridge = SimulationBridge(cluster, [(0, lambda: applied.append(cluster.now)),
                                        (100, lambda: applied.append(cluster.now))], running=False)
    assert applied == [0]
    bridge.run_to(99)
    assert applied == [0]
    bridge.run_to(150)
    assert applied == [0, 100] and bridge.now == 150
    bridge.close()


def test_headers_parse_like_the_console_producer():
    assert parse_headers("a=1, b = two ,") == (("a", b"1"), ("b", b"two"))
    with pytest.raises(ValueError):
        parse_headers("novalue")


def test_screenshot_renders_a_png(tmp_path, qtbot):
    from playground.ui.screenshot import render_screenshot
    out = tmp_path / "shot.png"
    assert render_screenshot(str(out), width=1200, height=800) == 0
    from PySide6.QtGui import QImage
    image = QImage(str(out))
    assert image.width() == 1200 and image.height() == 800
    assert QColor(image.pixel(10, 10)).isValid()


def test_keyboard_shortcuts(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    bridge = window.bridge
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Space)
    assert bridge.running
    qtbot.keyClick(window.canvas, Qt.Key.Key_Space)
    assert not bridge.running
    next_time = bridge.next_step_time()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Right)
    assert bridge.now == next_time
    speed = bridge.speed
    qtbot.keyClick(window.canvas, Qt.Key.Key_Plus)
    assert bridge.speed > speed
    qtbot.keyClick(window.canvas, Qt.Key.Key_Minus)
    assert bridge.speed == speed
    # in a text field, Space is a space, not pause
    qtbot.keyClicks(window.produce_panel.key, "a b")
    assert window.produce_panel.key.text() == "a b" and not bridge.running
    qtbot.keyClick(window.produce_panel.key, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert bridge.view().producers()[producer_name("all")].sent == 1
    qtbot.keyClick(window.canvas, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.findChild(CreateTopicDialog) is not None
                    and window.findChild(CreateTopicDialog).isVisible(), timeout=2000)


def test_followers_fetches_and_high_watermark_news_are_drawn_thin(qtbot, window):
    bridge = window.bridge
    bridge.produce("orders", "v", key="user-1")
    bridge.show_at(230)                       # followers appended at 205 and fetch again: "I have < 1"
    fetches = [f for f in window.canvas.flights() if f.kind == fl.FETCH and f.src[2].partition == 2]
    assert {f.label for f in fetches} == {"fetch @1"} and all(f.thin for f in fetches)
    bridge.show_at(780)                       # the parked fetches expire at 755 and carry HW 1
    news = [f for f in window.canvas.flights() if f.kind == fl.HW]
    assert {f.label for f in news} == {"HW 1"} and len(news) == 2
