"""The scenario contract's vocabulary: its actions and keys, and the Kafka defaults they take.

Kept apart from the validator (`schema`) so that both it and anything else
reading scenarios share one list.
"""

from __future__ import annotations

from typing import Any

ACTIONS = (
    "create_topic", "delete_topic", "add_partitions", "alter_config",
    "produce", "start_producer", "stop_producer",
    "begin_transaction", "commit_transaction", "abort_transaction",
    "start_consumer", "stop_consumer", "crash_consumer", "pause_consumer", "resume_consumer",
    "reset_offsets",
    "kill_broker", "restart_broker", "isolate_broker", "heal", "slow_broker", "drop_requests",
    "elect_leaders", "wait",
)  # fmt: skip

BROKER_ID_BASE = 101  # brokers are 101, 102, ...; KRaft controllers 1, 2, ...
DEFAULT_PRODUCER = "producer-1"
TOP_KEYS = ("name", "description", "seed", "cluster", "topics", "steps", "expect")
CLUSTER_KEYS = ("brokers", "controller", "controllers", "network_latency", "config")
TOPIC_KEYS = ("name", "partitions", "replication_factor", "config")
PRODUCE_KEYS = ("topic", "key", "value", "headers", "partition", "count", "acks", "producer", "timestamp")
# Kafka 4.x producer defaults (kafka-facts.md). `delivery.timeout.ms` and
# `request.timeout.ms` are additions to the contract's key list.
PRODUCER_DEFAULTS: dict[str, Any] = {
    "acks": "all", "enable.idempotence": True, "linger.ms": 5, "batch.size": 16384,
    "compression.type": "none", "retries": 2147483647,
    "max.in.flight.requests.per.connection": 5, "transactional.id": None,
    "partitioner": "default", "delivery.timeout.ms": 120000, "request.timeout.ms": 30000,
}  # fmt: skip
START_PRODUCER_KEYS = ("name", "topic", "rate", "key", "value") + tuple(PRODUCER_DEFAULTS)
CONSUMER_DEFAULTS: dict[str, Any] = {
    "assignor": "range", "auto.offset.reset": "latest", "auto.commit.interval.ms": 5000,
    "processing_time": 0, "max.poll.records": 500, "session.timeout.ms": 45000,
    "heartbeat.interval.ms": 3000, "max.poll.interval.ms": 300000,
    "isolation.level": "read_uncommitted", "group.instance.id": None, "output": None,
}  # fmt: skip
START_CONSUMER_KEYS = ("name", "group", "topics", "enable.auto.commit", "commit") + tuple(CONSUMER_DEFAULTS)
ASSIGNORS = ("range", "roundrobin", "sticky", "cooperative-sticky")
# "none" (auto-commit off and no manual commit: the forgotten commit) is an addition.
COMMIT_MODES = ("auto", "after_processing", "before_processing", "transactional", "none")
COMPRESSION_TYPES = ("none", "gzip", "snappy", "lz4", "zstd")
# "default" is Kafka's built-in partitioner (murmur2 for keys, uniform sticky for
# null keys, KIP-794); Kafka 4 removed DefaultPartitioner and UniformStickyPartitioner.
PARTITIONERS = {"default": "default", "round_robin": "round_robin", "roundrobin": "round_robin",
                "RoundRobinPartitioner": "round_robin",
                "org.apache.kafka.clients.producer.RoundRobinPartitioner": "round_robin"}  # fmt: skip
APIS = (  # Kafka's API names in snake_case, for drop_requests
    "produce", "fetch", "list_offsets", "metadata", "offset_commit", "offset_fetch",
    "find_coordinator", "join_group", "heartbeat", "leave_group", "sync_group",
    "describe_groups", "list_groups", "api_versions", "create_topics", "delete_topics",
    "init_producer_id", "offset_for_leader_epoch", "add_partitions_to_txn", "add_offsets_to_txn",
    "end_txn", "write_txn_markers", "txn_offset_commit", "describe_configs", "alter_configs",
    "incremental_alter_configs", "create_partitions", "elect_leaders", "delete_records",
    "alter_partition", "broker_registration", "broker_heartbeat", "vote", "begin_quorum_epoch",
    "end_quorum_epoch", "fetch_snapshot", "consumer_group_heartbeat",
)  # fmt: skip
