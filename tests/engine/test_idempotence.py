"""The idempotent producer: producer ids, sequence numbers, duplicates and order at the leader."""

import pytest

from playground.engine import Cluster, EventKind, KafkaError, TopicPartition
from playground.engine.errors import Errors
from playground.engine.producer_state import ProducerStateManager
from playground.engine.records import Record, RecordBatch


def _cluster(partitions: int = 1) -> Cluster:
    c = Cluster(seed=0)
    c.create_topic("orders", partitions, 3, {"min.insync.replicas": 2}, immediate=True)
    return c


def _log(c: Cluster, partition: int = 0):
    return c.view().authoritative_log("orders", partition)


def test_producers_are_idempotent_by_default_and_get_a_producer_id_first():
    c = _cluster()
    p = c.producer("p")
    assert p.idempotent
    p.send("orders", b"v")
    c.advance(500)
    assigned = c.events.of_kind(EventKind.PRODUCER_ID_ASSIGNED)
    assert len(assigned) == 1 and assigned[0].data["producer_id"] == 0
    batch = _log(c).batches[0]
    assert (batch.producer_id, batch.producer_epoch, batch.base_sequence) == (0, 0, 0)


@pytest.mark.parametrize("setting", [{"acks": "1"}, {"retries": 0}, {"max_in_flight_requests_per_connection": 6}])
def test_a_conflicting_setting_quietly_turns_idempotence_off(setting):
    c = _cluster()
    assert not c.producer("p", **setting).idempotent


def test_asking_for_idempotence_with_acks_1_is_a_config_error():
    c = _cluster()
    with pytest.raises(KafkaError) as err:
        c.producer("p", acks="1", enable_idempotence=True)
    assert err.value.error == Errors.INVALID_CONFIG and "acks" in err.value.message


@pytest.mark.parametrize("idempotent", [False, True])
def test_a_lost_response_and_a_retry_write_a_duplicate_only_without_idempotence(idempotent):
    c = _cluster()
    c.drop_requests(c.leader_of("orders", 0), "produce", 1)
    p = c.producer("p", request_timeout_ms=1000, enable_idempotence=idempotent)
    p.send("orders", b"once", key=b"k")
    c.advance(5000)
    audit = c.view().audit()
    assert p.stats.acked == 1 and p.stats.errors == {"REQUEST_TIMED_OUT": 1}
    assert audit.duplicates_in_log == (0 if idempotent else 1)
    assert _log(c).log_end_offset == (1 if idempotent else 2)
    dups = c.events.of_kind(EventKind.PRODUCE_DUPLICATE)
    assert len(dups) == (1 if idempotent else 0)
    if idempotent:
        assert dups[0].data["base_offset"] == 0


def test_retries_with_five_requests_in_flight_keep_the_send_order():
    # One record per request (linger.ms=0, tiny batches), five in flight; the first response is
    # lost, so the leader sees the retry of batch 0 after batches 1-4.
    c = _cluster()
    c.drop_requests(c.leader_of("orders", 0), "produce", 1)
    p = c.producer("p", linger_ms=0, batch_size=1, request_timeout_ms=1000)
    for i in range(5):
        p.send("orders", f"v{i}".encode(), key=b"k")
    c.advance(10_000)
    values = [rec.value for _, rec, _ in _log(c).records()]
    assert values == [b"v0", b"v1", b"v2", b"v3", b"v4"]
    audit = c.view().audit()
    assert audit.duplicates_in_log == 0 and audit.order_violations == 0 and p.stats.acked == 5


def test_a_new_leader_knows_the_producers_from_its_log():
    c = _cluster()
    p = c.producer("p", request_timeout_ms=1000)
    p.send("orders", b"a", key=b"k")
    c.advance(500)
    old = c.leader_of("orders", 0)
    c.drop_requests(old, "produce", 1)
    p.send("orders", b"b", key=b"k")
    c.advance(20)                       # written and replicated, the answer lost
    c.kill_broker(old)
    c.advance(30_000)
    assert c.leader_of("orders", 0) != old
    values = [rec.value for _, rec, _ in _log(c).records()]
    assert values == [b"a", b"b"], "the retry to the new leader was recognised as a duplicate"


def _batch(pid: int, epoch: int, seq: int, n: int = 1, offset: int = 0) -> RecordBatch:
    return RecordBatch([Record(b"k", b"v") for _ in range(n)], base_offset=offset, producer_id=pid,
                       producer_epoch=epoch, base_sequence=seq)


def test_the_leader_refuses_gaps_and_old_epochs_and_answers_duplicates_with_their_offset():
    state = ProducerStateManager()
    state.replay(_batch(7, 0, 0, n=3, offset=10))
    assert state.check(_batch(7, 0, 3))[0] == Errors.NONE
    assert state.check(_batch(7, 0, 5))[0] == Errors.OUT_OF_ORDER_SEQUENCE_NUMBER
    error, _, first = state.check(_batch(7, 0, 0, n=3))
    assert (error, first) == (Errors.DUPLICATE_SEQUENCE_NUMBER, 10)
    state.replay(_batch(7, 1, 0, offset=13))
    assert state.check(_batch(7, 0, 4))[0] == Errors.INVALID_PRODUCER_EPOCH
    assert state.check(_batch(7, 2, 1))[0] == Errors.OUT_OF_ORDER_SEQUENCE_NUMBER   # a new epoch starts at 0
    assert state.check(_batch(8, 0, 42))[0] == Errors.NONE                         # unknown producer: accepted


def test_only_the_last_five_batches_are_remembered():
    state = ProducerStateManager()
    for i in range(6):
        state.replay(_batch(1, 0, i, offset=i))
    assert state.check(_batch(1, 0, 5))[0] == Errors.DUPLICATE_SEQUENCE_NUMBER
    assert state.check(_batch(1, 0, 0))[0] == Errors.OUT_OF_ORDER_SEQUENCE_NUMBER


def test_producer_state_is_rebuilt_after_truncation():
    c = _cluster()
    p = c.producer("p")
    p.send("orders", b"a", key=b"k")
    c.advance(500)
    leader = c.brokers[c.leader_of("orders", 0)]
    tp = TopicPartition("orders", 0)
    assert leader.producer_state(tp).producers[0].last_seq == 0
    leader.disk[tp].truncate_to(0)
    assert leader.producer_state(tp).producers == {}


def test_a_batch_refused_for_good_does_not_stall_the_ones_after_it():
    # A null key on a compacted topic is refused (INVALID_RECORD): the producer starts a new epoch and
    # numbers from 0 again (KIP-360), and the batch after it is retried there instead of stalling.
    c = Cluster(seed=0)
    c.create_topic("prices", 1, 3, {"cleanup.policy": "compact"}, immediate=True)
    p = c.producer("p", linger_ms=0, batch_size=1)
    p.send("prices", b"1", key=b"apple")
    p.send("prices", b"no key")
    p.send("prices", b"2", key=b"pear")
    c.advance(2000)
    assert (p.stats.acked, p.stats.failed) == (2, 1)
    assert p.txn.epoch == 1
    assert [rec.key for _, rec, _ in _log_of(c, "prices").records()] == [b"apple", b"pear"]


def _log_of(c: Cluster, topic: str):
    return c.view().authoritative_log(topic, 0)
