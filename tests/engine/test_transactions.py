"""Transactions: coordinator, markers, the last stable offset, read_committed, fencing, timeouts,
and exactly-once consume-transform-produce."""

import pytest

from playground.engine import Cluster, EventKind, KafkaError, TopicPartition
from playground.engine.errors import Errors

TP = TopicPartition("orders", 0)


def _cluster() -> Cluster:
    c = Cluster(seed=0)
    c.create_topic("orders", 1, 3, {"min.insync.replicas": 2}, immediate=True)
    return c


def _txn_producer(c: Cluster, name: str = "tx", tid: str = "tx-1", **config):
    p = c.producer(name, **{"transactional.id": tid}, **config)
    c.advance(1000)                    # initTransactions(): find the coordinator, InitProducerId
    return p


def _read(c: Cluster, name: str, isolation: str) -> list[bytes]:
    consumer = c.consumer(name, None, None, auto_offset_reset="earliest", isolation_level=isolation)
    got: list[bytes] = []
    consumer.on_records = lambda recs: got.extend(r.record.value for r in recs)
    consumer.assign([TP])
    c.advance(1000)
    return got


def _log(c: Cluster):
    return c.view().authoritative_log("orders", 0)


def test_init_transactions_creates_the_state_topic_and_gives_an_id_and_epoch():
    c = _cluster()
    p = _txn_producer(c)
    assert (p.txn.state, p.txn.producer_id, p.txn.epoch) == ("READY", 0, 0)
    assert "__transaction_state" in c.view().topic_names(include_internal=True)
    assert c.view().transactions()["tx-1"].state == "Empty"


def test_aborted_records_are_invisible_to_read_committed_and_visible_to_read_uncommitted():
    c = _cluster()
    p = _txn_producer(c)
    p.begin_transaction()
    for i in range(3):
        p.send("orders", f"aborted-{i}".encode())
    c.advance(100)
    p.abort_transaction()
    c.advance(100)
    p.begin_transaction()
    p.send("orders", b"committed")
    c.advance(100)
    p.commit_transaction()
    c.advance(100)
    assert _read(c, "rc", "read_committed") == [b"committed"]
    assert _read(c, "ru", "read_uncommitted") == [b"aborted-0", b"aborted-1", b"aborted-2", b"committed"]
    # Markers take offsets: 3 records, ABORT, 1 record, COMMIT.
    controls = [(off, b.is_control) for off, _, b in _log(c).records()]
    assert controls == [(0, False), (1, False), (2, False), (3, True), (4, False), (5, True)]
    txn = c.view().partition_txn("orders", 0)
    assert txn.aborted == ((0, 0, 3),) and txn.last_stable_offset == 6


def test_an_open_transaction_holds_the_last_stable_offset_back():
    c = _cluster()
    plain = c.producer("plain")
    plain.send("orders", b"before")
    c.advance(500)
    p = _txn_producer(c)
    p.begin_transaction()
    p.send("orders", b"open")
    c.advance(200)
    plain.send("orders", b"after")
    c.advance(200)
    txn = c.view().partition_txn("orders", 0)
    assert txn.high_watermark == 3 and txn.last_stable_offset == 1
    assert txn.open_transactions == {p.txn.producer_id: 1}
    assert _read(c, "rc", "read_committed") == [b"before"]
    p.commit_transaction()
    c.advance(500)
    assert c.view().partition_txn("orders", 0).last_stable_offset == 4
    assert c.consumers["rc"].polled == 3       # the LSO moved: "open" and "after" arrive now


def test_a_new_instance_fences_the_zombie_and_aborts_its_transaction():
    c = _cluster()
    zombie = _txn_producer(c, "old")
    zombie.begin_transaction()
    zombie.send("orders", b"from-zombie")
    c.advance(200)
    fresh = _txn_producer(c, "new", tid="tx-1")
    c.advance(2000)
    assert fresh.txn.state == "READY" and fresh.txn.epoch == 2
    aborted = [e for e in c.events.of_kind(EventKind.TXN_PREPARED) if not e.data["committed"]]
    assert aborted and "fencing" in aborted[0].text
    results = []
    zombie.commit_transaction(lambda e, m: results.append(e))
    c.advance(1000)
    assert results == [Errors.PRODUCER_FENCED] and zombie.txn.fatal[0] == Errors.PRODUCER_FENCED
    # Writes of the old epoch are refused by the partition leader too.
    zombie.txn.fatal = None
    zombie.txn.state = "IN_TRANSACTION"
    zombie.txn.partitions.add(TP)
    zombie.send("orders", b"late")
    c.advance(1000)
    assert zombie.stats.errors.get("INVALID_PRODUCER_EPOCH") == 1
    assert _read(c, "rc", "read_committed") == []


def test_send_outside_a_transaction_is_refused():
    c = _cluster()
    p = _txn_producer(c)
    p.send("orders", b"x")
    assert p.stats.failed == 1 and p.stats.errors == {"INVALID_TXN_STATE": 1}
    with pytest.raises(KafkaError):
        c.producer("plain").begin_transaction()


def test_a_transaction_open_longer_than_its_timeout_is_aborted():
    c = _cluster()
    p = _txn_producer(c, **{"transaction.timeout.ms": 5000})
    p.begin_transaction()
    p.send("orders", b"slow")
    c.advance(20_000)              # past the timeout, and the coordinator's 10 s check
    assert c.view().transactions()["tx-1"].state == "CompleteAbort"
    assert c.view().partition_txn("orders", 0).aborted
    results = []
    p.commit_transaction(lambda e, m: results.append(e))
    c.advance(1000)
    assert results == [Errors.PRODUCER_FENCED]


def test_the_coordinator_finishes_a_prepared_commit_after_failing_over():
    c = _cluster()
    p = _txn_producer(c)
    p.begin_transaction()
    p.send("orders", b"x")
    c.advance(200)
    coordinator = c.view().transactions()["tx-1"].coordinator
    p.commit_transaction()
    # Let PrepareCommit reach the log, then kill the coordinator before it finishes the markers.
    while c.view().transactions().get("tx-1") and c.view().transactions()["tx-1"].state == "Ongoing":
        c.step()
    c.kill_broker(coordinator)
    c.advance(30_000)
    states = {t.state for t in c.view().transactions().values()}
    assert states == {"CompleteCommit"}
    assert _read(c, "rc", "read_committed") == [b"x"]


def _pipeline(commit: str, seed: int = 3):
    c = Cluster(brokers=3, seed=seed)
    c.create_topic("in", 2, 3, {"min.insync.replicas": 2}, immediate=True)
    c.create_topic("out", 2, 3, {"min.insync.replicas": 2}, immediate=True)
    src = c.producer("src")
    for i in range(40):
        src.send("in", f"v{i}".encode(), key=f"k{i % 5}".encode())
    c.advance(500)
    c.producer("tx", **({"transactional.id": "pipe-1"} if commit == "transactional" else {}))
    consumer = c.consumer("c1", "g1", ["in"], auto_offset_reset="earliest", commit=commit, processing_time=100,
                          max_poll_records=5, output="tx", output_topic="out", session_timeout_ms=6000)
    c.advance(5000)
    assert 0 < consumer.processed < 40
    consumer.crash()                   # mid-batch: some outputs sent, their offsets not committed
    c.advance(100)
    consumer = c.consumer("c1", "g1", ["in"])
    c.advance(30_000)
    reader = c.consumer("reader", None, None, auto_offset_reset="earliest", isolation_level="read_committed")
    reader.assign([TopicPartition("out", 0), TopicPartition("out", 1)])
    c.advance(2000)
    return c.view().audit(), reader.polled


def test_a_crash_in_an_at_least_once_pipeline_duplicates_output():
    audit, read = _pipeline("after_processing")
    assert audit.consumed_duplicates > 0 and audit.output_duplicates > 0 and read > 40


def test_a_crash_in_an_exactly_once_pipeline_leaves_no_duplicate_output():
    audit, read = _pipeline("transactional")
    assert audit.consumed_duplicates > 0, "the batch in hand is processed again..."
    assert audit.output_duplicates == 0 and read == 40, "...but its first output was aborted"


def test_the_cleaner_never_lets_an_open_transaction_supersede_a_committed_value():
    c = Cluster(seed=0, config={"log.cleaner.backoff.ms": 500})
    c.create_topic("prices", 1, 3, {"cleanup.policy": "compact", "segment.bytes": 200,
                                    "min.cleanable.dirty.ratio": 0.01}, immediate=True)
    plain = c.producer("plain", linger_ms=0)
    plain.send("prices", b"committed", key=b"apple")
    c.advance(300)
    p = c.producer("tx", **{"transactional.id": "tx-1"}, linger_ms=0)
    c.advance(1000)
    p.begin_transaction()
    p.send("prices", b"maybe", key=b"apple")
    for i in range(6):                 # roll segments behind the open transaction
        plain.send("prices", f"filler-{i}".encode(), key=f"k{i}".encode())
    c.advance(3000)
    values = [rec.value for _, rec, b in c.view().authoritative_log("prices", 0).records() if not b.is_control]
    assert b"committed" in values, "cleaned past the last stable offset"
    p.abort_transaction()
    c.advance(3000)
    reader = c.consumer("rc", None, None, auto_offset_reset="earliest", isolation_level="read_committed")
    got = {}
    reader.on_records = lambda recs: got.update({r.record.key: r.record.value for r in recs})
    reader.assign([TopicPartition("prices", 0)])
    c.advance(1000)
    assert got[b"apple"] == b"committed"
    # Once the abort is below the last stable offset, the cleaner removes the aborted record on every
    # replica (Kafka's CleanedTransactionMetadata); the committed apple stays.
    for i in range(6):
        plain.send("prices", f"more-{i}".encode(), key=f"m{i}".encode())
    c.advance(5000)
    view = c.view()
    for broker in (101, 102, 103):
        log = view.replica_log(broker, "prices", 0)
        values = [rec.value for _, rec, b in log.records() if not b.is_control]
        assert b"maybe" not in values and b"committed" in values, f"broker {broker}: {values}"
    cleaned = [e for e in c.events.history if e.kind == EventKind.LOG_CLEANED and e.data.get("aborted_removed")]
    assert cleaned and "record(s) of aborted transactions" in cleaned[0].text
    assert view.audit().acked_lost == 0


def test_aborted_records_a_read_committed_group_never_sees_are_not_counted_as_skipped():
    c = _cluster()
    p = _txn_producer(c)
    p.begin_transaction()
    p.send("orders", b"aborted")
    c.advance(100)
    p.abort_transaction()
    c.advance(100)
    p.begin_transaction()
    p.send("orders", b"kept")
    c.advance(100)
    p.commit_transaction()
    c.advance(100)
    consumer = c.consumer("c1", "g1", ["orders"], auto_offset_reset="earliest", commit="after_processing",
                          isolation_level="read_committed")
    c.advance(10_000)
    audit = c.view().audit()
    assert consumer.processed == 1 and c.view().group_committed("g1")[TP] == 4
    assert audit.skipped == 0
