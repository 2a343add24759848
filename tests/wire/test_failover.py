"""A partition leader dies while a confluent-kafka producer sends with acks=all: every record the
producer was told is written must be read back afterwards."""

from __future__ import annotations

import time

import pytest

from playground.engine.events import EventKind

from .conftest import require_module


@pytest.fixture
def ck():
    return require_module("confluent_kafka")


def test_leader_killed_while_producing_with_acks_all(served, ck):
    from confluent_kafka import Consumer, Producer, TopicPartition
    cluster = served.cluster
    served.call(lambda: cluster.create_topic("orders", 3, 3, {"min.insync.replicas": 2}))
    victim = served.call(lambda: cluster.leader_of("orders", 0))
    p = Producer({"bootstrap.servers": served.bootstrap, "acks": "all", "enable.idempotence": True,
                  "linger.ms": 2, "message.timeout.ms": 60000})
    acked: list[tuple[int, int, str]] = []
    failed: list[str] = []

    def report(err, msg):
        if err is None:
            acked.append((msg.partition(), msg.offset(), msg.value().decode()))
        else:
            failed.append(str(err))

    total = 3000
    killed_at = None
    for i in range(total):
        p.produce("orders", key=f"k{i % 30}", value=f"order-{i}", on_delivery=report)
        if i % 50 == 49:
            p.poll(0.02)               # pace the sends and let librdkafka hand over acknowledgements
            if killed_at is None and len(acked) >= 300:
                served.call(lambda: cluster.kill_broker(victim))
                killed_at = i
    assert p.flush(60) == 0
    assert killed_at is not None and killed_at < total - 100, "the leader died while records were still being sent"
    assert not failed, failed[:3]
    assert len(acked) == total
    served.wait_for(lambda: cluster.leader_of("orders", 0) != victim, what="a new leader for orders/0")
    assert served.events(EventKind.CLIENT_DISCONNECTED), "the dead broker's clients lost their connections"
    assert victim not in served.call(lambda: served.loop.server.listening())

    c = Consumer({"bootstrap.servers": served.bootstrap, "group.id": "audit", "enable.auto.commit": False})
    c.assign([TopicPartition("orders", part, 0) for part in range(3)])
    read: set[tuple[int, int, str]] = set()
    deadline = time.monotonic() + 30
    while len(read) < len(acked) and time.monotonic() < deadline:
        msg = c.poll(0.2)
        if msg is not None and msg.error() is None:
            read.add((msg.partition(), msg.offset(), msg.value().decode()))
    c.close()
    missing = set(acked) - read
    assert not missing, f"{len(missing)} acknowledged records were not read back, e.g. {sorted(missing)[:3]}"
    # Idempotence kept the retried batches from being written twice.
    assert len({v for _, _, v in read}) == len(read)

    served.call(lambda: cluster.restart_broker(victim))
    served.wait_for(lambda: victim in served.loop.server.listening(), what="the restarted broker to listen again")
