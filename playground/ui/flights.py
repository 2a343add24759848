"""What the canvas animates: network messages turned into "flights".

A flight is one dot moving from one place on the canvas to another between
the message's `sent_at` and `arrive_at` (virtual ms). It is derived from the
`Message` the network reported and nothing else, apart from one read of the
view (is a fetch response telling a follower a higher high watermark than the
one it has?), so the canvas keeps no copy of engine state: flights expire as
soon as their message has arrived.

Plain Python, no Qt: the canvas decides where the ends are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Hashable

from . import txn_flights

# Flight kinds, from most to least important to see.
PRODUCE = "produce"            # client -> leader replica, carries records
ACK = "ack"                    # leader replica -> client, the produce response
REPLICATE = "replicate"        # leader replica -> follower replica, a fetch response with records
FETCH = "fetch"                # follower replica -> leader replica, "I have everything below N"
HW = "hw"                      # leader -> follower, a fetch response that only moves the follower's HW
TRUNCATE = "truncate"          # leader -> follower, "your log diverged, truncate"
CONSUME = "consume"            # broker -> consumer, a fetch response with records
CLIENT = "client"              # client <-> broker: metadata, consumer fetch requests, list_offsets
CONTROL = "control"            # broker <-> controller: metadata, heartbeats (hidden unless asked), AlterPartition;
                               # controller <-> controller: Raft fetches of the metadata log (hidden unless asked)
VOTE = "vote"                  # controller <-> controller: Vote and BeginQuorumEpoch, a KRaft election
GROUP = "group"                # consumer <-> coordinator: FindCoordinator, JoinGroup, SyncGroup, LeaveGroup
REBALANCE = "rebalance"        # coordinator -> consumer: "REBALANCE_IN_PROGRESS" (a heartbeat or SyncGroup answer)
COMMIT = "commit"              # consumer <-> coordinator: OffsetCommit and OffsetFetch

THIN = frozenset({FETCH, HW, CLIENT, CONTROL, COMMIT})
GROUP_APIS = frozenset({"find_coordinator", "join_group", "sync_group", "heartbeat", "leave_group", "offset_commit",
                        "offset_fetch"})


@dataclass(frozen=True, slots=True)
class Flight:
    kind: str
    src: tuple                 # ("client", name) | ("broker", id) | ("replica", broker, TopicPartition)
                               # | ("controller", id)
    dst: tuple
    label: str
    sent_at: int
    arrive_at: int
    lost: bool = False
    error: bool = False

    def progress(self, t: float) -> float:
        """0 at the sender, 1 at the receiver."""
        span = self.arrive_at - self.sent_at
        if span <= 0:
            return 1.0
        return min(1.0, max(0.0, (t - self.sent_at) / span))

    @property
    def thin(self) -> bool:
        return self.kind in THIN


def _node(node: Hashable, controllers: set) -> tuple:
    if isinstance(node, str):
        return ("client", node)
    if node in controllers:
        return ("controller", node)
    return ("broker", node)


def controller_nodes(view: Any) -> set:
    """Node ids drawn in the control-plane box, plus the controller broker in ZooKeeper mode."""
    nodes = {c.node_id for c in view.controllers() or ()}
    if view.controller_id is not None:
        nodes.add(view.controller_id)
    return nodes


def _raft(api: str, body: Any, request: bool, show_control: bool) -> str | None:
    """The label of a message between KRaft voters, or None when it is hidden chatter."""
    epoch = getattr(body, "epoch", "?")
    if api == "vote":           # elections are rare and the point of the quorum: always shown
        if request:
            return f"vote? (epoch {epoch})"
        return "vote ✓" if getattr(body, "granted", False) else "vote ✕"
    if api == "begin_quorum_epoch":
        return f"I lead epoch {epoch}" if request else "ok"
    if not show_control:        # raft_fetch: followers long-polling the leader's metadata log
        return None
    if request:
        return f"fetch @{getattr(body, 'fetch_offset', '?')}"
    entries = getattr(body, "entries", ())
    return f"+{len(entries)} metadata" if entries else f"HW {getattr(body, 'high_watermark', '?')}"


def classify(msg: Any, view: Any, show_control: bool = False, controllers: set | None = None) -> list[Flight]:
    """The flights worth drawing for one network message (often none).

    `controllers`: `controller_nodes(view)`, when the caller classifies many messages at once.
    """
    api = msg.api
    body = msg.body
    if not show_control and api in ("metadata_fetch", "broker_heartbeat", "create_topics", "raft_fetch"):
        return []                   # steady background chatter with the controller: hidden unless asked for
    if controllers is None:
        controllers = controller_nodes(view)
    src = _node(msg.src, controllers)
    dst = _node(msg.dst, controllers)
    t0, t1, lost = msg.sent_at, msg.arrive_at, msg.lost
    request = msg.direction == "request"

    def flight(kind, a, b, label, error=False) -> Flight:
        return Flight(kind, a, b, label, t0, t1, lost, error)

    if api in ("metadata_fetch", "broker_heartbeat", "create_topics"):
        label = {"metadata_fetch": "metadata fetch" if request else "metadata",
                 "broker_heartbeat": "heartbeat", "create_topics": "create topic"}[api]
        return [flight(CONTROL, src, dst, label)]
    if api in ("vote", "begin_quorum_epoch", "raft_fetch"):
        label = _raft(api, body, request, show_control)
        if label is None:
            return []
        kind = CONTROL if api == "raft_fetch" else VOTE
        return [flight(kind, src, dst, label, error=label == "vote ✕")]
    if api == "alter_partition":
        # A leader asking the controller to change the ISR: rare and worth seeing.
        return [flight(CONTROL, src, dst, "AlterPartition (ISR)" if request else "ISR ok")]

    if api == "produce":
        partitions = getattr(body, "partitions", None)
        if not isinstance(partitions, dict):          # Disconnected and the like
            return []
        out = []
        for tp, part in partitions.items():
            if request:
                out.append(flight(PRODUCE, src, ("replica", msg.dst, tp), f"{part.count} rec"))
            else:
                error = getattr(part, "error", None)
                if error is not None and error.name != "NONE":
                    out.append(flight(ACK, ("replica", msg.src, tp), dst, error.name, error=True))
                else:
                    out.append(flight(ACK, ("replica", msg.src, tp), dst, "ack"))
        return out

    if api == "fetch":
        partitions = getattr(body, "partitions", None)
        if not isinstance(partitions, dict):
            return []
        if request:
            if getattr(body, "replica_id", -1) >= 0:     # a follower's fetch: one thin dot per partition
                return [flight(FETCH, ("replica", msg.src, tp), ("replica", msg.dst, tp),
                               f"fetch @{part.fetch_offset}") for tp, part in partitions.items()
                        if show_control or not _internal(tp)]
            return [flight(CLIENT, src, dst, "fetch")]
        if dst[0] == "client":                            # records going to a consumer, from each leader strip
            out = []
            for tp, part in partitions.items():
                n = sum(b.count for b in getattr(part, "batches", ()))
                if n:
                    out.append(flight(CONSUME, ("replica", msg.src, tp), dst, f"{n} rec"))
            return out
        out = []
        for tp, part in partitions.items():
            if _internal(tp) and not show_control:
                continue
            a, b = ("replica", msg.src, tp), ("replica", msg.dst, tp)
            batches = getattr(part, "batches", ())
            if batches:
                out.append(flight(REPLICATE, a, b, f"+{sum(x.count for x in batches)} rec"))
            elif getattr(part, "diverging_epoch", None) is not None:
                out.append(flight(TRUNCATE, a, b, "truncate!", error=True))
            elif part.error.name != "NONE":
                out.append(flight(TRUNCATE, a, b, part.error.name, error=True))
            else:
                log = view.replica_log(msg.dst, tp.topic, tp.partition)
                if log is not None and part.high_watermark > log.high_watermark:
                    out.append(flight(HW, a, b, f"HW {part.high_watermark}"))
        return out

    if api in GROUP_APIS:
        shown = _group(api, body, request, view, show_control)
        if shown is None:
            return []
        kind, label, error = shown
        return [flight(kind, src, dst, label, error)]

    if api in txn_flights.APIS:
        return [flight(kind, a, b, label, error)
                for kind, a, b, label, error in txn_flights.classify(api, body, request, src, dst, msg.src, msg.dst,
                                                                      {"client": CLIENT, "commit": COMMIT})]

    if api in ("metadata", "list_offsets"):
        return [flight(CLIENT, src, dst, api.replace("_", " "))]
    return [flight(CLIENT, src, dst, api)]


def _internal(tp) -> bool:
    """__consumer_offsets and the like: not drawn as rows, their replication is chatter unless asked for."""
    return tp.topic.startswith("__")


def short_partitions(tps) -> str:
    """(orders/0, orders/1, pay/2) -> "orders/0,1 pay/2"; () -> "nothing"."""
    by_topic: dict[str, list[int]] = {}
    for tp in sorted(tps):
        by_topic.setdefault(tp.topic, []).append(tp.partition)
    return " ".join(f"{t}/{','.join(map(str, ps))}" for t, ps in by_topic.items()) or "nothing"


def _offsets(offsets: dict) -> str:
    parts = sorted(offsets.items())
    text = " ".join(f"{tp.partition}@{off}" for tp, off in parts[:4]) + (" …" if len(parts) > 4 else "")
    topics = sorted({tp.topic for tp, _ in parts})
    return f"{topics[0]} {text}" if len(topics) == 1 else text


def _error_name(body) -> str:
    error = getattr(body, "error", None)
    return error.name if error is not None else "NONE"


def _group(api: str, body: Any, request: bool, view: Any, show_control: bool) -> tuple[str, str, bool] | None:
    """(kind, label, error) of a group-protocol message, or None when it is hidden chatter.

    Heartbeats are hidden like the brokers' (unless asked for), except those
    that matter: one sent while the group prepares a rebalance, and any answer
    other than "ok" (REBALANCE_IN_PROGRESS tells a member to rejoin).
    """
    if not request and _error_name(body) == "REBALANCE_IN_PROGRESS":
        return REBALANCE, "REBALANCE_IN_PROGRESS", False
    if api == "heartbeat":
        if request:
            group = view.group(body.group_id) if not show_control else None
            if show_control or group.state == "PreparingRebalance":
                return (CONTROL if show_control else GROUP), "heartbeat", False
            return None
        error = _error_name(body)
        if error != "NONE":
            return GROUP, error, True
        return (CONTROL, "heartbeat ok", False) if show_control else None
    if api == "offset_commit":
        if request:
            offsets = {tp: p.committed_offset for tp, p in body.offsets.items()}
            return COMMIT, f"commit {_offsets(offsets)}", False
        error = _error_name(body)
        return (COMMIT, "committed ✓", False) if error == "NONE" else (COMMIT, error, True)
    if api == "offset_fetch":
        if request:
            return COMMIT, "OffsetFetch", False
        if _error_name(body) != "NONE":
            return COMMIT, _error_name(body), True
        found = {tp: p.committed_offset for tp, p in body.partitions.items() if p.committed_offset >= 0}
        return COMMIT, f"committed: {_offsets(found)}" if found else "no committed offset", False
    if request:
        if api == "find_coordinator":
            return GROUP, f"FindCoordinator {body.key}", False
        if api == "join_group":
            return GROUP, "JoinGroup", False
        if api == "sync_group":
            return GROUP, "SyncGroup + assignment" if body.assignments else "SyncGroup", False
        return GROUP, "LeaveGroup", False
    error = _error_name(body)
    if api == "find_coordinator":
        return (GROUP, f"coordinator: {body.node_id}", False) if error == "NONE" else (GROUP, error, True)
    if api == "join_group":
        if error == "MEMBER_ID_REQUIRED":           # KIP-394: the normal first answer, not a failure
            return GROUP, "MEMBER_ID_REQUIRED", False
        if error != "NONE":
            return GROUP, error, True
        if body.leader and body.leader == body.member_id:
            return GROUP, f"gen {body.generation_id} · you lead: run {body.protocol_name}", False
        return GROUP, f"gen {body.generation_id} · wait for SyncGroup", False
    if api == "sync_group":
        if error != "NONE":
            return GROUP, error, True
        return GROUP, f"you own {short_partitions(body.assignment)}", False
    return (GROUP, "left ✓", False) if error == "NONE" else (GROUP, error, True)
