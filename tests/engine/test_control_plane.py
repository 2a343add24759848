"""The control plane: the KRaft quorum, ZooKeeper mode, ELR and admin elections."""

from __future__ import annotations

import pytest

from playground.engine import Cluster, KafkaError
from playground.engine.errors import Errors
from playground.engine.events import EventKind


def _roles(c: Cluster) -> dict[int, str]:
    return {v.node_id: v.role for v in c.view().controllers()}


@pytest.mark.parametrize("seed", range(6))
def test_kraft_controller_failover_elects_a_new_leader_and_keeps_serving(seed):
    c = Cluster(seed=seed)
    c.create_topic("orders", 3, 3, immediate=True)
    old_epoch = c.controller.raft.epoch
    killed = c.kill_controller()
    c.advance(1999)
    assert c.active_controller_id() is None, f"seed {seed}: voters wait controller.quorum.fetch.timeout.ms"
    c.advance(10_000)
    new = c.active_controller_id()
    assert new not in (None, killed), f"seed {seed}"
    assert c.controller.raft.epoch > old_epoch
    # The cluster keeps serving: topic creation works and brokers learn it.
    c.create_topic("after", 2, 3)
    c.advance(200)
    for broker in c.brokers.values():
        assert "after" in broker.image.topics, f"seed {seed}: broker {broker.broker_id} missed the new topic"
    p = c.producer(acks="all")
    p.send("after", b"v", key=b"k")
    c.advance(200)
    assert p.stats.acked == 1
    # The old leader comes back as a follower and converges on the same log.
    c.restart_broker(killed)
    c.advance(5000)
    assert _roles(c)[killed] == "follower"
    logs = {v: ctl.log[:ctl.committed] for v, ctl in c.controllers.items()}
    assert logs[killed] == logs[new]


def test_records_a_dead_controller_never_replicated_are_truncated_from_its_log():
    c = Cluster(seed=2)
    c.create_topic("lost-topic", 1, 3)          # appended, not yet committed
    killed = c.kill_controller()                # dies at the same instant
    c.advance(10_000)
    assert "lost-topic" not in c.controller.image.topics
    c.restart_broker(killed)
    c.advance(5000)
    old = c.controllers[killed]
    assert old.log == c.controller.log, "the restarted voter truncated its uncommitted tail"
    assert "lost-topic" not in old.image.topics


def test_a_lone_controller_dying_stops_metadata_changes_but_not_produce():
    c = Cluster(seed=1, controllers=1)
    c.create_topic("orders", 1, 3, immediate=True)
    c.kill_controller()
    with pytest.raises(KafkaError) as err:
        c.create_topic("more", 1, 1)
    assert err.value.error == Errors.NOT_CONTROLLER
    p = c.producer(acks="all")
    p.send("orders", b"still works")
    c.advance(500)
    assert p.stats.acked == 1


def test_an_isolated_active_controller_steps_down_and_the_others_elect():
    c = Cluster(seed=4)
    active = c.active_controller_id()
    c.isolate_broker(active)
    c.advance(8000)
    assert c.active_controller_id() not in (None, active)
    resigned = [e for e in c.events.of_kind(EventKind.CONTROLLER_RESIGNED) if e.data["controller"] == active]
    assert resigned, "check-quorum made the cut-off leader resign"
    c.heal(active)
    c.advance(5000)
    assert _roles(c)[active] == "follower"


def test_zookeeper_controller_failover_waits_for_the_session_to_expire():
    c = Cluster(seed=3, mode="zookeeper")
    c.create_topic("orders", 3, 3, immediate=True)
    assert c.view().controller_mode == "zookeeper" and c.active_controller_id() == 101
    assert {v.role for v in c.view().controllers()} == {"zookeeper"}
    led = [p.partition for p in c.view().partitions("orders") if p.leader == 101]
    assert led
    c.kill_controller()
    c.advance(17_000)
    assert c.active_controller_id() is None, "nothing happens before zookeeper.session.timeout.ms"
    assert all(c.view().partitions("orders")[i].leader == 101 for i in led)
    c.advance(2_000)
    new = c.active_controller_id()
    assert new in (102, 103)
    assert all(p.leader != 101 and 101 not in p.isr for p in c.view().partitions("orders"))
    c.create_topic("after", 2, 2)
    c.advance(100)
    assert all("after" in b.image.topics for b in c.brokers.values() if b.alive)
    c.restart_broker(101)
    c.advance(5000)
    assert all(101 in p.isr for p in c.view().partitions("orders"))
    assert c.active_controller_id() == new


def test_zookeeper_mode_has_no_elr():
    c = Cluster(seed=6, mode="zookeeper")
    c.create_topic("orders", 1, 3, {"min.insync.replicas": 2}, immediate=True)
    for b in (102, 103):
        c.kill_broker(b)
    c.advance(20_000)
    pv = c.view().partitions("orders")[0]
    assert pv.isr == (101,) and pv.elr == ()


def test_elr_keeps_a_fenced_replica_that_holds_every_committed_record():
    c = Cluster(seed=15, config={"replica.lag.time.max.ms": 4000})
    c.create_topic("orders", 1, 3, {"min.insync.replicas": 2}, immediate=True)
    c.isolate_broker(103)
    c.advance(12_000)
    c.isolate_broker(102)
    c.advance(12_000)
    pv = c.view().partitions("orders")[0]
    assert (pv.isr, pv.elr) == ((101,), (102,)), "ISR below min.insync.replicas: the leaver becomes ELR"
    c.kill_broker(101)
    c.advance(12_000)
    pv = c.view().partitions("orders")[0]
    assert pv.leader == -1 and pv.isr == () and set(pv.elr) == {101, 102} and pv.last_known_elr == (101,)
    c.heal(102)
    c.advance(5000)
    pv = c.view().partitions("orders")[0]
    assert pv.leader == 102 and pv.isr == (102,)
    elected = c.events.of_kind(EventKind.LEADER_ELECTED)[-1]
    assert elected.data["from_elr"] and not elected.data["unclean"]


def test_a_crashed_replica_leaves_the_elr_when_it_registers_again():
    c = Cluster(seed=15, config={"replica.lag.time.max.ms": 4000})
    c.create_topic("orders", 1, 3, {"min.insync.replicas": 2}, immediate=True)
    c.kill_broker(103)
    c.advance(12_000)
    c.kill_broker(102)
    c.advance(12_000)
    assert c.view().partitions("orders")[0].elr == (102,)
    c.restart_broker(102)
    c.advance(1000)
    pv = c.view().partitions("orders")[0]
    assert 102 not in pv.elr, "an unclean shutdown may have lost records (KAFKA-15586)"


def test_preferred_and_unclean_elections_on_request():
    c = Cluster(seed=0)
    c.create_topic("orders", 1, 3, immediate=True)
    with pytest.raises(KafkaError) as err:
        c.elect_leaders("orders", 0, "preferred")
    assert err.value.error == Errors.ELECTION_NOT_NEEDED
    c.kill_broker(101)
    c.advance(12_000)
    with pytest.raises(KafkaError) as err:
        c.elect_leaders("orders", 0, "preferred")
    assert err.value.error == Errors.PREFERRED_LEADER_NOT_AVAILABLE
    c.restart_broker(101)
    c.advance(5000)
    assert c.leader_of("orders", 0) != 101 and 101 in c.view().partitions("orders")[0].isr
    c.elect_leaders("orders", 0, "preferred")
    c.advance(100)
    assert c.leader_of("orders", 0) == 101
    with pytest.raises(KafkaError) as err:
        c.elect_leaders("orders", 0, "unclean")
    assert err.value.error == Errors.ELECTION_NOT_NEEDED
    with pytest.raises(KafkaError) as err:
        c.elect_leaders("nope", 0, "preferred")
    assert err.value.error == Errors.UNKNOWN_TOPIC_OR_PARTITION


def test_dropped_produce_responses_make_a_retry_write_a_duplicate_without_idempotence():
    c = Cluster(seed=0)
    c.create_topic("orders", 1, 3, immediate=True)
    c.drop_requests(101, "produce", 1)
    p = c.producer(acks="all", request_timeout_ms=1000, enable_idempotence=False)
    p.send("orders", b"once", key=b"k")
    c.advance(5000)
    audit = c.view().audit()
    assert p.stats.acked == 1 and audit.duplicates_in_log == 1
    with pytest.raises(KafkaError):
        c.drop_requests(999, "produce", 1)


@pytest.mark.parametrize("seed", range(30))
def test_zookeeper_mode_fault_schedules_lose_no_acknowledged_record(seed):
    from playground.faults import run_fault_schedule
    run = run_fault_schedule(seed, mode="zookeeper")
    assert run.violation is None, f"{run.violation}\n{run.describe()}"
    assert run.settled, f"did not settle: {run.unsettled}\n{run.describe()}"
    assert run.audit.acked_lost == 0, run.describe()
