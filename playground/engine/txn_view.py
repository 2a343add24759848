"""Read-only views of idempotence and transactions, for the report and the window.

- per partition: the last stable offset next to the high watermark, the open
  transactions (producer id -> first offset) and the aborted ones;
- per transactional.id: what its coordinator knows (producer id, epoch,
  state, the partitions of the open transaction);
- per producer: whether it is idempotent or transactional, its producer id,
  epoch and transaction state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .producer_state import ProducerStateManager
from .protocol import TopicPartition


@dataclass(frozen=True)
class PartitionTxnView:
    last_stable_offset: int
    high_watermark: int
    open_transactions: dict[int, int] = field(default_factory=dict)      # producer id -> first offset
    aborted: tuple[tuple[int, int, int], ...] = ()                       # (producer id, first, marker offset)


@dataclass(frozen=True)
class TransactionView:
    transactional_id: str
    producer_id: int
    producer_epoch: int
    state: str
    partitions: tuple[str, ...]
    coordinator: int
    timeout_ms: int
    txn_start_ms: int


@dataclass(frozen=True)
class ProducerTxnView:
    idempotent: bool
    transactional_id: str | None
    producer_id: int
    producer_epoch: int
    state: str
    fenced: str | None


def partition_txn(view, topic: str, partition: int) -> PartitionTxnView | None:
    """Computed from the authoritative log (the leader's), as its broker would."""
    log = view.authoritative_log(topic, partition)
    if log is None:
        return None
    state = _producer_state(view, TopicPartition(topic, partition), log)
    return PartitionTxnView(state.last_stable_offset(log.high_watermark), log.high_watermark,
                            state.open_transactions(), tuple(tuple(a) for a in state.aborted))


def _producer_state(view, tp: TopicPartition, log) -> ProducerStateManager:
    """The producer state of `log`: the one its broker keeps and brings up to date batch by batch
    (a fresh replay of the whole log on every call grows with the log), else a replay."""
    for broker in view._c.brokers.values():
        if broker.disk.get(tp) is log:
            return broker.producer_state(tp)
    return ProducerStateManager().sync(log)


def transactions(cluster) -> dict[str, TransactionView]:
    out: dict[str, TransactionView] = {}
    for bid, broker in sorted(cluster.brokers.items()):
        if not broker.alive:
            continue
        for tid, meta in broker.txn_coordinator.txns.items():
            if not broker.txn_coordinator.owns(tid):
                continue                    # a former coordinator's leftover
            out[tid] = TransactionView(tid, meta.producer_id, meta.producer_epoch, meta.state,
                                       tuple(str(tp) for tp in sorted(meta.partitions)), bid, meta.timeout_ms,
                                       meta.txn_start_ms)
    return dict(sorted(out.items()))


def producer_txn(producer) -> ProducerTxnView:
    txn = producer.txn
    if txn is None:
        return ProducerTxnView(False, None, -1, -1, "-", None)
    fenced = txn.fatal[0].name if txn.fatal else None
    return ProducerTxnView(True, txn.transactional_id, txn.producer_id, txn.epoch,
                           "CLOSED" if producer.closed else txn.state, fenced)
