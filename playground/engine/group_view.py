"""Read-only views of consumer groups and consumers, as `kafka-consumer-groups --describe` shows them.

Computed from engine state on each call: a group's state, generation and
members come from its coordinator (the broker leading its `__consumer_offsets`
partition); committed offsets from the coordinator's cache, or, while no
broker coordinates the group, from that partition's log below its high
watermark; lag is the high watermark minus the committed offset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .group_offsets import OFFSETS_TOPIC, partition_for, replay_log
from .protocol import TopicPartition


@dataclass(frozen=True)
class GroupView:
    group_id: str
    state: str                      # Empty | PreparingRebalance | CompletingRebalance | Stable | Dead
    #                                 (Dead also while no live broker coordinates the group)
    generation: int
    assignor: str | None            # the protocol the members voted for ("range", ...)
    coordinator: int | None         # the broker leading the group's __consumer_offsets partition
    partition: int                  # that partition
    leader: str | None              # the leader member's consumer name
    members: dict[str, tuple[TopicPartition, ...]] = field(default_factory=dict)   # consumer name -> partitions
    member_ids: dict[str, str] = field(default_factory=dict)                        # consumer name -> member id
    static_members: dict[str, str] = field(default_factory=dict)                    # consumer name -> instance id
    committed: dict[TopicPartition, int] = field(default_factory=dict)
    lag: dict[TopicPartition, int | None] = field(default_factory=dict)
    # consumer name -> virtual ms at which the coordinator expels the member unless a heartbeat
    # (or a JoinGroup/SyncGroup) arrives first: session.timeout.ms after the last one
    session_deadlines: dict[str, int] = field(default_factory=dict)
    rebalance_reason: str | None = None     # why the current (or last) rebalance started

    def as_report(self) -> dict[str, Any]:
        """The scenario report's `groups.<id>` entry."""
        return {"state": self.state, "generation": self.generation, "assignor": self.assignor,
                "coordinator": self.coordinator, "leader": self.leader,
                "members": {name: [str(tp) for tp in tps] for name, tps in self.members.items()},
                "committed": {str(tp): off for tp, off in sorted(self.committed.items())},
                "lag": {str(tp): lag for tp, lag in sorted(self.lag.items())}}


@dataclass(frozen=True)
class ConsumerView:
    name: str
    group: str | None
    state: str                      # polling | processing | committing | paused | closing | stopped | crashed | idle
    alive: bool
    polled: int
    processed: int
    assignment: tuple[TopicPartition, ...]
    positions: dict[TopicPartition, int | None]
    member_id: str | None = None
    generation: int = -1
    member_state: str | None = None  # UNJOINED | PREPARING_REBALANCE | COMPLETING_REBALANCE | STABLE
    coordinator: int | None = None
    error: str | None = None
    paused: bool = False             # the application stopped calling poll() (state turns "paused" after its batch)
    subscription: tuple[str, ...] = ()   # the topics it subscribed to (empty with assign())

    def as_report(self) -> dict[str, Any]:
        return {"group": self.group, "polled": self.polled, "processed": self.processed}


def consumer_view(c) -> ConsumerView:
    g = c.group
    return ConsumerView(c.name, c.group_id, c.app_state, c.alive, c.polled, c.processed, tuple(c.assignment),
                        dict(c.positions), g.member_id if g else None, g.generation if g else -1,
                        g.state if g else None, g.coordinator if g else None, c.error, bool(c.paused),
                        tuple(c.subscription))


def _coordinator_of(cluster, group_id: str):
    """(broker id, partition, the broker's GroupCoordinator if it has the group loaded)."""
    image = cluster.controller.image
    topic = image.topics.get(OFFSETS_TOPIC)
    if topic is None or not topic.partitions:
        return None, -1, None
    p = partition_for(group_id, len(topic.partitions))
    leader = topic.partitions[p].leader
    broker = cluster.brokers.get(leader)
    if broker is None or not broker.alive or not broker.group_coordinator.owns(group_id):
        return None, p, None          # mid-failover: no live broker coordinates the group
    return leader, p, broker.group_coordinator


def group_ids(cluster) -> list[str]:
    ids = {c.group_id for c in cluster.consumers.values() if c.group_id is not None}
    for broker in cluster.brokers.values():
        if broker.alive:
            gc = broker.group_coordinator
            ids.update(gid for gid, g in gc.groups.items() if gc.leads(g.partition))
            ids.update(gid for gid in gc.offsets if gc.owns(gid))
    return sorted(ids)


def committed_offsets(cluster, view, group_id: str) -> dict[TopicPartition, int]:
    _, p, gc = _coordinator_of(cluster, group_id)
    if gc is not None:
        return {tp: om.offset for tp, om in gc.offsets.get(group_id, {}).items()}
    if p < 0:
        return {}
    log = view.authoritative_log(OFFSETS_TOPIC, p)
    if log is None:
        return {}
    loaded = replay_log(log, log.high_watermark)
    return {tp: om.offset for tp, om in loaded.offsets.get(group_id, {}).items()}


def describe_group(cluster, view, group_id: str) -> GroupView:
    coordinator, p, gc = _coordinator_of(cluster, group_id)
    committed = committed_offsets(cluster, view, group_id)
    members: dict[str, tuple[TopicPartition, ...]] = {}
    ids: dict[str, str] = {}
    static: dict[str, str] = {}
    deadlines: dict[str, int] = {}
    state, generation, assignor, leader, reason = "Dead", -1, None, None, None
    group = gc.groups.get(group_id) if gc is not None else None
    if group is not None:
        state, generation, assignor = group.state, group.generation_id, group.protocol_name
        reason = group.rebalance_reason or None
        for mid, m in group.members.items():
            name = m.client_id if m.client_id not in members else f"{m.client_id} ({mid})"
            members[name] = tuple(sorted(m.assignment))
            ids[name] = mid
            if m.group_instance_id is not None:
                static[name] = m.group_instance_id
            if mid == group.leader_id:
                leader = name
            timer = m.heartbeat_timer
            if timer is not None and not timer.cancelled:
                deadlines[name] = timer.time
    lag: dict[TopicPartition, int | None] = {}
    for tp in sorted(set(committed) | {tp for tps in members.values() for tp in tps}):
        log = view.authoritative_log(tp.topic, tp.partition)
        lag[tp] = max(0, log.high_watermark - committed[tp]) if log is not None and tp in committed else None
    return GroupView(group_id, state, generation, assignor, coordinator, p, leader, members, ids, static,
                     committed, lag, deadlines, reason)
