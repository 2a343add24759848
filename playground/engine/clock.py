"""Virtual time: one scheduler, a heap of (time, sequence, callback).

Nothing in the engine reads the wall clock. Time moves only when the owner
calls `step`, `run_until` or `advance`; callbacks scheduled for the same
instant run in the order they were scheduled, so a run is reproducible.
"""

from __future__ import annotations

import heapq
from typing import Any, Callable


class Timer:
    """A scheduled callback; `cancel()` makes the scheduler skip it."""

    __slots__ = ("time", "seq", "callback", "args", "cancelled")

    def __init__(self, time: int, seq: int, callback: Callable[..., Any], args: tuple) -> None:
        self.time = time
        self.seq = seq
        self.callback = callback
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True



class Scheduler:
    """Virtual milliseconds since the cluster started."""

    def __init__(self) -> None:
        self.now: int = 0
        # (time, sequence, timer): tuples compare in C, and (time, sequence) is unique.
        self._heap: list[tuple[int, int, Timer]] = []
        self._seq = 0
        # Callbacks run so far: with `now`, it pins down an instant of a run exactly (two
        # commands at one virtual ms, with or without the callbacks due in between), so a
        # recorded session replays to the same state (playground/storage/journal.py).
        self.executed = 0
        # Called with each timer after its callback ran: tests check invariants here.
        self._observers: list[Callable[[Timer], Any]] = []

    def observe(self, observer: Callable[[Timer], Any]) -> Callable[[], None]:
        """Call `observer(timer)` after every callback the scheduler runs; returns an unsubscribe."""
        self._observers.append(observer)
        return lambda: self._observers.remove(observer) if observer in self._observers else None

    def call_at(self, time: int, callback: Callable[..., Any], *args: Any) -> Timer:
        if time < self.now:
            time = self.now
        self._seq += 1
        timer = Timer(time, self._seq, callback, args)
        heapq.heappush(self._heap, (time, self._seq, timer))
        return timer

    def call_later(self, delay: int, callback: Callable[..., Any], *args: Any) -> Timer:
        return self.call_at(self.now + delay, callback, *args)

    def next_time(self) -> int | None:
        """Virtual time of the next pending callback, or None when idle."""
        heap = self._heap
        while heap and heap[0][2].cancelled:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def pending(self) -> int:
        return sum(1 for _t, _s, timer in self._heap if not timer.cancelled)

    def step(self) -> bool:
        """Run the next callback (advancing time to it). False when idle."""
        heap = self._heap
        while heap:
            timer = heapq.heappop(heap)[2]
            if timer.cancelled:
                continue
            self.now = timer.time
            self.executed += 1
            timer.callback(*timer.args)
            for observer in self._observers:
                observer(timer)
            return True
        return False

    def step_instant(self) -> int:
        """Run every callback due at the next instant; returns how many ran."""
        t = self.next_time()
        if t is None:
            return 0
        ran = 0
        while self.next_time() == t:
            self.step()
            ran += 1
        return ran

    def run_until(self, time: int) -> int:
        """Run every callback due at or before `time`, then set now = time."""
        heap = self._heap
        pop = heapq.heappop
        observers = self._observers
        ran = 0
        while heap and heap[0][0] <= time:
            timer = pop(heap)[2]
            if timer.cancelled:
                continue
            self.now = timer.time
            self.executed += 1
            timer.callback(*timer.args)
            if observers:
                for observer in observers:
                    observer(timer)
            ran += 1
        if time > self.now:
            self.now = time
        return ran

    def advance(self, delay: int) -> int:
        return self.run_until(self.now + delay)
