"""A simulated KafkaConsumer and the application loop around it.

The consumer keeps a *position* per partition (the next offset it will
read). It long-polls the partition leaders with Fetch requests
(`fetch.min.bytes`, `fetch.max.wait.ms`), buffers what comes back, and the
application's loop calls poll(), gets at most `max.poll.records` records,
spends `processing_time` virtual ms on each, and polls again. It only ever
sees records below the high watermark.

Partitions come from `assign()` (manual) or from a consumer group after
`subscribe()` (`group_member.GroupMember`). How the application commits is
the `commit` setting (the playground's, not Kafka's):

- `auto`: enable.auto.commit=true; poll() commits what earlier polls returned
  every auto.commit.interval.ms (at-least-once: a crash repeats the records
  processed since the last commit);
- `after_processing`: commitSync() once the polled batch is processed
  (at-least-once; also commits in its rebalance listener before giving
  partitions up);
- `before_processing`: commitSync() right after poll(), then process
  (at-most-once: a crash mid-batch skips the rest of the batch);
- `none`: never commits.
"""

from __future__ import annotations

from collections import deque
from itertools import repeat
from typing import Any, Callable

from .client import ClientMetadata
from .consumer_fetch import BufferedRun, ConsumedRecord, ConsumerFetch
from .errors import Errors
from .events import EventKind, EventLog
from .network import Network
from .protocol import (TopicPartition)

# Enum members looked up once: in Python 3.11 every Errors.X / EventKind.X goes through
# EnumType's __getattr__ hook, and these run for every record, batch or fetch.
_RECORDS_CONSUMED = EventKind.RECORDS_CONSUMED

CONSUMER_DEFAULTS: dict[str, Any] = {
    "auto.offset.reset": "latest",
    "max.poll.records": 500,
    "fetch.min.bytes": 1,
    "fetch.max.wait.ms": 500,
    "fetch.max.bytes": 52428800,
    "max.partition.fetch.bytes": 1048576,
    "isolation.level": "read_uncommitted",
    "retry.backoff.ms": 100,
    "request.timeout.ms": 30000,
    "group.id": None,
    "group.instance.id": None,
    "enable.auto.commit": True,
    "auto.commit.interval.ms": 5000,
    "session.timeout.ms": 45000,
    "heartbeat.interval.ms": 3000,
    "max.poll.interval.ms": 300000,
    "partition.assignment.strategy": ("range", "cooperative-sticky"),
    # The application around the consumer (the playground's settings).
    "commit": None,
    "processing_time": 0,
}
COMMIT_MODES = ("auto", "after_processing", "before_processing", "transactional", "none")
COMMIT_ALIASES = {"sync_after_processing": "after_processing", "sync_before_processing": "before_processing",
                  "at_least_once": "after_processing", "at_most_once": "before_processing"}


def _flag(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).strip().lower() == "true"


class Consumer(ConsumerFetch):
    def __init__(self, name: str, network: Network, events: EventLog, bootstrap: list[int],
                 config: dict[str, Any] | None = None,
                 on_records: Callable[[list[ConsumedRecord]], None] | None = None, audit=None) -> None:
        self.name = name
        self.network = network
        self.clock = network.clock
        self.events = events
        self.audit = audit
        self.config = dict(CONSUMER_DEFAULTS)
        config = dict(config or {})
        self.user_config = dict(config)
        if "assignor" in config:
            config["partition.assignment.strategy"] = [config.pop("assignor")]
        self.config.update(config)
        self.group_id: str | None = self.config["group.id"]
        self.commit_mode = self._commit_mode(config)
        self.processing_time = int(self.config["processing_time"] or 0)
        self.on_records = on_records
        self.meta = ClientMetadata(name, network, bootstrap, int(self.config["retry.backoff.ms"]),
                                   self._on_metadata)
        self.assignment: list[TopicPartition] = []
        self.subscription: tuple[str, ...] = ()
        self.positions: dict[TopicPartition, int | None] = {}
        self.awaiting_committed: set[TopicPartition] = set()
        self._pending_reset: dict[TopicPartition, int] = {}
        self._buffer: deque[BufferedRun] = deque()              # what fetches brought, per partition
        self._buffered_tps: dict[TopicPartition, int] = {}     # tp -> its entries in the buffer
        self._fetching: set[int] = set()
        self._fetch_plan: tuple = (None, None, [])     # see ConsumerFetch._plan_fetches
        self._listing: set[TopicPartition] = set()
        self.polled = 0
        self.processed = 0
        self.running = False
        self.alive = True
        self.error: str | None = None
        self.app_state = "idle"          # polling | processing | committing | paused | closing | stopped | crashed
        self.paused = False
        self.closing = False
        self.last_poll = self.clock.now
        self._life = 0                   # bumped when the process ends: its pending callbacks do nothing
        self._wake_pending = False
        self._batch: list[ConsumedRecord] | None = None
        self._batch_start = 0
        self.group = None
        self.pipeline = None            # a consume-transform-produce output (consumer_eos.Pipeline)
        if self.group_id is not None:
            from .group_member import GroupMember
            self.group = GroupMember(self)
        network.register(name, lambda env: None)

    def _commit_mode(self, config: dict[str, Any]) -> str:
        auto = _flag(self.config["enable.auto.commit"])
        mode = config.get("commit")
        mode = ("auto" if auto else "none") if mode is None else COMMIT_ALIASES.get(mode, mode)
        if mode not in COMMIT_MODES:
            raise ValueError(f"commit must be one of {', '.join(COMMIT_MODES)} (got {mode!r})")
        if self.config["group.id"] is None:
            mode = "none"                # Kafka commits nothing without a group.id
        self.config["enable.auto.commit"] = mode == "auto"
        return mode

    # -- process plumbing --------------------------------------------------------------
    def later(self, delay: int, fn: Callable, *args: Any):
        """A timer that does nothing once this process has ended."""
        return self.clock.call_later(delay, self._guarded, self._life, fn, args)

    def later_at(self, time: int, fn: Callable, *args: Any):
        """`later`, at a time, for a deadline usually set again before it comes (see
        Scheduler.call_timeout_at)."""
        return self.clock.call_timeout_at(time, self._guarded, self._life, fn, args)

    def rearm_at(self, timer, time: int, fn: Callable, *args: Any) -> bool:
        """`timer.cancel()` then `later_at(time, fn, *args)`, done to the timer itself when it is
        such a timer of this process that waits for `time` (see Scheduler.rearm_timeout_at)."""
        return timer.args == (self._life, fn, args) and self.clock.rearm_timeout_at(timer, time)

    def soon(self, delay: int, fn: Callable, *args: Any) -> None:
        """`later` for a step nothing cancels (the loop's next poll, the next fetch): no Timer."""
        self.clock.post_later(delay, self._guarded, self._life, fn, args)

    def _guarded(self, life: int, fn: Callable, args: tuple) -> None:
        if life == self._life:
            fn(*args)

    def guard(self, fn: Callable[[Any], None]) -> Callable[[Any], None]:
        life = self._life
        return lambda resp: fn(resp) if life == self._life else None

    def guard2(self, fn: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
        life = self._life
        return lambda a, b: fn(a, b) if life == self._life else None

    def rewind_to_committed(self) -> None:
        """Forget positions and buffered records; start again from the group's committed offsets."""
        for tp in self.assignment:
            self.positions[tp] = None
            self._drop_buffered(tp)
        if self.group is not None:
            self.group.fetch_committed(self.assignment)

    def inherit(self, old: "Consumer") -> None:
        """A restart under the same name carries the counters on."""
        self.polled, self.processed = old.polled, old.processed

    # -- public API ------------------------------------------------------------
    def assign(self, tps: list[TopicPartition]) -> None:
        self.assignment = list(tps)
        for tp in tps:
            self.positions.setdefault(tp, None)
        for tp in list(self.positions):
            if tp not in tps:
                del self.positions[tp]
        self.running = True
        if self.group is not None:
            self.group.fetch_committed([tp for tp in tps if self.positions.get(tp) is None])
        self._start_loop()
        self.meta.refresh()

    def subscribe(self, topics: list[str]) -> None:
        if self.group is None:
            raise ValueError(f"consumer {self.name} has no group.id: subscribe() needs a consumer group")
        self.subscription = tuple(dict.fromkeys(topics))
        for t in self.subscription:
            self.meta.want(t)
        self.running = True
        g = self.group
        commit = {"auto": f"auto commit every {g.auto_commit_interval} ms", "none": "no commits",
                  "after_processing": "commitSync after processing each batch (at-least-once)",
                  "before_processing": "commitSync before processing each batch (at-most-once)",
                  "transactional": "offsets committed in a transaction with its output (exactly-once)"
                  }[self.commit_mode]
        static = f", group.instance.id={g.instance_id}" if g.is_static else ""
        self.events.emit(EventKind.CONSUMER_STARTED,
                         f"Consumer {self.name} started in group {self.group_id}{static}, subscribed to "
                         f"{', '.join(self.subscription)} (assignors {', '.join(g.protocols)}, so "
                         f"{g.rebalance_protocol.lower()} rebalancing; {commit}; "
                         f"{self.processing_time} ms of processing per record).",
                         consumer=self.name, group=self.group_id, topics=list(self.subscription))
        self._start_loop()

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.positions[tp] = offset
        self._drop_buffered(tp)
        self.note_start(tp, offset)
        self.events.emit(EventKind.CONSUMER_SEEK, f"Consumer {self.name} moved its position on {tp} to {offset}.",
                         consumer=self.name, topic=tp.topic, partition=tp.partition, offset=offset)
        self.kick()

    def seek_to(self, tp: TopicPartition, timestamp: int) -> None:
        """Look the offset up with ListOffsets: EARLIEST, LATEST or a timestamp."""
        self.positions[tp] = None
        self._drop_buffered(tp)
        self._pending_reset[tp] = timestamp
        self.kick()

    def position(self, tp: TopicPartition) -> int | None:
        return self.positions.get(tp)

    def consumed_offsets(self) -> dict[TopicPartition, int]:
        """What Kafka's allConsumed() commits: the position of every assigned partition."""
        return {tp: pos for tp in self.assignment if (pos := self.positions.get(tp)) is not None}

    def commit_sync(self, done: Callable[[Errors], None] | None = None) -> None:
        self._commit(True, done)

    def commit_async(self, done: Callable[[Errors], None] | None = None) -> None:
        self._commit(False, done)

    def _commit(self, sync: bool, done) -> None:
        if self.group is None:
            raise ValueError(f"consumer {self.name} has no group.id to commit for")
        self.group.commit(self.consumed_offsets(), "commitSync()" if sync else "commitAsync()", sync, done)

    def set_assignment(self, tps) -> None:
        """The group changed what this consumer owns (revocations drop positions and buffered records)."""
        new = list(tps)
        for tp in list(self.positions):
            if tp not in new:
                del self.positions[tp]
                self._drop_buffered(tp)
                self.awaiting_committed.discard(tp)
        for tp in new:
            if tp not in self.positions:
                self.positions[tp] = None
                self.awaiting_committed.add(tp)
        self.assignment = new
        for t in sorted({tp.topic for tp in new}):
            self.meta.want(t)
        self.kick()

    def note_start(self, tp: TopicPartition, offset: int) -> None:
        if self.audit is not None and self.group_id is not None:
            self.audit.record_start(self.group_id, tp, offset)

    def fail(self, message: str, tp: TopicPartition | None = None) -> None:
        self.error = message
        where = {"topic": tp.topic, "partition": tp.partition} if tp else {}
        self.events.emit(EventKind.CONSUMER_ERROR, f"Consumer {self.name}: {message}.", consumer=self.name, **where)

    # -- life: pause, close, crash ------------------------------------------------------
    def pause(self) -> None:
        """The application stops calling poll() (not KafkaConsumer.pause(partitions))."""
        if self.paused or not self.alive:
            return
        self.paused = True
        if self.app_state == "polling":
            self.app_state = "paused"
            self.last_poll = self.clock.now
        limit = self.config["max.poll.interval.ms"]
        self.events.emit(EventKind.CONSUMER_PAUSED,
                         f"Consumer {self.name}'s application stops calling poll() (after its current batch). "
                         "Heartbeats go on from the background thread, but after max.poll.interval.ms "
                         f"({limit} ms) without a poll() the consumer leaves its group.",
                         consumer=self.name, group=self.group_id)

    def resume(self) -> None:
        if not self.paused or not self.alive:
            return
        self.paused = False
        self.events.emit(EventKind.CONSUMER_RESUMED, f"Consumer {self.name}'s application calls poll() again.",
                         consumer=self.name, group=self.group_id)
        if self.app_state == "paused":
            self.app_state = "polling"
            self.wake()

    def close(self) -> None:
        """Graceful: finish the batch in hand, commit (auto commit), leave the group, stop."""
        if not self.alive or self.closing:
            return
        self.closing = True
        if self.app_state in ("polling", "paused", "idle"):
            self.app_state = "polling"
            self._shutdown()

    def _shutdown(self) -> None:
        self.app_state = "closing"
        g = self.group
        if g is not None and g.auto_commit and self.consumed_offsets():
            g.commit(self.consumed_offsets(), "auto commit on close()", sync=True, done=lambda _e: self._leave())
        else:
            self._leave()

    def _leave(self) -> None:
        g = self.group
        text = f"Consumer {self.name} closed"
        if g is not None and self.subscription:
            owned = ", ".join(map(str, sorted(self.assignment))) or "no partitions"
            if g.is_static:
                text += (f": as a static member (group.instance.id={g.instance_id}) it sends no LeaveGroup, so "
                         f"group {self.group_id} keeps its partitions ({owned}) for it until session.timeout.ms "
                         f"({g.session_timeout} ms) passes; back within that time, it resumes without a rebalance")
            else:
                text += f" and sent LeaveGroup: group {self.group_id} rebalances its partitions ({owned}) at once"
            g.leave("the consumer is being closed")
        self._end("stopped", EventKind.CONSUMER_STOPPED, text + ".")

    def crash(self) -> None:
        """The process dies: no commit, no LeaveGroup; the batch in hand stops half-done."""
        if not self.alive:
            return
        done = ""
        if self._batch is not None:
            n = min(len(self._batch), (self.clock.now - self._batch_start) // max(1, self.processing_time))
            self._record_processed(self._batch[:n])
            done = f" It had processed {n} of the {len(self._batch)} records of its current batch."
        g = self.group
        extra = ""
        if g is not None and self.subscription:
            extra = (f" The coordinator notices only when no heartbeat arrives for session.timeout.ms "
                     f"({g.session_timeout} ms); then the partitions move, and whatever was processed after the "
                     "last commit is processed again.")
        if self.pipeline is not None and self.pipeline.p.transactional:
            extra += (f" Its transactional producer {self.pipeline.p.name} dies with it, leaving its transaction "
                      "open until a new instance calls initTransactions() or transaction.timeout.ms passes.")
        self._end("crashed", EventKind.CONSUMER_CRASHED,
                  f"Consumer {self.name}'s process died: it commits nothing and sends no LeaveGroup.{done}{extra}")
        if self.pipeline is not None and self.pipeline.p.transactional:
            self.pipeline.p.crash()

    def _end(self, state: str, kind: EventKind, text: str) -> None:
        self._life += 1
        self.alive = False
        self.running = False
        self.app_state = state
        self._batch = None
        self.meta.close()
        self.network.set_alive(self.name, False)
        self.events.emit(kind, text, consumer=self.name, group=self.group_id)

    # -- the application loop ------------------------------------------------------------------
    def _start_loop(self) -> None:
        if self.app_state == "idle":
            self.app_state = "polling"
            self.last_poll = self.clock.now
            self.wake()

    def wake(self) -> None:
        """Something changed: an application blocked in poll() looks again."""
        if self.app_state == "polling" and not self._wake_pending:
            self._wake_pending = True
            self.soon(0, self._app_poll)

    def poll_timeout_expired(self) -> bool:
        if self.app_state == "polling":
            return False
        return self.clock.now - self.last_poll > int(self.config["max.poll.interval.ms"])

    def _app_poll(self) -> None:
        """One poll(): group work first, then at most max.poll.records buffered records."""
        self._wake_pending = False
        if self.app_state != "polling":
            return
        self.last_poll = self.clock.now
        if self.closing:
            return self._shutdown()
        if self.paused:
            self.app_state = "paused"
            return
        g = self.group
        if g is not None and self.subscription:
            g.poll()
            if g.busy:
                return
        batch = self._take_batch()
        if not batch:
            return
        self.app_state = "processing"
        self.polled += len(batch)
        first, last = batch[0], batch[-1]
        self.events.emit(_RECORDS_CONSUMED,
                         f"Consumer {self.name} polled {len(batch)} record(s), from {first.topic}/{first.partition}"
                         f"@{first.offset} to {last.topic}/{last.partition}@{last.offset}.",
                         consumer=self.name, group=self.group_id, count=len(batch))
        if self.on_records is not None:
            self.on_records(batch)
        if self.commit_mode == "before_processing":
            self.app_state = "committing"
            g.commit(self.consumed_offsets(), "commitSync() before processing (at-most-once)", sync=True,
                     done=lambda _e: self._process(batch))
        else:
            self._process(batch)

    def _take_batch(self) -> list[ConsumedRecord]:
        """At most max.poll.records buffered records, in order; each one taken only if the position
        is where it expects (else it is stale, after a seek or a revocation, and dropped), and a
        skip only moves the position."""
        n = int(self.config["max.poll.records"])
        batch: list[ConsumedRecord] = []
        buf = self._buffer
        positions = self.positions
        counts = self._buffered_tps
        while buf and len(batch) < n:
            run = buf[0]
            tp = run.tp
            offsets, records, expects = run.offsets, run.records, run.expects
            first = i = run.next
            end = len(offsets)
            position = positions.get(tp)
            while i < end and expects[i] != position:
                i += 1                      # stale
            if i < end:
                # From here each entry expects the position the one before leaves: all are taken.
                topic, partition = tp
                if not run.skips:
                    stop = min(end, i + n - len(batch))
                    batch.extend(map(ConsumedRecord, repeat(topic), repeat(partition), offsets[i:stop],
                                     records[i:stop], expects[i:stop], repeat(tp)))
                    i = stop
                else:
                    while i < end and len(batch) < n:
                        record = records[i]
                        if record is not None:
                            batch.append(ConsumedRecord(topic, partition, offsets[i], record, expects[i], tp))
                        i += 1
                positions[tp] = offsets[i - 1] + 1
            left = counts[tp] - (i - first)
            if left:
                counts[tp] = left
            else:
                del counts[tp]
            if i == end:
                buf.popleft()
            else:
                run.next = i
        if not buf:
            # The buffer is drained: fetch again (Kafka's fetcher refetches a partition once
            # nothing of it is buffered).
            self.soon(0, self.kick)
        return batch

    def _process(self, batch: list[ConsumedRecord]) -> None:
        self.app_state = "processing"
        if self.pipeline is not None and not self.pipeline.start(batch, self._process):
            return                  # the transactional producer is not ready yet: _process runs again
        if self.processing_time <= 0:
            self._batch_done(batch)
            return
        self._batch = batch
        self._batch_start = self.clock.now
        self.later(self.processing_time * len(batch), self._batch_done, batch)

    def _batch_done(self, batch: list[ConsumedRecord]) -> None:
        self._batch = None
        self._record_processed(batch)
        if self.processing_time > 0:
            self.events.emit(EventKind.RECORDS_PROCESSED,
                             f"Consumer {self.name} finished processing {len(batch)} record(s) "
                             f"({self.processing_time * len(batch)} ms).",
                             consumer=self.name, group=self.group_id, count=len(batch))
        if self.commit_mode == "transactional":
            self.app_state = "committing"
            self.pipeline.finish(batch, self._next_poll)
            return
        if self.commit_mode == "after_processing":
            self.app_state = "committing"
            self.group.commit(self.consumed_offsets(), "commitSync() after processing (at-least-once)", sync=True,
                              done=lambda _e: self._next_poll())
        else:
            self._next_poll()

    def _next_poll(self) -> None:
        self.app_state = "polling"
        self.wake()

    def _record_processed(self, records: list[ConsumedRecord]) -> None:
        self.processed += len(records)
        if self.audit is not None and self.group_id is not None:
            self.audit.records_processed(self.group_id, records)
