"""Kafka's consumer partition assignors, as pure functions.

The group leader runs one of these over every member's subscription
(ConsumerCoordinator.onLeaderElected). Outcomes match Kafka's Java client:
`range` and `roundrobin` (eager), `sticky` (eager, balanced and sticky) and
`cooperative-sticky` (incremental: partitions that change owner are first
revoked, then handed out in a follow-up rebalance).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import Errors, KafkaError
from ..protocol import TopicPartition


@dataclass(frozen=True)
class Subscription:
    """ConsumerPartitionAssignor.Subscription, reduced to what assignors read."""
    topics: tuple[str, ...]
    owned_partitions: tuple[TopicPartition, ...] = ()   # sticky / cooperative-sticky
    generation: int = -1                                # sticky's generation (-1 unknown)
    group_instance_id: str | None = None                # static member: orders range/roundrobin


# Imported after Subscription so the modules can name it in type hints.
from .range import assign_range  # noqa: E402
from .roundrobin import assign_roundrobin  # noqa: E402
from .sticky import assign_cooperative_sticky, assign_sticky  # noqa: E402

ASSIGNORS = ("range", "roundrobin", "sticky", "cooperative-sticky")

_ASSIGN = {
    "range": assign_range,
    "roundrobin": assign_roundrobin,
    "sticky": assign_sticky,
    "cooperative-sticky": assign_cooperative_sticky,
}

# partition.assignment.strategy takes class names; the group protocol uses name().
_CLASS_NAMES = {
    "RangeAssignor": "range",
    "RoundRobinAssignor": "roundrobin",
    "StickyAssignor": "sticky",
    "CooperativeStickyAssignor": "cooperative-sticky",
}


def protocol_name(config_value: str) -> str:
    """The protocol name for a partition.assignment.strategy entry: a protocol
    name or an assignor class name, as ConsumerConfig accepts."""
    value = config_value.strip() if isinstance(config_value, str) else ""
    if value in _ASSIGN:
        return value
    simple = value.rpartition(".")[2]
    package = value.rpartition(".")[0]
    if simple in _CLASS_NAMES and package in ("", "org.apache.kafka.clients.consumer"):
        return _CLASS_NAMES[simple]
    raise KafkaError(Errors.INVALID_CONFIG,
                     f"partition.assignment.strategy {config_value!r} is not one of "
                     f"{', '.join(ASSIGNORS)} (or their Kafka class names).")


def rebalance_protocol(name: str) -> str:
    """EAGER revokes everything before a rebalance; COOPERATIVE only what moves.
    Only CooperativeStickyAssignor.supportedProtocols() includes COOPERATIVE."""
    return "COOPERATIVE" if protocol_name(name) == "cooperative-sticky" else "EAGER"


def assign(name: str, partitions_per_topic: dict[str, int],
           subscriptions: dict[str, Subscription]) -> dict[str, list[TopicPartition]]:
    """Run assignor `name`; every member appears, each list sorted by (topic, partition)."""
    # As AbstractPartitionAssignor.assign(Cluster, ...): only subscribed topics
    # that have partitions reach the assignor (sticky's quotas count them all).
    subscribed = {t for s in subscriptions.values() for t in s.topics}
    counts = {t: n for t, n in partitions_per_topic.items() if t in subscribed and n > 0}
    result = _ASSIGN[protocol_name(name)](counts, subscriptions)
    return {m: sorted(result.get(m, ())) for m in sorted(subscriptions)}


__all__ = ["ASSIGNORS", "Subscription", "TopicPartition", "assign", "protocol_name",
           "rebalance_protocol"]
