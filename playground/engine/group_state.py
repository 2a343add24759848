"""A classic consumer group as its coordinator holds it: members, generation, state.

After Kafka's `ClassicGroup` / `ClassicGroupMember` (group-coordinator module).
States: Empty → PreparingRebalance → CompletingRebalance → Stable, and Dead
once the coordinator has unloaded the group. This module holds the data and
the small rules on it (who leads, which protocol the members vote for, has
everyone rejoined); `group_coordinator.py` drives the transitions.
"""

from __future__ import annotations

from typing import Any

from .network import Envelope
from .protocol import TopicPartition

EMPTY = "Empty"
PREPARING_REBALANCE = "PreparingRebalance"
COMPLETING_REBALANCE = "CompletingRebalance"
STABLE = "Stable"
DEAD = "Dead"

# Kafka's GroupState.validPreviousStates: a rebalance can start from these.
CAN_REBALANCE = (EMPTY, STABLE, COMPLETING_REBALANCE)


class Member:
    __slots__ = ("member_id", "group_instance_id", "client_id", "rebalance_timeout_ms", "session_timeout_ms",
                 "protocols", "assignment", "awaiting_join", "awaiting_sync", "is_new", "heartbeat_timer")

    def __init__(self, member_id: str, group_instance_id: str | None, client_id: str, rebalance_timeout_ms: int,
                 session_timeout_ms: int, protocols: list[tuple[str, Any]]) -> None:
        self.member_id = member_id
        self.group_instance_id = group_instance_id
        self.client_id = client_id
        self.rebalance_timeout_ms = rebalance_timeout_ms
        self.session_timeout_ms = session_timeout_ms
        self.protocols = protocols                  # [(assignor name, Subscription)] in preference order
        self.assignment: tuple[TopicPartition, ...] = ()
        self.awaiting_join: Envelope | None = None  # a parked JoinGroup
        self.awaiting_sync: Envelope | None = None  # a parked SyncGroup
        self.is_new = False
        self.heartbeat_timer = None

    @property
    def is_static(self) -> bool:
        return self.group_instance_id is not None

    def metadata(self, protocol: str) -> Any:
        return next((m for name, m in self.protocols if name == protocol), None)

    def vote(self, candidates: set[str]) -> str:
        """The member's most preferred protocol among those every member supports."""
        return next(name for name, _ in self.protocols if name in candidates)

    def matches(self, protocols: list[tuple[str, Any]]) -> bool:
        return self.protocols == protocols

    def has_satisfied_heartbeat(self) -> bool:
        # Kafka's ClassicGroupMember.hasSatisfiedHeartbeat: members parked in a
        # rebalance count as alive; a new member must complete its first join.
        if self.is_new:
            return False
        return self.awaiting_join is not None or self.awaiting_sync is not None


class ClassicGroup:
    def __init__(self, group_id: str, partition: int, now: int) -> None:
        self.group_id = group_id
        self.partition = partition                  # its __consumer_offsets partition
        self.state = EMPTY
        self.previous_state = EMPTY
        self.state_since = now
        self.generation_id = 0
        self.protocol_type: str | None = None
        self.protocol_name: str | None = None
        self.leader_id: str | None = None
        self.members: dict[str, Member] = {}        # insertion order: the first one leads
        self.pending_members: dict[str, Any] = {}   # member ids handed out with MEMBER_ID_REQUIRED
        self.static_members: dict[str, str] = {}    # group.instance.id -> member id
        self.pending_sync: set[str] = set()
        self.new_member_added = False
        self.join_timer = None
        self.sync_timer = None
        self.rebalance_reason = ""

    # -- state -----------------------------------------------------------------
    def transition(self, state: str, now: int) -> None:
        self.previous_state = self.state
        self.state = state
        self.state_since = now

    def is_in(self, *states: str) -> bool:
        return self.state in states

    # -- members -----------------------------------------------------------------
    def add(self, member: Member) -> None:
        if not self.members:
            self.protocol_type = "consumer"
        self.members[member.member_id] = member
        if member.group_instance_id is not None:
            self.static_members[member.group_instance_id] = member.member_id
        if self.leader_id is None:
            self.leader_id = member.member_id

    def remove(self, member_id: str) -> Member | None:
        member = self.members.pop(member_id, None)
        if member is None:
            return None
        if member.group_instance_id is not None and self.static_members.get(member.group_instance_id) == member_id:
            del self.static_members[member.group_instance_id]
        self.pending_sync.discard(member_id)
        if self.leader_id == member_id:
            self.leader_id = next(iter(self.members), None)
        if member.heartbeat_timer is not None:
            member.heartbeat_timer.cancel()
        return member

    def replace_static_member(self, instance_id: str, old_id: str, new_id: str) -> Member:
        member = self.members.pop(old_id)
        member.member_id = new_id
        self.members[new_id] = member
        self.static_members[instance_id] = new_id
        if self.leader_id == old_id:
            self.leader_id = new_id
        if old_id in self.pending_sync:
            self.pending_sync.discard(old_id)
            self.pending_sync.add(new_id)
        return member

    def is_leader(self, member_id: str) -> bool:
        return self.leader_id == member_id

    def rebalance_timeout_ms(self) -> int:
        return max((m.rebalance_timeout_ms for m in self.members.values()), default=0)

    def awaiting_join_count(self) -> int:
        return sum(1 for m in self.members.values() if m.awaiting_join is not None)

    def has_all_members_joined(self) -> bool:
        return len(self.members) == self.awaiting_join_count() and not self.pending_members

    def not_yet_rejoined(self) -> list[Member]:
        return [m for m in self.members.values() if m.awaiting_join is None]

    def maybe_elect_new_joined_leader(self) -> bool:
        """Keep the leader if it rejoined, else any member that did (Kafka's maybeElectNewJoinedLeader)."""
        leader = self.members.get(self.leader_id) if self.leader_id else None
        if leader is not None and leader.awaiting_join is not None:
            return True
        joined = next((m for m in self.members.values() if m.awaiting_join is not None), None)
        if joined is None:
            return False
        self.leader_id = joined.member_id
        return True

    # -- protocols -----------------------------------------------------------------
    def candidate_protocols(self) -> set[str]:
        sets = [{name for name, _ in m.protocols} for m in self.members.values()]
        return set.intersection(*sets) if sets else set()

    def supports(self, protocols: list[tuple[str, Any]]) -> bool:
        """A joining member must share at least one protocol with every member."""
        if not self.members:
            return bool(protocols)
        return bool(self.candidate_protocols() & {name for name, _ in protocols})

    def select_protocol(self) -> str:
        """Each member votes for its favourite protocol all members support; most votes wins."""
        candidates = self.candidate_protocols()
        votes: dict[str, int] = {}
        for m in self.members.values():
            choice = m.vote(candidates)
            votes[choice] = votes.get(choice, 0) + 1
        return max(votes, key=lambda name: votes[name])

    def members_with_assignment(self) -> dict[str, tuple[TopicPartition, ...]]:
        return {mid: m.assignment for mid, m in self.members.items()}
