"""KRaft metadata records and the image built by replaying them.

The controller decides by emitting records; the controller and every broker
build their view of the cluster by replaying the same records in order
(Kafka's `__cluster_metadata` log and `MetadataImage`). Nothing else mutates
an image.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union


@dataclass(frozen=True)
class RegisterBrokerRecord:
    broker_id: int
    fenced: bool = False
    incarnation: int = 0


@dataclass(frozen=True)
class FenceBrokerRecord:
    broker_id: int


@dataclass(frozen=True)
class UnfenceBrokerRecord:
    broker_id: int


@dataclass(frozen=True)
class TopicRecord:
    name: str
    topic_id: str


@dataclass(frozen=True)
class PartitionRecord:
    topic_id: str
    partition: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    leader: int
    leader_epoch: int = 0
    partition_epoch: int = 0


@dataclass(frozen=True)
class PartitionChangeRecord:
    """Only the fields that change are set; a new leader bumps the leader epoch."""

    topic_id: str
    partition: int
    leader: int | None = None          # None: unchanged; -1: no leader
    isr: tuple[int, ...] | None = None
    elr: tuple[int, ...] | None = None
    last_known_elr: tuple[int, ...] | None = None


@dataclass(frozen=True)
class ConfigRecord:
    resource_type: str                 # "topic" or "broker"
    resource_name: str
    name: str
    value: Any                         # None removes the override


@dataclass(frozen=True)
class RemoveTopicRecord:
    topic_id: str


@dataclass(frozen=True)
class LeaderChangeRecord:
    """The control record a new quorum leader writes first in its epoch (Kafka's LeaderChangeMessage)."""

    leader_id: int
    epoch: int
    voters: tuple[int, ...]


MetadataRecord = Union[RegisterBrokerRecord, FenceBrokerRecord, UnfenceBrokerRecord, TopicRecord,
                       PartitionRecord, PartitionChangeRecord, ConfigRecord, RemoveTopicRecord,
                       LeaderChangeRecord]


@dataclass(slots=True)
class PartitionInfo:
    partition: int
    replicas: list[int]
    isr: list[int]
    leader: int
    leader_epoch: int = 0
    partition_epoch: int = 0
    elr: list[int] = field(default_factory=list)
    last_known_elr: list[int] = field(default_factory=list)

    @property
    def preferred_leader(self) -> int:
        return self.replicas[0]


@dataclass(slots=True)
class TopicInfo:
    name: str
    topic_id: str
    partitions: list[PartitionInfo] = field(default_factory=list)
    configs: dict[str, Any] = field(default_factory=dict)

    @property
    def internal(self) -> bool:
        return self.name.startswith("__")


@dataclass(slots=True)
class BrokerInfo:
    broker_id: int
    fenced: bool = False
    incarnation: int = 0


class MetadataImage:
    """A replica of cluster metadata at one metadata-log offset."""

    def __init__(self) -> None:
        self.offset = -1
        self.brokers: dict[int, BrokerInfo] = {}
        self.topics: dict[str, TopicInfo] = {}
        self.topics_by_id: dict[str, TopicInfo] = {}
        self.broker_configs: dict[str, Any] = {}

    def partition(self, topic: str, partition: int) -> PartitionInfo | None:
        t = self.topics.get(topic)
        if t is None or not 0 <= partition < len(t.partitions):
            return None
        return t.partitions[partition]

    def replay(self, offset: int, record: MetadataRecord) -> tuple[str, Any]:
        """Apply one record; returns (what changed, detail) for the caller to react to."""
        self.offset = offset
        if isinstance(record, PartitionChangeRecord):
            topic = self.topics_by_id[record.topic_id]
            p = topic.partitions[record.partition]
            old_leader = p.leader
            if record.isr is not None:
                p.isr = list(record.isr)
            if record.elr is not None:
                p.elr = list(record.elr)
            if record.last_known_elr is not None:
                p.last_known_elr = list(record.last_known_elr)
            if record.leader is not None and record.leader != old_leader:
                p.leader = record.leader
                p.leader_epoch += 1
            p.partition_epoch += 1
            return "partition_change", (topic.name, p, old_leader)
        if isinstance(record, PartitionRecord):
            topic = self.topics_by_id[record.topic_id]
            p = PartitionInfo(record.partition, list(record.replicas), list(record.isr), record.leader,
                              record.leader_epoch, record.partition_epoch)
            while len(topic.partitions) <= record.partition:
                topic.partitions.append(p)
            topic.partitions[record.partition] = p
            return "partition", (topic.name, p)
        if isinstance(record, TopicRecord):
            t = TopicInfo(record.name, record.topic_id)
            self.topics[record.name] = t
            self.topics_by_id[record.topic_id] = t
            return "topic", t
        if isinstance(record, RemoveTopicRecord):
            t = self.topics_by_id.pop(record.topic_id)
            del self.topics[t.name]
            return "remove_topic", t
        if isinstance(record, ConfigRecord):
            target = self.broker_configs if record.resource_type == "broker" \
                else self.topics[record.resource_name].configs
            if record.value is None:
                target.pop(record.name, None)
            else:
                target[record.name] = record.value
            return "config", record
        if isinstance(record, LeaderChangeRecord):
            return "leader_change", record
        if isinstance(record, RegisterBrokerRecord):
            self.brokers[record.broker_id] = BrokerInfo(record.broker_id, record.fenced, record.incarnation)
            return "broker", record.broker_id
        if isinstance(record, FenceBrokerRecord):
            self.brokers[record.broker_id].fenced = True
            return "fence", record.broker_id
        if isinstance(record, UnfenceBrokerRecord):
            self.brokers[record.broker_id].fenced = False
            return "unfence", record.broker_id
        raise TypeError(f"unknown metadata record {record!r}")


def describe_record(record: MetadataRecord, image: "MetadataImage") -> str:
    """A short, learner-facing line for one metadata record (the UI's metadata log)."""
    name = type(record).__name__
    if isinstance(record, (PartitionRecord, PartitionChangeRecord)):
        t = image.topics_by_id.get(record.topic_id)
        where = f"{t.name if t else record.topic_id[:6]}/{record.partition}"
        if isinstance(record, PartitionRecord):
            return f"{name} {where} replicas={list(record.replicas)} leader={record.leader}"
        parts = []
        if record.leader is not None:
            parts.append(f"leader={record.leader}")
        if record.isr is not None:
            parts.append(f"isr={list(record.isr)}")
        if record.elr is not None:
            parts.append(f"elr={list(record.elr)}")
        return f"{name} {where} {' '.join(parts)}".rstrip()
    if isinstance(record, (RegisterBrokerRecord, FenceBrokerRecord, UnfenceBrokerRecord)):
        return f"{name} broker={record.broker_id}"
    if isinstance(record, TopicRecord):
        return f"{name} {record.name}"
    if isinstance(record, RemoveTopicRecord):
        t = image.topics_by_id.get(record.topic_id)
        return f"{name} {t.name if t else record.topic_id[:6]}"
    if isinstance(record, LeaderChangeRecord):
        return f"LeaderChange leader={record.leader_id} epoch={record.epoch}"
    if isinstance(record, ConfigRecord):
        return f"{name} {record.resource_type}:{record.resource_name} {record.name}={record.value}"
    return name
