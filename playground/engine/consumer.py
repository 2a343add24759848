"""A simulated KafkaConsumer with manual assignment (groups build on it).

The consumer keeps a *position* per partition (the next offset it will
read). It long-polls the partition leaders with Fetch requests
(`fetch.min.bytes`, `fetch.max.wait.ms`), buffers what comes back, and its
application loop polls at most `max.poll.records` records at a time. It
only ever sees records below the high watermark.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Callable

from .client import ClientMetadata
from .errors import Errors
from .events import EventKind, EventLog
from .network import Network
from .protocol import (EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, FetchPartition, FetchRequest, FetchResponse,
                       ListOffsetsRequest, ListOffsetsResponse, TopicPartition)
from .records import Record

CONSUMER_DEFAULTS: dict[str, Any] = {
    "auto.offset.reset": "latest",
    "max.poll.records": 500,
    "fetch.min.bytes": 1,
    "fetch.max.wait.ms": 500,
    "fetch.max.bytes": 52428800,
    "max.partition.fetch.bytes": 1048576,
    "isolation.level": "read_uncommitted",
    "retry.backoff.ms": 100,
}


class ConsumedRecord:
    __slots__ = ("topic", "partition", "offset", "record")

    def __init__(self, topic: str, partition: int, offset: int, record: Record) -> None:
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.record = record


class Consumer:
    def __init__(self, name: str, network: Network, events: EventLog, bootstrap: list[int],
                 config: dict[str, Any] | None = None,
                 on_records: Callable[[list[ConsumedRecord]], None] | None = None) -> None:
        self.name = name
        self.network = network
        self.clock = network.clock
        self.events = events
        self.config = dict(CONSUMER_DEFAULTS)
        self.config.update(config or {})
        self.on_records = on_records
        self.meta = ClientMetadata(name, network, bootstrap, int(self.config["retry.backoff.ms"]),
                                   self._kick)
        self.assignment: list[TopicPartition] = []
        self.positions: dict[TopicPartition, int | None] = {}
        self._pending_reset: dict[TopicPartition, int] = {}
        self._buffer: deque[ConsumedRecord] = deque()
        self._buffered_tps: set[TopicPartition] = set()
        self._fetching: set[int] = set()
        self._listing: set[TopicPartition] = set()
        self.polled = 0
        self.running = False
        self.error: str | None = None
        network.register(name, lambda env: None)

    # -- public API ------------------------------------------------------------
    def assign(self, tps: list[TopicPartition]) -> None:
        self.assignment = list(tps)
        for tp in tps:
            self.positions.setdefault(tp, None)
        for tp in list(self.positions):
            if tp not in tps:
                del self.positions[tp]
        self.running = True
        self.meta.refresh()

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.positions[tp] = offset
        self._drop_buffered(tp)
        self.events.emit(EventKind.CONSUMER_SEEK, f"Consumer {self.name} moved its position on {tp} to {offset}.",
                         consumer=self.name, topic=tp.topic, partition=tp.partition, offset=offset)
        self._kick()

    def seek_to(self, tp: TopicPartition, timestamp: int) -> None:
        """Look the offset up with ListOffsets: EARLIEST, LATEST or a timestamp."""
        self.positions[tp] = None
        self._drop_buffered(tp)
        self._pending_reset[tp] = timestamp
        self._kick()

    def position(self, tp: TopicPartition) -> int | None:
        return self.positions.get(tp)

    def close(self) -> None:
        self.running = False

    # -- the fetch side ------------------------------------------------------------
    def _drop_buffered(self, tp: TopicPartition) -> None:
        if tp in self._buffered_tps:
            self._buffer = deque(r for r in self._buffer if (r.topic, r.partition) != tp)
            self._buffered_tps.discard(tp)

    def _kick(self) -> None:
        if not self.running:
            return
        by_leader: dict[int, dict[TopicPartition, FetchPartition]] = {}
        need_meta = False
        for tp in self.assignment:
            leader = self.meta.leader_of(tp)
            if leader < 0:
                need_meta = True
                continue
            pos = self.positions.get(tp)
            if pos is None:
                self._reset_position(tp, leader)
                continue
            if tp in self._buffered_tps or leader in self._fetching:
                continue
            by_leader.setdefault(leader, {})[tp] = FetchPartition(
                pos, current_leader_epoch=self.meta.leader_epoch_of(tp),
                partition_max_bytes=int(self.config["max.partition.fetch.bytes"]))
        if need_meta:
            self.clock.call_later(int(self.config["retry.backoff.ms"]), self.meta.refresh)
        for leader, parts in by_leader.items():
            req = FetchRequest(-1, int(self.config["fetch.max.wait.ms"]), int(self.config["fetch.min.bytes"]),
                               parts, int(self.config["fetch.max.bytes"]), self.config["isolation.level"],
                               client_id=self.name)
            self._fetching.add(leader)
            self.network.request(self.name, leader, "fetch", req,
                                 lambda resp, leader=leader: self._on_fetch(leader, resp))

    def _reset_position(self, tp: TopicPartition, leader: int) -> None:
        if tp in self._listing:
            return
        ts = self._pending_reset.get(tp)
        if ts is None:
            policy = self.config["auto.offset.reset"]
            if policy == "none":
                self._fail(tp, f"no committed offset for {tp} and auto.offset.reset=none "
                               "(NoOffsetForPartitionException)")
                return
            ts = EARLIEST_TIMESTAMP if policy == "earliest" else LATEST_TIMESTAMP
        self._listing.add(tp)
        self.network.request(self.name, leader, "list_offsets", ListOffsetsRequest({tp: ts}),
                             lambda resp: self._on_list_offsets(tp, ts, resp))

    def _on_list_offsets(self, tp: TopicPartition, ts: int, resp: Any) -> None:
        self._listing.discard(tp)
        if isinstance(resp, ListOffsetsResponse) and resp.partitions[tp].error == Errors.NONE:
            self._pending_reset.pop(tp, None)
            off = resp.partitions[tp].offset
            if off < 0:              # no record at or after that timestamp: go to the end
                self._pending_reset[tp] = LATEST_TIMESTAMP
            else:
                what = {EARLIEST_TIMESTAMP: "the earliest offset", LATEST_TIMESTAMP: "the latest offset"}.get(
                    ts, f"the first record at or after timestamp {ts}")
                self.positions[tp] = off
                self.events.emit(EventKind.CONSUMER_SEEK,
                                 f"Consumer {self.name} starts {tp} at offset {off} ({what}).",
                                 consumer=self.name, topic=tp.topic, partition=tp.partition, offset=off)
        else:
            self.meta.refresh()
        self.clock.call_later(0 if tp not in self._pending_reset else int(self.config["retry.backoff.ms"]),
                              self._kick)

    def _on_fetch(self, leader: int, resp: Any) -> None:
        self._fetching.discard(leader)
        if not self.running:
            return
        if not isinstance(resp, FetchResponse):
            self.meta.refresh()
            self.clock.call_later(int(self.config["retry.backoff.ms"]), self._kick)
            return
        got = False
        for tp, data in resp.partitions.items():
            pos = self.positions.get(tp)
            if pos is None or tp not in self.assignment:
                continue
            if data.error == Errors.OFFSET_OUT_OF_RANGE:
                self.positions[tp] = None
                continue
            if data.error != Errors.NONE:
                self.meta.refresh()
                continue
            for batch in data.batches:
                for off, rec in batch.iter_from(pos):
                    self._buffer.append(ConsumedRecord(tp.topic, tp.partition, off, rec))
                    got = True
                    self._buffered_tps.add(tp)
        if got:
            self._app_poll()
        delay = 0 if got or all(d.error == Errors.NONE for d in resp.partitions.values()) \
            else int(self.config["retry.backoff.ms"])
        self.clock.call_later(delay, self._kick)

    def _fail(self, tp: TopicPartition, message: str) -> None:
        self.error = message
        self.events.emit(EventKind.CONSUMER_ERROR, f"Consumer {self.name}: {message}.",
                         consumer=self.name, topic=tp.topic, partition=tp.partition)

    # -- the application side --------------------------------------------------
    def _app_poll(self) -> None:
        """One `poll()`: hand at most max.poll.records buffered records to the application."""
        n = int(self.config["max.poll.records"])
        batch: list[ConsumedRecord] = []
        buf = self._buffer
        positions = self.positions
        tp_of = self.meta.tp
        while buf and len(batch) < n:
            r = buf.popleft()
            tp = tp_of(r.topic, r.partition)
            if positions.get(tp) != r.offset:
                continue                   # stale after a seek
            positions[tp] = r.offset + 1
            batch.append(r)
        if buf:
            self._buffered_tps = {tp_of(r.topic, r.partition) for r in buf}
        else:
            self._buffered_tps = set()
        if not batch:
            if not buf:
                self._kick()
            return
        self.polled += len(batch)
        first, last = batch[0], batch[-1]
        self.events.emit(EventKind.RECORDS_CONSUMED,
                         f"Consumer {self.name} polled {len(batch)} record(s), from {first.topic}/{first.partition}"
                         f"@{first.offset} to {last.topic}/{last.partition}@{last.offset}.",
                         consumer=self.name, count=len(batch))
        if self.on_records is not None:
            self.on_records(batch)
        if buf:
            self.clock.call_later(0, self._app_poll)
        else:
            # The buffer is drained: fetch again (Kafka's fetcher refetches a partition once
            # nothing of it is buffered).
            self.clock.call_later(0, self._kick)
