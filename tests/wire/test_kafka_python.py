"""kafka-python (a pure-Python client with its own protocol code) against the served cluster."""

from __future__ import annotations

import pytest

from playground.engine.events import EventKind

from .conftest import require_module


@pytest.fixture
def kp():
    return require_module("kafka")


def test_kafka_python_producer_and_group_consumer(served, kp):
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.admin import NewTopic
    admin = KafkaAdminClient(bootstrap_servers=served.bootstrap, client_id="kp-admin")
    admin.create_topics([NewTopic("clicks", 2, 3)])
    producer = KafkaProducer(bootstrap_servers=served.bootstrap, acks="all", client_id="kp-producer")
    futures = [producer.send("clicks", key=f"page-{i % 5}".encode(), value=f"click {i}".encode()) for i in range(60)]
    producer.flush(30)
    metadata = [f.get(timeout=10) for f in futures]
    assert len({(m.partition, m.offset) for m in metadata}) == 60
    producer.close()

    consumer = KafkaConsumer("clicks", bootstrap_servers=served.bootstrap, group_id="kp-group", client_id="kp-consumer",
                             auto_offset_reset="earliest", enable_auto_commit=False, consumer_timeout_ms=20000)
    seen = []
    for msg in consumer:
        seen.append((msg.key.decode(), int(msg.value.split()[1])))
        if len(seen) == 60:
            break
    assert sorted(v for _, v in seen) == list(range(60))
    for key in {k for k, _ in seen}:
        values = [v for k, v in seen if k == key]
        assert values == sorted(values)
    consumer.commit()
    committed = {p: consumer.committed(TopicPartition("clicks", p)) for p in (0, 1)}
    assert sum(committed.values()) == 60
    consumer.close()
    listed = admin.list_groups()
    assert "kp-group" in str(listed)
    described = admin.describe_groups(["kp-group"])
    assert "kp-group" in str(described) and "Empty" in str(described)
    admin.close()
    texts = [e.text for e in served.events(EventKind.CLIENT_PRODUCED)]
    assert any(t.startswith("kp-producer (127.0.0.1:") for t in texts)
