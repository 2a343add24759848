"""Safety invariants of replication, checked after every step of the scheduler.

Kafka's `RaftEventSimulationTest` checks its invariants after every event of
a seeded simulation; `InvariantChecker` does the same for the playground's
data plane, so a fault-schedule test fails at the first step that breaks a
guarantee rather than at the end, when the evidence is gone.

The three invariants (each names the Kafka rule it rests on):

1. **One leader per epoch** (`one-leader-per-epoch`). A leader epoch is
   handed out once, by the controller, to one broker. So among the live
   brokers that act as leader of a partition (`broker.leaders[tp]`), at most
   one acts at a given `leader_epoch`, and over the whole run no two
   different brokers ever act as leader of the same partition at the same
   epoch. Older epochs may still be acted on by a zombie (an isolated
   leader that has not learned it was replaced): that is allowed, a second
   leader at the *same* epoch is not.

2. **The high watermark never passes an in-sync replica** (`hw-within-isr`).
   Kafka's `Partition.maybeIncrementLeaderHW` moves the leader's HW only
   forward and only to the smallest log end offset among the *maximal* ISR
   (the ISR plus replicas whose addition is pending, KIP-497), and a replica
   only joins the ISR once its log end offset has reached the HW. Log end
   offsets a leader has learned only grow within its epoch (a follower
   whose log diverged truncates *before* its fetch is counted, KIP-101/279;
   the truncation point is never below the HW). So for every live broker L
   acting as leader with ISR I (L's own view), HW = L's high watermark:
     a. HW <= L's log end offset;
     b. HW <= the log end offset L has learned for each follower in I —
        for followers that have fetched in L's epoch: a new leader starts
        with every follower's offset unknown (Kafka resets them in
        `makeLeader`), and an unknown offset holds the HW back but is no
        breach;
     c. HW <= the actual log end offset of each live follower in I (the
        simulated disk loses nothing on a crash; real Kafka without fsync
        can, which KIP-966 addresses);
     d. the high watermark of each live follower in I is <= its own log end
        offset (a follower takes min(leader's HW, its log end offset)).

3. **Committed records are stable** (`committed-stable`). Let the committed
   prefix of a partition be offsets [0, H), H the largest HW any leader ever
   published for it, with each record's (producer, send serial, key, value,
   leader epoch) as that leader held it. With unclean leader election off,
   Kafka elects only replicas that hold the committed prefix (ISR members,
   or KIP-966 ELR members, which is why the HW stops while the ISR is under
   `min.insync.replicas`, KAFKA-15583). So:
     a. the leader the active controller has elected, once alive, holds all
        of [0, H), unchanged — whether or not it has learned it leads yet;
     b. every live broker acting as leader (zombies too) holds
        [0, min(its HW, H)) unchanged — a consumer reading below any
        leader's HW sees committed records only.
   This holds whatever `acks` producers use (acks=1 loses records that were
   never committed, not committed ones); it does not hold for a topic with
   `unclean.leader.election.enable=true`, so by default the check is off for
   such topics (and for good once a topic was ever unclean). Pass
   `committed_stability=True` to check every topic anyway (to watch an
   unclean election break it) or False to skip it.

Violations are raised as `InvariantViolation` (an AssertionError) by default,
or collected in `violations`; each names the virtual time, the scheduler step
that ran, the last engine event, the partition and what broke.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .client import ClientMetadata
from .consumer import Consumer
from .log import PartitionLog
from .network import Network
from .producer import Producer
from .protocol import TopicPartition

ONE_LEADER = "one-leader-per-epoch"
HW_WITHIN_ISR = "hw-within-isr"
COMMITTED_STABLE = "committed-stable"


@dataclass(frozen=True)
class Violation:
    time: int
    invariant: str
    topic: str
    partition: int
    detail: str
    step: str
    event: str

    def __str__(self) -> str:
        return (f"t={self.time} ms [{self.invariant}] {self.topic}/{self.partition}: {self.detail} "
                f"(after step {self.step}; last event: {self.event})")


class InvariantViolation(AssertionError):
    def __init__(self, violation: Violation) -> None:
        super().__init__(str(violation))
        self.violation = violation


def _fingerprint(record, batch) -> tuple:
    origin = batch.origin.producer if batch.origin is not None else None
    return origin, record.trace, record.key, record.value, batch.leader_epoch


def _describe_step(timer: Any) -> str:
    if timer is None:
        return "a direct call"
    cb = timer.callback
    name = getattr(cb, "__qualname__", None) or type(cb).__name__
    env = timer.args[0] if timer.args else None
    if hasattr(env, "api") and hasattr(env, "src"):
        return f"{name}({env.api} {env.src}→{env.dst})"
    return name


class InvariantChecker:
    """Checks the invariants above on `cluster` after every scheduler step.

    `close()` stops checking; `check()` checks once more on demand (after
    the test itself changed the cluster, e.g. killed a broker).
    """

    def __init__(self, cluster, *, raise_on_violation: bool = True,
                 committed_stability: bool | None = None) -> None:
        self._c = cluster
        self.raise_on_violation = raise_on_violation
        self.committed_stability = committed_stability
        self.violations: list[Violation] = []
        self.steps_checked = 0
        self.client_steps = 0           # steps that ran only client code, which cannot break an invariant
        self._last_event = "none yet"
        # (topic id, partition, leader epoch) -> the broker that first acted as its leader
        self._epoch_leader: dict[tuple[str, int, int], int] = {}
        # (topic id, partition) -> fingerprints of the committed prefix, by offset
        self._committed: dict[tuple[str, int], list[tuple | None]] = {}
        # replica log -> (verified up to, index of the batch holding the offset below, that batch)
        self._verified: dict[PartitionLog, tuple[int, int, Any]] = {}
        self._ever_unclean: set[str] = set()
        self._state_keys: dict[Any, tuple[str, int]] = {}      # LeaderPartition -> (topic id, partition)
        self._unclean_cache: tuple[Any, int, dict[str, bool]] = (None, -1, {})
        self._client_types = (Producer, Consumer, ClientMetadata)
        self._unsubscribe = [cluster.clock.observe(self._after_step), cluster.events.subscribe(self._on_event)]

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []

    # -- hooks -------------------------------------------------------------------
    def _on_event(self, event) -> None:
        self._last_event = f"{event.kind.value}: {event.text}"

    def _after_step(self, timer) -> None:
        if self._client_step(timer):
            self.client_steps += 1
        else:
            self.check(timer)

    def _client_step(self, timer) -> bool:
        """A step that ran only client code (a producer's timer, a response reaching a client).

        Clients touch brokers and controllers only through requests that are
        delivered in later steps, so such a step cannot break an invariant.
        """
        cb = timer.callback
        owner = getattr(cb, "__self__", None)
        if owner is None:
            return False
        if isinstance(owner, self._client_types):
            return True
        if owner is self._c.network and timer.args:
            func = cb.__func__
            if func is Network._deliver_response:
                node = timer.args[0].src
            elif func is Network._deliver_request:
                node = timer.args[0].dst
            else:
                return False
            return node in self._c.producers or node in self._c.consumers
        return False

    # -- the checks ----------------------------------------------------------------
    def check(self, timer: Any = None) -> None:
        self.steps_checked += 1
        acting: dict[tuple[str, int], list] = {}
        keys = self._state_keys
        brokers = self._c.brokers
        for bid, broker in brokers.items():
            if not broker.alive:
                continue
            for tp, state in broker.leaders.items():
                # A LeaderPartition lives for one epoch on one broker: claim the epoch once.
                key = keys.get(state)
                if key is None:
                    key = keys[state] = self._claim_epoch(timer, bid, tp, state)
                entry = (state.leader_epoch, bid, state, tp)
                if key in acting:
                    acting[key].append(entry)
                else:
                    acting[key] = [entry]
                log = state.log
                hw = log.high_watermark
                if hw > log.log_end_offset:
                    self._fail(timer, HW_WITHIN_ISR, tp, f"leader {bid} has high watermark {hw} above its "
                               f"log end offset {log.log_end_offset}")
                isr = state.isr
                if len(isr) > 1:
                    followers = state.followers
                    for r in isr:
                        if r == bid:
                            continue
                        f = followers.get(r)
                        if f is not None and 0 <= f.log_end_offset < hw:
                            self._fail(timer, HW_WITHIN_ISR, tp, f"leader {bid} (epoch {state.leader_epoch}) "
                                       f"has high watermark {hw}, but ISR member {r} has only reached "
                                       f"{f.log_end_offset} as the leader knows (ISR {list(isr)})")
                        follower = brokers.get(r)
                        if follower is not None and follower.alive:
                            flog = follower.disk.get(tp)
                            leo = flog.log_end_offset if flog is not None else 0
                            if leo < hw:
                                self._fail(timer, HW_WITHIN_ISR, tp, f"leader {bid} (epoch "
                                           f"{state.leader_epoch}) has high watermark {hw}, but ISR member {r} "
                                           f"holds only offsets below {leo} (ISR {list(isr)})")
                            if flog is not None and flog.high_watermark > leo:
                                self._fail(timer, HW_WITHIN_ISR, tp, f"replica on broker {r} has high "
                                           f"watermark {flog.high_watermark} above its log end offset {leo}")
        if acting and self.committed_stability is not False:
            image = self._c.controller.image
            # While a controller is being elected, `controller` is the last active one: its
            # image may name a leader long replaced, which need not hold what was committed since.
            elected = self._c.active_controller_id() is not None
            for key, leaders in acting.items():
                if self.committed_stability or self._stability_on(image, key):
                    self._check_committed(timer, image if elected else None, key, leaders)

    def _claim_epoch(self, timer, bid: int, tp: TopicPartition, state) -> tuple[str, int]:
        topic = self._c.brokers[bid].image.topics.get(tp.topic)
        key = (topic.topic_id if topic is not None else tp.topic, tp.partition)
        epoch = state.leader_epoch
        first = self._epoch_leader.setdefault((key[0], key[1], epoch), bid)
        if first != bid:
            self._fail(timer, ONE_LEADER, tp, f"broker {bid} acts as leader at epoch {epoch}, "
                       f"but broker {first} already led that epoch")
        return key

    def _stability_on(self, image, key: tuple[str, int]) -> bool:
        """Whether unclean election is off for the topic (and always was, in this run)."""
        cache = self._unclean_cache
        if cache[0] is not image or cache[1] != image.offset:
            cache = self._unclean_cache = (image, image.offset, {})
        on = cache[2].get(key[0])
        if on is None:
            topic = image.topics_by_id.get(key[0])
            unclean = topic.configs.get("unclean.leader.election.enable") if topic is not None else None
            if unclean is None:
                unclean = image.broker_configs.get("unclean.leader.election.enable",
                                                   self._c.broker_config.get("unclean.leader.election.enable"))
            if unclean:
                self._ever_unclean.add(key[0])
            on = cache[2][key[0]] = topic is not None and key[0] not in self._ever_unclean
        return on

    def _check_committed(self, timer, image, key: tuple[str, int], leaders) -> None:
        committed = self._committed.get(key)
        if committed is None:
            committed = self._committed[key] = []
        if len(leaders) > 1:
            leaders = sorted(leaders, key=lambda x: -x[0])
        tp = leaders[0][3]
        for epoch, bid, state, _ in leaders:
            log = state.log
            hw = log.high_watermark
            n = len(committed)
            self._verify(timer, log, hw if hw < n else n, committed, tp,
                         f"leader {bid} (epoch {epoch}, high watermark {hw})")
            if hw > n:
                self._extend(committed, log, hw)
                self._verified[log] = self._boundary(log, hw)
        if not committed or image is None:
            return
        topic = image.topics_by_id.get(key[0])
        if topic is None or key[1] >= len(topic.partitions):
            return
        elected = topic.partitions[key[1]].leader        # the controller's choice, learned or not
        broker = self._c.brokers.get(elected)
        if broker is None or not broker.alive:
            return
        log = broker.disk.get(tp)
        if log is None:
            self._fail(timer, COMMITTED_STABLE, tp, f"elected leader {elected} has no replica, but offsets "
                       f"below {len(committed)} are committed")
        else:
            self._verify(timer, log, len(committed), committed, tp, f"elected leader {elected}")

    def _verify(self, timer, log: PartitionLog, upto: int, committed: list, tp: TopicPartition, who: str) -> None:
        """Check that `log` holds the committed records below `upto`, re-reading only what is new."""
        if upto <= 0:
            return
        start = 0
        cached = self._verified.get(log)
        if cached is not None:
            done, idx, batch = cached
            # Logs only grow at the end or truncate whole batches: the boundary batch
            # still in place means nothing below it changed.
            batches = log.batches
            if idx < len(batches) and batches[idx] is batch:
                if done >= upto:
                    return
                start = done
        if log.log_end_offset < upto:
            self._fail(timer, COMMITTED_STABLE, tp, f"{who} holds only offsets below {log.log_end_offset}, "
                       f"but offsets below {upto} were committed (largest high watermark published: "
                       f"{len(committed)})")
            return
        for off, rec, batch in log.records(max(start, log.log_start_offset), upto):
            want = committed[off]
            if want is not None and _fingerprint(rec, batch) != want:
                got = _fingerprint(rec, batch)
                self._fail(timer, COMMITTED_STABLE, tp, f"{who} holds a different record at committed offset "
                           f"{off}: {_show(got)} instead of {_show(want)}")
                return
        self._verified[log] = self._boundary(log, upto)

    @staticmethod
    def _boundary(log: PartitionLog, upto: int) -> tuple[int, int, Any]:
        idx = log.batch_index(upto - 1) if upto > 0 and log.batches else 0
        batch = log.batches[idx] if idx < len(log.batches) else None
        return upto, idx, batch

    @staticmethod
    def _extend(committed: list, log: PartitionLog, hw: int) -> None:
        start = len(committed)
        if log.log_start_offset > start:
            committed.extend([None] * (log.log_start_offset - start))     # deleted by retention: unknown
        for off, rec, batch in log.records(len(committed), hw):
            if off > len(committed):
                committed.extend([None] * (off - len(committed)))
            committed.append(_fingerprint(rec, batch))
        if len(committed) < hw:
            committed.extend([None] * (hw - len(committed)))

    def _fail(self, timer, invariant: str, tp: TopicPartition, detail: str) -> None:
        v = Violation(self._c.clock.now, invariant, tp.topic, tp.partition, detail, _describe_step(timer),
                      self._last_event)
        self.violations.append(v)
        if self.raise_on_violation:
            raise InvariantViolation(v)


def _show(fp: tuple) -> str:
    producer, serial, key, value, epoch = fp
    return f"(producer {producer}, serial {serial}, key {key!r}, value {value!r}, epoch {epoch})"
