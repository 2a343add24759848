"""The producer's TransactionManager: producer id, sequence numbers and transactions.

An idempotent producer (Kafka 3+'s default) first asks a broker for a
producer id (InitProducerId), then numbers its records per partition: each
batch carries the producer id, epoch and the sequence number of its first
record, and keeps them when it is retried, so the leader can recognise a
batch it already wrote. Order is kept with up to 5 requests in flight: a
retried batch goes out again only when it is the oldest one in flight for
its partition, and nothing newer overtakes it (Kafka's
RecordAccumulator.shouldStopDrainBatchesForPartition).

A transactional producer (`transactional.id`) gets its producer id from its
transaction coordinator (initTransactions(), which bumps the epoch and so
fences any older instance), registers each partition with the coordinator
before its first batch there (AddPartitionsToTxn), may add a group's
offsets (sendOffsetsToTransaction), and ends with EndTxn commit or abort.
"""

from __future__ import annotations

from typing import Any, Callable

from .errors import Errors, KafkaError
from .events import EventKind
from .group_protocol import COORDINATOR_KEY_GROUP, FindCoordinatorRequest, FindCoordinatorResponse
from .network import Disconnected
from .protocol import TopicPartition
from .txn_protocol import (COORDINATOR_KEY_TRANSACTION, AddOffsetsToTxnRequest, AddPartitionsToTxnRequest,
                           AddPartitionsToTxnResponse, EndTxnRequest, InitProducerIdRequest, InitProducerIdResponse,
                           TxnOffsetCommitRequest, TxnOffsetCommitResponse, TxnResponse)

# Producer states (Kafka's TransactionManager.State).
UNINITIALIZED, INITIALIZING, READY = "UNINITIALIZED", "INITIALIZING", "READY"
IN_TRANSACTION, COMMITTING, ABORTING = "IN_TRANSACTION", "COMMITTING_TRANSACTION", "ABORTING_TRANSACTION"
ABORTABLE_ERROR, FATAL_ERROR = "ABORTABLE_ERROR", "FATAL_ERROR"
_COORDINATOR_GONE = (Errors.NOT_COORDINATOR, Errors.COORDINATOR_NOT_AVAILABLE, Errors.COORDINATOR_LOAD_IN_PROGRESS)

# Enum members looked up once: in Python 3.11 every Errors.X / EventKind.X goes through
# EnumType's __getattr__ hook, and these run for every record, batch or fetch.
_NONE = Errors.NONE


class TransactionManager:
    def __init__(self, producer) -> None:
        self.p = producer
        self.clock = producer.clock
        self.events = producer.events
        self.network = producer.network
        self.transactional_id: str | None = producer.config.get("transactional.id")
        self.timeout_ms = int(producer.config.get("transaction.timeout.ms", 60000))
        self.producer_id = -1
        self.epoch = -1
        self.state = UNINITIALIZED
        self.fatal: tuple[Errors, str] | None = None
        self.coordinator = -1
        self.next_sequence: dict[TopicPartition, int] = {}
        # batches given a sequence number and not done yet, per partition, in sequence order
        self.in_flight: dict[TopicPartition, list] = {}
        self.bump_needed = False             # a numbered batch failed: start a new epoch (KIP-360)
        self.last_acked: dict[TopicPartition, int] = {}     # highest sequence number acknowledged
        self.partitions: set[TopicPartition] = set()        # added to the current transaction
        self.offsets_added = False                          # ... and a group's offsets (AddOffsetsToTxn)
        self._adding: set[TopicPartition] = set()
        self._add_in_flight = False
        self.txn_failed: tuple[Errors, str] | None = None   # a send of this transaction failed
        self._ending: tuple[bool, Callable[[Errors, str], None]] | None = None
        self._next_broker = 0

    @property
    def transactional(self) -> bool:
        return self.transactional_id is not None

    # -- producer id ------------------------------------------------------------------
    def start(self) -> None:
        """KafkaProducer's constructor (idempotent) or initTransactions() (transactional)."""
        if self.state != UNINITIALIZED:
            return
        self.state = INITIALIZING
        self._init_producer_id()

    def _init_producer_id(self) -> None:
        req = InitProducerIdRequest(self.transactional_id, self.timeout_ms, client_id=self.p.name)
        if self.transactional:
            self._to_coordinator("init_producer_id", req, self._on_init)
        else:
            self._call(self._any_broker(), "init_producer_id", req, self._on_init)

    def _on_init(self, resp: Any) -> None:
        if isinstance(resp, InitProducerIdResponse) and resp.error == Errors.NONE:
            self.producer_id, self.epoch = resp.producer_id, resp.producer_epoch
            self.next_sequence.clear()
            self.state = READY
            self.p.on_ready()
        elif isinstance(resp, InitProducerIdResponse) and resp.error not in _COORDINATOR_GONE + (
                Errors.CONCURRENT_TRANSACTIONS,):
            self._fail_fatally(resp.error, resp.error_message or resp.error.name)
        else:
            self._after_backoff(self._init_producer_id)

    @property
    def has_producer_id(self) -> bool:
        return self.producer_id >= 0

    # -- sequence numbers and order ----------------------------------------------------
    def awaiting_retry(self) -> set[TopicPartition]:
        """Partitions with a numbered batch that waits to be sent again."""
        waiting = set()
        for tp, pending in self.in_flight.items():
            for b in pending:
                if not b.in_request:
                    waiting.add(tp)
                    break
        return waiting

    def may_send(self, batch, awaiting_retry: set[TopicPartition]) -> bool:
        """Whether this batch may go out now (see the module docstring); `awaiting_retry` as
        awaiting_retry() gives it, computed once per drain."""
        tp = batch.tp
        if self.transactional and tp not in self.partitions:
            self._adding.add(tp)
            self._maybe_add_partitions()
            return False
        if self.bump_needed:
            if any(self.p.in_flight.values()):
                return False                # wait for every request in flight to be answered
            self._bump_epoch()
        pending = self.in_flight.get(tp)
        if not pending:
            return True
        if batch.base_sequence >= 0:
            return pending[0] is batch
        # Nothing new overtakes a batch of the partition that waits to be sent again (Kafka keeps it
        # at the head of the partition's queue during its backoff).
        return tp not in awaiting_retry

    def _bump_epoch(self) -> None:
        """KIP-360: after a numbered batch failed for good (written or not, nobody knows), an idempotent
        producer starts epoch + 1 and numbers every partition from 0 again, so no gap blocks the
        leaders (Kafka's bumpIdempotentEpochAndResetIdIfNeeded)."""
        self.bump_needed = False
        self.epoch += 1
        self.next_sequence.clear()
        self.last_acked.clear()
        for pending in self.in_flight.values():
            for batch in pending:
                batch.base_sequence = -1
                batch.sequence_reset = False
        self.in_flight.clear()
        self.events.emit(EventKind.PRODUCER_ID_ASSIGNED,
                         f"Producer {self.p.name} gave up on a batch, so it moves to epoch {self.epoch} of producer "
                         f"id {self.producer_id} and numbers its batches from 0 again (KIP-360): the leaders "
                         "accept sequence 0 from a newer epoch.",
                         producer=self.p.name, producer_id=self.producer_id, producer_epoch=self.epoch, bumped=True)

    def assign(self, batch) -> None:
        """Give a batch its sequence number the first time it is sent (Kafka does it in drain())."""
        if batch.base_sequence < 0:
            seq = self.next_sequence.get(batch.tp, 0)
            batch.base_sequence = seq
            self.next_sequence[batch.tp] = seq + len(batch.records)
            self.in_flight.setdefault(batch.tp, []).append(batch)

    def batch_done(self, batch, error: Errors = Errors.NONE, message: str = "") -> None:
        pending = self.in_flight.get(batch.tp)
        if error == _NONE and batch.base_sequence >= 0:
            last = batch.base_sequence + len(batch.records) - 1
            self.last_acked[batch.tp] = max(last, self.last_acked.get(batch.tp, -1))
        if pending and batch in pending:
            pending.remove(batch)
            if error != _NONE and error not in (Errors.INVALID_PRODUCER_EPOCH, Errors.PRODUCER_FENCED):
                if self.transactional:
                    self._adjust_sequences(batch, pending)   # the transaction is aborted anyway
                else:
                    self.bump_needed = True
        if error != _NONE and self.transactional and self.state in (IN_TRANSACTION, COMMITTING):
            self.txn_failed = self.txn_failed or (error, message)
        if error != _NONE and error in (Errors.INVALID_PRODUCER_EPOCH, Errors.PRODUCER_FENCED):
            self._fail_fatally(Errors.PRODUCER_FENCED, message)
        self._maybe_finish_end()

    def _adjust_sequences(self, failed, pending: list) -> None:
        """A batch that failed for good was never written: the later batches of its partition move
        down by its record count, so the leader sees no gap (Kafka's adjustSequencesDueToFailedBatch)."""
        n = len(failed.records)
        self.next_sequence[failed.tp] = self.next_sequence.get(failed.tp, n) - n
        for later in pending:
            if later.base_sequence > failed.base_sequence:
                later.base_sequence -= n
                later.sequence_reset = True

    def retriable_out_of_order(self, batch) -> bool:
        """Kafka's TransactionManager.canRetry: OUT_OF_ORDER_SEQUENCE_NUMBER is retried unless the batch
        is the very next one after the last acknowledged sequence (then the leader lost records it had
        acknowledged, and retrying cannot help); a retried batch gives up at delivery.timeout.ms."""
        if self.bump_needed or batch.sequence_reset:
            return True
        return batch.base_sequence != self.last_acked.get(batch.tp, -1) + 1

    # -- transactions: the application's calls ---------------------------------------------
    def check_send(self) -> tuple[Errors, str] | None:
        """What stops send() now: None, or Kafka's error for it."""
        if self.fatal is not None:
            return self.fatal
        if not self.transactional:
            return None
        if self.state == ABORTABLE_ERROR:
            return Errors.INVALID_TXN_STATE, "the transaction hit an error and must be aborted"
        if self.state != IN_TRANSACTION:
            return Errors.INVALID_TXN_STATE, f"send() needs beginTransaction() first (the producer is {self.state})"
        return None

    def begin(self) -> None:
        if self.fatal is not None:
            raise KafkaError(*self.fatal)
        if self.state != READY:
            raise KafkaError(Errors.INVALID_TXN_STATE, f"beginTransaction() needs a READY producer; it is {self.state}")
        self.state = IN_TRANSACTION
        self.partitions = set()
        self.offsets_added = False
        self.txn_failed = None
        self.events.emit(EventKind.TXN_BEGUN,
                         f"Producer {self.p.name} began a transaction ({self.transactional_id}, producer id "
                         f"{self.producer_id}, epoch {self.epoch}). Nothing is sent to the coordinator until its "
                         "first record goes to a partition.",
                         producer=self.p.name, transactional_id=self.transactional_id)

    def end(self, commit: bool, done: Callable[[Errors, str], None]) -> None:
        """commitTransaction() / abortTransaction(): `done(error, sentence)` when it is over."""
        if self.fatal is not None:
            done(*self.fatal)
            return
        if commit and self.state == ABORTABLE_ERROR:
            done(Errors.INVALID_TXN_STATE, "a send in this transaction failed, so it can only be aborted")
            return
        if self.state not in (IN_TRANSACTION, ABORTABLE_ERROR):
            done(Errors.INVALID_TXN_STATE, f"there is no transaction to end (the producer is {self.state})")
            return
        self.state = COMMITTING if commit else ABORTING
        self._ending = (commit, done)
        if commit:
            self.p.flush_now()
        else:
            self.p.abort_unsent("the transaction is being aborted")
        self._maybe_finish_end()

    def _maybe_finish_end(self) -> None:
        if self._ending is None or self.p.has_pending():
            return
        commit, done = self._ending
        if commit and self.txn_failed is not None:
            self._ending = None
            self.state = ABORTABLE_ERROR
            error, message = self.txn_failed
            done(error, f"a send in the transaction failed ({message}); abort it")
            return
        if not self.partitions and not self.offsets_added:
            self._ended(commit, done)          # nothing was written: no coordinator round trip
            return
        req = EndTxnRequest(self.transactional_id, self.producer_id, self.epoch, commit)

        def on_end(resp: Any) -> None:
            if isinstance(resp, TxnResponse) and resp.error == Errors.NONE:
                self._ended(commit, done)
            elif isinstance(resp, TxnResponse) and resp.error == Errors.PRODUCER_FENCED:
                self._ending = None
                self._fail_fatally(resp.error, resp.error_message or "fenced")
                done(resp.error, resp.error_message or "fenced")
            else:
                self._ending = None
                self.state = ABORTABLE_ERROR
                error = resp.error if isinstance(resp, TxnResponse) else Errors.REQUEST_TIMED_OUT
                done(error, getattr(resp, "error_message", None) or error.name)

        self._ending = (commit, lambda e, m: None)      # no second EndTxn while this one is out
        self._to_coordinator("end_txn", req, on_end)

    def _ended(self, commit: bool, done) -> None:
        self._ending = None
        self.state = READY
        self.partitions = set()
        self.offsets_added = False
        self.events.emit(EventKind.TXN_ENDED,
                         f"Producer {self.p.name}'s {'commitTransaction' if commit else 'abortTransaction'}() "
                         "returned: the coordinator has recorded the decision and writes the markers.",
                         producer=self.p.name, transactional_id=self.transactional_id, committed=commit)
        done(Errors.NONE, "")

    def send_offsets(self, offsets: dict[TopicPartition, int], group_id: str, generation_id: int, member_id: str,
                     done: Callable[[Errors, str], None]) -> None:
        """sendOffsetsToTransaction(): AddOffsetsToTxn to the transaction coordinator, then TxnOffsetCommit
        to the group coordinator."""
        if self.state != IN_TRANSACTION:
            done(Errors.INVALID_TXN_STATE, f"sendOffsetsToTransaction() needs an open transaction ({self.state})")
            return
        add = AddOffsetsToTxnRequest(self.transactional_id, self.producer_id, self.epoch, group_id)

        def on_added(resp: Any) -> None:
            if not (isinstance(resp, TxnResponse) and resp.error == Errors.NONE):
                error = resp.error if isinstance(resp, TxnResponse) else Errors.REQUEST_TIMED_OUT
                self.txn_failed = (error, "AddOffsetsToTxn failed")
                done(error, getattr(resp, "error_message", None) or error.name)
                return
            self.offsets_added = True
            commit = TxnOffsetCommitRequest(self.transactional_id, group_id, self.producer_id, self.epoch,
                                            dict(offsets), generation_id, member_id)
            self._to_group_coordinator(group_id, commit, done)

        self._to_coordinator("add_offsets_to_txn", add, on_added)

    # -- AddPartitionsToTxn -------------------------------------------------------------------
    def _maybe_add_partitions(self) -> None:
        if self._add_in_flight or not self._adding or self.state not in (IN_TRANSACTION, COMMITTING):
            return
        tps = sorted(self._adding)
        self._add_in_flight = True
        req = AddPartitionsToTxnRequest(self.transactional_id, self.producer_id, self.epoch, tps)

        def on_added(resp: Any) -> None:
            self._add_in_flight = False
            if isinstance(resp, AddPartitionsToTxnResponse):
                errors = {e for e in resp.results.values() if e != Errors.NONE}
                if not errors:
                    self.partitions.update(tps)
                    self._adding.difference_update(tps)
                    self.p.on_ready()
                    return
                error = next(iter(errors))
                if error == Errors.PRODUCER_FENCED:
                    self._fail_fatally(error, resp.error_message or "fenced")
                    self.p.abort_unsent(resp.error_message or "fenced", error)
                    return
                if error not in (Errors.CONCURRENT_TRANSACTIONS,) + _COORDINATOR_GONE:
                    self.state = ABORTABLE_ERROR
                    self.txn_failed = (error, resp.error_message or error.name)
                    self.p.abort_unsent(f"AddPartitionsToTxn failed: {error.name}", error)
                    return
            self._after_backoff(self._maybe_add_partitions)

        self._to_coordinator("add_partitions_to_txn", req, on_added)

    # -- plumbing ----------------------------------------------------------------------------
    def _fail_fatally(self, error: Errors, message: str) -> None:
        if self.fatal is not None:
            return
        self.fatal = (Errors.PRODUCER_FENCED if error == Errors.INVALID_PRODUCER_EPOCH else error, message)
        self.state = FATAL_ERROR
        self.events.emit(EventKind.PRODUCER_FENCED,
                         f"Producer {self.p.name} is fenced ({self.fatal[0].name}): {message.rstrip('.')}. "
                         "A zombie can never write or commit again; the application must close it.",
                         producer=self.p.name, transactional_id=self.transactional_id, error=self.fatal[0].name)

    def _any_broker(self) -> int:
        alive = [b for b in self.p.bootstrap if self.network.is_alive(b)] or self.p.bootstrap
        self._next_broker += 1
        return alive[self._next_broker % len(alive)]

    def _after_backoff(self, fn: Callable[[], None]) -> None:
        self.clock.call_later(int(self.p.config["retry.backoff.ms"]), self._if_open, fn)

    def _if_open(self, fn: Callable[[], None]) -> None:
        if not self.p.closed:
            fn()

    def _call(self, dst: int, api: str, body: Any, on_response: Callable[[Any], None]) -> None:
        """One request with request.timeout.ms: `on_response` gets the answer or a Disconnected."""
        state = {"done": False}

        def finish(resp: Any) -> None:
            if state["done"] or self.p.closed:
                return
            state["done"] = True
            timer.cancel()
            on_response(resp)

        timer = self.clock.call_later(int(self.p.config["request.timeout.ms"]), finish,
                                      Disconnected("request.timeout.ms expired"))
        self.network.request(self.p.name, dst, api, body, finish)

    def _to_coordinator(self, api: str, body: Any, on_response: Callable[[Any], None]) -> None:
        """Send to the transaction coordinator, finding it first; lost coordinators are looked up again."""
        if self.coordinator < 0:
            self._find(self.transactional_id, COORDINATOR_KEY_TRANSACTION,
                       lambda node: self._set_coordinator(node, api, body, on_response))
            return

        def answered(resp: Any) -> None:
            error = getattr(resp, "error", None)
            if isinstance(resp, AddPartitionsToTxnResponse):
                error = next((e for e in resp.results.values() if e != Errors.NONE), Errors.NONE)
            if isinstance(resp, Disconnected) or error in _COORDINATOR_GONE:
                self.coordinator = -1
                self._after_backoff(lambda: self._to_coordinator(api, body, on_response))
            elif error == Errors.CONCURRENT_TRANSACTIONS:
                self._after_backoff(lambda: self._to_coordinator(api, body, on_response))
            else:
                on_response(resp)

        self._call(self.coordinator, api, body, answered)

    def _set_coordinator(self, node: int, api: str, body: Any, on_response) -> None:
        self.coordinator = node
        self._to_coordinator(api, body, on_response)

    def _find(self, key: str, key_type: int, found: Callable[[int], None]) -> None:
        broker = self._any_broker()

        def on_find(resp: Any) -> None:
            if isinstance(resp, FindCoordinatorResponse) and resp.error == Errors.NONE:
                found(resp.node_id)
            else:
                self._after_backoff(lambda: self._find(key, key_type, found))

        self._call(broker, "find_coordinator", FindCoordinatorRequest(key, key_type), on_find)

    def _to_group_coordinator(self, group_id: str, req: TxnOffsetCommitRequest,
                              done: Callable[[Errors, str], None]) -> None:
        def found(node: int) -> None:
            def answered(resp: Any) -> None:
                errors = set(resp.results.values()) - {Errors.NONE} if isinstance(resp, TxnOffsetCommitResponse) \
                    else {Errors.REQUEST_TIMED_OUT}
                error = next(iter(errors), Errors.NONE)
                if error in _COORDINATOR_GONE or error == Errors.REQUEST_TIMED_OUT:
                    self._after_backoff(lambda: self._to_group_coordinator(group_id, req, done))
                elif error != Errors.NONE:
                    self.txn_failed = (error, "TxnOffsetCommit failed")
                    done(error, error.name)
                else:
                    done(Errors.NONE, "")
            self._call(node, "txn_offset_commit", req, answered)

        self._find(group_id, COORDINATOR_KEY_GROUP, found)
