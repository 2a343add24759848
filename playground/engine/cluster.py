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
from .broker_txn import ProducerIdBlocks
from .clock import Scheduler
from .config import BrokerConfig
from .consumer import Consumer
from .controller import QuorumController
from .zookeeper import ZooKeeperEnsemble
from .errors import Errors, KafkaError
from .events import EventKind, EventLog
from .metadata import describe_record
from .network import Network
from .producer import Producer
from .producer_metrics import ProducerMetrics
from .protocol import (AlterConfigsResource, CreatableTopic, CreatePartitionsRequest, CreatePartitionsTopic,
                       CreateTopicsRequest, DeleteTopicsRequest, IncrementalAlterConfigsRequest, TopicResult)

FIRST_BROKER_ID = 101


class Cluster:
    def __init__(self, brokers: int = 3, seed: int = 0, controllers: int = 3, network_latency: int = 1,
                 config: dict[str, Any] | None = None, mode: str = "kraft") -> None:
        if brokers < 1:
            raise ValueError("a cluster needs at least one broker")
        self.seed = seed
        self.rng = random.Random(seed)
        self.clock = Scheduler()
        self.events = EventLog(self.clock)
        self.network = Network(self.clock, network_latency)
        self.broker_config = BrokerConfig(config)
        self.audit = Audit()
        self.producer_id_blocks = ProducerIdBlocks()
        if mode not in ("kraft", "zookeeper"):
            raise ValueError(f"controller mode is kraft or zookeeper, not {mode!r}")
        self.controller_mode = mode
        self.zookeeper: ZooKeeperEnsemble | None = None
        if mode == "zookeeper":
            self._init_zookeeper(brokers)
        else:
            self._init_kraft(brokers, controllers)
        for broker in self.brokers.values():
            broker.records_removed_listener = self.audit.record_removed
            if mode == "kraft":
                broker.start_metadata_fetch()
            broker.start_heartbeats()

    def _init_zookeeper(self, brokers: int) -> None:
        self.zookeeper = zk = ZooKeeperEnsemble([1, 2, 3], self.network, self.events, self.broker_config)
        self.controllers = {}
        self._last_active = None
        self.brokers = {FIRST_BROKER_ID + i: Broker(FIRST_BROKER_ID + i, self.network, self.events,
                                                    self.broker_config, [], zk.node_ids, self.producer_id_blocks)
                        for i in range(brokers)}
        self._init_clients()
        for bid in self.brokers:
            zk.open_session(bid, 0, notify=False)
        # The first broker won /controller; it reads the (empty) state and registers everyone.
        from .zookeeper import ZkState
        first = self.brokers[zk.controller_id]
        self._last_active = first.become_controller(zk.controller_epoch,
                                                    ZkState([], zk.live_brokers(), zk.controller_epoch))
        self._sync_metadata()

    def _init_clients(self) -> None:
        self.producers: dict[str, Producer] = {}
        self.consumers: dict[str, Consumer] = {}
        self.producer_loops: dict[str, Any] = {}        # name -> ProducerLoop (producer_loop.py)
        self.producer_metrics = ProducerMetrics(self.events)
        self._client_rng = random.Random(self.rng.getrandbits(64))

    def _init_kraft(self, brokers: int, controllers: int) -> None:
        if controllers < 1:
            raise ValueError("a KRaft cluster needs at least one controller")
        voters = list(range(1, controllers + 1))
        # Each component gets its own Random derived from the seed, so adding
        # randomness in one place does not shift every other choice.
        self.controllers: dict[int, QuorumController] = {
            v: QuorumController(v, voters, self.network, self.events, random.Random(self.rng.getrandbits(64)),
                                self.broker_config) for v in voters}
        self._last_active = self.controllers[voters[0]]
        self.brokers: dict[int, Broker] = {}
        for i in range(brokers):
            bid = FIRST_BROKER_ID + i
            self.brokers[bid] = Broker(bid, self.network, self.events, self.broker_config, voters,
                                       producer_id_blocks=self.producer_id_blocks)
        self._init_clients()
        # A formatted cluster starts with voter 1 leading epoch 1 (no election to watch).
        first = self.controllers[voters[0]]
        first.bootstrap_leader()
        for v in voters[1:]:
            self.controllers[v].bootstrap_follower(first.node_id)
        for bid in self.brokers:
            first.apply(first.register_broker(bid))
            self.events.emit(EventKind.BROKER_REGISTERED,
                             f"Broker {bid} registered with the controller and is ready to host replicas.",
                             broker=bid)
        self._sync_metadata()


    @property
    def controller(self):
        """The active controller; while the quorum elects one, the last one that was."""
        if self.zookeeper is not None:
            zc = self._active_zk_controller()
            if zc is not None:
                self._last_active = zc
            return self._last_active
        for c in self.controllers.values():
            if c.active:
                self._last_active = c
                return c
        return self._last_active

    def _active_zk_controller(self):
        zk = self.zookeeper
        broker = self.brokers.get(zk.controller_id) if zk.controller_id is not None else None
        zc = broker.zk_controller if broker is not None and broker.alive else None
        return zc if zc is not None and zc.active and zc.epoch == zk.controller_epoch else None

    def active_controller_id(self) -> int | None:
        if self.zookeeper is not None:
            zc = self._active_zk_controller()
            return zc.node_id if zc is not None else None
        return next((v for v, c in sorted(self.controllers.items()) if c.active), None)

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
        """Replicate and commit the active controller's log at once, and hand it to
        every live broker (scenario and cluster set-up only)."""
        if self.zookeeper is not None:
            zc = self.controller
            if zc is not None and zc.active:
                if zc.epoch == self.zookeeper.controller_epoch:
                    self.zookeeper.store = list(zc.records)     # the znode writes land at once
                for broker in self.brokers.values():
                    if broker.alive:
                        broker.apply_metadata(list(enumerate(zc.records)))
            return
        active = self.controller
        if not active.active:
            return
        entries = active.raft.log
        for c in self.controllers.values():
            if c is not active and c.alive:
                c.raft.log[:] = list(entries)
                active.raft.voter_ends[c.node_id] = len(entries)
        active.raft._update_high_watermark()
        for c in self.controllers.values():
            if c is not active and c.alive and c.raft.leader_id == active.node_id:
                c.raft.high_watermark = active.raft.high_watermark
                c._on_commit()
        committed = active.log[:active.committed]
        for broker in self.brokers.values():
            if broker.alive:
                broker.apply_metadata(list(enumerate(committed)))

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
        """Kill a broker, or a KRaft controller when given a voter id."""
        node = self._node(broker_id)
        if not node.alive:
            kind = "controller" if broker_id in self.controllers else "broker"
            raise KafkaError(Errors.BROKER_NOT_AVAILABLE, f"{kind} {broker_id} is already dead")
        node.kill()

    def kill_controller(self) -> int:
        """Kill the active controller; returns its id."""
        active = self.active_controller_id()
        if active is None:
            raise KafkaError(Errors.NOT_CONTROLLER, "there is no active controller right now: the quorum "
                                                    "is still electing one")
        self._node(active).kill()
        return active

    def restart_broker(self, broker_id: int) -> None:
        node = self._node(broker_id)
        if node.alive:
            kind = "controller" if broker_id in self.controllers else "broker"
            raise KafkaError(Errors.INVALID_REQUEST, f"{kind} {broker_id} is running; kill it first")
        node.restart()

    def elect_leaders(self, topic: str, partition: int, election: str = "preferred") -> None:
        """kafka-leader-election: `preferred` or `unclean` for one partition."""
        if election not in ("preferred", "unclean"):
            raise KafkaError(Errors.INVALID_REQUEST, f"election type {election!r} is not preferred or unclean")
        error, message = self.controller.apply(self.controller.elect_leaders(topic, partition, election),
                                               reason=f" ({election} election asked by an admin)")
        if error != Errors.NONE:
            raise KafkaError(error, message)

    def drop_requests(self, node_id: int, api: str, count: int = 1) -> None:
        """Lose the next `count` responses of `api` from a broker, so senders time out and retry."""
        self._node(node_id)
        if count < 1:
            raise KafkaError(Errors.INVALID_REQUEST, f"count must be at least 1, got {count}")
        self.network.drop_responses(node_id, api, count)
        self.events.emit(EventKind.REQUESTS_DROPPED,
                         f"The network will lose the next {count} {api} response(s) from {node_id}: their senders "
                         "wait for request.timeout.ms, then retry.", broker=node_id, api=api, count=count)

    def dead_nodes(self) -> list[int]:
        return [n for n, node in sorted({**self.controllers, **self.brokers}.items()) if not node.alive]

    def isolate_broker(self, broker_id: int) -> None:
        """Cut a broker (or a controller) from every other broker and controller; clients still reach it."""
        self._node(broker_id)
        if broker_id in self.isolated_brokers():
            raise KafkaError(Errors.INVALID_REQUEST, f"{broker_id} is already isolated")
        peers = [n for n in list(self.brokers) + list(self.controllers) if n != broker_id]
        for peer in peers:
            self.network.cut(broker_id, peer)
        if broker_id in self.controllers:
            text = (f"Controller {broker_id} is cut off from the other controllers and the brokers. If it is the "
                    "active controller it steps down once it hears from no majority, and the others elect a "
                    "new one.")
        else:
            text = (f"Broker {broker_id} is cut off from the other brokers and the controller, but clients "
                    "can still reach it: if it leads a partition it may go on accepting writes nobody "
                    "else will ever see (a zombie leader).")
        self.events.emit(EventKind.BROKER_ISOLATED, text, broker=broker_id)

    def heal(self, broker_id: int) -> None:
        self._node(broker_id)
        for peer in [n for n in list(self.brokers) + list(self.controllers) if n != broker_id]:
            self.network.heal(broker_id, peer)
        self.events.emit(EventKind.BROKER_HEALED,
                         f"Broker {broker_id} can reach the other brokers and the controller again.",
                         broker=broker_id)

    def isolated_brokers(self) -> list[int]:
        nodes = sorted(self.brokers) + sorted(self.controllers)
        return [n for n in nodes if not any(self.network.connected(n, m) for m in nodes if m != n)]

    def controller_views(self):
        from .view import ControllerView
        if self.zookeeper is not None:
            zk = self.zookeeper
            n = len(zk.store)
            return [ControllerView(node, True, "zookeeper", zk.controller_epoch, n, n) for node in zk.node_ids]
        return [ControllerView(v, c.alive, c.raft.role if c.alive else "dead", c.raft.epoch,
                               c.raft.log_end_offset, c.committed)
                for v, c in sorted(self.controllers.items())]

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

    def _node(self, node_id: int):
        if node_id in self.controllers:
            return self.controllers[node_id]
        return self._broker(node_id)

    def _broker(self, broker_id: int) -> Broker:
        broker = self.brokers.get(broker_id)
        if broker is None:
            ids = ", ".join(map(str, sorted(self.brokers)))
            voters = ", ".join(map(str, sorted(self.controllers)))
            raise KafkaError(Errors.BROKER_NOT_AVAILABLE, f"broker {broker_id} does not exist; brokers are {ids}"
                             + (f" and controllers are {voters}" if voters else ""))
        return broker

    # -- clients -----------------------------------------------------------------
    def producer(self, name: str = "producer-1", **config: Any) -> Producer:
        """The named producer, created with `config` on first use."""
        p = self.producers.get(name)
        if p is None or p.closed:
            old = p
            cfg = _kafka_names(config)
            if old is not None:
                cfg = {**old.user_config, **cfg}     # a restart keeps what it is not told anew
            p = Producer(name, self.network, self.events, random.Random(self._client_rng.getrandbits(64)),
                         sorted(self.brokers), self.audit, cfg)
            p.user_config = cfg
            if old is not None:
                p.inherit(old)
            self.producers[name] = p
        return p

    def start_producer(self, name: str, topic: str | None = None, rate: float | None = None, key: Any = None,
                       value: Any = None, **config: Any) -> Producer:
        """Create or find the producer `name` (Kafka's config names, or linger_ms spellings) and, with
        a rate, send `rate` records per virtual second to `topic` until stop_producer; see producer_loop.
        `{i}` in key and value is the record's index; a list of keys is taken in turn; None is a null
        key, or a null value (a tombstone)."""
        from .producer_loop import start_producer
        return start_producer(self, name, topic, rate, key, value, config)

    def stop_producer(self, name: str) -> None:
        """Stop the producer's send loop; it sends what its accumulator holds at once."""
        from .producer_loop import stop_producer
        stop_producer(self, name)

    def consumer(self, name: str, group_id: str | None = None, topics: list[str] | None = None,
                 **config: Any) -> Consumer:
        """The named consumer, created with `config` on first use (Kafka's names, or Python
        spellings: auto_offset_reset; plus the playground's `commit`, `processing_time`, `assignor`).

        With `group_id` it belongs to that consumer group, and with `topics` it subscribes at
        once. Asking for a consumer that was closed or crashed starts a new process under the
        same name (and the same group.instance.id, if it has one): a restart.
        """
        old = self.consumers.get(name)
        if old is not None and old.alive:
            if topics is not None and tuple(topics) != old.subscription:
                old.subscribe(list(topics))
            return old
        cfg = {k if k in _APPLICATION_KEYS else k.replace("_", "."): v for k, v in config.items()}
        if group_id is not None:
            cfg["group.id"] = group_id
        if old is not None:
            cfg = {**old.user_config, **cfg}        # a restart keeps what it is not told anew
        output = cfg.pop("output", None)
        output_topic = cfg.pop("output.topic", None)
        c = Consumer(name, self.network, self.events, sorted(self.brokers), cfg, audit=self.audit)
        c.user_config = dict(cfg, **({"output": output, "output.topic": output_topic} if output else {}))
        if output is not None or c.commit_mode == "transactional":
            c.pipeline = self._pipeline(c, output, output_topic)
        self.consumers[name] = c
        if old is not None:
            c.inherit(old)
            topics = topics if topics is not None else (list(old.subscription) or None)
        if topics is not None:
            c.subscribe(list(topics))
        return c

    def _pipeline(self, consumer: Consumer, output: str | None, topic: str | None):
        """The consumer's output producer, for consume-transform-produce (with commit: transactional,
        restarted with the consumer after a crash)."""
        from .consumer_eos import Pipeline
        producer = self.producers.get(output) if output else None
        transactional = consumer.commit_mode == "transactional"
        if producer is None or topic is None or (transactional and not producer.transactional):
            need = "a producer with a transactional.id" if transactional else "a producer"
            raise KafkaError(Errors.INVALID_CONFIG,
                             f"consumer {consumer.name} writes its results with output: it needs {need} and an "
                             "output topic")
        return Pipeline(consumer, self.producer(output), topic)

    def reset_offsets(self, group_id: str, topic: str, to: Any, partition: int | None = None) -> dict:
        """kafka-consumer-groups --reset-offsets --execute: returns {TopicPartition: new offset}.

        `to`: "earliest" | "latest" | {"offset": N} | {"shift_by": N} | {"datetime": ms}. Refused
        (NON_EMPTY_GROUP) while the group has members; the commit lands once replicated.
        """
        from .group_admin import reset_offsets
        return reset_offsets(self, group_id, topic, to, partition)

    def view(self):
        from .view import ClusterView
        return ClusterView(self)


# Consumer settings of the application around the consumer (not Kafka's): kept as written.
_APPLICATION_KEYS = ("commit", "processing_time", "assignor")


def _kafka_names(config: dict[str, Any]) -> dict[str, Any]:
    """Accept Python keyword spellings (linger_ms) for Kafka's dotted names (linger.ms)."""
    return {k.replace("_", ".") if k != "partitioner" else k: v for k, v in config.items()}


def _raise_on_error(result: TopicResult) -> TopicResult:
    if result.error != Errors.NONE:
        raise KafkaError(result.error, result.error_message or result.error.name)
    return result
