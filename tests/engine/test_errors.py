"""The engine's error table against kio's ErrorCode (generated from Kafka's own schema)."""

import pytest

from playground.engine.errors import RETRIABLE, Errors, KafkaError

kio_errors = pytest.importorskip("kio.schema.errors")
ErrorCode = kio_errors.ErrorCode


@pytest.mark.parametrize("member", list(Errors), ids=lambda m: m.name)
def test_code_matches_kio(member):
    name = member.name.lower()
    assert name in ErrorCode.__members__, f"kio has no ErrorCode.{name}"
    assert int(ErrorCode[name]) == member.value, f"{member.name}: engine {member.value}, kio {int(ErrorCode[name])}"


def test_the_names_kafka_facts_lists_all_exist():
    # The error names the playground promises to speak (kafka-facts.md).
    for name in ("NOT_LEADER_OR_FOLLOWER", "UNKNOWN_TOPIC_OR_PARTITION", "LEADER_NOT_AVAILABLE",
                 "NOT_ENOUGH_REPLICAS", "NOT_ENOUGH_REPLICAS_AFTER_APPEND", "REQUEST_TIMED_OUT",
                 "INVALID_TOPIC_EXCEPTION", "TOPIC_ALREADY_EXISTS", "INVALID_PARTITIONS",
                 "INVALID_REPLICATION_FACTOR", "INVALID_CONFIG", "OFFSET_OUT_OF_RANGE",
                 "COORDINATOR_NOT_AVAILABLE", "NOT_COORDINATOR", "REBALANCE_IN_PROGRESS",
                 "UNKNOWN_MEMBER_ID", "ILLEGAL_GENERATION", "NON_EMPTY_GROUP", "GROUP_ID_NOT_FOUND",
                 "FENCED_LEADER_EPOCH", "OUT_OF_ORDER_SEQUENCE_NUMBER", "DUPLICATE_SEQUENCE_NUMBER",
                 "INVALID_PRODUCER_EPOCH", "PRODUCER_FENCED", "INVALID_TXN_STATE"):
        assert name in Errors.__members__, f"Errors has no {name}"


@pytest.mark.parametrize("member", sorted(RETRIABLE, key=int), ids=lambda m: m.name)
def test_every_retriable_error_is_retriable_in_kafka(member):
    assert ErrorCode[member.name.lower()].retriable, f"{member.name} is not retriable in Kafka"


def test_retriable_set_equals_kafkas():
    kafka_retriable = {m for m in Errors if ErrorCode[m.name.lower()].retriable}
    assert set(RETRIABLE) == kafka_retriable, (
        f"missing: {sorted(m.name for m in kafka_retriable - RETRIABLE)}, "
        f"extra: {sorted(m.name for m in RETRIABLE - kafka_retriable)}")


def test_kafka_error_carries_name_and_sentence():
    exc = KafkaError(Errors.INVALID_PARTITIONS, "Topic already has 3 partition(s).")
    assert exc.error is Errors.INVALID_PARTITIONS
    assert exc.message == "Topic already has 3 partition(s)."
    assert str(exc) == "INVALID_PARTITIONS: Topic already has 3 partition(s)."
