"""A broker's part in idempotence and transactions.

Mixed into `Broker`:
- producer ids: InitProducerId without a transactional.id is answered by any
  broker, from a block of ids the controller handed it (Kafka's
  `ProducerIdManager`, KIP-730); with one, by the transaction coordinator;
- per-partition producer state (`ProducerStateManager`), derived from each
  replica's log, which the produce path consults to refuse duplicates,
  gaps in sequence numbers and fenced epochs, and the fetch path to find
  the last stable offset and the aborted transactions;
- WriteTxnMarkers: a partition leader appends the COMMIT or ABORT control
  record the transaction coordinator asks for, and answers once the in-sync
  replicas have it.
"""

from __future__ import annotations

from .errors import Errors
from .events import EventKind
from .network import Envelope
from .producer_state import ProducerStateManager
from .protocol import TopicPartition
from .records import RecordBatch
from .replication import DelayedProduce
from .txn_coordinator import TXN_APIS, TransactionCoordinator
from .txn_protocol import (InitProducerIdRequest, InitProducerIdResponse, WriteTxnMarkersRequest,
                           WriteTxnMarkersResponse, end_txn_marker)

PRODUCER_ID_BLOCK_SIZE = 1000          # Kafka's ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE
BROKER_TXN_APIS = TXN_APIS | {"init_producer_id", "write_txn_markers"}


class ProducerIdBlocks:
    """The controller's ledger of producer id blocks: each block goes to one broker, once.

    In Kafka a broker asks the active controller (AllocateProducerIds), which
    commits the next block to the metadata log; here the ledger is handed out
    directly, with the same numbers: blocks of 1000 from 0, never reused.
    """

    def __init__(self) -> None:
        self.next_start = 0

    def next_block(self) -> range:
        start = self.next_start
        self.next_start += PRODUCER_ID_BLOCK_SIZE
        return range(start, start + PRODUCER_ID_BLOCK_SIZE)


class ProducerIdManager:
    """One broker process's current block (a restarted broker takes a new one)."""

    def __init__(self, blocks: ProducerIdBlocks) -> None:
        self.blocks = blocks
        self._ids = iter(())

    def allocate(self) -> int:
        pid = next(self._ids, None)
        if pid is None:
            self._ids = iter(self.blocks.next_block())
            pid = next(self._ids)
        return pid


class BrokerTxn:
    def init_txn(self, blocks: ProducerIdBlocks) -> None:
        self.producer_id_blocks = blocks
        self.producer_ids = ProducerIdManager(blocks)
        self.producer_states: dict[TopicPartition, ProducerStateManager] = {}
        self.txn_coordinator = TransactionCoordinator(self)

    def txn_killed(self) -> None:
        """Process state goes with the process; the logs it is derived from stay."""
        self.producer_states = {}
        self.producer_ids = ProducerIdManager(self.producer_id_blocks)
        self.txn_coordinator.shutdown()

    def producer_state(self, tp: TopicPartition) -> ProducerStateManager | None:
        log = self.disk.get(tp)
        if log is None:
            return None
        state = self.producer_states.get(tp)
        if state is None:
            state = self.producer_states[tp] = ProducerStateManager()
        return state.sync(log)

    def last_stable_offset(self, tp: TopicPartition) -> int:
        log = self.disk[tp]
        return self.producer_state(tp).last_stable_offset(log.high_watermark)

    # -- requests ------------------------------------------------------------------
    def handle_txn_request(self, env: Envelope) -> None:
        if env.api == "init_producer_id":
            req: InitProducerIdRequest = env.body
            if req.transactional_id is not None:
                self.txn_coordinator.handle(env)
                return
            pid = self.producer_ids.allocate()
            self.events.emit(EventKind.PRODUCER_ID_ASSIGNED,
                             f"Broker {self.broker_id} gave an idempotent producer ({req.client_id}) producer id "
                             f"{pid}, epoch 0: its batches now carry that id and a sequence number per partition, "
                             "so the leaders can throw away a batch sent twice.",
                             broker=self.broker_id, producer=req.client_id, producer_id=pid, producer_epoch=0)
            self.network.respond(env, InitProducerIdResponse(Errors.NONE, pid, 0))
        elif env.api == "write_txn_markers":
            self._write_txn_markers(env)
        else:
            self.txn_coordinator.handle(env)

    def _write_txn_markers(self, env: Envelope) -> None:
        req: WriteTxnMarkersRequest = env.body
        results: dict = {}
        waiting: list[tuple[tuple, int, object]] = []
        for marker in req.markers:
            for tp in marker.partitions:
                key = (marker.producer_id, tp)
                error, state = self._leader_for(tp)
                if state is None:
                    results[key] = error
                    continue
                log = state.log
                record = end_txn_marker(marker.committed, marker.coordinator_epoch, self.clock.now)
                batch = RecordBatch([record], producer_id=marker.producer_id, producer_epoch=marker.producer_epoch,
                                    is_transactional=True, is_control=True)
                stamped = batch.stamped(log.log_end_offset, state.leader_epoch, None)
                self.log_append(tp, log, stamped)
                kind = "COMMIT" if marker.committed else "ABORT"
                self.events.emit(EventKind.TXN_MARKER_WRITTEN,
                                 f"Leader {self.broker_id} wrote a {kind} marker for {marker.transactional_id} "
                                 f"(producer id {marker.producer_id}) to {tp} at offset {stamped.base_offset}: a "
                                 "control record that takes an offset but that no application ever sees.",
                                 topic=tp.topic, partition=tp.partition, broker=self.broker_id,
                                 offset=stamped.base_offset, committed=marker.committed,
                                 transactional_id=marker.transactional_id, producer_id=marker.producer_id)
                if tp.topic == "__consumer_offsets":
                    self.group_coordinator.on_txn_marker(tp.partition, marker.producer_id, marker.committed)
                results[key] = Errors.NONE
                waiting.append((key, stamped.next_offset, state))
                self._wake_followers(tp)
        if not waiting:
            self.network.respond(env, WriteTxnMarkersResponse(results))
            return
        remaining = {key for key, _, _ in waiting}

        def one_done(key, error: Errors) -> None:
            if error != Errors.NONE:
                results[key] = error
            remaining.discard(key)
            if not remaining:
                timer.cancel()
                self.network.respond(env, WriteTxnMarkersResponse(results))

        parked = [(key, DelayedProduce(required, lambda err, key=key: one_done(key, err)), state)
                  for key, required, state in waiting]
        timer = self.clock.call_later(int(self.config.get("offsets.commit.timeout.ms")), self._expire_markers,
                                      parked)
        for _key, delayed, state in parked:
            delayed.timer = timer
            state.delayed.append(delayed)
        for _key, _delayed, state in parked:
            self._maybe_advance_hw(state)

    def _expire_markers(self, parked) -> None:
        for _key, delayed, state in parked:
            if delayed in state.delayed:
                state.delayed.remove(delayed)
                delayed.timer = None
                delayed.complete(Errors.REQUEST_TIMED_OUT)
