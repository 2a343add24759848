"""What the controller decides: Kafka's rules for topics, configs, brokers and elections.

Mixed into both controllers (the KRaft `QuorumController` and the ZooKeeper-mode
`ZkController`): each handler validates a request against the controller's
current `image` and returns a `ControllerResult` (records + response) without
touching state; only replaying the records changes anything.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from .config import validate_broker_config, validate_topic_config
from .elections import (NO_LEADER, Rules, build_change, changes_for_fenced_broker, changes_for_unclean_restart,
                        changes_for_unfenced_broker)
from .errors import Errors, KafkaError
from .metadata import (ConfigRecord, FenceBrokerRecord, MetadataRecord, PartitionRecord, RegisterBrokerRecord,
                       RemoveTopicRecord, TopicRecord, UnfenceBrokerRecord)
from .protocol import (CreatePartitionsRequest, CreatePartitionsResponse, CreateTopicsRequest,
                       CreateTopicsResponse, DeleteTopicsRequest, DeleteTopicsResponse,
                       IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse, TopicResult)
from .topics import (COLLISION_WARNING, assign_replicas_rack_unaware, has_collision_chars,
                     unify_collision_chars, validate_topic_name)


@dataclass(slots=True)
class ControllerResult:
    records: list[MetadataRecord]
    response: Any


@dataclass(slots=True)
class AlterPartition:
    """A leader asking to change a partition's ISR (Kafka's AlterPartition API)."""

    broker_id: int
    topic: str
    partition: int
    leader_epoch: int
    new_isr: tuple[int, ...]


class ControllerDecisions:
    # ELR is a KRaft feature (KIP-966); ZooKeeper mode never had it.
    elr_supported = True

    # -- helpers -------------------------------------------------------------
    def _new_topic_id(self) -> str:
        raw = bytes(self.rng.getrandbits(8) for _ in range(16))
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def usable_brokers(self) -> list[int]:
        return sorted(b for b, info in self.image.brokers.items() if not info.fenced)

    def _setting(self, topic: str | None, name: str):
        t = self.image.topics.get(topic) if topic else None
        if t is not None and name in t.configs:
            return t.configs[name]
        return self.image.broker_configs.get(name, self.broker_config.get(name))

    def _rules(self, usable: set[int], unclean_shutdown: frozenset[int] = frozenset()) -> Rules:
        topics = list(self.image.topics)
        return Rules(usable, self.elr_supported and bool(self._setting(None, "eligible.leader.replicas.version")),
                     {t: int(self._setting(t, "min.insync.replicas")) for t in topics},
                     {t: bool(self._setting(t, "unclean.leader.election.enable")) for t in topics},
                     unclean_shutdown)

    # -- handlers (decide, never mutate) ---------------------------------------
    def register_broker(self, broker_id: int, fenced: bool = False, incarnation: int = 0) -> ControllerResult:
        records: list[MetadataRecord] = [RegisterBrokerRecord(broker_id, fenced, incarnation)]
        known = self.image.brokers.get(broker_id)
        if known is not None and known.incarnation != incarnation:
            # A new incarnation without a clean shutdown: it may have lost unflushed
            # records, so it may no longer be elected from the ELR (KAFKA-15586).
            rules = self._rules(set(self.usable_brokers()) - {broker_id}, frozenset({broker_id}))
            records += [c.record for c in changes_for_unclean_restart(self.image, broker_id, rules)]
        return ControllerResult(records, None)

    def fence_broker(self, broker_id: int) -> ControllerResult:
        rules = self._rules(set(self.usable_brokers()) - {broker_id})
        changes = changes_for_fenced_broker(self.image, broker_id, rules)
        return ControllerResult([FenceBrokerRecord(broker_id)] + [c.record for c in changes], None)

    def unfence_broker(self, broker_id: int) -> ControllerResult:
        rules = self._rules(set(self.usable_brokers()) | {broker_id})
        changes = changes_for_unfenced_broker(self.image, broker_id, rules)
        return ControllerResult([UnfenceBrokerRecord(broker_id)] + [c.record for c in changes], None)

    def elect_leaders(self, topic: str, partition: int, election: str) -> ControllerResult:
        """Kafka's ElectLeaders (KIP-460): `preferred` or `unclean`."""
        p = self.image.partition(topic, partition)
        if p is None:
            return ControllerResult([], (Errors.UNKNOWN_TOPIC_OR_PARTITION,
                                         f"The partition {topic}-{partition} does not exist."))
        if election == "preferred" and p.leader == p.replicas[0]:
            return ControllerResult([], (Errors.ELECTION_NOT_NEEDED,
                                         f"Leader election not needed for topic partition {topic}-{partition}: "
                                         f"broker {p.leader}, the preferred replica, already leads it."))
        if election == "unclean" and p.leader != NO_LEADER:
            return ControllerResult([], (Errors.ELECTION_NOT_NEEDED,
                                         f"Leader election not needed for topic partition {topic}-{partition}: "
                                         f"it has a leader (broker {p.leader}); an unclean election only "
                                         "applies to an offline partition."))
        change = build_change(topic, self.image.topics[topic].topic_id, p, list(p.isr),
                              self._rules(set(self.usable_brokers())), election)
        if change is None or change.record.leader is None:
            if election == "preferred":
                return ControllerResult([], (Errors.PREFERRED_LEADER_NOT_AVAILABLE,
                                             f"Failed to elect leader for partition {topic}-{partition} under "
                                             f"strategy PreferredReplicaPartitionLeaderElectionStrategy: broker "
                                             f"{p.replicas[0]} is not alive or not in the ISR."))
            return ControllerResult([], (Errors.ELIGIBLE_LEADERS_NOT_AVAILABLE,
                                         f"Failed to elect leader for partition {topic}-{partition} under strategy "
                                         "UncleanLeaderElectionStrategy: no replica of it is alive."))
        return ControllerResult([change.record], (Errors.NONE, ""))

    def alter_partition(self, req: AlterPartition) -> ControllerResult:
        p = self.image.partition(req.topic, req.partition)
        if p is None:
            return ControllerResult([], Errors.UNKNOWN_TOPIC_OR_PARTITION)
        if p.leader != req.broker_id or p.leader_epoch != req.leader_epoch:
            return ControllerResult([], Errors.FENCED_LEADER_EPOCH)
        fenced = {b for b, info in self.image.brokers.items() if info.fenced}
        if any(r in fenced and r not in p.isr for r in req.new_isr):
            # Kafka refuses to add a fenced broker to the ISR (KIP-841).
            return ControllerResult([], Errors.INELIGIBLE_REPLICA)
        if list(req.new_isr) == p.isr:
            return ControllerResult([], Errors.NONE)
        change = build_change(req.topic, self.image.topics[req.topic].topic_id, p, list(req.new_isr),
                              self._rules(set(self.usable_brokers())))
        return ControllerResult([change.record] if change else [], Errors.NONE)

    def create_topics(self, req: CreateTopicsRequest) -> ControllerResult:
        records: list[MetadataRecord] = []
        results: list[TopicResult] = []
        planned: set[str] = set()
        for t in req.topics:
            try:
                new, result = self._create_topic(t.name, t.num_partitions, t.replication_factor,
                                                 t.configs, planned)
            except KafkaError as exc:
                results.append(TopicResult(t.name, exc.error, exc.message))
                continue
            planned.add(t.name)
            results.append(result)
            if not req.validate_only:
                records.extend(new)
        return ControllerResult(records, CreateTopicsResponse(results))

    def _create_topic(self, name: str, partitions: int, rf: int, configs: dict, planned: set[str]):
        validate_topic_name(name)
        if name in self.image.topics or name in planned:
            raise KafkaError(Errors.TOPIC_ALREADY_EXISTS, f"Topic '{name}' already exists.")
        unified = unify_collision_chars(name)
        for other in list(self.image.topics) + list(planned):
            if unify_collision_chars(other) == unified:
                raise KafkaError(Errors.INVALID_TOPIC_EXCEPTION,
                                 f"Topic '{name}' collides with existing topic: {other}")
        if partitions == -1:
            partitions = self.broker_config.get("num.partitions")
        if rf == -1:
            rf = self.broker_config.get("default.replication.factor")
        if partitions <= 0:
            raise KafkaError(Errors.INVALID_PARTITIONS,
                             "Number of partitions was set to an invalid non-positive value.")
        if rf <= 0:
            raise KafkaError(Errors.INVALID_REPLICATION_FACTOR,
                             "Replication factor must be larger than 0, or -1 to use the default value.")
        brokers = self.usable_brokers()
        if rf > len(brokers):
            raise KafkaError(Errors.INVALID_REPLICATION_FACTOR,
                             f"Unable to replicate the partition {rf} time(s): The target replication "
                             f"factor of {rf} cannot be reached because only {len(brokers)} broker(s) "
                             "are registered.")
        parsed = validate_topic_config(configs)
        topic_id = self._new_topic_id()
        assignment = assign_replicas_rack_unaware(partitions, rf, brokers, self.rng)
        records: list[MetadataRecord] = [TopicRecord(name, topic_id)]
        for key, value in parsed.items():
            records.append(ConfigRecord("topic", name, key, value))
        for p, replicas in enumerate(assignment):
            records.append(PartitionRecord(topic_id, p, tuple(replicas), tuple(replicas), replicas[0]))
        warning = COLLISION_WARNING if has_collision_chars(name) else None
        return records, TopicResult(name, topic_id=topic_id, num_partitions=partitions,
                                    replication_factor=rf, warning=warning)

    def create_partitions(self, req: CreatePartitionsRequest) -> ControllerResult:
        records: list[MetadataRecord] = []
        results: list[TopicResult] = []
        for t in req.topics:
            topic = self.image.topics.get(t.name)
            if topic is None:
                results.append(TopicResult(t.name, Errors.UNKNOWN_TOPIC_OR_PARTITION,
                                           f"The topic '{t.name}' does not exist."))
                continue
            current = len(topic.partitions)
            if t.count < current:
                results.append(TopicResult(t.name, Errors.INVALID_PARTITIONS,
                                           f"The topic {t.name} currently has {current} partition(s); "
                                           f"{t.count} would not be an increase."))
                continue
            if t.count == current:
                results.append(TopicResult(t.name, Errors.INVALID_PARTITIONS,
                                           f"Topic already has {current} partition(s)."))
                continue
            rf = len(topic.partitions[0].replicas)
            brokers = self.usable_brokers()
            if rf > len(brokers):
                results.append(TopicResult(t.name, Errors.INVALID_REPLICATION_FACTOR,
                                           f"Unable to replicate the partition {rf} time(s): only "
                                           f"{len(brokers)} broker(s) are registered."))
                continue
            # Kafka keeps the walk going from where partition 0's leader started.
            ids = sorted(brokers)
            first = topic.partitions[0].replicas[0]
            start = ids.index(first) if first in ids else -1
            assignment = assign_replicas_rack_unaware(t.count - current, rf, brokers, self.rng,
                                                      fixed_start_index=start, start_partition_id=current)
            results.append(TopicResult(t.name, num_partitions=t.count, replication_factor=rf))
            if not req.validate_only:
                for i, replicas in enumerate(assignment):
                    records.append(PartitionRecord(topic.topic_id, current + i, tuple(replicas),
                                                   tuple(replicas), replicas[0]))
        return ControllerResult(records, CreatePartitionsResponse(results))

    def delete_topics(self, req: DeleteTopicsRequest) -> ControllerResult:
        records: list[MetadataRecord] = []
        results: list[TopicResult] = []
        for name in req.topic_names:
            topic = self.image.topics.get(name)
            if topic is None:
                results.append(TopicResult(name, Errors.UNKNOWN_TOPIC_OR_PARTITION,
                                           "This server does not host this topic-partition."))
                continue
            records.append(RemoveTopicRecord(topic.topic_id))
            results.append(TopicResult(name, topic_id=topic.topic_id))
        return ControllerResult(records, DeleteTopicsResponse(results))

    def alter_configs(self, req: IncrementalAlterConfigsRequest) -> ControllerResult:
        records: list[MetadataRecord] = []
        results: list[TopicResult] = []
        for res in req.resources:
            try:
                if res.resource_type == "topic":
                    if res.resource_name not in self.image.topics:
                        raise KafkaError(Errors.UNKNOWN_TOPIC_OR_PARTITION,
                                         f"The topic '{res.resource_name}' does not exist.")
                    setting = {k: v for k, v in res.configs.items() if v is not None}
                    parsed = validate_topic_config(setting)
                else:
                    parsed = validate_broker_config({k: v for k, v in res.configs.items() if v is not None})
            except KafkaError as exc:
                results.append(TopicResult(res.resource_name, exc.error, exc.message))
                continue
            results.append(TopicResult(res.resource_name))
            if not req.validate_only:
                for key, value in parsed.items():
                    records.append(ConfigRecord(res.resource_type, res.resource_name, key, value))
                for key, value in res.configs.items():
                    if value is None:
                        records.append(ConfigRecord(res.resource_type, res.resource_name, key, None))
        return ControllerResult(records, IncrementalAlterConfigsResponse(results))

