"""Partition changes the controller makes when brokers come and go.

Pure functions over a `MetadataImage`: they return PartitionChangeRecords
and never mutate (Kafka's `PartitionChangeBuilder`). A leader is chosen from
the ISR in replica order (the first is the preferred leader); when no ISR
member can lead, the partition goes offline (`Leader: none`) unless unclean
leader election is enabled for the topic.
"""

from __future__ import annotations

from typing import Callable

from .metadata import MetadataImage, PartitionChangeRecord, PartitionInfo

NO_LEADER = -1


def choose_leader(p: PartitionInfo, isr: list[int], usable: set[int], unclean: bool) -> tuple[int, bool]:
    """(new leader, whether the election was unclean)."""
    for r in p.replicas:
        if r in isr and r in usable:
            return r, False
    if unclean:
        for r in p.replicas:
            if r in usable:
                return r, True
    return NO_LEADER, False


def changes_for_fenced_broker(image: MetadataImage, broker_id: int, usable: set[int],
                              unclean_for: Callable[[str], bool]) -> list[tuple[str, PartitionChangeRecord, bool]]:
    """Take a fenced broker out of every ISR and move its leaderships away.

    Kafka keeps the last ISR member in the ISR of an offline partition, so it
    is known who may lead when it comes back.
    """
    out = []
    for topic in image.topics.values():
        for p in topic.partitions:
            if broker_id not in p.isr and p.leader != broker_id:
                continue
            isr = [r for r in p.isr if r != broker_id]
            leader = p.leader
            unclean = False
            if p.leader == broker_id or p.leader == NO_LEADER:
                leader, unclean = choose_leader(p, isr, usable, unclean_for(topic.name))
            if not isr:
                isr = [leader] if leader != NO_LEADER else [broker_id]
            elif unclean:
                isr = [leader]
            rec = PartitionChangeRecord(topic.topic_id, p.partition,
                                        leader=leader if leader != p.leader else None,
                                        isr=tuple(isr) if isr != p.isr else None)
            if rec.leader is not None or rec.isr is not None:
                out.append((topic.name, rec, unclean))
    return out


def changes_for_unfenced_broker(image: MetadataImage, broker_id: int, usable: set[int],
                                unclean_for: Callable[[str], bool]) -> list[tuple[str, PartitionChangeRecord, bool]]:
    """Offline partitions this broker can lead again (it was the last in the ISR, or unclean)."""
    out = []
    for topic in image.topics.values():
        for p in topic.partitions:
            if p.leader != NO_LEADER or broker_id not in p.replicas:
                continue
            leader, unclean = choose_leader(p, p.isr, usable, unclean_for(topic.name))
            if leader == NO_LEADER:
                continue
            isr = p.isr if not unclean else [leader]
            out.append((topic.name, PartitionChangeRecord(topic.topic_id, p.partition, leader=leader,
                                                          isr=tuple(isr)), unclean))
    return out
