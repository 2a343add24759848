"""Rate-driven producers: the send loop's timing and templates, start/stop, Kafka's config checks,
the read-only producer view (accumulator, counters) and the batching that linger.ms buys."""

from __future__ import annotations

from collections import Counter

import pytest

from playground.engine import Cluster, Errors, EventKind, KafkaError, TopicPartition
from playground.engine.producer_loop import validate_producer_config


def _cluster(seed: int = 1, partitions: int = 3, **config) -> Cluster:
    c = Cluster(seed=seed, config=config or None)
    c.create_topic("orders", partitions, 3, immediate=True)
    return c


def _log(c: Cluster, partition: int = 0):
    return [rec for _off, rec, _b in c.view().authoritative_log("orders", partition).records()]


def _all_records(c: Cluster):
    return [rec for p in range(len(c.view().partitions("orders"))) for rec in _log(c, p)]


def _kinds(c: Cluster, kind: EventKind):
    return [e for e in c.events.history if e.kind == kind]


# -- timing ---------------------------------------------------------------------------------
def test_rate_100_for_two_seconds_sends_evenly_spaced_records_and_all_are_acked():
    c = _cluster(partitions=1)
    c.start_producer("p1", "orders", rate=100, value="v{i}")
    c.advance(2000)
    c.stop_producer("p1")
    c.advance(200)
    records = _log(c)
    # The first record goes at once, then one every 10 ms: 0, 10, ..., 2000.
    assert [r.timestamp for r in records] == list(range(0, 2001, 10))
    assert [r.value for r in records[:3]] == [b"v0", b"v1", b"v2"]
    p = c.view().producers()["p1"]
    assert (p.sent, p.acked, p.failed, p.loop_sent, p.running, p.rate) == (201, 201, 0, 201, False, 100)


def test_a_fractional_interval_accumulates_on_the_virtual_clock():
    c = _cluster(partitions=1)
    c.start_producer("p1", "orders", rate=3)             # every 333.33 ms
    c.advance(2100)
    assert [r.timestamp for r in _log(c)][:7] == [0, 333, 666, 1000, 1333, 1666, 2000]


def test_rates_above_one_per_millisecond_send_several_in_the_same_millisecond():
    c = _cluster(partitions=1)
    c.start_producer("p1", "orders", rate=2500, linger_ms=0)
    c.advance(9)
    c.stop_producer("p1")
    c.advance(100)
    per_ms = Counter(r.timestamp for r in _log(c)[:25])
    # 2.5 per ms: record i at floor(i * 0.4) ms, so 3, 2, 3, 2, ... records per millisecond
    assert [per_ms[t] for t in range(10)] == [3, 2, 3, 2, 3, 2, 3, 2, 3, 2]


def test_the_loop_runs_on_the_scheduler_not_on_calls_to_advance():
    a, b = _cluster(partitions=1), _cluster(partitions=1)
    a.start_producer("p1", "orders", rate=50)
    b.start_producer("p1", "orders", rate=50)
    a.advance(1000)
    for _ in range(100):
        b.advance(10)
    assert [r.timestamp for r in _log(a)] == [r.timestamp for r in _log(b)]


# -- templates --------------------------------------------------------------------------------
def test_key_list_taken_in_turn_and_index_in_templates():
    c = _cluster(partitions=1)
    c.start_producer("p1", "orders", rate=1000, key=["a-{i}", "b", None], value="value {i}")
    c.advance(5)
    c.stop_producer("p1")
    c.advance(100)
    records = _log(c)[:6]
    assert [r.key for r in records] == [b"a-0", b"b", None, b"a-3", b"b", None]
    assert [r.value for r in records] == [f"value {i}".encode() for i in range(6)]


def test_null_key_uses_the_sticky_partitioner_and_null_value_is_a_tombstone():
    c = _cluster()
    c.start_producer("p1", "orders", rate=100, key=None, value=None)
    c.advance(500)
    records = _all_records(c)
    assert records and all(r.key is None and r.value is None for r in records)
    # A few hundred bytes stay far below batch.size: the sticky partitioner keeps one partition.
    assert sum(1 for p in range(3) if _log(c, p)) == 1


def test_keyed_records_follow_murmur2_across_partitions():
    c = _cluster()
    c.start_producer("p1", "orders", rate=200, key="user-{i}")
    c.advance(1000)
    assert all(_log(c, p) for p in range(3))


# -- start, configure, stop -----------------------------------------------------------------------
def test_stop_ends_the_loop_and_flushes_the_accumulator_at_once():
    c = _cluster(partitions=1)
    c.start_producer("p1", "orders", rate=100, linger_ms=1000)
    c.advance(500)
    lingering = c.view().producers()["p1"].open_batches
    assert len(lingering) == 1 and lingering[0].records > 0
    c.stop_producer("p1")
    stopped = c.now
    c.advance(100)                                     # well before the linger deadline
    p = c.view().producers()["p1"]
    assert p.acked == p.sent == p.loop_sent and p.open_batches == () and not p.running
    c.advance(2000)
    assert c.view().producers()["p1"].sent == p.sent   # nothing more after stop
    (event,) = _kinds(c, EventKind.PRODUCER_STOPPED)
    assert event.time == stopped and event.data["flushed"] == lingering[0].records
    assert event.text.startswith(f"Producer p1 stopped sending after {p.sent} records; it flushes the ")


def test_stop_refusals_say_why():
    c = _cluster()
    with pytest.raises(KafkaError) as err:
        c.stop_producer("ghost")
    assert err.value.error == Errors.INVALID_REQUEST
    assert err.value.message == "cannot stop producer ghost: there is no such producer; no producer exists yet"
    c.start_producer("conf", linger_ms=20)
    with pytest.raises(KafkaError, match="it was configured without a rate"):
        c.stop_producer("conf")
    c.start_producer("p1", "orders", rate=10)
    c.stop_producer("p1")
    with pytest.raises(KafkaError, match="it was stopped already"):
        c.stop_producer("p1")


def test_without_a_rate_it_only_configures_the_producer():
    c = _cluster(partitions=1)
    producer = c.start_producer("p1", acks="1", linger_ms=50)
    c.advance(1000)
    assert producer.stats.sent == 0 and "p1" not in c.producer_loops
    assert producer.config["linger.ms"] == 50 and producer.config["acks"] == "1"
    assert producer.config["enable.idempotence"] is False          # quietly off: acks is not all
    (event,) = _kinds(c, EventKind.PRODUCER_CONFIGURED)
    assert event.text.startswith("Producer p1 is ready (acks=1, enable.idempotence=false, linger.ms=50,")
    for i in range(3):                                  # later sends use the configuration
        producer.send("orders", f"v{i}".encode())
    c.advance(200)
    view = c.view().producers()["p1"]
    assert (view.acked, view.requests, view.batches) == (3, 1, 1)
    assert view.ack_latency_p50 >= 50


def test_a_running_loop_cannot_be_started_twice_but_a_stopped_one_restarts():
    c = _cluster()
    c.start_producer("p1", "orders", rate=10)
    with pytest.raises(KafkaError) as err:
        c.start_producer("p1", "orders", rate=20)
    assert err.value.error == Errors.INVALID_REQUEST and "already sending 10 records/s to orders" in err.value.message
    c.advance(1000)
    c.stop_producer("p1")
    c.start_producer("p1", "orders", rate=20)           # same configuration: the same producer goes on
    c.advance(1000)
    assert c.view().producers()["p1"].sent == 11 + 21
    assert len(_kinds(c, EventKind.PRODUCER_STARTED)) == 2


def test_an_existing_producer_keeps_its_configuration():
    c = _cluster()
    c.start_producer("p1", "orders", rate=10, linger_ms=50)
    c.stop_producer("p1")
    events = len(c.events.history)
    with pytest.raises(KafkaError) as err:
        c.start_producer("p1", "orders", rate=10, linger_ms=0)
    assert err.value.error == Errors.INVALID_CONFIG
    assert err.value.message.startswith("producer p1 exists with linger.ms=50, not 0: a KafkaProducer's "
                                        "configuration is fixed when it is created")
    assert not c.producer_loops["p1"].running and len(c.events.history) == events
    # A producer created by a plain produce (acks=1) is not idempotent: asking for that again is no change.
    c.producer("plain", acks="1")
    c.start_producer("plain", "orders", rate=10, acks="1")


@pytest.mark.parametrize("config, message", [
    ({"linger.ms": -1}, "Invalid value -1 for configuration linger.ms: Value must be at least 0"),
    ({"linger.ms": "soon"}, "Invalid value soon for configuration linger.ms: Not a number of type LONG"),
    ({"batch.size": 1.5}, "Invalid value 1.5 for configuration batch.size: Expected value to be a int"),
    ({"acks": "2"}, "Invalid value 2 for configuration acks: String must be one of: all, -1, 0, 1"),
    ({"compression.type": "brotli"},
     "Invalid value brotli for configuration compression.type: String must be one of: none, gzip, snappy, lz4, zstd"),
    ({"max.in.flight.requests.per.connection": 0},
     "Invalid value 0 for configuration max.in.flight.requests.per.connection: Value must be at least 1"),
    ({"enable.idempotence": "yes"},
     "Invalid value yes for configuration enable.idempotence: Expected value to be either true or false"),
    ({"acks": "1", "enable.idempotence": True}, "Must set acks to all in order to use the idempotent producer"),
    ({"transactional.id": "tx", "retries": 0}, "Must set retries to non-zero when using the idempotent producer"),
    ({"transactional.id": "tx", "enable.idempotence": False}, "Cannot set a transactional.id without also"),
    ({"max.in.flight.requests.per.connection": 6, "enable.idempotence": True}, "at most 5"),
    ({"delivery.timeout.ms": 100}, "delivery.timeout.ms should be equal to or larger than linger.ms + "),
    ({"lingr.ms": 5}, "Unknown producer config name: lingr.ms"),
])
def test_a_bad_setting_is_invalid_config_and_creates_nothing(config, message):
    c = _cluster()
    before = len(c.events.history)
    with pytest.raises(KafkaError) as err:
        c.start_producer("p1", "orders", rate=10, **config)
    assert err.value.error == Errors.INVALID_CONFIG and message in err.value.message
    assert c.producers == {} and c.producer_loops == {} and len(c.events.history) == before


@pytest.mark.parametrize("rate", [0, -3, "fast", True, 10 ** 9])
def test_a_bad_rate_is_refused(rate):
    c = _cluster()
    with pytest.raises(KafkaError, match="rate is records per second"):
        c.start_producer("p1", "orders", rate=rate)
    assert c.producers == {}


def test_rate_without_topic_is_refused():
    c = _cluster()
    with pytest.raises(KafkaError, match="has a rate but no topic"):
        c.start_producer("p1", rate=10)


def test_kafka_derives_idempotence_and_delivery_timeout():
    assert validate_producer_config({"acks": "1"})["enable.idempotence"] is False
    assert validate_producer_config({"retries": 0})["enable.idempotence"] is False
    assert validate_producer_config({})["enable.idempotence"] is True
    assert validate_producer_config({"acks": "-1"})["acks"] == "all"
    assert validate_producer_config({"linger.ms": 100000})["delivery.timeout.ms"] == 130000
    assert validate_producer_config({"partitioner": "default"})["partitioner"] == "sticky"


# -- failures are counted, the loop goes on ---------------------------------------------------------
def test_failed_sends_are_counted_and_the_loop_goes_on():
    c = _cluster(**{"auto.create.topics.enable": False})
    c.start_producer("p1", "missing", rate=10, max_block_ms=300)
    c.advance(2000)
    loop = c.producer_loops["p1"]
    assert loop.running and loop.index == 21 and loop.acked == 0
    assert loop.failed >= 10 and set(loop.errors) == {"REQUEST_TIMED_OUT"}
    assert c.view().producers()["p1"].failed == loop.failed


# -- the view: accumulator and counters --------------------------------------------------------------
def test_view_shows_the_accumulator_filling_and_leaving():
    c = _cluster(partitions=1)
    c.start_producer("p1", "orders", rate=100, linger_ms=50, batch_size=2000)
    c.advance(300)
    p = c.view().producers()["p1"]
    (batch,) = p.open_batches
    assert batch.tp == TopicPartition("orders", 0) and batch.batch_size == 2000
    assert batch.linger_deadline_ms == batch.created_ms + 50 and batch.created_ms <= c.now < batch.linger_deadline_ms
    assert batch.records == (c.now - batch.created_ms) // 10 + 1
    assert 61 < batch.bytes < 2000 and 0 < batch.fill < 1 and batch.compressed_size is None
    assert p.config["linger.ms"] == 50 and p.config["batch.size"] == 2000 and p.config["transactional.id"] is None
    # each batch leaves at its deadline: the next view shows a new, younger batch
    c.run_until(batch.linger_deadline_ms)
    after = c.view().producers()["p1"]
    assert all(b.created_ms > batch.created_ms for b in after.open_batches)
    assert [(q.in_flight, q.max_in_flight) for q in after.leaders] == [(1, 5)]


def test_a_full_batch_leaves_before_its_linger_deadline():
    c = _cluster(partitions=1)
    c.start_producer("p1", "orders", rate=1000, linger_ms=10_000, batch_size=500, value="x" * 40)
    c.advance(1000)
    p = c.view().producers()["p1"]
    assert p.acked > 900 and p.records_in_requests / p.batches == pytest.approx(9, abs=1)


def test_linger_trades_latency_for_fewer_requests():
    c = _cluster()
    c.start_producer("fast", "orders", rate=200, key="k{i}", linger_ms=0)
    c.start_producer("lingering", "orders", rate=200, key="k{i}", linger_ms=50)
    c.advance(2000)
    fast, lingering = c.view().producers()["fast"], c.view().producers()["lingering"]
    assert fast.requests >= 0.95 * fast.sent and fast.batches == fast.requests
    assert lingering.requests < fast.requests / 3
    assert lingering.records_in_requests / lingering.batches > 3
    assert fast.ack_latency_p50 < 10 and lingering.ack_latency_p50 >= 50
    assert fast.ack_latency_p95 <= fast.ack_latency_max


def test_acked_event_carries_the_batch_creation_time():
    c = _cluster(partitions=1)
    c.start_producer("p1", "orders", rate=100, linger_ms=30)
    c.advance(500)
    acks = _kinds(c, EventKind.PRODUCE_ACKED)
    assert acks and all(e.time - e.data["created_ms"] >= 30 for e in acks)


def test_same_seed_same_run():
    def run() -> list[tuple[int, str]]:
        c = _cluster(seed=5)
        c.start_producer("p1", "orders", rate=123, linger_ms=7)
        c.start_producer("p2", "orders", rate=77, key=["a", "b", "c"])
        c.advance(1500)
        c.stop_producer("p1")
        c.advance(500)
        return [(e.time, e.text) for e in c.events.history]
    assert run() == run()
