"""Produce throughput and ack latency over virtual time, per producer: the linger.ms trade-off.

Left: records acknowledged per virtual second. Right: ack latency in virtual ms, p50 (solid)
and p95 (dashed) — the time from a batch's first `send()` to its acknowledgement, from the
`created_ms` that PRODUCE_ACKED events carry. A producer with linger.ms 50 shows about the same
throughput as one with linger.ms 0, in far fewer requests, and its latency line sits ~50 ms
higher.

Driven by engine events, never by polling: each PRODUCE_ACKED is queued as it happens, and once
per frame the queue is folded into windows of `window_ms` virtual ms (`chart_series.
WindowedHistory`, no Qt). Curves are created once and updated with setData a few times a second.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QWidget

from playground.engine.events import EventKind

from .chart_series import WindowedHistory, ack_latency
from .qt_chart_base import ChartBase

WINDOW_MS = 100              # virtual ms per point (doubles each time a buffer fills)
CAPACITY = 1500
WHICH = ("throughput", "p50", "p95")


class ProduceHistory(WindowedHistory):
    """producer -> WindowSeries of its acks: records acked per second, p50/p95 ack latency."""

    def __init__(self, window_ms: int = WINDOW_MS, capacity: int = CAPACITY) -> None:
        super().__init__(EventKind.PRODUCE_ACKED, key=lambda e: e.data["producer"], latency=ack_latency,
                         window_ms=window_ms, capacity=capacity)


class ProduceChart(ChartBase):
    """Two plots side by side, bound to the bridge's events and frames."""

    from_events = True

    def __init__(self, bridge, parent: QWidget | None = None) -> None:
        super().__init__(bridge, "No producer acknowledgement yet. Start a producer (Producers panel, Ctrl+6): the "
                                 "records acknowledged per second and the time each batch waited for its ack are "
                                 "drawn here.", parent)
        self.history = ProduceHistory()
        self._by_producer: dict[str, tuple] = {}       # name -> (throughput, p50, p95) curves
        self.caption.setToolTip(f"One point per {WINDOW_MS} ms of virtual time (longer windows once the chart is "
                                "full); latency is the time from a batch's first send() to its acknowledgement")
        self.throughput_plot = self.latency_plot = None        # made at the first redraw
        self._plots_visible(False)

    # -- reading (tests) -------------------------------------------------------------------------
    def producer_names(self) -> list[str]:
        return list(self._by_producer)

    def curve_data(self, producer: str, which: str = "throughput") -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of a producer's curve as last drawn: throughput, p50 or p95."""
        return self.data_of(self._by_producer[producer][WHICH.index(which)])

    # -- updating --------------------------------------------------------------------------------
    def redraw(self) -> None:
        self.advance()
        if self.throughput_plot is None:
            self.throughput_plot = self.add_plot("acked / s")
            self.latency_plot = self.add_plot("latency ms")
        for name, series in self.history.series.items():
            if name not in self._by_producer:
                i = len(self._by_producer)
                self._by_producer[name] = (self.add_curve(self.throughput_plot, i, 3),
                                           self.add_curve(self.latency_plot, i, 3),
                                           self.add_curve(self.latency_plot, i, 2, dashed=True))
            throughput, p50, p95 = self._by_producer[name]
            x = series.data("t")
            throughput.setData(x, series.data("throughput"), stepMode=None)
            p50.setData(x, series.data("p50"), connect="finite")
            p95.setData(x, series.data("p95"), connect="finite")
        # From 0, so that one producer's line sitting higher than another's means what it looks like.
        self.fit_y(self.throughput_plot, [s.data("throughput") for s in self.history.series.values()])
        self.fit_y(self.latency_plot, [s.data("p95") for s in self.history.series.values()])
        self.caption.setText(self._caption())
        self._plots_visible(bool(self._by_producer))

    def _plots_visible(self, visible: bool) -> None:
        self.empty.setVisible(not visible)
        for w in (self.caption, self.throughput_plot, self.latency_plot):
            if w is not None:
                w.setVisible(visible)

    def _caption(self) -> str:
        keys = "".join(self.key_html(i, name, bold=True) for i, name in enumerate(self._by_producer))
        return f"{keys} &nbsp;{self.key_html('text', 'latency: ━ p50 &nbsp;╍ p95', mark='')}"
