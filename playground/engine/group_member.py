"""A consumer's side of the classic group protocol (Kafka's AbstractCoordinator + ConsumerCoordinator).

The application thread drives it from `poll()`: find the coordinator, and
when a rebalance is needed, prepare (commit, and with the eager protocol give
up every partition), send JoinGroup, let the leader run the assignor, send
SyncGroup, and apply the result at the next poll (`on_join_complete`). With
the cooperative protocol a member keeps its partitions through JoinGroup and
gives up only those the new assignment takes away; it then rejoins at once
so that a second rebalance can hand them out.

A background "heartbeat thread" sends Heartbeat every heartbeat.interval.ms
while the member has a generation, learns of rebalances from
REBALANCE_IN_PROGRESS, and leaves the group itself when the application has
not called poll() for max.poll.interval.ms (a static member sends no
LeaveGroup: the coordinator notices after session.timeout.ms).
"""

from __future__ import annotations

from .assignors import Subscription, assign, protocol_name, rebalance_protocol
from .errors import Errors
from .events import EventKind
from .group_offsets import OFFSETS_TOPIC
from .group_protocol import (FindCoordinatorRequest, FindCoordinatorResponse, HeartbeatRequest, HeartbeatResponse,
                             JoinGroupProtocol, JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest,
                             MemberIdentity, SyncGroupRequest, SyncGroupResponse)
from .member_commits import MemberCommits
from .network import Disconnected

UNJOINED = "UNJOINED"
PREPARING_REBALANCE = "PREPARING_REBALANCE"
COMPLETING_REBALANCE = "COMPLETING_REBALANCE"
STABLE = "STABLE"

COORDINATOR_ERRORS = (Errors.COORDINATOR_NOT_AVAILABLE, Errors.NOT_COORDINATOR, Errors.COORDINATOR_LOAD_IN_PROGRESS)
FATAL_JOIN_ERRORS = (Errors.INVALID_SESSION_TIMEOUT, Errors.INCONSISTENT_GROUP_PROTOCOL, Errors.FENCED_INSTANCE_ID,
                     Errors.INVALID_GROUP_ID)


def parts(tps) -> str:
    return ", ".join(map(str, sorted(tps))) or "nothing"


def client_of(member_id: str) -> str:
    """The client id in front of a member id's uuid ("c1-3f2a...-..." -> "c1")."""
    return member_id[:-37] if len(member_id) > 37 and member_id[-37] == "-" else member_id


class GroupMember(MemberCommits):
    def __init__(self, consumer) -> None:
        c = self.c = consumer
        self.clock = c.clock
        self.events = c.events
        self.group_id: str = c.config["group.id"]
        self.instance_id: str | None = c.config.get("group.instance.id")
        strategy = c.config["partition.assignment.strategy"]
        if isinstance(strategy, str):
            strategy = [s for s in strategy.split(",") if s.strip()]
        self.protocols = [protocol_name(s.strip() if isinstance(s, str) else s) for s in strategy]
        # Kafka's ConsumerCoordinator picks the rebalance protocol every configured assignor
        # supports: the default [range, cooperative-sticky] rebalances eagerly.
        cooperative = all(rebalance_protocol(p) == "COOPERATIVE" for p in self.protocols)
        self.rebalance_protocol = "COOPERATIVE" if cooperative else "EAGER"
        self.session_timeout = int(c.config["session.timeout.ms"])
        self.heartbeat_interval = int(c.config["heartbeat.interval.ms"])
        self.rebalance_timeout = int(c.config["max.poll.interval.ms"])
        self.backoff = int(c.config["retry.backoff.ms"])
        self.coordinator: int | None = None
        self.finding = False
        self._announced: int | None = None      # the coordinator the last event named (no repeats)
        self._lost_from: int | None = None
        self._lookup_error: Errors | None = None
        self._next_broker = 0
        self.member_id = ""
        self.generation = -1
        self.protocol: str | None = None
        self.leader_id = ""
        self.state = UNJOINED
        self.rejoin_needed = True
        self.rejoin_reason = "it is starting up"
        self.joining = False
        self.busy = False                  # a rebalance callback (commit, revoke) holds the poll
        self.pending_assignment = None     # (generation, protocol, partitions) from SyncGroup
        self.assignment_snapshot: dict[str, int] | None = None
        self._hb_timer = None
        self._hb_in_flight = False
        self.init_commits()

    @property
    def is_static(self) -> bool:
        return self.instance_id is not None

    def cooperative(self) -> bool:
        return self.rebalance_protocol == "COOPERATIVE"

    def rebalance_in_progress(self) -> bool:
        return self.state in (PREPARING_REBALANCE, COMPLETING_REBALANCE) or self.joining

    # -- poll (the application thread) ------------------------------------------------
    def poll(self) -> None:
        if self.busy:
            return
        if self.coordinator is None:
            self.lookup()
            return
        if self.pending_assignment is not None:
            pending, self.pending_assignment = self.pending_assignment, None
            self._on_join_complete(*pending)
            if self.busy:
                return
        if self.rejoin_needed and not self.joining:
            self._join_prepare()
            if self.busy:
                return
        self.maybe_auto_commit()

    def request_rejoin(self, reason: str, event: str | None = None) -> None:
        self.rejoin_needed = True
        self.rejoin_reason = reason
        if event:
            self.events.emit(EventKind.REJOIN_REQUESTED, event, consumer=self.c.name, group=self.group_id,
                             reason=reason)
        self.c.wake()

    def on_metadata(self) -> None:
        """The leader rejoins when the partition counts it assigned from have changed."""
        snap = self.assignment_snapshot
        if snap is None or self.state != STABLE or self.leader_id != self.member_id:
            return
        meta = self.c.meta
        now = {t: len(meta.topic(t).partitions) if meta.topic(t) is not None else 0 for t in snap}
        if now != snap and not self.rejoin_needed:
            self.assignment_snapshot = None
            changed = ", ".join(f"{t}: {snap.get(t, 0)} → {n}" for t, n in sorted(now.items()) if snap.get(t) != n)
            self.request_rejoin("cached metadata has changed",
                                f"{self.c.name} leads group {self.group_id} and saw the partitions of its topics "
                                f"change ({changed}): it rejoins so the group rebalances over them.")

    # -- coordinator lookup ---------------------------------------------------------------
    def lookup(self) -> None:
        if self.finding or not self.c.alive:
            return
        self.finding = True
        c = self.c
        alive = [b for b in c.meta.bootstrap if c.network.is_alive(b)] or c.meta.bootstrap
        broker = alive[self._next_broker % len(alive)]
        self._next_broker += 1
        self.request_to(broker, "find_coordinator", FindCoordinatorRequest(self.group_id),
                        lambda resp: self._on_find(broker, resp))

    def _on_find(self, broker: int, resp) -> None:
        self.finding = False
        if isinstance(resp, FindCoordinatorResponse) and resp.error == Errors.NONE:
            self._lookup_error = None
            self.coordinator = resp.node_id
            if resp.node_id != self._announced:
                self._announced = resp.node_id
                self._lost_from = None
                self.events.emit(EventKind.COORDINATOR_FOUND,
                                 f"{self.c.name} asked broker {broker} for group {self.group_id}'s coordinator: "
                                 f"the group lives on partition {resp.partition} of {OFFSETS_TOPIC} "
                                 f"(abs(hashCode(\"{self.group_id}\")) % its partition count), whose leader, "
                                 f"broker {resp.node_id}, is the coordinator.",
                                 consumer=self.c.name, group=self.group_id, broker=resp.node_id,
                                 partition=resp.partition)
            if self.state in (COMPLETING_REBALANCE, STABLE):
                self._start_heartbeats()
            self.c.wake()
            return
        error = resp.error if isinstance(resp, FindCoordinatorResponse) else None
        if error is not None and error != self._lookup_error:
            self._lookup_error = error
            self.events.emit(EventKind.COORDINATOR_LOST,
                             f"{self.c.name} found no coordinator for group {self.group_id}: broker {broker} "
                             f"answered {error.name} ({resp.error_message}); it asks again in "
                             f"{self.backoff} ms.", consumer=self.c.name, group=self.group_id, error=error.name)
        self.c.later(self.backoff, self.lookup)

    def coordinator_lost(self, why: str) -> None:
        if self.coordinator is None:
            return
        old, self.coordinator = self.coordinator, None
        self.c.later(self.backoff, self.lookup)
        if old == self._lost_from:
            return                    # still the same unreachable broker: said already
        self._lost_from = old
        self.events.emit(EventKind.COORDINATOR_LOST,
                         f"{self.c.name} lost its coordinator (broker {old}) for group {self.group_id}: {why}. "
                         "It looks the coordinator up again with FindCoordinator.",
                         consumer=self.c.name, group=self.group_id, broker=old)

    def request(self, api: str, body, callback, timeout: int | None = None) -> None:
        if self.coordinator is None:
            self.lookup()
            self.c.later(0, callback, Disconnected("the coordinator is unknown"))
            return
        self.request_to(self.coordinator, api, body, callback, timeout)

    def request_to(self, node: int, api: str, body, callback, timeout: int | None = None) -> None:
        """Send a request; `callback` gets the response, or Disconnected after request.timeout.ms."""
        done: list[bool] = []

        def finish(resp) -> None:
            if done:
                return
            done.append(True)
            timer.cancel()
            callback(resp)

        timer = self.c.later(timeout or int(self.c.config["request.timeout.ms"]), finish,
                             Disconnected("request timed out"))
        self.c.network.request(self.c.name, node, api, body, self.c.guard(finish))

    # -- joining ------------------------------------------------------------------------------
    def _join_prepare(self) -> None:
        """Kafka's onJoinPrepare: commit (auto commit), then give partitions up as the protocol says."""
        c = self.c
        owned = set(c.assignment)
        if self.generation < 0 or not self.member_id:
            if owned:
                self.events.emit(EventKind.PARTITIONS_LOST,
                                 f"{c.name} is no longer a member of group {self.group_id} (its generation was "
                                 f"reset), so it drops {parts(owned)} as lost, without committing: another member "
                                 "may already own them.", consumer=c.name, group=self.group_id,
                                 partitions=[str(tp) for tp in sorted(owned)])
                c.set_assignment(())
            self._send_join()
            return
        eager = not self.cooperative()
        commit = owned and (c.commit_mode == "auto" or (eager and c.commit_mode == "after_processing"))
        if not commit:
            self._finish_join_prepare(eager, owned)
            return
        self.busy = True
        why = ("auto commit before rejoining (onJoinPrepare)" if c.commit_mode == "auto"
               else "its rebalance listener commits before giving partitions up")
        self.commit(c.consumed_offsets(), why, sync=True,
                    done=lambda _err: self._finish_join_prepare(eager, owned))

    def _finish_join_prepare(self, eager: bool, owned: set) -> None:
        self.busy = False
        c = self.c
        if eager and owned:
            self.events.emit(EventKind.PARTITIONS_REVOKED,
                             f"{c.name} gives up all its partitions ({parts(owned)}) before rejoining group "
                             f"{self.group_id}: the eager protocol stops every member until the new assignment "
                             "is known.", consumer=c.name, group=self.group_id,
                             partitions=[str(tp) for tp in sorted(owned)], protocol="EAGER")
            c.set_assignment(())
        self._send_join()

    def _send_join(self) -> None:
        c = self.c
        self.joining = True
        self.rejoin_needed = False
        self.state = PREPARING_REBALANCE
        owned = tuple(sorted(c.assignment))
        sub = Subscription(topics=tuple(c.subscription), owned_partitions=owned, generation=self.generation,
                           group_instance_id=self.instance_id)
        req = JoinGroupRequest(self.group_id, self.session_timeout, self.rebalance_timeout, self.member_id,
                               [JoinGroupProtocol(p, sub) for p in self.protocols], self.instance_id,
                               reason=self.rejoin_reason, client_id=c.name)
        # Kafka waits for a JoinGroup answer up to the rebalance timeout plus 5 s.
        timeout = max(int(c.config["request.timeout.ms"]), self.rebalance_timeout + 5000)
        self.request("join_group", req, self._on_join, timeout)

    def _join_failed(self, why: str, reset_member: bool = False, reset_generation: bool = False) -> None:
        self.joining = False
        self.state = UNJOINED
        if reset_member:
            self.member_id = ""
        if reset_member or reset_generation:
            self.generation = -1
        self.rejoin_needed = True
        self.rejoin_reason = why
        self.c.later(self.backoff, self.c.wake)

    def _on_join(self, resp) -> None:
        c = self.c
        if not isinstance(resp, JoinGroupResponse):
            self.coordinator_lost(f"JoinGroup failed ({resp.reason})")
            return self._join_failed("the coordinator was lost during JoinGroup")
        error = resp.error
        if error == Errors.MEMBER_ID_REQUIRED:
            self.member_id = resp.member_id
            self.events.emit(EventKind.REJOIN_REQUESTED,
                             f"The coordinator answered {c.name}'s first JoinGroup with MEMBER_ID_REQUIRED and the "
                             f"member id {resp.member_id}; {c.name} joins again with it (KIP-394).",
                             consumer=c.name, group=self.group_id, member_id=resp.member_id)
            return self._send_join()
        if error in COORDINATOR_ERRORS:
            self.coordinator_lost(f"JoinGroup answered {error.name}")
            return self._join_failed("the coordinator moved")
        if error in (Errors.UNKNOWN_MEMBER_ID, Errors.ILLEGAL_GENERATION):
            self._note_reset(error, "JoinGroup")
            return self._join_failed(f"JoinGroup answered {error.name}", reset_member=error == Errors.UNKNOWN_MEMBER_ID,
                                     reset_generation=True)
        if error in FATAL_JOIN_ERRORS:
            self.joining = False
            self.state = UNJOINED
            return c.fail(f"JoinGroup for group {self.group_id} failed with {error.name}")
        if error != Errors.NONE:
            return self._join_failed(f"JoinGroup answered {error.name}")
        self.generation = resp.generation_id
        self.member_id = resp.member_id
        self.protocol = resp.protocol_name
        self.leader_id = resp.leader
        self.state = COMPLETING_REBALANCE
        self._start_heartbeats()
        assignments = {}
        if resp.leader == self.member_id and not resp.skip_assignment:
            assignments = self._assign(resp.members)
        req = SyncGroupRequest(self.group_id, self.generation, self.member_id, assignments, self.instance_id,
                               "consumer", self.protocol)
        self.request("sync_group", req, self._on_sync)

    def _assign(self, members) -> dict:
        """The leader runs the group's assignor over everyone's subscription."""
        c = self.c
        subs = {m.member_id: m.metadata for m in members}
        topics = sorted({t for s in subs.values() for t in s.topics})
        for t in topics:
            c.meta.want(t)
        counts = {t: len(c.meta.topic(t).partitions) for t in topics if c.meta.topic(t) is not None}
        result = assign(self.protocol, counts, subs)
        # A topic without metadata yet counts as 0 partitions: when it appears, the leader rejoins.
        self.assignment_snapshot = {t: counts.get(t, 0) for t in topics}
        out = {mid: tuple(sorted(result.get(mid, ()))) for mid in subs}
        detail = "; ".join(f"{client_of(mid)} → {parts(tps)}" for mid, tps in sorted(out.items()))
        over = ", ".join(f"{t} ({n} partition{'s' if n != 1 else ''})" for t, n in counts.items()) or "no known topic"
        owned = [f"{client_of(mid)} owns {parts(s.owned_partitions)}" for mid, s in sorted(subs.items())
                 if s.owned_partitions]
        self.events.emit(EventKind.ASSIGNMENT_COMPUTED,
                         f"{c.name} leads generation {self.generation} of group {self.group_id}: it ran the "
                         f"{self.protocol} assignor over {over} for {len(subs)} member(s) (sorted by member id"
                         f"{'; ' + ', '.join(owned) if owned else ''}): {detail}. It sends this in its SyncGroup.",
                         consumer=c.name, group=self.group_id, generation=self.generation, protocol=self.protocol,
                         assignment={client_of(mid): [str(tp) for tp in tps] for mid, tps in out.items()})
        return out

    def _on_sync(self, resp) -> None:
        if not isinstance(resp, SyncGroupResponse):
            self.coordinator_lost(f"SyncGroup failed ({resp.reason})")
            return self._join_failed("the coordinator was lost during SyncGroup")
        error = resp.error
        if error == Errors.NONE:
            self.joining = False
            self.state = STABLE
            self.pending_assignment = (self.generation, self.protocol, tuple(resp.assignment))
            self.c.wake()
            return
        if error in COORDINATOR_ERRORS:
            self.coordinator_lost(f"SyncGroup answered {error.name}")
            return self._join_failed("the coordinator moved")
        if error in (Errors.UNKNOWN_MEMBER_ID, Errors.ILLEGAL_GENERATION):
            self._note_reset(error, "SyncGroup")
        self._join_failed(f"SyncGroup answered {error.name}", reset_member=error == Errors.UNKNOWN_MEMBER_ID,
                          reset_generation=error in (Errors.UNKNOWN_MEMBER_ID, Errors.ILLEGAL_GENERATION))

    def _on_join_complete(self, generation: int, protocol: str, assigned_tps: tuple) -> None:
        """Kafka's onJoinComplete, run in poll(): apply the assignment SyncGroup brought."""
        if generation != self.generation:
            return
        c = self.c
        owned, assigned = set(c.assignment), set(assigned_tps)
        revoked = owned - assigned if self.cooperative() else set()
        if revoked and c.commit_mode == "after_processing":
            self.busy = True
            offsets = {tp: off for tp, off in c.consumed_offsets().items() if tp in revoked}
            self.commit(offsets, "its rebalance listener commits the partitions it gives up", sync=True,
                        done=lambda _err: self._finish_join_complete(generation, protocol, owned, assigned, revoked))
            return
        self._finish_join_complete(generation, protocol, owned, assigned, revoked)

    def _finish_join_complete(self, generation, protocol, owned, assigned, revoked) -> None:
        self.busy = False
        c = self.c
        if revoked:
            self.events.emit(EventKind.PARTITIONS_REVOKED,
                             f"{c.name} gives up {parts(revoked)} only (cooperative rebalance): it keeps consuming "
                             f"{parts(owned & assigned)}, and rejoins at once so that a second rebalance can give "
                             "the freed partitions to their new owner.", consumer=c.name, group=self.group_id,
                             partitions=[str(tp) for tp in sorted(revoked)], protocol="COOPERATIVE")
            self.request_rejoin("need to revoke partitions and re-join")
        added = assigned - owned
        c.set_assignment(tuple(sorted(assigned)))
        if assigned:
            text = (f"{c.name} owns {parts(assigned)} in generation {generation} of group {self.group_id}"
                    + (f" (new: {parts(added)})" if added and added != assigned else "")
                    + (". It fetches the committed offsets of its new partitions to know where to start."
                       if added else "."))
        else:
            why = ("the group has more members than partitions, or the partitions meant for it are still being "
                   "released by their owner and come in the next, cooperative, rebalance"
                   if self.cooperative() else "the group has more members than partitions")
            text = (f"{c.name} got no partitions in generation {generation} of group {self.group_id} ({why}). It "
                    "stays in the group, idle and heartbeating, ready to take over when a member leaves.")
        self.events.emit(EventKind.PARTITIONS_ASSIGNED, text, consumer=c.name, group=self.group_id,
                         generation=generation, partitions=[str(tp) for tp in sorted(assigned)],
                         added=[str(tp) for tp in sorted(added)])
        self.reset_auto_commit()
        if added:
            self.fetch_committed(added)

    # -- heartbeats (the background thread) ----------------------------------------------------
    def _start_heartbeats(self) -> None:
        if self._hb_timer is None:
            self._hb_timer = self.c.later(self.heartbeat_interval, self._heartbeat)

    def _heartbeat(self) -> None:
        self._hb_timer = None
        if self.state not in (COMPLETING_REBALANCE, STABLE) or not self.member_id:
            return
        if self.c.poll_timeout_expired():
            self._leave_on_poll_timeout()
            return
        if self.coordinator is None:
            self.lookup()
        elif not self._hb_in_flight:
            self._hb_in_flight = True
            self.request("heartbeat", HeartbeatRequest(self.group_id, self.generation, self.member_id,
                                                       self.instance_id), self._on_heartbeat)
        # Kafka's heartbeat thread also wakes when the poll timer is due, so a
        # member that stopped polling leaves on time, not at its next heartbeat.
        delay = self.heartbeat_interval
        if self.c.app_state != "polling":
            due = self.c.last_poll + int(self.c.config["max.poll.interval.ms"]) + 1 - self.c.clock.now
            delay = max(1, min(delay, due))
        self._hb_timer = self.c.later(delay, self._heartbeat)

    def _on_heartbeat(self, resp) -> None:
        self._hb_in_flight = False
        if not isinstance(resp, HeartbeatResponse):
            self.coordinator_lost(f"its heartbeat failed ({resp.reason})")
            return
        error = resp.error
        if error == Errors.REBALANCE_IN_PROGRESS:
            if self.state == STABLE and not self.rejoin_needed:
                self.request_rejoin("the group is rebalancing",
                                    f"The coordinator answered {self.c.name}'s heartbeat with REBALANCE_IN_PROGRESS: "
                                    f"{self.c.name} rejoins group {self.group_id} at its next poll().")
        elif error in COORDINATOR_ERRORS:
            self.coordinator_lost(f"its heartbeat was answered {error.name}")
        elif error in (Errors.UNKNOWN_MEMBER_ID, Errors.ILLEGAL_GENERATION):
            self._note_reset(error, "Heartbeat")
            self.reset_generation(reset_member=error == Errors.UNKNOWN_MEMBER_ID)
            self.request_rejoin(f"heartbeat answered {error.name}")
        elif error == Errors.FENCED_INSTANCE_ID:
            self.reset_generation(reset_member=True)
            self.c.fail(f"group.instance.id {self.instance_id} is used by another consumer (FENCED_INSTANCE_ID)")

    def _note_reset(self, error: Errors, api: str) -> None:
        self.events.emit(EventKind.REJOIN_REQUESTED,
                         f"The coordinator answered {self.c.name}'s {api} with {error.name}: "
                         + ("it no longer knows this member (it was removed from the group)"
                            if error == Errors.UNKNOWN_MEMBER_ID else "the group has moved to a newer generation")
                         + f". {self.c.name} loses its partitions and joins again.",
                         consumer=self.c.name, group=self.group_id, error=error.name)

    def reset_generation(self, reset_member: bool) -> None:
        self.generation = -1
        if reset_member:
            self.member_id = ""
        self.state = UNJOINED
        self.joining = False

    def _leave_on_poll_timeout(self) -> None:
        c = self.c
        limit = self.rebalance_timeout
        if self.is_static:
            how = (f"as a static member (group.instance.id={self.instance_id}) it sends no LeaveGroup: it stops "
                   f"heartbeating, and the coordinator expels it after session.timeout.ms ({self.session_timeout} ms) "
                   "unless it comes back first")
        else:
            how = ("its heartbeat thread sends LeaveGroup so that the others can take over its partitions "
                   f"({parts(c.assignment)}); its next poll() joins again as a new member")
        self.events.emit(EventKind.MEMBER_LEFT,
                         f"{c.name} has not called poll() for max.poll.interval.ms ({limit} ms): {how}.",
                         consumer=c.name, group=self.group_id, reason="max_poll_interval")
        self.leave("consumer poll timeout has expired")
        self.request_rejoin("consumer poll timeout has expired")

    def leave(self, reason: str) -> None:
        """Kafka's maybeLeaveGroup: only a dynamic member with a generation sends LeaveGroup."""
        if not self.is_static and self.coordinator is not None and self.state != UNJOINED and self.member_id:
            body = LeaveGroupRequest(self.group_id, [MemberIdentity(self.member_id, None, reason)])
            self.request("leave_group", body, lambda resp: None)
        self.reset_generation(reset_member=True)
        if self._hb_timer is not None:
            self._hb_timer.cancel()
            self._hb_timer = None
