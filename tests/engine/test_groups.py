"""Consumer groups: the coordinator, the classic protocol, timeouts, static members, failover."""

from __future__ import annotations

import pytest

from playground.engine import Cluster, Errors, EventKind, KafkaError, TopicPartition
from playground.engine.assignors import Subscription
from playground.engine.group_offsets import OFFSETS_TOPIC, java_string_hash, partition_for
from playground.engine.group_protocol import (DescribeGroupsRequest, FindCoordinatorRequest, HeartbeatRequest,
                                              JoinGroupProtocol, JoinGroupRequest, ListGroupsRequest,
                                              OffsetFetchRequest, SyncGroupRequest)
from playground.engine.invariants import InvariantChecker

def _cluster(partitions: int = 3, records: int = 0, seed: int = 1, **config) -> Cluster:
    c = Cluster(seed=seed, config=config or None)
    c.create_topic("orders", partitions, 3, immediate=True)
    if records:
        p = c.producer()
        for i in range(records):
            p.send("orders", f"v{i}".encode(), key=f"k{i}".encode())
        c.advance(100)
    return c


def _kinds(c: Cluster, kind: EventKind, since: int = 0):
    return [e for e in c.events.history[since:] if e.kind == kind]


def _members(c: Cluster, group: str = "g") -> dict[str, list[str]]:
    return {n: [str(tp) for tp in tps] for n, tps in c.view().group(group).members.items()}


# -- where a group lives -----------------------------------------------------------------
@pytest.mark.parametrize("group, hash_code, partition", [
    ("consumerGroup1", -983959256, 6),
    ("my-group", -1906497762, 12),            # Utils.abs, not `& 0x7fffffff` (which gives 36)
    ("polygenelubricants", -2147483648, 0),   # Integer.MIN_VALUE: Utils.abs gives 0
    ("g1", 3242, 42),
    ("grüße", 98768023, 23),
    ("😀g", 54959972, 22),                    # UTF-16 surrogate pairs, as Java hashes them
])
def test_coordinator_partition_is_kafkas_utils_abs_of_java_string_hashcode(group, hash_code, partition):
    # Values from the JDK's String.hashCode().
    assert java_string_hash(group) == hash_code
    assert partition_for(group, 50) == partition


def test_first_lookup_creates_the_offsets_topic_and_the_first_rebalance_waits_the_initial_delay():
    c = _cluster(records=30)
    c.consumer("c1", group_id="g", topics=["orders"], auto_offset_reset="earliest")
    c.consumer("c2", group_id="g", topics=["orders"], auto_offset_reset="earliest")
    c.advance(2000)
    parts = c.view().partitions(OFFSETS_TOPIC)
    assert len(parts) == 50 and all(len(p.replicas) == 3 for p in parts)
    assert c.view().topic_configs(OFFSETS_TOPIC)["cleanup.policy"] == "compact"
    assert c.view().group("g").state == "PreparingRebalance"     # group.initial.rebalance.delay.ms
    c.advance(8000)
    g = c.view().group("g")
    assert (g.state, g.generation, g.assignor, g.leader) == ("Stable", 1, "range", "c1")
    assert g.coordinator == c.view().partitions(OFFSETS_TOPIC)[partition_for("g", 50)].leader
    assert _members(c) == {"c1": ["orders/0", "orders/1"], "c2": ["orders/2"]}
    assert all(g.member_ids[n].startswith(n + "-") for n in ("c1", "c2"))
    assert len([e for e in _kinds(c, EventKind.REJOIN_REQUESTED) if "MEMBER_ID_REQUIRED" in e.text]) == 2
    views = c.view().consumers()
    assert views["c1"].processed + views["c2"].processed == 30


def test_offsets_topic_is_refused_while_fewer_brokers_than_its_replication_factor():
    c = Cluster(brokers=1, seed=2)
    c.create_topic("orders", 1, 1, immediate=True)
    cons = c.consumer("c1", group_id="g", topics=["orders"])
    c.advance(5000)
    assert OFFSETS_TOPIC not in c.view().topic_names()
    refused = [e for e in _kinds(c, EventKind.OFFSETS_TOPIC_REQUESTED) if e.data.get("refused")]
    assert refused and refused[0].data["error"] == "INVALID_REPLICATION_FACTOR"
    assert cons.group.coordinator is None and not cons.assignment
    ok = Cluster(brokers=1, seed=2, config={"offsets.topic.replication.factor": 1})
    ok.create_topic("orders", 1, 1, immediate=True)
    ok.consumer("c1", group_id="g", topics=["orders"])
    ok.advance(5000)
    assert ok.view().group("g").state == "Stable"


# -- the protocol, request by request ------------------------------------------------------
class RawClient:
    """Sends group requests by hand and keeps the last answer of each API."""

    def __init__(self, c: Cluster, name: str = "raw") -> None:
        self.c, self.name, self.answers = c, name, {}
        c.network.register(name, lambda env: None)

    def send(self, broker: int, api: str, body) -> None:
        self.c.network.request(self.name, broker, api, body, lambda resp: self.answers.__setitem__(api, resp))

    def ask(self, broker: int, api: str, body, wait: int = 10):
        self.answers.pop(api, None)
        self.send(broker, api, body)
        self.c.advance(wait)
        return self.answers.get(api)


def _join(member_id: str = "", group: str = "g", topics=("orders",)) -> JoinGroupRequest:
    sub = Subscription(topics=tuple(topics))
    return JoinGroupRequest(group, 10000, 20000, member_id, [JoinGroupProtocol("range", sub)], client_id="raw")


def test_join_sync_heartbeat_state_machine_answers_like_kafka():
    c = _cluster()
    raw = RawClient(c)
    assert raw.ask(101, "find_coordinator", FindCoordinatorRequest("g")).error == Errors.COORDINATOR_NOT_AVAILABLE
    c.advance(500)
    coord = raw.ask(101, "find_coordinator", FindCoordinatorRequest("g")).node_id
    first = raw.ask(coord, "join_group", _join())
    assert first.error == Errors.MEMBER_ID_REQUIRED and first.member_id.startswith("raw-")
    mid = first.member_id
    del raw.answers["join_group"]
    raw.send(coord, "join_group", _join(mid))
    c.advance(100)
    assert "join_group" not in raw.answers and c.view().group("g").state == "PreparingRebalance"
    wrong_gen = raw.ask(coord, "heartbeat", HeartbeatRequest("g", 7, mid))
    assert wrong_gen.error == Errors.ILLEGAL_GENERATION
    assert raw.ask(coord, "heartbeat", HeartbeatRequest("g", 0, "nobody")).error == Errors.UNKNOWN_MEMBER_ID
    assert raw.ask(coord, "heartbeat", HeartbeatRequest("g", 0, mid)).error == Errors.REBALANCE_IN_PROGRESS
    assert raw.ask(coord, "sync_group", SyncGroupRequest("g", 5, mid, {})).error == Errors.ILLEGAL_GENERATION
    assert raw.ask(coord, "sync_group", SyncGroupRequest("g", 0, mid, {})).error == Errors.REBALANCE_IN_PROGRESS
    c.advance(3000)                                           # group.initial.rebalance.delay.ms
    joined = raw.answers["join_group"]
    assert (joined.error, joined.generation_id, joined.leader, joined.protocol_name) == \
        (Errors.NONE, 1, mid, "range")
    assert [m.member_id for m in joined.members] == [mid]
    assert c.view().group("g").state == "CompletingRebalance"
    assert raw.ask(coord, "heartbeat", HeartbeatRequest("g", 1, mid)).error == Errors.NONE
    mine = (TopicPartition("orders", 0), TopicPartition("orders", 1), TopicPartition("orders", 2))
    synced = raw.ask(coord, "sync_group", SyncGroupRequest("g", 1, mid, {mid: mine}))
    assert synced.error == Errors.NONE and synced.assignment == mine
    assert c.view().group("g").state == "Stable"
    described = raw.ask(coord, "describe_groups", DescribeGroupsRequest(["g", "nope"])).groups
    assert [(d.group_state, d.protocol_data) for d in described] == [("Stable", "range"), ("Dead", "")]
    assert described[0].members[0].member_assignment == mine
    listed = raw.ask(coord, "list_groups", ListGroupsRequest()).groups
    assert [(g.group_id, g.group_state) for g in listed] == [("g", "Stable")]
    fetched = raw.ask(coord, "offset_fetch", OffsetFetchRequest("g", [mine[0]])).partitions[mine[0]]
    assert fetched.committed_offset == -1
    c.advance(10001)                                          # no heartbeats: session.timeout.ms
    g = c.view().group("g")
    assert (g.state, g.generation, g.members) == ("Empty", 2, {})
    assert [e.data["reason"] for e in _kinds(c, EventKind.MEMBER_REMOVED)] == ["session_timeout"]


# -- liveness: session.timeout.ms and max.poll.interval.ms ----------------------------------
def test_a_crashed_member_is_removed_only_when_its_session_times_out():
    c = _cluster(records=30)
    c.consumer("c1", group_id="g", topics=["orders"], auto_offset_reset="earliest")
    c.consumer("c2", group_id="g", topics=["orders"], auto_offset_reset="earliest", session_timeout_ms=10000)
    c.advance(8000)
    c.consumers["c2"].crash()
    crashed_at = c.now
    # The session runs from the last heartbeat, at most heartbeat.interval.ms before the crash.
    c.advance(10000 - 3000 - 1)
    assert set(_members(c)) == {"c1", "c2"} and c.view().group("g").generation == 1
    c.advance(3000 + 1)
    removed = _kinds(c, EventKind.MEMBER_REMOVED)
    assert [(e.data["member"], e.data["reason"]) for e in removed] == [("c2", "session_timeout")]
    assert crashed_at + 7000 <= removed[0].time <= crashed_at + 10000
    c.advance(4000)                                            # c1 hears of it from its next heartbeat
    assert _members(c) == {"c1": ["orders/0", "orders/1", "orders/2"]}
    assert c.view().group("g").generation == 2


def test_a_consumer_that_stops_polling_leaves_after_max_poll_interval_and_rejoins_when_it_polls_again():
    c = _cluster(records=30)
    c.consumer("c1", group_id="g", topics=["orders"], auto_offset_reset="earliest")
    c2 = c.consumer("c2", group_id="g", topics=["orders"], auto_offset_reset="earliest",
                    max_poll_interval_ms=20000)
    c.advance(8000)
    c2.pause()
    c.advance(19000)
    assert set(_members(c)) == {"c1", "c2"}
    assert not _kinds(c, EventKind.MEMBER_LEFT)
    c.advance(4000)                                            # next heartbeat after 20 s without poll()
    left = _kinds(c, EventKind.MEMBER_LEFT)
    assert left and left[0].data["reason"] == "max_poll_interval"
    c.advance(3500)                                            # c1 rejoins after its next heartbeat
    assert _members(c) == {"c1": ["orders/0", "orders/1", "orders/2"]}
    c2.resume()
    c.advance(4000)
    assert set(_members(c)) == {"c1", "c2"} and c.view().group("g").generation == 3
    assert any(e.data.get("consumer") == "c2" for e in _kinds(c, EventKind.PARTITIONS_LOST))


# -- static membership (KIP-345) ----------------------------------------------------------
def test_a_static_member_restarting_within_its_session_causes_no_rebalance():
    c = _cluster(records=30)
    for name in ("c1", "c2"):
        c.consumer(name, group_id="g", topics=["orders"], auto_offset_reset="earliest",
                   group_instance_id=f"{name}-host", session_timeout_ms=30000)
    c.advance(8000)
    before = _members(c)
    since = len(c.events.history)
    c.consumers["c2"].close()                                  # a static member sends no LeaveGroup
    c.advance(10000)
    assert _members(c) == before and c.view().group("g").generation == 1
    c.consumer("c2")                                           # the restart: same group.instance.id
    c.advance(5000)
    assert _members(c) == before and c.view().group("g").generation == 1
    assert not _kinds(c, EventKind.REBALANCE_STARTED, since)
    assert any(e.data.get("static") for e in _kinds(c, EventKind.MEMBER_JOINED, since))
    assert c.view().group("g").member_ids["c2"].startswith("c2-host-")
    c.consumers["c2"].crash()
    c.advance(36000)                                           # past session.timeout.ms: now it goes
    assert _members(c) == {"c1": ["orders/0", "orders/1", "orders/2"]}


# -- eager and cooperative rebalances --------------------------------------------------------
def test_eager_rebalance_revokes_everything_and_cooperative_only_what_moves_in_two_rounds():
    revoked = {}
    for assignor in ("range", "cooperative-sticky"):
        c = _cluster(partitions=4, records=40)
        c.consumer("c1", group_id="g", topics=["orders"], auto_offset_reset="earliest", assignor=assignor)
        c.advance(5000)
        assert len(_members(c)["c1"]) == 4
        since = len(c.events.history)
        c.consumer("c2", group_id="g", topics=["orders"], auto_offset_reset="earliest", assignor=assignor)
        c.advance(5000)
        members = _members(c)
        assert sorted(members["c1"] + members["c2"]) == [f"orders/{p}" for p in range(4)]
        assert len(members["c1"]) == len(members["c2"]) == 2
        revoked[assignor] = [(e.data["partitions"], e.data["protocol"]) for e in
                             _kinds(c, EventKind.PARTITIONS_REVOKED, since)]
        rebalances = _kinds(c, EventKind.REBALANCE_STARTED, since)
        if assignor == "range":
            assert revoked[assignor] == [([f"orders/{p}" for p in range(4)], "EAGER")]
            assert len(rebalances) == 1 and c.view().group("g").generation == 2
        else:
            # Round one takes two partitions away from c1 (it keeps the other two, consuming);
            # c1 rejoins at once and round two gives them to c2.
            assert len(revoked[assignor]) == 1 and len(revoked[assignor][0][0]) == 2
            assert revoked[assignor][0][1] == "COOPERATIVE"
            assert not set(revoked[assignor][0][0]) & set(members["c1"])
            assert len(rebalances) == 2 and c.view().group("g").generation == 3


# -- the coordinator moves -------------------------------------------------------------------
def _committed_within_logs(c: Cluster) -> None:
    """Invariant: a coordinator never holds a committed offset past its partition's log end."""
    for broker in c.brokers.values():
        if not broker.alive:
            continue
        for gid, offsets in broker.group_coordinator.offsets.items():
            for tp, om in offsets.items():
                leader = c.brokers.get(c.controller.image.partition(tp.topic, tp.partition).leader)
                log = leader.disk.get(tp) if leader is not None else None
                assert log is None or om.offset <= log.log_end_offset, (c.now, gid, tp, om.offset)


def test_when_the_coordinator_dies_the_new_leader_loads_the_group_and_its_offsets():
    c = _cluster(records=30)
    c.consumer("c1", group_id="g", topics=["orders"], auto_offset_reset="earliest")
    c.consumer("c2", group_id="g", topics=["orders"], auto_offset_reset="earliest")
    checker = InvariantChecker(c)                             # replication stays safe throughout
    c.clock.observe(lambda _timer: _committed_within_logs(c))
    c.advance(15000)
    before = c.view().group("g")
    assert before.committed == {TopicPartition("orders", p): n for p, n in ((0, 8), (1, 12), (2, 10))}
    c.kill_broker(before.coordinator)
    c.advance(20000)
    assert checker.steps_checked > 0 and not checker.violations
    after = c.view().group("g")
    assert after.coordinator not in (None, before.coordinator)
    assert after.committed == before.committed
    assert (after.state, after.generation, after.members) == ("Stable", 1, before.members)
    loaded = _kinds(c, EventKind.GROUPS_LOADED)
    assert loaded and loaded[-1].data["broker"] == after.coordinator and "g" in loaded[-1].data["groups"]
    assert {e.data["consumer"] for e in _kinds(c, EventKind.COORDINATOR_LOST)} == {"c1", "c2"}


# -- delivery semantics --------------------------------------------------------------------
def _crash_mid_batch(commit: str):
    c = _cluster(partitions=1, records=60)
    c.consumer("c1", group_id="g", topics=["orders"], auto_offset_reset="earliest", commit=commit,
               processing_time=100, max_poll_records=10, auto_commit_interval_ms=1000)
    c.advance(6000)
    assert 0 < c.consumers["c1"].processed < 60
    c.advance(45)                                              # somewhere inside a batch
    c.consumers["c1"].crash()
    c.consumer("c2", group_id="g", topics=["orders"], auto_offset_reset="earliest", commit=commit,
               processing_time=100, max_poll_records=10)
    c.advance(60000)
    return c


def test_auto_commit_and_a_crash_mid_batch_process_records_twice():
    c = _crash_mid_batch("auto")
    audit = c.view().audit()
    assert audit.consumed_duplicates > 0 and audit.skipped == 0
    assert c.view().group("g").committed[TopicPartition("orders", 0)] == 60


def test_commit_before_processing_and_a_crash_mid_batch_skip_records():
    c = _crash_mid_batch("before_processing")
    audit = c.view().audit()
    assert audit.skipped > 0 and audit.consumed_duplicates == 0


def test_commit_after_processing_and_a_graceful_handover_lose_and_repeat_nothing():
    c = _cluster(partitions=2, records=40)
    c.consumer("c1", group_id="g", topics=["orders"], auto_offset_reset="earliest", commit="after_processing",
               processing_time=50, max_poll_records=5)
    c.advance(5000)
    c.consumer("c2", group_id="g", topics=["orders"], auto_offset_reset="earliest", commit="after_processing",
               processing_time=50, max_poll_records=5)
    c.advance(4000)
    c.consumers["c1"].close()
    c.advance(20000)
    left = _kinds(c, EventKind.MEMBER_REMOVED)
    assert [(e.data["member"], e.data["reason"]) for e in left] == [("c1", "leave_group")]
    audit = c.view().audit()
    assert (audit.consumed_duplicates, audit.skipped) == (0, 0)
    views = c.view().consumers()
    assert views["c1"].processed + views["c2"].processed == 40


# -- offsets: reset, lag, auto.offset.reset=none ------------------------------------------------
def test_reset_offsets_is_refused_while_the_group_has_members_and_replays_once_it_is_empty():
    c = _cluster(records=30)
    c.consumer("c1", group_id="g", topics=["orders"], auto_offset_reset="earliest")
    c.advance(12000)
    with pytest.raises(KafkaError) as refused:
        c.reset_offsets("g", "orders", "earliest")
    assert refused.value.error == Errors.NON_EMPTY_GROUP
    assert refused.value.message == ("Assignments can only be reset if the group 'g' is inactive, but the current "
                                     "state is Stable.")
    c.consumers["c1"].close()
    c.advance(1000)
    assert c.view().group("g").state == "Empty"
    new = c.reset_offsets("g", "orders", {"shift_by": -3})
    assert new == {TopicPartition("orders", p): n for p, n in ((0, 5), (1, 9), (2, 7))}
    c.advance(100)
    assert c.view().group("g").committed == new
    assert c.view().group("g").lag == {tp: 3 for tp in new}
    c.consumer("c1")                                           # a restart reprocesses the last 3 of each
    c.advance(10000)
    assert c.view().audit().consumed_duplicates == 9


def test_auto_offset_reset_none_without_a_committed_offset_is_an_error():
    c = _cluster(partitions=1, records=5)
    cons = c.consumer("c1", group_id="g", topics=["orders"], auto_offset_reset="none")
    c.advance(8000)
    assert cons.error and "NoOffsetForPartitionException" in cons.error
    assert cons.processed == 0 and _kinds(c, EventKind.CONSUMER_ERROR)


# -- more members than partitions, several groups ----------------------------------------------
def test_members_beyond_the_partition_count_sit_idle():
    c = _cluster(partitions=2, records=20)
    for name in ("c1", "c2", "c3"):
        c.consumer(name, group_id="g", topics=["orders"], auto_offset_reset="earliest")
    c.advance(10000)
    assert _members(c) == {"c1": ["orders/0"], "c2": ["orders/1"], "c3": []}
    idle = [e for e in _kinds(c, EventKind.PARTITIONS_ASSIGNED) if e.data["consumer"] == "c3"]
    assert idle and "no partitions" in idle[-1].text
    assert c.view().consumers()["c3"].processed == 0


def test_two_groups_read_the_same_topic_independently():
    c = _cluster(records=30)
    c.consumer("a1", group_id="billing", topics=["orders"], auto_offset_reset="earliest")
    c.consumer("b1", group_id="shipping", topics=["orders"], auto_offset_reset="earliest")
    c.consumer("b2", group_id="shipping", topics=["orders"], auto_offset_reset="earliest")
    c.advance(15000)
    groups = c.view().groups()
    assert set(groups) == {"billing", "shipping"}
    views = c.view().consumers()
    assert views["a1"].processed == 30 and views["b1"].processed + views["b2"].processed == 30
    for g in groups.values():
        assert sum(g.committed.values()) == 30 and set(g.lag.values()) == {0}
    report = groups["shipping"].as_report()
    assert report["members"] == {"b1": ["orders/0", "orders/1"], "b2": ["orders/2"]}
    assert views["b1"].as_report() == {"group": "shipping", "polled": 20, "processed": 20}


def test_the_leader_rebalances_when_partitions_are_added_and_lag_follows_the_high_watermark():
    c = _cluster(partitions=2, records=20)
    c.consumer("c1", group_id="g", topics=["orders"], auto_offset_reset="earliest")
    c.consumer("c2", group_id="g", topics=["orders"], auto_offset_reset="earliest")
    c.advance(12000)
    assert set(c.view().group("g").lag.values()) == {0}
    c.consumers["c2"].pause()
    p = c.producer()
    for i in range(10):
        p.send("orders", b"late", partition=1)
    c.advance(200)
    assert c.view().group("g").lag[TopicPartition("orders", 1)] == 10
    c.consumers["c2"].resume()
    c.add_partitions("orders", 4)
    # The leader sees the new partitions on its next metadata refresh (metadata.max.age.ms).
    c.advance(310000)
    g = c.view().group("g")
    assert g.generation == 2 and sorted(tp for tps in g.members.values() for tp in tps) == \
        [TopicPartition("orders", p) for p in range(4)]
    assert any("cached metadata has changed" == e.data.get("reason") for e in _kinds(c, EventKind.REJOIN_REQUESTED))
    assert set(g.lag.values()) <= {0, None}


def test_a_group_run_replays_identically_with_the_same_seed():
    runs = [[(e.time, e.kind, e.text) for e in _crash_mid_batch("auto").events.history] for _ in range(2)]
    assert runs[0] == runs[1]
