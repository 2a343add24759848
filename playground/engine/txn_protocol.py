"""Request and response shapes of idempotence and transactions, after Kafka's API messages.

InitProducerId (22), AddPartitionsToTxn (24), AddOffsetsToTxn (25),
EndTxn (26), WriteTxnMarkers (27) and TxnOffsetCommit (28), with Kafka's
field names snake_cased; plus the end-transaction marker, the control
record a transaction coordinator has every partition leader write.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from .errors import Errors
from .protocol import TopicPartition
from .batch_codec import CONTROL_ABORT, CONTROL_COMMIT, end_transaction_marker
from .records import Record

COORDINATOR_KEY_TRANSACTION = 1
TRANSACTION_STATE_TOPIC = "__transaction_state"
NO_PRODUCER_ID = -1
NO_PRODUCER_EPOCH = -1


# -- InitProducerId (22) --------------------------------------------------------
@dataclass(slots=True)
class InitProducerIdRequest:
    transactional_id: str | None
    transaction_timeout_ms: int
    producer_id: int = NO_PRODUCER_ID
    producer_epoch: int = NO_PRODUCER_EPOCH
    client_id: str = ""


@dataclass(slots=True)
class InitProducerIdResponse:
    error: Errors = Errors.NONE
    producer_id: int = NO_PRODUCER_ID
    producer_epoch: int = NO_PRODUCER_EPOCH
    error_message: str | None = None


# -- AddPartitionsToTxn (24), AddOffsetsToTxn (25), EndTxn (26) ------------------
@dataclass(slots=True)
class AddPartitionsToTxnRequest:
    transactional_id: str
    producer_id: int
    producer_epoch: int
    partitions: list[TopicPartition]


@dataclass(slots=True)
class AddPartitionsToTxnResponse:
    results: dict[TopicPartition, Errors]
    error_message: str | None = None


@dataclass(slots=True)
class AddOffsetsToTxnRequest:
    transactional_id: str
    producer_id: int
    producer_epoch: int
    group_id: str


@dataclass(slots=True)
class EndTxnRequest:
    transactional_id: str
    producer_id: int
    producer_epoch: int
    committed: bool


@dataclass(slots=True)
class TxnResponse:
    """The answer of AddOffsetsToTxn and EndTxn: an error code (and our sentence)."""
    error: Errors = Errors.NONE
    error_message: str | None = None


# -- WriteTxnMarkers (27): coordinator -> partition leaders ---------------------
@dataclass(slots=True)
class TxnMarker:
    producer_id: int
    producer_epoch: int
    committed: bool
    partitions: list[TopicPartition]
    coordinator_epoch: int
    transactional_id: str = ""                 # for the event sentences only


@dataclass(slots=True)
class WriteTxnMarkersRequest:
    markers: list[TxnMarker]


@dataclass(slots=True)
class WriteTxnMarkersResponse:
    results: dict[tuple[int, TopicPartition], Errors] = field(default_factory=dict)


# -- TxnOffsetCommit (28): producer -> group coordinator --------------------------
@dataclass(slots=True)
class TxnOffsetCommitRequest:
    transactional_id: str
    group_id: str
    producer_id: int
    producer_epoch: int
    offsets: dict[TopicPartition, int]
    generation_id: int = -1
    member_id: str = ""


@dataclass(slots=True)
class TxnOffsetCommitResponse:
    results: dict[TopicPartition, Errors]


# -- the end-transaction marker (Kafka's EndTransactionMarker; bytes in batch_codec) ------------
def end_txn_marker(committed: bool, coordinator_epoch: int, timestamp: int) -> Record:
    return end_transaction_marker(CONTROL_COMMIT if committed else CONTROL_ABORT, coordinator_epoch, timestamp)


def marker_committed(record: Record) -> bool:
    """True for a COMMIT marker, False for an ABORT marker."""
    return record.key[2:4] == _COMMIT_TYPE


def marker_name(record: Record) -> str:
    return "COMMIT" if marker_committed(record) else "ABORT"


_COMMIT_TYPE = struct.pack(">h", CONTROL_COMMIT)
