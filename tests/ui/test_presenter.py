"""Themes, presenter mode, tooltips with numbers, and the consume / ISR / acks-latency charts.

Offscreen (tests/conftest.py); time is advanced with `bridge.show_at`, never with sleeps. The
look is application-wide, so every test that changes it puts the light theme back.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import re
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor

from playground.engine.protocol import TopicPartition
from playground.ui import palettes
from playground.ui.commands import builtin_cluster
from playground.ui.qt_main_window import MainWindow
from playground.ui.qt_theme import COLORS, current_theme, presenter_mode

UI = Path(__file__).resolve().parents[2] / "playground" / "ui"


@pytest.fixture
def window(qtbot):
    win = MainWindow(builtin_cluster(), running=False)
    qtbot.addWidget(win)
    win.resize(1600, 1000)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.set_presenter(False)
    win.set_theme("light")
    win.bridge.close()


def advance(win, ms: int, step_ms: int = 20) -> None:
    end = win.bridge.now + ms
    while win.bridge.now < end:
        win.bridge.show_at(min(end, win.bridge.now + step_ms))


def _canvas_pixel(win, x: int = 3, y: int = 3) -> QColor:
    win.canvas.repaint()
    return win.canvas.grab().toImage().pixelColor(x, y)


def test_both_themes_name_the_same_colours():
    assert set(palettes.LIGHT) == set(palettes.DARK)
    assert set(palettes.FLIGHTS["light"]) == set(palettes.FLIGHTS["dark"])
    for theme in palettes.THEMES:
        assert set(palettes.PRESENTER[theme]) <= set(palettes.LIGHT)
    with pytest.raises(ValueError, match="unknown theme 'sepia'"):
        palettes.palette("sepia")


def test_no_colour_is_written_into_the_painting_code():
    """Every colour comes from palettes.py: a theme switch reaches every mark."""
    literal = re.compile(r"""["']#[0-9a-fA-F]{6,8}["']|QColor\(\s*\d|GlobalColor\.|background=["']w["']""")
    offenders = [f"{path.name}:{n}" for path in sorted(UI.glob("*.py")) if path.name != "palettes.py"
                 for n, line in enumerate(path.read_text().splitlines(), 1) if literal.search(line)]
    assert offenders == []


def test_dark_theme_repaints_the_canvas_panels_and_charts(qtbot, window):
    assert current_theme() == "light" and _canvas_pixel(window).lightness() > 240
    window.set_theme("dark")
    assert current_theme() == "dark" and window.theme_actions["dark"].isChecked()
    assert _canvas_pixel(window).lightness() < 40
    role = window.palette().ColorRole
    qtbot.waitUntil(lambda: window.palette().color(role.Window).lightness() < 80)      # Qt's widgets follow
    qtbot.waitUntil(lambda: window.event_log.palette().color(role.Text).lightness() > 200)
    window.produce_chart.draw()
    background = window.produce_chart.throughput_plot.backgroundBrush().color()
    assert background == COLORS["background"]
    window.set_theme("light")
    assert _canvas_pixel(window).lightness() > 240


def test_an_unknown_theme_changes_nothing(window):
    with pytest.raises(ValueError):
        window.set_theme("sepia")
    assert current_theme() == "light" and window.theme_actions["light"].isChecked()


def test_presenter_mode_hides_the_chrome_and_makes_everything_larger(qtbot, window):
    panel_font = window.produce_panel.send_button.font().pointSizeF()
    log_font = window.event_log.font().pointSizeF()
    broker = window.canvas.broker_rect(101)
    window.presenter_action.trigger()                       # View ▸ Presenter mode (F11, Ctrl+Shift+P)
    assert presenter_mode() and window.presenter
    for chrome in (window.menuBar(), window._toolbar, window.statusBar(), window._log_dock, window._side_dock):
        assert chrome.isHidden()
    assert window.canvas.zoom == 1.5
    window.canvas.repaint()
    zoomed = window.canvas.broker_rect(101)
    assert zoomed.height() == pytest.approx(1.5 * broker.height())
    assert window.canvas.hit(zoomed.center()) == ("broker", 101)        # clicks land where it is drawn
    assert window.event_log.font().pointSizeF() >= 1.5 * log_font
    qtbot.waitUntil(lambda: window.produce_panel.send_button.font().pointSizeF() >= 1.5 * panel_font)
    # high contrast: muted text is darker than in the normal light theme
    assert COLORS["muted"].lightness() < QColor(palettes.LIGHT["muted"]).lightness()
    window._side_dock.toggleViewAction().trigger()          # Ctrl+1 still brings a panel back
    assert not window._side_dock.isHidden()
    qtbot.keyClick(window, Qt.Key.Key_F11)                  # the shortcut works with the menus hidden
    assert not presenter_mode()
    for chrome in (window.menuBar(), window._toolbar, window.statusBar(), window._log_dock, window._side_dock):
        assert not chrome.isHidden()
    assert window.event_log.font().pointSizeF() == pytest.approx(log_font)
    qtbot.waitUntil(lambda: window.produce_panel.send_button.font().pointSizeF() == pytest.approx(panel_font))
    assert window.canvas.zoom == 1.0


def test_help_lists_presenter_mode_and_the_chart_docks(qtbot, window):
    dialog = window.open_shortcuts()
    qtbot.addWidget(dialog)
    rows = {what: keys for _menu, what, keys in dialog.rows()}
    presenter = next(keys for what, keys in rows.items() if what.startswith("Presenter mode"))
    assert "F11" in presenter and "Ctrl+Shift+P" in presenter
    for key, start in (("Ctrl+Shift+5", "Consumers: records polled"), ("Ctrl+9", "ISR sizes"),
                       ("Ctrl+0", "Produce latency by acks")):
        assert any(k == key and w.startswith(start) for w, k in rows.items())
    keys = [k for _m, _w, k in dialog.rows() if k]
    assert len(keys) == len(set(keys))


def test_hovering_anything_tells_what_it_is_and_its_numbers(qtbot, window):
    bridge = window.bridge
    bridge.produce("orders", "v{i}", key="user-1", count=3)
    bridge.start_consumer("c1", "g1", ["orders"], auto_offset_reset="earliest")
    advance(window, 6000, step_ms=100)
    window.canvas.repaint()
    canvas = window.canvas

    def tip(rect) -> str:
        assert rect is not None
        return canvas._tooltip_at(QPointF(rect.center().x(), rect.top() + 4))

    pv = next(p for p in bridge.view().partitions("orders") if p.partition == 2)
    assert "Broker 101" in tip(canvas.broker_rect(101)) and "leader of" in tip(canvas.broker_rect(101))
    strip = tip(canvas.strip_rect(pv.leader, "orders", 2))
    assert f"orders/2 on broker {pv.leader}" in strip and "high watermark 3" in strip and "log end offset 3" in strip
    cell = canvas.cell_rect(pv.leader, "orders", 2, 1)
    assert "offset 1" in canvas._tooltip_at(cell.center()) and "key: user-1" in canvas._tooltip_at(cell.center())
    producer = tip(canvas.producer_rect(next(iter(bridge.view().producers()))))
    assert "sent 3 · acked 3" in producer and "acks=all" in producer
    consumer = canvas._tooltip_at(canvas.consumer_rect("c1").center())
    assert "Consumer c1" in consumer and "group g1" in consumer and "polled 3" in consumer
    lane = tip(canvas.lane_rect("g1"))
    assert "Consumer group g1" in lane and "generation 1" in lane and "1 member(s)" in lane
    chip = canvas.controller_rect(1)
    assert "epoch" in canvas._tooltip_at(chip.center()) and "committed" in canvas._tooltip_at(chip.center())


def test_consume_chart_plots_records_polled_per_group(qtbot, window):
    bridge = window.bridge
    bridge.start_producer("p", "orders", rate="50", key="k{i}")
    bridge.start_consumer("c1", "g1", ["orders"], auto_offset_reset="earliest")
    bridge.start_consumer("d1", "g2", ["orders"], auto_offset_reset="earliest")
    advance(window, 12_000, step_ms=50)
    assert not window._consume_dock.isHidden()
    chart = window.consume_chart
    chart.draw()
    assert chart.group_ids() == ["g1", "g2"]
    for gid in ("g1", "g2"):
        x, y = chart.curve_data(gid)
        assert len(x) > 10 and np.all(np.diff(x) > 0)
        assert 30 <= np.mean(y[len(y) // 2:]) <= 70             # keeps up with 50 records/s
    polled = sum(c.polled for c in bridge.view().consumers().values() if c.group == "g1")
    assert sum(y) * 0.5 <= polled                                  # 0.5 s windows: rate × window = records


def test_isr_chart_shows_a_broker_leaving_the_isr(qtbot, window):
    bridge = window.bridge
    window._isr_dock.toggleViewAction().trigger()               # Ctrl+9
    assert not window._isr_dock.isHidden()
    advance(window, 1000, step_ms=100)
    bridge.kill_broker(103)
    advance(window, 20_000, step_ms=200)
    chart = window.isr_chart
    chart.draw()
    assert chart.partitions() == [TopicPartition("orders", p) for p in range(3)]
    _x, isr = chart.curve_data(TopicPartition("orders", 0))
    assert isr[0] == 3 and isr[-1] == 2                            # 103 was dropped from every ISR
    _x, under = chart.curve_data("under_replicated")
    assert under[0] == 0 and under[-1] == 3
    _x, offline = chart.curve_data("offline")
    assert np.nanmax(offline) == 0


def test_acks_chart_separates_latency_by_acks(qtbot, window):
    bridge = window.bridge
    for acks in ("0", "1", "all"):
        bridge.start_producer(f"p{acks}", "orders", rate="20", key="k{i}", acks=acks)
    advance(window, 5000, step_ms=50)
    chart = window.acks_chart
    chart.draw()
    assert chart.settings() == ["acks=0", "acks=1", "acks=all"]
    medians = {}
    for acks in chart.settings():
        _x, p50 = chart.curve_data(acks, "p50")
        medians[acks] = float(np.nanmedian(p50))
    # 50 ms hops: acks=all waits for the followers' fetch on top of the leader's append
    assert medians["acks=0"] < medians["acks=1"] < medians["acks=all"]
