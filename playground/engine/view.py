"""The read-only face of a cluster, for views, reports and checks.

Everything here is computed from engine state on each call and returned as
plain values (or logs to read, never to write), so nothing outside the
engine keeps a second copy of offsets or ISR. A view of a real cluster can
later offer the same methods.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .log import PartitionLog
from .protocol import TopicPartition


@dataclass(frozen=True)
class BrokerView:
    broker_id: int
    alive: bool
    fenced: bool
    isolated: bool = False
    replication_delay: int = 0      # ms a slowed broker waits after each fetch response (slow_broker)


@dataclass(frozen=True)
class ControllerView:
    """One member of the control plane: a KRaft voter, or a ZooKeeper ensemble node."""

    node_id: int
    alive: bool
    role: str               # KRaft: leader | follower | candidate | unattached; ZooKeeper: zookeeper
    epoch: int              # the Raft epoch (KRaft) or the controller epoch (ZooKeeper)
    log_end_offset: int
    committed_offset: int   # metadata records known to a majority (the log's high watermark)


@dataclass(frozen=True)
class ZombieLeadership:
    """A broker that still acts as leader at an epoch the controller has moved past."""

    broker_id: int
    topic: str
    partition: int
    believed_epoch: int
    current_epoch: int


@dataclass(frozen=True)
class PartitionView:
    topic: str
    partition: int
    leader: int
    leader_epoch: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    elr: tuple[int, ...]
    last_known_elr: tuple[int, ...]
    high_watermark: int
    log_start_offset: int
    log_end_offsets: dict[int, int] = field(default_factory=dict)
    replica_high_watermarks: dict[int, int] = field(default_factory=dict)

    @property
    def tp(self) -> TopicPartition:
        return TopicPartition(self.topic, self.partition)


@dataclass(frozen=True)
class SegmentView:
    """One segment of one replica's log, oldest first; the last one is the active segment."""

    base_offset: int
    next_offset: int            # one past the last offset written to it
    size_bytes: int
    record_count: int           # records present (fewer than the offset span once compacted)
    created_ms: int
    max_timestamp: int          # newest record timestamp, -1 when empty
    active: bool                # the segment appends go to: never deleted by retention, never cleaned
    cleaned: bool               # below the cleaner checkpoint: compacted at least once


@dataclass(frozen=True)
class CleanerView:
    """The log cleaner's state of one replica's log (Kafka's LogToClean and its checkpoint)."""

    compacted: bool                 # cleanup.policy contains compact
    first_dirty_offset: int         # the cleaner checkpoint: records below it are compacted
    first_uncleanable_offset: int   # the cleaner stops before the segment holding min(HW, active base)
    clean_bytes: int
    dirty_bytes: int
    dirty_ratio: float              # dirty / (clean + dirty); a pass runs above min.cleanable.dirty.ratio
    min_cleanable_dirty_ratio: float
    last_clean_ms: int | None       # virtual time of the last pass on this log, None if never


class ClusterView:
    def __init__(self, cluster) -> None:
        self._c = cluster

    @property
    def now(self) -> int:
        return self._c.clock.now

    @property
    def controller_id(self) -> int | None:
        return self._c.active_controller_id()

    @property
    def voters(self) -> list[int]:
        return sorted(self._c.controllers)

    @property
    def seed(self) -> int:
        return self._c.seed

    @property
    def controller_mode(self) -> str:
        return getattr(self._c, "controller_mode", "kraft")

    def brokers(self) -> list[BrokerView]:
        image = self._c.controller.image
        isolated = set(self._c.isolated_brokers())
        return [BrokerView(bid, b.alive, image.brokers.get(bid).fenced if bid in image.brokers else True,
                           bid in isolated, int(getattr(b, "replication_delay", 0) or 0))
                for bid, b in sorted(self._c.brokers.items())]

    def isolated_brokers(self) -> list[int]:
        return self._c.isolated_brokers()

    def controllers(self) -> list[ControllerView]:
        return self._c.controller_views()

    def metadata_log(self, last: int = 20) -> list[tuple[int, str]]:
        """The newest `last` records of the active controller's metadata log, described."""
        return self._c.metadata_log_tail(last)

    def zombie_leaders(self) -> list[ZombieLeadership]:
        image = self._c.controller.image
        out = []
        for bid, broker in sorted(self._c.brokers.items()):
            if not broker.alive:
                continue
            for tp, state in sorted(broker.leaders.items()):
                p = image.partition(tp.topic, tp.partition)
                if p is not None and (p.leader != bid or p.leader_epoch != state.leader_epoch):
                    out.append(ZombieLeadership(bid, tp.topic, tp.partition, state.leader_epoch,
                                                p.leader_epoch))
        return out

    def topic_names(self, include_internal: bool = True) -> list[str]:
        names = sorted(self._c.controller.image.topics)
        return names if include_internal else [n for n in names if not n.startswith("__")]

    def topic_id(self, topic: str) -> str | None:
        t = self._c.controller.image.topics.get(topic)
        return t.topic_id if t else None

    def topic_configs(self, topic: str) -> dict[str, Any]:
        t = self._c.controller.image.topics.get(topic)
        return dict(t.configs) if t else {}

    def topic_config(self, topic: str, name: str) -> Any:
        configs = self.topic_configs(topic)
        if name in configs:
            return configs[name]
        image = self._c.controller.image
        if name in image.broker_configs:
            return image.broker_configs[name]
        return self._c.broker_config.get(name)

    def replica_log(self, broker_id: int, topic: str, partition: int) -> PartitionLog | None:
        broker = self._c.brokers.get(broker_id)
        return broker.disk.get(TopicPartition(topic, partition)) if broker else None

    def _storage_log(self, topic: str, partition: int, broker: int | None) -> PartitionLog | None:
        if broker is None:
            return self.authoritative_log(topic, partition)
        return self.replica_log(broker, topic, partition)

    def segments(self, topic: str, partition: int, broker: int | None = None) -> list[SegmentView]:
        """The segments of a replica's log (the leader's, or the most advanced replica's, when
        `broker` is None), oldest first."""
        log = self._storage_log(topic, partition, broker)
        if log is None:
            return []
        segs = log.segments
        last = len(segs) - 1
        checkpoint = log.cleaner_checkpoint if log.last_clean_ms >= 0 else -1
        return [SegmentView(s.base_offset, s.next_offset, s.size_bytes, s.record_count, s.created_ms,
                            s.max_timestamp, i == last, i != last and s.next_offset <= checkpoint)
                for i, s in enumerate(segs)]

    def cleaner_state(self, topic: str, partition: int, broker: int | None = None) -> CleanerView | None:
        """Dirty ratio and cleaner checkpoint of a replica's log (as `segments` picks it)."""
        from .log_cleaner import cleanable_range
        log = self._storage_log(topic, partition, broker)
        if log is None:
            return None
        rng = cleanable_range(log)
        return CleanerView("compact" in str(self.topic_config(topic, "cleanup.policy")), rng.first_dirty_offset,
                           rng.first_uncleanable_offset, rng.clean_bytes, rng.cleanable_bytes, rng.dirty_ratio,
                           float(self.topic_config(topic, "min.cleanable.dirty.ratio")),
                           log.last_clean_ms if log.last_clean_ms >= 0 else None)

    def partitions(self, topic: str) -> list[PartitionView]:
        t = self._c.controller.image.topics.get(topic)
        if t is None:
            return []
        out = []
        for p in t.partitions:
            leos: dict[int, int] = {}
            hws: dict[int, int] = {}
            for r in p.replicas:
                log = self.replica_log(r, topic, p.partition)
                if log is not None:
                    leos[r] = log.log_end_offset
                    hws[r] = log.high_watermark
            auth = self.authoritative_log(topic, p.partition)
            out.append(PartitionView(topic, p.partition, p.leader, p.leader_epoch, tuple(p.replicas),
                                     tuple(p.isr), tuple(p.elr), tuple(p.last_known_elr),
                                     auth.high_watermark if auth else 0,
                                     auth.log_start_offset if auth else 0, leos, hws))
        return out

    def authoritative_log(self, topic: str, partition: int) -> PartitionLog | None:
        """The leader's log; with no leader, the most advanced replica's."""
        t = self._c.controller.image.topics.get(topic)
        if t is None or partition >= len(t.partitions):
            return None
        p = t.partitions[partition]
        if p.leader >= 0:
            log = self.replica_log(p.leader, topic, partition)
            if log is not None:
                return log
        logs = [self.replica_log(r, topic, partition) for r in p.replicas]
        logs = [lg for lg in logs if lg is not None]
        return max(logs, key=lambda lg: lg.log_end_offset) if logs else None

    def producers(self) -> dict[str, Any]:
        """Producer name -> ProducerView: sent, acked, failed, errors (the contract's counters), its
        settings, requests and batches sent, ack latency, its send loop's rate, and the record
        accumulator (open batches per partition, ready batches and in-flight requests per leader)."""
        from .producer_view import producer_view
        return {name: producer_view(self._c, p) for name, p in sorted(self._c.producers.items())}

    def producer_config(self, name: str) -> dict[str, Any]:
        return dict(self._c.producers[name].config)

    def consumers(self) -> dict[str, Any]:
        """Consumer name -> ConsumerView (group, state, polled, processed, assignment, positions)."""
        from .group_view import consumer_view
        return {name: consumer_view(c) for name, c in sorted(self._c.consumers.items())}

    def audit(self):
        return self._c.audit.summary(self)

    def acked_records(self, wanted) -> dict[tuple[str, int], Any]:
        """The acknowledged records for `wanted` (producer, serial) pairs, as the producer sent them.

        Lets a view show the key and value of a record the audit reports lost
        (`AuditSummary.lost` names only producer and serial).
        """
        wanted = set(wanted)
        return self._c.audit.acked_records(wanted) if wanted else {}

    def events(self, since: int = 0):
        return self._c.events.since(since)

    def in_flight(self) -> int:
        return self._c.clock.pending()

    # -- consumer groups ----------------------------------------------------------------
    def groups(self) -> dict[str, Any]:
        """Group id -> GroupView: state, generation, assignor, coordinator, leader, members
        (consumer name -> partitions), committed offsets and lag, like kafka-consumer-groups --describe."""
        from .group_view import describe_group, group_ids
        return {gid: describe_group(self._c, self, gid) for gid in group_ids(self._c)}

    def group(self, group_id: str):
        from .group_view import describe_group
        return describe_group(self._c, self, group_id)

    def group_committed(self, group_id: str) -> dict[TopicPartition, int]:
        """The group's committed offsets (what the audit's `skipped` compares with)."""
        from .group_view import committed_offsets
        return committed_offsets(self._c, self, group_id)

    # -- idempotence and transactions -----------------------------------------------------
    def partition_txn(self, topic: str, partition: int):
        """PartitionTxnView: last stable offset, open and aborted transactions of a partition."""
        from .txn_view import partition_txn
        return partition_txn(self, topic, partition)

    def transactions(self):
        """transactional.id -> TransactionView, as the transaction coordinators know them."""
        from .txn_view import transactions
        return transactions(self._c)

    def producer_txn(self, name: str):
        from .txn_view import producer_txn
        return producer_txn(self._c.producers[name])
