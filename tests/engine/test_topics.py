"""Topic admin as Kafka's controller does it: names, errors, partitions, placement."""

import random

import pytest

from playground.engine import Cluster, Errors, EventKind, KafkaError, TopicPartition
from playground.engine.topics import (COLLISION_WARNING, MAX_NAME_LENGTH, assign_replicas_rack_unaware,
                                      validate_topic_name)


def _snapshot(cluster):
    view = cluster.view()
    return (view.topic_names(), {t: view.topic_id(t) for t in view.topic_names()},
            {t: view.topic_configs(t) for t in view.topic_names()},
            {t: [(p.partition, p.replicas) for p in view.partitions(t)] for t in view.topic_names()},
            len(cluster.events.history))


def _refused(cluster, error, *args, **kwargs):
    """create_topic must raise `error` and leave the cluster exactly as it was."""
    before = _snapshot(cluster)
    with pytest.raises(KafkaError) as info:
        cluster.create_topic(*args, **kwargs)
    assert info.value.error is error, f"expected {error.name}, got {info.value.error.name}: {info.value.message}"
    assert _snapshot(cluster) == before, "a refused create_topic changed the cluster"
    return info.value


# -- names ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["", ".", "..", "a" * (MAX_NAME_LENGTH + 1), "has space", "slash/topic",
                                  "bang!", "colon:topic", "caf\u00e9", "tab\tname"],
                         ids=["empty", "dot", "dotdot", "250chars", "space", "slash", "bang", "colon",
                              "non-ascii", "tab"])
def test_illegal_topic_names_are_invalid_topic_exception(name):
    c = Cluster(seed=0)
    c.create_topic("existing", 1, 1, immediate=True)
    exc = _refused(c, Errors.INVALID_TOPIC_EXCEPTION, name, 1, 1, immediate=True)
    assert exc.message


def test_name_messages_are_kafkas():
    def message(name):
        with pytest.raises(KafkaError) as info:
            validate_topic_name(name)
        return info.value.message
    assert message("") == "Topic name is illegal, it can't be empty"
    assert message("..") == 'Topic name cannot be "." or ".."'
    assert message("a" * 250).startswith("Topic name is illegal, it can't be longer than 249 characters")
    assert message("a b") == ('Topic name "a b" is illegal, it contains a character other than '
                              "ASCII alphanumerics, '.', '_' and '-'")


def test_trailing_newline_is_an_illegal_character():
    c = Cluster(seed=0)
    _refused(c, Errors.INVALID_TOPIC_EXCEPTION, "orders\n", 1, 1, immediate=True)


def test_longest_legal_name_and_every_legal_character():
    c = Cluster(seed=0)
    c.create_topic("a" * MAX_NAME_LENGTH, 1, 1, immediate=True)
    c.create_topic("Az09._-", 1, 1, immediate=True)
    assert set(c.view().topic_names()) == {"a" * MAX_NAME_LENGTH, "Az09._-"}


def test_names_are_case_sensitive():
    c = Cluster(seed=0)
    c.create_topic("Orders", 1, 1, immediate=True)
    c.create_topic("orders", 1, 1, immediate=True)
    view = c.view()
    assert view.topic_names() == ["Orders", "orders"]
    assert view.topic_id("Orders") != view.topic_id("orders")


def test_existing_topic_is_topic_already_exists():
    c = Cluster(seed=0)
    c.create_topic("orders", 3, 3, immediate=True)
    exc = _refused(c, Errors.TOPIC_ALREADY_EXISTS, "orders", 1, 1, immediate=True)
    assert exc.message == "Topic 'orders' already exists."


def test_existing_name_with_dot_is_topic_already_exists_not_a_collision():
    c = Cluster(seed=0)
    c.create_topic("a.b", 1, 1, immediate=True)
    _refused(c, Errors.TOPIC_ALREADY_EXISTS, "a.b", 1, 1, immediate=True)


def test_dot_and_underscore_collision_is_refused_and_warned():
    c = Cluster(seed=0)
    c.create_topic("a.b", 1, 1, immediate=True)
    warnings = c.events.of_kind(EventKind.TOPIC_NAME_WARNING)
    assert [(w.data["topic"], w.text) for w in warnings] == [("a.b", COLLISION_WARNING)]
    assert "period ('.')" in COLLISION_WARNING and "underscore ('_')" in COLLISION_WARNING
    exc = _refused(c, Errors.INVALID_TOPIC_EXCEPTION, "a_b", 1, 1, immediate=True)
    assert exc.message == "Topic 'a_b' collides with existing topic: a.b"
    assert len(c.events.of_kind(EventKind.TOPIC_NAME_WARNING)) == 1


def test_underscore_first_then_dot_also_collides():
    c = Cluster(seed=0)
    c.create_topic("x_y_z", 1, 1, immediate=True)
    _refused(c, Errors.INVALID_TOPIC_EXCEPTION, "x.y_z", 1, 1, immediate=True)


def test_no_warning_without_dot_or_underscore():
    c = Cluster(seed=0)
    c.create_topic("orders-eu", 1, 1, immediate=True)
    c.create_topic("under_score", 1, 1, immediate=True)
    assert [w.data["topic"] for w in c.events.of_kind(EventKind.TOPIC_NAME_WARNING)] == ["under_score"]


# -- partitions, replication factor, configs -------------------------------------------
@pytest.mark.parametrize("partitions", [0, -2])
def test_non_positive_partitions_is_invalid_partitions(partitions):
    c = Cluster(seed=0)
    exc = _refused(c, Errors.INVALID_PARTITIONS, "t", partitions, 1, immediate=True)
    assert exc.message == "Number of partitions was set to an invalid non-positive value."


@pytest.mark.parametrize("rf", [0, -2, 4])
def test_bad_replication_factor_is_invalid_replication_factor(rf):
    c = Cluster(brokers=3, seed=0)
    _refused(c, Errors.INVALID_REPLICATION_FACTOR, "t", 1, rf, immediate=True)


def test_minus_one_means_the_broker_defaults():
    c = Cluster(brokers=3, seed=0, config={"num.partitions": 4, "default.replication.factor": 2})
    r = c.create_topic("t", -1, -1, immediate=True)
    assert (r.num_partitions, r.replication_factor) == (4, 2)
    assert [len(p.replicas) for p in c.view().partitions("t")] == [2, 2, 2, 2]


def test_unknown_config_is_invalid_config():
    c = Cluster(seed=0)
    exc = _refused(c, Errors.INVALID_CONFIG, "t", 1, 1, {"retention.days": 7}, immediate=True)
    assert "retention.days" in exc.message


@pytest.mark.parametrize("config", [
    {"min.insync.replicas": "two"},
    {"min.insync.replicas": 0},
    {"retention.ms": -2},
    {"segment.bytes": 13},
    {"cleanup.policy": "sometimes"},
    {"message.timestamp.type": "WallClockTime"},
    {"unclean.leader.election.enable": "maybe"},
    {"compression.type": "brotli"},
    {"min.cleanable.dirty.ratio": "half"},
], ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_bad_config_value_is_invalid_config(config):
    c = Cluster(seed=0)
    _refused(c, Errors.INVALID_CONFIG, "t", 1, 1, config, immediate=True)


@pytest.mark.parametrize("ratio", [1.5, -0.1])
def test_min_cleanable_dirty_ratio_outside_zero_one_is_invalid_config(ratio):
    c = Cluster(seed=0)
    _refused(c, Errors.INVALID_CONFIG, "t", 1, 1, {"min.cleanable.dirty.ratio": ratio}, immediate=True)


def test_good_configs_are_stored_parsed():
    c = Cluster(seed=0)
    c.create_topic("t", 1, 1, {"min.insync.replicas": "2", "cleanup.policy": "delete,compact",
                               "unclean.leader.election.enable": "TRUE"}, immediate=True)
    assert c.view().topic_configs("t") == {"min.insync.replicas": 2, "cleanup.policy": "compact,delete",
                                           "unclean.leader.election.enable": True}


def test_refused_create_does_not_shift_later_random_choices():
    """A refusal changes nothing, not even the controller's random stream."""
    a, b = Cluster(brokers=5, seed=3), Cluster(brokers=5, seed=3)
    for name, parts, rf, cfg in [("", 1, 1, None), ("x", 0, 1, None), ("x", 1, 9, None),
                                 ("x", 1, 1, {"nope": 1}), ("x", 1, 1, {"min.insync.replicas": 0})]:
        with pytest.raises(KafkaError):
            a.create_topic(name, parts, rf, cfg, immediate=True)
    a.create_topic("x", 7, 3, immediate=True)
    b.create_topic("x", 7, 3, immediate=True)
    va, vb = a.view(), b.view()
    assert va.topic_id("x") == vb.topic_id("x")
    assert [p.replicas for p in va.partitions("x")] == [p.replicas for p in vb.partitions("x")]


# -- add partitions --------------------------------------------------------------------
def test_add_partitions_grows_and_new_partitions_work():
    c = Cluster(brokers=3, seed=0)
    c.create_topic("t", 3, 2, immediate=True)
    old = [p.replicas for p in c.view().partitions("t")]
    r = c.add_partitions("t", 5)
    assert r.num_partitions == 5
    parts = c.view().partitions("t")
    assert [p.partition for p in parts] == [0, 1, 2, 3, 4]
    assert [p.replicas for p in parts[:3]] == old
    assert all(len(p.replicas) == 2 and len(set(p.replicas)) == 2 for p in parts)
    added = c.events.of_kind(EventKind.PARTITIONS_ADDED)
    assert [e.data["partition"] for e in added] == [3, 4]
    # Brokers learn the new partitions by fetching metadata; then records can go there.
    c.advance(100)
    p = c.producer("p", acks="all")
    done = []
    p.send("t", b"to-4", partition=4, callback=lambda err, off: done.append((err, off)))
    c.advance(200)
    assert done == [(Errors.NONE, 0)]
    assert c.view().partitions("t")[4].high_watermark == 1


@pytest.mark.parametrize("count,message", [(2, "The topic t currently has 3 partition(s); 2 would not be an increase."),
                                           (3, "Topic already has 3 partition(s).")])
def test_add_partitions_refuses_to_shrink_or_keep(count, message):
    c = Cluster(seed=0)
    c.create_topic("t", 3, 1, immediate=True)
    before = _snapshot(c)
    with pytest.raises(KafkaError) as info:
        c.add_partitions("t", count)
    assert info.value.error is Errors.INVALID_PARTITIONS
    assert info.value.message == message
    assert _snapshot(c) == before


def test_add_partitions_to_unknown_topic():
    c = Cluster(seed=0)
    with pytest.raises(KafkaError) as info:
        c.add_partitions("nope", 3)
    assert info.value.error is Errors.UNKNOWN_TOPIC_OR_PARTITION


def test_add_partitions_continues_kafkas_placement_walk():
    # AdminZkClient.addPartitions: start index = partition 0's first replica, start id = current count.
    c = Cluster(brokers=5, seed=0)
    c.create_topic("t", 2, 3, immediate=True)
    parts = c.view().partitions("t")
    ids = sorted(c.brokers)
    start = ids.index(parts[0].replicas[0])
    c.add_partitions("t", 10)
    expected = assign_replicas_rack_unaware(8, 3, ids, random.Random(0), fixed_start_index=start,
                                            start_partition_id=2)
    assert [list(p.replicas) for p in c.view().partitions("t")[2:]] == expected


# -- delete ----------------------------------------------------------------------------
def test_delete_then_recreate_starts_empty_with_a_new_id():
    c = Cluster(brokers=3, seed=0)
    c.create_topic("t", 2, 3, immediate=True)
    old_id = c.view().topic_id("t")
    p = c.producer("p", acks="all")
    for i in range(10):
        p.send("t", b"old-%d" % i, key=b"%d" % i)
    c.advance(500)
    assert sum(pv.high_watermark for pv in c.view().partitions("t")) == 10
    c.delete_topic("t")
    assert c.view().topic_names() == []
    assert [e.data["topic"] for e in c.events.of_kind(EventKind.TOPIC_DELETED)] == ["t"]
    c.advance(100)
    for bid in c.brokers:
        for part in range(2):
            assert c.view().replica_log(bid, "t", part) is None, f"broker {bid} kept t/{part}"
    c.create_topic("t", 2, 3, immediate=True)
    assert c.view().topic_id("t") != old_id
    c.advance(1000)
    for pv in c.view().partitions("t"):
        assert pv.high_watermark == 0
        assert set(pv.log_end_offsets.values()) == {0}, f"t/{pv.partition}: {pv.log_end_offsets}"


@pytest.mark.parametrize("seed", range(5))
def test_delete_and_recreate_while_replicating_never_mixes_old_records_in(seed):
    c = Cluster(brokers=3, seed=seed)
    c.create_topic("t", 1, 3, immediate=True)
    p = c.producer("p", acks="1", linger_ms=0)
    for i in range(20):
        p.send("t", b"old-%d" % i)
        c.advance(1)
    c.delete_topic("t")
    c.create_topic("t", 1, 3)
    c.advance(3000)
    view = c.view()
    for bid in c.brokers:
        log = view.replica_log(bid, "t", 0)
        assert log is not None, f"seed {seed}: broker {bid} has no replica of the new t/0"
        values = [rec.value for _, rec, _ in log.records()]
        assert values == [], f"seed {seed}: broker {bid}'s new t/0 holds old records {values[:3]}..."


def test_delete_unknown_topic():
    c = Cluster(seed=0)
    with pytest.raises(KafkaError) as info:
        c.delete_topic("nope")
    assert info.value.error is Errors.UNKNOWN_TOPIC_OR_PARTITION


# -- replica placement --------------------------------------------------------------------
def test_rack_unaware_assignment_matches_kafkas_example():
    # AdminUtils doc comment / AdminZkClientTest.testReplicaAssignment: 5 brokers, 10 partitions,
    # RF 3, fixed start index 0.
    expected = [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 0], [4, 0, 1],
                [0, 2, 3], [1, 3, 4], [2, 4, 0], [3, 0, 1], [4, 1, 2]]
    got = assign_replicas_rack_unaware(10, 3, [0, 1, 2, 3, 4], random.Random(0), fixed_start_index=0)
    assert got == expected


def test_rack_unaware_assignment_uses_sorted_broker_ids():
    got = assign_replicas_rack_unaware(5, 3, [104, 101, 103, 105, 102], random.Random(0), fixed_start_index=0)
    assert got == [[101, 102, 103], [102, 103, 104], [103, 104, 105], [104, 105, 101], [105, 101, 102]]


@pytest.mark.parametrize("seed", range(20))
def test_leaders_of_three_partitions_on_three_brokers_all_differ(seed):
    c = Cluster(brokers=3, seed=seed)
    c.create_topic("t", 3, 3, immediate=True)
    parts = c.view().partitions("t")
    leaders = [p.leader for p in parts]
    assert sorted(leaders) == sorted(c.brokers), f"seed {seed}: leaders {leaders}"
    for p in parts:
        assert p.leader == p.replicas[0], f"seed {seed}: {p.tp} leader is not the preferred replica"
        assert len(set(p.replicas)) == 3 and p.isr == p.replicas, f"seed {seed}: {p}"


@pytest.mark.parametrize("seed", range(10))
def test_every_placement_has_distinct_replicas_and_spreads_leaders(seed):
    rng = random.Random(seed)
    brokers = list(range(1, 8))
    out = assign_replicas_rack_unaware(21, 3, brokers, rng)
    for p, replicas in enumerate(out):
        assert len(set(replicas)) == 3, f"seed {seed}: partition {p} has {replicas}"
    firsts = [r[0] for r in out]
    assert all(firsts.count(b) == 3 for b in brokers), f"seed {seed}: leaders {firsts}"


def test_created_topic_is_known_to_brokers_and_clients():
    c = Cluster(brokers=3, seed=0)
    c.create_topic("t", 3, 3)          # not immediate: brokers learn it by fetching metadata
    c.advance(50)
    for pv in c.view().partitions("t"):
        for bid in pv.replicas:
            assert c.view().replica_log(bid, "t", pv.partition) is not None
    cons = c.consumer("c", auto_offset_reset="earliest")
    cons.assign([TopicPartition("t", 0)])
    c.advance(50)
    assert cons.position(TopicPartition("t", 0)) == 0
