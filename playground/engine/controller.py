"""The KRaft controller: decides metadata changes and serves the metadata log.

Handlers validate a request against the current image and return a
`ControllerResult` (records + response) without touching state; `apply`
appends the records to `__cluster_metadata`, replays them into the
controller's image and wakes brokers waiting to fetch them (Kafka's
`QuorumController`: handlers produce records, replay is the only mutation).

Every voter runs a `QuorumController`; the one whose `RaftNode` leads the
quorum is the active controller. It replays records as it appends them and
answers a broker's request once its records are committed; standby voters
replay only committed records, so a new active controller starts from the
cluster's truth.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from .config import BrokerConfig
from .controller_decisions import AlterPartition, ControllerDecisions, ControllerResult
from .controller_events import ControllerExplainer
from .errors import Errors, KafkaError
from .events import EventKind, EventLog
from .metadata import MetadataImage, MetadataRecord
from .network import Envelope, Network
from .raft import RaftNode

__all__ = ["AlterPartition", "BrokerHeartbeat", "ControllerResult", "MetadataFetch", "MetadataFetchResponse",
           "NotController", "QuorumController"]


@dataclass(slots=True)
class MetadataFetch:
    """A broker asking for metadata records from `fetch_offset` on (a Raft Fetch)."""

    broker_id: int
    fetch_offset: int
    max_wait_ms: int = 500


@dataclass(slots=True)
class BrokerHeartbeat:
    broker_id: int
    metadata_offset: int
    incarnation: int = 0        # bumped by every restart (Kafka's incarnation id)


@dataclass(slots=True)
class MetadataFetchResponse:
    records: list[tuple[int, MetadataRecord]]
    high_watermark: int


@dataclass(slots=True)
class NotController:
    """The answer of a voter that is not the active controller, with who is (if known)."""

    leader_id: int | None
    epoch: int


class QuorumController(ControllerDecisions, ControllerExplainer):
    """One KRaft controller: a quorum voter that is the active controller while it leads."""

    def __init__(self, node_id: int, voters: list[int], network: Network, events: EventLog,
                 rng: random.Random, broker_config: BrokerConfig) -> None:
        self.node_id = node_id
        self.voters = voters
        self.network = network
        self.clock = network.clock
        self.events = events
        self.rng = rng
        self.broker_config = broker_config
        self.alive = True
        self.raft = RaftNode(node_id, voters, network, random.Random(rng.getrandbits(64)), broker_config,
                             self._on_leader, self._on_resign, self._on_commit, self._on_candidate)
        self.image = MetadataImage()
        self.applied = 0                  # raft log entries replayed into `image`
        self._parked: list[tuple[Envelope, Any]] = []
        self._awaiting_commit: list[tuple[int, Envelope, Any]] = []
        self._session_timers: dict[int, Any] = {}
        network.register(node_id, self.handle)

    @property
    def active(self) -> bool:
        return self.alive and self.raft.role == "leader"

    @property
    def log(self) -> list[MetadataRecord]:
        """The metadata records in this voter's log (committed or not)."""
        return [record for _, record in self.raft.log]

    @property
    def committed(self) -> int:
        return self.raft.high_watermark

    # -- life ------------------------------------------------------------------
    def kill(self) -> None:
        self.alive = False
        self.network.set_alive(self.node_id, False)
        self.network.reset_connections(self.node_id)
        self.raft.stop()
        self._drop_process_state()
        self.events.emit(EventKind.CONTROLLER_KILLED,
                         f"Controller {self.node_id} crashed. Its copy of the metadata log survives on disk; "
                         "the other voters notice when their fetches go unanswered for "
                         f"controller.quorum.fetch.timeout.ms ({self.broker_config.get('controller.quorum.fetch.timeout.ms')} ms).",
                         controller=self.node_id)

    def restart(self) -> None:
        self.alive = True
        self.network.set_alive(self.node_id, True)
        self.image, self.applied = MetadataImage(), 0
        self.raft.start()
        self.events.emit(EventKind.CONTROLLER_RESTARTED,
                         f"Controller {self.node_id} restarted with its metadata log (epoch {self.raft.epoch}); "
                         "it looks for the leader of the quorum and catches up.", controller=self.node_id)

    def _drop_process_state(self) -> None:
        for timer in self._session_timers.values():
            timer.cancel()
        self._session_timers = {}
        for _, timer in self._parked:
            timer.cancel()
        self._parked = []
        self._awaiting_commit = []

    def bootstrap_leader(self, epoch: int = 1) -> None:
        """Cluster set-up: start as the leader of `epoch` without an election."""
        self.raft.epoch = epoch
        self.raft.voted_for = self.node_id
        self.raft._become_leader()

    def bootstrap_follower(self, leader_id: int, epoch: int = 1) -> None:
        self.raft.epoch = epoch
        self.raft._become_follower(leader_id, epoch)

    # -- Raft callbacks ----------------------------------------------------------
    def _on_candidate(self, why: str) -> None:
        others = [v for v in self.voters if v != self.node_id]
        self.events.emit(EventKind.CONTROLLER_ELECTION,
                         f"Controller {self.node_id} becomes a candidate for epoch {self.raft.epoch} because {why}; "
                         f"it votes for itself and asks voters {', '.join(map(str, others))} for theirs.",
                         controller=self.node_id, epoch=self.raft.epoch)

    def _on_leader(self) -> None:
        # The new leader replays what it holds beyond the committed prefix: those
        # entries commit with its first record (Raft), so its image includes them.
        self._replay_to(self.raft.log_end_offset)
        if self.raft.votes:
            how = (f"won the vote for epoch {self.raft.epoch} (votes from "
                   f"{', '.join(map(str, sorted(self.raft.votes)))}) and")
        else:
            how = f"leads the quorum {self.voters} in epoch {self.raft.epoch} and"
        self.events.emit(EventKind.CONTROLLER_ACTIVE,
                         f"Controller {self.node_id} {how} is now the active controller: it owns the cluster "
                         "metadata, and brokers send it their heartbeats.",
                         controller=self.node_id, epoch=self.raft.epoch)
        # Kafka's new active controller starts every broker's session afresh.
        for bid, info in self.image.brokers.items():
            if not info.fenced:
                self._arm_session_timer(bid)

    def _on_resign(self, why: str) -> None:
        self._drop_process_state()
        # What it wrote but never committed is not the cluster's truth: rebuild
        # the image from the committed prefix (Kafka reverts to the last
        # committed snapshot on renouncing).
        self.image, self.applied = MetadataImage(), 0
        self._replay_to(self.raft.high_watermark)
        self.events.emit(EventKind.CONTROLLER_RESIGNED,
                         f"Controller {self.node_id} is no longer the active controller: {why}.",
                         controller=self.node_id, epoch=self.raft.epoch)

    def _on_commit(self) -> None:
        if self.raft.role != "leader":
            self._replay_to(self.raft.high_watermark)
            return
        hw = self.raft.high_watermark
        ready = [(o, e, r) for o, e, r in self._awaiting_commit if o <= hw]
        if ready:
            self._awaiting_commit = [(o, e, r) for o, e, r in self._awaiting_commit if o > hw]
            for _, env, response in ready:
                self.network.respond(env, response)
        self._wake_fetchers()

    def _replay_to(self, end: int) -> None:
        log = self.raft.log
        while self.applied < min(end, len(log)):
            self.image.replay(self.applied, log[self.applied][1])
            self.applied += 1

    # -- the metadata log ----------------------------------------------------
    def apply(self, result: ControllerResult, reason: str = "", env: Envelope | None = None) -> Any:
        """Append the records of a decision; `env`, if given, is answered once they commit."""
        if not self.active:
            raise KafkaError(Errors.NOT_CONTROLLER, f"controller {self.node_id} is not the active controller")
        def replay(record) -> None:
            self.raft.append([record])
            self._replay_to(self.raft.log_end_offset)

        self._replay_explained(result.records, reason, replay)
        if env is not None:
            end = self.raft.log_end_offset
            if end <= self.raft.high_watermark:
                self.network.respond(env, result.response)
            else:
                self._awaiting_commit.append((end, env, result.response))
        return result.response

    def handle(self, env: Envelope) -> None:
        if self.raft.handle(env):
            return
        if not self.active:
            # Brokers find the active controller from this answer (or try the next voter).
            self.network.respond(env, NotController(self.raft.leader_id, self.raft.epoch))
            return
        if env.api == "broker_heartbeat":
            self._on_heartbeat(env)
        elif env.api == "alter_partition":
            self.apply(self.alter_partition(env.body), env=env)
        elif env.api == "create_topics":
            # A broker forwarding an auto-creation (Kafka's ForwardingManager).
            internal = all(t.name.startswith("__") for t in env.body.topics)
            why = (f" because a client asked broker {env.src} for its coordinator (Kafka creates internal topics "
                   "on first use)" if internal else
                   f" because a client asked broker {env.src} for it (auto.create.topics.enable=true)")
            self.apply(self.create_topics(env.body), env=env, reason=why)
        elif env.api == "metadata_fetch":
            req: MetadataFetch = env.body
            if req.fetch_offset < self.raft.high_watermark or req.max_wait_ms == 0:
                self._answer_fetch(env)
            else:
                timer = self.clock.call_later(req.max_wait_ms, self._expire_fetch, env)
                self._parked.append((env, timer))

    def _answer_fetch(self, env: Envelope) -> None:
        # Brokers are Raft observers: they only ever see committed records.
        start, hw = env.body.fetch_offset, self.raft.high_watermark
        log = self.raft.log
        records = [(i, log[i][1]) for i in range(start, hw)]
        self.network.respond(env, MetadataFetchResponse(records, hw))

    def _expire_fetch(self, env: Envelope) -> None:
        self._parked = [(e, t) for e, t in self._parked if e is not env]
        self._answer_fetch(env)

    def _wake_fetchers(self) -> None:
        parked, self._parked = self._parked, []
        for env, timer in parked:
            timer.cancel()
            self._answer_fetch(env)

    # -- broker liveness (KRaft heartbeats) -------------------------------------
    def _on_heartbeat(self, env: Envelope) -> None:
        hb: BrokerHeartbeat = env.body
        bid = hb.broker_id
        info = self.image.brokers.get(bid)
        if info is None or info.incarnation != hb.incarnation:
            self.apply(self.register_broker(bid, fenced=True, incarnation=hb.incarnation),
                       reason=f"broker {bid} registered again after a restart")
            info = self.image.brokers[bid]
        self._arm_session_timer(bid)
        # Unfenced once the broker has replayed the committed metadata (it has caught up).
        if info.fenced and hb.metadata_offset >= self.raft.high_watermark - 1:
            self.apply(self.unfence_broker(bid))
        self.network.respond(env, self.image.brokers[bid].fenced)

    def _arm_session_timer(self, bid: int) -> None:
        timer = self._session_timers.get(bid)
        if timer is not None:
            timer.cancel()
        self._session_timers[bid] = self.clock.call_later(
            self.broker_config.get("broker.session.timeout.ms"), self._session_expired, bid)

    def _session_expired(self, bid: int) -> None:
        self._session_timers.pop(bid, None)
        if not self.active:
            return
        info = self.image.brokers.get(bid)
        if info is not None and not info.fenced:
            timeout = self.broker_config.get("broker.session.timeout.ms")
            self.apply(self.fence_broker(bid), reason=f"no heartbeat from broker {bid} for {timeout} ms "
                                                      "(broker.session.timeout.ms)")

    # -- events ------------------------------------------------------------------
