"""Typed events: every state change in the engine, with a sentence a learner can read.

The engine emits; the UI, the scenario report (`--events`), lesson checks and
workspaces listen. Events are facts about what already happened, never
commands.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Callable


class EventKind(str, Enum):
    # cluster and control plane
    BROKER_REGISTERED = "broker_registered"
    CONTROLLER_ACTIVE = "controller_active"
    CONTROLLER_ELECTION = "controller_election"
    CONTROLLER_RESIGNED = "controller_resigned"
    CONTROLLER_KILLED = "controller_killed"
    CONTROLLER_RESTARTED = "controller_restarted"
    METADATA_APPLIED = "metadata_applied"
    BROKER_KILLED = "broker_killed"
    BROKER_RESTARTED = "broker_restarted"
    BROKER_FENCED = "broker_fenced"
    BROKER_SLOWED = "broker_slowed"
    BROKER_ISOLATED = "broker_isolated"
    BROKER_HEALED = "broker_healed"
    REQUESTS_DROPPED = "requests_dropped"
    BROKER_UNFENCED = "broker_unfenced"
    LEADER_ELECTED = "leader_elected"
    # topics
    TOPIC_CREATED = "topic_created"
    TOPIC_DELETED = "topic_deleted"
    PARTITIONS_ADDED = "partitions_added"
    CONFIG_ALTERED = "config_altered"
    TOPIC_NAME_WARNING = "topic_name_warning"
    # partitions and replication
    LEADER_CHANGED = "leader_changed"
    BECAME_FOLLOWER = "became_follower"
    RECORDS_APPENDED = "records_appended"
    REPLICA_FETCHED = "replica_fetched"
    REPLICA_TRUNCATED = "replica_truncated"
    HIGH_WATERMARK_ADVANCED = "high_watermark_advanced"
    ISR_CHANGED = "isr_changed"
    # storage: segments, retention, compaction
    SEGMENT_ROLLED = "segment_rolled"
    SEGMENT_DELETED = "segment_deleted"
    LOG_START_OFFSET_ADVANCED = "log_start_offset_advanced"
    LOG_CLEANED = "log_cleaned"
    # clients
    PRODUCE_SENT = "produce_sent"
    PRODUCE_ACKED = "produce_acked"
    PRODUCE_ERROR = "produce_error"
    PRODUCE_FAILED = "produce_failed"
    PRODUCE_DUPLICATE = "produce_duplicate"
    PRODUCE_REJECTED = "produce_rejected"
    PRODUCER_ID_ASSIGNED = "producer_id_assigned"
    TXN_BEGUN = "txn_begun"
    TXN_PARTITIONS_ADDED = "txn_partitions_added"
    TXN_PREPARED = "txn_prepared"
    TXN_MARKER_WRITTEN = "txn_marker_written"
    TXN_COMPLETED = "txn_completed"
    TXN_STATE_LOADED = "txn_state_loaded"
    TXN_ENDED = "txn_ended"
    PRODUCER_FENCED = "producer_fenced"
    PRODUCER_CRASHED = "producer_crashed"
    PRODUCER_BLOCKED = "producer_blocked"
    PRODUCER_CONFIGURED = "producer_configured"
    PRODUCER_STARTED = "producer_started"
    PRODUCER_STOPPED = "producer_stopped"
    RECORDS_CONSUMED = "records_consumed"
    CONSUMER_SEEK = "consumer_seek"
    CONSUMER_ERROR = "consumer_error"
    CONSUMER_OFFSET_OUT_OF_RANGE = "consumer_offset_out_of_range"
    # consumer groups (coordinator side, then member side)
    OFFSETS_TOPIC_REQUESTED = "offsets_topic_requested"
    GROUPS_LOADED = "groups_loaded"
    GROUPS_UNLOADED = "groups_unloaded"
    MEMBER_JOINED = "member_joined"
    REBALANCE_STARTED = "rebalance_started"
    JOIN_COMPLETED = "join_completed"
    GROUP_STABLE = "group_stable"
    GROUP_EMPTY = "group_empty"
    MEMBER_REMOVED = "member_removed"
    OFFSETS_COMMITTED = "offsets_committed"
    OFFSETS_RESET = "offsets_reset"
    COORDINATOR_FOUND = "coordinator_found"
    COORDINATOR_LOST = "coordinator_lost"
    REJOIN_REQUESTED = "rejoin_requested"
    ASSIGNMENT_COMPUTED = "assignment_computed"
    PARTITIONS_ASSIGNED = "partitions_assigned"
    PARTITIONS_REVOKED = "partitions_revoked"
    PARTITIONS_LOST = "partitions_lost"
    MEMBER_LEFT = "member_left"
    OFFSET_COMMIT_FAILED = "offset_commit_failed"
    RECORDS_PROCESSED = "records_processed"
    CONSUMER_STARTED = "consumer_started"
    CONSUMER_STOPPED = "consumer_stopped"
    CONSUMER_CRASHED = "consumer_crashed"
    CONSUMER_PAUSED = "consumer_paused"
    CONSUMER_RESUMED = "consumer_resumed"
    # real Kafka clients on the wire listener (playground.wire)
    CLIENT_CONNECTED = "client_connected"
    CLIENT_DISCONNECTED = "client_disconnected"
    CLIENT_PRODUCED = "client_produced"
    CLIENT_FETCHED = "client_fetched"
    CLIENT_REQUEST_REFUSED = "client_request_refused"
    # the scenario runner / UI commands
    STEP = "step"
    STEP_ERROR = "step_error"


class Event:
    """One thing that happened at virtual time `time`.

    `text` is the explanation shown in the event log; `data` holds the same
    facts as numbers and names for checks and views.
    """

    __slots__ = ("seq", "time", "kind", "text", "data")

    def __init__(self, seq: int, time: int, kind: EventKind, text: str, data: dict[str, Any]) -> None:
        self.seq = seq
        self.time = time
        self.kind = kind
        self.text = text
        self.data = data

    def to_dict(self) -> dict[str, Any]:
        return {"time": self.time, "kind": self.kind.value, "text": self.text, **self.data}

    def __repr__(self) -> str:
        return f"Event({self.time}ms {self.kind.value}: {self.text})"


Listener = Callable[[Event], None]


class EventLog:
    """Append-only history plus synchronous listeners."""

    def __init__(self, clock) -> None:
        self._clock = clock
        self.history: list[Event] = []
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def emit(self, kind: EventKind, text: str, **data: Any) -> Event:
        event = Event(len(self.history), self._clock.now, kind, text, data)
        self.history.append(event)
        for listener in self._listeners:
            listener(event)
        return event

    def since(self, seq: int) -> list[Event]:
        return self.history[seq:]

    def of_kind(self, *kinds: EventKind) -> list[Event]:
        return [e for e in self.history if e.kind in kinds]
