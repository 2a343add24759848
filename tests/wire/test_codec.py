"""The wire layer's codecs: kio responses built for every version, the consumer protocol's bytes,
and produced batches kept as the bytes the client sent."""

from __future__ import annotations

import pytest
from kio.schema.errors import ErrorCode
from kio.static.constants import EntityType

from playground.engine.assignors import Subscription
from playground.engine.batch_codec import decode_batch, decode_batches, encode_batch
from playground.engine.protocol import TopicPartition as TP
from playground.engine.records import Record, RecordBatch
from playground.wire.apis import SUPPORTED
from playground.wire.codec import (build, encode_response, entity_class, read_response, topic_id_text,
                                   topic_uuid)
from playground.wire.consumer_protocol import (WireSubscription, decode_assignment, decode_subscription,
                                               encode_assignment, encode_subscription)


@pytest.mark.parametrize("version", range(SUPPORTED[3][0], SUPPORTED[3][1] + 1))
def test_metadata_response_builds_and_reads_back_at_every_version(version):
    cls = entity_class(3, version, EntityType.response)
    fields = dict(brokers=[{"node_id": 101, "host": "127.0.0.1", "port": 9092, "rack": None}], cluster_id="abc",
                  controller_id=101,
                  topics=[{"error_code": 0, "name": "orders", "topic_id": "AAAAAAAAAAAAAAAAAAAAAQ", "is_internal": False,
                           "partitions": [{"error_code": 0, "partition_index": 0, "leader_id": 101, "leader_epoch": 3,
                                           "replica_nodes": [101], "isr_nodes": [101], "offline_replicas": []}]}])
    frame = encode_response(3, 17, build(cls, **fields))
    corr, resp = read_response(frame[4:], 3, version)
    assert corr == 17
    assert resp.brokers[0].port == 9092 and resp.topics[0].name == "orders"
    assert resp.topics[0].partitions[0].leader_id == 101
    if version >= 7:
        assert resp.topics[0].partitions[0].leader_epoch == 3


def test_build_fills_missing_fields_and_converts_kafka_types():
    cls = entity_class(0, 11, EntityType.response)
    resp = build(cls, responses=[{"name": "t", "partition_responses": [
        {"index": 0, "error_code": 6, "base_offset": -1, "log_append_time": -1}]}], throttle_time=0)
    part = resp.responses[0].partition_responses[0]
    assert part.error_code == ErrorCode.not_leader_or_follower and part.log_append_time is None
    assert part.record_errors == ()


def test_topic_ids_round_trip():
    text = "cxpXBp4QQg2kxNmWk8B0Pg"
    assert topic_id_text(topic_uuid(text)) == text
    assert topic_uuid(None) is None and topic_id_text(None) is None


def test_subscription_bytes_survive_and_decode():
    sub = Subscription(topics=("orders", "payments"), owned_partitions=(TP("orders", 2),))
    data = encode_subscription(sub)
    back = decode_subscription(data, "instance-1")
    assert isinstance(back, WireSubscription) and back.raw == data
    assert back.topics == ("orders", "payments") and back.owned_partitions == (TP("orders", 2),)
    assert back.group_instance_id == "instance-1"
    assert encode_subscription(back) == data
    opaque = decode_subscription(b"\x00\x09garbage")
    assert opaque.topics == () and encode_subscription(opaque) == b"\x00\x09garbage"


def test_assignment_bytes_from_the_leader_are_passed_on_when_they_still_match():
    parts = (TP("orders", 0), TP("orders", 2), TP("payments", 1))
    data = encode_assignment(parts)
    assert decode_assignment(data) == parts
    with_user_data = data[:-4] + b"\x00\x00\x00\x02hi"
    assert decode_assignment(with_user_data) == parts
    assert encode_assignment(parts, with_user_data) == with_user_data
    assert encode_assignment(parts[:1], with_user_data) != with_user_data
    assert decode_assignment(b"") == ()


@pytest.mark.parametrize("size", [0, 63, 64, 100, 8191, 8192, 20000])
@pytest.mark.parametrize("codec", ["none", "lz4"])
def test_produced_bytes_are_kept_and_fetched_unchanged(size, codec):
    records = [Record(b"k" * (size % 70), b"v" * size, (("h", b"1"),) if size == 100 else (), 1_700_000_000_000 + i)
               for i in range(5)] + [Record(None, None, (), 1_700_000_000_009)]
    sent = encode_batch(RecordBatch(records, producer_id=7, producer_epoch=0, base_sequence=3, compression=codec))
    (batch,) = decode_batches(sent, keep_bytes=True)
    assert [(r.key, r.value, r.headers, r.timestamp) for r in batch.records] == \
        [(r.key, r.value, tuple(r.headers), r.timestamp) for r in records]
    stored = batch.stamped(base_offset=42, leader_epoch=5, append_time=None)
    fetched = encode_batch(stored)
    assert fetched[8:12] == sent[8:12] and fetched[16:] == sent[16:], "only offset and epoch change"
    again = decode_batch(fetched)
    assert again.base_offset == 42 and again.leader_epoch == 5 and again.base_sequence == 3
    # LogAppendTime rewrites timestamps inside the CRC: those bytes are written anew.
    appended = batch.stamped(base_offset=42, leader_epoch=5, append_time=123)
    assert appended.raw is None and decode_batch(encode_batch(appended)).records[0].timestamp == 123
