"""The consumer protocol's opaque bytes: a member's subscription and its assignment.

In the classic group protocol the coordinator never reads these: JoinGroup
carries each member's `ConsumerProtocolSubscription` as bytes, the leader
reads them, runs the assignor and sends every member's
`ConsumerProtocolAssignment` in SyncGroup. Each is an int16 version followed
by the struct of that version (kio's generated data types); a newer version
than the reader knows is read as the newest it knows, which is how Kafka keeps
these forward compatible (`ConsumerProtocol.deserializeSubscription`).

The engine's coordinator keeps decoded values (an assignors `Subscription`, a
tuple of `TopicPartition`) so its events and views can name topics and
partitions. The bytes a client sent ride along unchanged (`WireSubscription.raw`;
the leader's assignment bytes are kept by the group adapter), so user data such
as a sticky assignor's generation reaches the other members exactly as written.
"""

from __future__ import annotations

import io
import struct
from pkgutil import resolve_name
from dataclasses import dataclass
from typing import Any

from kio.schema.consumer_protocol_assignment.v0.data import ConsumerProtocolAssignment as AssignmentV0
from kio.schema.consumer_protocol_subscription.v1.data import ConsumerProtocolSubscription as SubscriptionV1
from kio.schema.index import schema_name_map
from kio.serial import entity_reader, entity_writer
from kio.static.constants import EntityType

from playground.engine.assignors import Subscription
from playground.engine.protocol import TopicPartition

from .codec import build

_VERSION = struct.Struct(">h")
_SUBSCRIPTION_CLASSES: dict[int, type] = {}
_ASSIGNMENT_CLASSES: dict[int, type] = {}


def _data_class(kind: str, version: int) -> type:
    versions = schema_name_map[kind]
    v = max(0, min(version, max(versions)))
    return resolve_name(versions[v][EntityType.data].replace(":", "."))


@dataclass(frozen=True)
class WireSubscription(Subscription):
    """A real client's subscription: the decoded fields the engine reads, and the bytes it sent."""

    raw: bytes = b""


def decode_subscription(data: bytes | None, group_instance_id: str | None = None) -> WireSubscription:
    """What the engine keeps of a member's subscription; bytes it cannot read keep only the raw form."""
    data = bytes(data or b"")
    try:
        (version,) = _VERSION.unpack_from(data, 0)
        cls = _SUBSCRIPTION_CLASSES.get(version) or _SUBSCRIPTION_CLASSES.setdefault(
            version, _data_class("consumer_protocol_subscription", version))
        sub, _ = entity_reader(cls)(memoryview(data), 2)
    except Exception:           # opaque to the coordinator, as in Kafka: keep it as it came
        return WireSubscription(topics=(), raw=data, group_instance_id=group_instance_id)
    owned = tuple(TopicPartition(t.topic, int(p)) for t in getattr(sub, "owned_partitions", ()) for p in t.partitions)
    return WireSubscription(topics=tuple(sub.topics), owned_partitions=owned,
                            generation=int(getattr(sub, "generation_id", -1)), group_instance_id=group_instance_id,
                            raw=data)


def encode_subscription(sub: Any) -> bytes:
    """The bytes to hand the group leader: the member's own, or (after a coordinator moved and
    reloaded the group from __consumer_offsets) a version 1 subscription rebuilt from its fields."""
    if isinstance(sub, WireSubscription) and sub.raw:
        return sub.raw
    if sub is None:
        return b""
    owned: dict[str, list[int]] = {}
    for tp in getattr(sub, "owned_partitions", ()):
        owned.setdefault(tp.topic, []).append(tp.partition)
    entity = build(SubscriptionV1, topics=list(sub.topics), user_data=None,
                   owned_partitions=[{"topic": t, "partitions": ps} for t, ps in owned.items()])
    buf = io.BytesIO()
    buf.write(_VERSION.pack(1))
    entity_writer(SubscriptionV1)(buf, entity)
    return buf.getvalue()


def decode_assignment(data: bytes | None) -> tuple[TopicPartition, ...]:
    """The partitions of a ConsumerProtocolAssignment (empty bytes: nothing assigned)."""
    data = bytes(data or b"")
    if len(data) < 2:
        return ()
    (version,) = _VERSION.unpack_from(data, 0)
    cls = _ASSIGNMENT_CLASSES.get(version) or _ASSIGNMENT_CLASSES.setdefault(
        version, _data_class("consumer_protocol_assignment", version))
    try:
        assignment, _ = entity_reader(cls)(memoryview(data), 2)
    except Exception:
        return ()
    return tuple(TopicPartition(t.topic, int(p)) for t in assignment.assigned_partitions for p in t.partitions)


def encode_assignment(partitions: tuple[TopicPartition, ...], raw: bytes | None = None) -> bytes:
    """The bytes for a member: the leader's own when they still describe `partitions`."""
    if raw is not None and decode_assignment(raw) == tuple(partitions):
        return raw
    by_topic: dict[str, list[int]] = {}
    for tp in partitions:
        by_topic.setdefault(tp.topic, []).append(tp.partition)
    entity = build(AssignmentV0, assigned_partitions=[{"topic": t, "partitions": ps} for t, ps in by_topic.items()],
                   user_data=None)
    buf = io.BytesIO()
    buf.write(_VERSION.pack(0))
    entity_writer(AssignmentV0)(buf, entity)
    return buf.getvalue()


__all__ = ["WireSubscription", "decode_assignment", "decode_subscription", "encode_assignment",
           "encode_subscription"]
