"""Admin operations on consumer groups: what `kafka-consumer-groups --reset-offsets --execute` does.

The tool describes the group first and refuses unless it is Empty or Dead
(Kafka's ConsumerGroupCommand: "Assignments can only be reset if the group
'<g>' is inactive, but the current state is <state>."), computes the new
offsets from the partition logs (ListOffsets), and commits them with an
OffsetCommit that carries no member id and generation -1, which the
coordinator accepts only for an Empty group.
"""

from __future__ import annotations

from typing import Any, Callable

from .errors import Errors, KafkaError
from .events import EventKind
from .group_offsets import OFFSETS_TOPIC
from .group_protocol import OffsetCommitPartition, OffsetCommitRequest, OffsetCommitResponse
from .group_view import describe_group
from .protocol import TopicPartition

ADMIN_CLIENT = "kafka-consumer-groups"


def _target(to: Any) -> tuple[str, Any]:
    if isinstance(to, str) and to in ("earliest", "latest"):
        return to, None
    if isinstance(to, dict) and len(to) == 1:
        (kind, value), = to.items()
        kind = {"shift-by": "shift_by", "to_offset": "offset"}.get(kind, kind)
        if kind in ("offset", "shift_by", "datetime"):
            return kind, int(value)
    if isinstance(to, dict) and "type" in to:          # the scenario schema's {"type", "value"} form
        return _target(to["type"] if to.get("value") is None else {to["type"]: to["value"]})
    raise KafkaError(Errors.INVALID_REQUEST, f"reset_offsets: 'to' must be earliest, latest, {{offset: N}}, "
                                             f"{{shift_by: N}} or {{datetime: ms}}; got {to!r}")


def reset_offsets(cluster, group_id: str, topic: str, to: Any, partition: int | None = None) -> dict:
    view = cluster.view()
    kind, value = _target(to)
    group = describe_group(cluster, view, group_id)
    if group.coordinator is None:
        raise KafkaError(Errors.COORDINATOR_NOT_AVAILABLE,
                         f"Group {group_id} has no coordinator right now ({OFFSETS_TOPIC} has no leader for "
                         "its partition).")
    if group.state not in ("Empty", "Dead"):
        raise KafkaError(Errors.NON_EMPTY_GROUP,
                         f"Assignments can only be reset if the group '{group_id}' is inactive, but the current "
                         f"state is {group.state}.")
    parts = view.partitions(topic)
    if not parts:
        raise KafkaError(Errors.UNKNOWN_TOPIC_OR_PARTITION, f"Topic {topic} does not exist.")
    if partition is not None:
        parts = [p for p in parts if p.partition == partition]
        if not parts:
            raise KafkaError(Errors.UNKNOWN_TOPIC_OR_PARTITION, f"Partition {topic}/{partition} does not exist.")
    new: dict[TopicPartition, int] = {}
    for p in parts:
        tp = TopicPartition(topic, p.partition)
        log = view.authoritative_log(topic, p.partition)
        start, end = (log.log_start_offset, log.high_watermark) if log else (0, 0)
        if kind == "earliest":
            off = start
        elif kind == "latest":
            off = end
        elif kind == "offset":
            off = value
        elif kind == "shift_by":
            off = group.committed.get(tp, start) + value
        else:                                           # the first record at or after the timestamp
            found = log.offset_for_timestamp(value) if log else None
            off = end if found is None or found >= end else found
        new[tp] = min(max(off, start), end)             # Kafka clamps to the log's range
    how = {"earliest": "to the earliest offsets", "latest": "to the latest offsets",
           "offset": f"to offset {value}", "shift_by": f"by {value:+d}" if kind == "shift_by" else "",
           "datetime": f"to the first records at or after timestamp {value}"}[kind]
    cluster.events.emit(EventKind.OFFSETS_RESET,
                        f"kafka-consumer-groups reset group {group_id}'s offsets on {topic} {how}: "
                        f"{', '.join(f'{tp}={o}' for tp, o in sorted(new.items()))}. The group is {group.state}, so "
                        f"coordinator {group.coordinator} accepts the commit; its consumers start there next time.",
                        group=group_id, topic=topic, offsets={str(tp): o for tp, o in new.items()})
    commit_offsets(cluster, group_id, group.coordinator, new)
    return new


def commit_offsets(cluster, group_id: str, coordinator: int, offsets: dict[TopicPartition, int],
                   done: Callable[[Errors], None] | None = None) -> None:
    """Admin.alterConsumerGroupOffsets: an OffsetCommit with no member id and generation -1, which
    the coordinator accepts only for a group without members. `done` gets the coordinator's answer
    (a request that gets no answer is REQUEST_TIMED_OUT)."""
    net = cluster.network
    if not net.is_alive(ADMIN_CLIENT):
        net.register(ADMIN_CLIENT, lambda env: None)
    req = OffsetCommitRequest(group_id, -1, "", {tp: OffsetCommitPartition(o) for tp, o in offsets.items()})

    def answered(resp: Any) -> None:
        if done is not None:
            done(resp.error if isinstance(resp, OffsetCommitResponse) else Errors.REQUEST_TIMED_OUT)
    net.request(ADMIN_CLIENT, coordinator, "offset_commit", req, answered)
