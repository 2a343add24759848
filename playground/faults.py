"""Seeded random fault schedules over a simulated cluster.

One function, `run_fault_schedule(seed)`, shared by the property test
(`tests/engine/test_fault_schedules.py`) and the benchmark
(`python -m playground.bench faults`), so the benchmark measures exactly what
the test runs. Everything random comes from `random.Random(seed)`: a seed
names one run, and running it again replays it step for step.

The run (by default): 3 brokers, one topic with 3 partitions, replication
factor 3, `min.insync.replicas=2`, unclean leader election off; two acks=all
producers (one keyed, one not) send all along while faults come and go —
`kill_broker`/`restart_broker` and `isolate_broker`/`heal` with at most one
broker down or isolated at a time, and `slow_broker` on any broker. Then
every fault is undone and the cluster settles, and `audit()` compares what
producers were told with the logs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from playground.engine import Cluster
from playground.engine.audit import AuditSummary
from playground.engine.invariants import InvariantChecker, InvariantViolation

TOPIC = "orders"
PARTITIONS = 3


@dataclass
class FaultRun:
    seed: int
    options: dict                       # run_fault_schedule's keyword arguments, to replay it
    schedule: list[str] = field(default_factory=list)     # what was done, when, to whom
    audit: AuditSummary | None = None
    violation: InvariantViolation | None = None
    settled: bool = False
    unsettled: str | None = None        # what still was not in order when settling gave up
    steps_checked: int = 0
    steps: int = 0                      # every scheduler step, client steps included
    events: int = 0
    virtual_ms: int = 0
    cluster: Cluster | None = None

    def describe(self) -> str:
        """The seed and its schedule, for an assertion message."""
        args = "".join(f", {k}={v!r}" for k, v in self.options.items())
        lines = [f"seed {self.seed} (replay: run_fault_schedule({self.seed}{args})); schedule:"]
        lines += [f"  {step}" for step in self.schedule] or ["  (no faults)"]
        return "\n".join(lines)


def run_fault_schedule(seed: int, *, duration_ms: int = 20_000, max_fault_ms: int = 20_000,
                       settle_ms: int = 60_000, check_invariants: bool = True, acks: str = "all",
                       min_insync_replicas: int = 2, mode: str = "kraft", topic_config: dict | None = None,
                       broker_config: dict | None = None) -> FaultRun:
    """Run one seeded schedule; an invariant violation is caught and returned, not raised.

    A broker stays down or isolated between 1 s and `max_fault_ms`: past
    broker.session.timeout.ms (9 s) it is fenced, past replica.lag.time.max.ms
    (30 s) an isolated leader also tries to shrink its ISR. `topic_config` and
    `broker_config` add settings (small segments, short retention, compaction)
    to the topic and the brokers.
    """
    rng = random.Random(seed)
    cluster = Cluster(brokers=3, seed=seed, mode=mode, config=broker_config)
    cluster.create_topic(TOPIC, PARTITIONS, 3, {"min.insync.replicas": min_insync_replicas,
                                                "unclean.leader.election.enable": False, **(topic_config or {})},
                         immediate=True)
    options = {"duration_ms": duration_ms, "max_fault_ms": max_fault_ms, "acks": acks,
               "min_insync_replicas": min_insync_replicas, "mode": mode}
    if topic_config:
        options["topic_config"] = dict(topic_config)
    if broker_config:
        options["broker_config"] = dict(broker_config)
    run = FaultRun(seed, options, cluster=cluster)
    checker = InvariantChecker(cluster) if check_invariants else None
    steps = [0]

    def count(_timer) -> None:
        steps[0] += 1

    stop_counting = cluster.clock.observe(count)
    keyed = cluster.producer("keyed", acks=acks)
    unkeyed = cluster.producer("unkeyed", acks=acks, linger_ms=rng.choice([0, 5, 20]))
    brokers = sorted(cluster.brokers)

    def log(action: str) -> None:
        run.schedule.append(f"t={cluster.now} ms {action}")

    def target() -> int:
        # Half the time hit whoever leads a partition now: that is where faults hurt.
        if rng.random() < 0.5:
            pv = cluster.view().partitions(TOPIC)[rng.randrange(PARTITIONS)]
            if pv.leader >= 0:
                return pv.leader
        return rng.choice(brokers)

    def undo(kind: str, broker: int) -> None:
        if kind == "kill":
            cluster.restart_broker(broker)
            log(f"restart_broker({broker})")
        else:
            cluster.heal(broker)
            log(f"heal({broker})")

    down: tuple[str, int, int] | None = None        # (kill | isolate, broker, when to undo)
    slowed: dict[int, int] = {}                     # broker -> when to speed it up again
    n = 0
    try:
        while cluster.now < duration_ms:
            for _ in range(rng.randrange(1, 4)):
                keyed.send(TOPIC, b"k-%d" % n, key=b"user-%d" % rng.randrange(20))
                unkeyed.send(TOPIC, b"u-%d" % n)
                n += 1
            now = cluster.now
            if down is not None and now >= down[2]:
                undo(down[0], down[1])
                down = None
            elif down is None and rng.random() < 0.06:
                broker = target()
                # Some come back before broker.session.timeout.ms (9 s) fences them, most after.
                until = now + rng.randrange(1_000, max_fault_ms)
                if rng.random() < 0.5:
                    cluster.kill_broker(broker)
                    log(f"kill_broker({broker})")
                    down = ("kill", broker, until)
                else:
                    cluster.isolate_broker(broker)
                    log(f"isolate_broker({broker})")
                    down = ("isolate", broker, until)
            for broker, until in sorted(slowed.items()):
                if now >= until:
                    cluster.slow_broker(broker, 0)
                    log(f"slow_broker({broker}, 0)")
                    del slowed[broker]
            if rng.random() < 0.02:
                broker = rng.choice(brokers)
                delay = rng.choice([200, 1_000, 3_000])
                cluster.slow_broker(broker, delay)
                log(f"slow_broker({broker}, {delay})")
                slowed[broker] = now + rng.randrange(2_000, 15_000)
            cluster.advance(rng.randrange(50, 400))
        # Undo every fault, then let the cluster settle.
        if down is not None:
            undo(down[0], down[1])
        for broker in sorted(slowed):
            cluster.slow_broker(broker, 0)
            log(f"slow_broker({broker}, 0)")
        run.unsettled = _settle(cluster, settle_ms)
        run.settled = run.unsettled is None
        if checker is not None:
            checker.check()
    except InvariantViolation as exc:
        run.violation = exc
    finally:
        stop_counting()
        run.steps = steps[0]
        if checker is not None:
            run.steps_checked = checker.steps_checked
            checker.close()
    run.audit = cluster.view().audit()
    run.events = len(cluster.events.history)
    run.virtual_ms = cluster.now
    return run


def _settle(cluster: Cluster, limit_ms: int) -> str | None:
    """Advance until every send is answered and every replica is in sync; else say what is not."""
    deadline = cluster.now + limit_ms
    while True:
        cluster.advance(500)
        unsettled = _unsettled(cluster)
        if unsettled is None or cluster.now >= deadline:
            return unsettled


def _unsettled(cluster: Cluster) -> str | None:
    for name, p in sorted(cluster.producers.items()):
        if p.stats.acked + p.stats.failed < p.stats.sent:
            return f"producer {name} still waits for {p.stats.sent - p.stats.acked - p.stats.failed} record(s)"
    for pv in cluster.view().partitions(TOPIC):
        if pv.leader < 0:
            return f"{TOPIC}/{pv.partition} has no leader"
        if len(pv.isr) < len(pv.replicas):
            return f"{TOPIC}/{pv.partition} has ISR {list(pv.isr)} of replicas {list(pv.replicas)}"
        if any(leo != pv.high_watermark for leo in pv.log_end_offsets.values()):
            return (f"{TOPIC}/{pv.partition} has high watermark {pv.high_watermark}, log end offsets "
                    f"{pv.log_end_offsets}")
    return None
