"""The transaction coordinator a broker hosts (Kafka's `TransactionCoordinator`).

A transactional.id lives on partition `abs(hash(id)) % 50` of
`__transaction_state`; the leader of that partition is its coordinator. The
coordinator keeps each id's producer id, epoch, state and the partitions of
its open transaction, and writes every state change to that partition before
acting on it, so a new coordinator carries on from the log after a failover:

    Empty → Ongoing (AddPartitionsToTxn) → PrepareCommit | PrepareAbort (EndTxn)
          → markers written to every partition → CompleteCommit | CompleteAbort

InitProducerId bumps the epoch, which fences older instances of the same
transactional.id (a zombie): they get PRODUCER_FENCED here and
INVALID_PRODUCER_EPOCH from partition leaders. A transaction open for longer
than its `transaction.timeout.ms` is aborted with a bumped epoch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .errors import Errors
from .events import EventKind
from .group_offsets import partition_for
from .network import Envelope
from .protocol import TopicPartition
from .records import Record
from .txn_protocol import (TRANSACTION_STATE_TOPIC, AddOffsetsToTxnRequest, AddPartitionsToTxnRequest,
                           AddPartitionsToTxnResponse, EndTxnRequest, InitProducerIdRequest, InitProducerIdResponse,
                           TxnMarker, TxnResponse, WriteTxnMarkersRequest, WriteTxnMarkersResponse)

EMPTY, ONGOING = "Empty", "Ongoing"
PREPARE_COMMIT, PREPARE_ABORT = "PrepareCommit", "PrepareAbort"
COMPLETE_COMMIT, COMPLETE_ABORT = "CompleteCommit", "CompleteAbort"
MARKER_RETRY_MS = 100
TXN_APIS = frozenset({"add_partitions_to_txn", "add_offsets_to_txn", "end_txn"})


@dataclass
class TransactionMetadata:
    transactional_id: str
    producer_id: int
    producer_epoch: int
    timeout_ms: int
    state: str = EMPTY
    partitions: set[TopicPartition] = field(default_factory=set)
    txn_start_ms: int = -1
    last_update_ms: int = 0
    pending: bool = False                     # a state change is being written

    def to_value(self) -> bytes:
        # The fields of Kafka's TransactionLogValue, as JSON text.
        parts: dict[str, list[int]] = {}
        for tp in sorted(self.partitions):
            parts.setdefault(tp.topic, []).append(tp.partition)
        return json.dumps({"producerId": self.producer_id, "producerEpoch": self.producer_epoch,
                           "transactionTimeoutMs": self.timeout_ms, "transactionStatus": self.state,
                           "transactionPartitions": [{"topic": t, "partitionIds": p} for t, p in parts.items()],
                           "transactionLastUpdateTimestampMs": self.last_update_ms,
                           "transactionStartTimestampMs": self.txn_start_ms}, sort_keys=True).encode()

    @classmethod
    def from_record(cls, record: Record) -> "TransactionMetadata":
        key = json.loads(record.key)
        v = json.loads(record.value)
        parts = {TopicPartition(p["topic"], i) for p in v["transactionPartitions"] for i in p["partitionIds"]}
        return cls(key["transactionalId"], v["producerId"], v["producerEpoch"], v["transactionTimeoutMs"],
                   v["transactionStatus"], parts, v["transactionStartTimestampMs"],
                   v["transactionLastUpdateTimestampMs"])


class TransactionCoordinator:
    def __init__(self, broker) -> None:
        self.broker = broker
        self.network = broker.network
        self.clock = broker.clock
        self.events = broker.events
        self.txns: dict[str, TransactionMetadata] = {}
        self.coordinator_epochs: dict[int, int] = {}    # loaded partition -> its leader epoch
        self._timer = None

    # -- loading ------------------------------------------------------------------
    def partition_of(self, transactional_id: str) -> int:
        topic = self.broker.image.topics.get(TRANSACTION_STATE_TOPIC)
        return partition_for(transactional_id, len(topic.partitions)) if topic else -1

    def load(self, partition: int, log, leader_epoch: int) -> None:
        loaded: dict[str, TransactionMetadata] = {}
        for _off, rec, batch in log.records():
            if not batch.is_control and rec.key is not None and rec.value is not None:
                meta = TransactionMetadata.from_record(rec)
                loaded[meta.transactional_id] = meta
        self.coordinator_epochs[partition] = leader_epoch
        self.txns.update(loaded)
        if loaded:
            self.events.emit(EventKind.TXN_STATE_LOADED,
                             f"Broker {self.broker.broker_id} is now the transaction coordinator for "
                             f"{TRANSACTION_STATE_TOPIC}/{partition}: it replayed the log and knows "
                             f"{len(loaded)} transactional.id(s).", broker=self.broker.broker_id, partition=partition)
        for meta in loaded.values():
            # A coordinator that died between PrepareX and CompleteX left the markers unfinished.
            if meta.state in (PREPARE_COMMIT, PREPARE_ABORT):
                self._send_markers(meta, meta.state == PREPARE_COMMIT)
        self._schedule_expiry()

    def unload(self, partition: int) -> None:
        self.coordinator_epochs.pop(partition, None)
        for tid in [t for t in self.txns if self.partition_of(t) == partition]:
            del self.txns[tid]

    def shutdown(self) -> None:
        self.txns.clear()
        self.coordinator_epochs.clear()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def owns(self, transactional_id: str) -> bool:
        return self.partition_of(transactional_id) in self.coordinator_epochs

    # -- requests -------------------------------------------------------------------
    def handle(self, env: Envelope) -> None:
        req = env.body
        if isinstance(req, InitProducerIdRequest):
            self._init_producer_id(env, req)
            return
        answer = self._answer_for(env)
        if not self.owns(req.transactional_id):
            answer(Errors.NOT_COORDINATOR, f"Broker {self.broker.broker_id} is not the transaction coordinator "
                                           f"of {req.transactional_id}.")
            return
        meta = self.txns.get(req.transactional_id)
        error, message = self._check_producer(meta, req.producer_id, req.producer_epoch)
        if error != Errors.NONE:
            answer(error, message)
            return
        if isinstance(req, AddPartitionsToTxnRequest):
            self._add_partitions(meta, set(req.partitions), answer, "its partitions")
        elif isinstance(req, AddOffsetsToTxnRequest):
            topic = self.broker.image.topics.get("__consumer_offsets")
            if topic is None:
                answer(Errors.COORDINATOR_NOT_AVAILABLE, "__consumer_offsets does not exist yet.")
                return
            tp = TopicPartition("__consumer_offsets", partition_for(req.group_id, len(topic.partitions)))
            self._add_partitions(meta, {tp}, answer, f"the offsets of group {req.group_id}")
        elif isinstance(req, EndTxnRequest):
            self._end_txn(meta, req.committed, answer)

    def _answer_for(self, env: Envelope):
        def answer(error: Errors, message: str | None = None) -> None:
            if env.api == "add_partitions_to_txn":
                self.network.respond(env, AddPartitionsToTxnResponse(
                    {tp: error for tp in env.body.partitions}, message))
            else:
                self.network.respond(env, TxnResponse(error, message))
        return answer

    def _check_producer(self, meta, producer_id: int, epoch: int) -> tuple[Errors, str]:
        if meta is None or meta.producer_id != producer_id:
            return Errors.INVALID_PRODUCER_ID_MAPPING, "This transactional.id has no such producer id."
        if epoch < meta.producer_epoch:
            return (Errors.PRODUCER_FENCED,
                    f"Epoch {epoch} is old: a newer producer with the same transactional.id "
                    f"({meta.transactional_id}) has epoch {meta.producer_epoch}. This producer is a zombie "
                    "and must close.")
        if meta.pending or meta.state in (PREPARE_COMMIT, PREPARE_ABORT):
            return Errors.CONCURRENT_TRANSACTIONS, "The previous transaction is still being completed."
        return Errors.NONE, ""

    def _init_producer_id(self, env: Envelope, req: InitProducerIdRequest) -> None:
        tid = req.transactional_id
        reply = lambda e, msg=None, m=None: self.network.respond(  # noqa: E731
            env, InitProducerIdResponse(e, m.producer_id if m else -1, m.producer_epoch if m else -1, msg))
        if not self.owns(tid):
            reply(Errors.NOT_COORDINATOR, f"Broker {self.broker.broker_id} is not the coordinator of {tid}.")
            return
        meta = self.txns.get(tid)
        if meta is not None and (meta.pending or meta.state in (PREPARE_COMMIT, PREPARE_ABORT)):
            reply(Errors.CONCURRENT_TRANSACTIONS, "A transaction of this transactional.id is being completed.")
            return
        if meta is not None and meta.state == ONGOING:
            # Kafka fences the old producer: bump the epoch, abort its transaction, and tell the new
            # one to retry (CONCURRENT_TRANSACTIONS) until the abort is complete.
            self._abort_with_bump(meta, f"a new producer with transactional.id {tid} called initTransactions()")
            reply(Errors.CONCURRENT_TRANSACTIONS, "The open transaction of the previous producer is being aborted.")
            return
        if meta is None:
            new = TransactionMetadata(tid, self.broker.producer_ids.allocate(), 0, req.transaction_timeout_ms)
        else:
            new = TransactionMetadata(tid, meta.producer_id, meta.producer_epoch + 1, req.transaction_timeout_ms)
        new.last_update_ms = self.clock.now

        def written(error: Errors) -> None:
            if error != Errors.NONE:
                reply(Errors.NOT_COORDINATOR if error == Errors.NOT_LEADER_OR_FOLLOWER else error)
                return
            self.txns[tid] = new
            fenced = (f" Epoch {new.producer_epoch} fences every older producer with this transactional.id: "
                      "their writes and commits are refused from now on." if new.producer_epoch > 0 else "")
            self.events.emit(EventKind.PRODUCER_ID_ASSIGNED,
                             f"Transaction coordinator {self.broker.broker_id} gave transactional.id {tid} producer "
                             f"id {new.producer_id}, epoch {new.producer_epoch}.{fenced}",
                             broker=self.broker.broker_id, transactional_id=tid, producer_id=new.producer_id,
                             producer_epoch=new.producer_epoch)
            reply(Errors.NONE, None, new)

        self._write(new, written)

    def _add_partitions(self, meta: TransactionMetadata, tps: set[TopicPartition], answer, what: str) -> None:
        if tps <= meta.partitions and meta.state == ONGOING:
            answer(Errors.NONE)
            return
        new = self._copy(meta, ONGOING)
        new.partitions |= tps
        if meta.state != ONGOING:
            new.txn_start_ms = self.clock.now

        def written(error: Errors) -> None:
            meta.pending = False
            if error != Errors.NONE:
                answer(Errors.NOT_COORDINATOR if error == Errors.NOT_LEADER_OR_FOLLOWER else error)
                return
            self.txns[meta.transactional_id] = new
            self.events.emit(EventKind.TXN_PARTITIONS_ADDED,
                             f"Transaction of {meta.transactional_id} now includes {what} "
                             f"({', '.join(str(tp) for tp in sorted(tps))}); the coordinator wrote it to "
                             f"{TRANSACTION_STATE_TOPIC} first, so a new coordinator would know where to write "
                             "markers.", transactional_id=meta.transactional_id,
                             partitions=[str(tp) for tp in sorted(tps)], broker=self.broker.broker_id)
            answer(Errors.NONE)

        meta.pending = True
        self._write(new, written)

    def _end_txn(self, meta: TransactionMetadata, committed: bool, answer) -> None:
        if meta.state != ONGOING:
            done = COMPLETE_COMMIT if committed else COMPLETE_ABORT
            if meta.state == done:
                answer(Errors.NONE)          # a retried EndTxn of a completed transaction
            elif meta.state == EMPTY and not committed:
                answer(Errors.NONE)          # aborting a transaction that never added a partition
            else:
                answer(Errors.INVALID_TXN_STATE,
                       f"Cannot {'commit' if committed else 'abort'}: the transaction is {meta.state}.")
            return
        self._prepare(meta, committed, answer, meta.producer_epoch, "the producer asked")

    def _abort_with_bump(self, meta: TransactionMetadata, why: str) -> None:
        self._prepare(meta, False, None, meta.producer_epoch + 1, why)

    def _prepare(self, meta: TransactionMetadata, committed: bool, answer, epoch: int, why: str) -> None:
        new = self._copy(meta, PREPARE_COMMIT if committed else PREPARE_ABORT)
        new.producer_epoch = epoch

        def written(error: Errors) -> None:
            meta.pending = False
            if error != Errors.NONE:
                if answer is not None:
                    answer(Errors.NOT_COORDINATOR if error == Errors.NOT_LEADER_OR_FOLLOWER else error)
                return
            self.txns[meta.transactional_id] = new
            verb = "commit" if committed else "abort"
            bumped = f" with epoch bumped to {epoch}, fencing the old producer" if epoch != meta.producer_epoch else ""
            self.events.emit(EventKind.TXN_PREPARED,
                             f"Transaction of {meta.transactional_id} is {new.state} ({why}{bumped}): the decision "
                             f"is in {TRANSACTION_STATE_TOPIC}, so it will {verb} even if this coordinator dies. "
                             f"Now it writes {verb.upper()} markers to {len(new.partitions)} partition(s).",
                             transactional_id=meta.transactional_id, state=new.state, committed=committed,
                             broker=self.broker.broker_id, producer_epoch=epoch)
            if answer is not None:
                answer(Errors.NONE)
            self._send_markers(new, committed)

        meta.pending = True
        self._write(new, written)

    # -- markers ------------------------------------------------------------------------
    def _send_markers(self, meta: TransactionMetadata, committed: bool) -> None:
        remaining = set(meta.partitions)
        if not remaining:
            self._complete(meta, committed)
            return
        coordinator_epoch = self.coordinator_epochs.get(self.partition_of(meta.transactional_id), 0)

        def send_round() -> None:
            if self.txns.get(meta.transactional_id) is not meta:
                return                          # this coordinator lost the transaction (failover)
            by_leader: dict[int, list[TopicPartition]] = {}
            missing = False
            for tp in sorted(remaining):
                info = self.broker.image.partition(tp.topic, tp.partition)
                if info is None:
                    remaining.discard(tp)       # a deleted topic needs no marker
                elif info.leader < 0:
                    missing = True
                else:
                    by_leader.setdefault(info.leader, []).append(tp)
            if not remaining:
                self._complete(meta, committed)
                return
            if missing and not by_leader:
                self.clock.call_later(MARKER_RETRY_MS, send_round)
                return
            pending = set(by_leader)
            for leader, tps in by_leader.items():
                marker = TxnMarker(meta.producer_id, meta.producer_epoch, committed, tps, coordinator_epoch,
                                   meta.transactional_id)
                self.network.request(self.broker.broker_id, leader, "write_txn_markers",
                                     WriteTxnMarkersRequest([marker]),
                                     lambda resp, leader=leader: on_answer(leader, resp, pending))

        def on_answer(leader: int, resp, pending: set) -> None:
            if not self.broker.alive:
                return
            pending.discard(leader)
            # A lost request (Disconnected) leaves its partitions in `remaining` for the next round.
            if isinstance(resp, WriteTxnMarkersResponse):
                for (_pid, tp), error in resp.results.items():
                    if error == Errors.NONE:
                        remaining.discard(tp)
            if pending:
                return
            if not remaining:
                self._complete(meta, committed)
            else:
                self.clock.call_later(MARKER_RETRY_MS, send_round)

        send_round()

    def _complete(self, meta: TransactionMetadata, committed: bool) -> None:
        new = self._copy(meta, COMPLETE_COMMIT if committed else COMPLETE_ABORT)
        new.partitions = set()

        def written(error: Errors) -> None:
            meta.pending = False
            if error != Errors.NONE:
                self.clock.call_later(MARKER_RETRY_MS, self._complete, meta, committed)
                return
            self.txns[meta.transactional_id] = new
            self.events.emit(EventKind.TXN_COMPLETED,
                             f"Transaction of {meta.transactional_id} is {new.state}: every partition has its "
                             f"{'COMMIT' if committed else 'ABORT'} marker, so read_committed consumers may read "
                             f"past it{'' if committed else ' and skip its records'}.",
                             transactional_id=meta.transactional_id, state=new.state, committed=committed,
                             broker=self.broker.broker_id, partitions=[str(tp) for tp in sorted(meta.partitions)])

        meta.pending = True
        self._write(new, written)

    # -- timeouts -------------------------------------------------------------------------
    def _schedule_expiry(self) -> None:
        if self._timer is None:
            interval = int(self.broker.config.get("transaction.abort.timed.out.transaction.cleanup.interval.ms"))
            self._timer = self.clock.call_later(interval, self._expire)

    def _expire(self) -> None:
        self._timer = None
        if not self.broker.alive or not self.coordinator_epochs:
            return
        now = self.clock.now
        for meta in list(self.txns.values()):
            if (meta.state == ONGOING and not meta.pending and self.owns(meta.transactional_id)
                    and now - meta.txn_start_ms > meta.timeout_ms):
                self._abort_with_bump(meta, f"it was open longer than transaction.timeout.ms ({meta.timeout_ms} ms)")
        self._schedule_expiry()

    # -- writing ----------------------------------------------------------------------------
    def _copy(self, meta: TransactionMetadata, state: str) -> TransactionMetadata:
        return TransactionMetadata(meta.transactional_id, meta.producer_id, meta.producer_epoch, meta.timeout_ms,
                                   state, set(meta.partitions), meta.txn_start_ms, self.clock.now)

    def _write(self, meta: TransactionMetadata, done) -> None:
        key = json.dumps({"transactionalId": meta.transactional_id}).encode()
        record = Record(key, meta.to_value(), (), self.clock.now)
        self.broker.coordinator_append(self.partition_of(meta.transactional_id), [record], done,
                                       f"transaction state {meta.state} of {meta.transactional_id}",
                                       topic=TRANSACTION_STATE_TOPIC)

