"""The façade: one simulated cluster in virtual time.

A `Cluster` owns the clock, the seeded RNG, the network, the controller, the
brokers and the simulated clients. Everything outside the engine (scenario
runner, UI, wire listener) drives it through these methods and reads it
through `ClusterView`; only the engine mutates engine state.
"""

from __future__ import annotations

import random
from typing import Any

from .audit import Audit
from .broker import Broker
from .clock import Scheduler
from .config import BrokerConfig
from .consumer import Consumer
from .controller import QuorumController
from .errors import Errors, KafkaError
from .events import EventKind, EventLog
from .metadata import describe_record
from .network import Network
from .producer import Producer
from .protocol import (AlterConfigsResource, CreatableTopic, CreatePartitionsRequest, CreatePartitionsTopic,
                       CreateTopicsRequest, DeleteTopicsRequest, IncrementalAlterConfigsRequest, TopicResult)

FIRST_BROKER_ID = 101


class Cluster:
    def __init__(self, brokers: int = 3, seed: int = 0, controllers: int = 3, network_latency: int = 1,
                 config: dict[str, Any] | None = None) -> None:
        if brokers < 1:
            raise ValueError("a cluster needs at least one broker")
        self.seed = seed
        self.rng = random.Random(seed)
        self.clock = Scheduler()
        self.events = EventLog(self.clock)
        self.network = Network(self.clock, network_latency)
        self.broker_config = BrokerConfig(config)
        self.audit = Audit()
        voters = list(range(1, controllers + 1))
        # Each component gets its own Random derived from the seed, so adding
        # randomness in one place does not shift every other choice.
        self.controller = QuorumController(voters[0], voters, self.network, self.events,
                                           random.Random(self.rng.getrandbits(64)), self.broker_config)
        self.brokers: dict[int, Broker] = {}
        for i in range(brokers):
            bid = FIRST_BROKER_ID + i
            self.brokers[bid] = Broker(bid, self.network, self.events, self.broker_config, self.controller.node_id)
        self.producers: dict[str, Producer] = {}
        self.consumers: dict[str, Consumer] = {}
        self._client_rng = random.Random(self.rng.getrandbits(64))
        self.events.emit(EventKind.CONTROLLER_ACTIVE,
                         f"Controller {self.controller.node_id} is the active KRaft controller of the quorum "
                         f"{voters}; it owns the cluster metadata.", controller=self.controller.node_id)
        for bid in self.brokers:
            self.controller.apply(self.controller.register_broker(bid))
            self.events.emit(EventKind.BROKER_REGISTERED,
                             f"Broker {bid} registered with the controller and is ready to host replicas.",
                             broker=bid)
        self._sync_metadata()
        for broker in self.brokers.values():
            broker.start_metadata_fetch()
            broker.start_heartbeats()

    # -- time ------------------------------------------------------------------
    @property
    def now(self) -> int:
        return self.clock.now

    def advance(self, ms: int) -> None:
        self.clock.advance(ms)

    def run_until(self, time_ms: int) -> None:
        self.clock.run_until(time_ms)

    def step(self) -> bool:
        return self.clock.step()

    # -- admin (Kafka's Admin API, answered by the controller) --------------------
    def _sync_metadata(self) -> None:
        """Hand every live broker the whole metadata log at once (cluster set-up only)."""
        log = self.controller.log
        for broker in self.brokers.values():
            if broker.alive:
                broker.apply_metadata(list(enumerate(log)))

    def create_topics(self, req: CreateTopicsRequest, *, immediate: bool = False):
        resp = self.controller.apply(self.controller.create_topics(req))
        for r in resp.topics:
            if r.error == Errors.NONE and r.warning:
                self.events.emit(EventKind.TOPIC_NAME_WARNING, r.warning, topic=r.name)
        if immediate:
            self._sync_metadata()
        return resp

    def create_topic(self, name: str, partitions: int = 1, replication_factor: int = 1,
                     config: dict[str, Any] | None = None, *, immediate: bool = False) -> TopicResult:
        """Create one topic; raises KafkaError with Kafka's error when refused.

        `immediate` makes every broker learn the topic at once (scenario set-up),
        instead of on its next metadata fetch.
        """
        resp = self.create_topics(CreateTopicsRequest([CreatableTopic(name, partitions, replication_factor,
                                                                      dict(config or {}))]),
                                  immediate=immediate)
        return _raise_on_error(resp.topics[0])

    def delete_topic(self, name: str) -> TopicResult:
        resp = self.controller.apply(self.controller.delete_topics(DeleteTopicsRequest([name])))
        return _raise_on_error(resp.topics[0])

    def add_partitions(self, topic: str, count: int) -> TopicResult:
        req = CreatePartitionsRequest([CreatePartitionsTopic(topic, count)])
        resp = self.controller.apply(self.controller.create_partitions(req))
        return _raise_on_error(resp.topics[0])

    def alter_config(self, resource_type: str, name: str, config: dict[str, Any]) -> TopicResult:
        req = IncrementalAlterConfigsRequest([AlterConfigsResource(resource_type, name, dict(config))])
        resp = self.controller.apply(self.controller.alter_configs(req))
        return _raise_on_error(resp.resources[0])

    # -- faults ------------------------------------------------------------------
    def kill_broker(self, broker_id: int) -> None:
        broker = self._broker(broker_id)
        if not broker.alive:
            raise KafkaError(Errors.BROKER_NOT_AVAILABLE, f"broker {broker_id} is already dead")
        broker.kill()

    def restart_broker(self, broker_id: int) -> None:
        broker = self._broker(broker_id)
        if broker.alive:
            raise KafkaError(Errors.INVALID_REQUEST, f"broker {broker_id} is running; kill it first")
        broker.restart()

    def isolate_broker(self, broker_id: int) -> None:
        """Cut a broker from every other broker and the controller; clients still reach it."""
        self._broker(broker_id)
        peers = [b for b in self.brokers if b != broker_id] + list(self.controller.voters)
        for peer in peers:
            self.network.cut(broker_id, peer)
        self.events.emit(EventKind.BROKER_ISOLATED,
                         f"Broker {broker_id} is cut off from the other brokers and the controller, but clients "
                         "can still reach it: if it leads a partition it may go on accepting writes nobody "
                         "else will ever see (a zombie leader).", broker=broker_id)

    def heal(self, broker_id: int) -> None:
        self._broker(broker_id)
        for peer in [b for b in self.brokers if b != broker_id] + list(self.controller.voters):
            self.network.heal(broker_id, peer)
        self.events.emit(EventKind.BROKER_HEALED,
                         f"Broker {broker_id} can reach the other brokers and the controller again.",
                         broker=broker_id)

    def isolated_brokers(self) -> list[int]:
        return [b for b in sorted(self.brokers)
                if not self.network.connected(b, self.controller.node_id)]

    def controller_views(self):
        from .view import ControllerView
        c = self.controller
        return [ControllerView(v, True, "leader" if v == c.node_id else "follower", 1, len(c.log), len(c.log))
                for v in c.voters]

    def metadata_log_tail(self, last: int = 20) -> list[tuple[int, str]]:
        log = self.controller.log
        start = max(0, len(log) - last)
        return [(i, describe_record(log[i], self.controller.image)) for i in range(start, len(log))]

    def slow_broker(self, broker_id: int, replication_delay: int) -> None:
        broker = self._broker(broker_id)
        broker.replication_delay = max(0, int(replication_delay))
        if replication_delay > 0:
            text = (f"Broker {broker_id} is slow: after each fetch response it waits {replication_delay} ms before "
                    "fetching again, so its replicas fall behind their leaders.")
        else:
            text = f"Broker {broker_id} fetches at full speed again."
        self.events.emit(EventKind.BROKER_SLOWED, text, broker=broker_id, replication_delay=replication_delay)

    def leader_of(self, topic: str, partition: int) -> int:
        p = self.controller.image.partition(topic, partition)
        if p is None:
            raise KafkaError(Errors.UNKNOWN_TOPIC_OR_PARTITION, f"{topic}/{partition} does not exist")
        if p.leader < 0:
            raise KafkaError(Errors.LEADER_NOT_AVAILABLE, f"{topic}/{partition} has no leader")
        return p.leader

    def _broker(self, broker_id: int) -> Broker:
        broker = self.brokers.get(broker_id)
        if broker is None:
            ids = ", ".join(map(str, sorted(self.brokers)))
            raise KafkaError(Errors.BROKER_NOT_AVAILABLE, f"broker {broker_id} does not exist; brokers are {ids}")
        return broker

    # -- clients -----------------------------------------------------------------
    def producer(self, name: str = "producer-1", **config: Any) -> Producer:
        """The named producer, created with `config` on first use."""
        p = self.producers.get(name)
        if p is None:
            p = Producer(name, self.network, self.events, random.Random(self._client_rng.getrandbits(64)),
                         sorted(self.brokers), self.audit, _kafka_names(config))
            self.producers[name] = p
        return p

    def consumer(self, name: str, **config: Any) -> Consumer:
        c = self.consumers.get(name)
        if c is None:
            c = Consumer(name, self.network, self.events, sorted(self.brokers), _kafka_names(config))
            self.consumers[name] = c
        return c

    def view(self):
        from .view import ClusterView
        return ClusterView(self)


def _kafka_names(config: dict[str, Any]) -> dict[str, Any]:
    """Accept Python keyword spellings (linger_ms) for Kafka's dotted names (linger.ms)."""
    return {k.replace("_", ".") if k != "partitioner" else k: v for k, v in config.items()}


def _raise_on_error(result: TopicResult) -> TopicResult:
    if result.error != Errors.NONE:
        raise KafkaError(result.error, result.error_message or result.error.name)
    return result
