"""A broker's life: heartbeats to the controller, crash and restart, and ISR upkeep.

Mixed into `Broker`. A crash stops the process — heartbeats, fetchers,
pending requests — but keeps `disk`. A restart replays metadata from the
controller, registers fenced, and is unfenced once it has caught up; its
replicas then fetch from their leaders and truncate where they diverged.

The leader of a partition keeps its ISR honest through the controller
(AlterPartition): a follower that has not caught up for
`replica.lag.time.max.ms` is removed, and one that reaches the leader's
high watermark is added back.
"""

from __future__ import annotations

from .controller import AlterPartition, BrokerHeartbeat
from .errors import Errors
from .events import EventKind
from .metadata import MetadataImage
from .protocol import TopicPartition


class BrokerLiveness:
    # -- heartbeats ------------------------------------------------------------
    def start_heartbeats(self) -> None:
        self.start_storage()            # retention and the log cleaner run with the process
        self._heartbeat()
        self._isr_check_timer = self.clock.call_later(self._isr_check_interval(), self._check_isr)

    def _heartbeat(self) -> None:
        if not self.alive:
            return
        if self.zk_nodes:
            # ZooKeeper mode: a session ping instead (the client pings at a third of the timeout).
            self._zk_ping()
            self._heartbeat_timer = self.clock.call_later(self.config.get("zookeeper.session.timeout.ms") // 3,
                                                          self._heartbeat)
            return
        self.network.request(self.broker_id, self.controller_id, "broker_heartbeat",
                             BrokerHeartbeat(self.broker_id, self.image.offset, self.incarnation),
                             self._on_heartbeat_response)
        self._heartbeat_timer = self.clock.call_later(self.config.get("broker.heartbeat.interval.ms"),
                                                      self._heartbeat)

    def _on_heartbeat_response(self, resp) -> None:
        if self.alive and not isinstance(resp, bool):
            self.find_controller(resp)

    # -- crash and restart -------------------------------------------------------
    def kill(self) -> None:
        """The process dies; what it wrote stays on its disk."""
        self.alive = False
        self.network.set_alive(self.broker_id, False)
        self.network.reset_connections(self.broker_id)
        for timer in (self._heartbeat_timer, self._isr_check_timer, self._metadata_timer):
            if timer is not None:
                timer.cancel()
        self.stop_storage()
        for p in self.parked:
            p.timer.cancel()
        for state in self.leaders.values():
            for d in state.delayed:
                if d.timer is not None:
                    d.timer.cancel()
        for fetcher in self.fetchers.values():
            for timer in (fetcher.backoff_timer, fetcher._timeout):
                if timer is not None:
                    timer.cancel()
        self.parked = []
        self.fetch_sessions.clear()
        self.leaders = {}
        self.following = {}
        self.fetchers = {}
        self._alter_in_flight.clear()
        self.txn_killed()
        self.image = MetadataImage()
        self.zk_controller = None
        self.controller_epoch_seen = 0
        if self.zk_nodes:
            notice = ("ZooKeeper will expire its session after zookeeper.session.timeout.ms "
                      f"({self.config.get('zookeeper.session.timeout.ms')} ms)")
        else:
            notice = ("the controller will notice after broker.session.timeout.ms "
                      f"({self.config.get('broker.session.timeout.ms')} ms)")
        self.events.emit(EventKind.BROKER_KILLED,
                         f"Broker {self.broker_id} crashed. Its log files survive on disk, but it answers "
                         f"nothing and sends no heartbeats; {notice}.", broker=self.broker_id)

    def restart(self) -> None:
        self.alive = True
        self.incarnation += 1
        self.network.set_alive(self.broker_id, True)
        self.events.emit(EventKind.BROKER_RESTARTED,
                         f"Broker {self.broker_id} restarted with its old logs; it "
                         + ("opens a new ZooKeeper session and waits for the controller to send it the state."
                            if self.zk_nodes else
                            "reloads the metadata and registers with the controller, fenced until it has caught up."),
                         broker=self.broker_id)
        if not self.zk_nodes:
            self.start_metadata_fetch()
        self.start_heartbeats()

    # -- ISR upkeep (leader side) -------------------------------------------------
    def _isr_check_interval(self) -> int:
        # Kafka's ReplicaManager checks every replica.lag.time.max.ms / 2.
        return max(1, self.config.get("replica.lag.time.max.ms") // 2)

    def _check_isr(self) -> None:
        if not self.alive:
            return
        now = self.clock.now
        lag_max = self.config.get("replica.lag.time.max.ms")
        for tp, state in self.leaders.items():
            out = [r for r in state.isr if r != self.broker_id and r in state.followers
                   and now - state.followers[r].last_caught_up_ms > lag_max]
            if out:
                self._alter_isr(state, tuple(r for r in state.isr if r not in out),
                                f"no catch-up for {lag_max} ms (replica.lag.time.max.ms)")
        self._isr_check_timer = self.clock.call_later(self._isr_check_interval(), self._check_isr)

    def maybe_expand_isr(self, state, follower: int) -> None:
        """A follower back in step with the leader's high watermark rejoins the ISR."""
        if follower in state.isr:
            return
        info = self.image.brokers.get(follower)
        if info is None or info.fenced:
            return              # Kafka (KIP-841) never proposes a fenced broker for the ISR
        f = state.followers.get(follower)
        if f is None or f.log_end_offset < state.log.high_watermark:
            return
        epoch_start = next((s for e, s in state.log.epoch_cache if e == state.leader_epoch), 0)
        if f.log_end_offset < epoch_start:
            return
        self._alter_isr(state, tuple(state.isr) + (follower,), "caught up with the high watermark")

    def _alter_isr(self, state, new_isr: tuple[int, ...], why: str) -> None:
        in_flight = self._alter_in_flight
        if state.tp in in_flight:
            return
        in_flight.add(state.tp)
        req = AlterPartition(self.broker_id, state.tp.topic, state.tp.partition, state.leader_epoch, new_isr)

        answered = []

        def done(resp, tp: TopicPartition = state.tp) -> None:
            answered.append(True)
            in_flight.discard(tp)
            if not isinstance(resp, Errors):
                if self.alive:
                    self.find_controller(resp)      # asked a voter that does not lead; the next check retries
                return
            if resp != Errors.NONE and self.alive:
                self.events.emit(EventKind.ISR_CHANGED,
                                 f"Controller refused broker {self.broker_id}'s ISR change for {tp}: "
                                 f"{getattr(resp, 'name', resp)}.", topic=tp.topic, partition=tp.partition,
                                 refused=True)

        self.network.request(self.broker_id, self.controller_id, "alter_partition", req, done)

        def give_up(tp: TopicPartition = state.tp) -> None:
            # A request lost in the network (this broker was cut off) is given up
            # after the request timeout, so the next ISR check can try again.
            if not answered and tp in in_flight:
                in_flight.discard(tp)

        self.clock.call_later(self.config.get("controller.quorum.request.timeout.ms"), give_up)
