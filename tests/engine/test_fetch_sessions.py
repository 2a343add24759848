"""Followers fetch in incremental fetch sessions (KIP-227): requests list only the partitions whose
fetch position changed, responses only the partitions with news; replication is unchanged."""

from playground.engine import Cluster, Errors, TopicPartition
from playground.engine.fetch_session import FetchSessionCache, FetchSessionHandler
from playground.engine.protocol import FetchPartition, FetchRequest, FetchResponse, FetchedPartition

A, B, C = (TopicPartition("t", p) for p in range(3))


def _replica_fetches(cluster):
    """(time, src, dst, direction, body) of every fetch between brokers."""
    seen = []

    def on_message(m):
        if m.api == "fetch" and isinstance(m.src, int) and isinstance(m.dst, int) and not m.lost:
            seen.append((m.sent_at, m.src, m.dst, m.direction, m.body))
    cluster.network.subscribe(on_message)
    return seen


def _cluster():
    c = Cluster(brokers=3, seed=0, network_latency=1)
    c.create_topic("t", 6, 3, {"min.insync.replicas": 2}, immediate=True)
    c.advance(2000)
    return c


def test_an_idle_session_lists_no_partition_and_a_produce_lists_only_its_partition():
    c = _cluster()
    seen = _replica_fetches(c)
    c.advance(3000)                              # idle: followers long-poll every replica.fetch.wait.max.ms
    requests = [body for _, _, _, d, body in seen if d == "request"]
    responses = [body for _, _, _, d, body in seen if d == "response"]
    assert requests and all(r.session_id > 0 and r.session_epoch > 0 for r in requests)
    assert all(r.partitions == {} and r.forgotten == [] for r in requests), "an idle follower re-listed partitions"
    assert all(r.partitions == {} and r.error == Errors.NONE for r in responses)

    seen.clear()
    p = c.producer("p", acks="all", linger_ms=0)
    tp = TopicPartition("t", 4)
    leader = c.view().partitions("t")[4].leader
    p.send("t", b"v", partition=4)
    c.advance(50)
    assert p.stats.acked == 1
    from_leader = [(t, dst, body) for t, src, dst, d, body in seen if d == "response" and src == leader]
    with_records = [(t, dst) for t, dst, body in from_leader if tp in body.partitions and body.partitions[tp].batches]
    assert sorted(dst for _, dst in with_records) == sorted(r for r in (101, 102, 103) if r != leader)
    assert all(set(body.partitions) <= {tp} for _, _, body in from_leader), "a response carried an unchanged partition"
    # The followers then report their new position, on that partition alone.
    to_leader = [body for t, src, dst, d, body in seen if d == "request" and dst == leader]
    assert any(body.partitions.keys() == {tp} and body.partitions[tp].fetch_offset == 1 for body in to_leader)
    assert all(set(body.partitions) <= {tp} for body in to_leader)
    hw = c.view().partitions("t")[4].high_watermark
    assert hw == 1


def test_an_idle_partition_keeps_its_followers_in_sync():
    """The leader notes a follower's position on every partition of the session, listed or not:
    nothing idle drops out of the ISR after replica.lag.time.max.ms."""
    c = _cluster()
    p = c.producer("p", acks="all", linger_ms=0)
    for i in range(450):                      # 45 s, past replica.lag.time.max.ms (30 s)
        p.send("t", b"x", partition=0)        # one busy partition, five idle ones
        c.advance(100)
    assert p.stats.acked == 450
    assert all(pv.isr and len(pv.isr) == 3 for pv in c.view().partitions("t"))


def test_a_restarted_leader_has_no_session_and_the_follower_starts_a_new_one():
    c = _cluster()
    p = c.producer("p", acks="all", linger_ms=0, retries=1000)
    leader = c.view().partitions("t")[0].leader
    seen = _replica_fetches(c)
    c.kill_broker(leader)
    c.advance(8000)
    c.restart_broker(leader)
    c.advance(10000)
    for i in range(20):
        p.send("t", b"after", partition=i % 6)
        c.advance(20)
    c.advance(3000)
    assert p.stats.acked == 20
    # The restarted broker opened new sessions with full fetches (epoch 0).
    full = [body for t, src, dst, d, body in seen if d == "request" and src == leader and body.session_epoch == 0]
    assert full, "the restarted broker never opened a fetch session"
    for pv in c.view().partitions("t"):
        logs = [c.view().replica_log(r, "t", pv.partition) for r in pv.isr]
        assert len({log.log_end_offset for log in logs}) == 1
        assert len(pv.isr) == 3


def test_the_session_cache_answers_unknown_ids_and_wrong_epochs_with_kafkas_errors():
    cache = FetchSessionCache()
    full = FetchRequest(101, 500, 1, {A: FetchPartition(0, -1, 0), B: FetchPartition(5, 0, 0)}, session_epoch=0)
    error, session, incremental = cache.context(full)
    assert error == Errors.NONE and not incremental and set(session.partitions) == {A, B}
    nxt = FetchRequest(101, 500, 1, {B: FetchPartition(6, 0, 0), C: FetchPartition(0, -1, 0)},
                       session_id=session.id, session_epoch=1, forgotten=[A])
    error, same, incremental = cache.context(nxt)
    assert error == Errors.NONE and same is session and incremental
    assert list(session.partitions) == [B, C] and session.partitions[B].fetch_offset == 6
    assert cache.context(nxt)[0] == Errors.INVALID_FETCH_SESSION_EPOCH      # epoch 1 again
    lost = FetchRequest(101, 500, 1, {}, session_id=session.id + 7, session_epoch=3)
    assert cache.context(lost)[0] == Errors.FETCH_SESSION_ID_NOT_FOUND
    cache.clear()                                  # the leader restarted
    assert cache.context(FetchRequest(101, 500, 1, {}, session_id=session.id, session_epoch=2))[0] \
        == Errors.FETCH_SESSION_ID_NOT_FOUND


def test_the_follower_handler_sends_changes_only_and_starts_over_after_an_error():
    h = FetchSessionHandler()
    wanted = {A: (0, -1, 0, 100), B: (5, 0, 0, 100)}
    parts, forgotten, sid, epoch = h.build(wanted)
    assert set(parts) == {A, B} and epoch == 0 and sid == 0
    assert h.handle_response(FetchResponse({}, session_id=9))
    parts, forgotten, sid, epoch = h.build(wanted)
    assert parts == {} and forgotten == [] and (sid, epoch) == (9, 1)
    assert h.handle_response(FetchResponse({B: FetchedPartition(high_watermark=5)}, session_id=9))
    parts, forgotten, sid, epoch = h.build({B: (6, 0, 0, 100), C: (0, -1, 0, 100)})
    assert set(parts) == {B, C} and forgotten == [A] and epoch == 2
    assert not h.handle_response(FetchResponse({}, Errors.INVALID_FETCH_SESSION_EPOCH))
    parts, forgotten, sid, epoch = h.build({B: (6, 0, 0, 100), C: (0, -1, 0, 100)})
    assert set(parts) == {B, C} and (sid, epoch) == (9, 0), "after an error: a full fetch closing session 9"
    h.handle_error()
    assert h.build({B: (6, 0, 0, 100)})[3] == 0
    assert not h.handle_response(FetchResponse({}, Errors.FETCH_SESSION_ID_NOT_FOUND))
    assert h.build({B: (6, 0, 0, 100)})[2:] == (0, 0), "an unknown session: a new one from scratch"


def test_a_follower_has_one_session_per_leader():
    cache = FetchSessionCache()
    first = cache.context(FetchRequest(101, 500, 1, {A: FetchPartition(0)}, session_epoch=0))[1]
    again = cache.context(FetchRequest(101, 500, 1, {A: FetchPartition(0)}, session_epoch=0))[1]
    other = cache.context(FetchRequest(102, 500, 1, {A: FetchPartition(0)}, session_epoch=0))[1]
    assert set(cache.sessions) == {again.id, other.id} and first.id not in cache.sessions
