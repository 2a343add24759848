"""Consumer lag (records) over virtual time (s): one small pyqtgraph plot per consumer group.

Lag is what `kafka-consumer-groups --describe` calls LAG: the partition's
high watermark minus the group's committed offset (`GroupView.lag`). The
chart samples it as virtual time passes — at most once per `SAMPLE_MS` of
virtual time — into numpy ring buffers (`LagHistory`, no Qt), and redraws at
most a few times a second of real time with `setData` on curves created once.
When a buffer fills, every other sample is dropped and the sampling step
doubles, so the whole run stays on the chart at a coarser grain.

The samples are a history of a derived metric, not a copy of engine state:
the canvas and panels still read offsets from the view.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QElapsedTimer, Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from playground.engine.events import EventKind
from playground.engine.protocol import TopicPartition

from .qt_theme import FONT_FAMILY, font

SAMPLE_MS = 100              # virtual ms between samples (doubles each time a buffer fills)
CAPACITY = 2000
REDRAW_MS = 200              # real ms between redraws
MAX_PARTITION_CURVES = 8     # beyond that, only the group's total
# Lag moves when a high watermark or a committed offset does: sampling on these events (at
# their virtual time, throttled) keeps the curve right even when time jumps far in one frame.
LAG_EVENTS = frozenset({EventKind.HIGH_WATERMARK_ADVANCED, EventKind.OFFSETS_COMMITTED, EventKind.OFFSETS_RESET,
                        EventKind.GROUP_STABLE, EventKind.MEMBER_REMOVED, EventKind.PARTITIONS_ASSIGNED})
PARTITION_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666")


class GroupSeries:
    """Time (s) and lag per partition and in total, for one group; NaN where lag is unknown (no commit yet)."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self.n = 0
        self.step = SAMPLE_MS
        self.last_ms: int | None = None
        self._window: int | None = None     # when the last sample's window of `step` ms began
        self.t = np.empty(capacity)
        self.total = np.empty(capacity)
        self.partitions: dict[TopicPartition, np.ndarray] = {}

    def add(self, now_ms: int, lag: dict[TopicPartition, int | None]) -> bool:
        """Sample; within `step` ms of the last sample's window it replaces that sample (latest wins)."""
        if self.last_ms is not None and now_ms < self.last_ms:
            return False
        if self._window is not None and now_ms - self._window < self.step:
            i = self.n - 1
        else:
            if self.n == self.capacity:
                self._halve()
            i = self.n
            self.n += 1
            self._window = now_ms
        self.last_ms = now_ms
        self.t[i] = now_ms / 1000.0
        known = [v for v in lag.values() if v is not None]
        self.total[i] = float(sum(known)) if known else math.nan
        for tp in lag:
            if tp not in self.partitions and len(self.partitions) < MAX_PARTITION_CURVES:
                column = np.empty(self.capacity)
                column[:i] = math.nan
                self.partitions[tp] = column
        for tp, column in self.partitions.items():
            v = lag.get(tp)
            column[i] = math.nan if v is None else float(v)
        return True

    def _halve(self) -> None:
        keep = self.n // 2
        for arr in (self.t, self.total, *self.partitions.values()):
            arr[:keep] = arr[1:self.n:2][:keep]
        self.n = keep
        self.step *= 2

    def times(self) -> np.ndarray:
        return self.t[:self.n]

    def totals(self) -> np.ndarray:
        return self.total[:self.n]

    def of(self, tp: TopicPartition) -> np.ndarray:
        return self.partitions[tp][:self.n]


class LagHistory:
    """group id -> GroupSeries, sampled from `ClusterView.groups()`."""

    def __init__(self) -> None:
        self.groups: dict[str, GroupSeries] = {}

    def sample(self, view) -> bool:
        """Sample every group's lag at the view's virtual time; True when a series changed."""
        now = view.now
        added = False
        for gid, g in view.groups().items():
            series = self.groups.setdefault(gid, GroupSeries())
            added = series.add(now, g.lag) or added
        return added


class LagChart(QWidget):
    """One plot per group, side by side; bound to the bridge's time and frame signals."""

    def __init__(self, bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self.history = LagHistory()
        self._plots: dict[str, tuple[pg.PlotWidget, pg.PlotDataItem, dict]] = {}
        self._labels: dict[str, QLabel] = {}
        self._since = QElapsedTimer()
        self._dirty = False
        self.empty = QLabel("No consumer group yet. Add a consumer (Consumers panel): its group's lag — the high "
                            "watermark minus the committed offset — is drawn here over time.")
        self.empty.setWordWrap(True)
        self.empty.setFont(font(12))
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._row = QHBoxLayout()
        self._row.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self.empty)
        layout.addLayout(self._row, 1)
        bridge.time_changed.connect(self._on_time)
        bridge.event_emitted.connect(self._on_event)
        bridge.frame.connect(self._on_frame)
        self._on_time(bridge.now)

    # -- reading (tests) -------------------------------------------------------------------
    def plot_ids(self) -> list[str]:
        return list(self._plots)

    def curve_data(self, group_id: str) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of the group's total-lag curve as last drawn."""
        _plot, total, _parts = self._plots[group_id]
        x, y = total.getData()
        return (np.asarray(x) if x is not None else np.empty(0), np.asarray(y) if y is not None else np.empty(0))

    # -- updating --------------------------------------------------------------------------
    def _on_time(self, _now: int) -> None:
        if self.history.sample(self._bridge.view()):
            self._dirty = True

    def _on_event(self, event) -> None:
        if event.kind in LAG_EVENTS:
            self._on_time(event.time)

    def _on_frame(self, _t: float) -> None:
        if self._dirty and (not self._since.isValid() or self._since.elapsed() >= REDRAW_MS):
            self.redraw()

    def redraw(self) -> None:
        self._dirty = False
        self._since.start()
        for gid, series in self.history.groups.items():
            if gid not in self._plots:
                self._plots[gid] = self._make_plot(gid)
            plot, total, parts = self._plots[gid]
            x = series.times()
            total.setData(x, series.totals(), connect="finite", stepMode="right")
            for tp in series.partitions:
                if tp not in parts:
                    colour = PARTITION_COLOURS[len(parts) % len(PARTITION_COLOURS)]
                    parts[tp] = plot.plot(pen=pg.mkPen(colour, width=2))
                    self._labels[gid].setText(self._caption(gid, parts))
                parts[tp].setData(x, series.of(tp), connect="finite", stepMode="right")
            if not parts:
                self._labels[gid].setText(self._caption(gid, parts))
            top = np.nanmax(series.totals()) if np.isfinite(series.totals()).any() else 0.0
            top = max(5.0, 1.12 * float(top))
            plot.setYRange(-0.04 * top, top, padding=0)     # a lag of 0 stays visible above the axis
        self.empty.setVisible(not self._plots)

    def _make_plot(self, group_id: str) -> tuple[pg.PlotWidget, pg.PlotDataItem, dict]:
        """A label over the plot names the group and its curves, so that no legend hides a curve."""
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        label = QLabel()
        label.setWordWrap(True)
        label.setFont(font(11))
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
        item.getAxis("left").setWidth(34)
        item.showGrid(x=True, y=True, alpha=0.2)
        item.setClipToView(True)
        item.setDownsampling(auto=True, mode="peak")
        item.setMouseEnabled(x=False, y=False)
        item.hideButtons()
        item.setContentsMargins(0, 4, 6, 0)
        total = item.plot(pen=pg.mkPen(QColor("#111111"), width=3))
        column.addWidget(label)
        column.addWidget(plot, 1)
        self._row.addWidget(box, 1)
        self._labels[group_id] = label
        return plot, total, {}

    def _caption(self, group_id: str, parts: dict) -> str:
        keys = "".join(f" <span style='color:{PARTITION_COLOURS[i % len(PARTITION_COLOURS)]};white-space:nowrap'>"
                       f"━&nbsp;{tp}</span>" for i, tp in enumerate(parts))
        return (f"<b style='white-space:nowrap'>group&nbsp;{group_id}</b> "
                f"<span style='color:#111111;white-space:nowrap'>━&nbsp;total</span>{keys}")
