"""The charts' histories: numpy ring buffers of derived metrics over virtual time (no Qt).

Two ways in, shared by every chart:

- `SampledSeries`: the state sampled as time passes (consumer lag, ISR sizes) — at most one
  point per `step` ms of virtual time, the latest sample in a step winning.
- `WindowedHistory`: engine events (acks, polled records) queued as they happen and folded
  once per frame into windows of `window_ms` — per key a count per second and, when the
  events carry one, p50/p95 latency.

When a buffer fills, every other point is dropped and the step (window) doubles, so the whole
run stays on the chart at a coarser grain, in bounded memory. The samples are a history of
metrics, not a copy of engine state: the canvas and the panels read the view.
"""

from __future__ import annotations

import math
from typing import Callable, Hashable

import numpy as np

from playground.engine.events import EventKind


class SeriesRing:
    """Times (s) and named columns of float; NaN where a column has no value at a point."""

    def __init__(self, capacity: int, columns: tuple = (), max_columns: int | None = None) -> None:
        self.capacity = capacity
        self.max_columns = max_columns
        self.n = 0
        self.t = np.empty(capacity)
        self.columns: dict[Hashable, np.ndarray] = {}
        for key in columns:
            self.add_column(key)

    def add_column(self, key: Hashable) -> np.ndarray | None:
        """A new column, NaN before now; None when `max_columns` are taken."""
        if key in self.columns:
            return self.columns[key]
        if self.max_columns is not None and len(self.columns) >= self.max_columns:
            return None
        column = np.full(self.capacity, math.nan)
        self.columns[key] = column
        return column

    def _write(self, i: int, t_s: float, values: dict) -> None:
        self.t[i] = t_s
        for key in values:
            if key not in self.columns:
                self.add_column(key)
        for key, column in self.columns.items():
            v = values.get(key)
            column[i] = math.nan if v is None else float(v)

    def append(self, t_s: float, values: dict) -> None:
        if self.n == self.capacity:
            self.halve()
        self.n += 1
        self._write(self.n - 1, t_s, values)

    def halve(self) -> None:
        keep = self.n // 2
        for arr in (self.t, *self.columns.values()):
            arr[:keep] = arr[1:self.n:2][:keep]
        self.n = keep

    def times(self) -> np.ndarray:
        return self.t[:self.n]

    def column(self, key: Hashable) -> np.ndarray:
        return self.columns[key][:self.n]


class SampledSeries(SeriesRing):
    """State sampled over virtual time: one point per `step` ms, the latest sample in a step winning."""

    def __init__(self, capacity: int, step_ms: int, columns: tuple = (), max_columns: int | None = None) -> None:
        super().__init__(capacity, columns, max_columns)
        self.step = step_ms
        self.last_ms: int | None = None
        self._window: int | None = None     # when the last point's step began

    def sample(self, now_ms: int, values: dict) -> bool:
        if self.last_ms is not None and now_ms < self.last_ms:
            return False
        if self._window is not None and now_ms - self._window < self.step:
            i = self.n - 1
        else:
            if self.n == self.capacity:
                self.halve()
                self.step *= 2
            i = self.n
            self.n += 1
            self._window = now_ms
        self.last_ms = now_ms
        self._write(i, now_ms / 1000.0, values)
        return True

    def due(self, now_ms: int) -> bool:
        """Whether a sample at `now_ms` would start a new point (rather than replace the last one)."""
        return self._window is None or now_ms - self._window >= self.step

    def step_now(self) -> None:
        """The next sample starts a new point, even within the step (a change worth its own point)."""
        self._window = None


class SampledHistory:
    """name -> SampledSeries, fed by a function that reads the view once per sample."""

    def __init__(self, read: Callable, make_series: Callable[[], SampledSeries]) -> None:
        self._read = read                   # view -> {name: {column: value}}
        self._make_series = make_series
        self.series: dict[str, SampledSeries] = {}

    def sample(self, view) -> bool:
        """Sample at the view's virtual time; True when a series changed."""
        now = view.now
        added = False
        for name, values in self._read(view).items():
            series = self.series.get(name)
            if series is None:
                series = self.series[name] = self._make_series()
            added = series.sample(now, values) or added
        return added


class WindowSeries(SeriesRing):
    """Per closed window: its end (s), events' count per second, p50/p95 latency (NaN: none)."""

    COLUMNS = ("rate", "p50", "p95")

    def __init__(self, capacity: int) -> None:
        super().__init__(capacity, self.COLUMNS)

    def add(self, end_ms: int, window_ms: int, count: int, latencies: list[int]) -> None:
        values = {"rate": count * 1000.0 / window_ms}
        if latencies:
            values["p50"], values["p95"] = np.percentile(np.asarray(latencies, dtype=float), (50, 95),
                                                         method="inverted_cdf")
        self.append(end_ms / 1000.0, values)

    def data(self, name: str) -> np.ndarray:
        """"t" (window ends, s), "rate" (also "throughput"), "p50" or "p95"."""
        if name == "t":
            return self.times()
        return self.column("rate" if name == "throughput" else name)


class WindowedHistory:
    """key -> WindowSeries, folded from queued events of one kind once per frame.

    `key(event)` names the series an event counts for (None: not counted); `count` is the
    event's data field with how many it stands for; `latency(event)` is in virtual ms or None.
    """

    def __init__(self, kind: EventKind, key: Callable, count: str = "count", latency: Callable | None = None,
                 window_ms: int = 100, capacity: int = 1500) -> None:
        self.kind = kind
        self._key = key
        self._count = count
        self._latency = latency
        self.window_ms = window_ms
        self.capacity = capacity
        self.series: dict[Hashable, WindowSeries] = {}
        self._queue: list[tuple[int, Hashable, int, int | None]] = []      # (time, key, count, latency)
        self._window_start: int | None = None
        self._counts: dict[Hashable, int] = {}
        self._latencies: dict[Hashable, list[int]] = {}

    def on_event(self, event) -> bool:
        """Queue an event (cheap: the work waits for the frame)."""
        if event.kind != self.kind:
            return False
        key = self._key(event)
        if key is None:
            return False
        latency = self._latency(event) if self._latency is not None else None
        self._queue.append((event.time, key, event.data.get(self._count, 0), latency))
        return True

    def advance(self, now_ms: int) -> bool:
        """Fold the queued events into windows and close every window that ended by `now_ms`;
        True when a point was added."""
        queue, self._queue = self._queue, []
        if self._window_start is None:
            if not queue:
                return False
            self._window_start = (queue[0][0] // self.window_ms) * self.window_ms
        added = False
        for time, key, count, latency in queue:
            added = self._close_until(time) or added
            self._counts[key] = self._counts.get(key, 0) + count
            if latency is not None:
                self._latencies.setdefault(key, []).append(latency)
        return self._close_until(now_ms + 1) or added

    def _close_until(self, time: int) -> bool:
        """Close windows that end at or before `time` (a window [s, s + w) is complete at s + w)."""
        added = False
        while self._window_start + self.window_ms <= time:
            if any(series.n == series.capacity for series in self.series.values()):
                self._double()
                continue
            end = self._window_start + self.window_ms
            for key in sorted(set(self.series) | set(self._counts), key=str):
                series = self.series.get(key)
                if series is None:
                    series = self.series[key] = WindowSeries(self.capacity)
                series.add(end, self.window_ms, self._counts.get(key, 0), self._latencies.get(key, []))
            self._counts, self._latencies = {}, {}
            self._window_start = end
            added = True
        return added

    def _double(self) -> None:
        """Every series drops every other point; the open window and the next ones are twice as long."""
        for series in self.series.values():
            series.halve()
        self.window_ms *= 2


def ack_latency(event) -> int | None:
    """A batch's ack latency: from its first record's send() (`created_ms`) to the ack."""
    created = event.data.get("created_ms")
    return None if created is None else event.time - created
