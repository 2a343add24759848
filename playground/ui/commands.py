"""What the UI may do to a cluster: a few commands, nothing else.

Views never mutate engine state; they call these (through the bridge, which
repaints afterwards). Kafka's refusals come back as `KafkaError` untouched,
so a dialog can show Kafka's error name and sentence.
"""

from __future__ import annotations

from typing import Callable

from playground.engine import Cluster, Errors, KafkaError
from playground.storage import ClusterSetup

# The built-in cluster of `kafka-playground` with no arguments. A hop takes
# 50 virtual ms so that, at the default speed of 0.1x, every request,
# replication fetch and ack is on screen for half a second of real time.
GUI_NETWORK_LATENCY_MS = 50
BUILTIN_TOPIC = "orders"

ACKS_CHOICES = ("all", "1", "0")


def builtin_setup(seed: int = 0) -> ClusterSetup:
    """Three brokers, and `orders`: 3 partitions, RF 3, min.insync.replicas 2 (File ▸ New cluster)."""
    return ClusterSetup(seed=seed, brokers=3, network_latency=GUI_NETWORK_LATENCY_MS,
                        topics=[{"name": BUILTIN_TOPIC, "partitions": 3, "replication_factor": 3,
                                 "config": {"min.insync.replicas": 2}}])


def builtin_cluster(seed: int = 0) -> Cluster:
    return builtin_setup(seed).build()


def producer_name(acks: str) -> str:
    """A producer's acks is fixed when it is created, so the UI keeps one producer per acks."""
    return f"ui-acks-{acks}"


def parse_headers(text: str) -> tuple[tuple[str, bytes], ...]:
    """`k=v,k2=v2` -> ((k, b"v"), (k2, b"v2")); raises ValueError with the reason."""
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"header {part!r} is not key=value")
        out.append((name, value.strip().encode("utf-8")))
    return tuple(out)


def _fill(template: str, i: int) -> str:
    return template.replace("{i}", str(i))


def produce(cluster: Cluster, topic: str, value: str | None, key: str | None = None,
            headers: tuple = (), acks: str = "all", count: int = 1, partition: int | None = None) -> str:
    """Send `count` records through the UI producer for `acks`; returns its name.

    `{i}` in the key or value becomes the record's index (0, 1, ...), as in
    scenario files. An empty key is a null key (sticky partitioner).
    """
    if acks not in ACKS_CHOICES:
        raise ValueError(f"acks must be one of {', '.join(ACKS_CHOICES)}")
    if topic not in cluster.view().topic_names():
        raise ValueError(f"topic {topic!r} does not exist")
    name = producer_name(acks)
    producer = cluster.producer(name, acks=acks)
    for i in range(count):
        k = _fill(key, i).encode("utf-8") if key else None
        v = _fill(value, i).encode("utf-8") if value is not None else None
        producer.send(topic, v, key=k, headers=headers, partition=partition)
    return name


def create_topic(cluster: Cluster, name: str, partitions: int, replication_factor: int,
                 min_insync_replicas: int | None = None) -> None:
    """Ask the controller for a topic; brokers learn it on their next metadata fetch."""
    config = {} if min_insync_replicas is None else {"min.insync.replicas": min_insync_replicas}
    cluster.create_topic(name, partitions, replication_factor, config)


# Replication delays offered by the broker menu ("Slow down"), in ms; 0 is full speed.
SLOW_CHOICES = (0, 500, 2000, 10000)


def kill_broker(cluster: Cluster, node_id: int) -> None:
    """Crash a broker (or a KRaft controller, given a voter id); KafkaError if it is already dead."""
    cluster.kill_broker(node_id)


def restart_broker(cluster: Cluster, node_id: int) -> None:
    """Start a dead broker (or controller) again with its old log; KafkaError if it is running."""
    cluster.restart_broker(node_id)


def isolate_broker(cluster: Cluster, broker_id: int) -> None:
    """Cut a broker off from the other brokers and the controllers; clients still reach it."""
    cluster.isolate_broker(broker_id)


def heal(cluster: Cluster, broker_id: int) -> None:
    cluster.heal(broker_id)


def slow_broker(cluster: Cluster, broker_id: int, replication_delay: int) -> None:
    """Make a broker wait `replication_delay` ms after each fetch response (0: full speed)."""
    cluster.slow_broker(broker_id, replication_delay)


def kill_controller(cluster: Cluster) -> int:
    """Crash the active KRaft controller; returns its id (KafkaError NOT_CONTROLLER if none is active)."""
    return cluster.kill_controller()


# -- consumers and groups ----------------------------------------------------------------
# The assignors of Kafka's consumer; the first choice is the consumer's default list
# (range, cooperative-sticky), which rebalances eagerly because range does.
DEFAULT_ASSIGNORS = "range + cooperative-sticky (default)"
ASSIGNOR_CHOICES = (DEFAULT_ASSIGNORS, "range", "roundrobin", "sticky", "cooperative-sticky")
COMMIT_CHOICES = ("auto", "after_processing", "before_processing")
OFFSET_RESET_CHOICES = ("latest", "earliest")
RESET_TO_CHOICES = ("earliest", "latest")


def start_consumer(cluster: Cluster, name: str, group: str, topics: list[str], assignor: str = DEFAULT_ASSIGNORS,
                   commit: str = "auto", processing_time: int = 0, auto_offset_reset: str = "latest",
                   session_timeout_ms: int | None = None, max_poll_records: int | None = None) -> None:
    """Start a consumer in `group` subscribed to `topics` (a stopped or crashed name restarts).

    Refused with Kafka's error, and nothing started, for an empty group id, a
    topic that does not exist, or a name that is already running.
    """
    name, group = name.strip(), group.strip()
    topics = [t.strip() for t in topics if t.strip()]
    if not name:
        raise KafkaError(Errors.INVALID_REQUEST, "a consumer needs a name (its client.id)")
    if not group:
        raise KafkaError(Errors.INVALID_GROUP_ID, "The group id is empty: subscribe() needs a group.id.")
    if not topics:
        raise KafkaError(Errors.INVALID_REQUEST, "subscribe() needs at least one topic.")
    known = cluster.view().topic_names()
    missing = [t for t in topics if t not in known]
    if missing:
        raise KafkaError(Errors.UNKNOWN_TOPIC_OR_PARTITION,
                         f"This server does not host topic {', '.join(missing)}. Create it first (Topic ▸ New "
                         "topic…): the playground does not create topics on first use.")
    old = cluster.consumers.get(name)
    if old is not None and old.alive:
        raise KafkaError(Errors.INVALID_REQUEST, f"consumer {name} is already running (group {old.group_id}); "
                                                 "stop or crash it before starting it again")
    if commit not in COMMIT_CHOICES:
        raise KafkaError(Errors.INVALID_CONFIG, f"commit must be one of {', '.join(COMMIT_CHOICES)}, not {commit!r}")
    config: dict = {"commit": commit, "processing_time": max(0, int(processing_time)),
                    "auto.offset.reset": auto_offset_reset}
    if assignor != DEFAULT_ASSIGNORS:
        config["assignor"] = assignor
    if session_timeout_ms is not None:
        config["session.timeout.ms"] = int(session_timeout_ms)
    if max_poll_records is not None:
        if max_poll_records < 1:
            raise KafkaError(Errors.INVALID_CONFIG, f"max.poll.records must be at least 1, got {max_poll_records}")
        config["max.poll.records"] = int(max_poll_records)
    cluster.consumer(name, group_id=group, topics=topics, **config)


def _running_consumer(cluster: Cluster, name: str, action: str):
    consumer = cluster.consumers.get(name)
    if consumer is None:
        raise KafkaError(Errors.INVALID_REQUEST, f"cannot {action} consumer {name}: there is no such consumer")
    if not consumer.alive:
        raise KafkaError(Errors.INVALID_REQUEST, f"cannot {action} consumer {name}: it is not running (it "
                                                 f"{consumer.app_state}); add it again to restart it")
    if consumer.closing:
        raise KafkaError(Errors.INVALID_REQUEST, f"cannot {action} consumer {name}: it is already shutting down")
    return consumer


def stop_consumer(cluster: Cluster, name: str) -> None:
    """close(): commit (auto commit), LeaveGroup, stop: the group rebalances at once."""
    _running_consumer(cluster, name, "stop").close()


def crash_consumer(cluster: Cluster, name: str) -> None:
    """The process dies: no commit, no LeaveGroup; the coordinator notices after session.timeout.ms."""
    _running_consumer(cluster, name, "crash").crash()


def pause_consumer(cluster: Cluster, name: str) -> None:
    """The application stops calling poll(); heartbeats go on until max.poll.interval.ms."""
    consumer = _running_consumer(cluster, name, "pause")
    if consumer.paused:
        raise KafkaError(Errors.INVALID_REQUEST, f"consumer {name} is already paused")
    consumer.pause()


def resume_consumer(cluster: Cluster, name: str) -> None:
    consumer = _running_consumer(cluster, name, "resume")
    if not consumer.paused:
        raise KafkaError(Errors.INVALID_REQUEST, f"consumer {name} is not paused")
    consumer.resume()


def reset_offsets(cluster: Cluster, group: str, topic: str, to: str) -> dict:
    """kafka-consumer-groups --reset-offsets --to-earliest|--to-latest --execute (NON_EMPTY_GROUP while active)."""
    if to not in RESET_TO_CHOICES:
        raise KafkaError(Errors.INVALID_REQUEST, f"reset to earliest or latest, not {to!r}")
    return cluster.reset_offsets(group, topic, to)


# -- producers with a send loop (the Producers panel) ------------------------------------------
COMPRESSION_CHOICES = ("none", "gzip", "snappy", "lz4", "zstd")
IDEMPOTENCE_CHOICES = ("default", "true", "false")


def start_producer(cluster: Cluster, name: str, topic: str, rate: str = "", key: str = "", value: str = "record {i}",
                   **config: str) -> None:
    """Start (or, with an empty rate, only configure) the producer `name`; the form's text goes to the
    engine as typed, so a bad value gets Kafka's INVALID_CONFIG and its sentence, and nothing starts.

    `config`: Kafka's settings with Python spellings (linger_ms="50"); an empty text leaves the
    setting at Kafka's default, and enable_idempotence="default" lets Kafka decide.
    """
    topic, rate = topic.strip(), rate.strip()
    if rate and topic not in cluster.view().topic_names():
        raise KafkaError(Errors.UNKNOWN_TOPIC_OR_PARTITION,
                         f"This server does not host topic {topic or '(none given)'}. Create it first (Topic ▸ New "
                         "topic…): the Producers panel does not create topics on first use.")
    settings = {k: v for k, v in config.items() if str(v).strip() and not (k == "enable_idempotence"
                                                                          and v == "default")}
    cluster.start_producer(name.strip(), topic or None, rate or None, key or None, value, **settings)


# -- storage -----------------------------------------------------------------------------
# The topic settings the Storage & transactions panel lets a learner change (Kafka's names).
STORAGE_SETTINGS = ("retention.ms", "segment.bytes", "cleanup.policy", "min.cleanable.dirty.ratio",
                    "delete.retention.ms")


def alter_topic_config(cluster: Cluster, topic: str, config: dict[str, str]) -> None:
    """IncrementalAlterConfigs for one topic, values as typed: Kafka validates the whole request, so a
    bad value gets INVALID_CONFIG and its sentence and nothing changes."""
    if topic not in cluster.view().topic_names():
        raise KafkaError(Errors.UNKNOWN_TOPIC_OR_PARTITION, f"This server does not host topic {topic or '(none)'}.")
    unknown = sorted(set(config) - set(STORAGE_SETTINGS))
    if unknown:
        raise KafkaError(Errors.INVALID_CONFIG, f"The panel does not change {', '.join(unknown)}.")
    cluster.alter_config("topic", topic, {k: v.strip() if isinstance(v, str) else v for k, v in config.items()})


def stop_producer(cluster: Cluster, name: str) -> None:
    """Stop the producer's send loop; what is left in its accumulator is sent at once."""
    cluster.stop_producer(name)


def demo_timeline(cluster: Cluster) -> list[tuple[int, Callable[[], None]]]:
    """Records for the built-in screenshot: a committed batch, then a second one mid-replication."""
    def first() -> None:
        produce(cluster, BUILTIN_TOPIC, "order {i}", key="user-1", count=3)
        produce(cluster, BUILTIN_TOPIC, "order {i}", key="alice", count=2)
        produce(cluster, BUILTIN_TOPIC, "refund {i}", key="user-4", count=1, acks="1")

    def second() -> None:
        produce(cluster, BUILTIN_TOPIC, "order 3{i}", key="user-1", count=2)

    def third() -> None:
        produce(cluster, BUILTIN_TOPIC, "refund 1{i}", key="user-4", count=1, acks="1")

    def fourth() -> None:
        produce(cluster, BUILTIN_TOPIC, "order 2{i}", key="alice", count=1)

    return [(0, first), (400, second), (420, third), (440, fourth)]
