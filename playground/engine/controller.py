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
from .elections import changes_for_fenced_broker, changes_for_unfenced_broker
from .metadata import (ConfigRecord, FenceBrokerRecord, MetadataImage, MetadataRecord, PartitionChangeRecord,
                       PartitionRecord, RegisterBrokerRecord, RemoveTopicRecord, TopicRecord,
                       UnfenceBrokerRecord)
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
class BrokerHeartbeat:
    broker_id: int
    metadata_offset: int


@dataclass(slots=True)
class AlterPartition:
    """A leader asking to change a partition's ISR (Kafka's AlterPartition API)."""

    broker_id: int
    topic: str
    partition: int
    leader_epoch: int
    new_isr: tuple[int, ...]


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
        self._session_timers: dict[int, Any] = {}
        network.register(node_id, self.handle)

    # -- the metadata log ----------------------------------------------------
    def apply(self, result: ControllerResult, reason: str = "") -> Any:
        removed: dict[str, str] = {}
        before: dict[int, tuple[str, int, list[int]]] = {}
        for i, record in enumerate(result.records):
            if isinstance(record, RemoveTopicRecord):
                removed[record.topic_id] = self.image.topics_by_id[record.topic_id].name
            elif isinstance(record, PartitionChangeRecord):
                t = self.image.topics_by_id[record.topic_id]
                p = t.partitions[record.partition]
                before[i] = (t.name, p.leader, list(p.isr))
            offset = len(self.log)
            self.log.append(record)
            self.image.replay(offset, record)
        if result.records:
            self._explain(result.records, removed, reason, before)
            self._wake_fetchers()
        return result.response

    def handle(self, env: Envelope) -> None:
        if env.api == "broker_heartbeat":
            self._on_heartbeat(env)
            return
        if env.api == "alter_partition":
            self.network.respond(env, self.apply(self.alter_partition(env.body)))
            return
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

    # -- broker liveness (KRaft heartbeats) -------------------------------------
    def _on_heartbeat(self, env: Envelope) -> None:
        hb: BrokerHeartbeat = env.body
        bid = hb.broker_id
        info = self.image.brokers.get(bid)
        if info is None:
            self.apply(self.register_broker(bid, fenced=True))
            info = self.image.brokers[bid]
        self._arm_session_timer(bid)
        if info.fenced and hb.metadata_offset >= len(self.log) - 1:
            self.apply(self.unfence_broker(bid))
        self.network.respond(env, self.image.brokers[bid].fenced)

    def _arm_session_timer(self, bid: int) -> None:
        timer = self._session_timers.get(bid)
        if timer is not None:
            timer.cancel()
        self._session_timers[bid] = self.clock.call_later(
            self.broker_config.get("broker.session.timeout.ms"), self._session_expired, bid)

    def _session_expired(self, bid: int) -> None:
        self._session_timers.pop(bid, None)
        info = self.image.brokers.get(bid)
        if info is not None and not info.fenced:
            timeout = self.broker_config.get("broker.session.timeout.ms")
            self.apply(self.fence_broker(bid), reason=f"no heartbeat from broker {bid} for {timeout} ms "
                                                      "(broker.session.timeout.ms)")

    def _unclean_allowed(self, topic: str) -> bool:
        t = self.image.topics.get(topic)
        if t is not None and "unclean.leader.election.enable" in t.configs:
            return bool(t.configs["unclean.leader.election.enable"])
        return bool(self.image.broker_configs.get("unclean.leader.election.enable",
                                                  self.broker_config.get("unclean.leader.election.enable")))

    # -- handlers (decide, never mutate) ---------------------------------------
    def register_broker(self, broker_id: int, fenced: bool = False) -> ControllerResult:
        return ControllerResult([RegisterBrokerRecord(broker_id, fenced)], None)

    def fence_broker(self, broker_id: int) -> ControllerResult:
        usable = set(self.usable_brokers()) - {broker_id}
        changes = changes_for_fenced_broker(self.image, broker_id, usable, self._unclean_allowed)
        return ControllerResult([FenceBrokerRecord(broker_id)] + [rec for _, rec, _ in changes], None)

    def unfence_broker(self, broker_id: int) -> ControllerResult:
        usable = set(self.usable_brokers()) | {broker_id}
        changes = changes_for_unfenced_broker(self.image, broker_id, usable, self._unclean_allowed)
        return ControllerResult([UnfenceBrokerRecord(broker_id)] + [rec for _, rec, _ in changes], None)

    def alter_partition(self, req: AlterPartition) -> ControllerResult:
        p = self.image.partition(req.topic, req.partition)
        if p is None:
            return ControllerResult([], Errors.UNKNOWN_TOPIC_OR_PARTITION)
        if p.leader != req.broker_id or p.leader_epoch != req.leader_epoch:
            return ControllerResult([], Errors.FENCED_LEADER_EPOCH)
        fenced = {b for b, info in self.image.brokers.items() if info.fenced}
        if any(r in fenced and r not in p.isr for r in req.new_isr):
            # Kafka refuses to add a fenced broker to the ISR (INELIGIBLE_REPLICA).
            return ControllerResult([], Errors.INVALID_REQUEST)
        if list(req.new_isr) == p.isr:
            return ControllerResult([], Errors.NONE)
        topic_id = self.image.topics[req.topic].topic_id
        return ControllerResult([PartitionChangeRecord(topic_id, req.partition, isr=tuple(req.new_isr))],
                                Errors.NONE)

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
    def _explain_partition_change(self, r: PartitionChangeRecord, topic: str, old_leader: int,
                                  old_isr: list[int]) -> None:
        p = self.image.topics[topic].partitions[r.partition]
        tp = f"{topic}/{r.partition}"
        if r.leader is not None:
            if p.leader < 0:
                text = (f"{tp} is offline (Leader: none): its leader {old_leader} is gone and no other "
                        f"in-sync replica can take over (ISR {', '.join(map(str, p.isr))}; unclean leader "
                        "election is off).")
            elif p.leader not in old_isr:
                text = (f"Unclean election: broker {p.leader} leads {tp} (epoch {p.leader_epoch}) although it "
                        "was not in the ISR; records only the old leader had are lost.")
            else:
                text = (f"Controller {self.node_id} elected broker {p.leader} leader of {tp} from the ISR "
                        f"(leader epoch {p.leader_epoch}); it had every committed record.")
            self.events.emit(EventKind.LEADER_ELECTED, text, topic=topic, partition=r.partition,
                             leader=p.leader, old_leader=old_leader, leader_epoch=p.leader_epoch,
                             unclean=p.leader >= 0 and p.leader not in old_isr)
        if r.isr is not None and list(r.isr) != old_isr:
            left = [b for b in old_isr if b not in p.isr]
            joined = [b for b in p.isr if b not in old_isr]
            parts = []
            if left:
                parts.append(f"broker {', '.join(map(str, left))} left")
            if joined:
                parts.append(f"broker {', '.join(map(str, joined))} joined")
            self.events.emit(EventKind.ISR_CHANGED,
                             f"ISR of {tp} is now {', '.join(map(str, p.isr))}: {' and '.join(parts)}.",
                             topic=topic, partition=r.partition, isr=list(p.isr), left=left, joined=joined)

    def _explain(self, records: list[MetadataRecord], removed: dict[str, str], reason: str,
                 before: dict[int, tuple[str, int, list[int]]]) -> None:
        """Emit the learner-facing events for records just applied."""
        topics_by_id = {t.topic_id: t for t in self.image.topics.values()}
        for i, r in enumerate(records):
            if isinstance(r, FenceBrokerRecord):
                self.events.emit(EventKind.BROKER_FENCED,
                                 f"Controller {self.node_id} fenced broker {r.broker_id}: {reason or 'it stopped'}; "
                                 "its leaderships move to other in-sync replicas and it leaves every ISR.",
                                 broker=r.broker_id)
                continue
            if isinstance(r, UnfenceBrokerRecord):
                self.events.emit(EventKind.BROKER_UNFENCED,
                                 f"Controller {self.node_id} unfenced broker {r.broker_id}: it is heartbeating and "
                                 "has caught up with the metadata, so it may lead and rejoin ISRs again.",
                                 broker=r.broker_id)
                continue
            if isinstance(r, PartitionChangeRecord) and i in before:
                self._explain_partition_change(r, *before[i])
                continue
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
