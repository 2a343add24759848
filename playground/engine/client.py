"""What every simulated client shares: a metadata cache fed by Metadata requests."""

from __future__ import annotations

from typing import Any, Callable

from .errors import Errors
from .network import Network
from .protocol import MetadataRequest, MetadataResponse, TopicMetadata, TopicPartition


class ClientMetadata:
    """Kafka clients' `Metadata`: leaders per partition, refreshed on demand from any live broker."""

    def __init__(self, owner: str, network: Network, bootstrap: list[int], retry_backoff_ms: int,
                 on_update: Callable[[], None], max_age_ms: int = 300000) -> None:
        self.owner = owner
        self.network = network
        self.clock = network.clock
        self.bootstrap = bootstrap
        self.retry_backoff_ms = retry_backoff_ms
        self.on_update = on_update
        self.topics: dict[str, TopicMetadata] = {}
        self.in_flight = False
        self.want_retry = False
        self._next = 0
        self.max_age_ms = max_age_ms
        self.wanted: set[str] = set()
        self.auto_create = True
        self.errors: dict[str, Errors] = {}
        self._age_timer = None
        self._available: dict[str, list[int]] = {}
        self._tps: dict[str, list[TopicPartition]] = {}
        self.closed = False

    def close(self) -> None:
        """The client process is gone: no more refreshes (its timers stop too)."""
        self.closed = True
        if self._age_timer is not None:
            self._age_timer.cancel()

    def refresh(self) -> None:
        if self.closed:
            return
        if self.in_flight:
            self.want_retry = True
            return
        alive = [b for b in self.bootstrap if self.network.is_alive(b)] or self.bootstrap
        broker = alive[self._next % len(alive)]
        self._next += 1
        self.in_flight = True
        self.want_retry = False
        # Like Kafka's clients: ask only for the topics in use (which lets the broker
        # auto-create them), or for everything while none is known yet.
        wanted = sorted(self.wanted) if self.wanted else None
        req = MetadataRequest(wanted, allow_auto_topic_creation=self.auto_create and wanted is not None)
        self.network.request(self.owner, broker, "metadata", req, self._on_response)

    def _on_response(self, resp: Any) -> None:
        self.in_flight = False
        if self.closed:
            return
        if not isinstance(resp, MetadataResponse):
            self.clock.call_later(self.retry_backoff_ms, self.refresh)
            return
        self.topics = {name: t for name, t in resp.topics.items() if t.error == Errors.NONE}
        self.errors = {name: t.error for name, t in resp.topics.items() if t.error != Errors.NONE}
        # metadata.max.age.ms: even without errors, clients refresh periodically; that is
        # how a producer learns about partitions added to a topic.
        if self._age_timer is not None:
            self._age_timer.cancel()
        self._age_timer = self.clock.call_later(self.max_age_ms, self.refresh)
        self._available = {name: [p.partition for p in t.partitions if p.leader >= 0]
                           for name, t in self.topics.items()}
        if self.want_retry:
            self.clock.call_later(self.retry_backoff_ms, self.refresh)
        self.on_update()

    def want(self, topic: str) -> None:
        """Track `topic` in every metadata request from now on."""
        if topic not in self.wanted:
            self.wanted.add(topic)
            self.refresh()

    def topic(self, name: str) -> TopicMetadata | None:
        return self.topics.get(name)

    def available(self, topic: str) -> list[int]:
        """Partitions of `topic` that have a leader (where null-key records may go)."""
        return self._available.get(topic, [])

    def tp(self, topic: str, partition: int) -> TopicPartition:
        """Interned TopicPartition objects: clients make one per record otherwise."""
        tps = self._tps.get(topic)
        if tps is None or partition >= len(tps):
            tps = self._tps[topic] = [TopicPartition(topic, p) for p in range(max(partition + 1, 1))]
        return tps[partition]

    def leader_of(self, tp: TopicPartition) -> int:
        meta = self.topics.get(tp.topic)
        if meta is None or tp.partition >= len(meta.partitions):
            return -1
        return meta.partitions[tp.partition].leader

    def leader_epoch_of(self, tp: TopicPartition) -> int:
        meta = self.topics.get(tp.topic)
        if meta is None or tp.partition >= len(meta.partitions):
            return -1
        return meta.partitions[tp.partition].leader_epoch
