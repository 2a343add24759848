"""A frame under load: batched engine reports, the engine's frame budget, the pace shown, and the
canvas's pixmap caches (pixel for pixel what direct painting gives)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen

from playground.engine import Cluster, EventKind
from playground.ui import canvas_flights, flights as fl, paint_cache as pc
from playground.ui.bridge import SimulationBridge
from playground.ui.commands import builtin_cluster
from playground.ui.pace import MAX_ENGINE_MS, MIN_ENGINE_MS, TARGET_MS, FrameBudget, Pace
from playground.ui.qt_main_window import MainWindow
from playground.ui.qt_theme import COLORS


def _busy_cluster() -> Cluster:
    """Three brokers, six partitions, a producer at 2,000 records/s: thousands of events a second."""
    from playground.ui import commands
    cluster = Cluster(brokers=3, seed=0, network_latency=1)
    cluster.create_topic("t", 6, 3, {"min.insync.replicas": 2}, immediate=True)
    commands.start_producer(cluster, "load", "t", rate="2000", key="k{i}")
    cluster.advance(500)
    return cluster


def _busy_window(qtbot) -> MainWindow:
    """A shown 1600x1000 window on `_busy_cluster`, paused, at 1x."""
    win = MainWindow(_busy_cluster(), running=False, speed=1.0)
    qtbot.addWidget(win)
    win.resize(1600, 1000)
    win.show()
    qtbot.waitExposed(win)
    return win


@pytest.fixture
def window(qtbot):
    win = MainWindow(builtin_cluster(), running=False)
    qtbot.addWidget(win)
    win.resize(1600, 1000)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.bridge.close()


# -- batches -------------------------------------------------------------------------------------
def test_events_and_messages_reach_views_in_batches_in_order(qtbot):
    cluster = _busy_cluster()
    bridge = SimulationBridge(cluster, running=False)
    batches, messages = [], []
    bridge.events_emitted.connect(batches.append)
    bridge.messages_sent.connect(messages.append)
    first = len(cluster.events.history)
    bridge.run_to(bridge.now + 200)
    got = [e for batch in batches for e in batch]
    assert got == cluster.events.history[first:]                # every event, once, in order
    assert len(got) > 100 and len(batches) <= 200 // 16 + 1      # at most one batch per 16 virtual ms
    assert sum(len(m) for m in messages) > 100 and len(messages) <= 200 // 16 + 1
    bridge.close()


def test_a_command_outside_a_frame_reaches_views_at_once_and_single_signals_still_work(qtbot):
    bridge = SimulationBridge(builtin_cluster(), running=False)
    batches, singles = [], []
    bridge.events_emitted.connect(batches.append)
    bridge.event_emitted.connect(singles.append)
    bridge.create_topic("payments", 2, 2)
    assert any(e.kind == EventKind.TOPIC_CREATED for batch in batches for e in batch)     # no frame needed
    assert [e for batch in batches for e in batch] == singles
    bridge.close()


# -- the frame budget -----------------------------------------------------------------------------
def test_over_budget_virtual_time_falls_behind_and_catches_up_at_most_one_long_frame(qtbot):
    from playground.ui.bridge import MAX_FRAME_MS
    bridge = SimulationBridge(_busy_cluster(), running=False, speed=1.0)
    bridge.resume()
    start = bridge.now
    executed = bridge._cluster.clock.executed
    # A budget of 0 ms: the engine runs one instant and stops; the frame wanted 100 virtual ms.
    bridge.tick(100.0, budget_ms=0.0)
    assert bridge._cluster.clock.executed > executed and bridge.now < start + 100
    assert bridge.display_time == bridge.now                      # the picture shows where time really is
    bridge.tick(16.0, budget_ms=None)                           # the next frame with room catches up
    assert bridge.now == start + 100 + 16
    for _ in range(5):                                          # five starved frames owe 500 virtual ms ...
        bridge.tick(100.0, budget_ms=0.0)
    behind = bridge.now
    bridge.tick(16.0, budget_ms=None)
    assert behind + 16 < bridge.now <= behind + 16 + MAX_FRAME_MS     # ... of which one long frame is caught up
    bridge.close()


def test_run_to_without_a_budget_reaches_its_time_and_reports_it(qtbot):
    bridge = SimulationBridge(_busy_cluster(), running=False)
    target = bridge.now + 300
    assert bridge.run_to(target) == target == bridge.now
    bridge.close()


def test_frame_budget_gives_the_engine_what_the_rest_of_a_frame_leaves():
    budget = FrameBudget()
    assert budget.engine_ms() == MAX_ENGINE_MS                  # nothing measured yet
    for _ in range(30):
        budget.frame_done(frame_ms=9.0, engine_ms=3.0)          # the views and the repaint: 6 ms
    assert budget.rest_ms == pytest.approx(6.0)
    assert budget.engine_ms() == pytest.approx(min(MAX_ENGINE_MS, TARGET_MS - 6.0))
    for _ in range(30):
        budget.frame_done(frame_ms=40.0, engine_ms=2.0)         # a heavy window: the engine still runs
    assert budget.engine_ms() == MIN_ENGINE_MS


def test_pace_says_how_far_behind_over_a_window_of_real_time():
    pace = Pace()
    changed = [pace.record(real_ms=16.0, wanted_ms=16.0, done_ms=4.0) for _ in range(32)]   # 512 ms: a window
    assert changed[-1] and not any(changed[:-1]) and pace.behind and pace.ratio == pytest.approx(0.25)
    for _ in range(32):
        pace.record(real_ms=16.0, wanted_ms=16.0, done_ms=16.0)
    assert not pace.behind and pace.ratio == 1.0


def test_time_controls_show_the_pace_and_hide_it_when_caught_up_or_paused(qtbot, window):
    controls, bridge = window.time_controls, window.bridge
    bridge.set_speed(2.0)
    bridge.resume()
    bridge.pace_changed.emit(0.25)
    assert controls.pace.isVisible()
    assert controls.pace.text() == "running at 0.5× (25% of 2×)"
    bridge.pace_changed.emit(1.0)
    assert not controls.pace.isVisible()
    bridge.pace_changed.emit(0.5)
    bridge.pause()
    assert not controls.pace.isVisible()


# -- pixmap caches --------------------------------------------------------------------------------
def _image(paint, scale: float = 1.0) -> QImage:
    img = QImage(240, 120, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(COLORS["background"])
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    p.scale(scale, scale)
    paint(p)
    p.end()
    return img


@pytest.mark.parametrize("scale", [1.0, 1.5])
def test_a_piece_copied_is_pixel_for_pixel_what_painting_it_gives(qtbot, scale):
    rect = QRectF(20.3, 10.6, 120.0, 44.0)            # fractional: the copy must land on the same pixels

    def draw(p: QPainter) -> None:
        p.setPen(QPen(COLORS["leader"], 5))
        p.setBrush(COLORS["leader_bg"])
        p.drawRoundedRect(rect, 8, 8)
        p.setPen(COLORS["text"])
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, "orders/0")

    direct = _image(draw, scale)
    pc.clear()
    first = _image(lambda p: pc.piece(p, ("test piece",), rect, 4, draw), scale)
    copied = _image(lambda p: pc.piece(p, ("test piece",), rect, 4, lambda q: None), scale)    # from the cache
    assert copied == first
    differ = sum(1 for x in range(direct.width()) for y in range(direct.height())
                 if QColor(direct.pixel(x, y)) != QColor(first.pixel(x, y)))
    assert differ == 0


def test_static_text_lands_where_draw_text_puts_it(qtbot):
    rect = QRectF(30, 20, 90, 30)
    for flags in (Qt.AlignmentFlag.AlignCenter, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                  Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom):
        def direct(p: QPainter) -> None:
            p.setFont(pc.shared_font(12, True))
            p.setPen(COLORS["text"])
            p.drawText(rect, flags, "HW 2049")
        ours = _image(lambda p: (p.setPen(COLORS["text"]), pc.text(p, rect, flags, "HW 2049", (12, True, False))))
        mine, theirs = _inked_box(ours), _inked_box(_image(direct))
        assert all(abs(a - b) <= 1 for a, b in zip(mine, theirs)), (flags, mine, theirs)


def _inked_box(img: QImage) -> tuple[int, int, int, int]:
    """The bounding box of the pixels that differ from the background."""
    bg = QColor(COLORS["background"])
    xs, ys = [], []
    for x in range(img.width()):
        for y in range(img.height()):
            if QColor(img.pixel(x, y)) != bg:
                xs.append(x)
                ys.append(y)
    return min(xs), min(ys), max(xs), max(ys)


# -- flights --------------------------------------------------------------------------------------
def test_flights_on_one_route_share_a_trail_and_a_label(qtbot, monkeypatch):
    a, b = ("client", "p"), ("replica", 101, None)
    flights = [fl.Flight(fl.PRODUCE, a, b, f"{n} rec", 0, 10) for n in (1, 2, 3)]
    flights.append(fl.Flight(fl.ACK, b, a, "ack", 0, 10))
    labels, trails = [], []
    monkeypatch.setattr(canvas_flights, "_draw_flight_label", lambda p, pos, r, text, *rest: labels.append(text))
    monkeypatch.setattr(canvas_flights, "_draw_trail", lambda p, path, colour, thin: trails.append(path))
    ends = {a: QPointF(10, 10), b: QPointF(200, 90)}
    pc.clear()
    _image(lambda p: canvas_flights.draw_flights(p, flights, 5.0, lambda end, f, src: ends[end]))
    assert sorted(labels) == ["3 rec ×3", "ack"]      # the newest batch names the route, ×3 in flight
    assert len(trails) == 2


# -- strips while time runs ------------------------------------------------------------------------
def test_while_time_runs_the_picture_is_renewed_every_few_frames_and_paused_ones_are_all_fresh(qtbot, monkeypatch):
    from playground.ui import canvas_layer, canvas_strips
    win = _busy_window(qtbot)
    drawn = []
    real = canvas_strips.draw_strip
    monkeypatch.setattr(canvas_strips, "draw_strip", lambda *a, **k: drawn.append(a[3]) or real(*a, **k))
    bridge, canvas = win.bridge, win.canvas
    qtbot.waitUntil(lambda: canvas.repaint() or len(canvas.drawn_strips()) == 18, timeout=5000)    # laid out
    strips = len(canvas.drawn_strips())
    drawn.clear()
    canvas.repaint()                                   # paused: every visible strip drawn again
    visible = len(drawn)
    assert visible > 0
    bridge.resume()
    frames = []                                        # (what the frame was claimed for, strips drawn, shown)
    for _ in range(3 * canvas_layer.EVERY):
        drawn.clear()
        shown = canvas.layer.redraws
        bridge.tick(16.0, budget_ms=None)
        bridge.frame.emit(bridge.display_time)          # a command's frame between ticks uses no claim
        canvas.repaint()
        frames.append((canvas.layer.claimed or bridge.frame_budget.claim_kind, len(drawn),
                       canvas.layer.redraws - shown))
        assert len(canvas.drawn_strips()) == strips    # every strip still reported, drawn or copied
        for info in canvas.drawn_strips():             # a row's replicas are drawn at one instant:
            leader = next(i for i in canvas.drawn_strips() if i.leader and (i.topic, i.partition) ==
                          (info.topic, info.partition))
            assert info.log_end_offset <= leader.log_end_offset, (info, leader)     # no follower ahead
    kinds = [f[0] for f in frames]
    assert kinds.count(canvas_layer.FINISH) == 3 and sum(f[2] for f in frames) == 3, frames   # every EVERY frames
    assert kinds.count(canvas_layer.COMPOSE) == 3 and kinds.count(canvas_layer.PREPARE) == 3 * canvas_layer.PARTS
    assert all(f[2] == (f[0] == canvas_layer.FINISH) for f in frames), frames    # shown when finished
    assert max(f[1] for f in frames if f[0] == canvas_layer.PREPARE) <= strips // canvas_layer.PARTS + 2, frames
    assert all(f[1] <= 2 for f in frames if f[0] != canvas_layer.PREPARE), frames   # the others copy strips
    bridge.pause()
    drawn.clear()
    canvas.repaint()
    assert len(drawn) == visible
    bridge.close()


# -- hidden panels --------------------------------------------------------------------------------
def test_a_hidden_panel_does_not_refresh_until_shown(qtbot, window):
    panel = window.storage_panel
    assert not panel.isVisible()
    refreshed = []
    panel.refresh = lambda: (refreshed.append(True), panel.refresh_started())
    window.bridge.create_topic("payments", 2, 2)       # TOPIC_CREATED: a storage panel event
    assert panel._stale and not panel._pending          # noted, and no refresh scheduled
    window._storage_dock.show()
    qtbot.waitUntil(lambda: bool(refreshed), timeout=2000)
    assert not panel._stale


def test_the_collector_freezes_survivors_while_time_runs_and_collects_all_when_it_stops():
    import gc
    import weakref

    from playground.ui.pace import FREEZE_EVERY_MS, Collector
    gc.unfreeze()
    collector = Collector()
    try:
        collector.frame(16.0)                       # time starts: what the set-up made is frozen at once
        assert gc.get_freeze_count() > 0
        gc.unfreeze()
        collector.frame(FREEZE_EVERY_MS / 2)
        assert gc.get_freeze_count() == 0           # not yet
        node = _Node()
        node.me = node                              # a cycle: only the cyclic collector frees it
        ref = weakref.ref(node)
        collector.frame(FREEZE_EVERY_MS / 2)
        assert gc.get_freeze_count() > 0            # frozen, with the cycle
        del node
        gc.collect()
        assert ref() is not None                    # collections while running skip what is frozen ...
        collector.idle()
        assert gc.get_freeze_count() == 0 and ref() is None      # ... the one when time stops frees it
    finally:
        gc.unfreeze()


class _Node:
    me = None


def test_a_frame_costs_its_tick_and_the_repaints_the_window_reports(qtbot):
    win = _busy_window(qtbot)
    bridge = win.bridge
    costs = []
    real = bridge.frame_budget.frame_done
    bridge.frame_budget.frame_done = lambda frame_ms, engine_ms: (
        costs.append((frame_ms, engine_ms, bridge._tick_ms, bridge._paint_ms)), real(frame_ms, engine_ms))
    bridge.resume()
    qtbot.waitUntil(lambda: len(costs) >= 8 and any(c[3] > 0 for c in costs), timeout=10_000)
    bridge.pause()
    for frame_ms, engine_ms, tick_ms, paint_ms in costs:
        assert frame_ms == pytest.approx(tick_ms + paint_ms)
        assert tick_ms >= engine_ms                 # the engine ran inside the tick
    bridge.close()


def test_claimed_frames_are_judged_by_their_own_kind_and_light_ones_are_not_starved():
    from playground.ui.pace import KNOWN, MIN_CLAIMED_ENGINE_MS
    budget = FrameBudget()
    for i in range(30):
        budget.start_frame(behind=False)
        if i % 3 == 0:
            assert budget.claim(4.0, "compose")
            assert not budget.claim(2.0, "chart")            # one heavy job a frame
        budget.frame_done(frame_ms=(3.0 if i % 3 else 12.0) + 5.0, engine_ms=5.0)
    budget.start_frame(behind=False)
    assert budget.engine_ms() == pytest.approx(min(MAX_ENGINE_MS, TARGET_MS - 3.0))      # a light frame
    budget.claim(4.0, "compose")
    assert budget.engine_ms() == pytest.approx(max(MIN_CLAIMED_ENGINE_MS, TARGET_MS - 12.0))
    budget.start_frame(behind=False)
    budget.claim(2.0, "chart")                                 # never seen: light + what it claims
    assert budget.engine_ms() == pytest.approx(TARGET_MS - 3.0 - 2.0)
    assert KNOWN > 1
    assert not budget.start_frame(behind=True)                 # behind: every other frame is quiet ...
    assert not budget.claim(1.0, "compose")                    # ... and cannot be claimed
    assert budget.start_frame(behind=True)


def test_a_plot_made_while_time_runs_paints_at_once_and_only_older_ones_wait_their_frame(qtbot):
    win = _busy_window(qtbot)
    bridge, chart = win.bridge, win.lag_chart
    bridge.start_consumer("c1", "g1", ["t"], auto_offset_reset="earliest")
    bridge.resume()
    made = []
    for _ in range(400):                       # until the group's plot exists (its first redraw)
        before = [plot for plot, _label in chart._plots]
        bridge.tick(16.0, budget_ms=None)
        made = [plot for plot, _label in chart._plots if plot not in before]
        if made:
            break
    assert made, "the lag chart made no plot"
    assert not any(plot in chart._held for plot in made)       # never painted: not held back (a black box)
    assert all(plot.updatesEnabled() for plot in made)
    bridge.pause()
    bridge.close()
