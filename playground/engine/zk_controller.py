"""The ZooKeeper-mode controller: one broker, elected through `/controller`.

It decides with the same rules as the KRaft controller (`ControllerDecisions`)
but keeps no log of its own: it writes the state into ZooKeeper, guarded by
its controller epoch, and pushes changes to the brokers (Kafka's
LeaderAndIsr / UpdateMetadata requests). Broker liveness comes from
ZooKeeper sessions rather than heartbeats to the controller: when a broker's
session expires its `/brokers/ids` znode goes, the watch fires, and the
controller moves leadership away from it. A new controller reads everything
back from ZooKeeper and sends every broker the whole state.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from .controller_decisions import ControllerDecisions, ControllerResult
from .controller_events import ControllerExplainer
from .errors import Errors, KafkaError
from .events import EventKind
from .metadata import MetadataImage
from .zookeeper import ZkState, ZkWrite


@dataclass(slots=True)
class UpdateMetadata:
    """The controller's push to a broker: records from `first_offset` on, or the whole state."""

    controller_id: int
    controller_epoch: int
    records: list[tuple[int, Any]]
    snapshot: bool = False


class ZkController(ControllerDecisions, ControllerExplainer):
    elr_supported = False

    def __init__(self, broker, epoch: int, rng: random.Random) -> None:
        self.broker = broker
        self.node_id = broker.broker_id
        self.network = broker.network
        self.clock = broker.clock
        self.events = broker.events
        self.broker_config = broker.config
        self.rng = rng
        self.epoch = epoch
        self.image = MetadataImage()
        self.records: list = []
        self.loaded = False
        self.resigned = False
        self.live: set[int] = set()
        self.voters: list[int] = []
        self.bootstrapping = False

    @property
    def log(self) -> list:
        return list(self.records)

    @property
    def committed(self) -> int:
        return len(self.records)

    @property
    def active(self) -> bool:
        return self.loaded and not self.resigned and self.broker.alive

    # -- taking over -----------------------------------------------------------
    def start(self, zk_node: int) -> None:
        self.network.request(self.node_id, zk_node, "zk_read", None, self._on_state)

    def load(self, state: ZkState) -> None:
        """Read every znode back (synchronously at cluster set-up, else from `zk_read`)."""
        self.records = list(state.records)
        for i, record in enumerate(self.records):
            self.image.replay(i, record)
        self.loaded = True
        self._brokers_changed(state.live_brokers)
        self.push_snapshot(sorted(self.live))

    def _on_state(self, resp: Any) -> None:
        if isinstance(resp, ZkState) and self.broker.alive and not self.resigned:
            self.load(resp)

    # -- watches -----------------------------------------------------------------
    def on_watch(self, kind: str, value: Any, epoch: int) -> None:
        if kind == "brokers" and self.active:
            self._brokers_changed(value)

    def _brokers_changed(self, live: dict[int, int]) -> None:
        live_now = set(live)
        for bid in sorted(live_now):
            info = self.image.brokers.get(bid)
            incarnation = live[bid]
            if info is None or info.incarnation != incarnation:
                self.apply(self.register_broker(bid, fenced=True, incarnation=incarnation))
            if self.image.brokers[bid].fenced:
                self.apply(self.unfence_broker(bid))
            if bid not in self.live:
                self.push_snapshot([bid])
        for bid, info in sorted(self.image.brokers.items()):
            if bid not in live_now and not info.fenced:
                timeout = self.broker_config.get("zookeeper.session.timeout.ms")
                self.apply(self.fence_broker(bid), reason=f"broker {bid}'s ZooKeeper session expired after "
                                                          f"{timeout} ms (zookeeper.session.timeout.ms)")
        self.live = live_now

    # -- writing -------------------------------------------------------------------
    def apply(self, result: ControllerResult, reason: str = "", env=None) -> Any:
        if not self.active:
            raise KafkaError(Errors.NOT_CONTROLLER, f"broker {self.node_id} is not the controller")
        first = len(self.records)

        def replay(record) -> None:
            self.image.replay(len(self.records), record)
            self.records.append(record)

        self._replay_explained(result.records, reason, replay)
        if result.records and not self.bootstrapping:
            zk = self.broker.zk_nodes[self.node_id % len(self.broker.zk_nodes)]
            self.network.request(self.node_id, zk, "zk_write",
                                 ZkWrite(self.node_id, self.epoch, first, list(result.records)), self._on_written)
            batch = [(first + i, r) for i, r in enumerate(result.records)]
            for bid in sorted(self.live - {self.node_id}):
                self.network.request(self.node_id, bid, "update_metadata",
                                     UpdateMetadata(self.node_id, self.epoch, batch),
                                     lambda resp, bid=bid: self._on_pushed(bid, resp))
            self.broker.on_update_metadata(UpdateMetadata(self.node_id, self.epoch, batch))
        if env is not None:
            self.network.respond(env, result.response)
        return result.response

    def _on_pushed(self, bid: int, resp: Any) -> None:
        if resp == Errors.OFFSET_OUT_OF_RANGE and self.active:
            self.push_snapshot([bid])

    def _on_written(self, resp: Any) -> None:
        if isinstance(resp, tuple) and resp[0] == Errors.STALE_CONTROLLER_EPOCH and not self.resigned:
            self.resign("ZooKeeper refused its write: another broker holds a newer controller epoch")

    def resign(self, why: str) -> None:
        self.resigned = True
        self.broker.zk_controller = None
        self.events.emit(EventKind.CONTROLLER_RESIGNED, f"Broker {self.node_id} stops acting as controller: {why}.",
                         controller=self.node_id, epoch=self.epoch, mode="zookeeper")

    def push_snapshot(self, brokers: list[int]) -> None:
        if self.bootstrapping:
            return
        snap = UpdateMetadata(self.node_id, self.epoch, list(enumerate(self.records)), snapshot=True)
        for bid in brokers:
            if bid == self.node_id:
                self.broker.on_update_metadata(snap)
            else:
                self.network.request(self.node_id, bid, "update_metadata", snap, None)

    # -- requests from brokers ---------------------------------------------------------
    def handle(self, env) -> None:
        if env.api == "alter_partition":
            self.apply(self.alter_partition(env.body), env=env)
        elif env.api == "create_topics":
            self.apply(self.create_topics(env.body), env=env,
                       reason=f" because a client asked broker {env.src} for it")
