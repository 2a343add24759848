"""A broker's fetch path: followers and consumers fetch, long polls park until data arrives.

Mixed into `Broker`. A follower's fetch also reports its position, which
moves the high watermark and may bring the follower back into the ISR; a
diverged follower is told where to truncate. Consumers read only below the
high watermark. A fetch that finds fewer than `fetch.min.bytes` waits up to
`fetch.max.wait.ms` (`ParkedFetch`).
"""

from __future__ import annotations

from .errors import Errors
from .events import EventKind
from .fetch_session import FINAL_EPOCH, FetchSession
from .network import Envelope
from .protocol import FetchedPartition, FetchRequest, FetchResponse, TopicPartition
from .replication import LeaderPartition

# Enum members looked up once: in Python 3.11 every Errors.X / EventKind.X goes through
# EnumType's __getattr__ hook, and these run for every record, batch or fetch.
_NONE = Errors.NONE
_REPLICA_FETCHED = EventKind.REPLICA_FETCHED


class ParkedFetch:
    """A fetch waiting for data (Kafka's DelayedFetch), with the session it reads, if any."""

    __slots__ = ("env", "req", "timer", "follower", "session", "incremental", "partitions")

    def __init__(self, env: Envelope, req: FetchRequest, follower: bool,
                 session: FetchSession | None = None, incremental: bool = False) -> None:
        self.env = env
        self.req = req
        self.follower = follower
        self.session = session
        self.incremental = incremental
        # The partitions it waits on: a session's all, not just those its request listed.
        self.partitions = session.partitions if session is not None else req.partitions
        self.timer = None


class BrokerFetch:
    def _handle_fetch(self, env: Envelope) -> None:
        req: FetchRequest = env.body
        follower = req.replica_id >= 0
        session, incremental = None, False
        if follower and req.session_epoch != FINAL_EPOCH:
            error, session, incremental = self.fetch_sessions.context(req)
            if error != _NONE:
                self.network.respond(env, FetchResponse({}, error))
                return
        parts = session.partitions if session is not None else req.partitions
        # A follower's fetch reports its position on every partition of the session, listed or not.
        resp, size, error = self._read(req, follower, parts, incremental, note_positions=follower, session=session)
        if error or size >= req.min_bytes or req.max_wait_ms <= 0:
            self._respond_fetch(env, resp, session)
            return
        parked = ParkedFetch(env, req, follower, session, incremental)
        parked.timer = self.clock.call_timeout(req.max_wait_ms, self._expire_fetch, parked)
        self.parked.append(parked)

    def _respond_fetch(self, env: Envelope, resp: FetchResponse, session: FetchSession | None) -> None:
        if session is not None:
            resp.session_id = session.id
            session.sent(resp)
        self.network.respond(env, resp)

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
            state.log.thaw()

    def _diverging(self, state: LeaderPartition, part) -> tuple[int, int] | None:
        """The (epoch, end offset) a follower must truncate to, if its log diverged."""
        last_epoch = part.last_fetched_epoch
        if last_epoch < 0:
            return None
        log = state.log
        cache = log.epoch_cache
        if cache and cache[-1][0] == last_epoch:
            # The leader's latest epoch ends at its log end (what end_offset_for_epoch says).
            return None if part.fetch_offset <= log.log_end_offset else (last_epoch, log.log_end_offset)
        epoch, end = log.end_offset_for_epoch(last_epoch)
        if epoch != part.last_fetched_epoch or end < part.fetch_offset:
            return epoch, end
        return None

    def _read(self, req: FetchRequest, follower: bool, parts=None, incremental: bool = False,
              note_positions: bool = False, session: FetchSession | None = None) -> tuple[FetchResponse, int, bool]:
        """Read `parts` (the request's partitions, or its session's); an incremental fetch leaves
        out a partition with no records, no new high watermark or log start offset, no error and
        no divergence (KIP-227).

        `note_positions` (a follower's fetch as it arrives): each partition first takes the
        follower's fetch offset as its log end offset, which may move the high watermark and the
        ISR. Reading one partition changes nothing another one reads, so noting and reading
        partition by partition answers what noting every position first would."""
        out: dict[TopicPartition, FetchedPartition] = {}
        total = 0
        any_error = False
        leaders = self.leaders
        replica = req.replica_id
        now = self.clock.now
        committed_only = not follower and req.isolation_level == "read_committed"
        if incremental and session is not None:
            # Quiet session partitions are passed by: nothing of them has changed since a fetch
            # that found nothing to send and noted only the time (any change thaws them), so this
            # fetch would find and note the same. The session keeps the time.
            if note_positions:
                session.prev_note_ms = session.note_ms
                session.note_ms = now
            entries = session.active_entries(note_positions)
        else:
            entries = (req.partitions if parts is None else parts).items()
        for tp, part in entries:
            state = leaders.get(tp)
            if state is None:
                error, state = self._leader_for(tp)
                out[tp] = FetchedPartition(error, error_message=self._error_text(error, tp))
                any_error = True
                continue
            log = state.log
            diverging = None
            if follower:
                fetch_offset = part.fetch_offset
                last_epoch = part.last_fetched_epoch
                end = log.log_end_offset
                # _diverging's common case inline: the leader's latest epoch ends at its log end.
                if last_epoch >= 0 and not (fetch_offset <= end and (cache := log.epoch_cache)
                                            and cache[-1][0] == last_epoch):
                    diverging = self._diverging(state, part)
                if diverging is None and part.current_leader_epoch == state.leader_epoch:
                    known = None
                    moved = True
                    if note_positions:
                        # Note the follower's fetch: its log end offset (the high watermark can move
                        # only when that moved), when it fetched, and when it was last caught up.
                        known = state.followers.get(replica)
                        moved = False
                        if known is not None:
                            if known.quiet is not None:
                                known.quiet.thaw()      # quiet in another session of this follower
                            moved = fetch_offset != known.log_end_offset
                            known.log_end_offset = fetch_offset
                            known._last_fetch_ms = now
                            if fetch_offset >= end:
                                known._last_caught_up_ms = now
                        if moved or state.pending_isr:
                            self._maybe_advance_hw(state)
                        if replica not in state.isr:
                            self._maybe_expand_isr(state, replica)
                    # (The log end read again: what noting the position completed may have appended.)
                    if incremental and fetch_offset == log.log_end_offset and part.high_watermark == log.high_watermark \
                            and part.log_start_offset == log.log_start_offset:
                        # A follower at the end, told everything already. If noting it did nothing
                        # but note the time, it is quiet until its log or leader state changes.
                        if known is not None and not moved and not state.pending_isr and replica in state.isr \
                                and session is not None:
                            part.quiet = known
                            known.quiet = part
                            log.quiet.append(part)
                            session.active &= ~(1 << part.pos)
                        continue
            if part.current_leader_epoch >= 0 and part.current_leader_epoch != state.leader_epoch:
                err = Errors.FENCED_LEADER_EPOCH if part.current_leader_epoch < state.leader_epoch \
                    else Errors.UNKNOWN_LEADER_EPOCH
                out[tp] = FetchedPartition(err, error_message=self._error_text(err, tp))
                any_error = True
                continue
            if diverging is not None:
                out[tp] = FetchedPartition(high_watermark=log.high_watermark,
                                           log_start_offset=log.log_start_offset,
                                           diverging_epoch=diverging)
                any_error = True
                continue
            end = log.log_end_offset
            limit = end if follower else log.high_watermark
            if committed_only:
                # read_committed reads up to the last stable offset: no open transaction's records.
                limit = self.last_stable_offset(tp)
            offset = part.fetch_offset
            if offset < log.log_start_offset or offset > end:
                out[tp] = FetchedPartition(Errors.OFFSET_OUT_OF_RANGE, log.high_watermark, log.log_start_offset,
                                           error_message=f"Offset {offset} is outside {tp}'s log "
                                           f"[{log.log_start_offset}, {end}).")
                any_error = True
                continue
            batches = log.read(offset, limit, part.partition_max_bytes)
            for b in batches:
                total += b.size_bytes
            data = out[tp] = FetchedPartition(_NONE, log.high_watermark, log.log_start_offset, batches)
            if committed_only:
                data.last_stable_offset = limit
                if batches:
                    data.aborted_transactions = [
                        (a.producer_id, a.first_offset) for a in
                        self.producer_state(tp).aborted_between(offset, batches[-1].next_offset)]
        if note_positions and session is not None:
            session.cursor = None
        return FetchResponse(out), total, any_error

    def _wake_followers(self, tp: TopicPartition) -> None:
        self._complete_parked_on(tp, True)

    def _complete_parked_on(self, tp: TopicPartition, follower: bool) -> None:
        """`_complete_parked` for the fetches of followers (or of consumers) that wait on `tp`:
        after every append and every high watermark move, so without a predicate to call."""
        parked = self.parked
        if not parked:
            return
        for p in parked:
            if p.follower == follower and tp in p.partitions:
                break
        else:
            return                          # none of them waits on it: the list stays as it is
        keep = []
        ready = []
        for p in parked:
            (ready if p.follower == follower and tp in p.partitions else keep).append(p)
        self._complete_ready(ready, keep)

    def _complete_parked(self, pred) -> None:
        if not self.parked:
            return
        keep = []
        ready = []
        for p in self.parked:
            (ready if pred(p) else keep).append(p)
        if not ready:
            return
        self._complete_ready(ready, keep)

    def _complete_ready(self, ready: list[ParkedFetch], keep: list[ParkedFetch]) -> None:
        """Read the `ready` fetches again: those with enough data (or an error) are answered, the
        rest park again after the `keep` ones."""
        self.parked = keep
        for p in ready:
            resp, size, error = self._read(p.req, p.follower, p.partitions, p.incremental, session=p.session)
            if error or size >= p.req.min_bytes:
                p.timer.cancel()
                self._respond_fetch(p.env, resp, p.session)
            else:
                self.parked.append(p)

    def _expire_fetch(self, parked: ParkedFetch) -> None:
        if parked in self.parked:
            self.parked.remove(parked)
            resp, _, _ = self._read(parked.req, parked.follower, parked.partitions, parked.incremental,
                                    session=parked.session)
            self._respond_fetch(parked.env, resp, parked.session)

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
                self.log_append(tp, log, b, follower=True)
            if first is not None:
                self.events.emit(_REPLICA_FETCHED,
                                 f"Follower {self.broker_id} fetched {tp} offsets {first}–"
                                 f"{log.log_end_offset - 1} from the leader; its log end offset is now "
                                 f"{log.log_end_offset}.",
                                 topic=tp.topic, partition=tp.partition, broker=self.broker_id,
                                 log_end_offset=log.log_end_offset)
        hw = min(data.high_watermark, log.log_end_offset)
        if hw > log.high_watermark:
            log.high_watermark = hw
            if log.quiet:
                log.thaw()
        if data.log_start_offset > log.log_start_offset:
            self.follow_log_start_offset(tp, log, data.log_start_offset)
