"""Leader and follower roles of a partition replica on one broker.

Followers replicate by *fetching* from the leader, like Kafka: each fetch
says "I have everything below offset N", which is how the leader learns a
follower's log end offset. The leader's high watermark is the smallest log
end offset among the in-sync replicas; acks=all produce requests wait until
it passes their records.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Callable

from .errors import Errors
from .log import PartitionLog
from .fetch_session import FetchSessionHandler
from .protocol import FetchRequest, FetchResponse, TopicPartition

# Enum members looked up once: in Python 3.11 every Errors.X / EventKind.X goes through
# EnumType's __getattr__ hook, and these run for every record, batch or fetch.
_NONE = Errors.NONE


class FollowerState:
    """What the leader knows of a follower's replica. While the partition is quiet in the
    follower's fetch session (`quiet`, see fetch_session.CachedPartition), fetches pass it by and
    its fetch times are the session's."""

    __slots__ = ("log_end_offset", "_last_fetch_ms", "_last_caught_up_ms", "quiet")

    def __init__(self, now: int) -> None:
        self.log_end_offset = -1          # unknown until its first fetch
        self._last_fetch_ms = now
        self._last_caught_up_ms = now
        self.quiet = None

    @property
    def last_fetch_ms(self) -> int:
        entry = self.quiet
        if entry is None:
            return self._last_fetch_ms
        return max(self._last_fetch_ms, entry.session.noted_at(entry.pos))

    @last_fetch_ms.setter
    def last_fetch_ms(self, value: int) -> None:
        if self.quiet is not None:
            self.quiet.thaw()
        self._last_fetch_ms = value

    @property
    def last_caught_up_ms(self) -> int:
        entry = self.quiet
        if entry is None:
            return self._last_caught_up_ms
        return max(self._last_caught_up_ms, entry.session.noted_at(entry.pos))

    @last_caught_up_ms.setter
    def last_caught_up_ms(self, value: int) -> None:
        if self.quiet is not None:
            self.quiet.thaw()
        self._last_caught_up_ms = value


class DelayedProduce:
    """An acks=all append waiting for the high watermark to pass `required_offset`."""

    __slots__ = ("required_offset", "complete", "timer")

    def __init__(self, required_offset: int, complete: Callable[[Errors], None]) -> None:
        self.required_offset = required_offset
        self.complete = complete
        self.timer = None


class LeaderPartition:
    __slots__ = ("tp", "log", "leader_epoch", "replicas", "isr", "followers", "delayed", "pending_isr")

    def __init__(self, tp: TopicPartition, log: PartitionLog, leader_epoch: int,
                 replicas: list[int], isr: list[int], self_id: int, now: int) -> None:
        self.tp = tp
        self.log = log
        self.leader_epoch = leader_epoch
        self.replicas = replicas
        self.isr = isr
        self.followers = {r: FollowerState(now) for r in replicas if r != self_id}
        self.delayed: list[DelayedProduce] = []
        # Replicas this leader asked the controller to add to the ISR, until it learns
        # the new ISR (KIP-497's "maximal ISR", Kafka's PendingExpandIsr).
        self.pending_isr: tuple[int, ...] = ()

    def maximal_isr(self, now: int, lag_max_ms: int) -> list[int]:
        """The ISR plus the replicas whose addition is pending (Kafka's `maximalIsr`).

        The high watermark must wait for a replica from the moment the leader
        proposes it: once the controller commits the new ISR, that replica may
        be elected and must hold every committed record. This leader learns
        the new ISR from the metadata log, so a proposal stays pending until
        the ISR holds the replica; one the controller refused is proposed
        again on the replica's next fetch, and is dropped only once the
        replica stops fetching for replica.lag.time.max.ms.
        """
        if not self.pending_isr:
            return self.isr
        keep = tuple(r for r in self.pending_isr if r not in self.isr and r in self.followers
                     and now - self.followers[r].last_fetch_ms <= lag_max_ms)
        if keep != self.pending_isr:
            self.log.thaw()
        self.pending_isr = keep
        return self.isr + list(keep) if keep else self.isr

    def candidate_high_watermark(self, self_id: int, now: int, lag_max_ms: int) -> int:
        """Smallest log end offset among the maximal ISR (Kafka's maybeIncrementLeaderHW)."""
        hw = self.log.log_end_offset
        for r in self.maximal_isr(now, lag_max_ms):
            if r == self_id:
                continue
            state = self.followers.get(r)
            leo = state.log_end_offset if state is not None else -1
            if leo < hw:
                hw = leo
        return hw


class ReplicaFetcher:
    """One follower broker's fetch session with one leader broker.

    Kafka runs a fetcher thread per source broker that fetches all the
    partitions this broker follows on that leader in one request.
    """

    def __init__(self, broker, leader_id: int) -> None:
        self.broker = broker
        self.leader_id = leader_id
        # tp -> leader epoch we follow; read-only outside: changes go through add, follow and
        # remove, which count them (`version`), so the session knows when to look at them all.
        self._partitions: dict[TopicPartition, int] = {}
        self.partitions = MappingProxyType(self._partitions)
        self.version = 0
        self.session = FetchSessionHandler()                  # KIP-227, see fetch_session.py
        self.in_flight = False
        self.backoff_timer = None
        self._attempt = 0
        self._timeout = None

    def add(self, tp: TopicPartition, leader_epoch: int) -> None:
        if not self.partitions and not self.in_flight:
            # Kafka shuts a fetcher thread down once it has no partition left
            # (shutdownIdleFetcherThreads); the next one opens a new fetch session.
            self.session = FetchSessionHandler()
        self._partitions[tp] = leader_epoch
        self.version += 1
        if not self.in_flight and self.backoff_timer is None:
            self.send()

    def follow(self, tp: TopicPartition, leader_epoch: int) -> None:
        """Follow `tp` in `leader_epoch` from now on (the same leader, a new epoch)."""
        self._partitions[tp] = leader_epoch
        self.version += 1

    def remove(self, tp: TopicPartition) -> None:
        self._partitions.pop(tp, None)
        self.version += 1

    def send(self) -> None:
        self.backoff_timer = None
        broker = self.broker
        if not broker.alive or not self.partitions:
            return
        parts, forgotten, session_id, session_epoch = self.session.build_for_logs(
            self._partitions, broker.disk, broker.config.get("replica.fetch.max.bytes"), self.version)
        req = FetchRequest(broker.broker_id, broker.config.get("replica.fetch.wait.max.ms"), 1, parts,
                           client_id=f"broker-{broker.broker_id}-fetcher", session_id=session_id,
                           session_epoch=session_epoch, forgotten=forgotten)
        self.in_flight = True
        self._attempt += 1
        attempt = self._attempt
        # replica.socket.timeout.ms: a fetch lost in the network is given up and sent again.
        self._timeout = broker.clock.call_timeout(30000, self._on_attempt, attempt, None)
        broker.network.request(broker.broker_id, self.leader_id, "fetch", req,
                               lambda resp: self._on_attempt(attempt, resp))

    def _on_attempt(self, attempt: int, resp) -> None:
        if attempt != self._attempt or not self.in_flight:
            return                      # an answer to a fetch already given up on
        self._timeout.cancel()
        self.on_response(resp)

    def on_response(self, resp) -> None:
        self.in_flight = False
        broker = self.broker
        if not broker.alive:
            return
        if not isinstance(resp, FetchResponse):
            # Connection failed: back off like replica.fetch.backoff.ms (1 s), then fetch in full.
            self.session.handle_error()
            self.backoff_timer = broker.clock.call_later(1000, self.send)
            return
        if not self.session.handle_response(resp):
            # The leader lost our fetch session (it restarted): fetch again at once, in full.
            if self.partitions:
                self.send()
            return
        backoff = False
        for tp, data in resp.partitions.items():
            if tp not in self.partitions:
                continue
            if data.error != _NONE:
                if not broker.fetched_error_is_handled(tp, data):
                    backoff = True
                continue
            broker.follower_received(tp, data)
        if self.partitions:
            if backoff:
                self.backoff_timer = broker.clock.call_later(1000, self.send)
            elif broker.replication_delay > 0:
                # A slow follower (GC pause, slow disk): it waits before fetching again.
                self.backoff_timer = broker.clock.call_later(broker.replication_delay, self.send)
            else:
                self.send()
