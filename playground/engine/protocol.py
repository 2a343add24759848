"""Request and response shapes, after Kafka's API messages.

Field names follow Kafka's JSON message schemas (snake_cased) so that the
wire listener can translate one to one. Partition-level errors are `Errors`
members; `error_message` carries the plain sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .errors import Errors
from .records import RecordBatch


class TopicPartition(NamedTuple):
    topic: str
    partition: int

    def __str__(self) -> str:
        return f"{self.topic}/{self.partition}"

    @classmethod
    def parse(cls, text: str) -> "TopicPartition":
        topic, _, part = text.rpartition("/")
        return cls(topic, int(part))


# -- Produce (API key 0) ----------------------------------------------------
@dataclass(slots=True)
class ProduceRequest:
    acks: int                                  # 0, 1 or -1 (all)
    timeout_ms: int
    partitions: dict[TopicPartition, RecordBatch]
    transactional_id: str | None = None
    client_id: str = ""


@dataclass(slots=True)
class PartitionProduceResponse:
    error: Errors = Errors.NONE
    base_offset: int = -1
    log_append_time: int = -1
    log_start_offset: int = -1
    error_message: str | None = None


@dataclass(slots=True)
class ProduceResponse:
    partitions: dict[TopicPartition, PartitionProduceResponse]


# -- Fetch (API key 1) ------------------------------------------------------
@dataclass(slots=True)
class FetchPartition:
    fetch_offset: int
    last_fetched_epoch: int = -1
    current_leader_epoch: int = -1
    partition_max_bytes: int = 1048576


@dataclass(slots=True)
class FetchRequest:
    replica_id: int                            # -1 for consumers, the broker id for followers
    max_wait_ms: int
    min_bytes: int
    partitions: dict[TopicPartition, FetchPartition]
    max_bytes: int = 52428800
    isolation_level: str = "read_uncommitted"
    client_id: str = ""
    # KIP-227 incremental fetch sessions (fetch_session.py): epoch -1 is a fetch without a session,
    # 0 a full fetch that opens one (closing `session_id` if set), > 0 an incremental fetch that
    # lists only the partitions whose fetch position changed and those to forget.
    session_id: int = 0
    session_epoch: int = -1
    forgotten: list[TopicPartition] = field(default_factory=list)


@dataclass(slots=True)
class FetchedPartition:
    error: Errors = Errors.NONE
    high_watermark: int = -1
    log_start_offset: int = -1
    batches: list[RecordBatch] = field(default_factory=list)
    diverging_epoch: tuple[int, int] | None = None   # (epoch, end_offset) when the follower diverged
    error_message: str | None = None
    last_stable_offset: int = -1
    # read_committed: (producer_id, first_offset) of aborted transactions in the fetched range
    aborted_transactions: list[tuple[int, int]] | None = None


@dataclass(slots=True)
class FetchResponse:
    partitions: dict[TopicPartition, FetchedPartition]
    # A fetch-session error (FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH) answers no partition.
    error: Errors = Errors.NONE
    session_id: int = 0


# -- ListOffsets (API key 2) ------------------------------------------------
EARLIEST_TIMESTAMP = -2
LATEST_TIMESTAMP = -1


@dataclass(slots=True)
class ListOffsetsRequest:
    partitions: dict[TopicPartition, int]       # timestamp, or EARLIEST/LATEST
    isolation_level: str = "read_uncommitted"


@dataclass(slots=True)
class ListedOffset:
    error: Errors = Errors.NONE
    timestamp: int = -1
    offset: int = -1
    leader_epoch: int = -1


@dataclass(slots=True)
class ListOffsetsResponse:
    partitions: dict[TopicPartition, ListedOffset]


# -- Metadata (API key 3) ---------------------------------------------------
@dataclass(slots=True)
class MetadataRequest:
    topics: list[str] | None = None             # None: all topics
    allow_auto_topic_creation: bool = False


@dataclass(slots=True)
class PartitionMetadata:
    error: Errors
    partition: int
    leader: int
    leader_epoch: int
    replicas: list[int]
    isr: list[int]


@dataclass(slots=True)
class TopicMetadata:
    error: Errors
    name: str
    topic_id: str | None
    is_internal: bool
    partitions: list[PartitionMetadata]


@dataclass(slots=True)
class MetadataResponse:
    brokers: list[int]
    controller_id: int
    topics: dict[str, TopicMetadata]


# -- Admin: CreateTopics (19), DeleteTopics (20), CreatePartitions (37),
#    IncrementalAlterConfigs (44) ----------------------------------------------
@dataclass(slots=True)
class CreatableTopic:
    name: str
    num_partitions: int = -1                   # -1: the broker's num.partitions
    replication_factor: int = -1               # -1: default.replication.factor
    configs: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class CreateTopicsRequest:
    topics: list[CreatableTopic]
    validate_only: bool = False


@dataclass(slots=True)
class TopicResult:
    name: str
    error: Errors = Errors.NONE
    error_message: str | None = None
    topic_id: str | None = None
    num_partitions: int = -1
    replication_factor: int = -1
    warning: str | None = None


@dataclass(slots=True)
class CreateTopicsResponse:
    topics: list[TopicResult]


@dataclass(slots=True)
class DeleteTopicsRequest:
    topic_names: list[str]


@dataclass(slots=True)
class DeleteTopicsResponse:
    topics: list[TopicResult]


@dataclass(slots=True)
class CreatePartitionsTopic:
    name: str
    count: int


@dataclass(slots=True)
class CreatePartitionsRequest:
    topics: list[CreatePartitionsTopic]
    validate_only: bool = False


@dataclass(slots=True)
class CreatePartitionsResponse:
    topics: list[TopicResult]


@dataclass(slots=True)
class AlterConfigsResource:
    resource_type: str                          # "topic" | "broker"
    resource_name: str
    configs: dict[str, Any]                     # value None: delete the override


@dataclass(slots=True)
class IncrementalAlterConfigsRequest:
    resources: list[AlterConfigsResource]
    validate_only: bool = False


@dataclass(slots=True)
class IncrementalAlterConfigsResponse:
    resources: list[TopicResult]
