"""A broker's part in consumer groups: FindCoordinator, and the group coordinator it hosts.

Mixed into `Broker`. Every broker answers FindCoordinator from its metadata:
the coordinator of group g is the leader of `__consumer_offsets` partition
`abs(hash(g)) % offsets.topic.num.partitions`. The first lookup creates that
internal topic through the controller (Kafka's `KafkaApis` asks its
`AutoTopicCreationManager`), with `offsets.topic.replication.factor`
replicas, which the controller refuses while fewer brokers are registered,
so clients keep hearing COORDINATOR_NOT_AVAILABLE until it can.

The coordinator (`GroupCoordinator`) lives in the broker process: it loads a
partition's groups from the log when the broker becomes that partition's
leader and drops them when it stops being leader. It writes through
`coordinator_append`, which appends to the leader's log and reports back once
the in-sync replicas have the records, like a produce with acks=all (Kafka's
coordinator runtime appends with acks=-1).
"""

from __future__ import annotations

from typing import Callable

from .errors import Errors
from .events import EventKind
from .group_coordinator import GroupCoordinator
from .group_offsets import OFFSETS_TOPIC, OFFSETS_TOPIC_CONFIGS_FROM_BROKER, partition_for
from .group_protocol import COORDINATOR_KEY_GROUP, FindCoordinatorRequest, FindCoordinatorResponse
from .network import Envelope
from .protocol import CreatableTopic, CreateTopicsRequest, CreateTopicsResponse, TopicPartition
from .records import Record, RecordBatch
from .replication import DelayedProduce
from .txn_protocol import COORDINATOR_KEY_TRANSACTION, TRANSACTION_STATE_TOPIC

# How often a broker asks the controller again for __consumer_offsets (after a refusal, or a
# request lost because the controller moved or this broker restarted).
OFFSETS_TOPIC_RETRY_MS = 5000
# The APIs the coordinator answers (the names the network and drop_requests use).
GROUP_APIS = frozenset({"find_coordinator", "join_group", "sync_group", "heartbeat", "leave_group", "offset_commit",
                        "offset_fetch", "list_groups", "describe_groups", "txn_offset_commit"})


def _answered(_error: Errors) -> None:
    """A coordinator append's DelayedProduce once it has been answered."""


class BrokerGroups:
    def init_groups(self) -> None:
        self.group_coordinator = GroupCoordinator(self)
        # Internal topics (__consumer_offsets, __transaction_state) asked of the controller: when,
        # and the error it last refused with.
        self._internal_topic_asked_at: dict[str, int] = {}
        self._internal_topic_errors: dict[str, Errors] = {}

    # -- requests ------------------------------------------------------------------
    def handle_group_request(self, env: Envelope) -> None:
        if env.api == "find_coordinator":
            self._find_coordinator(env)
        else:
            self.group_coordinator.handle(env)

    def _find_coordinator(self, env: Envelope) -> None:
        req: FindCoordinatorRequest = env.body
        if req.key_type == COORDINATOR_KEY_GROUP:
            topic_name, what = OFFSETS_TOPIC, f"group {req.key}"
        elif req.key_type == COORDINATOR_KEY_TRANSACTION:
            topic_name, what = TRANSACTION_STATE_TOPIC, f"transactional.id {req.key}"
        else:
            self.network.respond(env, FindCoordinatorResponse(Errors.INVALID_REQUEST,
                                                              error_message=f"Unknown key type {req.key_type}."))
            return
        topic = self.image.topics.get(topic_name)
        if topic is None or not topic.partitions:
            self._request_internal_topic(topic_name, what)
            self.network.respond(env, FindCoordinatorResponse(
                Errors.COORDINATOR_NOT_AVAILABLE,
                error_message=f"{topic_name} does not exist yet; broker {self.broker_id} asked the "
                              "controller to create it."))
            return
        p = partition_for(req.key, len(topic.partitions))
        leader = topic.partitions[p].leader
        if leader < 0:
            self.network.respond(env, FindCoordinatorResponse(
                Errors.COORDINATOR_NOT_AVAILABLE, partition=p,
                error_message=f"{topic_name}/{p} has no leader, so {what} has no coordinator."))
            return
        self.network.respond(env, FindCoordinatorResponse(node_id=leader, partition=p))

    def _request_internal_topic(self, topic: str, what: str) -> None:
        asked = self._internal_topic_asked_at.get(topic)
        if asked is not None and self.clock.now - asked < OFFSETS_TOPIC_RETRY_MS:
            return
        self._internal_topic_asked_at[topic] = self.clock.now
        if topic == OFFSETS_TOPIC:
            partitions = int(self.config.get("offsets.topic.num.partitions"))
            rf = int(self.config.get("offsets.topic.replication.factor"))
            configs = dict(OFFSETS_TOPIC_CONFIGS_FROM_BROKER,
                           **{"segment.bytes": int(self.config.get("offsets.topic.segment.bytes"))})
            settings = "offsets.topic.num.partitions", "offsets.topic.replication.factor"
        else:
            partitions = int(self.config.get("transaction.state.log.num.partitions"))
            rf = int(self.config.get("transaction.state.log.replication.factor"))
            # Kafka's TransactionLog: compacted, min.insync.replicas from transaction.state.log.min.isr.
            configs = {"cleanup.policy": "compact",
                       "min.insync.replicas": int(self.config.get("transaction.state.log.min.isr"))}
            settings = "transaction.state.log.num.partitions", "transaction.state.log.replication.factor"
        if topic not in self._internal_topic_errors:
            self.events.emit(EventKind.OFFSETS_TOPIC_REQUESTED,
                             f"{what[0].upper() + what[1:]} looked for its coordinator, but {topic} does not exist "
                             f"yet: broker {self.broker_id} asks the controller to create it with {partitions} "
                             f"partitions ({settings[0]}) and replication factor {rf} "
                             f"({settings[1]}), compacted. Until then the clients hear "
                             "COORDINATOR_NOT_AVAILABLE and retry.",
                             broker=self.broker_id, topic=topic, partitions=partitions, replication_factor=rf)
        body = CreateTopicsRequest([CreatableTopic(topic, partitions, rf, configs)])
        self.network.request(self.broker_id, self.controller_id, "create_topics", body,
                             lambda resp: self._on_internal_topic_created(topic, resp))

    def _on_internal_topic_created(self, topic: str, resp) -> None:
        if not self.alive:
            return
        if not isinstance(resp, CreateTopicsResponse):
            self._internal_topic_asked_at.pop(topic, None)          # ask the right controller at once
            self.find_controller(resp)
            return
        result = resp.topics[0]
        if result.error in (Errors.NONE, Errors.TOPIC_ALREADY_EXISTS) or \
                result.error == self._internal_topic_errors.get(topic):
            return
        self._internal_topic_errors[topic] = result.error
        setting = "offsets.topic.replication.factor" if topic == OFFSETS_TOPIC else \
            "transaction.state.log.replication.factor"
        self.events.emit(EventKind.OFFSETS_TOPIC_REQUESTED,
                         f"The controller refused to create {topic}: {result.error.name} "
                         f"({result.error_message}). Kafka never creates it with fewer replicas than "
                         f"{setting}, so its clients have no coordinator "
                         "(COORDINATOR_NOT_AVAILABLE) until enough brokers are registered or the setting "
                         "is lowered.", broker=self.broker_id, topic=topic, error=result.error.name, refused=True)

    # -- leadership of __consumer_offsets and __transaction_state partitions -----------
    def groups_became_leader(self, tp: TopicPartition) -> None:
        if tp.topic == OFFSETS_TOPIC:
            state = self.leaders[tp]
            self.group_coordinator.load(tp.partition, state.log, state.leader_epoch)
        elif tp.topic == TRANSACTION_STATE_TOPIC:
            state = self.leaders[tp]
            self.txn_coordinator.load(tp.partition, state.log, state.leader_epoch)

    def groups_resigned(self, tp: TopicPartition, was_leader: bool) -> None:
        """`was_leader` False: groups left over from before a crash go without a word."""
        if tp.topic == OFFSETS_TOPIC:
            self.group_coordinator.unload(tp.partition, quiet=not was_leader)
        elif tp.topic == TRANSACTION_STATE_TOPIC:
            self.txn_coordinator.unload(tp.partition)

    # -- writing ----------------------------------------------------------------------
    def coordinator_append(self, partition: int, records: list[Record], done: Callable[[Errors], None],
                           what: str, topic: str = OFFSETS_TOPIC, producer: tuple[int, int] | None = None) -> None:
        """Append `records` to our leader replica of `topic`/`partition` (__consumer_offsets, or
        __transaction_state); `done(error)` runs once the in-sync replicas have them (or the write failed)."""
        tp = TopicPartition(topic, partition)
        state = self.leaders.get(tp)
        if state is None:
            done(Errors.NOT_LEADER_OR_FOLLOWER)
            return
        if len(state.isr) < self.topic_config(topic, "min.insync.replicas"):
            done(Errors.NOT_ENOUGH_REPLICAS)
            return
        log = state.log
        # `producer`: (id, epoch) of a transaction these records belong to (TxnOffsetCommit).
        pid, epoch = producer or (-1, -1)
        batch = RecordBatch(records, producer_id=pid, producer_epoch=epoch,
                            is_transactional=producer is not None).stamped(log.log_end_offset, state.leader_epoch, None)
        self.log_append(tp, log, batch)
        self.events.emit(EventKind.RECORDS_APPENDED,
                         f"Coordinator {self.broker_id} appended {what} to {tp} at offset"
                         f"{'s' if batch.count > 1 else ''} {batch.base_offset}"
                         f"{'–' + str(batch.last_offset) if batch.count > 1 else ''}; it answers once every "
                         "in-sync replica has it (the coordinator writes with acks=all).",
                         topic=tp.topic, partition=tp.partition, broker=self.broker_id,
                         base_offset=batch.base_offset, count=batch.count, acks=-1, producer=None)
        finished: list[bool] = []

        def complete(error: Errors) -> None:
            if finished:
                return
            finished.append(True)
            if delayed.timer is not None:
                delayed.timer.cancel()
            delayed.complete = _answered        # no cycle back to this closure once answered
            done(error)

        delayed = DelayedProduce(batch.next_offset, complete)
        state.delayed.append(delayed)
        delayed.timer = self.clock.call_later(int(self.config.get("offsets.commit.timeout.ms")),
                                              self._expire_coordinator_append, state, delayed)
        self._wake_followers(tp)
        self._maybe_advance_hw(state)

    def _expire_coordinator_append(self, state, delayed: DelayedProduce) -> None:
        if delayed in state.delayed:
            state.delayed.remove(delayed)
            delayed.timer = None
            delayed.complete(Errors.REQUEST_TIMED_OUT)
