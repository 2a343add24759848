"""Kafka's consumer assignors, checked against Kafka's own test vectors.

Each case names the Kafka test it is ported from, under
clients/src/test/java/org/apache/kafka/clients/consumer/: RangeAssignorTest,
RoundRobinAssignorTest, StickyAssignorTest, CooperativeStickyAssignorTest and
internals/AbstractStickyAssignorTest (3.5+, the non-rack-aware expectations).
Assignments are written as Kafka's tests write them: "topic-0, topic-1".
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from playground.engine.assignors import (ASSIGNORS, Subscription, assign, protocol_name,
                                         rebalance_protocol)
from playground.engine.errors import Errors, KafkaError
from playground.engine.protocol import TopicPartition


def tps(text: str) -> tuple[TopicPartition, ...]:
    """ "t1-0, t2-3" -> partitions, as AbstractPartitionAssignorTest.ownedPartitions parses them."""
    out = []
    for item in filter(None, text.split(", ")):
        topic, _, partition = item.rpartition("-")
        out.append(TopicPartition(topic, int(partition)))
    return tuple(out)


def sub(*topics: str, owned: str = "", generation: int = -1, instance: str | None = None) -> Subscription:
    return Subscription(tuple(topics), tps(owned), generation, instance)


def run(name: str, counts: dict[str, int], subs: dict[str, Subscription]) -> dict[str, str]:
    return {m: ", ".join(f"{tp.topic}-{tp.partition}" for tp in tps_) for m, tps_ in
            assign(name, counts, subs).items()}


def rejoin(subs: dict[str, Subscription], result: dict[str, str], generation: int = 1) -> dict[str, Subscription]:
    """Every member rejoins owning what it was given (buildSubscriptionV2Above)."""
    return {m: Subscription(s.topics, tps(result[m]), generation, s.group_instance_id) for m, s in subs.items()}


def verify_validity_and_balance(subs: dict[str, Subscription], result: dict[str, list[TopicPartition]]) -> None:
    """AbstractStickyAssignorTest.verifyValidityAndBalance."""
    assert set(result) == set(subs)
    members = sorted(result)
    for i, m in enumerate(members):
        assert all(tp.topic in subs[m].topics for tp in result[m]), (m, result)
        for other in members[i + 1:]:
            assert not set(result[m]) & set(result[other]), (m, other, result)
            if abs(len(result[m]) - len(result[other])) > 1:
                # Overlapping topics would have let the assignor move one over.
                assert not {tp.topic for tp in result[m]} & {tp.topic for tp in result[other]}, result


def fully_balanced(result) -> bool:
    sizes = [len(v) for v in result.values()]
    return max(sizes) - min(sizes) <= 1


# -- API -----------------------------------------------------------------------
def test_protocol_names_accept_kafka_class_names():
    assert ASSIGNORS == ("range", "roundrobin", "sticky", "cooperative-sticky")
    assert protocol_name("org.apache.kafka.clients.consumer.RangeAssignor") == "range"
    assert protocol_name("RoundRobinAssignor") == "roundrobin"
    assert protocol_name("org.apache.kafka.clients.consumer.StickyAssignor") == "sticky"
    assert protocol_name(" CooperativeStickyAssignor ") == "cooperative-sticky"
    assert [protocol_name(n) for n in ASSIGNORS] == list(ASSIGNORS)
    assert [rebalance_protocol(n) for n in ASSIGNORS] == ["EAGER", "EAGER", "EAGER", "COOPERATIVE"]
    for bad in ("fair", "com.example.RangeAssignor", ""):
        with pytest.raises(KafkaError) as err:
            protocol_name(bad)
        assert err.value.error == Errors.INVALID_CONFIG
    with pytest.raises(KafkaError):
        assign("uniform", {"t": 1}, {"c": sub("t")})


@pytest.mark.parametrize("name", ASSIGNORS)
def test_every_member_appears_sorted(name):
    result = assign(name, {"b": 2, "a": 2, "unsubscribed": 5},
                    {"m2": sub("b", "a"), "m1": sub("a", "b"), "idle": sub("missing")})
    assert list(result) == ["idle", "m1", "m2"] and result["idle"] == []
    for tps_ in result.values():
        assert tps_ == sorted(tps_)
    assert sorted(tp for v in result.values() for tp in v) == sorted(tps("a-0, a-1, b-0, b-1"))
    assert assign(name, {"t": 3}, {}) == {}


# -- Range (RangeAssignorTest) -------------------------------------------------------
T12 = ("topic1", "topic2")
RANGE = [
    ("testOneConsumerNoTopic", {}, {"consumer1": sub()}, {"consumer1": ""}),
    ("testOneConsumerNonexistentTopic", {}, {"consumer1": sub("topic1")}, {"consumer1": ""}),
    ("testOneConsumerOneTopic", {"topic1": 3}, {"consumer1": sub("topic1")},
     {"consumer1": "topic1-0, topic1-1, topic1-2"}),
    ("testOnlyAssignsPartitionsFromSubscribedTopics", {"topic1": 3, "other": 3}, {"consumer1": sub("topic1")},
     {"consumer1": "topic1-0, topic1-1, topic1-2"}),
    ("testOneConsumerMultipleTopics", {"topic1": 1, "topic2": 2}, {"consumer1": sub(*T12)},
     {"consumer1": "topic1-0, topic2-0, topic2-1"}),
    ("testTwoConsumersOneTopicOnePartition", {"topic1": 1},
     {"consumer1": sub("topic1"), "consumer2": sub("topic1")}, {"consumer1": "topic1-0", "consumer2": ""}),
    ("testTwoConsumersOneTopicTwoPartitions", {"topic1": 2},
     {"consumer1": sub("topic1"), "consumer2": sub("topic1")}, {"consumer1": "topic1-0", "consumer2": "topic1-1"}),
    ("testMultipleConsumersMixedTopics", {"topic1": 3, "topic2": 2},
     {"consumer1": sub("topic1"), "consumer2": sub(*T12), "consumer3": sub("topic1")},
     {"consumer1": "topic1-0", "consumer2": "topic1-1, topic2-0, topic2-1", "consumer3": "topic1-2"}),
    ("testTwoConsumersTwoTopicsSixPartitions", {"topic1": 3, "topic2": 3},
     {"consumer1": sub(*T12), "consumer2": sub(*T12)},
     {"consumer1": "topic1-0, topic1-1, topic2-0, topic2-1", "consumer2": "topic1-2, topic2-2"}),
    # Static members sort by group.instance.id, not by member id.
    ("testTwoStaticConsumersTwoTopicsSixPartitions", {"topic1": 3, "topic2": 3},
     {"consumer-b": sub(*T12, instance="instance1"), "consumer-a": sub(*T12, instance="instance2")},
     {"consumer-a": "topic1-2, topic2-2", "consumer-b": "topic1-0, topic1-1, topic2-0, topic2-1"}),
    # A static member sorts before every dynamic one.
    ("testOneStaticConsumerAndOneDynamicConsumerTwoTopicsSixPartitions", {"topic1": 3, "topic2": 3},
     {"consumer-b": sub(*T12, instance="instance1"), "consumer-a": sub(*T12)},
     {"consumer-a": "topic1-2, topic2-2", "consumer-b": "topic1-0, topic1-1, topic2-0, topic2-1"}),
    ("testStaticMemberRangeAssignmentPersistent", {"topic1": 5, "topic2": 4},
     {"consumer1": sub(*T12, instance="instance1"), "consumer2": sub(*T12, instance="instance2"),
      "consumer3": sub(*T12, instance="instance3"), "consumer4": sub(*T12)},
     {"consumer1": "topic1-0, topic1-1, topic2-0", "consumer2": "topic1-2, topic2-1",
      "consumer3": "topic1-3, topic2-2", "consumer4": "topic1-4, topic2-3"}),
    ("testStaticMemberRangeAssignmentPersistent (consumer5 replaces consumer4)", {"topic1": 5, "topic2": 4},
     {"consumer1": sub(*T12, instance="instance1"), "consumer2": sub(*T12, instance="instance2"),
      "consumer3": sub(*T12, instance="instance3"), "consumer5": sub(*T12)},
     {"consumer1": "topic1-0, topic1-1, topic2-0", "consumer2": "topic1-2, topic2-1",
      "consumer3": "topic1-3, topic2-2", "consumer5": "topic1-4, topic2-3"}),
    ("testRackAwareAssignmentWithUniformSubscription", {"t1": 6, "t2": 7, "t3": 2},
     {"consumer0": sub("t1", "t2", "t3"), "consumer1": sub("t1", "t2", "t3"), "consumer2": sub("t1", "t2", "t3")},
     {"consumer0": "t1-0, t1-1, t2-0, t2-1, t2-2, t3-0", "consumer1": "t1-2, t1-3, t2-3, t2-4, t3-1",
      "consumer2": "t1-4, t1-5, t2-5, t2-6"}),
    ("testRackAwareAssignmentWithNonEqualSubscription", {"t1": 6, "t2": 7, "t3": 2},
     {"consumer0": sub("t1", "t2", "t3"), "consumer1": sub("t1", "t2", "t3"), "consumer2": sub("t1", "t3")},
     {"consumer0": "t1-0, t1-1, t2-0, t2-1, t2-2, t2-3, t3-0", "consumer1": "t1-2, t1-3, t2-4, t2-5, t2-6, t3-1",
      "consumer2": "t1-4, t1-5"}),
    ("testCoPartitionedAssignmentWithSameSubscription", {"t1": 6, "t2": 6, "t3": 2, "t4": 2, "t5": 4, "t6": 4},
     {f"consumer{i}": sub(*(f"t{j}" for j in range(1, 10))) for i in range(3)},
     {"consumer0": "t1-0, t1-1, t2-0, t2-1, t3-0, t4-0, t5-0, t5-1, t6-0, t6-1",
      "consumer1": "t1-2, t1-3, t2-2, t2-3, t3-1, t4-1, t5-2, t6-2",
      "consumer2": "t1-4, t1-5, t2-4, t2-5, t5-3, t6-3"}),
    ("RangeAssignor javadoc example", {"t0": 3, "t1": 3}, {"C0": sub("t0", "t1"), "C1": sub("t0", "t1")},
     {"C0": "t0-0, t0-1, t1-0, t1-1", "C1": "t0-2, t1-2"}),
]


@pytest.mark.parametrize("kafka_test, counts, subs, expected", RANGE, ids=[c[0] for c in RANGE])
def test_range(kafka_test, counts, subs, expected):
    assert run("range", counts, subs) == expected


def test_range_static_members_keep_partitions_when_member_ids_change():
    """RangeAssignorTest.testStaticMemberRangeAssignmentPersistentAfterMemberIdChanges."""
    counts = {"topic1": 5, "topic2": 5}
    before = {"consumer1": sub(*T12, instance="instance1"), "consumer2": sub(*T12, instance="instance2"),
              "consumer3": sub(*T12, instance="instance3")}
    after = {"consumer1": before["consumer1"], "consumer4": before["consumer3"], "consumer5": before["consumer2"]}
    expected = {"instance1": "topic1-0, topic1-1, topic2-0, topic2-1",
                "instance2": "topic1-2, topic1-3, topic2-2, topic2-3", "instance3": "topic1-4, topic2-4"}
    for subs in (before, after):
        assert {subs[m].group_instance_id: v for m, v in run("range", counts, subs).items()} == expected


# -- Round robin (RoundRobinAssignorTest) --------------------------------------------
ROUNDROBIN = [
    ("testOneConsumerNoTopic", {}, {"consumer": sub()}, {"consumer": ""}),
    ("testOneConsumerNonexistentTopic", {}, {"consumer": sub("topic")}, {"consumer": ""}),
    ("testOneConsumerOneTopic", {"topic": 3}, {"consumer": sub("topic")}, {"consumer": "topic-0, topic-1, topic-2"}),
    ("testOnlyAssignsPartitionsFromSubscribedTopics", {"topic": 3, "other": 3}, {"consumer": sub("topic")},
     {"consumer": "topic-0, topic-1, topic-2"}),
    ("testOneConsumerMultipleTopics", {"topic1": 1, "topic2": 2}, {"consumer": sub(*T12)},
     {"consumer": "topic1-0, topic2-0, topic2-1"}),
    ("testTwoConsumersOneTopicOnePartition", {"topic": 1},
     {"consumer1": sub("topic"), "consumer2": sub("topic")}, {"consumer1": "topic-0", "consumer2": ""}),
    ("testTwoConsumersOneTopicTwoPartitions", {"topic": 2},
     {"consumer1": sub("topic"), "consumer2": sub("topic")}, {"consumer1": "topic-0", "consumer2": "topic-1"}),
    ("testMultipleConsumersMixedTopics", {"topic1": 3, "topic2": 2},
     {"consumer1": sub("topic1"), "consumer2": sub(*T12), "consumer3": sub("topic1")},
     {"consumer1": "topic1-0", "consumer2": "topic1-1, topic2-0, topic2-1", "consumer3": "topic1-2"}),
    ("testTwoDynamicConsumersTwoTopicsSixPartitions", {"topic1": 3, "topic2": 3},
     {"consumer1": sub(*T12), "consumer2": sub(*T12)},
     {"consumer1": "topic1-0, topic1-2, topic2-1", "consumer2": "topic1-1, topic2-0, topic2-2"}),
    ("testTwoStaticConsumersTwoTopicsSixPartitions", {"topic1": 3, "topic2": 3},
     {"consumer-b": sub(*T12, instance="instance1"), "consumer-a": sub(*T12, instance="instance2")},
     {"consumer-a": "topic1-1, topic2-0, topic2-2", "consumer-b": "topic1-0, topic1-2, topic2-1"}),
    ("testOneStaticConsumerAndOneDynamicConsumerTwoTopicsSixPartitions", {"topic1": 3, "topic2": 3},
     {"consumer-b": sub(*T12, instance="instance1"), "consumer-a": sub(*T12)},
     {"consumer-a": "topic1-1, topic2-0, topic2-2", "consumer-b": "topic1-0, topic1-2, topic2-1"}),
    ("testStaticMemberAssignmentPersistent", {"topic1": 3, "topic2": 3},
     {"consumer1": sub(*T12, instance="instance1"), "consumer2": sub(*T12, instance="instance2"),
      "consumer3": sub(*T12, instance="instance3"), "consumer4": sub(*T12)},
     {"consumer1": "topic1-0, topic2-1", "consumer2": "topic1-1, topic2-2", "consumer3": "topic1-2",
      "consumer4": "topic2-0"}),
    ("testStaticMemberAssignmentPersistent (consumer5 replaces consumer4)", {"topic1": 3, "topic2": 3},
     {"consumer1": sub(*T12, instance="instance1"), "consumer2": sub(*T12, instance="instance2"),
      "consumer3": sub(*T12, instance="instance3"), "consumer5": sub(*T12)},
     {"consumer1": "topic1-0, topic2-1", "consumer2": "topic1-1, topic2-2", "consumer3": "topic1-2",
      "consumer5": "topic2-0"}),
    # Differing subscriptions: the walk skips members not subscribed, so C2 ends up with four.
    ("RoundRobinAssignor javadoc example", {"t0": 1, "t1": 2, "t2": 3},
     {"C0": sub("t0"), "C1": sub("t0", "t1"), "C2": sub("t0", "t1", "t2")},
     {"C0": "t0-0", "C1": "t1-0", "C2": "t1-1, t2-0, t2-1, t2-2"}),
]


@pytest.mark.parametrize("kafka_test, counts, subs, expected", ROUNDROBIN, ids=[c[0] for c in ROUNDROBIN])
def test_roundrobin(kafka_test, counts, subs, expected):
    assert run("roundrobin", counts, subs) == expected


def test_roundrobin_static_members_keep_partitions_when_member_ids_change():
    """RoundRobinAssignorTest.testStaticMemberAssignmentPersistentAfterMemberIdChanges."""
    counts = {"topic1": 3, "topic2": 3}
    expected = {f"instance{i + 1}": f"topic1-{i}, topic2-{i}" for i in range(3)}
    for ids in (("consumer1", "consumer2", "consumer3"), ("consumer4", "consumer5", "consumer1")):
        subs = {m: sub(*T12, instance=f"instance{i + 1}") for i, m in enumerate(ids)}
        assert {subs[m].group_instance_id: v for m, v in run("roundrobin", counts, subs).items()} == expected
