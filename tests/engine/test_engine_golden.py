"""Golden runs: speed-ups of the engine must not change what it does.

Each workload below is a deterministic run of the engine (seeded cluster, scripted actions),
and its digest is four sha256 (the first 32 hex digits each) over what a run is made of: the full event history (time,
kind, every field, the sentence), every network message as listeners see it (both hops,
with its body, its times and whether it was lost), every partition log on every broker
(segments, batches, records, offsets, watermarks, epoch cache), the scheduler's clock and
callback count (a saved workspace's journal pins commands by them), and the clients' and
audit's counters. The constants were recorded from the engine before it was optimised:
an optimisation that changes any of it fails here, naming the workload and the part.

If a change of behaviour is intended, print the new digests with
    PYTHONPATH=$PWD python -m tests.engine.test_engine_golden
and say in the commit why each one moved. (A new workload is recorded from the engine as it was
before the speed-ups: run its function with that engine's `playground` first on the path.)
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import deque
from enum import Enum
from types import BuiltinFunctionType, BuiltinMethodType, FunctionType, MethodType

import pytest

from playground.engine import Cluster, EventKind, KafkaError, TopicPartition

# -- canonical text of engine values ----------------------------------------------------------------

_PLAIN = (int, float, str, bytes, bool, type(None))
_FAST = frozenset(_PLAIN)
_CALLABLE = (FunctionType, MethodType, BuiltinFunctionType, BuiltinMethodType)


def _attributes(cls) -> tuple[str, ...]:
    """The fields of an engine class: dataclass fields, else __slots__ along the MRO (and, for
    objects with a __dict__, their vars(), added by `_object`)."""
    if dataclasses.is_dataclass(cls):
        return tuple(f.name for f in dataclasses.fields(cls))
    names: list[str] = []
    for klass in cls.__mro__:
        slots = klass.__dict__.get("__slots__", ())
        if isinstance(slots, str):
            slots = (slots,)
        names.extend(s for s in slots if s not in names and s not in ("__weakref__", "__dict__"))
    return tuple(names)


class Canon:
    """A canonical text of engine values: the same for equal values on any run, with no object
    addresses in it. Callables are named only by kind (a callback's identity is not state);
    a value met again inside itself, or nested too deep, is written as <…>."""

    def __init__(self, batches: dict | None = None) -> None:
        self.kinds: dict[type, tuple] = {}
        self.open: set[int] = set()
        # id -> (batch, text): a record batch is immutable once written and travels in many
        # messages (produce, then every replica's and consumer's fetch): written out once.
        # The logs are written without it, so a batch changed later still shows there.
        self.batches = batches

    def kind(self, cls: type) -> tuple:
        k = self.kinds.get(cls)
        if k is None:
            if issubclass(cls, Enum):
                k = ("enum",)
            elif issubclass(cls, _PLAIN) or cls.__repr__ is tuple.__repr__ and hasattr(cls, "_fields"):
                k = ("plain",)              # TopicPartition and other NamedTuples: repr is their value
            elif issubclass(cls, _CALLABLE):
                k = ("fn",)
            elif issubclass(cls, (list, tuple, deque)):
                k = ("seq",)
            elif issubclass(cls, dict):
                k = ("dict",)
            elif issubclass(cls, (set, frozenset)):
                k = ("set",)
            elif cls.__name__ == "Record":
                k = ("record",)
            elif cls.__name__ == "RecordBatch" and self.batches is not None:
                k = ("batch", cls.__name__, _attributes(cls))
            else:
                k = ("object", cls.__name__, _attributes(cls))
            self.kinds[cls] = k
        return k

    def write(self, value, out: list[str], depth: int = 0) -> None:
        k = self.kind(type(value))
        tag = k[0]
        if tag == "plain":
            out.append(repr(value))
            return
        if tag == "enum":
            out.append(f"{type(value).__name__}.{value.name}")
            return
        if tag == "fn":
            out.append("<fn>")
            return
        if tag == "record":
            out.append(repr((value.key, value.value, value.headers, value.timestamp, value.trace)))
            return
        if tag == "batch":
            cached = self.batches.get(id(value))
            if cached is None or cached[0] is not value:
                sub: list[str] = []
                self.batches[id(value)] = cached = (value, sub)
                self._object(value, k, sub, depth)
            out.extend(cached[1])
            return
        if depth > 14 or id(value) in self.open:
            out.append("<…>")
            return
        self.open.add(id(value))
        d = depth + 1
        write = self.write
        if tag == "seq":
            out.append("(" if isinstance(value, tuple) else "[")
            for v in value:
                if type(v) in _FAST:
                    out.append(repr(v))
                else:
                    write(v, out, d)
                out.append(",")
            out.append("]")
        elif tag == "dict":
            out.append("{")
            for key, v in value.items():
                write(key, out, d)
                out.append(":")
                if type(v) in _FAST:
                    out.append(repr(v))
                else:
                    write(v, out, d)
                out.append(",")
            out.append("}")
        elif tag == "set":
            parts = []
            for v in value:
                sub: list[str] = []
                write(v, sub, d)
                parts.append("".join(sub))
            out.append("set(" + ",".join(sorted(parts)) + ")")
        elif callable(value) and not k[2] and not hasattr(value, "__dict__"):
            out.append("<fn>")              # functools.partial and the like
        else:
            self._object(value, k, out, depth)
        self.open.discard(id(value))

    def _object(self, value, k: tuple, out: list[str], depth: int) -> None:
        out.append(k[1] + "(")
        names = k[2]
        if hasattr(value, "__dict__"):
            names = names + tuple(n for n in vars(value) if n not in names)
        for name in names:
            attr = getattr(value, name, _MISSING)
            if attr is _MISSING or isinstance(attr, _CALLABLE):
                continue
            out.append(name + "=")
            if type(attr) in _FAST:
                out.append(repr(attr))
            else:
                self.write(attr, out, depth + 1)
            out.append(",")
        out.append(")")


_MISSING = object()


def text(value, canon: Canon | None = None) -> str:
    out: list[str] = []
    (canon or Canon()).write(value, out)
    return "".join(out)


# -- what a run is made of -------------------------------------------------------------------------

class Recorder:
    """Hashes the network's messages as they are sent (bodies may be reused later) and, on
    `digest()`, the events, logs, clock and counters."""

    def __init__(self, cluster: Cluster, messages: bool = True) -> None:
        self.cluster = cluster
        self.messages = hashlib.sha256()
        self.message_count = 0
        self.marks: list[tuple[int, int]] = []
        self.canon = Canon(batches={})
        if messages:
            cluster.network.subscribe(self._on_message)

    def _on_message(self, m) -> None:
        self.message_count += 1
        self.messages.update(text((m.src, m.dst, m.api, m.direction, m.sent_at, m.arrive_at, m.lost,
                                   m.body), self.canon).encode())
        self.messages.update(b"\n")

    def advance(self, ms: int, step: int | None = None) -> None:
        """Advance `ms` (in steps of `step`, as the window does), then note the clock."""
        clock = self.cluster.clock
        end = clock.now + ms
        while clock.now < end:
            clock.run_until(min(end, clock.now + step) if step else end)
        self.marks.append((clock.now, clock.executed))

    def parts(self) -> dict[str, str]:
        c = self.cluster
        h = hashlib.sha256()
        for e in c.events.history:
            h.update(text((e.seq, e.time, e.kind, e.text, e.data)).encode())
            h.update(b"\n")
        events = h.hexdigest()
        h = hashlib.sha256()
        for bid in sorted(c.brokers):
            b = c.brokers[bid]
            for tp in sorted(b.disk):
                log = b.disk[tp]
                h.update(text((bid, tp, log.log_start_offset, log.log_end_offset, log.high_watermark,
                               log.epoch_cache, log.size_bytes, log.cleaner_checkpoint, log.last_clean_ms,
                               [(s.base_offset, s.next_offset, s.size_bytes, s.created_ms, s.last_modified_ms,
                                 s.max_timestamp, s.record_count, s.rolling_timestamp) for s in log.segments],
                               log.batches)).encode())
        logs = h.hexdigest()
        view = c.view()
        counters = text((
            self.marks, c.clock.now, c.clock.executed, c.clock.pending(), c.network.messages_sent,
            view.audit().as_report(),
            {n: (c.producer_metrics.of(n).requests, c.producer_metrics.of(n).batches,
                 c.producer_metrics.of(n).records, c.producer_metrics.of(n).latencies) for n in sorted(c.producers)},
            {n: (p.stats, p.closed) for n, p in sorted(c.producers.items())},
            {n: (k.polled, k.processed, k.app_state, k.error, k.positions, k.assignment)
             for n, k in sorted(c.consumers.items())},
            {g: view.group_committed(g) for g in sorted(view.groups())},
        ))
        return {"events": events, "messages": self.messages.hexdigest(), "logs": logs,
                "counters": hashlib.sha256(counters.encode()).hexdigest(),
                "sizes": f"{len(c.events.history)} events, {self.message_count} messages"}

    def digest(self, messages: bool = True) -> dict[str, str]:
        """The first 32 hex digits of each part's sha256 (messages left out for a run without them)."""
        p = self.parts()
        keys = ("events", "messages", "logs", "counters") if messages else ("events", "logs", "counters")
        return {k: p[k][:32] for k in keys}


# -- the workloads ----------------------------------------------------------------------------------

def bench_load(messages: bool = True) -> Recorder:
    """playground.bench_ui's engine-only load: 3 brokers, 6 partitions RF=3, 2,000 keyed records/s,
    two groups of two consumers, 1 ms hops, advanced in 16 ms frames. The groups' first rebalance
    does not wait group.initial.rebalance.delay.ms here, so that a short run reaches the steady
    state the benchmark measures (every consumer fetching and polling)."""
    c = Cluster(brokers=3, seed=0, network_latency=1, config={"group.initial.rebalance.delay.ms": 0})
    r = Recorder(c, messages)
    c.create_topic("bench", 6, 3, {"min.insync.replicas": 2}, immediate=True)
    c.start_producer("load", "bench", "2000", "k{i}", "record {i}")
    for group in ("g1", "g2"):
        for i in (1, 2):
            c.consumer(f"{group}-c{i}", group_id=group, topics=["bench"], commit="auto", processing_time=0,
                       **{"auto.offset.reset": "earliest"})
    r.advance(2000, step=16)
    return r


def failover() -> Recorder:
    """Broker kills and restarts, leader elections, an isolated and a slow broker, a controller
    failover, with idempotent acks=all, acks=1 and acks=0 producers and a group reading along."""
    c = Cluster(brokers=4, seed=11, network_latency=2)
    r = Recorder(c)
    c.create_topic("orders", 4, 3, {"min.insync.replicas": 2}, immediate=True)
    c.start_producer("keyed", "orders", "60", ["a", "b", "c", "d", "e"], "v{i}")
    c.start_producer("plain", "orders", "30", None, "p{i}", acks="1", linger_ms="0")
    c.start_producer("fire", "orders", "10", "f{i}", "x{i}", acks="0")
    c.consumer("r1", group_id="readers", topics=["orders"], auto_offset_reset="earliest")
    c.consumer("r2", group_id="readers", topics=["orders"], auto_offset_reset="earliest", max_poll_records=13)
    r.advance(4000, step=50)
    leader = c.leader_of("orders", 0)
    c.kill_broker(leader)
    r.advance(3000)
    c.slow_broker(c.leader_of("orders", 1), 40)
    r.advance(1500)
    c.restart_broker(leader)
    r.advance(4000, step=7)
    c.isolate_broker(c.leader_of("orders", 2))
    r.advance(12000)
    c.heal(next(iter(c.isolated_brokers())) if c.isolated_brokers() else 101)
    r.advance(3000)
    c.kill_controller()
    r.advance(6000)
    for partition in range(4):
        try:
            c.elect_leaders("orders", partition, "preferred")
        except KafkaError as e:         # ELECTION_NOT_NEEDED where the preferred replica leads
            c.events.emit(EventKind.STEP_ERROR, str(e), error=e.error.name)
    c.drop_requests(c.leader_of("orders", 3), "produce", 2)
    r.advance(3000)
    c.stop_producer("keyed")
    r.advance(2000)
    return r


def zookeeper_failover() -> Recorder:
    """The same kind of failover in ZooKeeper mode (the history lesson's cluster)."""
    c = Cluster(brokers=3, seed=4, mode="zookeeper")
    r = Recorder(c)
    c.create_topic("orders", 3, 3, {"min.insync.replicas": 2}, immediate=True)
    c.start_producer("zk", "orders", "80", "k{i}", "v{i}")
    c.consumer("z1", group_id="zg", topics=["orders"], auto_offset_reset="earliest")
    r.advance(4000)
    c.kill_broker(c.leader_of("orders", 0))
    r.advance(8000, step=100)
    for b in c.dead_nodes():
        c.restart_broker(b)
    r.advance(6000)
    return r


def transactions() -> Recorder:
    """A transactional producer committing and aborting, read_committed and read_uncommitted
    groups, and an exactly-once consume-transform-produce pipeline that crashes mid-batch."""
    c = Cluster(brokers=3, seed=5)
    r = Recorder(c)
    c.create_topic("in", 3, 3, {"min.insync.replicas": 2}, immediate=True)
    c.create_topic("out", 2, 3, {"min.insync.replicas": 2}, immediate=True)
    tx = c.producer("tx", **{"transactional.id": "tx-1"})
    c.consumer("rc1", group_id="committed", topics=["in"], auto_offset_reset="earliest",
               isolation_level="read_committed")
    c.consumer("rc2", group_id="committed", topics=["in"], auto_offset_reset="earliest",
               isolation_level="read_committed")
    c.consumer("ru", group_id="uncommitted", topics=["in"], auto_offset_reset="earliest")
    r.advance(1000)
    for round_ in range(8):
        tx.begin_transaction()
        for i in range(6 + round_):
            tx.send("in", f"t{round_}-{i}".encode(), key=f"k{i % 4}".encode())
            r.advance(3)
        r.advance(60)
        if round_ % 3 == 1:
            tx.abort_transaction()
        else:
            tx.commit_transaction()
        r.advance(150)
    c.producer("pipe", **{"transactional.id": "pipe-1"})
    c.consumer("eos", group_id="eos", topics=["in"], auto_offset_reset="earliest", commit="transactional",
               processing_time=20, max_poll_records=4, output="pipe", output_topic="out", session_timeout_ms=6000)
    r.advance(4500)
    c.consumers["eos"].crash()
    r.advance(100)
    c.consumer("eos", group_id="eos", topics=["in"])
    r.advance(9000)
    reader = c.consumer("out-reader", None, None, auto_offset_reset="earliest", isolation_level="read_committed")
    reader.assign([TopicPartition("out", 0), TopicPartition("out", 1)])
    r.advance(1500)
    return r


def storage() -> Recorder:
    """Segments rolled by bytes, retention deleting them on its check interval, and the cleaner
    compacting a keyed topic with tombstones, with a consumer reading across the gaps."""
    c = Cluster(brokers=3, seed=9, config={"log.cleaner.backoff.ms": 700, "log.retention.check.interval.ms": 900,
                                           "log.initial.task.delay.ms": 500})
    r = Recorder(c)
    c.create_topic("compacted", 2, 3, {"cleanup.policy": "compact", "segment.bytes": 700,
                                       "min.cleanable.dirty.ratio": 0.1, "delete.retention.ms": 2000,
                                       "min.insync.replicas": 2}, immediate=True)
    c.create_topic("short", 2, 2, {"segment.bytes": 900, "retention.ms": 2500}, immediate=True)
    c.start_producer("keys", "compacted", "60", ["a", "b", "c", "d", "e", "f"], "value {i}", linger_ms="0")
    c.start_producer("stream", "short", "80", None, "s{i}")
    c.consumer("k-reader", group_id="kr", topics=["compacted"], auto_offset_reset="earliest", max_poll_records=9)
    r.advance(3000)
    tomb = c.producer("tomb", linger_ms=0)
    for key in ("a", "c"):
        tomb.send("compacted", None, key=key.encode())
    r.advance(6000, step=30)
    c.consumer("late", group_id="late", topics=["compacted", "short"], auto_offset_reset="earliest")
    c.stop_producer("keys")
    r.advance(6000)
    return r


def rebalances() -> Recorder:
    """Members joining, leaving, crashing and stalling past max.poll.interval.ms, with eager and
    cooperative assignors, static membership, partitions added, and an offset reset."""
    c = Cluster(brokers=3, seed=2)
    r = Recorder(c)
    c.create_topic("orders", 5, 3, {"min.insync.replicas": 2}, immediate=True)
    c.start_producer("src", "orders", "30", "key-{i}", "v{i}", linger_ms="10")
    c.consumer("e1", group_id="eager", topics=["orders"], auto_offset_reset="earliest", assignor="range",
               processing_time=1, commit="after_processing")
    c.consumer("s1", group_id="coop", topics=["orders"], auto_offset_reset="earliest", assignor="cooperative-sticky")
    r.advance(4500)
    c.consumer("e2", group_id="eager", topics=["orders"], auto_offset_reset="earliest", assignor="range",
               max_poll_interval_ms=6000)
    c.consumer("s2", group_id="coop", topics=["orders"], auto_offset_reset="earliest",
               assignor="cooperative-sticky", group_instance_id="s2-host", session_timeout_ms=8000)
    c.consumer("s3", group_id="coop", topics=["orders"], auto_offset_reset="earliest",
               assignor="cooperative-sticky", commit="before_processing", processing_time=2)
    r.advance(5000)
    c.consumers["e2"].pause()
    c.consumers["s1"].crash()
    r.advance(4000)
    c.add_partitions("orders", 7)
    c.consumers["s3"].close()
    r.advance(6000)
    c.consumers["e2"].resume()
    c.consumer("s1", group_id="coop", topics=["orders"])
    r.advance(5000)
    for name in ("e1", "e2"):
        c.consumers[name].close()
    r.advance(2000)
    c.reset_offsets("eager", "orders", "earliest")
    r.advance(500)
    c.consumer("e3", group_id="eager", topics=["orders"], assignor="range")
    r.advance(5000)
    return r


def topics() -> Recorder:
    """Topics changing under load: configs altered (LogAppendTime, compression, min.insync.replicas,
    retention), partitions added, a topic deleted and created again under the same name, a
    preferred leader election after a restart, and a broker slowed and sped up again."""
    c = Cluster(brokers=3, seed=13, network_latency=2)
    r = Recorder(c)
    c.create_topic("events", 3, 3, {"min.insync.replicas": 2}, immediate=True)
    c.create_topic("scratch", 2, 2, immediate=True)
    c.start_producer("ev", "events", "90", "e{i}", "v{i}")
    c.start_producer("sc", "scratch", "40", None, "s{i}", acks="1")
    c.consumer("ev-reader", group_id="evg", topics=["events"], auto_offset_reset="earliest")
    reader = c.consumer("sc-reader", None, None, auto_offset_reset="earliest")
    reader.assign([TopicPartition("scratch", 0), TopicPartition("scratch", 1)])
    r.advance(3000)
    c.alter_config("topic", "events", {"message.timestamp.type": "LogAppendTime", "compression.type": "gzip"})
    r.advance(1500)
    c.add_partitions("events", 5)
    c.alter_config("topic", "events", {"min.insync.replicas": 3})
    r.advance(2000)
    c.stop_producer("sc")
    r.advance(300)
    c.delete_topic("scratch")
    r.advance(5)
    c.create_topic("scratch", 2, 3, {"retention.ms": 1500, "segment.bytes": 800}, immediate=True)
    c.start_producer("sc2", "scratch", "60", "k{i}", "t{i}")
    r.advance(2500)
    c.kill_broker(102)
    r.advance(1500)
    c.restart_broker(102)
    c.slow_broker(103, 25)
    r.advance(4000)
    c.slow_broker(103, 0)
    for partition in range(5):
        try:
            c.elect_leaders("events", partition, "preferred")
        except KafkaError as e:
            c.events.emit(EventKind.STEP_ERROR, str(e), error=e.error.name)
    c.alter_config("topic", "events", {"min.insync.replicas": 2, "compression.type": "producer"})
    r.advance(3000)
    return r


WORKLOADS = {"bench_load": bench_load, "failover": failover, "zookeeper_failover": zookeeper_failover,
             "transactions": transactions, "storage": storage, "rebalances": rebalances, "topics": topics}

# Recorded from the engine before its speed-ups (commit cd16071).
GOLDEN = {
    # 12661 events, 16169 messages
    "bench_load": {
        "events": "dfa59da9fa5039728969036886ebbeea",
        "messages": "e65f21f93c1b2319c2b1dd3383c19a0f",
        "logs": "fbc4803c294a7ebe772f18bded4c0704",
        "counters": "7be4e3ced3bc75ef85a50c26b4fe88e5",
    },
    # 18755 events, 22754 messages
    "failover": {
        "events": "2a18fe525246f91a884888236fa42207",
        "messages": "0f190f10fbb461c1bb25573aa2513fdc",
        "logs": "a0321c07b63b6514d1b42275cc26fcea",
        "counters": "748d9abb2dfd032dec12f4e3eed06742",
    },
    # 5213 events, 12015 messages
    "zookeeper_failover": {
        "events": "658846760856586cc447c9e8331be91f",
        "messages": "a3fb4dec43c87b9e8da9327bb9ad1fd1",
        "logs": "aa2eeca1a287c4705c22c67d8eb89885",
        "counters": "1e020576d0e042e7e900ecd6ed69e63b",
    },
    # 2026 events, 3372 messages
    "transactions": {
        "events": "1aae81df01d058959f3178fb34a1dd37",
        "messages": "e1d60a928bbd15f5314d736fddcea465",
        "logs": "c18313402d6f61f09c4184e6a53d53eb",
        "counters": "72b22adbfe423b6e3a566b9bb2fbf559",
    },
    # 10561 events, 9930 messages
    "storage": {
        "events": "0f2e25e5983cfdd91f875bc3b483a242",
        "messages": "a0b4c79b16b4e3e55aae1eab99416219",
        "logs": "95e2d8e312683628a0ea5b48ddc67e5d",
        "counters": "d8a13f9d779f667515f28ccc53b9f6e7",
    },
    # 9835 events, 11803 messages
    "rebalances": {
        "events": "a2ca445e55553cb0e111080f8a3e1e55",
        "messages": "6a6403b657e4b868fa21f915f04d1662",
        "logs": "c0187c755c165bb5c825d26207a37166",
        "counters": "b0eef000ed83413e4306a11b2928a164",
    },
    # 15305 events, 17777 messages
    "topics": {
        "events": "817ba182295ede7ee17cab68c68beba9",
        "messages": "fc4bf595096c700a4c475039ec21b740",
        "logs": "de6904b1a106a82808ebe4379df621e7",
        "counters": "389e4679acf6d8e5bcec1b6c6b37e3c1",
    },
}


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_workload_digest_is_unchanged(name):
    r = WORKLOADS[name]()
    got, want = r.digest(), GOLDEN[name]
    changed = [k for k in want if got.get(k) != want[k]]
    assert not changed, f"{name}: the run's {', '.join(changed)} changed ({r.parts()['sizes']})"


def test_the_bench_load_without_network_listeners_runs_the_same():
    """Without listeners the network builds no Message (the benchmark's case): the run itself
    must not differ from the recorded one."""
    want = {k: v for k, v in GOLDEN["bench_load"].items() if k != "messages"}
    assert bench_load(messages=False).digest(messages=False) == want


def test_the_digest_sees_a_change():
    """The digest is not blind: one record's value changed in one log changes it."""
    r = transactions()
    before = r.digest()
    log = next(log for log in r.cluster.brokers[101].disk.values() if log.batches)
    rec = log.batches[0].records[0]
    rec.value = (rec.value or b"") + b"!"
    assert r.digest() != before


if __name__ == "__main__":
    import time
    for name, run in WORKLOADS.items():
        t0 = time.perf_counter()
        rec = run()
        print(f"    # {rec.parts()['sizes']} ({time.perf_counter() - t0:.1f} s)")
        print(f'    "{name}": {{' + ", ".join(f'"{k}": "{v}"' for k, v in rec.digest().items()) + "},")
