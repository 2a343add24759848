"""The coordinator's durable side: committed offsets, group records, loading and unloading.

Mixed into `GroupCoordinator`. Committed offsets are records in the group's
`__consumer_offsets` partition; the in-memory cache (`offsets`) changes only
once such a record is replicated, so an OffsetFetch never returns a commit a
failover could lose (Kafka 4 reads at the last committed offset). When a
broker becomes leader of an offsets partition it replays the log to rebuild
the cache and the groups (Kafka's `GroupMetadataManager.replay` + `onLoaded`:
members keep their generation and assignment and get a fresh session timeout).
"""

from __future__ import annotations

from typing import Any

from .errors import Errors
from .events import EventKind
from .group_offsets import (OFFSETS_TOPIC, OffsetAndMetadata, group_metadata_record, offset_commit_record,
                            replay_log, subscription_from_json, subscription_to_json)
from .group_protocol import (DescribedGroup, DescribedGroupMember, DescribeGroupsResponse, ListedGroup,
                             ListGroupsResponse, OffsetCommitRequest, OffsetCommitResponse, OffsetFetchPartition,
                             OffsetFetchRequest, OffsetFetchResponse)
from .group_state import COMPLETING_REBALANCE, DEAD, EMPTY, STABLE, ClassicGroup, Member
from .network import Envelope
from .protocol import TopicPartition


def append_error_to_response(error: Errors) -> Errors:
    """Kafka's appendGroupMetadataErrorToResponseError: what a failed write means to a client."""
    if error in (Errors.UNKNOWN_TOPIC_OR_PARTITION, Errors.NOT_ENOUGH_REPLICAS,
                 Errors.NOT_ENOUGH_REPLICAS_AFTER_APPEND, Errors.REQUEST_TIMED_OUT):
        return Errors.COORDINATOR_NOT_AVAILABLE
    if error == Errors.NOT_LEADER_OR_FOLLOWER:
        return Errors.NOT_COORDINATOR
    return error


def fmt_offsets(offsets: dict[TopicPartition, Any]) -> str:
    return ", ".join(f"{tp}={getattr(v, 'offset', v)}" for tp, v in sorted(offsets.items())) or "none"


class CoordinatorOffsets:
    # -- loading ----------------------------------------------------------------------
    def load(self, partition: int, log, leader_epoch: int) -> None:
        self.unload(partition, quiet=True)
        data = replay_log(log)
        now = self.clock.now
        loaded: list[str] = []
        for gid in sorted(set(data.offsets) | set(data.groups)):
            if self.partition_of(gid) != partition:
                continue
            self.offsets[gid] = dict(data.offsets.get(gid, {}))
            group = self.groups[gid] = ClassicGroup(gid, partition, now)
            value = data.groups.get(gid)
            if value is not None:
                self._restore(group, value)
            loaded.append(gid)
        for pid, groups in data.pending.items():
            for gid, offsets in groups.items():
                self.pending_txn_offsets.setdefault(pid, {}).setdefault(gid, {}).update(offsets)
        self.loaded[partition] = leader_epoch
        if not loaded:
            return
        parts = []
        for gid in loaded:
            g = self.groups[gid]
            parts.append(f"group {gid} ({g.state}, generation {g.generation_id}, {len(g.members)} member(s), "
                         f"committed {fmt_offsets(self.offsets.get(gid, {}))})")
        self.events.emit(EventKind.GROUPS_LOADED,
                         f"Broker {self.broker_id} is now leader of {OFFSETS_TOPIC}/{partition}, so it is the "
                         f"coordinator of the groups stored there: it replayed the partition's log "
                         f"({log.log_end_offset - log.log_start_offset} record(s)) and loaded {'; '.join(parts)}. "
                         "Members keep their assignment if they reach it within session.timeout.ms.",
                         broker=self.broker_id, partition=partition, groups=loaded)

    def _restore(self, group: ClassicGroup, value: dict[str, Any]) -> None:
        group.generation_id = int(value.get("generation", 0))
        group.protocol_type = value.get("protocolType") or None
        group.protocol_name = value.get("protocol") or None
        for m in value.get("members", []):
            member = Member(m["memberId"], m.get("groupInstanceId"), m.get("clientId", ""),
                            int(m["rebalanceTimeout"]), int(m["sessionTimeout"]),
                            [(group.protocol_name, subscription_from_json(m.get("subscription", {}),
                                                                          m.get("groupInstanceId")))])
            member.assignment = tuple(TopicPartition.parse(t) for t in m.get("assignment", ()))
            group.add(member)
            self.schedule_heartbeat_expiry(group, member)
        group.leader_id = value.get("leader") if value.get("leader") in group.members else group.leader_id
        group.state = STABLE if group.members else EMPTY

    def unload(self, partition: int, quiet: bool = False) -> None:
        gone = [g for g in self.groups.values() if g.partition == partition]
        self.loaded.pop(partition, None)
        for group in gone:
            self.kill_group(group)
            del self.groups[group.group_id]
            self.offsets.pop(group.group_id, None)
        if gone and not quiet:
            self.events.emit(EventKind.GROUPS_UNLOADED,
                             f"Broker {self.broker_id} is no longer leader of {OFFSETS_TOPIC}/{partition}: it "
                             f"stops coordinating {', '.join(g.group_id for g in gone)} and answers "
                             "NOT_COORDINATOR, so their members look the coordinator up again.",
                             broker=self.broker_id, partition=partition, groups=[g.group_id for g in gone])

    # -- writing group metadata -----------------------------------------------------------
    def persist_group(self, group: ClassicGroup, assignment: dict[str, tuple[TopicPartition, ...]], done) -> None:
        """Write the GroupMetadata record of the current generation (Kafka's storeGroup)."""
        members = []
        for mid, m in group.members.items():
            members.append({"memberId": mid, "groupInstanceId": m.group_instance_id, "clientId": m.client_id,
                            "clientHost": f"/{m.client_id}", "rebalanceTimeout": m.rebalance_timeout_ms,
                            "sessionTimeout": m.session_timeout_ms,
                            "subscription": subscription_to_json(m.metadata(group.protocol_name)),
                            "assignment": [str(tp) for tp in assignment.get(mid, ())]})
        value = {"protocolType": group.protocol_type or "", "generation": group.generation_id,
                 "protocol": group.protocol_name, "leader": group.leader_id,
                 "currentStateTimestamp": self.clock.now, "members": members}
        record = group_metadata_record(group.group_id, value, self.clock.now)
        self.broker.coordinator_append(group.partition, [record], done,
                                       f"group {group.group_id}'s metadata (generation {group.generation_id})")

    # -- OffsetCommit ----------------------------------------------------------------------
    def offset_commit(self, env: Envelope) -> None:
        req: OffsetCommitRequest = env.body

        def answer(error: Errors) -> None:
            self.network.respond(env, OffsetCommitResponse({tp: error for tp in req.offsets}))

        if not self.owns(req.group_id):
            answer(Errors.NOT_COORDINATOR)
            return
        group = self.groups.get(req.group_id)
        if group is None:
            if req.generation_id_or_member_epoch >= 0:
                answer(Errors.ILLEGAL_GENERATION)
                return
            # An admin client or a consumer with assign(): a "simple" group is created.
            group = self.new_group(req.group_id)
        error = self._validate_offset_commit(group, req)
        if error != Errors.NONE:
            answer(error)
            return
        now = self.clock.now
        values = {tp: OffsetAndMetadata(p.committed_offset, p.committed_leader_epoch, p.committed_metadata, now)
                  for tp, p in req.offsets.items()}
        records = [offset_commit_record(group.group_id, tp, om, now) for tp, om in sorted(values.items())]
        member = group.members.get(req.member_id)
        who = f"{member.client_id} (generation {req.generation_id_or_member_epoch})" if member else "an admin client"

        def done(error: Errors) -> None:
            if error != Errors.NONE:
                answer(append_error_to_response(error))
                return
            self.offsets.setdefault(group.group_id, {}).update(values)
            self.events.emit(EventKind.OFFSETS_COMMITTED,
                             f"Group {group.group_id} committed {fmt_offsets(values)} for {who}: coordinator "
                             f"{self.broker_id} wrote it to {OFFSETS_TOPIC}/{group.partition} and every in-sync "
                             "replica has it. A member that takes these partitions over starts there.",
                             group=group.group_id, broker=self.broker_id, member=member.client_id if member else None,
                             offsets={str(tp): om.offset for tp, om in values.items()})
            answer(Errors.NONE)

        self.broker.coordinator_append(group.partition, records, done,
                                       f"{len(records)} offset commit record(s) of group {group.group_id}")

    def _validate_offset_commit(self, group: ClassicGroup, req: OffsetCommitRequest) -> Errors:
        """Kafka's ClassicGroup.validateOffsetCommit."""
        if group.is_in(DEAD):
            return Errors.COORDINATOR_NOT_AVAILABLE
        generation = req.generation_id_or_member_epoch
        if generation < 0 and group.is_in(EMPTY):
            return Errors.NONE
        if generation >= 0 or req.member_id or req.group_instance_id is not None:
            error = self.validate_member(group, req.member_id, req.group_instance_id)
            if error != Errors.NONE:
                return error
            if generation != group.generation_id:
                return Errors.ILLEGAL_GENERATION
        elif not group.is_in(EMPTY):
            return Errors.UNKNOWN_MEMBER_ID
        if group.is_in(COMPLETING_REBALANCE):
            # The member already has the new generation but not its assignment yet.
            return Errors.REBALANCE_IN_PROGRESS
        return Errors.NONE

    # -- OffsetFetch, ListGroups, DescribeGroups ----------------------------------------------
    def offset_fetch(self, env: Envelope) -> None:
        req: OffsetFetchRequest = env.body
        if not self.owns(req.group_id):
            self.network.respond(env, OffsetFetchResponse(Errors.NOT_COORDINATOR))
            return
        committed = self.offsets.get(req.group_id, {})
        wanted = req.partitions if req.partitions is not None else sorted(committed)
        # KIP-447: offsets written in a transaction that has not ended yet make the answer unstable;
        # the consumer asks again rather than start from offsets that may be about to change.
        if any(tp in offsets.get(req.group_id, {}) for offsets in self.pending_txn_offsets.values()
               for tp in wanted):
            self.network.respond(env, OffsetFetchResponse(Errors.UNSTABLE_OFFSET_COMMIT))
            return
        out = {}
        for tp in wanted:
            om = committed.get(tp)
            out[tp] = OffsetFetchPartition(om.offset, om.leader_epoch, om.metadata) if om else OffsetFetchPartition()
        self.network.respond(env, OffsetFetchResponse(Errors.NONE, out))

    def list_groups(self, env: Envelope) -> None:
        states = set(env.body.states_filter)
        groups = [ListedGroup(g.group_id, g.protocol_type or "consumer", g.state)
                  for gid, g in sorted(self.groups.items())
                  if self.leads(g.partition) and (not states or g.state in states)]
        self.network.respond(env, ListGroupsResponse(Errors.NONE, groups))

    def describe_groups(self, env: Envelope) -> None:
        out = []
        for gid in env.body.groups:
            if not self.owns(gid):
                out.append(DescribedGroup(Errors.NOT_COORDINATOR, gid))
                continue
            group = self.groups.get(gid)
            if group is None:
                out.append(DescribedGroup(Errors.NONE, gid, DEAD))
                continue
            members = [DescribedGroupMember(mid, m.group_instance_id, m.client_id, f"/{m.client_id}",
                                            m.metadata(group.protocol_name) if group.protocol_name else None,
                                            m.assignment if group.is_in(STABLE) else ())
                       for mid, m in group.members.items()]
            out.append(DescribedGroup(Errors.NONE, gid, group.state, group.protocol_type or "consumer",
                                      group.protocol_name or "", members))
        self.network.respond(env, DescribeGroupsResponse(out))
