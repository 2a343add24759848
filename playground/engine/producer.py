"""A simulated KafkaProducer: partitioner, record accumulator, sender, retries.

`send()` never talks to the network itself: it picks a partition and appends
to that partition's open batch. A batch leaves when it is full (`batch.size`)
or has waited `linger.ms`; the sender sends each leader one Produce request
with at most one batch per partition, at most
`max.in.flight.requests.per.connection` at a time. Retriable errors send the
batch again after `retry.backoff.ms` until `delivery.timeout.ms` runs out.
"""

from __future__ import annotations

import random
from typing import Any, Callable

from .errors import RETRIABLE, Errors, KafkaError
from .events import EventKind, EventLog
from .network import Disconnected, Network
from .partitioner import RoundRobinPartitioner, StickyPartitioner, partition_for_key
from .batch_codec import batch_sizes
from .client import ClientMetadata
from .producer_buffer import BufferPool
from .producer_txn import TransactionManager
from .protocol import ProduceRequest, ProduceResponse, TopicPartition
from .records import Origin, Record, RecordBatch, BATCH_OVERHEAD

# Enum members looked up once: in Python 3.11 every Errors.X / EventKind.X goes through
# EnumType's __getattr__ hook, and these run for every record, batch or fetch.
_NONE = Errors.NONE
_ACCEPTED = (Errors.NONE, Errors.DUPLICATE_SEQUENCE_NUMBER)
_PRODUCE_SENT = EventKind.PRODUCE_SENT
_PRODUCE_ACKED = EventKind.PRODUCE_ACKED

ACKS = {"0": 0, "1": 1, "all": -1, "-1": -1}

PRODUCER_DEFAULTS: dict[str, Any] = {
    "acks": "all",
    "enable.idempotence": True,
    "retries": 2147483647,
    "delivery.timeout.ms": 120000,
    "request.timeout.ms": 30000,
    "retry.backoff.ms": 100,
    "retry.backoff.max.ms": 1000,
    "linger.ms": 5,
    "batch.size": 16384,
    "max.in.flight.requests.per.connection": 5,
    "compression.type": "none",
    "partitioner": "sticky",
    "metadata.max.age.ms": 300000,
    "max.block.ms": 60000,
    "transactional.id": None,
    "transaction.timeout.ms": 60000,
    "buffer.memory": 33554432,
}


class ProducerBatch:
    __slots__ = ("tp", "records", "size", "created_ms", "serial", "attempts", "linger_timer", "closed",
                 "callbacks", "base_sequence", "sequence_reset", "compressed_size", "in_request", "sealed")

    def __init__(self, tp: TopicPartition, created_ms: int, serial: int) -> None:
        self.tp = tp
        self.records: list[Record] = []
        self.size = BATCH_OVERHEAD
        self.created_ms = created_ms
        self.serial = serial
        self.attempts = 0
        self.linger_timer = None
        self.closed = False
        self.callbacks: list[Callable | None] = []
        self.base_sequence = -1                 # given when first sent by an idempotent producer
        self.sequence_reset = False             # moved down after an earlier batch failed for good
        self.in_request = False                 # in a Produce request that has not been answered
        self.sealed = False                     # takes no more records (sent, or full)
        self.compressed_size: int | None = None  # bytes on the wire once closed, with compression.type


class ProducerStats:
    __slots__ = ("sent", "acked", "failed", "errors")

    def __init__(self) -> None:
        self.sent = 0
        self.acked = 0
        self.failed = 0
        self.errors: dict[str, int] = {}


class Producer:
    def __init__(self, name: str, network: Network, events: EventLog, rng: random.Random,
                 bootstrap: list[int], audit, config: dict[str, Any] | None = None) -> None:
        self.name = name
        self._origin = Origin(name)             # every batch of this producer carries the same (frozen) one
        self.network = network
        self.clock = network.clock
        self.events = events
        self.audit = audit
        self.bootstrap = bootstrap
        self.config = dict(PRODUCER_DEFAULTS)
        self.config.update(config or {})
        self.user_config = dict(config or {})
        self.acks = ACKS[str(self.config["acks"])]
        self.stats = ProducerStats()
        if self.config["partitioner"] == "round_robin":
            self.partitioner = RoundRobinPartitioner()
        else:
            self.partitioner = StickyPartitioner(rng, int(self.config["batch.size"]))
        self._serial = 0
        self.meta = ClientMetadata(name, network, bootstrap, int(self.config["retry.backoff.ms"]),
                                   self._on_metadata, int(self.config["metadata.max.age.ms"]))
        self._waiting_for_metadata: list[tuple] = []
        self.open_batches: dict[TopicPartition, ProducerBatch] = {}
        self.ready: list[ProducerBatch] = []
        self.in_flight: dict[int, int] = {}
        self.closed = False
        network.register(name, lambda env: None)
        self.buffer = BufferPool(self)
        self.txn: TransactionManager | None = None
        if self._idempotent(config or {}):
            self.txn = TransactionManager(self)
            self.txn.start()

    def _idempotent(self, user: dict[str, Any]) -> bool:
        """Kafka's ProducerConfig (3.2+): idempotence is on by default, and quietly off when acks,
        retries or max.in.flight conflict with it, unless it was asked for explicitly."""
        conflict = None
        if self.acks != -1:
            conflict = "Must set acks to all in order to use the idempotent producer."
        elif int(self.config["retries"]) == 0:
            conflict = "Must set retries to non-zero when using the idempotent producer."
        elif int(self.config["max.in.flight.requests.per.connection"]) > 5:
            conflict = "Must set max.in.flight.requests.per.connection to at most 5 to use the idempotent producer."
        explicit = "enable.idempotence" in user
        wanted = _flag(self.config["enable.idempotence"])
        transactional = self.config.get("transactional.id") is not None
        if transactional and explicit and not wanted:
            raise KafkaError(Errors.INVALID_CONFIG, "Cannot set a transactional.id without also enabling "
                                                    "idempotence (ConfigException).")
        if conflict and ((explicit and wanted) or transactional):
            raise KafkaError(Errors.INVALID_CONFIG, f"{conflict} (ConfigException)")
        return wanted and conflict is None

    @property
    def idempotent(self) -> bool:
        return self.txn is not None

    @property
    def transactional(self) -> bool:
        return self.txn is not None and self.txn.transactional

    # -- public API ------------------------------------------------------------
    def send(self, topic: str, value: bytes | None, key: bytes | None = None, headers: tuple = (),
             partition: int | None = None, timestamp: int | None = None,
             callback: Callable[[Errors, int], None] | None = None) -> int:
        """Queue one record; returns its send serial (its identity in the audit)."""
        serial = self._serial
        self._serial += 1
        self.stats.sent += 1
        ts = self.clock.now if timestamp is None else timestamp
        if self.txn is not None and (refused := self.txn.check_send()) is not None:
            self._fail_record(TopicPartition(topic, -1 if partition is None else partition), serial, callback,
                              *refused)
            return serial
        record = Record(key, value, headers, ts, serial)
        if topic not in self.meta.wanted:
            self.meta.want(topic)
        size = record.size()
        if self.buffer.take(size):
            self._with_metadata(topic, record, partition, serial, callback, size)
            return serial
        tp = TopicPartition(topic, -1 if partition is None else partition)
        self.buffer.admit(size, lambda: self._with_metadata(topic, record, partition, serial, callback),
                          lambda error, message: self._fail_record(tp, serial, callback, error, message))
        return serial

    def _with_metadata(self, topic: str, record: Record, partition, serial: int, callback,
                       size: int | None = None) -> None:
        meta = self.meta.topics.get(topic)
        if meta is None:
            self._waiting_for_metadata.append((topic, record, partition, serial, callback))
        else:
            self._accumulate(topic, meta, record, partition, serial, callback, size)

    def inherit(self, old: "Producer") -> None:
        """A restart under the same name carries the counters on (and the send serials, which are the
        records' identity in the audit)."""
        self._serial = old._serial
        self.stats = old.stats

    def crash(self) -> None:
        """The process dies: unsent records are gone, answers to what is in flight go unheard."""
        if self.closed:
            return
        self.closed = True
        for batch in self.open_batches.values():
            if batch.linger_timer is not None:
                batch.linger_timer.cancel()
        self.open_batches, self.ready, self._waiting_for_metadata = {}, [], []
        self.buffer.clear()
        self.meta.close()
        self.events.emit(EventKind.PRODUCER_CRASHED,
                         f"Producer {self.name}'s process died; what it had not sent is gone"
                         + (" and its transaction stays open on the coordinator." if self.transactional else "."),
                         producer=self.name)

    def flush_now(self) -> None:
        """Make every open batch ready at once (like `flush()` without blocking)."""
        for batch in list(self.open_batches.values()):
            self._close(batch)
        self._drain()

    # -- metadata ----------------------------------------------------------------
    def _on_metadata(self) -> None:
        waiting, self._waiting_for_metadata = self._waiting_for_metadata, []
        max_block = int(self.config["max.block.ms"])
        now = self.clock.now
        for topic, record, partition, serial, callback in waiting:
            meta = self.meta.topic(topic)
            if meta is not None:
                self._accumulate(topic, meta, record, partition, serial, callback)
                continue
            error = self.meta.errors.get(topic)
            if error == Errors.INVALID_TOPIC_EXCEPTION or now - record.timestamp >= max_block:
                self.buffer.release(record.size())
            if error == Errors.INVALID_TOPIC_EXCEPTION:
                self._fail_record(TopicPartition(topic, -1), serial, callback, error,
                                  f"'{topic}' is not a legal topic name")
            elif now - record.timestamp >= max_block:
                # KafkaProducer.send() blocks at most max.block.ms waiting for metadata.
                self._fail_record(TopicPartition(topic, -1), serial, callback, Errors.REQUEST_TIMED_OUT,
                                  f"Topic {topic} not present in metadata after {max_block} ms")
            else:
                self._waiting_for_metadata.append((topic, record, partition, serial, callback))
        if self._waiting_for_metadata:
            self.clock.call_later(self.config["retry.backoff.ms"], self.meta.refresh)
        self._drain()

    def leader_of(self, tp: TopicPartition) -> int:
        return self.meta.leader_of(tp)

    # -- accumulator -----------------------------------------------------------
    def _accumulate(self, topic, meta, record: Record, partition, serial, callback, size: int | None = None) -> None:
        n = len(meta.partitions)
        if size is None:
            size = record.size()
        sticky = partition is None and record.key is None
        if partition is None:
            if record.key is not None:
                partition = partition_for_key(record.key, n)
            else:
                partition = self.partitioner.partition(topic, self.meta.available(topic), n, size)
        elif not 0 <= partition < n:
            self.buffer.release(size)
            self._fail_record(TopicPartition(topic, partition), serial, callback, Errors.UNKNOWN_TOPIC_OR_PARTITION,
                              f"partition {partition} does not exist; {topic} has {n}")
            return
        tp = self.meta.tp(topic, partition)
        batch = self.open_batches.get(tp)
        limit = int(self.config["batch.size"])
        overflowed = batch is not None and batch.records and batch.size + size > limit
        if overflowed:
            self._close(batch, seal=True)   # full: the sender takes it now, not at its linger deadline
            batch = None
        if batch is None:
            batch = ProducerBatch(tp, self.clock.now, serial)
            self.open_batches[tp] = batch
            linger = int(self.config["linger.ms"])
            batch.linger_timer = self.clock.call_later(linger, self._linger_expired, batch)
        batch.records.append(record)
        batch.callbacks.append(callback)
        batch.size += size
        full = batch.size >= limit
        if sticky:
            self.partitioner.appended(topic, size, full)
        if full:
            self._close(batch, seal=True)
        if full or overflowed:
            self._drain()

    def _linger_expired(self, batch: ProducerBatch) -> None:
        batch.linger_timer = None
        if not batch.closed:
            self._close(batch)
            self._drain()

    def _close(self, batch: ProducerBatch, seal: bool = False) -> None:
        """The batch is ready to send (linger.ms passed, it is full, or flush()). Until the sender takes
        it, it keeps taking records, as the last batch of a partition does in Kafka's accumulator, so a
        producer held back by max.in.flight sends fuller batches instead of a queue of small ones."""
        if seal:
            self._seal(batch)
        if batch.closed:
            return
        batch.closed = True
        if batch.linger_timer is not None:
            batch.linger_timer.cancel()
            batch.linger_timer = None
        self.ready.append(batch)

    def _seal(self, batch: ProducerBatch) -> None:
        """No more records for this batch: it is full, or the sender has taken it."""
        if batch.sealed:
            return
        batch.sealed = True
        if self.open_batches.get(batch.tp) is batch:
            del self.open_batches[batch.tp]
        codec = self.config["compression.type"]
        if codec != "none":
            # The records section compressed for real (batch.size counts uncompressed bytes here;
            # Kafka's producer estimates the ratio, which fills compressed batches further).
            batch.compressed_size = batch_sizes(batch.records, codec)[1]

    # -- sender ------------------------------------------------------------------
    def _drain(self) -> None:
        if not self.ready or self.closed:
            return
        max_in_flight = int(self.config["max.in.flight.requests.per.connection"])
        by_leader: dict[int, dict[TopicPartition, ProducerBatch]] = {}
        keep: list[ProducerBatch] = []
        now = self.clock.now
        timeout = self.config["delivery.timeout.ms"]
        leader_of = self.meta.leader_of
        in_flight = self.in_flight
        missing_leader = False
        txn = self.txn
        if txn is not None and not txn.has_producer_id:
            return                          # InitProducerId first
        held: set[TopicPartition] = set()   # partitions where an older batch must go first
        retrying = txn.awaiting_retry() if txn is not None else ()
        for batch in self.ready:
            if now - batch.created_ms >= timeout:
                self._fail_batch(batch, Errors.REQUEST_TIMED_OUT, "delivery.timeout.ms expired")
                continue
            if batch.tp in held:
                keep.append(batch)
                continue
            leader = leader_of(batch.tp)
            if leader < 0:
                missing_leader = True
                keep.append(batch)
                continue
            group = by_leader.get(leader)
            if group is None and in_flight.get(leader, 0) >= max_in_flight:
                held.add(batch.tp)
                keep.append(batch)
                continue
            if txn is not None and not txn.may_send(batch, retrying):
                held.add(batch.tp)
                keep.append(batch)
                continue
            if group is None:
                group = by_leader[leader] = {}
            if batch.tp in group:
                if txn is not None:
                    held.add(batch.tp)
                keep.append(batch)
                continue
            group[batch.tp] = batch
        self.ready = keep
        if missing_leader:
            self.meta.refresh()
        for leader, group in by_leader.items():
            self._send_request(leader, group)

    def _send_request(self, leader: int, group: dict[TopicPartition, ProducerBatch]) -> None:
        partitions = {}
        txn = self.txn
        for tp, batch in group.items():
            self._seal(batch)
            batch.attempts += 1
            batch.in_request = True
            if txn is not None:
                txn.assign(batch)
            partitions[tp] = RecordBatch(batch.records, origin=self._origin,
                                         size_bytes=batch.compressed_size or batch.size,
                                         compression=self.config["compression.type"],
                                         producer_id=txn.producer_id if txn else -1,
                                         producer_epoch=txn.epoch if txn else -1,
                                         base_sequence=batch.base_sequence,
                                         is_transactional=txn is not None and txn.transactional)
        request_timeout = int(self.config["request.timeout.ms"])
        req = ProduceRequest(self.acks, request_timeout, partitions,
                             transactional_id=txn.transactional_id if txn else None, client_id=self.name)
        self.in_flight[leader] = self.in_flight.get(leader, 0) + 1
        n = 0
        for b in group.values():
            n += len(b.records)
        codec = self.config["compression.type"]
        squeezed = ""
        if codec != "none":
            raw = sum(b.size for b in group.values())
            packed = sum(b.compressed_size or b.size for b in group.values())
            squeezed = f", {codec}: {raw} → {packed} bytes"
        names = [str(tp) for tp in group]
        self.events.emit(_PRODUCE_SENT,
                         f"Producer {self.name} sent {n} record(s) to leader {leader} "
                         f"({', '.join(names)}, acks={self.config['acks']}{squeezed}).",
                         producer=self.name, broker=leader, count=n, partitions=names)
        state = {"done": False}
        env = self.network.request(self.name, leader, "produce", req,
                                   lambda resp: self._on_response(leader, group, resp, state))
        if self.acks == 0:
            # acks=0: the producer counts a batch as sent as soon as it is on the wire.
            state["done"] = True
            self.in_flight[leader] -= 1
            for batch in group.values():
                self._succeed(batch, -1, 0)
            self.clock.call_later(0, self._drain)
            return
        timer = self.clock.call_timeout(request_timeout, self._on_response, leader, group,
                                      Disconnected("request.timeout.ms expired"), state)
        state["timer"] = timer
        del env

    def _on_response(self, leader: int, group, resp: Any, state: dict) -> None:
        if state["done"] or self.closed:
            return
        state["done"] = True
        if "timer" in state:
            state["timer"].cancel()
        self.in_flight[leader] -= 1
        for batch in group.values():
            batch.in_request = False
        if isinstance(resp, ProduceResponse):
            for tp, batch in group.items():
                part = resp.partitions.get(tp)
                if part is None or part.error in _ACCEPTED:
                    self._succeed(batch, part.base_offset if part else -1, self.acks)
                else:
                    self._retry_or_fail(batch, part.error, part.error_message or part.error.name)
        else:
            for batch in group.values():
                self._retry_or_fail(batch, Errors.REQUEST_TIMED_OUT if "timeout" in resp.reason
                                    else Errors.NETWORK_EXCEPTION, resp.reason)
            self.meta.refresh()
        self._drain()

    def _retry_or_fail(self, batch: ProducerBatch, error: Errors, message: str) -> None:
        self.stats.errors[error.name] = self.stats.errors.get(error.name, 0) + 1
        now = self.clock.now
        retriable = error in RETRIABLE
        if error == Errors.OUT_OF_ORDER_SEQUENCE_NUMBER:
            retriable = self.txn is not None and self.txn.retriable_out_of_order(batch)
        if self.txn is not None and self.txn.fatal is not None:
            retriable = False
        in_time = now - batch.created_ms < self.config["delivery.timeout.ms"]
        if retriable and in_time and batch.attempts <= int(self.config["retries"]):
            self.events.emit(EventKind.PRODUCE_ERROR,
                             f"Producer {self.name} got {error.name} for {batch.tp}: {message.rstrip('.')}. "
                             f"It will retry after a backoff (retry.backoff.ms, doubling up to retry.backoff.max.ms).",
                             producer=self.name, topic=batch.tp.topic, partition=batch.tp.partition,
                             error=error.name, retrying=True)
            if error in (Errors.NOT_LEADER_OR_FOLLOWER, Errors.UNKNOWN_TOPIC_OR_PARTITION,
                         Errors.LEADER_NOT_AVAILABLE, Errors.NETWORK_EXCEPTION):
                self.meta.refresh()
            # KIP-580: the backoff doubles per attempt up to retry.backoff.max.ms (Kafka adds
            # random jitter; the playground leaves it out so runs stay easy to compare).
            backoff = min(int(self.config["retry.backoff.max.ms"]),
                          int(self.config["retry.backoff.ms"]) * 2 ** max(0, batch.attempts - 1))
            self.clock.call_later(backoff, self._requeue, batch)
        else:
            reason = message if not retriable else f"{message} (no retries left)"
            self._fail_batch(batch, error, reason)

    def _requeue(self, batch: ProducerBatch) -> None:
        if self.closed:
            return
        if batch.base_sequence < 0:
            self.ready.insert(0, batch)
        else:
            # Kafka's insertInSequenceOrder: before every batch of the partition that is newer.
            at = next((i for i, b in enumerate(self.ready) if b.tp == batch.tp
                       and (b.base_sequence < 0 or b.base_sequence > batch.base_sequence)), len(self.ready))
            self.ready.insert(at, batch)
        self._drain()

    def _succeed(self, batch: ProducerBatch, base_offset: int, acks: int) -> None:
        n = len(batch.records)
        self.buffer.release(batch.size - BATCH_OVERHEAD)
        self.stats.acked += n
        self.audit.record_acked(self.name, batch.tp, base_offset, batch.records)
        if acks != 0:
            text = (f"Producer {self.name} got the ack for {n} record(s) on {batch.tp} at offsets "
                    f"{base_offset}–{base_offset + n - 1} (acks={self.config['acks']}).")
        else:
            text = (f"Producer {self.name} counts {n} record(s) for {batch.tp} as sent without any answer "
                    "(acks=0): it will never learn whether the leader wrote them.")
        self.events.emit(_PRODUCE_ACKED, text, producer=self.name, topic=batch.tp.topic,
                         partition=batch.tp.partition, base_offset=base_offset, count=n, acks=acks, created_ms=batch.created_ms)
        for i, cb in enumerate(batch.callbacks):
            if cb is not None:
                cb(_NONE, base_offset + i if base_offset >= 0 else -1)
        if self.txn is not None:
            self.txn.batch_done(batch)

    def _fail_batch(self, batch: ProducerBatch, error: Errors, message: str) -> None:
        n = len(batch.records)
        self.buffer.release(batch.size - BATCH_OVERHEAD)
        self.stats.failed += n
        self.events.emit(EventKind.PRODUCE_FAILED,
                         f"Producer {self.name} gave up on {n} record(s) for {batch.tp}: {error.name} — {message}",
                         producer=self.name, topic=batch.tp.topic, partition=batch.tp.partition,
                         error=error.name, count=n)
        for cb in batch.callbacks:
            if cb is not None:
                cb(error, -1)
        if self.txn is not None:
            self.txn.batch_done(batch, error, message)

    def _fail_record(self, tp, serial, callback, error: Errors, message: str) -> None:
        self.stats.failed += 1
        self.stats.errors[error.name] = self.stats.errors.get(error.name, 0) + 1
        target = tp if tp.partition >= 0 else tp.topic
        self.events.emit(EventKind.PRODUCE_FAILED, f"Producer {self.name} could not send to {target}: {message}.",
                         producer=self.name, topic=tp.topic, partition=tp.partition, error=error.name, count=1)
        if callback is not None:
            callback(error, -1)

    # -- transactions (KafkaProducer's transactional API) -----------------------------------
    def on_ready(self) -> None:
        """The TransactionManager has a producer id, or added partitions: send what waits."""
        self._drain()

    def has_pending(self) -> bool:
        return bool(self.open_batches or self.ready or any(self.in_flight.values()))

    def abort_unsent(self, reason: str, error: Errors = Errors.INVALID_TXN_STATE) -> None:
        """Fail every batch not yet sent (abortTransaction(), or a fenced producer)."""
        waiting, self._waiting_for_metadata = self._waiting_for_metadata, []
        for topic, record, partition, serial, callback in waiting:
            self.buffer.release(record.size())
            self._fail_record(TopicPartition(topic, -1 if partition is None else partition), serial, callback,
                              error, reason)
        unsent = list({id(b): b for b in list(self.open_batches.values()) + [b for b in self.ready
                                                                              if b.base_sequence < 0]}.values())
        for batch in unsent:
            self._close(batch, seal=True)
        self.ready = [b for b in self.ready if b.base_sequence >= 0]
        for batch in unsent:
            self._fail_batch(batch, error, reason)

    def begin_transaction(self) -> None:
        self._require_transactional("beginTransaction")
        self.txn.begin()

    def commit_transaction(self, done: Callable[[Errors, str], None] | None = None) -> None:
        self._require_transactional("commitTransaction")
        self.txn.end(True, done or _ignore)

    def abort_transaction(self, done: Callable[[Errors, str], None] | None = None) -> None:
        self._require_transactional("abortTransaction")
        self.txn.end(False, done or _ignore)

    def send_offsets_to_transaction(self, offsets: dict[TopicPartition, int], group_id: str,
                                    generation_id: int = -1, member_id: str = "",
                                    done: Callable[[Errors, str], None] | None = None) -> None:
        self._require_transactional("sendOffsetsToTransaction")
        self.txn.send_offsets(offsets, group_id, generation_id, member_id, done or _ignore)

    def _require_transactional(self, call: str) -> None:
        if not self.transactional:
            raise KafkaError(Errors.INVALID_TXN_STATE,
                             f"{call}() needs a transactional producer: {self.name} has no transactional.id")


def _ignore(_error: Errors, _message: str) -> None:
    pass


def _flag(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).strip().lower() == "true"
