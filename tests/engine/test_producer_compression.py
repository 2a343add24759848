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
