"""The KRaft controller: decides metadata changes and serves the metadata log.

Handlers validate a request against the current image and return a
`ControllerResult` (records + response) without touching state; `apply`
appends the records to `__cluster_metadata`, replays them into the
controller's image and wakes brokers waiting to fetch them (Kafka's
`QuorumController`: handlers produce records, replay is the only mutation).

This first version has a single active controller among the quorum voters;
the Raft election between voters extends `QuorumController` later without
changing how records are made or replayed.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass
from typing import Any

from .config import BrokerConfig, validate_broker_config, validate_topic_config
from .errors import Errors, KafkaError
from .events import EventKind, EventLog
from .metadata import (ConfigRecord, MetadataImage, MetadataRecord, PartitionRecord,
                       RegisterBrokerRecord, RemoveTopicRecord, TopicRecord)
from .network import Envelope, Network
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
class MetadataFetch:
    """A broker asking for metadata records from `fetch_offset` on (a Raft Fetch)."""

    broker_id: int
    fetch_offset: int
    max_wait_ms: int = 500


@dataclass(slots=True)
class MetadataFetchResponse:
    records: list[tuple[int, MetadataRecord]]
    high_watermark: int


class QuorumController:
    def __init__(self, node_id: int, voters: list[int], network: Network, events: EventLog,
                 rng: random.Random, broker_config: BrokerConfig) -> None:
        self.node_id = node_id
        self.voters = voters
        self.network = network
        self.clock = network.clock
        self.events = events
        self.rng = rng
        self.broker_config = broker_config
        self.image = MetadataImage()
        self.log: list[MetadataRecord] = []
        self._parked: list[tuple[Envelope, Any]] = []
        network.register(node_id, self.handle)

    # -- the metadata log ----------------------------------------------------
    def apply(self, result: ControllerResult, reason: str = "") -> Any:
        removed: dict[str, str] = {}
        for record in result.records:
            if isinstance(record, RemoveTopicRecord):
                removed[record.topic_id] = self.image.topics_by_id[record.topic_id].name
            offset = len(self.log)
            self.log.append(record)
            self.image.replay(offset, record)
        if result.records:
            self._explain(result.records, removed, reason)
            self._wake_fetchers()
        return result.response

    def handle(self, env: Envelope) -> None:
        if env.api == "create_topics":
            # A broker forwarding an auto-creation (Kafka's ForwardingManager).
            self.network.respond(env, self.apply(self.create_topics(env.body),
                                                 reason=f" because a client asked broker {env.src} for it "
                                                        "(auto.create.topics.enable=true)"))
            return
        if env.api == "metadata_fetch":
            req: MetadataFetch = env.body
            if req.fetch_offset < len(self.log) or req.max_wait_ms == 0:
                self._answer_fetch(env)
            else:
                timer = self.clock.call_later(req.max_wait_ms, self._expire_fetch, env)
                self._parked.append((env, timer))

    def _answer_fetch(self, env: Envelope) -> None:
        start = env.body.fetch_offset
        records = [(i, self.log[i]) for i in range(start, len(self.log))]
        self.network.respond(env, MetadataFetchResponse(records, len(self.log)))

    def _expire_fetch(self, env: Envelope) -> None:
        self._parked = [(e, t) for e, t in self._parked if e is not env]
        self._answer_fetch(env)

    def _wake_fetchers(self) -> None:
        parked, self._parked = self._parked, []
        for env, timer in parked:
            timer.cancel()
            self._answer_fetch(env)

    # -- helpers -------------------------------------------------------------
    def _new_topic_id(self) -> str:
        raw = bytes(self.rng.getrandbits(8) for _ in range(16))
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def usable_brokers(self) -> list[int]:
        return sorted(b for b, info in self.image.brokers.items() if not info.fenced)

    # -- handlers (decide, never mutate) ---------------------------------------
    def register_broker(self, broker_id: int) -> ControllerResult:
        return ControllerResult([RegisterBrokerRecord(broker_id)], None)

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

    # -- events ------------------------------------------------------------------
    def _explain(self, records: list[MetadataRecord], removed: dict[str, str], reason: str = "") -> None:
        """Emit the learner-facing events for records just applied."""
        topics_by_id = {t.topic_id: t for t in self.image.topics.values()}
        for r in records:
            if isinstance(r, TopicRecord):
                t = self.image.topics.get(r.name)
                n = len(t.partitions) if t else 0
                rf = len(t.partitions[0].replicas) if t and t.partitions else 0
                leaders = ", ".join(f"{p.partition}→{p.leader}" for p in t.partitions) if t else ""
                self.events.emit(EventKind.TOPIC_CREATED,
                                 f"Controller {self.node_id} created topic '{r.name}'{reason} with {n} "
                                 f"partition(s), replication factor {rf}; leaders by partition: {leaders}.",
                                 topic=r.name, partitions=n, replication_factor=rf)
            elif isinstance(r, RemoveTopicRecord):
                name = removed.get(r.topic_id, r.topic_id)
                self.events.emit(EventKind.TOPIC_DELETED,
                                 f"Controller {self.node_id} deleted topic '{name}'; every broker removes "
                                 "its replicas and their records.", topic=name)
            elif isinstance(r, ConfigRecord):
                shown = "its default" if r.value is None else r.value
                self.events.emit(EventKind.CONFIG_ALTERED,
                                 f"{r.name} on {r.resource_type} '{r.resource_name}' set to {shown}.",
                                 resource=r.resource_name, name=r.name, value=r.value)
            elif isinstance(r, PartitionRecord) and r.partition > 0:
                t = topics_by_id.get(r.topic_id)
                if t and not any(isinstance(x, TopicRecord) and x.topic_id == r.topic_id for x in records):
                    self.events.emit(EventKind.PARTITIONS_ADDED,
                                     f"Partition {t.name}/{r.partition} added on brokers "
                                     f"{', '.join(map(str, r.replicas))}, leader {r.leader}. Keys may now "
                                     "hash to a different partition than before.",
                                     topic=t.name, partition=r.partition, replicas=list(r.replicas))
