"""confluent-kafka (librdkafka) against the served cluster: admin, idempotent producing, a consumer
group, transactions."""

from __future__ import annotations

import time

import pytest

from playground.engine.events import EventKind
from playground.engine.protocol import TopicPartition as TP

from .conftest import require_module


@pytest.fixture
def ck():
    return require_module("confluent_kafka")


def admin(ck, served):
    from confluent_kafka.admin import AdminClient
    return AdminClient({"bootstrap.servers": served.bootstrap})


def consume(ck, consumer, count: int, timeout: float = 30.0) -> list:
    out = []
    deadline = time.monotonic() + timeout
    while len(out) < count and time.monotonic() < deadline:
        msg = consumer.poll(0.2)
        if msg is None:
            continue
        assert msg.error() is None, msg.error()
        out.append(msg)
    return out


def test_admin_create_describe_delete_and_errors(served, ck):
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import ConfigResource, NewPartitions, NewTopic
    a = admin(ck, served)
    futures = a.create_topics([NewTopic("orders", 3, 3, config={"min.insync.replicas": "2"}),
                               NewTopic("too-many-replicas", 1, 5),
                               NewTopic("bad name!", 1, 1)], request_timeout=15)
    assert futures["orders"].result() is None
    with pytest.raises(KafkaException) as err:
        futures["too-many-replicas"].result()
    assert err.value.args[0].name() == "INVALID_REPLICATION_FACTOR"
    assert "only 3 broker(s) are registered" in err.value.args[0].str()
    with pytest.raises(KafkaException) as err:
        futures["bad name!"].result()
    assert err.value.args[0].code() == 17       # INVALID_TOPIC_EXCEPTION (librdkafka names it TOPIC_EXCEPTION)
    with pytest.raises(KafkaException) as err:
        a.create_topics([NewTopic("orders", 1, 1)])["orders"].result()
    assert err.value.args[0].name() == "TOPIC_ALREADY_EXISTS"

    md = a.list_topics(timeout=10)
    assert sorted(md.brokers) == [101, 102, 103]
    assert sorted(p.id for p in md.topics["orders"].partitions.values()) == [0, 1, 2]
    assert all(len(p.replicas) == 3 for p in md.topics["orders"].partitions.values())
    cluster = a.describe_cluster(request_timeout=10).result()
    assert sorted(n.id for n in cluster.nodes) == [101, 102, 103]
    assert cluster.cluster_id == served.loop.server.cluster_id

    configs = a.describe_configs([ConfigResource("topic", "orders")])
    (config,) = [f.result() for f in configs.values()]
    assert config["min.insync.replicas"].value == "2"
    assert config["retention.ms"].value == "604800000"
    assert config["retention.ms"].is_default

    assert a.create_partitions([NewPartitions("orders", 5)])["orders"].result() is None
    with pytest.raises(KafkaException) as err:
        a.create_partitions([NewPartitions("orders", 2)])["orders"].result()
    assert err.value.args[0].name() == "INVALID_PARTITIONS"
    served.wait_for(lambda: len(served.cluster.controller.image.topics["orders"].partitions) == 5,
                    what="orders to have 5 partitions")

    assert a.delete_topics(["orders"])["orders"].result() is None
    with pytest.raises(KafkaException) as err:
        a.delete_topics(["orders"])["orders"].result()
    assert err.value.args[0].code() == 3        # UNKNOWN_TOPIC_OR_PARTITION (librdkafka: UNKNOWN_TOPIC_OR_PART)
    served.wait_for(lambda: "orders" not in served.cluster.brokers[101].image.topics, what="orders deleted")


def test_idempotent_producer_acks_all(served, ck):
    from confluent_kafka import Producer
    served.call(lambda: served.cluster.create_topic("payments", 3, 3, {"min.insync.replicas": 2}))
    p = Producer({"bootstrap.servers": served.bootstrap, "enable.idempotence": True, "acks": "all",
                  "linger.ms": 5})
    reports = []
    for i in range(300):
        p.produce("payments", key=f"acct-{i % 10}", value=f"payment {i}",
                  on_delivery=lambda err, msg: reports.append((err, msg.partition(), msg.offset())))
    assert p.flush(30) == 0
    assert len(reports) == 300 and all(err is None for err, _, _ in reports)
    offsets = {(part, off) for _, part, off in reports}
    assert len(offsets) == 300, "every record has its own offset"
    # The leaders saw producer ids and sequence numbers: the batches are idempotent ones.
    assigned = served.events(EventKind.PRODUCER_ID_ASSIGNED)
    assert assigned and "idempotent producer" in assigned[0].text
    batches = served.call(lambda: [b for bid, broker in served.cluster.brokers.items()
                                   for tp, state in broker.leaders.items() if tp.topic == "payments"
                                   for b in state.log.batches])
    assert batches and all(b.producer_id >= 0 and b.base_sequence >= 0 for b in batches)
    assert sum(b.count for b in batches) == 300


def test_consumer_group_reads_everything_in_key_order_and_commits(served, ck):
    from confluent_kafka import Consumer, Producer, TopicPartition
    served.call(lambda: served.cluster.create_topic("events", 4, 3))
    p = Producer({"bootstrap.servers": served.bootstrap, "acks": "all"})
    for i in range(400):
        p.produce("events", key=f"key-{i % 13}", value=str(i))
    assert p.flush(30) == 0
    consumers = [Consumer({"bootstrap.servers": served.bootstrap, "group.id": "readers", "auto.offset.reset": "earliest",
                           "enable.auto.commit": False, "session.timeout.ms": 10000}) for _ in range(2)]
    for c in consumers:
        c.subscribe(["events"])
    got = []
    deadline = time.monotonic() + 40
    while len(got) < 400 and time.monotonic() < deadline:
        for c in consumers:
            msg = c.poll(0.1)
            if msg is not None and msg.error() is None:
                got.append((c, msg))
    assert len(got) == 400
    per_key: dict[str, list[int]] = {}
    for _, msg in got:
        per_key.setdefault(msg.key().decode(), []).append(int(msg.value()))
    assert all(values == sorted(values) for values in per_key.values()), "each key's records come in order"
    assert sorted(v for values in per_key.values() for v in values) == list(range(400))
    for c in consumers:
        if c.assignment():
            c.commit(asynchronous=False)
    committed = consumers[0].committed([TopicPartition("events", p) for p in range(4)], timeout=10)
    ends = served.call(lambda: {p: served.cluster.brokers[served.cluster.leader_of("events", p)]
                                .leaders[TP("events", p)].log.high_watermark for p in range(4)})
    assert {tp.partition: tp.offset for tp in committed} == ends
    described = served.call(lambda: served.cluster.view())
    assert described is not None
    for c in consumers:
        c.close()
    assert any("readers" in e.text for e in served.events(EventKind.OFFSETS_COMMITTED))


def test_transactions_and_a_read_committed_consumer(served, ck):
    from confluent_kafka import Consumer, Producer, TopicPartition
    served.call(lambda: served.cluster.create_topic("ledger", 1, 3, {"min.insync.replicas": 2}))
    p = Producer({"bootstrap.servers": served.bootstrap, "transactional.id": "ledger-writer"})
    p.init_transactions(30)
    p.begin_transaction()
    for i in range(5):
        p.produce("ledger", key="k", value=f"committed-{i}")
    p.commit_transaction(30)
    p.begin_transaction()
    for i in range(4):
        p.produce("ledger", key="k", value=f"aborted-{i}")
    p.flush(10)
    p.abort_transaction(30)
    p.begin_transaction()
    p.produce("ledger", key="k", value="committed-last")
    p.commit_transaction(30)

    def read(isolation: str, expect: int) -> list[str]:
        c = Consumer({"bootstrap.servers": served.bootstrap, "group.id": f"audit-{isolation}",
                      "isolation.level": isolation, "auto.offset.reset": "earliest"})
        c.assign([TopicPartition("ledger", 0, 0)])
        values = [m.value().decode() for m in consume(ck, c, expect, timeout=15)]
        c.close()
        return values

    assert read("read_committed", 6) == [f"committed-{i}" for i in range(5)] + ["committed-last"]
    uncommitted = read("read_uncommitted", 10)
    assert [v for v in uncommitted if v.startswith("aborted")] == [f"aborted-{i}" for i in range(4)]
    markers = served.events(EventKind.TXN_MARKER_WRITTEN)
    assert any("COMMIT" in e.text for e in markers) and any("ABORT" in e.text for e in markers)


def test_list_offsets_earliest_latest_by_time_and_max_timestamp(served, ck):
    from confluent_kafka import Producer, TopicPartition
    from confluent_kafka.admin import OffsetSpec
    served.call(lambda: served.cluster.create_topic("times", 1, 1))
    p = Producer({"bootstrap.servers": served.bootstrap})
    for i, ts in enumerate([1000, 5000, 3000, 9000, 2000]):
        p.produce("times", value=str(i), timestamp=1_700_000_000_000 + ts)
    assert p.flush(20) == 0
    a = admin(ck, served)
    tp = TopicPartition("times", 0)

    def offset(spec):
        return a.list_offsets({tp: spec}, request_timeout=10)[tp].result()

    assert offset(OffsetSpec.earliest()).offset == 0
    assert offset(OffsetSpec.latest()).offset == 5
    assert offset(OffsetSpec.for_timestamp(1_700_000_000_000 + 4000)).offset == 1
    largest = offset(OffsetSpec.max_timestamp())
    assert (largest.offset, largest.timestamp) == (3, 1_700_000_009_000)


def test_a_batch_above_max_message_bytes_is_refused(served, ck):
    from confluent_kafka import KafkaError, Producer
    served.call(lambda: served.cluster.create_topic("small", 1, 1, {"max.message.bytes": 2000}))
    p = Producer({"bootstrap.servers": served.bootstrap, "message.max.bytes": 100000, "retries": 0})
    errors = []
    p.produce("small", value=b"x" * 5000, on_delivery=lambda err, msg: errors.append(err))
    p.produce("small", value=b"y" * 10, on_delivery=lambda err, msg: errors.append(err))
    p.flush(20)
    codes = sorted(str(e.code()) if e else "ok" for e in errors)
    assert str(KafkaError.MSG_SIZE_TOO_LARGE) in codes
    produced = served.events(EventKind.CLIENT_PRODUCED)
    assert any("MESSAGE_TOO_LARGE" in e.text for e in produced)
