"""What every chart dock shares: pyqtgraph plots made once, styled from the palette, redrawn
with setData a few times a second of real time.

A chart subclass says how it aggregates (`advance`, called once per frame: events are
folded there, never one by one) and what it draws (`redraw`; callers use `draw`, which also
fits the time axes). The base keeps the plots and curves it made so that a theme or
presenter-mode switch (`apply_appearance`) restyles them in place: background, axes, grid,
tick fonts, and each curve's pen from the series palette.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QElapsedTimer, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from .qt_theme import COLORS, FONT_FAMILY, css, font, series_colour, ui_scale

if TYPE_CHECKING:
    import pyqtgraph as pg

REDRAW_MS = 400              # real ms between a chart's redraws (each plot's repaint costs a few ms)
PLOT_MS = 5.0                # what a plot's repaint is assumed to cost (the claim for its frame)


def round_up(v: float) -> float:
    """The least of 1, 2, 2.5, 5 x 10^k at or above `v` (> 0)."""
    if v <= 0:
        return 1.0
    scale = 10 ** math.floor(math.log10(v))
    return next(m * scale for m in (1, 2, 2.5, 5, 10) if m * scale >= v * (1 - 1e-9))


def _pg() -> Any:
    """pyqtgraph, imported when the first plot is made: it is a good part of the start-up time,
    and the charts start hidden."""
    import pyqtgraph
    return pyqtgraph


class ChartBase(QWidget):
    """An empty-state sentence, a caption, and a row of plots; bound to the bridge's frames."""

    def __init__(self, bridge, empty_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._since = QElapsedTimer()
        self._dirty = False
        self._plots: list[tuple["pg.PlotWidget", str]] = []
        # curve -> (series colour index, or a palette key; width; dashed)
        self._curves: dict["pg.PlotDataItem", tuple[int | str, float, bool]] = {}
        self._labels: list[tuple[QLabel, int]] = []
        self._events = bridge.event_history         # the engine's own list, read once per frame
        # A chart folded from events draws the run so far too (a rewound cluster, a reopened workspace);
        # one sampled from the view can only start now.
        self._seen = 0 if self.from_events else len(self._events)
        self.empty = self._label(empty_text, 12)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption = self._label("", 11)
        self.row = QHBoxLayout()
        self.row.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(0)
        layout.addWidget(self.empty)
        layout.addWidget(self.caption)
        layout.addLayout(self.row, 1)
        self.caption.hide()
        self._held: list = []                       # plots with new data, waiting for a frame to repaint in
        bridge.frame.connect(self._on_frame)
        bridge.frame_hooks.append(self._frame_starting)
        bridge.running_changed.connect(lambda _running: self._release())

    # -- for subclasses ----------------------------------------------------------------------
    history = None           # a WindowedHistory fed by events, for the charts that keep one
    from_events = False      # True: `history` is folded from engine events only, so it can take the past

    def advance(self) -> bool:
        """Fold what happened since the last frame into the histories; True when there is more to draw."""
        if self.history is None:
            return False
        for event in self.new_events():                     # aggregated once per frame
            self.history.on_event(event)
        return self.history.advance(self._bridge.now)

    def redraw(self) -> None:
        raise NotImplementedError

    def draw(self) -> None:
        """`redraw`, then the time axes fitted to the new data (`fit_x`: they are set explicitly, on
        whole steps, so pyqtgraph's auto-range does not follow the data). Callers use this."""
        self.redraw()
        for plot, _label in self._plots:
            self.fit_x(plot)

    def add_plot(self, left_label: str = "", caption: QLabel | None = None) -> "pg.PlotWidget":
        """A plot in the row (with its own caption above it, if given), styled from the palette."""
        plot = _pg().PlotWidget()
        plot.setMinimumSize(160, 70)
        item = plot.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.2)
        for side in ("left", "bottom"):
            # Major ticks and one level of minor ones: the finest level (barely visible at this grid's
            # alpha) had the most grid lines and made a plot's repaint three times as long.
            item.getAxis(side).setStyle(maxTickLevel=1)
        item.setClipToView(True)
        item.setDownsampling(auto=True, mode="peak")
        item.setMouseEnabled(x=False, y=False)
        item.hideButtons()
        item.setContentsMargins(0, 4, 6, 0)
        item.getAxis("left").setWidth(52 if left_label else 34)
        self._plots.append((plot, left_label))
        self._style_plot(plot, left_label)
        if caption is None:
            self.row.addWidget(plot, 1)
        else:
            box = QWidget()
            column = QVBoxLayout(box)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(0)
            column.addWidget(caption)
            column.addWidget(plot, 1)
            self.row.addWidget(box, 1)
        return plot

    def add_curve(self, plot: "pg.PlotWidget", colour: int | str, width: float = 3, dashed: bool = False
                  ) -> "pg.PlotDataItem":
        """A curve in series colour `colour` (an index) or a palette colour (a key such as "text")."""
        curve = plot.plot()
        self._curves[curve] = (colour, width, dashed)
        curve.setPen(self._pen(colour, width, dashed))
        return curve

    def caption_label(self, size: int = 11) -> QLabel:
        return self._label("", size)

    @staticmethod
    def key_html(colour: int | str, text: str, bold: bool = False, mark: str = "━") -> str:
        """One legend entry for a caption: a coloured line mark and the series' name."""
        c = series_colour(colour).name() if isinstance(colour, int) else css(colour)
        body = f"<b>{mark}&nbsp;{text}</b>" if bold else f"{mark}&nbsp;{text}"
        return f" <span style='color:{c};white-space:nowrap'>{body}</span>"

    @staticmethod
    def fit_y(plot: "pg.PlotWidget", arrays, floor: float = 10.0, below: float = 0.0) -> None:
        """From 0 (or a little below, so a 0 line stays visible) to a round number above the largest
        finite value: the axis (whose ticks and labels are the costly part of a plot's repaint) stays
        the same from one redraw to the next."""
        finite = [a[np.isfinite(a)] for a in arrays]
        top = max((float(a.max()) for a in finite if a.size), default=0.0)
        top = round_up(max(floor, 1.12 * top))
        plot.setYRange(-below * top, top, padding=0)

    @staticmethod
    def fit_x(plot: "pg.PlotWidget") -> None:
        """The time axis over all the data, its ends on whole steps of about a tenth of the span: the
        axis (its ticks and labels, the costly part of a plot's repaint) moves every few seconds
        rather than at every redraw."""
        ends = [(float(np.nanmin(x)), float(np.nanmax(x))) for item in plot.getPlotItem().listDataItems()
                if (x := item.xData) is not None and len(x) and np.isfinite(x).any()]
        if not ends:
            return
        x0, x1 = min(e[0] for e in ends), max(e[1] for e in ends)
        x1 = max(x1, x0 + 1.0)                  # one point, or a moment: a second of axis at least
        step = 10 ** math.floor(math.log10(x1 - x0)) / 2
        plot.setXRange(math.floor(x0 / step) * step, math.ceil(x1 / step) * step, padding=0)

    @staticmethod
    def data_of(curve: "pg.PlotDataItem") -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of a curve as last drawn (tests read it)."""
        x, y = curve.getData()
        return (np.asarray(x) if x is not None else np.empty(0), np.asarray(y) if y is not None else np.empty(0))

    def new_events(self) -> list:
        """The engine events since the last call: charts fold them once per frame instead of
        receiving each through a Qt signal (thousands a second at high rates)."""
        n = len(self._events)
        if n == self._seen:
            return []
        out = self._events[self._seen:n]
        self._seen = n
        return out

    def mark_dirty(self) -> None:
        self._dirty = True

    # -- frames --------------------------------------------------------------------------------
    # While time runs, a chart's redraw (setData) and each of its plots' repaints (axes, grid: a few ms
    # each) happen in frames of their own, claimed before the engine runs (pace.FrameBudget.claim), so
    # that no frame pays for two heavy jobs and the engine's share of a frame shrinks by the job's cost.
    _claimed = False                # this frame was claimed for a redraw
    _redraw_ms = 3.0                # what a redraw cost lately (what its claim reserves)

    def _frame_starting(self) -> None:
        """A running frame starts: claim it to let a held plot repaint, or for a redraw that is due."""
        self._claimed = False
        try:
            visible = self.isVisible()
        except RuntimeError:                        # closed: stop listening
            self._bridge.frame_hooks.remove(self._frame_starting)
            return
        budget = self._bridge.frame_budget
        if self._held:
            if budget.claim(PLOT_MS, "plot"):
                self._held.pop(0).setUpdatesEnabled(True)       # schedules its repaint in this frame
            return
        if self._dirty and visible and (not self._since.isValid() or self._since.elapsed() >= REDRAW_MS):
            self._claimed = budget.claim(self._redraw_ms, "chart")

    def _on_frame(self, t: float) -> None:
        if self.advance():
            self._dirty = True
        running = self._bridge.running
        if not self._dirty or not self.isVisible():
            return
        if running and not self._claimed:
            return
        if not running and self._since.isValid() and self._since.elapsed() < REDRAW_MS:
            return
        self._claimed = self._dirty = False
        self._since.start()
        clock = QElapsedTimer()
        clock.start()
        made = len(self._plots)
        self.draw()
        self._redraw_ms = 0.7 * self._redraw_ms + 0.3 * clock.nsecsElapsed() / 1e6
        if running:                                 # each plot repaints in a later frame of its own ...
            for plot, _label in self._plots[:made]:     # ... except a new one: it was never painted at all
                if plot not in self._held:
                    plot.setUpdatesEnabled(False)
                    self._held.append(plot)

    def _release(self) -> None:
        """Time stopped: let every held plot repaint now."""
        while self._held:
            try:
                self._held.pop(0).setUpdatesEnabled(True)
            except RuntimeError:                    # closed meanwhile
                continue

    # -- appearance ------------------------------------------------------------------------------
    def apply_appearance(self) -> None:
        """The theme or presenter mode changed: restyle the plots and curves in place."""
        for plot, left_label in self._plots:
            self._style_plot(plot, left_label)
        for curve, (colour, width, dashed) in self._curves.items():
            curve.setPen(self._pen(colour, width, dashed))
        for label, size in self._labels:
            label.setFont(font(round(size * ui_scale())))
        if self._plots:                 # a chart never shown has no plot yet (nor pyqtgraph)
            self.draw()

    def _label(self, text: str, size: int) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        label.setFont(font(round(size * ui_scale())))
        label.setProperty("scaled_by_chart", True)      # the window's font walk leaves it to us
        self._labels.append((label, size))
        return label

    @staticmethod
    def _pen(colour: int | str, width: float, dashed: bool):
        c = series_colour(colour) if isinstance(colour, int) else COLORS[colour]
        return _pg().mkPen(c, width=width * ui_scale(), style=Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)

    @staticmethod
    def _style_plot(plot: "pg.PlotWidget", left_label: str) -> None:
        pg = _pg()
        plot.setBackground(COLORS["background"])
        item = plot.getPlotItem()
        tick_font = QFont(FONT_FAMILY)
        tick_font.setPointSize(round(10 * ui_scale()))
        for side in ("left", "bottom"):
            axis = item.getAxis(side)
            axis.setPen(pg.mkPen(COLORS["grid"], width=ui_scale()))
            axis.setTextPen(pg.mkPen(COLORS["text"]))
            axis.setTickFont(tick_font)
        if left_label:
            item.getAxis("left").setWidth(round(52 * ui_scale()))
            item.setLabel("left", f"<span style='color:{css('text')};font-size:{round(10 * ui_scale())}pt'>"
                                  f"{left_label}</span>")
        else:
            item.getAxis("left").setWidth(round(34 * ui_scale()))
