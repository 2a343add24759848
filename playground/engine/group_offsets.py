"""`__consumer_offsets`: which partition holds a group, and the records in it.

A group lives on partition `Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions`
(Kafka's `GroupCoordinatorService.partitionFor`); the leader of that
partition is the group's coordinator. The coordinator writes two kinds of
records there, keyed so that compaction keeps the latest of each:

- an offset commit, key (group, topic, partition), value (offset, leader
  epoch, metadata, commit timestamp) — Kafka's OffsetCommitKey/Value;
- the group's metadata, key (group), value (generation, protocol, leader,
  members with their subscriptions and assignments) — GroupMetadataKey/Value,
  written when a generation's assignment is stored.

Kafka serialises them in its own binary schemas; the playground writes the
same fields as JSON text so the report and the UI can show them as they are.
A coordinator that takes over a partition rebuilds its cache by replaying
the partition's log (Kafka's `CoordinatorLoaderImpl`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable

from .protocol import TopicPartition
from .records import Record

OFFSETS_TOPIC = "__consumer_offsets"
OFFSET_COMMIT_KEY_TYPE = 1              # Kafka's OffsetCommitKey version/type
GROUP_METADATA_KEY_TYPE = 2             # Kafka's GroupMetadataKey version/type
# The internal topic's configs (Kafka's GroupCoordinator.groupMetadataTopicConfigs).
OFFSETS_TOPIC_CONFIGS_FROM_BROKER = {"cleanup.policy": "compact", "compression.type": "producer"}


def java_string_hash(text: str) -> int:
    """Java's `String.hashCode()`: s[0]*31^(n-1) + ... over UTF-16 code units, as a signed int."""
    h = 0
    data = text.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + ((data[i] << 8) | data[i + 1])) & 0xFFFFFFFF
    return h - (1 << 32) if h & 0x80000000 else h


def kafka_abs(n: int) -> int:
    """Kafka's `Utils.abs`: Math.abs, except that Integer.MIN_VALUE gives 0 (not itself)."""
    return 0 if n == -(1 << 31) else abs(n)


def partition_for(group_id: str, num_partitions: int) -> int:
    return kafka_abs(java_string_hash(group_id)) % num_partitions


@dataclass(frozen=True, slots=True)
class OffsetAndMetadata:
    offset: int
    leader_epoch: int = -1
    metadata: str = ""
    commit_timestamp: int = 0


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def offset_commit_record(group_id: str, tp: TopicPartition, om: OffsetAndMetadata | None,
                         timestamp: int) -> Record:
    """`om` None is a tombstone: compaction then drops the group's offset for `tp`."""
    key = _dumps({"type": OFFSET_COMMIT_KEY_TYPE,
                  "data": {"group": group_id, "topic": tp.topic, "partition": tp.partition}})
    value = None if om is None else _dumps(
        {"version": 3, "data": {"offset": om.offset, "leaderEpoch": om.leader_epoch,
                                "metadata": om.metadata, "commitTimestamp": om.commit_timestamp}})
    return Record(key, value, (), timestamp)


def subscription_to_json(sub: Any) -> dict[str, Any]:
    return {"topics": list(getattr(sub, "topics", ())),
            "ownedPartitions": [str(tp) for tp in getattr(sub, "owned_partitions", ())],
            "generation": getattr(sub, "generation", -1)}


def subscription_from_json(data: dict[str, Any], group_instance_id: str | None) -> Any:
    from .assignors import Subscription
    return Subscription(topics=tuple(data.get("topics", ())),
                        owned_partitions=tuple(TopicPartition.parse(t) for t in data.get("ownedPartitions", ())),
                        generation=int(data.get("generation", -1)), group_instance_id=group_instance_id)


def group_metadata_record(group_id: str, value: dict[str, Any] | None, timestamp: int) -> Record:
    key = _dumps({"type": GROUP_METADATA_KEY_TYPE, "data": {"group": group_id}})
    return Record(key, None if value is None else _dumps({"version": 4, "data": value}), (), timestamp)


@dataclass
class LoadedPartition:
    """What replaying one `__consumer_offsets` partition yields."""

    offsets: dict[str, dict[TopicPartition, OffsetAndMetadata]]
    groups: dict[str, dict[str, Any]]           # group id -> GroupMetadataValue data
    # producer id -> group -> offsets of a transaction with no marker yet
    pending: dict[int, dict[str, dict[TopicPartition, OffsetAndMetadata]]] = field(default_factory=dict)


def parse(record: Record) -> tuple[str, str, TopicPartition | None, Any]:
    """("offset", group, tp, OffsetAndMetadata | None) or ("group", group, None, value | None)."""
    key = json.loads(record.key)
    data = key["data"]
    value = None if record.value is None else json.loads(record.value)["data"]
    if key["type"] == OFFSET_COMMIT_KEY_TYPE:
        om = None if value is None else OffsetAndMetadata(value["offset"], value["leaderEpoch"],
                                                          value["metadata"], value["commitTimestamp"])
        return "offset", data["group"], TopicPartition(data["topic"], data["partition"]), om
    return "group", data["group"], None, value


def replay(records: Iterable[Record]) -> LoadedPartition:
    out = LoadedPartition({}, {})
    for rec in records:
        _apply(out, rec)
    return out


def _apply(out: LoadedPartition, rec: Record) -> None:
    if rec.key is None:
        return
    kind, group, tp, value = parse(rec)
    if kind == "offset":
        offsets = out.offsets.setdefault(group, {})
        if value is None:
            offsets.pop(tp, None)
        else:
            offsets[tp] = value
    elif value is None:
        out.groups.pop(group, None)
    else:
        out.groups[group] = value


def replay_log(log, upto: int | None = None) -> LoadedPartition:
    """Replay a partition log (below `upto`, e.g. the high watermark, when given).

    Offsets written inside a transaction count only once its COMMIT marker
    follows; those of a still-open transaction come back in `pending`.
    """
    from .txn_protocol import marker_committed
    out = LoadedPartition({}, {})
    open_txns: dict[int, list[Record]] = {}
    for _, rec, batch in log.records(None, upto):
        if batch.is_control:
            held = open_txns.pop(batch.producer_id, [])
            if marker_committed(rec):
                for r in held:
                    _apply(out, r)
        elif batch.is_transactional:
            open_txns.setdefault(batch.producer_id, []).append(rec)
        else:
            _apply(out, rec)
    for pid, held in open_txns.items():
        part = replay(held)
        out.pending[pid] = part.offsets
    return out
