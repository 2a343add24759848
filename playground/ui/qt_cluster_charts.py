"""Three more chart docks, on the same histories and base as the lag and produce charts.

- `ConsumeChart`: records polled per virtual second, per consumer group (RECORDS_CONSUMED
  events, folded once per frame into windows).
- `IsrChart`: the ISR size of each partition, and how many partitions are under-replicated
  (ISR smaller than the replica set), under min.insync.replicas (acks=all producers get
  NOT_ENOUGH_REPLICAS) or offline (no leader) — sampled from the view as time passes and when
  the ISR or a leader changes.
- `AcksLatencyChart`: ack latency p50 (solid) and p95 (dashed) by the producers' `acks`
  setting: acks=0 is answered at once, acks=1 after the leader's append, acks=all after every
  in-sync replica has fetched the record — the price of durability, measured.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QWidget

from playground.engine.events import EventKind
from playground.engine.protocol import TopicPartition

from .chart_series import SampledSeries, WindowedHistory, ack_latency
from .qt_chart_base import ChartBase

WINDOW_MS = 100
CONSUME_WINDOW_MS = 500      # consumers poll in bursts (max.poll.records): a longer window reads as a rate
CAPACITY = 1500
SAMPLE_MS = 100
MAX_PARTITION_CURVES = 8
COUNTS = (("under_replicated", "under-replicated"), ("under_min_isr", "under min.insync.replicas"),
          ("offline", "offline (no leader)"))
ISR_EVENTS = frozenset({EventKind.ISR_CHANGED, EventKind.LEADER_CHANGED, EventKind.TOPIC_CREATED,
                        EventKind.PARTITIONS_ADDED, EventKind.TOPIC_DELETED})


class ConsumeChart(ChartBase):
    """Records polled per second of virtual time, one curve per consumer group."""

    from_events = True

    def __init__(self, bridge, parent: QWidget | None = None) -> None:
        super().__init__(bridge, "No record consumed yet. Add a consumer (Consumers panel, Ctrl+4): the records "
                                 "its group polls per second are drawn here.", parent)
        self.history = WindowedHistory(EventKind.RECORDS_CONSUMED,
                                       key=lambda e: e.data.get("group") or e.data.get("consumer"),
                                       window_ms=CONSUME_WINDOW_MS, capacity=CAPACITY)
        self._curves_by_group: dict[str, object] = {}
        self.plot = None                                    # made at the first redraw
        self.caption.setToolTip(f"One point per {CONSUME_WINDOW_MS} ms of virtual time: the records the group's "
                                "consumers got from poll(), per second")

    def group_ids(self) -> list[str]:
        return list(self._curves_by_group)

    def curve_data(self, group_id: str) -> tuple[np.ndarray, np.ndarray]:
        return self.data_of(self._curves_by_group[group_id])

    def redraw(self) -> None:
        self.advance()
        if self.plot is None:
            self.plot = self.add_plot("polled / s")
        for gid, series in self.history.series.items():
            if gid not in self._curves_by_group:
                self._curves_by_group[gid] = self.add_curve(self.plot, len(self._curves_by_group), 3)
            self._curves_by_group[gid].setData(series.data("t"), series.data("rate"))
        self.fit_y(self.plot, [s.data("rate") for s in self.history.series.values()])
        shown = bool(self._curves_by_group)
        self.caption.setText("".join(self.key_html(i, f"group {g}", bold=True)
                                     for i, g in enumerate(self._curves_by_group)))
        self.caption.setVisible(shown)
        self.plot.setVisible(shown)
        self.empty.setVisible(not shown)


def isr_values(view) -> dict:
    """{tp: ISR size} for the first partitions, and the cluster's under-replicated / under-min-ISR /
    offline partition counts."""
    values: dict = {key: 0 for key, _ in COUNTS}
    for topic in view.topic_names(include_internal=False):
        min_isr = int(view.topic_config(topic, "min.insync.replicas") or 1)
        for pv in view.partitions(topic):
            tp = TopicPartition(topic, pv.partition)
            if len(values) < len(COUNTS) + MAX_PARTITION_CURVES:
                values[tp] = len(pv.isr)
            if len(pv.isr) < len(pv.replicas):
                values["under_replicated"] += 1
            if len(pv.isr) < min_isr:
                values["under_min_isr"] += 1
            if pv.leader is None or pv.leader < 0:
                values["offline"] += 1
    return values


class IsrChart(ChartBase):
    """Left: each partition's ISR size; right: the partitions that are short of replicas."""

    def __init__(self, bridge, parent: QWidget | None = None) -> None:
        super().__init__(bridge, "No topic yet.", parent)
        self.series = SampledSeries(CAPACITY, SAMPLE_MS, tuple(k for k, _ in COUNTS))
        self.isr_plot = self.count_plot = None              # made at the first redraw
        self._isr_curves: dict[TopicPartition, object] = {}
        self._count_curves: dict[str, object] = {}
        self.caption.show()
        self.caption.setToolTip("Under-replicated: the ISR is smaller than the replica set (a follower is "
                                "behind or down). Under min.insync.replicas: acks=all produce requests are "
                                "refused with NOT_ENOUGH_REPLICAS. Offline: no leader, nobody can produce or "
                                "consume.")
        bridge.time_changed.connect(self._on_time)
        self._on_time(bridge.now)

    def partitions(self) -> list[TopicPartition]:
        return list(self._isr_curves)

    def curve_data(self, which: TopicPartition | str) -> tuple[np.ndarray, np.ndarray]:
        """A partition's ISR-size curve, or one of "under_replicated", "under_min_isr", "offline"."""
        curve = self._count_curves[which] if isinstance(which, str) else self._isr_curves[which]
        return self.data_of(curve)

    def _on_time(self, _now: int) -> None:
        now = self._bridge.now
        if self.series.due(now) and self.series.sample(now, isr_values(self._bridge.view())):
            self.mark_dirty()

    def advance(self) -> bool:
        """An ISR or leader change since the last frame is sampled at once, whatever the step."""
        if any(e.kind in ISR_EVENTS for e in self.new_events()):
            self.series.step_now()
            self._on_time(self._bridge.now)
        return False

    def redraw(self) -> None:
        self.advance()
        if self.isr_plot is None:
            self.isr_plot = self.add_plot("ISR size")
            self.count_plot = self.add_plot("partitions")
            self._count_curves = {key: self.add_curve(self.count_plot, colour, 3)
                                  for (key, _), colour in zip(COUNTS, ("leader", "error", "dead"))}
        s = self.series
        x = s.times()
        for key in s.columns:
            if isinstance(key, TopicPartition) and key not in self._isr_curves:
                self._isr_curves[key] = self.add_curve(self.isr_plot, len(self._isr_curves), 3)
        for tp, curve in self._isr_curves.items():
            curve.setData(x, s.column(tp), connect="finite", stepMode="right")
        for key, curve in self._count_curves.items():
            curve.setData(x, s.column(key), connect="finite", stepMode="right")
        self.fit_y(self.isr_plot, [s.column(tp) for tp in self._isr_curves], floor=3.0, below=0.04)
        self.fit_y(self.count_plot, [s.column(k) for k in self._count_curves], floor=3.0, below=0.04)
        keys = "".join(self.key_html(i, str(tp)) for i, tp in enumerate(self._isr_curves))
        counts = "".join(self.key_html(colour, label, bold=True)
                         for (_, label), colour in zip(COUNTS, ("leader", "error", "dead")))
        self.caption.setText(f"ISR:{keys} &nbsp; partitions:{counts}")
        self.empty.setVisible(False)


def _acks_key(event) -> str:
    acks = event.data.get("acks", "?")
    return f"acks={'all' if acks in (-1, '-1', 'all') else acks}"      # on the wire, acks=all is -1


class AcksLatencyChart(ChartBase):
    """Ack latency by acks setting: p50 solid, p95 dashed."""

    ORDER = ("acks=0", "acks=1", "acks=all")

    from_events = True

    def __init__(self, bridge, parent: QWidget | None = None) -> None:
        super().__init__(bridge, "No acknowledgement yet. Send records with acks 0, 1 and all (Produce panel) to "
                                 "compare how long each waits for its ack.", parent)
        self.history = WindowedHistory(EventKind.PRODUCE_ACKED, key=_acks_key, latency=ack_latency,
                                       window_ms=WINDOW_MS, capacity=CAPACITY)
        self._by_acks: dict[str, tuple] = {}
        self.plot = None                                    # made at the first redraw
        self.caption.setToolTip("Ack latency: from a batch's first send() to its acknowledgement, in virtual ms")

    def settings(self) -> list[str]:
        return list(self._by_acks)

    def curve_data(self, acks: str, which: str = "p50") -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of the p50 or p95 curve of "acks=0", "acks=1" or "acks=all"."""
        return self.data_of(self._by_acks[acks][1 + ("p50", "p95").index(which)])

    def redraw(self) -> None:
        self.advance()
        if self.plot is None:
            self.plot = self.add_plot("latency ms")
        for acks in sorted(self.history.series, key=lambda a: (a not in self.ORDER, self.ORDER.index(a)
                                                                if a in self.ORDER else 0, a)):
            series = self.history.series[acks]
            if acks not in self._by_acks:
                i = self.ORDER.index(acks) if acks in self.ORDER else len(self._by_acks) + 3
                self._by_acks[acks] = (i, self.add_curve(self.plot, i, 3),
                                       self.add_curve(self.plot, i, 2, dashed=True))
            _i, p50, p95 = self._by_acks[acks]
            x = series.data("t")
            p50.setData(x, series.data("p50"), connect="finite")
            p95.setData(x, series.data("p95"), connect="finite")
        self.fit_y(self.plot, [s.data("p95") for s in self.history.series.values()])
        shown = bool(self._by_acks)
        keys = "".join(self.key_html(i, a, bold=True) for a, (i, _p50, _p95) in self._by_acks.items())
        self.caption.setText(f"{keys} &nbsp;{self.key_html('text', '━ p50 &nbsp;╍ p95', mark='')}")
        self.caption.setVisible(shown)
        self.plot.setVisible(shown)
        self.empty.setVisible(not shown)
