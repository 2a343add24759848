"""Broker crashes, fencing, elections, truncation and ISR upkeep."""

from __future__ import annotations

import random

import pytest

from playground.engine import Cluster, Errors, EventKind, KafkaError


def _topic(c: Cluster, min_isr: int = 2, partitions: int = 1) -> None:
    c.create_topic("orders", partitions, 3, {"min.insync.replicas": min_isr}, immediate=True)


def _leader(c: Cluster, p: int = 0) -> int:
    return c.view().partitions("orders")[p].leader


def test_dead_leader_is_fenced_after_the_session_timeout_and_replaced_from_the_isr():
    c = Cluster(seed=5)
    _topic(c)
    old = _leader(c)
    c.advance(100)
    c.kill_broker(old)
    c.advance(8000)
    assert _leader(c) == old, "the controller only notices after broker.session.timeout.ms"
    c.advance(3000)
    pv = c.view().partitions("orders")[0]
    assert pv.leader != old and pv.leader in pv.replicas
    assert pv.leader_epoch == 1 and old not in pv.isr
    kinds = [e.kind for e in c.events.history]
    assert EventKind.BROKER_FENCED in kinds and EventKind.LEADER_ELECTED in kinds


def test_restarted_broker_truncates_what_the_new_leader_never_had_and_rejoins_the_isr():
    c = Cluster(seed=1)
    _topic(c, min_isr=1)
    p = c.producer(acks="1")
    leader = _leader(c)
    followers = [b for b in c.brokers if b != leader]
    p.send("orders", b"kept")
    c.advance(50)
    for f in followers:
        c.network.cut(leader, f)
    p.send("orders", b"acked then lost")
    c.advance(50)
    c.kill_broker(leader)
    for f in followers:
        c.network.heal(leader, f)
    c.advance(12_000)
    c.restart_broker(leader)
    c.advance(30_000)
    view = c.view()
    pv = view.partitions("orders")[0]
    assert pv.log_end_offsets[leader] == 1 and leader in pv.isr
    assert [e for e in c.events.history if e.kind == EventKind.REPLICA_TRUNCATED]
    audit = view.audit()
    assert audit.acked == 2 and audit.acked_lost == 1


def test_a_follower_that_stops_fetching_leaves_the_isr_after_replica_lag_time_max_ms():
    c = Cluster(seed=2)
    _topic(c, min_isr=1)
    leader = _leader(c)
    slow = next(b for b in c.brokers if b != leader)
    c.network.cut(leader, slow)
    c.advance(29_000)
    assert slow in c.view().partitions("orders")[0].isr
    c.advance(20_000)
    assert slow not in c.view().partitions("orders")[0].isr
    c.network.heal(leader, slow)
    c.advance(15_000)      # its lost fetch times out (replica.socket.timeout.ms) and it fetches again
    assert slow in c.view().partitions("orders")[0].isr


def test_acks_all_is_refused_once_the_isr_is_below_min_insync_replicas():
    c = Cluster(seed=3)
    _topic(c, min_isr=2)
    leader = _leader(c)
    for b in [b for b in c.brokers if b != leader]:
        c.kill_broker(b)
    c.advance(15_000)
    assert c.view().partitions("orders")[0].isr == (leader,)
    p = c.producer(acks="all", delivery_timeout_ms=3000, request_timeout_ms=1000)
    p.send("orders", b"x")
    c.advance(5000)
    assert p.stats.errors.get("NOT_ENOUGH_REPLICAS", 0) >= 1 and p.stats.failed == 1
    assert c.view().partitions("orders")[0].log_end_offsets[leader] == 0


@pytest.mark.parametrize("elr", [1, 0])
def test_partition_goes_offline_when_no_isr_member_is_left_unless_unclean_election(elr):
    for unclean, expect_leader in ((False, False), (True, True)):
        c = Cluster(seed=4, config={"eligible.leader.replicas.version": elr})
        c.create_topic("orders", 1, 3, {"unclean.leader.election.enable": unclean}, immediate=True)
        leader = _leader(c)
        others = [b for b in c.brokers if b != leader]
        for b in others:
            c.network.cut(leader, b)
        c.advance(50_000)                     # followers drop out of the ISR
        assert c.view().partitions("orders")[0].isr == (leader,)
        for b in others:
            c.network.heal(leader, b)
        c.kill_broker(leader)
        c.advance(15_000)
        pv = c.view().partitions("orders")[0]
        assert (pv.leader >= 0) is expect_leader, f"unclean={unclean}: leader {pv.leader}"
        if not unclean and elr:
            # KIP-966: the ISR may empty; the last member is kept as ELR and as the last known leader.
            assert (pv.isr, pv.elr, pv.last_known_elr) == ((), (leader,), (leader,))
        elif not unclean:
            assert pv.isr == (leader,), "without ELR Kafka keeps the last ISR member of an offline partition"
        if not unclean:
            c.restart_broker(leader)
            c.advance(15_000)
            pv = c.view().partitions("orders")[0]
            assert pv.leader == leader and pv.isr[0] == leader, "the last leader leads again once it is back"


def test_bad_fault_commands_change_nothing():
    c = Cluster(seed=1)
    with pytest.raises(KafkaError) as err:
        c.kill_broker(107)
    assert err.value.error == Errors.BROKER_NOT_AVAILABLE and "101, 102, 103" in err.value.message
    c.kill_broker(101)
    with pytest.raises(KafkaError):
        c.kill_broker(101)
    with pytest.raises(KafkaError):
        c.restart_broker(102)
    assert [b.alive for b in c.view().brokers()] == [False, True, True]


@pytest.mark.parametrize("seed", range(30))
def test_random_crashes_lose_no_acknowledged_record_with_acks_all_and_min_insync_2(seed):
    """RF=3, min.insync.replicas=2, acks=all, one broker down at a time."""
    rng = random.Random(seed)
    c = Cluster(seed=seed)
    _topic(c, min_isr=2, partitions=3)
    p = c.producer(acks="all")
    t = 0
    down = None
    while t < 60_000:
        for i in range(3):
            p.send("orders", f"{t}-{i}".encode(), key=f"k{rng.randrange(10)}".encode())
        if down is None and rng.random() < 0.05:
            down = rng.choice(sorted(c.brokers))
            c.kill_broker(down)
        elif down is not None and rng.random() < 0.04:
            c.restart_broker(down)
            down = None
        step = rng.randrange(100, 600)
        c.advance(step)
        t += step
    if down is not None:
        c.restart_broker(down)
    c.advance(60_000)
    audit = c.view().audit()
    assert audit.acked > 0, f"seed {seed}: nothing was acknowledged"
    assert audit.acked_lost == 0, f"seed {seed}: lost {audit.lost[:3]}"


def test_an_isolated_leader_cannot_acknowledge_acks_all_writes():
    c = Cluster(seed=11)
    _topic(c, min_isr=2)
    zombie = _leader(c)
    c.advance(100)
    c.isolate_broker(zombie)
    p = c.producer(acks="all")
    acked = []
    p.send("orders", b"x", callback=lambda err, off: acked.append((c.now, err.name)))
    c.advance(8_000)
    assert acked == [], "the zombie's high watermark cannot move without its followers"
    c.advance(60_000)
    pv = c.view().partitions("orders")[0]
    assert pv.leader != zombie and pv.leader_epoch == 1
    c.heal(zombie)
    c.advance(60_000)
    assert c.view().audit().acked_lost == 0
    assert c.isolated_brokers() == []
