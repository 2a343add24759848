"""`buffer.memory`: how many bytes of records a producer may hold before send() blocks.

Kafka's `BufferPool`: every record the application hands to send() takes
memory until its batch is acknowledged or fails. When the pool is full,
send() blocks (in order: later sends wait behind earlier ones) until
acknowledged batches give memory back, at most `max.block.ms`; then it fails
("Failed to allocate memory within the configured max blocking time"). A
producer faster than its cluster therefore slows down to the cluster's pace
instead of queueing without bound.
"""

from __future__ import annotations

from collections import deque
from typing import Callable

from .errors import Errors
from .events import EventKind


class BufferPool:
    def __init__(self, producer) -> None:
        self.p = producer
        self.total = int(producer.config["buffer.memory"])
        self.max_block_ms = int(producer.config["max.block.ms"])
        self.used = 0
        # (size, deadline, admit): sends blocked until memory frees, oldest first
        self.waiting: deque[tuple[int, int, Callable[[], None]]] = deque()
        self._timer = None

    def take(self, size: int) -> bool:
        """Take `size` bytes if they are free and no send waits before this one (admit's common
        case, without making its callbacks); False: call admit."""
        if not self.waiting and self.used + size <= self.total:
            self.used += size
            return True
        return False

    def admit(self, size: int, proceed: Callable[[], None], fail: Callable[[Errors, str], None]) -> None:
        """Take `size` bytes and `proceed()`, or block the send until they are free (or fail it)."""
        if not self.waiting and self.used + size <= self.total:
            self.used += size
            proceed()
            return
        if not self.waiting:
            self.p.events.emit(EventKind.PRODUCER_BLOCKED,
                               f"Producer {self.p.name} holds {self.used} bytes of unacknowledged records, the "
                               f"whole of buffer.memory ({self.total}): send() blocks until acknowledged batches "
                               f"free memory, at most max.block.ms ({self.max_block_ms} ms).",
                               producer=self.p.name, used=self.used, buffer_memory=self.total)
        deadline = self.p.clock.now + self.max_block_ms

        def unblocked() -> None:
            self.used += size
            proceed()

        self.waiting.append((size, deadline, unblocked, fail))
        if self._timer is None:
            self._timer = self.p.clock.call_later(self.max_block_ms, self._expire)

    def release(self, size: int) -> None:
        self.used = max(0, self.used - size)
        while self.waiting and self.used + self.waiting[0][0] <= self.total:
            _size, _deadline, unblocked, _fail = self.waiting.popleft()
            unblocked()

    def _expire(self) -> None:
        self._timer = None
        now = self.p.clock.now
        while self.waiting and self.waiting[0][1] <= now:
            _size, _deadline, _unblocked, fail = self.waiting.popleft()
            fail(Errors.REQUEST_TIMED_OUT,
                 f"Failed to allocate memory within the configured max blocking time {self.max_block_ms} ms "
                 f"(buffer.memory={self.total} is full of unacknowledged records)")
        if self.waiting and not self.p.closed:
            self._timer = self.p.clock.call_later(self.waiting[0][1] - now, self._expire)

    def clear(self) -> None:
        self.waiting.clear()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
