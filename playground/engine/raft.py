"""One KRaft voter's Raft state: epochs, votes, the replicated metadata log.

KRaft (KIP-595) is Raft with pull replication: followers Fetch from the
leader, the leader learns their log end offsets from those fetches and
moves the high watermark to what a majority holds. A follower that hears
nothing from the leader for `controller.quorum.fetch.timeout.ms` first asks
the others whether it could win (a pre-vote, KIP-996, granted only by voters
that have not heard from a leader either); with a majority it becomes a
candidate: it bumps the epoch, votes for itself and asks the other voters
(Vote); a voter grants one vote per epoch, and only to a candidate whose log
is at least as up to date as its own. The winner writes a LeaderChange
control record in its new epoch (so earlier entries become committed with
it) and tells the voters with BeginQuorumEpoch.

`RaftNode` knows nothing of metadata; its owner (`QuorumController`) is told
when it becomes leader, loses leadership, or when the committed prefix grows.
Times and names follow Kafka's `KafkaRaftClient` / `QuorumState`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Callable

from .errors import Errors
from .metadata import LeaderChangeRecord
from .network import Disconnected, Envelope, Network

FETCH_MAX_WAIT_MS = 500          # KafkaRaftClient's fetch long-poll


@dataclass(slots=True)
class RaftFetch:
    replica_id: int
    epoch: int
    fetch_offset: int
    last_fetched_epoch: int


@dataclass(slots=True)
class RaftFetchResponse:
    error: Errors
    leader_id: int | None
    epoch: int
    entries: list[tuple[int, Any]]       # (epoch, record) from fetch_offset on
    high_watermark: int
    diverging_end_offset: int = -1       # truncate to this before fetching again


@dataclass(slots=True)
class Vote:
    candidate_id: int
    epoch: int
    last_epoch: int
    last_offset: int
    pre_vote: bool = False


@dataclass(slots=True)
class VoteResponse:
    voter_id: int
    epoch: int
    granted: bool
    leader_id: int | None
    pre_vote: bool = False


@dataclass(slots=True)
class BeginQuorumEpoch:
    leader_id: int
    epoch: int


class RaftNode:
    def __init__(self, node_id: int, voters: list[int], network: Network, rng: random.Random,
                 config, on_leader: Callable[[], None], on_resign: Callable[[str], None],
                 on_commit: Callable[[], None], on_candidate: Callable[[str], None]) -> None:
        self.node_id = node_id
        self.voters = list(voters)
        self.network = network
        self.clock = network.clock
        self.rng = rng
        self.config = config
        self._on_leader = on_leader
        self._on_resign = on_resign
        self._on_commit = on_commit
        self._on_candidate = on_candidate
        # Persisted (Kafka's quorum-state file and the log): these survive a crash.
        self.log: list[tuple[int, Any]] = []
        self.epoch = 0
        self.voted_for: int | None = None
        # Process state.
        self.role = "unattached"
        self.leader_id: int | None = None
        self.high_watermark = 0
        self.votes: set[int] = set()
        self.voter_ends: dict[int, int] = {}
        self.last_fetch_at: dict[int, int] = {}
        self._parked: list[tuple[Envelope, Any]] = []
        self._timer = None            # election / fetch timeout
        self._check_quorum_timer = None
        self._fetch_attempt = 0
        self._last_leader_contact = -1 << 40
        self._why = ""
        self.alive = True

    # -- configuration ---------------------------------------------------------
    def _fetch_timeout(self) -> int:
        return self.config.get("controller.quorum.fetch.timeout.ms")

    def _election_timeout(self) -> int:
        # Kafka randomises the election timeout in [timeout, 2 * timeout).
        base = self.config.get("controller.quorum.election.timeout.ms")
        return base + self.rng.randrange(max(1, base))

    def majority(self) -> int:
        return len(self.voters) // 2 + 1

    # -- the log -----------------------------------------------------------------
    @property
    def log_end_offset(self) -> int:
        return len(self.log)

    def last_epoch(self) -> int:
        return self.log[-1][0] if self.log else 0

    def append(self, records: list[Any]) -> int:
        """Leader only: append records in the current epoch; returns the end offset."""
        for record in records:
            self.log.append((self.epoch, record))
        self._update_high_watermark()
        self._wake_parked()
        return len(self.log)

    def _end_offset_for_epoch(self, epoch: int) -> tuple[int, int]:
        """(largest epoch ≤ `epoch` in the log, the offset where it ends)."""
        best_epoch, end = 0, 0
        for i, (e, _) in enumerate(self.log):
            if e <= epoch:
                best_epoch, end = e, i + 1
            else:
                break
        return best_epoch, end

    # -- life ------------------------------------------------------------------------
    def start(self) -> None:
        """Restart with the persisted log, epoch and vote: a voter that knew the
        leader of its epoch goes back to following it (Kafka's QuorumState)."""
        self.alive = True
        self.high_watermark = 0
        leader, self.leader_id = self.leader_id, None
        if leader is not None and leader != self.node_id:
            self._become_follower(leader, self.epoch)
            return
        self.role = "unattached"
        self._arm(self._election_timeout(), self._become_prospective, "no leader is known yet")

    def stop(self) -> None:
        self.alive = False
        for timer in (self._timer, self._check_quorum_timer):
            if timer is not None:
                timer.cancel()
        self._timer = self._check_quorum_timer = None
        for _, timer in self._parked:
            timer.cancel()
        self._parked = []
        self._fetch_attempt += 1
        self.role = "unattached"      # `leader_id` stays: it is in the persisted quorum state

    def _arm(self, delay: int, fn, *args) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self.clock.call_later(delay, fn, *args)

    # -- roles -----------------------------------------------------------------
    def _become_prospective(self, why: str) -> None:
        """KIP-996 pre-vote: ask whether an election could be won before bumping the
        epoch, so a voter that was cut off cannot unseat a healthy leader."""
        if not self.alive:
            return
        was_leader = self.role == "leader"
        self.role = "prospective"
        self.leader_id = None
        self.votes = {self.node_id}
        self._fetch_attempt += 1
        self._why = why
        if was_leader:
            self._on_resign(why)
        if len(self.votes) >= self.majority():
            self._become_candidate(why)
            return
        self._arm(self._election_timeout(), self._election_lost)
        req = Vote(self.node_id, self.epoch + 1, self.last_epoch(), len(self.log), pre_vote=True)
        for v in self.voters:
            if v != self.node_id:
                self.network.request(self.node_id, v, "vote", req, self._on_vote_response)

    def _become_candidate(self, why: str) -> None:
        if not self.alive:
            return
        was_leader = self.role == "leader"
        self.role = "candidate"
        self.epoch += 1
        self.voted_for = self.node_id
        self.leader_id = None
        self.votes = {self.node_id}
        self._fetch_attempt += 1
        if was_leader:
            self._on_resign(why)
        self._on_candidate(why)
        self._arm(self._election_timeout(), self._election_lost)
        if len(self.votes) >= self.majority():
            self._become_leader()
            return
        req = Vote(self.node_id, self.epoch, self.last_epoch(), len(self.log))
        for v in self.voters:
            if v != self.node_id:
                self.network.request(self.node_id, v, "vote", req, self._on_vote_response)

    def _election_lost(self) -> None:
        # No majority in time: back off a random while, then try a higher epoch
        # (controller.quorum.election.backoff.max.ms).
        backoff = self.rng.randrange(max(1, self.config.get("controller.quorum.election.backoff.max.ms")))
        self._arm(backoff, self._become_prospective, f"the election for epoch {self.epoch} found no majority")

    def _on_vote_response(self, resp: Any) -> None:
        if not self.alive or not isinstance(resp, VoteResponse):
            return
        if resp.epoch > self.epoch:
            self._observe_epoch(resp.epoch, resp.leader_id)
            return
        if resp.pre_vote:
            if self.role == "prospective" and resp.granted:
                self.votes.add(resp.voter_id)
                if len(self.votes) >= self.majority():
                    self._become_candidate(self._why)
            return
        if self.role != "candidate" or resp.epoch != self.epoch or not resp.granted:
            return
        self.votes.add(resp.voter_id)
        if len(self.votes) >= self.majority():
            self._become_leader()

    def _become_leader(self) -> None:
        self.role = "leader"
        self.leader_id = self.node_id
        now = self.clock.now
        self.voter_ends = {v: 0 for v in self.voters if v != self.node_id}
        self.last_fetch_at = {v: now for v in self.voters if v != self.node_id}
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.append([LeaderChangeRecord(self.node_id, self.epoch, tuple(self.voters))])
        for v in self.voters:
            if v != self.node_id:
                self.network.request(self.node_id, v, "begin_quorum_epoch",
                                     BeginQuorumEpoch(self.node_id, self.epoch), None)
        self._arm_check_quorum()
        self._on_leader()

    def _arm_check_quorum(self) -> None:
        # A leader that has not heard from a majority for 1.5 × the fetch timeout
        # steps down (Kafka's check-quorum, KAFKA-15489), so a cut-off leader
        # cannot go on believing it leads.
        self._check_quorum_timer = self.clock.call_later(self._fetch_timeout() * 3 // 2, self._check_quorum)

    def _check_quorum(self) -> None:
        if not self.alive or self.role != "leader":
            return
        window = self._fetch_timeout() * 3 // 2
        now = self.clock.now
        heard = 1 + sum(1 for t in self.last_fetch_at.values() if now - t <= window)
        if heard < self.majority():
            self._resign_to_unattached(f"it heard from no majority of voters for {window} ms")
            return
        self._arm_check_quorum()

    def _resign_to_unattached(self, why: str) -> None:
        self.role = "unattached"
        self.leader_id = None
        for _, timer in self._parked:
            timer.cancel()
        parked, self._parked = self._parked, []
        for env, _ in parked:
            self._answer_not_leader(env)
        self._on_resign(why)
        self._arm(self._election_timeout(), self._become_prospective, why)

    def _become_follower(self, leader_id: int, epoch: int) -> None:
        was_leader = self.role == "leader"
        self.role = "follower"
        self.leader_id = leader_id
        self._last_leader_contact = self.clock.now
        if epoch > self.epoch:
            self.epoch = epoch
            self.voted_for = None
        if was_leader:
            self._on_resign(f"voter {leader_id} leads epoch {epoch}")
        self._arm(self._fetch_timeout(), self._become_prospective,
                  f"it heard nothing from leader {leader_id} for {self._fetch_timeout()} ms "
                  "(controller.quorum.fetch.timeout.ms)")
        self._send_fetch()

    def _observe_epoch(self, epoch: int, leader_id: int | None) -> None:
        """A higher epoch seen anywhere ends whatever this node was doing in the old one."""
        if leader_id is not None and leader_id != self.node_id:
            self._become_follower(leader_id, epoch)
            return
        was_leader = self.role == "leader"
        self.epoch = epoch
        self.voted_for = None
        self.role = "unattached"
        self.leader_id = None
        if was_leader:
            self._on_resign(f"a voter is at the higher epoch {epoch}")
        self._arm(self._election_timeout(), self._become_prospective, f"epoch {epoch} has no known leader")

    # -- follower fetching ---------------------------------------------------------
    def _send_fetch(self) -> None:
        if not self.alive or self.role != "follower" or self.leader_id is None:
            return
        self._fetch_attempt = attempt = self._fetch_attempt + 1
        req = RaftFetch(self.node_id, self.epoch, len(self.log), self.last_epoch())
        self.network.request(self.node_id, self.leader_id, "raft_fetch", req,
                             lambda resp: self._on_fetch_response(attempt, req.fetch_offset, resp))
        # A fetch lost on the way is sent again after the long-poll would have ended.
        self.clock.call_later(FETCH_MAX_WAIT_MS + 4 * self.network.latency + 1, self._refetch, attempt)

    def _refetch(self, attempt: int) -> None:
        if attempt == self._fetch_attempt:
            self._send_fetch()

    def _on_fetch_response(self, attempt: int, fetch_offset: int, resp: Any) -> None:
        if not self.alive or attempt != self._fetch_attempt or self.role != "follower":
            return
        self._fetch_attempt += 1
        if isinstance(resp, Disconnected):
            self.clock.call_later(100, self._send_fetch)       # the fetch timeout decides
            return
        if resp.epoch > self.epoch or (resp.leader_id is not None and resp.leader_id != self.leader_id):
            if resp.leader_id is None:
                self._observe_epoch(resp.epoch, None)
            else:
                self._become_follower(resp.leader_id, resp.epoch)
            return
        if resp.error != Errors.NONE:
            self.clock.call_later(100, self._send_fetch)
            return
        # A response from the leader of our epoch: it is alive.
        self._last_leader_contact = self.clock.now
        self._arm(self._fetch_timeout(), self._become_prospective,
                  f"it heard nothing from leader {self.leader_id} for {self._fetch_timeout()} ms "
                  "(controller.quorum.fetch.timeout.ms)")
        if resp.diverging_end_offset >= 0:
            del self.log[max(resp.diverging_end_offset, self.high_watermark):]
        elif fetch_offset == len(self.log):
            self.log.extend(resp.entries)
        new_hw = min(resp.high_watermark, len(self.log))
        if new_hw > self.high_watermark:
            self.high_watermark = new_hw
            self._on_commit()
        self._send_fetch()

    # -- requests --------------------------------------------------------------------
    def handle(self, env: Envelope) -> bool:
        """Raft's own APIs; returns False for anything else."""
        api = env.api
        if api == "raft_fetch":
            self._handle_fetch(env)
        elif api == "vote":
            self._handle_vote(env)
        elif api == "begin_quorum_epoch":
            req: BeginQuorumEpoch = env.body
            if req.epoch >= self.epoch and not (req.epoch == self.epoch and self.role == "leader"):
                if self.role != "follower" or self.leader_id != req.leader_id or req.epoch != self.epoch:
                    self._become_follower(req.leader_id, req.epoch)
            self.network.respond(env, None)
        else:
            return False
        return True

    def _handle_vote(self, env: Envelope) -> None:
        req: Vote = env.body
        if req.pre_vote:
            # Granted only by a voter that has no leader it heard from recently,
            # and only to a log at least as up to date; nothing changes here.
            heard = (self.role == "leader" or (self.role == "follower" and self.clock.now
                                               - self._last_leader_contact < self._fetch_timeout()))
            granted = (req.epoch > self.epoch and not heard
                       and (req.last_epoch, req.last_offset) >= (self.last_epoch(), len(self.log)))
            self.network.respond(env, VoteResponse(self.node_id, self.epoch, granted, self.leader_id, True))
            return
        if req.epoch > self.epoch:
            self._observe_epoch(req.epoch, None)
        granted = False
        if req.epoch == self.epoch and self.role != "leader" and self.voted_for in (None, req.candidate_id):
            if (req.last_epoch, req.last_offset) >= (self.last_epoch(), len(self.log)):
                granted = True
                self.voted_for = req.candidate_id
                if self.role != "candidate":
                    self._arm(self._election_timeout(), self._become_prospective,
                              f"candidate {req.candidate_id} did not become leader in time")
        self.network.respond(env, VoteResponse(self.node_id, self.epoch, granted, self.leader_id))

    def _handle_fetch(self, env: Envelope) -> None:
        req: RaftFetch = env.body
        if self.role != "leader":
            self._answer_not_leader(env)
            return
        if req.epoch < self.epoch:
            # A voter behind on epochs learns who leads now (FENCED_LEADER_EPOCH).
            self.network.respond(env, RaftFetchResponse(Errors.FENCED_LEADER_EPOCH, self.node_id, self.epoch,
                                                        [], self.high_watermark))
            return
        if req.fetch_offset > 0 and (req.fetch_offset > len(self.log)
                                     or self.log[req.fetch_offset - 1][0] != req.last_fetched_epoch):
            # The follower's log diverges: it truncates to where our copy of its
            # last epoch ends, then fetches again (KIP-595's DivergingEpoch).
            _, end = self._end_offset_for_epoch(req.last_fetched_epoch)
            end = min(end, req.fetch_offset - 1)
            self.network.respond(env, RaftFetchResponse(Errors.NONE, self.node_id, self.epoch, [],
                                                        self.high_watermark, diverging_end_offset=max(0, end)))
            return
        self.voter_ends[req.replica_id] = req.fetch_offset
        self.last_fetch_at[req.replica_id] = self.clock.now
        self._update_high_watermark()
        if req.fetch_offset < len(self.log):
            self._answer_fetch(env)
        else:
            timer = self.clock.call_later(FETCH_MAX_WAIT_MS, self._expire_parked, env)
            self._parked.append((env, timer))

    def _answer_fetch(self, env: Envelope) -> None:
        req: RaftFetch = env.body
        entries = self.log[req.fetch_offset:]
        self.network.respond(env, RaftFetchResponse(Errors.NONE, self.node_id, self.epoch, entries,
                                                    self.high_watermark))

    def _answer_not_leader(self, env: Envelope) -> None:
        self.network.respond(env, RaftFetchResponse(Errors.NOT_LEADER_OR_FOLLOWER, self.leader_id, self.epoch,
                                                    [], self.high_watermark))

    def _expire_parked(self, env: Envelope) -> None:
        self._parked = [(e, t) for e, t in self._parked if e is not env]
        if self.role == "leader":
            self._answer_fetch(env)
        else:
            self._answer_not_leader(env)

    def _wake_parked(self) -> None:
        parked, self._parked = self._parked, []
        for env, timer in parked:
            timer.cancel()
            self._answer_fetch(env)

    def _update_high_watermark(self) -> None:
        ends = sorted([len(self.log)] + [self.voter_ends.get(v, 0) for v in self.voters if v != self.node_id],
                      reverse=True)
        candidate = ends[self.majority() - 1]
        # Raft: only an entry of the leader's own epoch commits (and with it all before it).
        if candidate > self.high_watermark and self.log[candidate - 1][0] == self.epoch:
            self.high_watermark = candidate
            self._on_commit()
            # Followers learn the new high watermark on their next fetch; wake them now.
            if self._parked:
                self._wake_parked()
