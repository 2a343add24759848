"""buffer.memory: a producer faster than its cluster blocks in send(), then fails after max.block.ms."""

from playground.engine import Cluster, EventKind


def _cluster() -> Cluster:
    c = Cluster(seed=0)
    c.create_topic("orders", 1, 3, {"min.insync.replicas": 2}, immediate=True)
    return c


def test_sends_beyond_buffer_memory_wait_for_acks_and_keep_their_order():
    c = _cluster()
    p = c.producer("p", buffer_memory=400, linger_ms=0)
    for i in range(30):                       # 30 x 28 bytes: more than 400 bytes at once
        p.send("orders", f"record-{i:03d}-xxxxxxxx".encode())
    assert p.buffer.waiting, "sends beyond buffer.memory block"
    assert c.events.of_kind(EventKind.PRODUCER_BLOCKED)
    c.advance(5000)
    assert (p.stats.acked, p.stats.failed) == (30, 0) and p.buffer.used == 0
    values = [rec.value for _, rec, _ in c.view().authoritative_log("orders", 0).records()]
    assert values == [f"record-{i:03d}-xxxxxxxx".encode() for i in range(30)]


def test_a_blocked_send_fails_after_max_block_ms_when_nothing_is_acknowledged():
    c = _cluster()
    for b in (102, 103):
        c.kill_broker(b)                      # acks=all and min.insync.replicas=2: nothing is acknowledged
    p = c.producer("p", buffer_memory=200, max_block_ms=1000, request_timeout_ms=500, delivery_timeout_ms=3000,
                   linger_ms=0)
    for i in range(20):
        p.send("orders", f"record-{i:03d}-xxxxxxxx".encode())
    c.advance(1500)
    assert p.stats.failed >= 10
    failures = [e for e in c.events.of_kind(EventKind.PRODUCE_FAILED) if "buffer.memory" in e.text]
    assert failures and "Failed to allocate memory within the configured max blocking time 1000 ms" in failures[0].text
