"""A broker: hosts partition replicas, answers clients, follows the controller.

The broker's `disk` (its partition logs) survives a crash; everything else
is process state rebuilt on restart. Metadata reaches the broker only by
fetching the controller's metadata log, and the broker changes roles when
the records it replays say so (Kafka's `BrokerMetadataPublisher` /
`ReplicaManager.applyDelta`).
"""

from __future__ import annotations

from typing import Any

from .broker_groups import GROUP_APIS, BrokerGroups
from .broker_liveness import BrokerLiveness
from .broker_zk import ZK_APIS, BrokerZk
from .config import BrokerConfig
from .controller import MetadataFetch, MetadataFetchResponse, NotController
from .errors import Errors, KafkaError
from .events import EventKind, EventLog
from .log import PartitionLog
from .metadata import MetadataImage, PartitionInfo
from .network import Disconnected, Envelope, Network
from .protocol import (EARLIEST_TIMESTAMP, CreatableTopic, CreateTopicsRequest, LATEST_TIMESTAMP, FetchedPartition, FetchRequest, FetchResponse,
                       ListedOffset, ListOffsetsRequest, ListOffsetsResponse, MetadataRequest,
                       MetadataResponse, PartitionMetadata, PartitionProduceResponse, ProduceRequest,
                       ProduceResponse, TopicMetadata, TopicPartition)
from .records import LOG_APPEND_TIME
from .replication import DelayedProduce, LeaderPartition, ReplicaFetcher
from .topics import validate_topic_name


class ParkedFetch:
    __slots__ = ("env", "req", "timer", "follower")

    def __init__(self, env: Envelope, req: FetchRequest, follower: bool) -> None:
        self.env = env
        self.req = req
        self.follower = follower
        self.timer = None


class Broker(BrokerLiveness, BrokerGroups, BrokerZk):
    def __init__(self, broker_id: int, network: Network, events: EventLog, config: BrokerConfig,
                 voters: list[int], zk_nodes: list[int] | None = None) -> None:
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
        self.leaders: dict[TopicPartition, LeaderPartition] = {}
        self.following: dict[TopicPartition, int] = {}
        self.fetchers: dict[int, ReplicaFetcher] = {}
        self.parked: list[ParkedFetch] = []
        self.replication_delay = 0
        # Process state of the liveness loops (see BrokerLiveness).
        self._heartbeat_timer = None
        self._isr_check_timer = None
        self._metadata_timer = None
        self._metadata_attempt = 0
        self._alter_in_flight: set[TopicPartition] = set()
        self.init_groups()
        network.register(broker_id, self.handle)

    # -- metadata ------------------------------------------------------------
    def start_metadata_fetch(self) -> None:
        req = MetadataFetch(self.broker_id, self.image.offset + 1)
        self._metadata_attempt = attempt = self._metadata_attempt + 1
        # A fetch lost in the network (an isolated broker) is given up and sent again.
        self._metadata_timer = self.clock.call_later(self.config.get("controller.quorum.request.timeout.ms"),
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
                self._maybe_advance_hw(current)
        else:
            self._become_follower(tp, info)

    def _become_leader(self, tp: TopicPartition, info: PartitionInfo) -> None:
        self._stop_following(tp)
        log = self.disk.get(tp)
        if log is None:
            log = self.disk[tp] = PartitionLog(tp.topic, tp.partition)
        log.assign_epoch_start(info.leader_epoch)
        old = self.leaders.get(tp)
        if old is not None:
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
        self.groups_resigned(tp, leader_state is not None)
        if leader_state is not None:
            self._fail_delayed(leader_state, Errors.NOT_LEADER_OR_FOLLOWER)
            self._complete_parked(lambda p: tp in p.req.partitions)
        if tp not in self.disk:
            self.disk[tp] = PartitionLog(tp.topic, tp.partition)
        old_leader = self.following.get(tp)
        if old_leader == info.leader:
            fetcher = self.fetchers.get(info.leader)
            if fetcher is not None:
                fetcher.partitions[tp] = info.leader_epoch
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
            self.groups_resigned(tp, state is not None)
            if state is not None:
                self._fail_delayed(state, Errors.UNKNOWN_TOPIC_OR_PARTITION)
            self._stop_following(tp)
            del self.disk[tp]
        self._complete_parked(lambda p: any(tp.topic == topic for tp in p.req.partitions))

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

    # -- produce -------------------------------------------------------------
    def _handle_produce(self, env: Envelope) -> None:
        req: ProduceRequest = env.body
        results: dict[TopicPartition, PartitionProduceResponse] = {}
        waiting: list[tuple[TopicPartition, int, LeaderPartition]] = []
        now = self.clock.now
        for tp, batch in req.partitions.items():
            error, state = self._leader_for(tp)
            if state is None:
                results[tp] = PartitionProduceResponse(error, error_message=self._error_text(error, tp))
                continue
            min_isr = self.topic_config(tp.topic, "min.insync.replicas")
            if req.acks == -1 and len(state.isr) < min_isr:
                results[tp] = PartitionProduceResponse(
                    Errors.NOT_ENOUGH_REPLICAS,
                    error_message=f"The ISR of {tp} has {len(state.isr)} replica(s) "
                                  f"({', '.join(map(str, state.isr))}), fewer than min.insync.replicas="
                                  f"{min_isr}; the leader refused to write.")
                continue
            log = state.log
            log_append = self.topic_config(tp.topic, "message.timestamp.type") == LOG_APPEND_TIME
            stamped = batch.stamped(log.log_end_offset, state.leader_epoch, now if log_append else None)
            log.append(stamped)
            self.events.emit(EventKind.RECORDS_APPENDED,
                             f"Leader {self.broker_id} appended {stamped.count} record(s) to {tp} at offsets "
                             f"{stamped.base_offset}–{stamped.last_offset}; log end offset is now "
                             f"{log.log_end_offset}.",
                             topic=tp.topic, partition=tp.partition, broker=self.broker_id,
                             base_offset=stamped.base_offset, count=stamped.count, acks=req.acks,
                             producer=batch.origin.producer if batch.origin else None)
            results[tp] = PartitionProduceResponse(base_offset=stamped.base_offset,
                                                   log_append_time=now if log_append else -1,
                                                   log_start_offset=log.log_start_offset)
            if req.acks == -1:
                waiting.append((tp, stamped.next_offset, state))
            self._wake_followers(tp)
            self._maybe_advance_hw(state)
        if req.acks == 0:
            return                          # acks=0: Kafka sends no response at all
        pending = [w for w in waiting if w[2].log.high_watermark < w[1]]
        if not pending:
            self._finish_produce(env, results, waiting)
            return
        remaining = {tp for tp, _, _ in pending}
        delayed_all: list[DelayedProduce] = []

        def one_done(tp: TopicPartition, error: Errors) -> None:
            if error != Errors.NONE:
                results[tp] = PartitionProduceResponse(error, error_message=self._error_text(error, tp))
            remaining.discard(tp)
            if not remaining:
                for d in delayed_all:
                    if d.timer is not None:
                        d.timer.cancel()
                self._finish_produce(env, results, [])

        for tp, required, state in pending:
            d = DelayedProduce(required, lambda err, tp=tp: one_done(tp, err))
            state.delayed.append(d)
            delayed_all.append(d)
        timer = self.clock.call_later(req.timeout_ms, self._expire_produce, delayed_all, pending)
        for d in delayed_all:
            d.timer = timer

    def _expire_produce(self, delayed: list[DelayedProduce], pending) -> None:
        for (tp, _, state), d in zip(pending, delayed):
            if d in state.delayed:
                state.delayed.remove(d)
                d.timer = None
                d.complete(Errors.REQUEST_TIMED_OUT)

    def _finish_produce(self, env: Envelope, results, waiting) -> None:
        # acks=all that completed at once (single-replica ISR) still checks min.insync.
        for tp, _, state in waiting:
            if len(state.isr) < self.topic_config(tp.topic, "min.insync.replicas"):
                results[tp] = PartitionProduceResponse(Errors.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
                                                       error_message=self._error_text(
                                                           Errors.NOT_ENOUGH_REPLICAS_AFTER_APPEND, tp))
        self.network.respond(env, ProduceResponse(results))

    def _fail_delayed(self, state: LeaderPartition, error: Errors) -> None:
        delayed, state.delayed = state.delayed, []
        for d in delayed:
            d.complete(error)

    def _maybe_advance_hw(self, state: LeaderPartition) -> None:
        tp = state.tp
        # KAFKA-15583 (3.7): the high watermark stays put while the ISR is smaller than
        # min.insync.replicas (capped at the replica count), so a replica that leaves the
        # ISR still holds every committed record (what KIP-966's ELR relies on).
        min_isr = min(self.topic_config(tp.topic, "min.insync.replicas"), len(state.replicas))
        if len(state.isr) < min_isr:
            return
        hw = state.candidate_high_watermark(self.broker_id, self.clock.now,
                                            self.config.get("replica.lag.time.max.ms"))
        log = state.log
        if hw <= log.high_watermark:
            return
        old = log.high_watermark
        log.high_watermark = hw
        self.events.emit(EventKind.HIGH_WATERMARK_ADVANCED,
                         f"High watermark of {tp} moved {old} → {hw}: every in-sync replica "
                         f"({', '.join(map(str, state.isr))}) has the records below {hw}, so consumers "
                         "may read them.",
                         topic=tp.topic, partition=tp.partition, broker=self.broker_id,
                         old=old, high_watermark=hw)
        if state.delayed:
            keep = []
            for d in state.delayed:
                if d.required_offset <= hw:
                    d.complete(Errors.NONE if len(state.isr) >= min_isr
                               else Errors.NOT_ENOUGH_REPLICAS_AFTER_APPEND)
                else:
                    keep.append(d)
            state.delayed = keep
        # Consumers read up to the high watermark: their parked fetches may now complete.
        self._complete_parked(lambda p: not p.follower and tp in p.req.partitions)

    # -- fetch ---------------------------------------------------------------
    def _handle_fetch(self, env: Envelope) -> None:
        req: FetchRequest = env.body
        follower = req.replica_id >= 0
        if follower:
            for tp, part in req.partitions.items():
                state = self.leaders.get(tp)
                if state is not None and part.current_leader_epoch == state.leader_epoch:
                    if self._diverging(state, part) is None:
                        state.update_follower(req.replica_id, part.fetch_offset, self.clock.now)
                        self._maybe_advance_hw(state)
                        self._maybe_expand_isr(state, req.replica_id)
        resp, size, error = self._read(req, follower)
        if error or size >= req.min_bytes or req.max_wait_ms <= 0:
            self.network.respond(env, resp)
            return
        parked = ParkedFetch(env, req, follower)
        parked.timer = self.clock.call_later(req.max_wait_ms, self._expire_fetch, parked)
        self.parked.append(parked)

    def _maybe_expand_isr(self, state: LeaderPartition, follower: int) -> None:
        """Ask to add a caught-up follower to the ISR, and count it in the maximal ISR at once.

        Kafka's PendingExpandIsr (KIP-497): the high watermark must not pass the
        follower while the controller commits it, or the new ISR would name a
        replica without every committed record.
        """
        proposing = follower not in state.isr and state.tp not in self._alter_in_flight
        self.maybe_expand_isr(state, follower)
        if proposing and state.tp in self._alter_in_flight and follower not in state.pending_isr:
            state.pending_isr += (follower,)

    def _diverging(self, state: LeaderPartition, part) -> tuple[int, int] | None:
        """The (epoch, end offset) a follower must truncate to, if its log diverged."""
        if part.last_fetched_epoch < 0:
            return None
        epoch, end = state.log.end_offset_for_epoch(part.last_fetched_epoch)
        if epoch != part.last_fetched_epoch or end < part.fetch_offset:
            return epoch, end
        return None

    def _read(self, req: FetchRequest, follower: bool) -> tuple[FetchResponse, int, bool]:
        out: dict[TopicPartition, FetchedPartition] = {}
        total = 0
        any_error = False
        for tp, part in req.partitions.items():
            error, state = self._leader_for(tp)
            if state is None:
                out[tp] = FetchedPartition(error, error_message=self._error_text(error, tp))
                any_error = True
                continue
            log = state.log
            if part.current_leader_epoch >= 0 and part.current_leader_epoch != state.leader_epoch:
                err = Errors.FENCED_LEADER_EPOCH if part.current_leader_epoch < state.leader_epoch \
                    else Errors.UNKNOWN_LEADER_EPOCH
                out[tp] = FetchedPartition(err, error_message=self._error_text(err, tp))
                any_error = True
                continue
            if follower:
                diverging = self._diverging(state, part)
                if diverging is not None:
                    out[tp] = FetchedPartition(high_watermark=log.high_watermark,
                                               log_start_offset=log.log_start_offset,
                                               diverging_epoch=diverging)
                    any_error = True
                    continue
            limit = log.log_end_offset if follower else log.high_watermark
            if part.fetch_offset < log.log_start_offset or part.fetch_offset > log.log_end_offset:
                out[tp] = FetchedPartition(Errors.OFFSET_OUT_OF_RANGE, log.high_watermark, log.log_start_offset,
                                           error_message=f"Offset {part.fetch_offset} is outside {tp}'s log "
                                           f"[{log.log_start_offset}, {log.log_end_offset}).")
                any_error = True
                continue
            batches = log.read(part.fetch_offset, limit, part.partition_max_bytes)
            for b in batches:
                total += b.size_bytes
            out[tp] = FetchedPartition(Errors.NONE, log.high_watermark, log.log_start_offset, batches)
        return FetchResponse(out), total, any_error

    def _wake_followers(self, tp: TopicPartition) -> None:
        self._complete_parked(lambda p: p.follower and tp in p.req.partitions)

    def _complete_parked(self, pred) -> None:
        if not self.parked:
            return
        keep = []
        ready = []
        for p in self.parked:
            (ready if pred(p) else keep).append(p)
        if not ready:
            return
        self.parked = keep
        for p in ready:
            resp, size, error = self._read(p.req, p.follower)
            if error or size >= p.req.min_bytes:
                p.timer.cancel()
                self.network.respond(p.env, resp)
            else:
                self.parked.append(p)

    def _expire_fetch(self, parked: ParkedFetch) -> None:
        if parked in self.parked:
            self.parked.remove(parked)
            resp, _, _ = self._read(parked.req, parked.follower)
            self.network.respond(parked.env, resp)

    def follower_received(self, tp: TopicPartition, data: FetchedPartition) -> None:
        """A fetch response arrived for a partition this broker follows."""
        log = self.disk.get(tp)
        if log is None:
            return
        if data.diverging_epoch is not None:
            epoch, end = data.diverging_epoch
            # Truncate to the leader's end of that epoch, never past our own end of it.
            _, own_end = log.end_offset_for_epoch(epoch)
            target = min(end, own_end) if own_end >= 0 else end
            if target < 0:
                target = log.log_start_offset
            removed = log.truncate_to(target)
            if removed:
                self.events.emit(EventKind.REPLICA_TRUNCATED,
                                 f"Broker {self.broker_id} truncated {tp} to offset {log.log_end_offset}, "
                                 f"dropping {removed} record(s) the new leader never had (its log diverged "
                                 f"after epoch {epoch}).",
                                 topic=tp.topic, partition=tp.partition, broker=self.broker_id,
                                 offset=log.log_end_offset, removed=removed)
            return
        if data.batches:
            first = None
            for b in data.batches:
                if b.base_offset < log.log_end_offset:
                    continue
                if first is None:
                    first = b.base_offset
                log.append(b)
            if first is not None:
                self.events.emit(EventKind.REPLICA_FETCHED,
                                 f"Follower {self.broker_id} fetched {tp} offsets {first}–"
                                 f"{log.log_end_offset - 1} from the leader; its log end offset is now "
                                 f"{log.log_end_offset}.",
                                 topic=tp.topic, partition=tp.partition, broker=self.broker_id,
                                 log_end_offset=log.log_end_offset)
        hw = min(data.high_watermark, log.log_end_offset)
        if hw > log.high_watermark:
            log.high_watermark = hw

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
                out[tp] = ListedOffset(offset=log.high_watermark, leader_epoch=state.leader_epoch)
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
