"""Consumer lag (records) over virtual time (s): one small plot per consumer group.

Lag is what `kafka-consumer-groups --describe` calls LAG: the partition's high watermark
minus the group's committed offset (`GroupView.lag`). The chart samples it as virtual time
passes — at most once per `SAMPLE_MS` of virtual time — into numpy ring buffers
(`chart_series.SampledSeries`, no Qt) and redraws a few times a second of real time with
`setData` on curves created once (`ChartBase`).
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtWidgets import QWidget

from playground.engine.events import EventKind
from playground.engine.protocol import TopicPartition

from .chart_series import SampledHistory, SampledSeries
from .qt_chart_base import ChartBase, round_up

SAMPLE_MS = 100              # virtual ms between samples (doubles each time a buffer fills)
CAPACITY = 2000
MAX_PARTITION_CURVES = 8     # beyond that, only the group's total
TOTAL = "total"
# Lag moves when a high watermark or a committed offset does: sampling on these events (at
# their virtual time, throttled) keeps the curve right even when time jumps far in one frame.
LAG_EVENTS = frozenset({EventKind.HIGH_WATERMARK_ADVANCED, EventKind.OFFSETS_COMMITTED, EventKind.OFFSETS_RESET,
                        EventKind.GROUP_STABLE, EventKind.MEMBER_REMOVED, EventKind.PARTITIONS_ASSIGNED})


def _lag_values(view) -> dict[str, dict]:
    """group -> {"total": lag summed over the partitions with a commit (None if none), tp: lag}."""
    out = {}
    for gid, g in view.groups().items():
        known = [v for v in g.lag.values() if v is not None]
        out[gid] = {TOTAL: float(sum(known)) if known else None, **g.lag}
    return out


class GroupSeries(SampledSeries):
    """Time (s) and lag per partition and in total, for one group; NaN where lag is unknown (no commit yet)."""

    def __init__(self, capacity: int = CAPACITY, step_ms: int = SAMPLE_MS) -> None:
        super().__init__(capacity, step_ms, (TOTAL,), max_columns=MAX_PARTITION_CURVES + 1)

    @property
    def partitions(self) -> list[TopicPartition]:
        return [k for k in self.columns if k != TOTAL]

    def totals(self) -> np.ndarray:
        return self.column(TOTAL)

    def of(self, tp: TopicPartition) -> np.ndarray:
        return self.column(tp)


class LagHistory(SampledHistory):
    """group id -> GroupSeries, sampled from `ClusterView.groups()`."""

    def __init__(self) -> None:
        super().__init__(_lag_values, GroupSeries)

    @property
    def groups(self) -> dict[str, GroupSeries]:
        return self.series


class LagChart(ChartBase):
    """One plot per group, side by side; bound to the bridge's time, events and frames."""

    def __init__(self, bridge, parent: QWidget | None = None) -> None:
        super().__init__(bridge, "No consumer group yet. Add a consumer (Consumers panel): its group's lag — the "
                                 "high watermark minus the committed offset — is drawn here over time.", parent)
        self.history = LagHistory()
        self._plots_by_group: dict[str, tuple] = {}     # gid -> (plot, total curve, {tp: curve}, caption)
        bridge.time_changed.connect(self._on_time)
        bridge.events_emitted.connect(self._on_events)
        self._on_time(bridge.now)

    # -- reading (tests) -------------------------------------------------------------------
    def plot_ids(self) -> list[str]:
        return list(self._plots_by_group)

    def curve_data(self, group_id: str) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of the group's total-lag curve as last drawn."""
        return self.data_of(self._plots_by_group[group_id][1])

    # -- updating --------------------------------------------------------------------------
    def advance(self) -> bool:
        return False             # sampled from the view as time passes (_on_time), not fed by events

    def _on_time(self, now: int) -> None:
        series = self.history.groups
        if series and not any(s.due(now) for s in series.values()):
            return                  # within the sampling step: the next due sample brings the news
        if self.history.sample(self._bridge.view()):
            self.mark_dirty()

    def _on_events(self, events: list) -> None:
        # At most one sample per step of virtual time: reading every group's lag on each high
        # watermark move would cost more than everything else in a busy frame. The frame's own
        # sample (time_changed) brings the latest values.
        for event in events:
            if event.kind in LAG_EVENTS:
                series = self.history.groups
                if not series or any(s.due(event.time) for s in series.values()):
                    self._on_time(event.time)

    def redraw(self) -> None:
        for gid, series in self.history.groups.items():
            if gid not in self._plots_by_group:
                caption = self.caption_label()
                plot = self.add_plot(caption=caption)
                self._plots_by_group[gid] = (plot, self.add_curve(plot, "text", 3), {}, caption)
            plot, total, parts, caption = self._plots_by_group[gid]
            x = series.times()
            total.setData(x, series.totals(), connect="finite", stepMode="right")
            for tp in series.partitions:
                if tp not in parts:
                    parts[tp] = self.add_curve(plot, len(parts), 2)
                parts[tp].setData(x, series.of(tp), connect="finite", stepMode="right")
            caption.setText(self._caption(gid, parts))
            totals = series.totals()
            top = float(np.nanmax(totals)) if np.isfinite(totals).any() else 0.0
            top = round_up(max(5.0, 1.12 * (top if not math.isnan(top) else 0.0)))
            plot.setYRange(-0.04 * top, top, padding=0)     # a lag of 0 stays visible above the axis
        self.empty.setVisible(not self._plots_by_group)

    def _caption(self, group_id: str, parts: dict) -> str:
        keys = "".join(self.key_html(i, str(tp)) for i, tp in enumerate(parts))
        return f"<b style='white-space:nowrap'>group&nbsp;{group_id}</b>{self.key_html('text', 'total')}{keys}"
