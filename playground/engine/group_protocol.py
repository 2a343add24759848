"""Request and response shapes of the classic group protocol, after Kafka's API messages.

FindCoordinator (10), JoinGroup (11), Heartbeat (12), LeaveGroup (13),
SyncGroup (14), DescribeGroups (15), ListGroups (16), OffsetCommit (8) and
OffsetFetch (9). Field names follow Kafka's JSON schemas, snake_cased. Where
Kafka carries opaque bytes (a member's subscription, its assignment) the
engine carries the decoded value: an assignors `Subscription`, a tuple of
`TopicPartition`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import Errors
from .protocol import TopicPartition

UNKNOWN_MEMBER_ID = ""
NO_GENERATION = -1
CONSUMER_PROTOCOL_TYPE = "consumer"
COORDINATOR_KEY_GROUP = 0


# -- FindCoordinator (10) ---------------------------------------------------
@dataclass(slots=True)
class FindCoordinatorRequest:
    key: str                                    # the group id
    key_type: int = COORDINATOR_KEY_GROUP


@dataclass(slots=True)
class FindCoordinatorResponse:
    error: Errors = Errors.NONE
    node_id: int = -1
    error_message: str | None = None
    partition: int = -1                         # the __consumer_offsets partition (not in Kafka's answer)


# -- JoinGroup (11) -----------------------------------------------------------
@dataclass(slots=True)
class JoinGroupProtocol:
    name: str                                   # the assignor: "range", "cooperative-sticky", ...
    metadata: Any                               # the member's Subscription


@dataclass(slots=True)
class JoinGroupRequest:
    group_id: str
    session_timeout_ms: int
    rebalance_timeout_ms: int
    member_id: str
    protocols: list[JoinGroupProtocol]
    group_instance_id: str | None = None
    protocol_type: str = CONSUMER_PROTOCOL_TYPE
    reason: str | None = None
    client_id: str = ""


@dataclass(slots=True)
class JoinGroupResponseMember:
    member_id: str
    group_instance_id: str | None
    metadata: Any


@dataclass(slots=True)
class JoinGroupResponse:
    error: Errors = Errors.NONE
    generation_id: int = NO_GENERATION
    protocol_type: str | None = None
    protocol_name: str | None = None
    leader: str = ""
    skip_assignment: bool = False
    member_id: str = UNKNOWN_MEMBER_ID
    members: list[JoinGroupResponseMember] = field(default_factory=list)


# -- SyncGroup (14) -----------------------------------------------------------
@dataclass(slots=True)
class SyncGroupRequest:
    group_id: str
    generation_id: int
    member_id: str
    assignments: dict[str, tuple[TopicPartition, ...]]    # only the leader sends any
    group_instance_id: str | None = None
    protocol_type: str | None = CONSUMER_PROTOCOL_TYPE
    protocol_name: str | None = None


@dataclass(slots=True)
class SyncGroupResponse:
    error: Errors = Errors.NONE
    protocol_type: str | None = None
    protocol_name: str | None = None
    assignment: tuple[TopicPartition, ...] = ()


# -- Heartbeat (12) -----------------------------------------------------------
@dataclass(slots=True)
class HeartbeatRequest:
    group_id: str
    generation_id: int
    member_id: str
    group_instance_id: str | None = None


@dataclass(slots=True)
class HeartbeatResponse:
    error: Errors = Errors.NONE


# -- LeaveGroup (13) ----------------------------------------------------------
@dataclass(slots=True)
class MemberIdentity:
    member_id: str
    group_instance_id: str | None = None
    reason: str | None = None


@dataclass(slots=True)
class LeaveGroupRequest:
    group_id: str
    members: list[MemberIdentity]


@dataclass(slots=True)
class LeaveGroupResponse:
    error: Errors = Errors.NONE
    members: dict[str, Errors] = field(default_factory=dict)


# -- OffsetCommit (8) / OffsetFetch (9) ----------------------------------------
@dataclass(slots=True)
class OffsetCommitPartition:
    committed_offset: int
    committed_leader_epoch: int = -1
    committed_metadata: str = ""


@dataclass(slots=True)
class OffsetCommitRequest:
    group_id: str
    generation_id_or_member_epoch: int
    member_id: str
    offsets: dict[TopicPartition, OffsetCommitPartition]
    group_instance_id: str | None = None


@dataclass(slots=True)
class OffsetCommitResponse:
    partitions: dict[TopicPartition, Errors]

    @property
    def error(self) -> Errors:
        """The first partition error (all partitions share one in practice)."""
        return next((e for e in self.partitions.values() if e != Errors.NONE), Errors.NONE)


@dataclass(slots=True)
class OffsetFetchRequest:
    group_id: str
    partitions: list[TopicPartition] | None      # None: every partition the group committed
    require_stable: bool = True


@dataclass(slots=True)
class OffsetFetchPartition:
    committed_offset: int = -1
    committed_leader_epoch: int = -1
    metadata: str = ""
    error: Errors = Errors.NONE


@dataclass(slots=True)
class OffsetFetchResponse:
    error: Errors = Errors.NONE
    partitions: dict[TopicPartition, OffsetFetchPartition] = field(default_factory=dict)


# -- ListGroups (16) / DescribeGroups (15) -------------------------------------
@dataclass(slots=True)
class ListGroupsRequest:
    states_filter: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ListedGroup:
    group_id: str
    protocol_type: str
    group_state: str


@dataclass(slots=True)
class ListGroupsResponse:
    error: Errors = Errors.NONE
    groups: list[ListedGroup] = field(default_factory=list)


@dataclass(slots=True)
class DescribeGroupsRequest:
    groups: list[str]


@dataclass(slots=True)
class DescribedGroupMember:
    member_id: str
    group_instance_id: str | None
    client_id: str
    client_host: str
    member_metadata: Any                        # the Subscription
    member_assignment: tuple[TopicPartition, ...]


@dataclass(slots=True)
class DescribedGroup:
    error: Errors
    group_id: str
    group_state: str = "Dead"
    protocol_type: str = ""
    protocol_data: str = ""                     # the selected assignor
    members: list[DescribedGroupMember] = field(default_factory=list)


@dataclass(slots=True)
class DescribeGroupsResponse:
    groups: list[DescribedGroup]
