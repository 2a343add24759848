"""Consumer groups on the wire: FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
OffsetCommit, OffsetFetch, ListGroups and DescribeGroups (the classic protocol).

The engine's group coordinator (playground.engine.group_coordinator) does the work; these
adapters translate. Subscriptions and assignments are opaque bytes to a Kafka coordinator;
see `consumer_protocol` for how their decoded form and their bytes both reach the engine.
"""

from __future__ import annotations

from typing import Any, Callable

from playground.engine.errors import Errors
from playground.engine.group_protocol import (DescribeGroupsRequest, DescribeGroupsResponse, FindCoordinatorRequest,
                                              FindCoordinatorResponse, HeartbeatRequest, JoinGroupProtocol,
                                              JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest,
                                              LeaveGroupResponse, ListGroupsRequest, ListGroupsResponse,
                                              MemberIdentity, OffsetCommitPartition, OffsetCommitRequest,
                                              OffsetCommitResponse, OffsetFetchRequest, OffsetFetchResponse,
                                              SyncGroupRequest, SyncGroupResponse)
from playground.engine.protocol import TopicPartition

from .codec import millis
from .consumer_protocol import decode_assignment, decode_subscription, encode_assignment, encode_subscription
from .exchange import Exchange


def gather(x: Exchange, requests: list[tuple[str, Any]], done: Callable[[list[Any]], None]) -> None:
    """Send several engine requests for one Kafka request; `done` gets the answers in order."""
    answers: list[Any] = [None] * len(requests)
    left = [len(requests)]
    if not requests:
        done([])
        return

    def one(i: int, resp: Any) -> None:
        answers[i] = resp
        left[0] -= 1
        if left[0] == 0:
            done(answers)

    for i, (api, body) in enumerate(requests):
        x.send(api, body, lambda resp, i=i: one(i, resp))


# -- FindCoordinator (10) -----------------------------------------------------------------------
def find_coordinator(x: Exchange) -> None:
    req = x.request
    key_type = int(getattr(req, "key_type", 0))
    keys = list(req.coordinator_keys) if x.version >= 4 else [req.key]
    gather(x, [("find_coordinator", FindCoordinatorRequest(k, key_type)) for k in keys],
           lambda answers: _coordinators(x, keys, answers))


def _coordinators(x: Exchange, keys: list[str], answers: list[FindCoordinatorResponse]) -> None:
    out = []
    for key, r in zip(keys, answers):
        host, port = x.server.address_of(r.node_id) if r.error == Errors.NONE else ("", -1)
        out.append({"key": key, "node_id": r.node_id if r.error == Errors.NONE else -1, "host": host, "port": port,
                    "error_code": r.error, "error_message": r.error_message})
    if x.version >= 4:
        x.respond(coordinators=out)
    else:
        x.respond(**{k: v for k, v in out[0].items() if k != "key"})


# -- JoinGroup (11) ------------------------------------------------------------------------------
def join_group(x: Exchange, member_id: str | None = None) -> None:
    req = x.request
    instance = getattr(req, "group_instance_id", None)
    protocols = [JoinGroupProtocol(p.name, decode_subscription(p.metadata, instance)) for p in req.protocols]
    session = millis(req.session_timeout)
    rebalance = millis(req.rebalance_timeout) if x.version >= 1 else session
    body = JoinGroupRequest(req.group_id, session, rebalance, req.member_id if member_id is None else member_id,
                            protocols, instance, req.protocol_type, getattr(req, "reason", None), x.client_id)
    x.send("join_group", body, lambda resp: _joined(x, body, resp))


def _joined(x: Exchange, body: JoinGroupRequest, resp: JoinGroupResponse) -> None:
    if resp.error == Errors.MEMBER_ID_REQUIRED and x.version < 4:
        # Before JoinGroup v4 (KIP-394) a new member joins in one round trip: join again at once
        # with the id the coordinator just handed out, as Kafka does for those clients.
        join_group(x, resp.member_id)
        return
    if resp.error == Errors.NONE:
        x.server.member_hosts[(body.group_id, resp.member_id)] = f"/{x.conn.host}"
    members = [{"member_id": m.member_id, "group_instance_id": m.group_instance_id,
                "metadata": encode_subscription(m.metadata)} for m in resp.members]
    x.respond(error_code=resp.error, generation_id=resp.generation_id, protocol_type=resp.protocol_type,
              protocol_name=resp.protocol_name or "", leader=resp.leader, skip_assignment=resp.skip_assignment,
              member_id=resp.member_id, members=members)


# -- SyncGroup (14) ------------------------------------------------------------------------------
def sync_group(x: Exchange) -> None:
    req = x.request
    assignments = {}
    raw = x.server.assignment_bytes
    for a in req.assignments:
        partitions = decode_assignment(a.assignment)
        assignments[a.member_id] = partitions
        raw[(req.group_id, a.member_id)] = (partitions, bytes(a.assignment or b""))
    body = SyncGroupRequest(req.group_id, int(req.generation_id), req.member_id, assignments,
                            getattr(req, "group_instance_id", None), getattr(req, "protocol_type", None),
                            getattr(req, "protocol_name", None))
    x.send("sync_group", body, lambda resp: _synced(x, resp))


def _synced(x: Exchange, resp: SyncGroupResponse) -> None:
    kept = x.server.assignment_bytes.get((x.request.group_id, x.request.member_id))
    raw = kept[1] if kept is not None and tuple(kept[0]) == tuple(resp.assignment) else None
    assignment = encode_assignment(resp.assignment, raw) if resp.error == Errors.NONE else b""
    x.respond(error_code=resp.error, protocol_type=resp.protocol_type, protocol_name=resp.protocol_name,
              assignment=assignment)


# -- Heartbeat (12), LeaveGroup (13) ---------------------------------------------------------------
def heartbeat(x: Exchange) -> None:
    req = x.request
    body = HeartbeatRequest(req.group_id, int(req.generation_id), req.member_id, getattr(req, "group_instance_id", None))
    x.send("heartbeat", body, lambda resp: x.respond(error_code=resp.error))


def leave_group(x: Exchange) -> None:
    req = x.request
    if x.version >= 3:
        members = [MemberIdentity(m.member_id, m.group_instance_id, getattr(m, "reason", None)) for m in req.members]
    else:
        members = [MemberIdentity(req.member_id)]
    x.send("leave_group", LeaveGroupRequest(req.group_id, members), lambda resp: _left(x, members, resp))


def _left(x: Exchange, members: list[MemberIdentity], resp: LeaveGroupResponse) -> None:
    for m in members:
        x.server.member_hosts.pop((x.request.group_id, m.member_id), None)
        x.server.assignment_bytes.pop((x.request.group_id, m.member_id), None)
    if x.version < 3:
        error = resp.error if resp.error != Errors.NONE else resp.members.get(members[0].member_id, Errors.NONE)
        x.respond(error_code=error)
        return
    x.respond(error_code=resp.error,
              members=[{"member_id": m.member_id, "group_instance_id": m.group_instance_id,
                        "error_code": resp.members.get(m.member_id, Errors.NONE)} for m in members])


# -- OffsetCommit (8), OffsetFetch (9) ----------------------------------------------------------------
def offset_commit(x: Exchange) -> None:
    req = x.request
    offsets = {}
    for t in req.topics:
        for p in t.partitions:
            offsets[TopicPartition(t.name, int(p.partition_index))] = OffsetCommitPartition(
                int(p.committed_offset), int(getattr(p, "committed_leader_epoch", -1)), p.committed_metadata or "")
    body = OffsetCommitRequest(req.group_id, int(req.generation_id_or_member_epoch), req.member_id or "", offsets,
                               getattr(req, "group_instance_id", None))
    x.send("offset_commit", body, lambda resp: _committed(x, resp))


def _committed(x: Exchange, resp: OffsetCommitResponse) -> None:
    topics = []
    for t in x.request.topics:
        topics.append({"name": t.name, "partitions": [
            {"partition_index": int(p.partition_index),
             "error_code": resp.partitions.get(TopicPartition(t.name, int(p.partition_index)), Errors.NONE)}
            for p in t.partitions]})
    x.respond(topics=topics)


def offset_fetch(x: Exchange) -> None:
    req = x.request
    stable = bool(getattr(req, "require_stable", False))
    if x.version >= 8:
        groups = [(g.group_id, g.topics) for g in req.groups]
    else:
        groups = [(req.group_id, req.topics)]
    bodies = []
    for group_id, topics in groups:
        wanted = None
        if topics is not None:
            wanted = [TopicPartition(t.name, int(p)) for t in topics for p in t.partition_indexes]
        bodies.append(("offset_fetch", OffsetFetchRequest(group_id, wanted, stable)))
    gather(x, bodies, lambda answers: _fetched_offsets(x, groups, answers))


def _offset_topics(resp: OffsetFetchResponse) -> list[dict[str, Any]]:
    by_topic: dict[str, list[dict[str, Any]]] = {}
    for tp, p in resp.partitions.items():
        by_topic.setdefault(tp.topic, []).append(
            {"partition_index": tp.partition, "committed_offset": p.committed_offset,
             "committed_leader_epoch": p.committed_leader_epoch, "metadata": p.metadata or "",
             "error_code": p.error})
    return [{"name": name, "partitions": parts} for name, parts in by_topic.items()]


def _fetched_offsets(x: Exchange, groups, answers: list[OffsetFetchResponse]) -> None:
    if x.version >= 8:
        x.respond(groups=[{"group_id": gid, "topics": _offset_topics(r), "error_code": r.error}
                          for (gid, _), r in zip(groups, answers)])
        return
    r = answers[0]
    if r.error != Errors.NONE and x.version < 2:
        # Before v2 there is no top-level error: each asked partition carries it.
        topics = [{"name": t.name, "partitions": [{"partition_index": int(p), "committed_offset": -1,
                                                   "metadata": "", "error_code": r.error}
                                                  for p in t.partition_indexes]} for t in (groups[0][1] or ())]
        x.respond(topics=topics)
        return
    x.respond(topics=_offset_topics(r), error_code=r.error)


# -- ListGroups (16), DescribeGroups (15) -----------------------------------------------------------
def list_groups(x: Exchange) -> None:
    states = list(getattr(x.request, "states_filter", ()) or ())
    types = set(getattr(x.request, "types_filter", ()) or ())

    def answer(resp: ListGroupsResponse) -> None:
        groups = [{"group_id": g.group_id, "protocol_type": g.protocol_type, "group_state": g.group_state,
                   "group_type": "classic"} for g in resp.groups if not types or "classic" in types]
        x.respond(error_code=resp.error, groups=groups)

    x.send("list_groups", ListGroupsRequest(states), answer)


def describe_groups(x: Exchange) -> None:
    group_ids = list(x.request.groups)
    x.send("describe_groups", DescribeGroupsRequest(group_ids), lambda resp: _described(x, resp))


def _described(x: Exchange, resp: DescribeGroupsResponse) -> None:
    hosts = x.server.member_hosts
    groups = []
    for g in resp.groups:
        members = [{"member_id": m.member_id, "group_instance_id": m.group_instance_id, "client_id": m.client_id,
                    "client_host": hosts.get((g.group_id, m.member_id), m.client_host),
                    "member_metadata": encode_subscription(m.member_metadata),
                    "member_assignment": encode_assignment(tuple(m.member_assignment), _raw_assignment(
                        x, g.group_id, m.member_id, m.member_assignment)) if m.member_assignment else b""}
                   for m in g.members]
        groups.append({"error_code": g.error, "group_id": g.group_id, "group_state": g.group_state,
                       "protocol_type": g.protocol_type, "protocol_data": g.protocol_data, "members": members})
    x.respond(groups=groups)


def _raw_assignment(x: Exchange, group_id: str, member_id: str, partitions) -> bytes | None:
    kept = x.server.assignment_bytes.get((group_id, member_id))
    return kept[1] if kept is not None and tuple(kept[0]) == tuple(partitions) else None
