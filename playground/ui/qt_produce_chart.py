"""Produce throughput and ack latency over virtual time, per producer: the linger.ms trade-off.

Left: records acknowledged per virtual second. Right: ack latency in virtual ms, p50 (solid)
and p95 (dashed) — the time from a batch's first `send()` to its acknowledgement, from the
`created_ms` that PRODUCE_ACKED events carry. A producer with linger.ms 50 shows about the same
throughput as one with linger.ms 0, in far fewer requests, and its latency line sits ~50 ms
higher.

Driven by engine events, never by polling: each PRODUCE_ACKED is queued as it happens, and once
per frame the queue is folded into windows of `window_ms` virtual ms (`ProduceHistory`, no Qt);
a window closes into one point per producer in numpy ring buffers. When a buffer fills, every
other point is dropped and the window doubles. Curves are created once and updated with setData
a few times a second.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QElapsedTimer, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from playground.engine.events import EventKind

from .qt_theme import FONT_FAMILY, font

WINDOW_MS = 100              # virtual ms per point (doubles each time a buffer fills)
CAPACITY = 1500
REDRAW_MS = 200              # real ms between redraws
PRODUCER_COLOURS = ("#e65100", "#1565c0", "#2e7d32", "#6a1b9a", "#c2185b", "#00838f", "#6d4c41", "#455a64")


class ProducerSeries:
    """Per closed window: its end (s), records acked per second, and p50/p95 ack latency (NaN: no ack)."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self.n = 0
        self.t = np.empty(capacity)
        self.throughput = np.empty(capacity)
        self.p50 = np.empty(capacity)
        self.p95 = np.empty(capacity)

    def add(self, end_ms: int, window_ms: int, acked: int, latencies: list[int]) -> None:
        if self.n == self.capacity:
            self.halve()
        i = self.n
        self.n += 1
        self.t[i] = end_ms / 1000.0
        self.throughput[i] = acked * 1000.0 / window_ms
        if latencies:
            p50, p95 = np.percentile(np.asarray(latencies, dtype=float), (50, 95), method="inverted_cdf")
            self.p50[i], self.p95[i] = p50, p95
        else:
            self.p50[i] = self.p95[i] = math.nan

    def halve(self) -> None:
        keep = self.n // 2
        for arr in (self.t, self.throughput, self.p50, self.p95):
            arr[:keep] = arr[1:self.n:2][:keep]
        self.n = keep

    def data(self, name: str) -> np.ndarray:
        return getattr(self, name)[:self.n]


class ProduceHistory:
    """producer -> ProducerSeries, folded from queued PRODUCE_ACKED events once per frame."""

    def __init__(self, window_ms: int = WINDOW_MS, capacity: int = CAPACITY) -> None:
        self.window_ms = window_ms
        self.capacity = capacity
        self.series: dict[str, ProducerSeries] = {}
        self._queue: list[tuple[int, str, int, int | None]] = []    # (time, producer, count, latency)
        self._window_start: int | None = None
        self._acked: dict[str, int] = {}
        self._latencies: dict[str, list[int]] = {}

    def on_event(self, event) -> bool:
        """Queue an ack (cheap: the work waits for the frame)."""
        if event.kind != EventKind.PRODUCE_ACKED:
            return False
        created = event.data.get("created_ms")
        self._queue.append((event.time, event.data["producer"], event.data.get("count", 0),
                            None if created is None else event.time - created))
        return True

    def advance(self, now_ms: int) -> bool:
        """Fold the queued acks into windows and close every window that ended by `now_ms`;
        True when a point was added."""
        queue, self._queue = self._queue, []
        if self._window_start is None:
            if not queue:
                return False
            self._window_start = (queue[0][0] // self.window_ms) * self.window_ms
        added = False
        for time, producer, count, latency in queue:
            added = self._close_until(time) or added
            self._acked[producer] = self._acked.get(producer, 0) + count
            if latency is not None:
                self._latencies.setdefault(producer, []).append(latency)
        return self._close_until(now_ms + 1) or added

    def _close_until(self, time: int) -> bool:
        """Close windows that end at or before `time` (a window [s, s + w) is complete at s + w)."""
        added = False
        while self._window_start + self.window_ms <= time:
            if any(series.n == series.capacity for series in self.series.values()):
                self._double()
                continue
            end = self._window_start + self.window_ms
            for producer in sorted(set(self.series) | set(self._acked)):
                series = self.series.get(producer)
                if series is None:
                    series = self.series[producer] = ProducerSeries(self.capacity)
                series.add(end, self.window_ms, self._acked.get(producer, 0), self._latencies.get(producer, []))
            self._acked, self._latencies = {}, {}
            self._window_start = end
            added = True
        return added

    def _double(self) -> None:
        """Every series drops every other point; the open window and the next ones are twice as long."""
        for series in self.series.values():
            series.halve()
        self.window_ms *= 2


class ProduceChart(QWidget):
    """Two plots side by side, bound to the bridge's events and frames."""

    def __init__(self, bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self.history = ProduceHistory()
        self._curves: dict[str, tuple[pg.PlotDataItem, pg.PlotDataItem, pg.PlotDataItem]] = {}
        self._since = QElapsedTimer()
        self._dirty = False
        self.empty = QLabel("No producer acknowledgement yet. Start a producer (Producers panel, Ctrl+6): the "
                            "records acknowledged per second and the time each batch waited for its ack are "
                            "drawn here.")
        self.empty.setWordWrap(True)
        self.empty.setFont(font(12))
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setFont(font(11))
        self.caption.setToolTip(f"One point per {WINDOW_MS} ms of virtual time (longer windows once the chart is "
                                "full); latency is the time from a batch's first send() to its acknowledgement")
        self.throughput_plot = self._make_plot("acked / s")
        self.latency_plot = self._make_plot("latency ms")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.throughput_plot, 1)
        row.addWidget(self.latency_plot, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(0)
        layout.addWidget(self.empty)
        layout.addWidget(self.caption)
        layout.addLayout(row, 1)
        self._plots_visible(False)
        bridge.event_emitted.connect(self.history.on_event)
        bridge.frame.connect(self._on_frame)

    # -- reading (tests) -------------------------------------------------------------------------
    def producer_names(self) -> list[str]:
        return list(self._curves)

    def curve_data(self, producer: str, which: str = "throughput") -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of a producer's curve as last drawn: throughput, p50 or p95."""
        item = self._curves[producer][("throughput", "p50", "p95").index(which)]
        x, y = item.getData()
        return (np.asarray(x) if x is not None else np.empty(0), np.asarray(y) if y is not None else np.empty(0))

    # -- updating --------------------------------------------------------------------------------
    def _on_frame(self, _t: float) -> None:
        if self.history.advance(self._bridge.now):      # aggregated once per frame
            self._dirty = True
        if self._dirty and (not self._since.isValid() or self._since.elapsed() >= REDRAW_MS):
            self.redraw()

    def redraw(self) -> None:
        self.history.advance(self._bridge.now)
        self._dirty = False
        self._since.start()
        for name, series in self.history.series.items():
            if name not in self._curves:
                colour = PRODUCER_COLOURS[len(self._curves) % len(PRODUCER_COLOURS)]
                self._curves[name] = (
                    self.throughput_plot.plot(pen=pg.mkPen(colour, width=3)),
                    self.latency_plot.plot(pen=pg.mkPen(colour, width=3)),
                    self.latency_plot.plot(pen=pg.mkPen(colour, width=2, style=Qt.PenStyle.DashLine)))
                self.caption.setText(self._caption())
            throughput, p50, p95 = self._curves[name]
            x = series.data("t")
            throughput.setData(x, series.data("throughput"), stepMode=None)
            p50.setData(x, series.data("p50"), connect="finite")
            p95.setData(x, series.data("p95"), connect="finite")
        # From 0, so that one producer's line sitting higher than another's means what it looks like.
        for plot, arrays in ((self.throughput_plot, [s.data("throughput") for s in self.history.series.values()]),
                             (self.latency_plot, [s.data("p95") for s in self.history.series.values()])):
            finite = [a[np.isfinite(a)] for a in arrays]
            top = max((float(a.max()) for a in finite if a.size), default=0.0)
            plot.setYRange(0, max(10.0, 1.12 * top), padding=0)
        self._plots_visible(bool(self._curves))

    def _plots_visible(self, visible: bool) -> None:
        self.empty.setVisible(not visible)
        for w in (self.caption, self.throughput_plot, self.latency_plot):
            w.setVisible(visible)

    def _caption(self) -> str:
        keys = "".join(f" <span style='color:{PRODUCER_COLOURS[i % len(PRODUCER_COLOURS)]};white-space:nowrap'>"
                       f"<b>━&nbsp;{name}</b></span>" for i, name in enumerate(self._curves))
        return (f"{keys} &nbsp; <span style='color:#111111;white-space:nowrap'>latency: ━ p50 &nbsp;╍ p95"
                f"</span>")

    def _make_plot(self, title: str) -> pg.PlotWidget:
        plot = pg.PlotWidget(background="w")
        plot.setMinimumSize(160, 70)
        item = plot.getPlotItem()
        tick_font = QFont(FONT_FAMILY)
        tick_font.setPointSize(10)
        for side in ("left", "bottom"):
            axis = item.getAxis(side)
            axis.setPen(pg.mkPen("#555555"))
            axis.setTextPen(pg.mkPen("#111111"))
            axis.setTickFont(tick_font)
        item.getAxis("left").setWidth(52)
        item.setLabel("left", f"<span style='color:#111111;font-size:10pt'>{title}</span>")
        item.showGrid(x=True, y=True, alpha=0.2)
        item.setClipToView(True)
        item.setDownsampling(auto=True, mode="peak")
        item.setMouseEnabled(x=False, y=False)
        item.hideButtons()
        item.setContentsMargins(0, 0, 6, 0)
        return plot
