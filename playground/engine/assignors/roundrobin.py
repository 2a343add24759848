"""The round-robin assignor (Kafka's `RoundRobinAssignor`).

Source: clients/src/main/java/org/apache/kafka/clients/consumer/RoundRobinAssignor.java.
Every subscribed partition, sorted by topic then partition, is dealt to the
next member of a circular walk over the sorted members; a member not
subscribed to the partition's topic is skipped (and stays skipped-over, so
differing subscriptions can leave the result unbalanced, as in Kafka).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..protocol import TopicPartition
from .range import member_order

if TYPE_CHECKING:
    from . import Subscription


def assign_roundrobin(partitions_per_topic: dict[str, int],
                      subscriptions: dict[str, "Subscription"]) -> dict[str, list[TopicPartition]]:
    assignment: dict[str, list[TopicPartition]] = {m: [] for m in subscriptions}
    members = sorted(subscriptions, key=lambda m: member_order(m, subscriptions[m]))
    topics = sorted({t for s in subscriptions.values() for t in s.topics})
    cursor = 0  # Kafka's CircularIterator: peek() is members[cursor]
    for topic in topics:
        for p in range(max(partitions_per_topic.get(topic, 0), 0)):
            # Some member subscribes to `topic`, so this loop ends.
            while topic not in subscriptions[members[cursor]].topics:
                cursor = (cursor + 1) % len(members)
            assignment[members[cursor]].append(TopicPartition(topic, p))
            cursor = (cursor + 1) % len(members)
    return assignment
