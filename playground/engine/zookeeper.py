"""ZooKeeper mode (Kafka before 4.0): an ensemble, sessions, ephemeral znodes.

The ensemble is modelled as one replicated store served by its nodes (ids
1, 2, 3 — ZooKeeper's `myid`s; in this mode there are no KRaft voters):

- every broker keeps a session alive by pinging a ZooKeeper node; a session
  not heard from for `zookeeper.session.timeout.ms` (18 s) expires, and its
  ephemeral znodes go with it: `/brokers/ids/<id>` (the broker's
  registration) and, for the controller, `/controller`;
- the first broker to create `/controller` is the controller, and
  `/controller_epoch` goes up by one; when `/controller` disappears every
  live broker is told (a watch) and races to create it again;
- the controller writes the cluster state (topics, partition leaders and
  ISRs, configs) into znodes, guarded by its controller epoch, so a deposed
  controller's writes fail. Here each write is kept as the metadata record it
  corresponds to, so brokers and views read one image format in both modes.

A restarted broker opens a new session at once (the old one is closed), where
real Kafka may wait for the old registration to expire.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import Errors
from .events import EventKind, EventLog
from .metadata import MetadataRecord
from .network import Envelope, Network


@dataclass(slots=True)
class ZkPing:
    broker_id: int
    incarnation: int


@dataclass(slots=True)
class ZkPingResponse:
    controller_id: int | None
    controller_epoch: int


@dataclass(slots=True)
class ZkWrite:
    controller_id: int
    controller_epoch: int
    first_offset: int                  # where these writes go (writing twice changes nothing)
    records: list[MetadataRecord]


@dataclass(slots=True)
class ZkState:
    """What a new controller reads: every znode, as records, and the live registrations."""

    records: list[MetadataRecord]
    live_brokers: dict[int, int]       # broker → session incarnation
    controller_epoch: int


class ZooKeeperEnsemble:
    def __init__(self, node_ids: list[int], network: Network, events: EventLog, config) -> None:
        self.node_ids = list(node_ids)
        self.network = network
        self.clock = network.clock
        self.events = events
        self.config = config
        self.store: list[MetadataRecord] = []
        self.sessions: dict[int, tuple[int, Any]] = {}       # broker → (incarnation, expiry timer)
        self.controller_id: int | None = None
        self.controller_epoch = 0
        for n in self.node_ids:
            network.register(n, self.handle)

    def session_timeout(self) -> int:
        return self.config.get("zookeeper.session.timeout.ms")

    def live_brokers(self) -> dict[int, int]:
        return {b: inc for b, (inc, _) in sorted(self.sessions.items())}

    def open_session(self, bid: int, incarnation: int, notify: bool = True) -> None:
        known = self.sessions.get(bid)
        if known is not None:
            known[1].cancel()
        if known is not None and known[0] != incarnation and self.controller_id == bid:
            # The old session is closed: its ephemeral /controller goes with it.
            self._controller_gone(bid, "its broker restarted, closing the old session")
        timer = self.clock.call_later(self.session_timeout(), self._expire, bid)
        self.sessions[bid] = (incarnation, timer)
        if known is None or known[0] != incarnation:
            self.events.emit(EventKind.BROKER_REGISTERED,
                             f"Broker {bid} opened a ZooKeeper session and created the ephemeral znode "
                             f"/brokers/ids/{bid}; it lives as long as the session.", broker=bid, mode="zookeeper")
            if notify:
                self._notify_controller()
            if self.controller_id is None:
                self._try_become_controller(bid, notify)

    # -- requests -------------------------------------------------------------------
    def handle(self, env: Envelope) -> None:
        api = env.api
        if api == "zk_ping":
            self._on_ping(env)
        elif api == "zk_create_controller":
            self.network.respond(env, self._try_become_controller(env.src))
        elif api == "zk_read":
            self.network.respond(env, ZkState(list(self.store), self.live_brokers(), self.controller_epoch))
        elif api == "zk_write":
            w: ZkWrite = env.body
            if w.controller_id != self.controller_id or w.controller_epoch != self.controller_epoch:
                # The /controller_epoch zkVersion check: a deposed controller cannot write.
                self.network.respond(env, (Errors.STALE_CONTROLLER_EPOCH, len(self.store)))
                return
            self.store[w.first_offset:w.first_offset + len(w.records)] = w.records
            self.network.respond(env, (Errors.NONE, len(self.store)))

    def _on_ping(self, env: Envelope) -> None:
        ping: ZkPing = env.body
        self.open_session(ping.broker_id, ping.incarnation)
        self.network.respond(env, ZkPingResponse(self.controller_id, self.controller_epoch))

    def _try_become_controller(self, bid: int, notify: bool = True) -> ZkPingResponse:
        if self.controller_id is None and bid in self.sessions:
            self.controller_id = bid
            self.controller_epoch += 1
            self.events.emit(EventKind.CONTROLLER_ACTIVE,
                             f"Broker {bid} created the ephemeral znode /controller first, so it is the controller; "
                             f"/controller_epoch is now {self.controller_epoch}. It reads the cluster state from "
                             "ZooKeeper and sends it to every broker.",
                             controller=bid, epoch=self.controller_epoch, mode="zookeeper")
            if notify:
                self.network.request(self.node_ids[0], bid, "zk_watch", ("controller", bid, self.controller_epoch))
        return ZkPingResponse(self.controller_id, self.controller_epoch)

    def _expire(self, bid: int) -> None:
        self.sessions.pop(bid, None)
        timeout = self.session_timeout()
        self.events.emit(EventKind.BROKER_FENCED,
                         f"ZooKeeper expired broker {bid}'s session: no ping for {timeout} ms "
                         f"(zookeeper.session.timeout.ms), so /brokers/ids/{bid} is deleted.",
                         broker=bid, mode="zookeeper")
        if self.controller_id == bid:
            self._controller_gone(bid, "its session expired")
        self._notify_controller()

    def _controller_gone(self, bid: int, why: str) -> None:
        self.controller_id = None
        self.events.emit(EventKind.CONTROLLER_RESIGNED,
                         f"/controller was broker {bid}'s ephemeral znode and is gone because {why}; every "
                         "live broker is told (a watch) and races to create it.",
                         controller=bid, epoch=self.controller_epoch, mode="zookeeper")
        for other in self.live_brokers():
            if other != bid:
                self.network.request(self.node_ids[0], other, "zk_watch", ("controller_deleted", None, 0))

    def _notify_controller(self) -> None:
        if self.controller_id is not None:
            self.network.request(self.node_ids[0], self.controller_id, "zk_watch",
                                 ("brokers", self.live_brokers(), self.controller_epoch))
