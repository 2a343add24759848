"""A broker in ZooKeeper mode: a session with the ensemble, and maybe the controller.

Mixed into `Broker`. Instead of fetching a metadata log and heartbeating a
KRaft controller, the broker pings ZooKeeper to keep its session (and its
`/brokers/ids` registration) alive and receives the state the controller
pushes (UpdateMetadata / LeaderAndIsr). A push carrying an older controller
epoch than one already seen comes from a deposed controller and is refused
(STALE_CONTROLLER_EPOCH). The broker that wins `/controller` also runs a
`ZkController`.
"""

from __future__ import annotations

import random
from typing import Any

from .controller import NotController
from .errors import Errors
from .metadata import MetadataImage
from .protocol import TopicPartition
from .zk_controller import UpdateMetadata, ZkController
from .zookeeper import ZkPing, ZkPingResponse

ZK_APIS = ("update_metadata", "zk_watch")


class BrokerZk:
    zk_nodes: list[int]
    zk_controller: ZkController | None

    @property
    def zookeeper_mode(self) -> bool:
        return bool(self.zk_nodes)

    def _zk_node(self) -> int:
        return self.zk_nodes[self.broker_id % len(self.zk_nodes)]

    def _zk_ping(self) -> None:
        self.network.request(self.broker_id, self._zk_node(), "zk_ping", ZkPing(self.broker_id, self.incarnation),
                             self._on_zk_ping)

    def _on_zk_ping(self, resp: Any) -> None:
        if self.alive and isinstance(resp, ZkPingResponse) and resp.controller_id is not None:
            self.controller_id = resp.controller_id

    def handle_zk(self, env) -> None:
        if env.api == "update_metadata":
            self.network.respond(env, self.on_update_metadata(env.body))
            return
        kind, value, epoch = env.body
        if kind == "controller" and value == self.broker_id:
            self.become_controller(epoch)
        elif kind == "controller_deleted":
            # The watch fired: race the others to create /controller.
            self.network.request(self.broker_id, self._zk_node(), "zk_create_controller", None,
                                 self._on_zk_ping)
        elif kind == "brokers" and self.zk_controller is not None:
            self.zk_controller.on_watch(kind, value, epoch)

    def become_controller(self, epoch: int, state=None) -> ZkController:
        zc = ZkController(self, epoch, random.Random((self.broker_id << 16) ^ epoch))
        self.zk_controller = zc
        self.controller_id = self.broker_id
        if state is None:
            zc.start(self._zk_node())
        else:
            zc.bootstrapping = True
            zc.load(state)
            zc.bootstrapping = False
        return zc

    def controller_request(self, env) -> None:
        """alter_partition / create_topics sent to this broker as the controller."""
        zc = self.zk_controller
        if zc is not None and zc.active:
            zc.handle(env)
        else:
            self.network.respond(env, NotController(None, 0))

    def on_update_metadata(self, um: UpdateMetadata) -> Errors:
        if um.controller_epoch < self.controller_epoch_seen:
            return Errors.STALE_CONTROLLER_EPOCH
        self.controller_epoch_seen = um.controller_epoch
        self.controller_id = um.controller_id
        if not um.snapshot:
            if um.records and um.records[0][0] > self.image.offset + 1:
                # It missed earlier pushes (cut off for a while): ask for the whole state.
                return Errors.OFFSET_OUT_OF_RANGE
            self.apply_metadata(um.records)
            return Errors.NONE
        old_topics = set(self.image.topics)
        self.image = MetadataImage()
        self.apply_metadata(um.records)
        for topic in old_topics - set(self.image.topics):
            self._remove_topic(topic)
        for topic in self.image.topics.values():
            for p in topic.partitions:
                self._reconcile(TopicPartition(topic.name, p.partition), p)
        return Errors.NONE
