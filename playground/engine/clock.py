"""Virtual time: one scheduler, a heap of (time, sequence) keys to callbacks.

Nothing in the engine reads the wall clock. Time moves only when the owner
calls `step`, `run_until` or `advance`; callbacks scheduled for the same
instant run in the order they were scheduled, so a run is reproducible.

Timeouts (`call_timeout`, `call_timeout_at`) are mostly cancelled within
milliseconds, long before they are due. They wait outside the heap, one
first-in first-out queue per delay or per time (so each queue is in (time,
sequence) order), and a cancelled one simply leaves its queue. A timeout still
pending moves into the heap, with the sequence number it got when it was
scheduled, before anything due after it runs: it runs exactly where a timer in
the heap would have.
"""

from __future__ import annotations

import heapq
from typing import Any, Callable

_NEVER = float("inf")
# A heap key is time << _SEQ_BITS | sequence: ordered as (time, sequence), compared as one int.
_SEQ_BITS = 40
_SEQ_MASK = (1 << _SEQ_BITS) - 1


class Timer:
    """A scheduled callback; `cancel()` makes the scheduler skip it."""

    __slots__ = ("time", "seq", "callback", "args", "cancelled", "_scheduler", "_queue")

    def __init__(self, time: int, seq: int, callback: Callable[..., Any], args: tuple,
                 scheduler: Scheduler | None = None) -> None:
        self.time = time
        self.seq = seq
        self.callback = callback
        self.args = args
        self.cancelled = False
        self._scheduler = scheduler          # None once the timer has left the heap
        self._queue = None                   # the timeouts' queue it waits in, outside the heap

    def cancel(self) -> None:
        if self.cancelled:
            return
        self.cancelled = True
        queue = self._queue
        if queue is not None:
            # A timeout not yet in the heap: it leaves its queue, and nothing else holds it.
            del queue[self.seq]
            self._queue = None
            self._scheduler = None
            self.callback = _cancelled_callback
            self.args = ()
            return
        scheduler = self._scheduler
        if scheduler is not None:
            # In the heap: it leaves the scheduler's table at once; its key stays in the heap,
            # skipped when popped, until the scheduler purges the heap of such keys.
            self._scheduler = None
            del scheduler._due[self.time << _SEQ_BITS | self.seq]
            self.callback = _cancelled_callback
            self.args = ()
            scheduler._cancelled_in_heap += 1


def _cancelled_callback(*_args: Any) -> None:
    """What a cancelled timer holds instead of its callback (it is never run)."""


class Scheduler:
    """Virtual milliseconds since the cluster started."""

    def __init__(self) -> None:
        self.now: int = 0
        # Keys (time << _SEQ_BITS | sequence) of what is due, in a heap of ints (one C comparison
        # each); `_due` maps a key to its Timer, or to the callback posted with `post_at` (no
        # Timer: nothing can cancel it) whose arguments are in `_args`. (time, sequence) is
        # unique, so keys are too.
        self._heap: list[int] = []
        self._due: dict[int, Any] = {}
        self._args: dict[int, tuple] = {}
        self._seq = 0
        # Keys of cancelled timers still in the heap: skipped when popped, purged once they are
        # most of it.
        self._cancelled_in_heap = 0
        # Timeouts outside the heap: delay (or ("at", time)) -> {sequence: timer}, in the order
        # they were scheduled (so in time order); and no later than the first of them is due
        # (exactly, or earlier once that one is cancelled).
        self._timeouts: dict[Any, dict[int, Timer]] = {}
        self._timeouts_due: float = _NEVER
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
        self._seq = seq = self._seq + 1
        timer = Timer(time, seq, callback, args, self)
        if self._cancelled_in_heap > 512 and 2 * self._cancelled_in_heap > len(self._heap):
            self._purge()
        key = time << _SEQ_BITS | seq
        self._due[key] = timer
        heapq.heappush(self._heap, key)
        return timer

    def post_at(self, time: int, callback: Callable[..., Any], *args: Any) -> None:
        """`call_at` for a callback nothing will cancel (a message arriving, a step of a client's
        loop): it runs in the same order, and no Timer is made for it."""
        if time < self.now:
            time = self.now
        self._seq = seq = self._seq + 1
        key = time << _SEQ_BITS | seq       # (a post cancels nothing: the timers' calls purge)
        self._due[key] = callback
        self._args[key] = args
        heapq.heappush(self._heap, key)

    def _purge(self) -> None:
        """Drop cancelled timers' keys from the heap. Keys are unique, so the order in which the
        remaining callbacks run is exactly what it was."""
        heap = self._heap                   # in place: run_until holds this list
        heap[:] = self._due
        heapq.heapify(heap)
        self._cancelled_in_heap = 0

    def call_later(self, delay: int, callback: Callable[..., Any], *args: Any) -> Timer:
        # call_at's body, inlined: the engine schedules tens of thousands of these per virtual second.
        time = self.now + delay
        if delay < 0:
            time = self.now
        self._seq = seq = self._seq + 1
        timer = Timer(time, seq, callback, args, self)
        if self._cancelled_in_heap > 512 and 2 * self._cancelled_in_heap > len(self._heap):
            self._purge()
        key = time << _SEQ_BITS | seq
        self._due[key] = timer
        heapq.heappush(self._heap, key)
        return timer

    def post_later(self, delay: int, callback: Callable[..., Any], *args: Any) -> None:
        """`call_later` for a callback nothing will cancel (see `post_at`)."""
        time = self.now + delay
        if delay < 0:
            time = self.now
        self._seq = seq = self._seq + 1
        key = time << _SEQ_BITS | seq       # (a post cancels nothing: the timers' calls purge)
        self._due[key] = callback
        self._args[key] = args
        heapq.heappush(self._heap, key)

    def call_timeout(self, delay: int, callback: Callable[..., Any], *args: Any) -> Timer:
        """`call_later` for a timeout that is usually cancelled first (a request's timeout, a
        parked fetch's max wait): it runs, if it does, exactly where `call_later` would run it,
        and cancelling it costs the heap nothing."""
        if delay <= 0:
            return self.call_later(delay, callback, *args)
        # _queue_timeout's body, inline: thousands of these per virtual second.
        time = self.now + delay
        self._seq = seq = self._seq + 1
        timer = Timer(time, seq, callback, args, self)
        queue = self._timeouts.get(delay)
        if queue is None:
            queue = self._timeouts[delay] = {}
        queue[seq] = timer
        timer._queue = queue
        if time < self._timeouts_due:
            self._timeouts_due = time
        return timer

    def call_timeout_at(self, time: int, callback: Callable[..., Any], *args: Any) -> Timer:
        """`call_at` for a timer that is usually cancelled (and set again) before it is due, like a
        deadline re-armed on every poll: `call_timeout` by time instead of by delay."""
        if time <= self.now:
            return self.call_at(time, callback, *args)
        return self._queue_timeout(("at", time), time, callback, args)

    def rearm_timeout_at(self, timer: Timer, time: int) -> bool:
        """What cancelling `timer` and `call_timeout_at(time, its callback, *its args)` would do,
        done to the timer itself: it takes the next sequence number and goes to the back of its
        queue. False (and nothing done) unless it waits, uncancelled, in the queue for `time`."""
        queue = timer._queue
        if queue is None or timer.time != time or time <= self.now:
            return False
        del queue[timer.seq]
        self._seq = seq = self._seq + 1
        timer.seq = seq
        queue[seq] = timer
        return True

    def _queue_timeout(self, lane: Any, time: int, callback: Callable[..., Any], args: tuple) -> Timer:
        """Queue a timer outside the heap in `lane`: its timers must come in (time, sequence)
        order (one delay from a clock that never goes back, or one time)."""
        self._seq = seq = self._seq + 1
        timer = Timer(time, seq, callback, args, self)
        queue = self._timeouts.get(lane)
        if queue is None:
            queue = self._timeouts[lane] = {}
        queue[seq] = timer
        timer._queue = queue
        if time < self._timeouts_due:
            self._timeouts_due = time
        return timer

    def _move_timeouts(self, upto: float) -> None:
        """Move every timeout due at or before `upto` into the heap (with its own sequence number),
        and note when the next one left outside is due."""
        heap = self._heap
        due_table = self._due
        due = _NEVER
        empty = None
        for lane, queue in self._timeouts.items():
            if not queue:
                if type(lane) is tuple:         # a time's lane: no timer will come to it again
                    empty = [lane] if empty is None else empty + [lane]
                continue
            moved = []
            for seq, timer in queue.items():
                if timer.time > upto:
                    if timer.time < due:
                        due = timer.time
                    break
                moved.append(seq)
                timer._queue = None
                key = timer.time << _SEQ_BITS | seq
                due_table[key] = timer
                heapq.heappush(heap, key)
            for seq in moved:
                del queue[seq]
        if empty is not None:
            for lane in empty:
                del self._timeouts[lane]
        self._timeouts_due = due

    def _drop_cancelled(self) -> None:
        """Pop the keys of cancelled timers off the top of the heap."""
        heap = self._heap
        due = self._due
        while heap and heap[0] not in due:
            heapq.heappop(heap)
            self._cancelled_in_heap -= 1

    def next_time(self) -> int | None:
        """Virtual time of the next pending callback, or None when idle."""
        heap = self._heap
        self._drop_cancelled()
        if self._timeouts_due != _NEVER:
            self._move_timeouts(heap[0] >> _SEQ_BITS if heap else self._timeouts_due)
            if not heap and self._timeouts_due != _NEVER:
                # The first timeout due was cancelled: move the next one, if there is one.
                self._move_timeouts(self._timeouts_due)
        return heap[0] >> _SEQ_BITS if heap else None

    def pending(self) -> int:
        return len(self._due) + sum(len(queue) for queue in self._timeouts.values())

    def _take(self, key: int) -> Timer:
        """The entry for a popped key, as the Timer the callback runs from (a posted callback gets
        one made: it ran, nothing holds it)."""
        item = self._due.pop(key)
        args = self._args.pop(key, None)
        if args is None:
            item._scheduler = None
            return item
        return Timer(key >> _SEQ_BITS, key & _SEQ_MASK, item, args)

    def step(self) -> bool:
        """Run the next callback (advancing time to it). False when idle."""
        if self.next_time() is None:
            return False
        key = heapq.heappop(self._heap)
        timer = self._take(key)
        self.now = key >> _SEQ_BITS
        self.executed += 1
        timer.callback(*timer.args)
        for observer in self._observers:
            observer(timer)
        return True

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
        due = self._due
        posted_args = self._args
        pop = heapq.heappop
        observers = self._observers
        shift = _SEQ_BITS
        limit = (time + 1) << shift            # keys below it are due at or before `time`
        ran = 0
        while True:
            if heap:
                key = heap[0]
                if self._timeouts_due <= time and self._timeouts_due <= key >> shift:
                    self._move_timeouts(min(key >> shift, time))
                    continue
                if key >= limit:
                    break
            elif self._timeouts_due <= time:
                self._move_timeouts(time)   # (if only cancelled ones were due, the next is later)
                continue
            else:
                break
            pop(heap)
            item = due.pop(key, None)
            if item is None:                # a cancelled timer's key
                self._cancelled_in_heap -= 1
                continue
            self.now = key >> shift
            self.executed += 1
            args = posted_args.pop(key, None)
            if args is None:                # a Timer (a posted callback's arguments are a tuple)
                item._scheduler = None
                item.callback(*item.args)
                if observers:
                    for observer in observers:
                        observer(item)
            else:
                item(*args)
                if observers:
                    timer = Timer(key >> shift, key & _SEQ_MASK, item, args)
                    for observer in observers:
                        observer(timer)
            ran += 1
        if time > self.now:
            self.now = time
        return ran

    def advance(self, delay: int) -> int:
        return self.run_until(self.now + delay)
