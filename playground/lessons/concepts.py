"""The concept checklist of the product brief, as names lessons and demos cite.

A lesson's `concepts:` must use these names (a typo is an error with a
suggestion), so `kafka-playground lessons list` can tell which parts of the
checklist the lessons and demos cover and which are still missing.
"""

from __future__ import annotations

from typing import Iterable

# section -> (concept name, what it means)
CHECKLIST: dict[str, tuple[tuple[str, str], ...]] = {
    "Topics": (
        ("topics", "a topic is a named stream of records"),
        ("topic-partitions", "a topic is split into partitions"),
        ("replication-factor", "replication factor, at most the number of brokers"),
        ("retention", "retention by time (retention.ms) or size (retention.bytes)"),
        ("immutability", "records are never changed once written"),
        ("topic-names", "names are case-sensitive, [a-zA-Z0-9._-], at most 249 characters, . and _ collide"),
        ("partition-growth", "the partition count can grow, never shrink"),
        ("internal-topics", "__consumer_offsets and __transaction_state"),
        ("message-formats", "JSON, Avro, Protobuf, text, binary, base64 values"),
    ),
    "Partitions and offsets": (
        ("offsets", "offsets count from 0 in each partition"),
        ("per-partition-order", "order holds within a partition only; no global order"),
        ("segments", "a partition's log is a sequence of segment files"),
        ("log-start-offset", "the first offset still in the log"),
    ),
    "Producer": (
        ("record-anatomy", "key, value, headers, timestamp"),
        ("explicit-partition", "the producer may pick the partition itself"),
        ("murmur2", "a keyed record goes to murmur2(key) % partitions"),
        ("sticky-partitioner", "null keys: the sticky partitioner fills one batch at a time"),
        ("round-robin-partitioner", "null keys, the older way: one record per partition in turn"),
        ("adding-partitions-moves-keys", "more partitions change where keys go"),
        ("acks", "acks=0, acks=1, acks=all"),
        ("retries", "the producer retries failed sends"),
        ("idempotence", "enable.idempotence: retries write no duplicates"),
        ("batching", "linger.ms and batch.size"),
        ("compression", "compression.type none, gzip, snappy, lz4, zstd"),
        ("transactions", "transactional.id, commit and abort"),
    ),
    "Consumer": (
        ("pull-long-poll", "consumers pull with a long poll"),
        ("position-vs-committed", "the position read so far versus the committed offset"),
        ("auto-offset-reset", "auto.offset.reset earliest, latest, none"),
        ("processing-rate", "max.poll.records, pause and resume"),
    ),
    "Consumer groups": (
        ("group-exclusive-partitions", "each partition is read by one member of a group"),
        ("idle-members", "members beyond the partition count are idle"),
        ("independent-groups", "each group reads the whole topic on its own"),
        ("group-coordinator", "a broker coordinates each group"),
        ("consumer-offsets-topic", "committed offsets live in __consumer_offsets"),
        ("rebalance", "a join, a leave or a crash rebalances the group"),
        ("group-timeouts", "session.timeout.ms, heartbeat.interval.ms, max.poll.interval.ms"),
        ("assignors", "Range, RoundRobin, Sticky, CooperativeSticky"),
        ("eager-vs-cooperative", "eager rebalancing stops everyone; cooperative moves only what must move"),
        ("lag", "how far a group is behind the end of the log"),
    ),
    "Delivery semantics": (
        ("at-most-once", "commit before processing: a crash skips records"),
        ("at-least-once", "commit after processing: a crash repeats records"),
        ("exactly-once", "transactions and read_committed, consume-transform-produce"),
        ("idempotent-consumers", "external sinks need consumers that tolerate repeats"),
    ),
    "Brokers and replication": (
        ("broker-ids", "brokers have integer ids; clients bootstrap from any of them"),
        ("leader-followers", "one leader per partition; followers fetch from it"),
        ("isr", "the in-sync replicas"),
        ("high-watermark", "consumers read up to the high watermark"),
        ("min-insync-replicas", "min.insync.replicas"),
        ("durability-settings", "RF=3, min.insync.replicas=2, acks=all"),
        ("failover", "a new leader is elected from the ISR"),
        ("truncation", "a returning replica truncates what the new leader never had"),
        ("unclean-election", "unclean.leader.election.enable (off by default)"),
        ("eligible-leader-replicas", "ELR keeps a partition safe below min.insync.replicas (KIP-966)"),
        ("preferred-leader", "the first replica is the preferred leader"),
    ),
    "Storage": (
        ("retention-deletes-segments", "retention deletes whole old segments"),
        ("compaction", "cleanup.policy=compact keeps the latest record per key"),
        ("tombstones", "a null value deletes a key from a compacted topic"),
        ("sequential-writes", "appends are sequential writes"),
    ),
    "Control plane": (
        ("controller", "the controller manages metadata and elections"),
        ("kraft", "the KRaft controller quorum"),
        ("zookeeper", "ZooKeeper mode, before Kafka 4.0"),
        ("kraft-timeline", "2.8 preview, 3.0, 3.3 production-ready, 4.0 ZooKeeper removed"),
    ),
    "Tools": (
        ("kafka-topics", "kafka-topics --create, --list, --describe"),
        ("kafka-console-producer", "kafka-console-producer"),
        ("kafka-console-consumer", "kafka-console-consumer --from-beginning"),
        ("kafka-consumer-groups", "kafka-consumer-groups --describe"),
        ("reset-offsets", "kafka-consumer-groups --reset-offsets --to-earliest --execute"),
    ),
    "Ecosystem": (
        ("schema-registry", "Schema Registry and compatibility checks"),
        ("kafka-connect", "Kafka Connect, source and sink, CDC"),
        ("stream-processing", "Kafka Streams and ksqlDB"),
        ("mirroring", "MirrorMaker and cluster linking"),
        ("alternatives", "Redpanda, Pulsar, managed services, NATS JetStream, Kinesis, Pub/Sub"),
    ),
}

CONCEPTS: dict[str, str] = {name: text for items in CHECKLIST.values() for name, text in items}


def coverage(cited: Iterable[str]) -> tuple[list[str], list[str]]:
    """(covered, missing) concept names, in checklist order."""
    seen = set(cited)
    covered = [c for c in CONCEPTS if c in seen]
    return covered, [c for c in CONCEPTS if c not in seen]
