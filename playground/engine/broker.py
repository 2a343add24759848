"""A broker: hosts partition replicas, answers clients, follows the controller.

The broker's `disk` (its partition logs) survives a crash; everything else
is process state rebuilt on restart. Metadata reaches the broker only by
fetching the controller's metadata log, and the broker changes roles when
the records it replays say so (Kafka's `BrokerMetadataPublisher` /
`ReplicaManager.applyDelta`).
"""

from __future__ import annotations

from typing import Any

from .broker_fetch import BrokerFetch, ParkedFetch
from .broker_groups import GROUP_APIS, BrokerGroups
from .broker_liveness import BrokerLiveness
from .broker_produce import BrokerProduce
from .broker_txn import BROKER_TXN_APIS, BrokerTxn, ProducerIdBlocks
from .broker_storage import BrokerStorage
from .broker_zk import ZK_APIS, BrokerZk
from .config import TOPIC_CONFIGS, BrokerConfig
from .controller import MetadataFetch, MetadataFetchResponse, NotController
from .errors import Errors, KafkaError
from .events import EventKind, EventLog
from .fetch_session import FetchSessionCache
from .log import PartitionLog
from .metadata import MetadataImage, PartitionInfo
from .network import Disconnected, Envelope, Network
from .protocol import (EARLIEST_TIMESTAMP, CreatableTopic, CreateTopicsRequest, LATEST_TIMESTAMP, ListedOffset, ListOffsetsRequest, ListOffsetsResponse, MetadataRequest,
                       MetadataResponse, PartitionMetadata, TopicMetadata, TopicPartition)
from .replication import LeaderPartition, ReplicaFetcher
from .topics import validate_topic_name

_UNSET = object()


class Broker(BrokerProduce, BrokerFetch, BrokerTxn, BrokerLiveness, BrokerGroups, BrokerZk, BrokerStorage):
    def __init__(self, broker_id: int, network: Network, events: EventLog, config: BrokerConfig,
                 voters: list[int], zk_nodes: list[int] | None = None,
                 producer_id_blocks: ProducerIdBlocks | None = None) -> None:
        self.broker_id = broker_id
        self.network = network
        self.clock = network.clock
        self.events = events
        self.config = config
        self.voters = list(voters)
        self.zk_nodes = list(zk_nodes or [])     # ZooKeeper mode when set
        self.zk_controller = None
        self.controller_epoch_seen = 0
        self.controller_id = self.voters[0] if self.voters else -1   # its guess at the active controller
        self.incarnation = 0                      # a restart is a new incarnation (an unclean shutdown)
        self.alive = True
        self.disk: dict[TopicPartition, PartitionLog] = {}
        self.image = MetadataImage()
        self._topic_configs: tuple = (None, -1, {})    # (image, its offset, {topic: topic_settings})
        self.leaders: dict[TopicPartition, LeaderPartition] = {}
        self.following: dict[TopicPartition, int] = {}
        self.fetchers: dict[int, ReplicaFetcher] = {}
        self.parked: list[ParkedFetch] = []
        self.fetch_sessions = FetchSessionCache()     # the followers' fetch sessions (KIP-227)
        self.replication_delay = 0
        # Process state of the liveness loops (see BrokerLiveness).
        self._heartbeat_timer = None
        self._isr_check_timer = None
        self._metadata_timer = None
        self._metadata_attempt = 0
        self._alter_in_flight: set[TopicPartition] = set()
        self.init_groups()
        self.init_txn(producer_id_blocks or ProducerIdBlocks())
        self.init_storage()
        network.register(broker_id, self.handle)

    # -- metadata ------------------------------------------------------------
    def start_metadata_fetch(self) -> None:
        req = MetadataFetch(self.broker_id, self.image.offset + 1)
        self._metadata_attempt = attempt = self._metadata_attempt + 1
        # A fetch lost in the network (an isolated broker) is given up and sent again.
        self._metadata_timer = self.clock.call_timeout(self.config.get("controller.quorum.request.timeout.ms"),
                                                       self._on_metadata_attempt, attempt, None)
        self.network.request(self.broker_id, self.controller_id, "metadata_fetch", req,
                             lambda resp: self._on_metadata_attempt(attempt, resp))

    def _on_metadata_attempt(self, attempt: int, resp: Any) -> None:
        if attempt != self._metadata_attempt:
            return
        self._metadata_attempt += 1          # later answers to this attempt are stale
        self._metadata_timer.cancel()
        self._on_metadata(resp)

    def _on_metadata(self, resp: Any) -> None:
        if not self.alive:
            return
        if isinstance(resp, MetadataFetchResponse):
            self.apply_metadata(resp.records)
            self.start_metadata_fetch()
            return
        self.find_controller(resp)
        # Kafka's controller.quorum.retry.backoff.ms is 20 ms; 100 keeps the
        # canvas readable while a quorum elects.
        self.clock.call_later(100, self.start_metadata_fetch)

    def find_controller(self, resp: Any) -> None:
        """Follow a voter's hint to the active controller, or try the next voter."""
        if not self.voters:
            return                  # ZooKeeper mode: the controller is learned from ZooKeeper
        if isinstance(resp, NotController) and resp.leader_id is not None:
            self.controller_id = resp.leader_id
        elif resp is None or isinstance(resp, (NotController, Disconnected)):
            i = self.voters.index(self.controller_id) if self.controller_id in self.voters else -1
            self.controller_id = self.voters[(i + 1) % len(self.voters)]

    def apply_metadata(self, records) -> None:
        """Replay metadata records, then take up the roles they give this broker."""
        touched: set[TopicPartition] = set()
        for offset, record in records:
            if offset <= self.image.offset:
                continue
            what, detail = self.image.replay(offset, record)
            if what in ("partition", "partition_change"):
                touched.add(TopicPartition(detail[0], detail[1].partition))
            elif what == "remove_topic":
                self._remove_topic(detail.name)
        for tp in sorted(touched):
            info = self.image.partition(tp.topic, tp.partition)
            if info is not None:
                self._reconcile(tp, info)

    def _reconcile(self, tp: TopicPartition, info: PartitionInfo) -> None:
        me = self.broker_id
        if me not in info.replicas:
            return
        if info.leader == me:
            current = self.leaders.get(tp)
            if current is None or current.leader_epoch != info.leader_epoch:
                self._become_leader(tp, info)
            else:
                current.isr = list(info.isr)
                current.log.thaw()          # quiet fetch-session entries noted the old ISR
                self._maybe_advance_hw(current)
        else:
            self._become_follower(tp, info)

    def _become_leader(self, tp: TopicPartition, info: PartitionInfo) -> None:
        self._stop_following(tp)
        log = self.disk.get(tp)
        if log is None:
            log = self.disk[tp] = PartitionLog(tp.topic, tp.partition, self.clock.now)
        log.assign_epoch_start(info.leader_epoch)
        old = self.leaders.get(tp)
        if old is not None:
            old.log.thaw()
            self._fail_delayed(old, Errors.NOT_LEADER_OR_FOLLOWER)
        self.leaders[tp] = LeaderPartition(tp, log, info.leader_epoch, list(info.replicas),
                                           list(info.isr), self.broker_id, self.clock.now)
        if info.leader_epoch > 0:
            self.events.emit(EventKind.LEADER_CHANGED,
                             f"Broker {self.broker_id} is now the leader of {tp} (leader epoch "
                             f"{info.leader_epoch}); producers and consumers must send to it from now on.",
                             topic=tp.topic, partition=tp.partition, leader=self.broker_id,
                             leader_epoch=info.leader_epoch)
        self.groups_became_leader(tp)

    def _become_follower(self, tp: TopicPartition, info: PartitionInfo) -> None:
        leader_state = self.leaders.pop(tp, None)
        if leader_state is not None:
            leader_state.log.thaw()         # its quiet fetch-session entries read it again
        self.groups_resigned(tp, leader_state is not None)
        if leader_state is not None:
            self._fail_delayed(leader_state, Errors.NOT_LEADER_OR_FOLLOWER)
            self._complete_parked(lambda p: tp in p.partitions)
        if tp not in self.disk:
            self.disk[tp] = PartitionLog(tp.topic, tp.partition, self.clock.now)
        old_leader = self.following.get(tp)
        if old_leader == info.leader:
            fetcher = self.fetchers.get(info.leader)
            if fetcher is not None:
                fetcher.follow(tp, info.leader_epoch)
            return
        self._stop_following(tp)
        if info.leader < 0:
            return
        self.following[tp] = info.leader
        fetcher = self.fetchers.get(info.leader)
        if fetcher is None:
            fetcher = self.fetchers[info.leader] = ReplicaFetcher(self, info.leader)
        fetcher.add(tp, info.leader_epoch)
        if leader_state is not None:
            self.events.emit(EventKind.BECAME_FOLLOWER,
                             f"Broker {self.broker_id} now follows broker {info.leader} for {tp}.",
                             topic=tp.topic, partition=tp.partition, broker=self.broker_id,
                             leader=info.leader)

    def _stop_following(self, tp: TopicPartition) -> None:
        leader = self.following.pop(tp, None)
        if leader is not None and leader in self.fetchers:
            self.fetchers[leader].remove(tp)

    def _remove_topic(self, topic: str) -> None:
        for tp in [tp for tp in self.disk if tp.topic == topic]:
            state = self.leaders.pop(tp, None)
            if state is not None:
                state.log.thaw()
            self.groups_resigned(tp, state is not None)
            if state is not None:
                self._fail_delayed(state, Errors.UNKNOWN_TOPIC_OR_PARTITION)
            self._stop_following(tp)
            self.disk.pop(tp).thaw()        # what remembers the log as unchanged forgets it
        self._complete_parked(lambda p: any(tp.topic == topic for tp in p.partitions))

    # -- requests ------------------------------------------------------------
    def handle(self, env: Envelope) -> None:
        if not self.alive:
            return
        api = env.api
        if api == "produce":
            self._handle_produce(env)
        elif api == "fetch":
            self._handle_fetch(env)
        elif api == "metadata":
            self.network.respond(env, self.metadata_response(env.body))
            self._maybe_auto_create(env.body)
        elif api == "list_offsets":
            self.network.respond(env, self._list_offsets(env.body))
        elif api in BROKER_TXN_APIS:
            self.handle_txn_request(env)
        elif api in GROUP_APIS:
            self.handle_group_request(env)
        elif api in ZK_APIS:
            self.handle_zk(env)
        elif api in ("alter_partition", "create_topics"):
            self.controller_request(env)

    def _maybe_auto_create(self, req: MetadataRequest) -> None:
        """auto.create.topics.enable: a client asking for an unknown topic makes the
        broker ask the controller to create it with num.partitions and
        default.replication.factor (the client meanwhile sees LEADER_NOT_AVAILABLE)."""
        if not req.allow_auto_topic_creation or not req.topics:
            return
        if not self.config.get("auto.create.topics.enable"):
            return
        missing = [t for t in req.topics if t not in self.image.topics]
        if missing:
            body = CreateTopicsRequest([CreatableTopic(name) for name in missing])
            self.network.request(self.broker_id, self.controller_id, "create_topics", body, lambda resp: None)

    def topic_config(self, topic: str, name: str) -> Any:
        value = self.topic_settings(topic).get(name, _UNSET)
        return self._topic_config(topic, name) if value is _UNSET else value

    def topic_settings(self, topic: str) -> dict[str, Any]:
        """Every topic-level setting of `topic` as it is in effect ({name: value}; read it, do not
        change it). Remembered per metadata image and offset: the image changes only by replaying
        records, each at a new offset (or is replaced), and the broker asks on every append."""
        image = self.image
        cached = self._topic_configs
        if cached[0] is not image or cached[1] != image.offset:
            cached = self._topic_configs = (image, image.offset, {})
        values = cached[2].get(topic)
        if values is None:
            values = cached[2][topic] = {name: self._topic_config(topic, name) for name in TOPIC_CONFIGS}
        return values

    def _topic_config(self, topic: str, name: str) -> Any:
        t = self.image.topics.get(topic)
        if t is not None and name in t.configs:
            return t.configs[name]
        if name in self.image.broker_configs:
            return self.image.broker_configs[name]
        return self.config.get(name)

    def metadata_response(self, req: MetadataRequest) -> MetadataResponse:
        names = req.topics if req.topics is not None else sorted(self.image.topics)
        topics: dict[str, TopicMetadata] = {}
        for name in names:
            t = self.image.topics.get(name)
            if t is None:
                error = Errors.UNKNOWN_TOPIC_OR_PARTITION
                try:
                    validate_topic_name(name)
                    if req.allow_auto_topic_creation and self.config.get("auto.create.topics.enable"):
                        error = Errors.LEADER_NOT_AVAILABLE
                except KafkaError:
                    error = Errors.INVALID_TOPIC_EXCEPTION
                topics[name] = TopicMetadata(error, name, None, False, [])
                continue
            parts = [PartitionMetadata(Errors.NONE if p.leader >= 0 else Errors.LEADER_NOT_AVAILABLE,
                                       p.partition, p.leader, p.leader_epoch, list(p.replicas), list(p.isr))
                     for p in t.partitions]
            topics[name] = TopicMetadata(Errors.NONE, name, t.topic_id, t.internal, parts)
        brokers = sorted(b for b, info in self.image.brokers.items() if not info.fenced)
        return MetadataResponse(brokers, self.controller_id, topics)

    def _leader_for(self, tp: TopicPartition) -> tuple[Errors, LeaderPartition | None]:
        state = self.leaders.get(tp)
        if state is not None:
            return Errors.NONE, state
        if self.image.partition(tp.topic, tp.partition) is None:
            return Errors.UNKNOWN_TOPIC_OR_PARTITION, None
        return Errors.NOT_LEADER_OR_FOLLOWER, None

    # -- list offsets -----------------------------------------------------------
    def _list_offsets(self, req: ListOffsetsRequest) -> ListOffsetsResponse:
        out: dict[TopicPartition, ListedOffset] = {}
        for tp, ts in req.partitions.items():
            error, state = self._leader_for(tp)
            if state is None:
                out[tp] = ListedOffset(error)
                continue
            log = state.log
            if ts == EARLIEST_TIMESTAMP:
                out[tp] = ListedOffset(offset=log.log_start_offset, leader_epoch=state.leader_epoch)
            elif ts == LATEST_TIMESTAMP:
                end = self.last_stable_offset(tp) if req.isolation_level == "read_committed" else log.high_watermark
                out[tp] = ListedOffset(offset=end, leader_epoch=state.leader_epoch)
            else:
                off = log.offset_for_timestamp(ts)
                if off is None or off >= log.high_watermark:
                    out[tp] = ListedOffset(offset=-1, timestamp=-1)
                else:
                    rec_ts = next(r.timestamp for o, r, _ in log.records(off, off + 1))
                    out[tp] = ListedOffset(offset=off, timestamp=rec_ts, leader_epoch=state.leader_epoch)
        return ListOffsetsResponse(out)

    @staticmethod
    def _error_text(error: Errors, tp: TopicPartition) -> str:
        return {
            Errors.UNKNOWN_TOPIC_OR_PARTITION: f"This server does not host {tp}.",
            Errors.NOT_LEADER_OR_FOLLOWER: f"This broker is not the leader of {tp}.",
            Errors.REQUEST_TIMED_OUT: f"The in-sync replicas of {tp} did not all confirm in time.",
            Errors.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
                f"The records were written to {tp}, but the ISR shrank below min.insync.replicas.",
        }.get(error, f"{error.name} for {tp}.")
