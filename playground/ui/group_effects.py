"""Captions and member highlights made from consumer-group events.

A rebalance is a short burst of events — a heartbeat answered
REBALANCE_IN_PROGRESS, JoinGroups, the leader running the assignor,
SyncGroup, partitions revoked and assigned — and each gets one caption line
here, shorter than the event log's sentence. Revoked, lost and newly
assigned partitions also get a highlight on the member's card (`effects.Effects`
keeps them, with the same lifetime as a strip flash).

Plain Python, no Qt.
"""

from __future__ import annotations

from typing import Any

from playground.engine.events import EventKind

# Member highlights (on a consumer's card).
REVOKED = "revoked"          # given up in a rebalance (eager: all of them; cooperative: only those that move)
LOST = "lost"                # dropped without a commit: the member was no longer in the group
ASSIGNED = "assigned"        # newly owned after a rebalance

# Caption tones (see effects): the rebalance tone is the group protocol's colour.
REBALANCE, BAD, GOOD, INFO = "rebalance", "bad", "good", "info"

KINDS = frozenset({
    EventKind.MEMBER_JOINED, EventKind.REBALANCE_STARTED, EventKind.JOIN_COMPLETED, EventKind.ASSIGNMENT_COMPUTED,
    EventKind.GROUP_STABLE, EventKind.GROUP_EMPTY, EventKind.MEMBER_REMOVED, EventKind.MEMBER_LEFT,
    EventKind.REJOIN_REQUESTED, EventKind.PARTITIONS_ASSIGNED, EventKind.PARTITIONS_REVOKED,
    EventKind.PARTITIONS_LOST, EventKind.CONSUMER_STARTED, EventKind.CONSUMER_STOPPED, EventKind.CONSUMER_CRASHED,
    EventKind.CONSUMER_PAUSED, EventKind.CONSUMER_RESUMED, EventKind.OFFSETS_RESET, EventKind.COORDINATOR_LOST,
    EventKind.OFFSET_COMMIT_FAILED,
})


def _parts(names) -> str:
    """["orders/0", "orders/1", "pay/2"] -> "orders/0,1 pay/2"."""
    by_topic: dict[str, list[str]] = {}
    for name in names:
        topic, _, p = str(name).rpartition("/")
        by_topic.setdefault(topic, []).append(p)
    return " ".join(f"{t}/{','.join(ps)}" for t, ps in by_topic.items()) or "nothing"


def member_effects(kind, d: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """(highlight kind, consumer, partitions) for one event."""
    consumer = d.get("consumer")
    if consumer is None:
        return []
    if kind == EventKind.PARTITIONS_REVOKED:
        return [(REVOKED, consumer, list(d.get("partitions", ())))]
    if kind == EventKind.PARTITIONS_LOST:
        return [(LOST, consumer, list(d.get("partitions", ())))]
    if kind == EventKind.PARTITIONS_ASSIGNED and d.get("added"):
        return [(ASSIGNED, consumer, list(d["added"]))]
    return []


def caption(kind, d: dict[str, Any], text: str) -> tuple[str, str] | None:
    """(caption, tone) for a group event, or None when the event log says enough."""
    g, who = d.get("group"), d.get("consumer") or d.get("member")
    if kind == EventKind.REBALANCE_STARTED:
        gen = d.get("generation", 0)
        return f"Group {g} REBALANCES (generation {gen} → {gen + 1}) because {d.get('reason')}", REBALANCE
    if kind == EventKind.REJOIN_REQUESTED:
        if d.get("reason") == "the group is rebalancing":
            return f"{who}'s heartbeat is answered REBALANCE_IN_PROGRESS: it sends JoinGroup again", REBALANCE
        if d.get("error"):
            return f"{who} heard {d['error']}: it loses its partitions and joins again", BAD
        return None                             # MEMBER_ID_REQUIRED and the like: the event log tells
    if kind == EventKind.MEMBER_JOINED:
        how = " (static member back: no rebalance)" if d.get("static") and "no rebalance" in text else ""
        return f"{who} joined group {g} (JoinGroup to coordinator {d.get('broker')}){how}", REBALANCE
    if kind == EventKind.JOIN_COMPLETED:
        return (f"Group {g} generation {d.get('generation')}: {d.get('leader')} is the leader, it runs the "
                f"{d.get('protocol')} assignor; the others wait in SyncGroup", REBALANCE)
    if kind == EventKind.ASSIGNMENT_COMPUTED:
        plan = " · ".join(f"{m} → {_parts(tps)}" for m, tps in sorted(d.get("assignment", {}).items()))
        return f"{who} ran {d.get('protocol')}: {plan} (sent in its SyncGroup)", REBALANCE
    if kind == EventKind.GROUP_STABLE:
        plan = " · ".join(f"{m} {_parts(tps)}" for m, tps in d.get("assignment", {}).items())
        return f"Group {g} is Stable, generation {d.get('generation')}: {plan}", GOOD
    if kind == EventKind.GROUP_EMPTY:
        return f"Group {g} is Empty: its committed offsets stay in __consumer_offsets", INFO
    if kind == EventKind.PARTITIONS_REVOKED:
        parts = _parts(d.get("partitions", ()))
        if d.get("protocol") == "COOPERATIVE":
            return f"{who} gives up only {parts} (cooperative): it keeps reading the rest", REBALANCE
        return f"{who} gives up ALL its partitions ({parts}) before rejoining (eager rebalance)", REBALANCE
    if kind == EventKind.PARTITIONS_LOST:
        return f"{who} lost {_parts(d.get('partitions', ()))}: no longer a member, it cannot commit them", BAD
    if kind == EventKind.PARTITIONS_ASSIGNED:
        if not d.get("partitions"):
            return f"{who} got no partition in generation {d.get('generation')}: it stays in {g}, IDLE", INFO
        return None                             # GROUP_STABLE already listed every member's partitions
    if kind == EventKind.MEMBER_REMOVED:
        reason = d.get("reason")
        if reason == "session_timeout":
            return (f"Coordinator {d.get('broker')} EXPELLED {who}: no heartbeat for session.timeout.ms", BAD)
        if reason == "leave_group":
            return f"{who} left group {g} (LeaveGroup): its partitions are handed out at once", REBALANCE
        return f"Coordinator {d.get('broker')} removed {who} from {g}: it did not rejoin in time", BAD
    if kind == EventKind.MEMBER_LEFT:
        return f"{who} did not poll() for max.poll.interval.ms: it leaves group {g}", BAD
    if kind == EventKind.CONSUMER_CRASHED:
        if g is None:
            return f"Consumer {who} crashed", BAD
        return (f"Consumer {who} CRASHED: no LeaveGroup, so the coordinator waits session.timeout.ms "
                "before it rebalances", BAD)
    if kind == EventKind.CONSUMER_STOPPED:
        return f"Consumer {who} closed: it committed and sent LeaveGroup", INFO
    if kind == EventKind.CONSUMER_STARTED:
        return f"Consumer {who} started in group {g}: FindCoordinator, then JoinGroup", INFO
    if kind == EventKind.CONSUMER_PAUSED:
        return f"Consumer {who} stops calling poll(): heartbeats go on until max.poll.interval.ms", INFO
    if kind == EventKind.CONSUMER_RESUMED:
        return f"Consumer {who} calls poll() again", GOOD
    if kind == EventKind.OFFSETS_RESET:
        offsets = " ".join(f"{tp}={o}" for tp, o in sorted(d.get("offsets", {}).items()))
        return f"kafka-consumer-groups reset {g}'s offsets on {d.get('topic')}: {offsets}", INFO
    if kind == EventKind.COORDINATOR_LOST and d.get("broker") is not None:
        return f"{who} lost its coordinator (broker {d['broker']}): FindCoordinator again", BAD
    if kind == EventKind.OFFSET_COMMIT_FAILED:
        why = text.split("): ", 1)[1].split(". ")[0] if "): " in text else "see the event log"
        return f"{who}'s offset commit FAILED ({why}): the next owner re-reads those records", BAD
    return None
