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


def _flat(result) -> list[TopicPartition]:
    return [tp for v in result.values() for tp in v]


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


# -- Sticky and cooperative-sticky (AbstractStickyAssignorTest and subclasses) -------
# (kafka test, partitions per topic, subscriptions, sticky result, cooperative-sticky
# result when it differs: partitions moving between live owners are withheld).
T = ("topic",)
TT2 = ("topic", "topic2")
TT3 = ("topic", "topic2", "topic3")
A = ("t1", "t2", "t3")
STICKY = [
    ("testOneConsumerNoTopic", {}, {"consumer": sub()}, {"consumer": ""}, None),
    ("testOneConsumerNonexistentTopic", {"topic": 0}, {"consumer": sub("topic")}, {"consumer": ""}, None),
    ("testOneConsumerOneTopic", {"topic": 3}, {"consumer": sub("topic")},
     {"consumer": "topic-0, topic-1, topic-2"}, None),
    ("testOnlyAssignsPartitionsFromSubscribedTopics", {"topic": 2},
     {"consumer": sub("topic", owned="topic-0, topic-1, other-0, other-1", generation=1)},
     {"consumer": "topic-0, topic-1"}, None),
    ("testOneConsumerMultipleTopics", {"topic1": 1, "topic2": 2}, {"consumer": sub(*T12)},
     {"consumer": "topic1-0, topic2-0, topic2-1"}, None),
    ("testTwoConsumersOneTopicTwoPartitions", {"topic": 2}, {"consumer1": sub(*T), "consumer2": sub(*T)},
     {"consumer1": "topic-0", "consumer2": "topic-1"}, None),
    ("testMultipleConsumersMixedTopicSubscriptions", {"topic1": 3, "topic2": 2},
     {"consumer1": sub("topic1"), "consumer2": sub(*T12), "consumer3": sub("topic1")},
     {"consumer1": "topic1-0, topic1-2", "consumer2": "topic2-0, topic2-1", "consumer3": "topic1-1"}, None),
    ("testTwoConsumersTwoTopicsSixPartitions", {"topic1": 3, "topic2": 3},
     {"consumer1": sub(*T12), "consumer2": sub(*T12)},
     {"consumer1": "topic1-0, topic1-2, topic2-1", "consumer2": "topic1-1, topic2-0, topic2-2"}, None),
    ("testConsumerOwningMinQuotaExpectedMaxQuota", {"topic1": 2, "topic2": 3},
     {"consumer1": sub(*T12, owned="topic1-0, topic2-1", generation=1),
      "consumer2": sub(*T12, owned="topic1-1, topic2-2", generation=1)},
     {"consumer1": "topic1-0, topic2-0, topic2-1", "consumer2": "topic1-1, topic2-2"}, None),
    # Both own the max quota but only one may keep it; Java's HashMap order puts consumer2 first.
    ("testMaxQuotaConsumerMoreThanNumExpectedMaxCapacityMembers", {"topic1": 2, "topic2": 2},
     {"consumer1": sub(*T12, owned="topic1-0, topic2-0", generation=1),
      "consumer2": sub(*T12, owned="topic1-1, topic2-1", generation=1),
      "consumer3": sub(*T12, generation=1)},
     {"consumer1": "topic1-0", "consumer2": "topic1-1, topic2-1", "consumer3": "topic2-0"},
     {"consumer1": "topic1-0", "consumer2": "topic1-1, topic2-1", "consumer3": ""}),
    ("testAllConsumersAreUnderMinQuota", {"topic1": 2, "topic2": 3},
     {"consumer1": sub(*T12, owned="topic1-0", generation=1), "consumer2": sub(*T12, owned="topic1-1", generation=1),
      "consumer3": sub(*T12, generation=1)},
     {"consumer1": "topic1-0, topic2-1", "consumer2": "topic1-1, topic2-2", "consumer3": "topic2-0"}, None),
    ("testAllConsumersReachExpectedQuotaAndAreConsideredFilled", {"topic": 4},
     {"consumer1": sub(*T, owned="topic-0, topic-1", generation=1), "consumer2": sub(*T, owned="topic-2", generation=1),
      "consumer3": sub(*T, generation=1)},
     {"consumer1": "topic-0, topic-1", "consumer2": "topic-2", "consumer3": "topic-3"}, None),
    ("testOwnedPartitionsAreInvalidatedForConsumerWithStaleGeneration", {"topic": 3, "topic2": 3},
     {"consumer1": sub(*TT2, owned="topic-0, topic-2, topic2-1", generation=10),
      "consumer2": sub(*TT2, owned="topic-0, topic-2, topic2-1", generation=9)},
     {"consumer1": "topic-0, topic-2, topic2-1", "consumer2": "topic-1, topic2-0, topic2-2"}, None),
    ("testOwnedPartitionsAreInvalidatedForConsumerWithNoGeneration", {"topic": 3, "topic2": 3},
     {"consumer1": sub(*TT2, owned="topic-0, topic-2, topic2-1", generation=10),
      "consumer2": sub(*TT2, owned="topic-0, topic-2, topic2-1")},
     {"consumer1": "topic-0, topic-2, topic2-1", "consumer2": "topic-1, topic2-0, topic2-2"}, None),
    ("testOwnedPartitionsAreInvalidatedForConsumerWithMultipleGeneration", {"topic": 3, "topic2": 3},
     {"consumer1": sub(*TT2, owned="topic-0, topic2-1, topic-1", generation=10),
      "consumer2": sub(*TT2, owned="topic-0, topic2-1, topic2-2", generation=8)},
     {"consumer1": "topic-0, topic-1, topic2-1", "consumer2": "topic-2, topic2-0, topic2-2"}, None),
    ("testEnsurePartitionsAssignedToHighestGeneration", {"topic": 3, "topic2": 3, "topic3": 3},
     {"consumer1": sub(*TT3, owned="topic-0, topic2-0, topic3-0", generation=10),
      "consumer2": sub(*TT3, owned="topic-1, topic2-1, topic3-1", generation=9),
      "consumer3": sub(*TT3, owned="topic2-1, topic3-0, topic3-2", generation=8)},
     {"consumer1": "topic-0, topic2-0, topic3-0", "consumer2": "topic-1, topic2-1, topic3-1",
      "consumer3": "topic-2, topic2-2, topic3-2"}, None),
    # topic-0 is claimed by two members of one generation: both lose it. The cooperative
    # assignor must wait for both to revoke it before handing it on.
    ("testPartitionsTransferringOwnershipIncludeThePartitionClaimedByMultipleConsumersInSameGeneration",
     {"topic": 3},
     {"consumer1": sub(*T, owned="topic-0, topic-1", generation=1),
      "consumer2": sub(*T, owned="topic-0, topic-2", generation=1), "consumer3": sub(*T, generation=1)},
     {"consumer1": "topic-1", "consumer2": "topic-2", "consumer3": "topic-0"},
     {"consumer1": "topic-1", "consumer2": "topic-2", "consumer3": ""}),
    ("testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersInSameGeneration"
     "WithUnequalPartitionsPerConsumer", {"topic": 4},
     {"consumer1": sub(*T, owned="topic-0, topic-1", generation=1),
      "consumer2": sub(*T, owned="topic-0, topic-2", generation=1), "consumer3": sub(*T, generation=1)},
     {"consumer1": "topic-1, topic-3", "consumer2": "topic-2", "consumer3": "topic-0"},
     {"consumer1": "topic-1, topic-3", "consumer2": "topic-2", "consumer3": ""}),
    ("testAssignorWithOldVersionSubscriptions", {"topic1": 3},
     {"consumer1": sub("topic1", owned="topic1-0", generation=1),
      "consumer2": sub("topic1", owned="topic1-1", generation=1), "consumer3": sub("topic1", generation=1)},
     {"consumer1": "topic1-0", "consumer2": "topic1-1", "consumer3": "topic1-2"}, None),
    ("testRackAwareAssignmentWithUniformSubscription", {"t1": 6, "t2": 7, "t3": 2},
     {"consumer0": sub(*A), "consumer1": sub(*A), "consumer2": sub(*A)},
     {"consumer0": "t1-0, t1-3, t2-0, t2-3, t2-6", "consumer1": "t1-1, t1-4, t2-1, t2-4, t3-0",
      "consumer2": "t1-2, t1-5, t2-2, t2-5, t3-1"}, None),
    ("testRackAwareAssignmentWithNonEqualSubscription", {"t1": 6, "t2": 7, "t3": 2},
     {"consumer0": sub(*A), "consumer1": sub(*A), "consumer2": sub("t1", "t3")},
     {"consumer0": "t1-5, t2-0, t2-2, t2-4, t2-6", "consumer1": "t1-3, t2-1, t2-3, t2-5, t3-0",
      "consumer2": "t1-0, t1-1, t1-2, t1-4, t3-1"}, None),
    # CooperativeStickyAssignor branch of the same test: owners of badly spread
    # partitions first keep only what stays ("intermediate"), then the rest moves.
    ("testRackAwareAssignmentWithNonEqualSubscription (cooperative, from skewed ownership)",
     {"t1": 6, "t2": 7, "t3": 2},
     {"consumer0": sub(*A, owned="t1-0, t1-1, t1-2, t1-3, t1-4"),
      "consumer1": sub(*A, owned="t1-5, t2-0, t2-1, t2-2, t2-3"),
      "consumer2": sub("t1", "t3", owned="t2-4, t2-5, t2-6, t3-0, t3-1")},
     {"consumer0": "t1-2, t1-3, t1-4, t2-4, t2-6", "consumer1": "t2-0, t2-1, t2-2, t2-3, t2-5",
      "consumer2": "t1-0, t1-1, t1-5, t3-0, t3-1"},
     {"consumer0": "t1-2, t1-3, t1-4", "consumer1": "t2-0, t2-1, t2-2, t2-3", "consumer2": "t3-0, t3-1"}),
    ("testRackAwareAssignmentWithNonEqualSubscription (cooperative, second round)", {"t1": 6, "t2": 7, "t3": 2},
     {"consumer0": sub(*A, owned="t1-2, t1-3, t1-4"), "consumer1": sub(*A, owned="t2-0, t2-1, t2-2, t2-3"),
      "consumer2": sub("t1", "t3", owned="t3-0, t3-1")},
     {"consumer0": "t1-2, t1-3, t1-4, t2-4, t2-5", "consumer1": "t2-0, t2-1, t2-2, t2-3, t2-6",
      "consumer2": "t1-0, t1-1, t1-5, t3-0, t3-1"}, None),
]


def settle_cooperative(counts, subs, generation=1):
    """CooperativeStickyAssignorTest.verifyValidityAndBalance: rebalance again while
    anything is revoked, never handing a partition on in the round it is revoked."""
    for _ in range(5):
        result = assign("cooperative-sticky", counts, subs)
        revoked = {tp for m, s in subs.items() for tp in set(s.owned_partitions) - set(result[m])}
        added = {tp for m, s in subs.items() for tp in set(result[m]) - set(s.owned_partitions)}
        assert not revoked & added
        if not revoked:
            return result
        generation += 1
        subs = {m: Subscription(s.topics, tuple(result[m]), generation) for m, s in subs.items()}
    raise AssertionError("cooperative rebalancing did not settle")


@pytest.mark.parametrize("kafka_test, counts, subs, expected, cooperative", STICKY, ids=[c[0] for c in STICKY])
def test_sticky(kafka_test, counts, subs, expected, cooperative):
    assert run("sticky", counts, subs) == expected
    assert run("cooperative-sticky", counts, subs) == (cooperative or expected)
    verify_validity_and_balance(subs, assign("sticky", counts, subs))
    # Once the withheld partitions are revoked, the follow-up rebalance hands them out.
    verify_validity_and_balance(subs, settle_cooperative(counts, subs))
    # Members that rejoin owning their result keep it (verifyUniformSubscription and
    # verifyNonEqualSubscription run every expectation a second time that way).
    for name in ("sticky", "cooperative-sticky"):
        assert run(name, counts, rejoin(subs, expected, 11)) == expected


def test_add_remove_consumer_one_topic():
    """AbstractStickyAssignorTest.testAddRemoveConsumerOneTopic, and its cooperative run."""
    counts = {"topic": 3}
    first = {"consumer1": sub(*T)}
    assert run("sticky", counts, first) == {"consumer1": "topic-0, topic-1, topic-2"}
    grown = {"consumer1": sub(*T, owned="topic-0, topic-1, topic-2", generation=1),
             "consumer2": sub(*T, generation=1)}
    assert run("sticky", counts, grown) == {"consumer1": "topic-0, topic-1", "consumer2": "topic-2"}
    # Cooperative: consumer1 revokes topic-2 first; consumer2 gets it one rebalance later.
    coop = run("cooperative-sticky", counts, grown)
    assert coop == {"consumer1": "topic-0, topic-1", "consumer2": ""}
    assert run("cooperative-sticky", counts, rejoin(grown, coop, 2)) == \
        {"consumer1": "topic-0, topic-1", "consumer2": "topic-2"}
    shrunk = {"consumer2": sub(*T, owned="topic-2", generation=1)}
    for name in ("sticky", "cooperative-sticky"):
        assert run(name, counts, shrunk) == {"consumer2": "topic-0, topic-1, topic-2"}


def test_add_remove_two_consumers_two_topics():
    """AbstractStickyAssignorTest.testAddRemoveTwoConsumersTwoTopics, as current Kafka expects it:
    owned partitions are sorted by partition number before a member keeps its quota."""
    counts = {"topic1": 3, "topic2": 4}
    subs = {"consumer1": sub(*T12), "consumer2": sub(*T12)}
    r1 = run("sticky", counts, subs)
    assert r1 == {"consumer1": "topic1-0, topic1-2, topic2-1, topic2-3", "consumer2": "topic1-1, topic2-0, topic2-2"}
    subs = rejoin(subs, r1) | {"consumer3": sub(*T12, generation=1), "consumer4": sub(*T12, generation=1)}
    r2 = run("sticky", counts, subs)
    assert r2 == {"consumer1": "topic1-0, topic2-1", "consumer2": "topic1-1, topic2-0",
                  "consumer3": "topic1-2, topic2-3", "consumer4": "topic2-2"}
    # partitionsTransferringOwnership = {topic1-2: consumer3, topic2-3: consumer3, topic2-2: consumer4}
    assert run("cooperative-sticky", counts, subs) == {"consumer1": "topic1-0, topic2-1",
                                                       "consumer2": "topic1-1, topic2-0",
                                                       "consumer3": "", "consumer4": ""}
    subs = rejoin({m: subs[m] for m in ("consumer3", "consumer4")}, r2)
    assert run("sticky", counts, subs) == {"consumer3": "topic1-0, topic1-2, topic2-1, topic2-3",
                                           "consumer4": "topic1-1, topic2-0, topic2-2"}


def test_stickiness_when_the_leader_leaves():
    """AbstractStickyAssignorTest.testStickiness: 4 members, 3 partitions; consumer1 leaves."""
    counts = {"topic1": 3}
    subs = {f"consumer{i}": sub("topic1") for i in range(1, 5)}
    r1 = run("sticky", counts, subs)
    assert r1 == {"consumer1": "topic1-0", "consumer2": "topic1-1", "consumer3": "topic1-2", "consumer4": ""}
    subs = rejoin({m: subs[m] for m in ("consumer2", "consumer3", "consumer4")}, r1)
    for name in ("sticky", "cooperative-sticky"):
        assert run(name, counts, subs) == {"consumer2": "topic1-1", "consumer3": "topic1-2", "consumer4": "topic1-0"}


def test_no_reassignment_on_current_members():
    """AbstractStickyAssignorTest.testNoReassignmentOnCurrentMembers."""
    counts = {"topic": 3, "topic1": 3, "topic2": 3, "topic3": 3}
    every = ("topic", "topic2", "topic3", "topic1")
    subs = {"consumer1": sub(*every),
            "consumer2": sub(*every, owned="topic-0, topic2-0, topic1-0", generation=9),
            "consumer3": sub(*every, owned="topic3-2, topic2-2, topic1-1", generation=8),
            "consumer4": sub(*every, owned="topic3-1, topic-1, topic-2", generation=7)}
    for name in ("sticky", "cooperative-sticky"):
        result = run(name, counts, subs)
        assert result["consumer1"] == "topic1-2, topic2-1, topic3-0"
        for m in ("consumer2", "consumer3", "consumer4"):   # each owned exactly its quota
            assert tps(result[m]) == tuple(sorted(subs[m].owned_partitions))


def test_deleted_topics():
    """testAssignmentUpdatedForDeletedTopic and testNoExceptionThrownWhenOnlySubscribedTopicDeleted."""
    result = assign("sticky", {"topic1": 1, "topic3": 100}, {"consumer": sub("topic1", "topic2", "topic3")})
    assert len(result["consumer"]) == 101
    owned = {"consumer": sub("topic", owned="topic-0, topic-1, topic-2", generation=1)}
    for name in ("sticky", "cooperative-sticky"):
        assert assign(name, {}, owned) == {"consumer": []}
    # A topic deleted and recreated smaller: ownership of vanished partitions is dropped.
    assert run("sticky", {"topic": 2}, owned) == {"consumer": "topic-0, topic-1"}


def test_add_remove_topic_two_consumers():
    """AbstractStickyAssignorTest.testAddRemoveTopicTwoConsumers."""
    counts = {"topic": 3}
    subs = {"consumer1": sub("topic"), "consumer2": sub("topic")}
    r1 = assign("sticky", counts, subs)
    assert sorted(len(v) for v in r1.values()) == [1, 2]
    counts["topic2"] = 3
    subs = {m: Subscription(TT2, tuple(r1[m]), 1) for m in subs}
    r2 = assign("sticky", counts, subs)
    assert all(len(r2[m]) == 3 and set(r1[m]) <= set(r2[m]) for m in subs)
    del counts["topic"]
    subs = {m: Subscription(("topic2",), tuple(r2[m]), 1) for m in subs}
    r3 = assign("sticky", counts, subs)
    assert sorted(len(v) for v in r3.values()) == [1, 2]
    assert all(set(r3[m]) <= set(r2[m]) for m in subs)


def _name(prefix: str, i: int, n: int) -> str:
    """AbstractStickyAssignorTest.getCanonicalName: zero-padded to the width of n."""
    return prefix + str(i).zfill(len(str(n)))


def test_reassignment_after_one_consumer_leaves():
    """AbstractStickyAssignorTest.testReassignmentAfterOneConsumerLeaves: 19 nested subscriptions."""
    counts = {_name("t", i, 20): i for i in range(1, 20)}
    subs = {_name("c", i, 20): Subscription(tuple(_name("t", j, 20) for j in range(1, i + 1))) for i in range(1, 20)}
    r1 = assign("sticky", counts, subs)
    verify_validity_and_balance(subs, r1)
    subs = {m: Subscription(s.topics, tuple(r1[m]), 1) for m, s in subs.items() if m != "c10"}
    r2 = assign("sticky", counts, subs)
    verify_validity_and_balance(subs, r2)
    # Only the partitions c10 held move; everyone else keeps all they had.
    assert all(set(r1[m]) <= set(r2[m]) for m in subs)


def test_same_subscriptions_and_one_added():
    """testSameSubscriptions (8 members, 105 partitions, one leaves) and testReassignmentAfterOneConsumerAdded."""
    counts = {_name("t", i, 15): i for i in range(1, 15)}
    subs = {_name("c", i, 9): Subscription(tuple(counts)) for i in range(1, 9)}
    r1 = assign("sticky", counts, subs)
    verify_validity_and_balance(subs, r1)
    subs = {m: Subscription(s.topics, tuple(r1[m]), 1) for m, s in subs.items() if m != "c5"}
    for name in ("sticky", "cooperative-sticky"):   # nothing moves between live owners
        r2 = assign(name, counts, subs)
        verify_validity_and_balance(subs, r2)
        assert all(set(r1[m]) <= set(r2[m]) for m in subs)
    subs = {_name("c", i, 10): Subscription(("topic",)) for i in range(1, 10)}
    verify_validity_and_balance(subs, assign("sticky", {"topic": 20}, subs))
    subs[_name("c", 10, 10)] = Subscription(("topic",))
    verify_validity_and_balance(subs, assign("sticky", {"topic": 20}, subs))


def test_poor_round_robin_scenario_and_moved_assignments():
    """testPoorRoundRobinAssignmentScenario, testMoveExistingAssignments, testNewSubscription."""
    counts = {f"topic{i}": i % 2 + 1 for i in range(1, 6)}
    subs = {"consumer1": sub(*counts), "consumer2": sub("topic1", "topic3", "topic5"),
            "consumer3": sub("topic1", "topic3", "topic5"), "consumer4": sub(*counts)}
    verify_validity_and_balance(subs, assign("sticky", counts, subs))
    counts = {f"topic{i}": 1 for i in range(1, 7)}
    subs = {"consumer1": sub("topic1", "topic2", owned="topic1-0", generation=1),
            "consumer2": sub("topic1", "topic2", "topic3", "topic4", owned="topic2-0, topic3-0", generation=1),
            "consumer3": sub("topic2", "topic3", "topic4", "topic5", "topic6",
                             owned="topic4-0, topic5-0, topic6-0", generation=1)}
    for name in ("sticky", "cooperative-sticky"):
        verify_validity_and_balance(subs, assign(name, counts, subs))
    counts = {f"t{i}": 1 for i in range(1, 5)}
    subs = {"c0": sub(), "c1": sub("t1"), "c2": sub("t2", "t3", "t4")}
    r1 = assign("sticky", counts, subs)
    verify_validity_and_balance(subs, r1)
    subs["c0"] = sub("t1")
    verify_validity_and_balance(subs, assign("sticky", counts, subs))


@pytest.mark.parametrize("order", [(1, 2, 3), (1, 3, 2), (2, 1, 3), (2, 3, 1), (3, 1, 2), (3, 2, 1)])
def test_same_partition_claimed_in_three_generations(order):
    """AbstractStickyAssignorTest.testSubscriptionNotEqualAndAssignSamePartitionWith3Generation."""
    counts = {"topic": 6, "topic1": 1}
    subs = {"consumer1": sub("topic", owned="topic-0, topic-2", generation=order[0]),
            "consumer2": sub("topic", owned="topic-1, topic-2, topic-3", generation=order[1]),
            "consumer3": sub("topic", owned="topic-2, topic-4, topic-5", generation=order[2]),
            "consumer4": sub("topic1", owned="topic1-0", generation=2)}
    result = assign("sticky", counts, subs)
    assert len(_flat(result)) == len(set(_flat(result))) == 7
    assert all(1 <= len(v) <= 2 for v in result.values())


@pytest.mark.parametrize("all_equal", [True, False])
def test_assignment_with_multiple_generations(all_equal):
    """StickyAssignorTest.testAssignmentWithMultipleGenerations1."""
    counts = {"topic": 6, "topic2": 6}
    c2_topics = TT2 if all_equal else ("topic",)
    subs = {"consumer1": Subscription(TT2), "consumer2": Subscription(c2_topics), "consumer3": Subscription(TT2)}
    r1 = assign("sticky", counts, subs)
    assert [len(v) for v in r1.values()] == [4, 4, 4]
    subs = {"consumer1": Subscription(TT2, tuple(r1["consumer1"]), 1),
            "consumer2": Subscription(c2_topics, tuple(r1["consumer2"]), 1)}
    r2 = assign("sticky", counts, subs)
    assert [len(v) for v in r2.values()] == [6, 6]
    assert set(r1["consumer2"]) <= set(r2["consumer2"])
    if all_equal:
        assert set(r1["consumer1"]) <= set(r2["consumer1"])
    assert set(r2["consumer2"]) & set(r1["consumer3"])
    # consumer3 comes back with its generation-1 partitions; consumer2 (generation 2) wins conflicts.
    subs = {"consumer2": Subscription(c2_topics, tuple(r2["consumer2"]), 2),
            "consumer3": Subscription(TT2, tuple(r1["consumer3"]), 1)}
    r3 = assign("sticky", counts, subs)
    assert [len(v) for v in r3.values()] == [6, 6] and not set(r3["consumer2"]) & set(r3["consumer3"])
    verify_validity_and_balance(subs, r3)


# -- Properties ------------------------------------------------------------------------
MEMBER_IDS = st.text(alphabet="abc-019", min_size=1, max_size=6)   # varied Java hash buckets


@settings(max_examples=150, deadline=None)
@given(counts=st.lists(st.integers(0, 7), min_size=1, max_size=3),
       first=st.lists(MEMBER_IDS, min_size=1, max_size=6, unique=True),
       joiners=st.lists(MEMBER_IDS, max_size=3, unique=True),
       leavers=st.integers(0, 5))
def test_sticky_identical_subscriptions_balanced_and_stable(counts, first, joiners, leavers):
    counts = {f"t{i}": n for i, n in enumerate(counts)}
    topics = tuple(counts)
    every = sorted(TopicPartition(t, p) for t, n in counts.items() for p in range(n))
    r1 = assign("sticky", counts, {m: Subscription(topics) for m in first})
    # Membership churns: some leave, some join, survivors bring what they owned.
    survivors = first[: max(1, len(first) - leavers)]
    subs = {m: Subscription(topics, tuple(r1[m]), 1) for m in survivors}
    subs |= {m: Subscription(topics, (), -1) for m in joiners if m not in subs}
    for result in (r1, assign("sticky", counts, subs)):
        assert sorted(_flat(result)) == every                   # each partition exactly once
        assert fully_balanced(result)
    r2 = assign("sticky", counts, subs)
    quota = len(every) // len(subs)
    for m in survivors:                                         # owners keep up to their quota
        assert len(set(r1[m]) & set(r2[m])) >= min(len(r1[m]), quota)
    # Re-running with the result as owned partitions changes nothing.
    again = {m: Subscription(topics, tuple(r2[m]), 2) for m in subs}
    assert assign("sticky", counts, again) == r2
    assert assign("cooperative-sticky", counts, again) == r2
    # Cooperative: same end state reached through withheld partitions; never revoke-and-add at once.
    settled = settle_cooperative(counts, subs)
    assert sorted(_flat(settled)) == every and fully_balanced(settled)


@settings(max_examples=150, deadline=None)
@given(counts=st.lists(st.integers(0, 5), min_size=1, max_size=4),
       members=st.lists(st.tuples(MEMBER_IDS, st.sets(st.integers(0, 4), max_size=4)),
                        min_size=1, max_size=6, unique_by=lambda m: m[0]))
def test_sticky_differing_subscriptions_valid_and_stable(counts, members):
    counts = {f"t{i}": n for i, n in enumerate(counts)}
    subs = {m: Subscription(tuple(sorted(f"t{i}" for i in topics))) for m, topics in members}
    result = assign("sticky", counts, subs)
    verify_validity_and_balance(subs, result)
    wanted = {TopicPartition(t, p) for s in subs.values() for t in s.topics for p in range(counts.get(t, 0))}
    assert sorted(_flat(result)) == sorted(wanted)
    again = {m: Subscription(s.topics, tuple(result[m]), 1) for m, s in subs.items()}
    assert assign("sticky", counts, again) == result
    verify_validity_and_balance(subs, settle_cooperative(counts, subs))


@settings(max_examples=60, deadline=None)
@given(counts=st.lists(st.integers(0, 6), min_size=1, max_size=3),
       members=st.lists(st.tuples(MEMBER_IDS, st.sets(st.integers(0, 2), min_size=1)),
                        min_size=1, max_size=5, unique_by=lambda m: m[0]))
def test_range_and_roundrobin_cover_subscribed_partitions(counts, members):
    counts = {f"t{i}": n for i, n in enumerate(counts)}
    subs = {m: Subscription(tuple(f"t{i}" for i in sorted(topics))) for m, topics in members}
    wanted = {TopicPartition(t, p) for s in subs.values() for t in s.topics for p in range(counts.get(t, 0))}
    for name in ("range", "roundrobin"):
        result = assign(name, counts, subs)
        assert sorted(_flat(result)) == sorted(wanted)
        assert all(tp.topic in subs[m].topics for m, v in result.items() for tp in v)
        if len({s.topics for s in subs.values()}) == 1 and name == "roundrobin":
            assert fully_balanced(result)
