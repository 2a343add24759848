"""The group coordinator on a broker: the classic rebalance protocol, step by step.

Follows Kafka 4's classic-group handling in `GroupMetadataManager` (group-
coordinator module): JoinGroup parks each member's request until every
member has rejoined (or the rebalance timeout, the largest max.poll.interval.ms,
has passed), then answers all of them with the new generation and sends the
leader everyone's subscription; SyncGroup parks the followers until the
leader's assignment is stored in `__consumer_offsets`; heartbeats keep a
member's session alive and carry REBALANCE_IN_PROGRESS while a rebalance
waits. A new dynamic member first gets MEMBER_ID_REQUIRED (KIP-394); a
static member (`group.instance.id`) that comes back within its session
replaces its old member id without a rebalance (KIP-345).
"""

from __future__ import annotations

import random

from .errors import Errors
from .events import EventKind
from .group_commits import CoordinatorOffsets, append_error_to_response as append_error
from .group_txn_offsets import CoordinatorTxnOffsets
from .group_offsets import OFFSETS_TOPIC, partition_for
from .group_protocol import (JoinGroupRequest, JoinGroupResponse, JoinGroupResponseMember, HeartbeatRequest,
                             HeartbeatResponse, LeaveGroupRequest, LeaveGroupResponse, SyncGroupRequest,
                             SyncGroupResponse)
from .group_state import (CAN_REBALANCE, COMPLETING_REBALANCE, DEAD, EMPTY, PREPARING_REBALANCE, STABLE,
                          ClassicGroup, Member)
from .network import Envelope
from .protocol import TopicPartition

# Kafka's group.classic... new member join timeout (GroupCoordinatorConfig, 5 minutes): a
# new member whose JoinGroup is parked is dropped if it never completes.
NEW_MEMBER_JOIN_TIMEOUT_MS = 300000


def _parts(tps) -> str:
    return ", ".join(map(str, sorted(tps))) or "nothing"


class GroupCoordinator(CoordinatorOffsets, CoordinatorTxnOffsets):
    def __init__(self, broker) -> None:
        self.broker = broker
        self.network = broker.network
        self.clock = broker.clock
        self.events = broker.events
        self.groups: dict[str, ClassicGroup] = {}
        self.offsets: dict[str, dict] = {}
        self.init_txn_offsets()
        # Offsets partitions whose groups are loaded here, with the leader epoch they were loaded at.
        self.loaded: dict[int, int] = {}
        # Member ids are "<client id>-<uuid>"; the uuid comes from a seeded generator.
        self.rng = random.Random(f"group-coordinator-{broker.broker_id}")

    @property
    def broker_id(self) -> int:
        return self.broker.broker_id

    def config(self, name: str):
        return self.broker.image.broker_configs.get(name, self.broker.config.get(name))

    def partition_of(self, group_id: str) -> int:
        t = self.broker.image.topics.get(OFFSETS_TOPIC)
        n = len(t.partitions) if t and t.partitions else int(self.config("offsets.topic.num.partitions"))
        return partition_for(group_id, n)

    def leads(self, partition: int) -> bool:
        """Loaded, and still leader at the epoch it loaded at (a crash and restart is not)."""
        state = self.broker.leaders.get(TopicPartition(OFFSETS_TOPIC, partition))
        return self.broker.alive and state is not None and self.loaded.get(partition) == state.leader_epoch

    def owns(self, group_id: str) -> bool:
        return self.leads(self.partition_of(group_id))

    def _current(self, group: ClassicGroup) -> bool:
        """Timers of a group that was unloaded, or from before a broker crash, do nothing."""
        return self.groups.get(group.group_id) is group and self.leads(group.partition)

    def new_group(self, group_id: str) -> ClassicGroup:
        group = self.groups[group_id] = ClassicGroup(group_id, self.partition_of(group_id), self.clock.now)
        return group

    def _uuid(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def handle(self, env: Envelope) -> None:
        getattr(self, env.api)(env)

    def respond(self, env: Envelope | None, resp) -> None:
        if env is not None:
            self.network.respond(env, resp)

    def kill_group(self, group: ClassicGroup) -> None:
        """The group leaves this coordinator: parked requests learn NOT_COORDINATOR."""
        for m in group.members.values():
            if m.heartbeat_timer is not None:
                m.heartbeat_timer.cancel()
            self.respond(m.awaiting_join, JoinGroupResponse(Errors.NOT_COORDINATOR, member_id=m.member_id))
            self.respond(m.awaiting_sync, SyncGroupResponse(Errors.NOT_COORDINATOR))
            m.awaiting_join = m.awaiting_sync = None
        for timer in (group.join_timer, group.sync_timer, *group.pending_members.values()):
            if timer is not None:
                timer.cancel()
        group.state = DEAD

    def validate_member(self, group: ClassicGroup, member_id: str, instance_id: str | None) -> Errors:
        """Kafka's ClassicGroup.validateMember."""
        if instance_id is not None:
            existing = group.static_members.get(instance_id)
            if existing is None:
                return Errors.UNKNOWN_MEMBER_ID
            if existing != member_id:
                return Errors.FENCED_INSTANCE_ID
        return Errors.NONE if member_id in group.members else Errors.UNKNOWN_MEMBER_ID

    def schedule_heartbeat_expiry(self, group: ClassicGroup, member: Member, timeout: int | None = None) -> None:
        if member.heartbeat_timer is not None:
            member.heartbeat_timer.cancel()
        member.heartbeat_timer = self.clock.call_later(
            member.session_timeout_ms if timeout is None else timeout, self._heartbeat_expired, group, member)

    # -- JoinGroup ---------------------------------------------------------------------
    def join_group(self, env: Envelope) -> None:
        req: JoinGroupRequest = env.body
        answer = lambda err: self.network.respond(env, JoinGroupResponse(err, member_id=req.member_id))  # noqa: E731
        if not self.owns(req.group_id):
            return answer(Errors.NOT_COORDINATOR)
        if not (self.config("group.min.session.timeout.ms") <= req.session_timeout_ms
                <= self.config("group.max.session.timeout.ms")):
            return answer(Errors.INVALID_SESSION_TIMEOUT)
        protocols = [(p.name, p.metadata) for p in req.protocols]
        if req.protocol_type != "consumer" or not protocols:
            return answer(Errors.INCONSISTENT_GROUP_PROTOCOL)
        group = self.groups.get(req.group_id)
        if group is None:
            if req.member_id:
                return answer(Errors.UNKNOWN_MEMBER_ID)
            group = self.new_group(req.group_id)
        if group.is_in(DEAD):
            return answer(Errors.COORDINATOR_NOT_AVAILABLE)
        if not group.supports(protocols):
            return answer(Errors.INCONSISTENT_GROUP_PROTOCOL)
        if not req.member_id:
            self._join_new_member(env, group, protocols)
        else:
            self._join_existing_member(env, group, protocols)

    def _join_new_member(self, env: Envelope, group: ClassicGroup, protocols) -> None:
        req: JoinGroupRequest = env.body
        # Kafka's ClassicGroup.generateMemberId: the instance id (static) or client id, then a uuid.
        new_id = f"{req.group_instance_id or req.client_id}-{self._uuid()}"
        if req.group_instance_id is not None:
            existing = group.static_members.get(req.group_instance_id)
            if existing is not None:
                self._update_static_member(env, group, existing, new_id, protocols)
            else:
                self._add_member(env, group, new_id, protocols)
            return
        # KIP-394: hand out the id and wait for the member to join with it.
        group.pending_members[new_id] = self.clock.call_later(req.session_timeout_ms, self._pending_expired,
                                                              group, new_id)
        self.network.respond(env, JoinGroupResponse(Errors.MEMBER_ID_REQUIRED, member_id=new_id))

    def _join_existing_member(self, env: Envelope, group: ClassicGroup, protocols) -> None:
        req: JoinGroupRequest = env.body
        mid = req.member_id
        if mid in group.pending_members:
            group.pending_members.pop(mid).cancel()
            self._add_member(env, group, mid, protocols)
            return
        error = self.validate_member(group, mid, req.group_instance_id)
        if error != Errors.NONE:
            self.network.respond(env, JoinGroupResponse(error, member_id=mid))
            return
        member = group.members[mid]
        name = member.client_id
        if group.is_in(PREPARING_REBALANCE):
            self._update_member(env, group, member, protocols, f"{name} rejoined")
        elif group.is_in(COMPLETING_REBALANCE, STABLE):
            if group.is_in(STABLE) and group.is_leader(mid):
                # A leader's JoinGroup always rebalances: that is how it reacts to metadata changes.
                self._update_member(env, group, member, protocols, f"the leader {name} rejoined ({req.reason})")
            elif not member.matches(protocols):
                self._update_member(env, group, member, protocols,
                                    f"{name} rejoined with a changed subscription ({req.reason})")
            else:
                # Same metadata (a lost JoinGroup answer): the current generation again.
                self.network.respond(env, self._join_response(group, member))
        else:
            self.network.respond(env, JoinGroupResponse(Errors.UNKNOWN_MEMBER_ID, member_id=mid))

    def _join_response(self, group: ClassicGroup, member: Member, skip_assignment: bool = False) -> JoinGroupResponse:
        leader = group.is_leader(member.member_id)
        members = [JoinGroupResponseMember(mid, m.group_instance_id, m.metadata(group.protocol_name))
                   for mid, m in group.members.items()] if leader else []
        return JoinGroupResponse(Errors.NONE, group.generation_id, group.protocol_type, group.protocol_name,
                                 group.leader_id or "", skip_assignment and leader, member.member_id, members)

    def _add_member(self, env: Envelope, group: ClassicGroup, member_id: str, protocols) -> None:
        req: JoinGroupRequest = env.body
        member = Member(member_id, req.group_instance_id, req.client_id, req.rebalance_timeout_ms,
                        req.session_timeout_ms, protocols)
        member.is_new = True
        member.awaiting_join = env
        if group.is_in(PREPARING_REBALANCE) and group.previous_state == EMPTY:
            group.new_member_added = True
        group.add(member)
        self.schedule_heartbeat_expiry(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS)
        static = f" (static, group.instance.id={member.group_instance_id})" if member.is_static else ""
        self.events.emit(EventKind.MEMBER_JOINED,
                         f"{req.client_id}{static} joined group {group.group_id} on coordinator {self.broker_id} "
                         f"as member {member_id}; it offers {', '.join(n for n, _ in protocols)} and waits in "
                         "JoinGroup until the rebalance completes.",
                         group=group.group_id, member=req.client_id, member_id=member_id, broker=self.broker_id)
        self._maybe_prepare_rebalance_or_complete_join(group, f"{req.client_id} joined")

    def _update_member(self, env: Envelope, group: ClassicGroup, member: Member, protocols, reason: str) -> None:
        req: JoinGroupRequest = env.body
        member.protocols = protocols
        member.rebalance_timeout_ms = req.rebalance_timeout_ms
        member.session_timeout_ms = req.session_timeout_ms
        member.awaiting_join = env
        self._maybe_prepare_rebalance_or_complete_join(group, reason)

    def _update_static_member(self, env: Envelope, group: ClassicGroup, old_id: str, new_id: str, protocols) -> None:
        req: JoinGroupRequest = env.body
        member = group.replace_static_member(req.group_instance_id, old_id, new_id)
        # The old incarnation's parked requests are fenced.
        self.respond(member.awaiting_join, JoinGroupResponse(Errors.FENCED_INSTANCE_ID, member_id=old_id))
        self.respond(member.awaiting_sync, SyncGroupResponse(Errors.FENCED_INSTANCE_ID))
        member.awaiting_join = member.awaiting_sync = None
        member.protocols = protocols
        member.rebalance_timeout_ms = req.rebalance_timeout_ms
        member.session_timeout_ms = req.session_timeout_ms
        member.client_id = req.client_id
        self.schedule_heartbeat_expiry(group, member)
        text = (f"Static member {req.client_id} (group.instance.id={req.group_instance_id}) came back to group "
                f"{group.group_id} within its session and takes over member id {old_id} as {new_id}")
        if group.is_in(STABLE) and group.protocol_name == group.select_protocol():
            self.events.emit(EventKind.MEMBER_JOINED, text + ": no rebalance, it keeps its assignment "
                             f"({_parts(member.assignment)}).", group=group.group_id, member=req.client_id,
                             member_id=new_id, broker=self.broker_id, static=True)

            def stored(error: Errors) -> None:
                if not self._current(group) or new_id not in group.members:
                    return
                if error != Errors.NONE:
                    self.network.respond(env, JoinGroupResponse(append_error(error), member_id=""))
                else:
                    self.network.respond(env, self._join_response(group, member, skip_assignment=True))

            self.persist_group(group, group.members_with_assignment(), stored)
            return
        self.events.emit(EventKind.MEMBER_JOINED, text + ".", group=group.group_id, member=req.client_id,
                         member_id=new_id, broker=self.broker_id, static=True)
        member.awaiting_join = env
        if group.is_in(COMPLETING_REBALANCE, STABLE):
            self._prepare_rebalance(group, f"static member {req.client_id} rejoined while the group was "
                                           f"{group.state}")
        else:
            self._maybe_complete_join_phase(group)

    def _pending_expired(self, group: ClassicGroup, member_id: str) -> None:
        if not self._current(group) or group.pending_members.pop(member_id, None) is None:
            return
        if group.is_in(PREPARING_REBALANCE) and group.has_all_members_joined():
            self._complete_join(group)

    # -- rebalance ---------------------------------------------------------------------------
    def _maybe_prepare_rebalance_or_complete_join(self, group: ClassicGroup, reason: str) -> None:
        if group.state in CAN_REBALANCE:
            self._prepare_rebalance(group, reason)
        elif group.is_in(PREPARING_REBALANCE):
            self._maybe_complete_join_phase(group)

    def _maybe_complete_join_phase(self, group: ClassicGroup) -> None:
        # Not during the initial rebalance: that one waits group.initial.rebalance.delay.ms.
        if group.is_in(PREPARING_REBALANCE) and group.has_all_members_joined() and group.previous_state != EMPTY:
            self._complete_join(group)

    def _prepare_rebalance(self, group: ClassicGroup, reason: str) -> None:
        if group.is_in(COMPLETING_REBALANCE):
            for m in group.members.values():
                m.assignment = ()
            self._propagate(group, Errors.REBALANCE_IN_PROGRESS)
        if group.sync_timer is not None:
            group.sync_timer.cancel()
        group.pending_sync.clear()
        initial = group.is_in(EMPTY)
        group.transition(PREPARING_REBALANCE, self.clock.now)
        group.rebalance_reason = reason
        if group.join_timer is not None:
            group.join_timer.cancel()
        if initial:
            delay = int(self.config("group.initial.rebalance.delay.ms"))
            remaining = max(group.rebalance_timeout_ms() - delay, 0)
            group.join_timer = self.clock.call_later(delay, self._initial_join_expired, group, delay, remaining)
            how = (f"it waits group.initial.rebalance.delay.ms ({delay} ms), longer while more members "
                   "arrive, so that they all get partitions in one go")
        else:
            how = ("members learn it from their next heartbeat (REBALANCE_IN_PROGRESS) and must send JoinGroup "
                   f"again within the rebalance timeout ({group.rebalance_timeout_ms()} ms, their "
                   "max.poll.interval.ms)")
        self.events.emit(EventKind.REBALANCE_STARTED,
                         f"Group {group.group_id} starts a rebalance (generation {group.generation_id} → "
                         f"{group.generation_id + 1}) because {reason}; {how}.",
                         group=group.group_id, broker=self.broker_id, generation=group.generation_id,
                         reason=reason)
        if not initial:
            self._maybe_complete_join_else_schedule(group)

    def _maybe_complete_join_else_schedule(self, group: ClassicGroup) -> None:
        if group.has_all_members_joined():
            self._complete_join(group)
        else:
            group.join_timer = self.clock.call_later(group.rebalance_timeout_ms(), self._join_timeout, group)

    def _initial_join_expired(self, group: ClassicGroup, delay: int, remaining: int) -> None:
        if not self._current(group):
            return
        if group.new_member_added and remaining != 0:
            group.new_member_added = False
            new_delay = min(int(self.config("group.initial.rebalance.delay.ms")), remaining)
            group.join_timer = self.clock.call_later(new_delay, self._initial_join_expired, group, new_delay,
                                                     max(remaining - delay, 0))
        else:
            self._complete_join(group)

    def _join_timeout(self, group: ClassicGroup) -> None:
        if self._current(group):
            self._complete_join(group)

    def _complete_join(self, group: ClassicGroup) -> None:
        if group.join_timer is not None:
            group.join_timer.cancel()
            group.join_timer = None
        timeout = group.rebalance_timeout_ms()
        for m in [m for m in group.not_yet_rejoined() if not m.is_static]:
            group.remove(m.member_id)
            self.events.emit(EventKind.MEMBER_REMOVED,
                             f"Coordinator {self.broker_id} removed {m.client_id} from group {group.group_id}: it "
                             f"did not rejoin within the rebalance timeout ({timeout} ms, "
                             "max.poll.interval.ms). Its partitions go to the members that did.",
                             group=group.group_id, member=m.client_id, member_id=m.member_id,
                             broker=self.broker_id, reason="rebalance_timeout")
        if group.is_in(DEAD):
            return
        if not group.maybe_elect_new_joined_leader() and group.members:
            # Only static members that have not rejoined are left: wait for them a while longer.
            group.join_timer = self.clock.call_later(group.rebalance_timeout_ms(), self._join_timeout, group)
            return
        group.generation_id += 1
        if not group.members:
            group.protocol_name = None
            group.transition(EMPTY, self.clock.now)
            self.persist_group(group, {}, lambda error: None)
            self.events.emit(EventKind.GROUP_EMPTY,
                             f"Group {group.group_id} has no members left (generation {group.generation_id}, "
                             "Empty). Its committed offsets stay in __consumer_offsets for when a consumer "
                             "joins again.", group=group.group_id, broker=self.broker_id,
                             generation=group.generation_id)
            return
        group.protocol_name = group.select_protocol()
        group.transition(COMPLETING_REBALANCE, self.clock.now)
        leader = group.members[group.leader_id]
        self.events.emit(EventKind.JOIN_COMPLETED,
                         f"Group {group.group_id} formed generation {group.generation_id} with "
                         f"{', '.join(m.client_id for m in group.members.values())} using the "
                         f"{group.protocol_name} assignor (the first protocol every member supports, by vote). "
                         f"{leader.client_id} is the leader: its JoinGroup answer carries every member's "
                         "subscription, so it computes the assignment; the others wait in SyncGroup.",
                         group=group.group_id, broker=self.broker_id, generation=group.generation_id,
                         leader=leader.client_id, protocol=group.protocol_name,
                         members=[m.client_id for m in group.members.values()])
        for m in group.members.values():
            env, m.awaiting_join = m.awaiting_join, None
            self.respond(env, self._join_response(group, m))
            self.schedule_heartbeat_expiry(group, m)
            m.is_new = False
            group.pending_sync.add(m.member_id)
        group.sync_timer = self.clock.call_later(group.rebalance_timeout_ms(), self._expire_pending_sync, group,
                                                 group.generation_id)

    def _expire_pending_sync(self, group: ClassicGroup, generation: int) -> None:
        if not self._current(group) or generation != group.generation_id or not group.pending_sync:
            return
        if group.is_in(COMPLETING_REBALANCE, STABLE):
            for mid in sorted(group.pending_sync):
                m = group.remove(mid)
                if m is not None:
                    self.events.emit(EventKind.MEMBER_REMOVED,
                                     f"Coordinator {self.broker_id} removed {m.client_id} from group "
                                     f"{group.group_id}: it did not send SyncGroup within the rebalance timeout.",
                                     group=group.group_id, member=m.client_id, member_id=mid,
                                     broker=self.broker_id, reason="sync_timeout")
            self._maybe_prepare_rebalance_or_complete_join(group, "members did not send SyncGroup in time")

    def _heartbeat_expired(self, group: ClassicGroup, member: Member) -> None:
        if not self._current(group) or group.members.get(member.member_id) is not member:
            return
        if member.has_satisfied_heartbeat():
            return
        session = member.session_timeout_ms
        why = ("its first JoinGroup never completed" if member.is_new else
               f"no heartbeat arrived for session.timeout.ms ({session} ms)")
        self.events.emit(EventKind.MEMBER_REMOVED,
                         f"Coordinator {self.broker_id} expelled {member.client_id} from group {group.group_id}: "
                         f"{why}, so the coordinator takes it for dead and gives its partitions "
                         f"({_parts(member.assignment)}) to the others.",
                         group=group.group_id, member=member.client_id, member_id=member.member_id,
                         broker=self.broker_id, reason="session_timeout")
        self._remove_member_and_update(group, member, f"{member.client_id}'s session expired")

    def _remove_member_and_update(self, group: ClassicGroup, member: Member, reason: str) -> None:
        self.respond(member.awaiting_join, JoinGroupResponse(Errors.UNKNOWN_MEMBER_ID))
        self.respond(member.awaiting_sync, SyncGroupResponse(Errors.UNKNOWN_MEMBER_ID))
        member.awaiting_join = member.awaiting_sync = None
        group.remove(member.member_id)
        if group.is_in(STABLE, COMPLETING_REBALANCE):
            self._maybe_prepare_rebalance_or_complete_join(group, reason)
        elif group.is_in(PREPARING_REBALANCE) and group.has_all_members_joined():
            self._complete_join(group)

    def _member_in_generation(self, req) -> tuple[ClassicGroup | None, Errors]:
        """SyncGroup's and Heartbeat's shared checks: coordinator, group, member, generation."""
        if not self.owns(req.group_id):
            return None, Errors.NOT_COORDINATOR
        group = self.groups.get(req.group_id)
        if group is None:
            return None, Errors.UNKNOWN_MEMBER_ID
        if group.is_in(DEAD):
            return group, Errors.COORDINATOR_NOT_AVAILABLE
        error = self.validate_member(group, req.member_id, req.group_instance_id)
        if error == Errors.NONE and req.generation_id != group.generation_id:
            error = Errors.ILLEGAL_GENERATION
        return group, error

    # -- SyncGroup ---------------------------------------------------------------------------
    def sync_group(self, env: Envelope) -> None:
        req: SyncGroupRequest = env.body
        answer = lambda error: self.network.respond(env, SyncGroupResponse(error))  # noqa: E731
        group, error = self._member_in_generation(req)
        if error == Errors.NONE and req.protocol_name and group.protocol_name \
                and req.protocol_name != group.protocol_name:
            error = Errors.INCONSISTENT_GROUP_PROTOCOL
        if error != Errors.NONE:
            return answer(error)
        member = group.members[req.member_id]
        if group.is_in(PREPARING_REBALANCE):
            answer(Errors.REBALANCE_IN_PROGRESS)
        elif group.is_in(COMPLETING_REBALANCE):
            member.awaiting_sync = env
            group.pending_sync.discard(req.member_id)
            if not group.pending_sync and group.sync_timer is not None:
                group.sync_timer.cancel()
            if group.is_leader(req.member_id):
                assignment = {mid: tuple(req.assignments.get(mid, ())) for mid in group.members}
                generation = group.generation_id
                self.persist_group(group, assignment,
                                   lambda err: self._assignment_stored(group, generation, assignment, err))
        elif group.is_in(STABLE):
            group.pending_sync.discard(req.member_id)
            self.network.respond(env, SyncGroupResponse(Errors.NONE, group.protocol_type, group.protocol_name,
                                                        member.assignment))

    def _assignment_stored(self, group: ClassicGroup, generation: int, assignment, error: Errors) -> None:
        if not self._current(group) or not group.is_in(COMPLETING_REBALANCE) or generation != group.generation_id:
            return
        if error != Errors.NONE:
            for m in group.members.values():
                m.assignment = ()
            self._propagate(group, append_error(error))
            self._maybe_prepare_rebalance_or_complete_join(group, f"storing the assignment failed ({error.name})")
            return
        for mid, m in group.members.items():
            m.assignment = assignment.get(mid, ())
        group.transition(STABLE, self.clock.now)
        self._propagate(group, Errors.NONE)
        detail = "; ".join(f"{m.client_id}: {_parts(m.assignment)}" for m in group.members.values())
        self.events.emit(EventKind.GROUP_STABLE,
                         f"Coordinator {self.broker_id} stored generation {generation}'s assignment of group "
                         f"{group.group_id} in {OFFSETS_TOPIC}/{group.partition} and answered every SyncGroup: "
                         f"the group is Stable. {detail}.",
                         group=group.group_id, broker=self.broker_id, generation=generation,
                         assignment={m.client_id: [str(tp) for tp in m.assignment] for m in group.members.values()})

    def _propagate(self, group: ClassicGroup, error: Errors) -> None:
        for m in group.members.values():
            env, m.awaiting_sync = m.awaiting_sync, None
            if env is None:
                continue
            ok = error == Errors.NONE
            self.network.respond(env, SyncGroupResponse(error, group.protocol_type if ok else None,
                                                        group.protocol_name if ok else None,
                                                        m.assignment if ok else ()))
            self.schedule_heartbeat_expiry(group, m)

    # -- Heartbeat, LeaveGroup ------------------------------------------------------------------
    def heartbeat(self, env: Envelope) -> None:
        req: HeartbeatRequest = env.body
        answer = lambda error: self.network.respond(env, HeartbeatResponse(error))  # noqa: E731
        group, error = self._member_in_generation(req)
        if error != Errors.NONE:
            return answer(error)
        if group.is_in(EMPTY):
            return answer(Errors.UNKNOWN_MEMBER_ID)
        self.schedule_heartbeat_expiry(group, group.members[req.member_id])
        answer(Errors.REBALANCE_IN_PROGRESS if group.is_in(PREPARING_REBALANCE) else Errors.NONE)

    def leave_group(self, env: Envelope) -> None:
        req: LeaveGroupRequest = env.body
        if not self.owns(req.group_id):
            self.network.respond(env, LeaveGroupResponse(Errors.NOT_COORDINATOR))
            return
        group = self.groups.get(req.group_id)
        if group is None or group.is_in(DEAD):
            error = Errors.UNKNOWN_MEMBER_ID if group is None else Errors.COORDINATOR_NOT_AVAILABLE
            self.network.respond(env, LeaveGroupResponse(error, {m.member_id: error for m in req.members}))
            return
        results: dict[str, Errors] = {}
        for ident in req.members:
            mid = ident.member_id
            if not mid and ident.group_instance_id is not None:
                mid = group.static_members.get(ident.group_instance_id, "")
            if mid in group.pending_members:
                group.pending_members.pop(mid).cancel()
                results[mid] = Errors.NONE
                if group.is_in(PREPARING_REBALANCE) and group.has_all_members_joined():
                    self._complete_join(group)
                continue
            error = self.validate_member(group, mid, ident.group_instance_id)
            results[mid or ident.member_id] = error
            if error != Errors.NONE:
                continue
            member = group.members[mid]
            self.events.emit(EventKind.MEMBER_REMOVED,
                             f"{member.client_id} left group {group.group_id} (LeaveGroup: {ident.reason}); its "
                             f"partitions ({_parts(member.assignment)}) are handed out in a rebalance.",
                             group=group.group_id, member=member.client_id, member_id=mid,
                             broker=self.broker_id, reason="leave_group")
            self._remove_member_and_update(group, member, f"{member.client_id} left the group")
        self.network.respond(env, LeaveGroupResponse(Errors.NONE, results))

