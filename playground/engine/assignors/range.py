"""The range assignor (Kafka's `RangeAssignor`).

Source: clients/src/main/java/org/apache/kafka/clients/consumer/RangeAssignor.java.
Per topic, the subscribed members are sorted and each takes a contiguous run
of partitions; the first `partitions % members` take one extra. Rack-aware
range assignment (KIP-881) is not reproduced: the playground has no racks,
and without racks Kafka falls back to exactly this algorithm.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..protocol import TopicPartition

if TYPE_CHECKING:
    from . import Subscription


def member_order(member_id: str, sub: "Subscription") -> tuple:
    """Sort key of AbstractPartitionAssignor.MemberInfo.compareTo: static
    members first, by group.instance.id; then dynamic ones by member id."""
    if sub.group_instance_id is not None:
        return (0, sub.group_instance_id, member_id)
    return (1, member_id, "")


def assign_range(partitions_per_topic: dict[str, int],
                 subscriptions: dict[str, "Subscription"]) -> dict[str, list[TopicPartition]]:
    assignment: dict[str, list[TopicPartition]] = {m: [] for m in subscriptions}
    topics = sorted({t for s in subscriptions.values() for t in s.topics})
    for topic in topics:
        count = partitions_per_topic.get(topic, 0)
        if count <= 0:
            continue  # topics missing from metadata are skipped (AbstractPartitionAssignor.assign)
        members = sorted((m for m, s in subscriptions.items() if topic in s.topics),
                         key=lambda m: member_order(m, subscriptions[m]))
        per_member, extra = divmod(count, len(members))
        for i, member in enumerate(members):
            start = per_member * i + min(i, extra)
            length = per_member + (1 if i < extra else 0)
            assignment[member].extend(TopicPartition(topic, p) for p in range(start, start + length))
    return assignment
