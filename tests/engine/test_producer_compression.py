"""compression.type: producer batches are compressed for real, and consumers still read the records."""

import pytest

from playground.engine import Cluster, EventKind, TopicPartition

ORDERS = [('{"order": %d, "customer": "user-%d", "amount": 12.5}' % (i, i % 7)).encode() for i in range(100)]


@pytest.mark.parametrize("codec", ["gzip", "snappy", "lz4", "zstd"])
def test_compressed_batches_are_smaller_and_read_back_unchanged(codec):
    c = Cluster(seed=0)
    c.create_topic("orders", 1, 3, immediate=True)
    plain, packed = c.producer("plain", linger_ms=50), c.producer("packed", linger_ms=50, compression_type=codec)
    for value in ORDERS:
        plain.send("orders", value)
    c.advance(300)
    for value in ORDERS:
        packed.send("orders", value)
    c.advance(300)
    batches = c.view().authoritative_log("orders", 0).batches
    assert [b.compression for b in batches] == ["none", codec]
    assert batches[1].size_bytes < batches[0].size_bytes / 2, (codec, batches[1].size_bytes, batches[0].size_bytes)
    sent = [e for e in c.events.of_kind(EventKind.PRODUCE_SENT) if e.data["producer"] == "packed"]
    assert f"{codec}: " in sent[0].text
    consumer = c.consumer("reader", None, None, auto_offset_reset="earliest")
    got = []
    consumer.on_records = lambda recs: got.extend(r.record.value for r in recs)
    consumer.assign([TopicPartition("orders", 0)])
    c.advance(1000)
    assert got == ORDERS + ORDERS


@pytest.mark.parametrize("topic_codec, sent, stored", [
    ("producer", "lz4", "lz4"),          # the default: the batch stays as the producer compressed it
    ("gzip", "none", "gzip"),            # the leader compresses it
    ("zstd", "snappy", "zstd"),          # ... or compresses it anew with the topic's codec
    ("uncompressed", "gzip", "none"),    # ... or stores it uncompressed
    ("snappy", "snappy", "snappy"),      # the same codec: kept as sent
])
def test_the_topics_compression_type_decides_what_the_leader_stores(topic_codec, sent, stored):
    """Kafka's LogValidator: a topic compression.type other than "producer" makes the leader recompress."""
    from playground.engine.batch_codec import batch_sizes, decode_batch, encode_batch
    c = Cluster(seed=0)
    c.create_topic("orders", 1, 3, {"compression.type": topic_codec}, immediate=True)
    p = c.producer("p", linger_ms=50, compression_type=sent)
    for value in ORDERS:
        p.send("orders", value)
    c.advance(1000)
    view = c.view()
    for broker in (101, 102, 103):
        [batch] = view.replica_log(broker, "orders", 0).batches
        assert batch.compression == stored, f"broker {broker}"
        assert batch.size_bytes == batch_sizes(batch.records, stored)[1]
    appended = c.events.of_kind(EventKind.RECORDS_APPENDED)[0].text
    assert ("compressed the batch anew" in appended) == (stored != sent)
    again = decode_batch(encode_batch(batch))
    assert again.compression == stored and [r.value for r in again.records] == ORDERS
    consumer = c.consumer("reader", None, None, auto_offset_reset="earliest")
    got = []
    consumer.on_records = lambda recs: got.extend(r.record.value for r in recs)
    consumer.assign([TopicPartition("orders", 0)])
    c.advance(1000)
    assert got == ORDERS
