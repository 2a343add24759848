"""Kafka's configuration names, defaults (Apache Kafka 4.x) and validation.

Topic configs override broker defaults, which override Kafka's defaults; the
effective value is looked up in that order.
"""

from __future__ import annotations

from typing import Any, Callable

from .errors import Errors, KafkaError

WEEK_MS = 7 * 24 * 3600 * 1000

# name -> (default, parser). Parsers raise ValueError with a reason.


def _int(lo: int | None = None, hi: int | None = None) -> Callable[[Any], int]:
    def parse(v: Any) -> int:
        if isinstance(v, bool):
            raise ValueError("expected an integer")
        try:
            n = int(str(v).strip())
        except ValueError:
            raise ValueError(f"{v!r} is not an integer") from None
        if lo is not None and n < lo:
            raise ValueError(f"must be at least {lo}")
        if hi is not None and n > hi:
            raise ValueError(f"must be at most {hi}")
        return n
    return parse


def _float(lo: float, hi: float) -> Callable[[Any], float]:
    def parse(v: Any) -> float:
        if isinstance(v, bool):
            raise ValueError("expected a number")
        try:
            x = float(str(v).strip())
        except ValueError:
            raise ValueError(f"{v!r} is not a number") from None
        if not lo <= x <= hi:             # also refuses NaN
            raise ValueError(f"must be between {lo} and {hi}")
        return x
    return parse


def _bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in ("true", "false"):
        return s == "true"
    raise ValueError(f"{v!r} is not true or false")


def _choice(*options: str) -> Callable[[Any], str]:
    def parse(v: Any) -> str:
        s = str(v).strip()
        if s not in options:
            raise ValueError(f"{v!r} is not one of {', '.join(options)}")
        return s
    return parse


def _cleanup_policy(v: Any) -> str:
    parts = [p.strip() for p in str(v).split(",") if p.strip()]
    if not parts or any(p not in ("delete", "compact") for p in parts):
        raise ValueError(f"{v!r} is not delete, compact or compact,delete")
    return ",".join(sorted(set(parts)))


TOPIC_CONFIGS: dict[str, tuple[Any, Callable[[Any], Any]]] = {
    "min.insync.replicas": (1, _int(1)),
    "unclean.leader.election.enable": (False, _bool),
    "retention.ms": (WEEK_MS, _int(-1)),
    "retention.bytes": (-1, _int(-1)),
    "segment.bytes": (1073741824, _int(14)),
    "segment.ms": (WEEK_MS, _int(1)),
    "cleanup.policy": ("delete", _cleanup_policy),
    "delete.retention.ms": (86400000, _int(0)),
    "min.cleanable.dirty.ratio": (0.5, _float(0.0, 1.0)),
    "message.timestamp.type": ("CreateTime", _choice("CreateTime", "LogAppendTime")),
    "max.message.bytes": (1048588, _int(0)),
    "compression.type": ("producer", _choice("producer", "uncompressed", "gzip", "snappy", "lz4", "zstd")),
}

# Broker-level settings that are not topic configs.
BROKER_CONFIGS: dict[str, tuple[Any, Callable[[Any], Any]]] = {
    "replica.lag.time.max.ms": (30000, _int(1)),
    "replica.fetch.wait.max.ms": (500, _int(0)),
    "replica.fetch.max.bytes": (1048576, _int(1)),
    "group.initial.rebalance.delay.ms": (3000, _int(0)),
    "offsets.topic.num.partitions": (50, _int(1)),
    "offsets.topic.replication.factor": (3, _int(1)),
    "offsets.topic.segment.bytes": (104857600, _int(1)),
    "offsets.commit.timeout.ms": (5000, _int(1)),
    "group.min.session.timeout.ms": (6000, _int(0)),
    "group.max.session.timeout.ms": (1800000, _int(0)),
    "transaction.state.log.num.partitions": (50, _int(1)),
    "default.replication.factor": (1, _int(1)),
    "num.partitions": (1, _int(1)),
    "broker.heartbeat.interval.ms": (2000, _int(1)),
    "broker.session.timeout.ms": (9000, _int(1)),
    "controller.quorum.fetch.timeout.ms": (2000, _int(1)),
    "zookeeper.session.timeout.ms": (18000, _int(1)),
    "controller.quorum.request.timeout.ms": (2000, _int(1)),
    # A feature level in Kafka (kafka-features), a cluster setting here: 1 turns on
    # Eligible Leader Replicas (KIP-966), the default for new 4.1+ clusters.
    "eligible.leader.replicas.version": (1, _int(0, 1)),
    "controller.quorum.election.timeout.ms": (1000, _int(1)),
    "controller.quorum.election.backoff.max.ms": (1000, _int(1)),
    "log.retention.check.interval.ms": (300000, _int(1)),
    # LogManager's first retention check waits this long after start-up (Kafka's InitialTaskDelayMs).
    "log.initial.task.delay.ms": (30000, _int(0)),
    "log.cleaner.backoff.ms": (15000, _int(0)),
    "transaction.timeout.ms": (60000, _int(1)),
    "transaction.state.log.replication.factor": (3, _int(1)),
    "transaction.state.log.min.isr": (2, _int(1)),
    "transaction.max.timeout.ms": (900000, _int(1)),
    "transaction.abort.timed.out.transaction.cleanup.interval.ms": (10000, _int(1)),
    "eligible.leader.replicas.enable": (True, _bool),
    "auto.create.topics.enable": (True, _bool),
}

# Broker names of topic defaults (log.retention.ms -> retention.ms, ...).
BROKER_TO_TOPIC = {
    "log.retention.ms": "retention.ms",
    "log.retention.bytes": "retention.bytes",
    "log.segment.bytes": "segment.bytes",
    "log.roll.ms": "segment.ms",
    "log.cleanup.policy": "cleanup.policy",
    "log.cleaner.delete.retention.ms": "delete.retention.ms",
    "log.cleaner.min.cleanable.ratio": "min.cleanable.dirty.ratio",
    "log.message.timestamp.type": "message.timestamp.type",
    "message.max.bytes": "max.message.bytes",
}


def validate_topic_config(config: dict[str, Any]) -> dict[str, Any]:
    """Parse topic overrides; unknown names or bad values are INVALID_CONFIG."""
    out: dict[str, Any] = {}
    for name, value in (config or {}).items():
        spec = TOPIC_CONFIGS.get(name)
        if spec is None:
            raise KafkaError(Errors.INVALID_CONFIG, f"Unknown topic config name: {name}")
        try:
            out[name] = spec[1](value)
        except (ValueError, TypeError) as exc:
            raise KafkaError(Errors.INVALID_CONFIG,
                             f"Invalid value {value!r} for configuration {name}: {exc}") from None
    return out


def validate_broker_config(config: dict[str, Any]) -> dict[str, Any]:
    """Parse broker settings: broker names, topic defaults under either name."""
    out: dict[str, Any] = {}
    for name, value in (config or {}).items():
        topic_name = BROKER_TO_TOPIC.get(name, name)
        spec = BROKER_CONFIGS.get(name) or TOPIC_CONFIGS.get(topic_name)
        if spec is None:
            raise KafkaError(Errors.INVALID_CONFIG, f"Unknown broker config name: {name}")
        try:
            out[topic_name if name not in BROKER_CONFIGS else name] = spec[1](value)
        except (ValueError, TypeError) as exc:
            raise KafkaError(Errors.INVALID_CONFIG,
                             f"Invalid value {value!r} for configuration {name}: {exc}") from None
    return out


class BrokerConfig:
    """Cluster-wide broker settings with Kafka's defaults underneath."""

    def __init__(self, overrides: dict[str, Any] | None = None) -> None:
        self.overrides = validate_broker_config(overrides or {})
        # Every setting's value, looked up once: brokers ask tens of thousands of times per
        # virtual second. The overrides are fixed once validated (cluster-wide settings change
        # through the metadata image's broker configs instead).
        self._values = {**{n: spec[0] for n, spec in TOPIC_CONFIGS.items()},
                        **{n: spec[0] for n, spec in BROKER_CONFIGS.items()}, **self.overrides}

    def get(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise KeyError(name) from None

    def topic_value(self, topic_overrides: dict[str, Any], name: str) -> Any:
        if name in topic_overrides:
            return topic_overrides[name]
        return self.get(name)
