"""Incremental fetch sessions (KIP-227) between a follower and the leader it fetches from.

A follower fetches every partition it follows on one leader in one request, again
and again. With a session, the leader remembers what the follower last asked for
and last heard; a request then lists only the partitions whose fetch position
changed (and those to forget), and a response only the partitions with records,
a new high watermark or log start offset, an error or a diverging epoch. The
leader still reads every partition of the session on every fetch and notes each
follower position, so replication, the high watermark and the ISR behave as with
full requests (Kafka's FetchSession.scala / FetchSessionHandler.java).

Sessions are process state: a leader that restarts has none, and a follower that
sends an unknown session id hears FETCH_SESSION_ID_NOT_FOUND and starts afresh
with a full fetch. Kafka draws random session ids; the simulation numbers them
per broker, which keeps a run reproducible. The size limit of Kafka's session
cache (max.incremental.fetch.session.cache.slots, 1,000 partitions, where the
followers' sessions are privileged) is not modelled. Consumers here fetch
without a session (epoch -1), which Kafka allows and which answers the same
records.
"""

from __future__ import annotations

from .errors import Errors
from .protocol import FetchPartition, FetchRequest, FetchResponse, TopicPartition

INVALID_SESSION_ID = 0
INITIAL_EPOCH = 0           # a full fetch: opens a session (closing the one named, if any)
FINAL_EPOCH = -1            # a fetch without a session

# Enum members looked up once: in Python 3.11 every Errors.X / EventKind.X goes through
# EnumType's __getattr__ hook, and these run for every record, batch or fetch.
_NONE = Errors.NONE


class CachedPartition:
    """What the leader remembers of one partition of a session: the follower's last
    request (the same attribute names as `FetchPartition`, so the read path takes
    either) and the high watermark and log start offset it last sent."""

    __slots__ = ("fetch_offset", "last_fetched_epoch", "current_leader_epoch", "partition_max_bytes",
                 "high_watermark", "log_start_offset", "quiet", "tp", "pos", "session")

    def __init__(self, part: FetchPartition, tp: TopicPartition | None = None, pos: int = -1,
                 session: FetchSession | None = None) -> None:
        self.fetch_offset = part.fetch_offset
        self.last_fetched_epoch = part.last_fetched_epoch
        self.current_leader_epoch = part.current_leader_epoch
        self.partition_max_bytes = part.partition_max_bytes
        self.high_watermark = -1            # nothing sent yet: the first response carries it
        self.log_start_offset = -1
        # The follower's FollowerState while the partition is quiet: a fetch found nothing to
        # send and nothing to note but the time, and nothing has changed since. Fetches then
        # pass it by (the session's `active` bit is off), and the FollowerState's fetch times
        # are the session's (`FetchSession.noted_at`), until a change of the leader's log or
        # state, or of this entry, thaws it (see BrokerFetch._read). None otherwise.
        self.quiet = None
        self.tp = tp
        self.pos = pos                      # its place in the session's order
        self.session = session

    def thaw(self) -> None:
        """Read it at the next fetch again; its FollowerState keeps, as its own, the time of the
        last fetch that passed it by."""
        known = self.quiet
        if known is None:
            return
        session = self.session
        noted = session.noted_at(self.pos)
        if noted > known._last_fetch_ms:
            known._last_fetch_ms = noted
        if noted > known._last_caught_up_ms:
            known._last_caught_up_ms = noted
        known.quiet = None
        self.quiet = None
        session.active |= 1 << self.pos

    def update_request(self, part: FetchPartition) -> None:
        if self.quiet is not None:
            self.thaw()
        self.fetch_offset = part.fetch_offset
        self.last_fetched_epoch = part.last_fetched_epoch
        self.current_leader_epoch = part.current_leader_epoch
        self.partition_max_bytes = part.partition_max_bytes


class FetchSession:
    """The leader's side of one session.

    `entries` are the partitions in the session's order; a bit of `active` is on for each one
    that is not quiet, and an incremental fetch reads only those (in order: one that thaws while
    the fetch is read is read by it if its place is still ahead). A fetch that notes positions
    (the follower's own, not a parked one read again) happens at `note_ms`, the one before at
    `prev_note_ms`; while one is read, `cursor` is the place it has reached."""

    __slots__ = ("id", "epoch", "partitions", "entries", "active", "note_ms", "prev_note_ms", "cursor")

    def __init__(self, session_id: int, partitions: dict[TopicPartition, FetchPartition]) -> None:
        self.id = session_id
        self.epoch = 1                      # the epoch the next incremental request must carry
        self.partitions: dict[TopicPartition, CachedPartition] = {}
        self.entries: list[CachedPartition] = []
        for tp, part in partitions.items():
            entry = self.partitions[tp] = CachedPartition(part, tp, len(self.entries), self)
            self.entries.append(entry)
        self.active = (1 << len(self.entries)) - 1
        self.note_ms = -1
        self.prev_note_ms = -1
        self.cursor: int | None = None

    def noted_at(self, pos: int) -> int:
        """When the last fetch that noted the quiet partition at `pos` did (passing it by)."""
        cursor = self.cursor
        return self.note_ms if cursor is None or pos <= cursor else self.prev_note_ms

    def active_entries(self, note_positions: bool):
        """(tp, entry) for each partition that is not quiet, in the session's order, reading the
        active bits afresh at each step; a fetch that notes positions moves `cursor` along."""
        entries = self.entries
        pos = -1
        while True:
            rest = self.active >> (pos + 1)
            if not rest:
                return
            pos += (rest & -rest).bit_length()
            if note_positions:
                self.cursor = pos
            entry = entries[pos]
            yield entry.tp, entry

    def update(self, req: FetchRequest) -> None:
        """An incremental request: changed and added partitions, then the forgotten ones."""
        cached = self.partitions
        for tp, part in req.partitions.items():
            entry = cached.get(tp)
            if entry is None:
                entry = cached[tp] = CachedPartition(part, tp, len(self.entries), self)
                self.entries.append(entry)
                self.active |= 1 << entry.pos
            else:
                entry.update_request(part)
        forgotten = False
        for tp in req.forgotten:
            entry = cached.pop(tp, None)
            if entry is not None:
                entry.thaw()                # its FollowerState keeps its last fetch time
                forgotten = True
        if forgotten:
            # The places after a forgotten partition move up.
            self.entries = list(cached.values())
            active = 0
            for pos, entry in enumerate(self.entries):
                entry.pos = pos
                if entry.quiet is None:
                    active |= 1 << pos
            self.active = active

    def sent(self, resp: FetchResponse) -> None:
        """Remember what a response told the follower (Kafka's maybeUpdateResponseData).

        An error leaves the cached high watermark at -1, so the partition is sent
        again once the error is gone."""
        cached = self.partitions
        for tp, data in resp.partitions.items():
            entry = cached.get(tp)
            if entry is not None:
                if entry.quiet is not None:
                    entry.thaw()
                entry.high_watermark = data.high_watermark if data.error == _NONE else -1
                entry.log_start_offset = data.log_start_offset


class FetchSessionCache:
    """The leader's sessions, by id (process state: a crash loses them)."""

    def __init__(self) -> None:
        self.sessions: dict[int, FetchSession] = {}
        self._last_id = 0
        # A follower fetches from this leader in one session at a time: a new one replaces its old
        # one (which Kafka's cache would evict in time, unused).
        self._of_replica: dict[int, int] = {}

    def clear(self) -> None:
        self.sessions = {}
        self._of_replica = {}

    def context(self, req: FetchRequest) -> tuple[Errors, FetchSession | None, bool]:
        """(error, session, incremental) for a follower's request (Kafka's FetchManager.newContext)."""
        if req.session_epoch == FINAL_EPOCH:
            if req.session_id != INVALID_SESSION_ID:
                self.sessions.pop(req.session_id, None)
            return Errors.NONE, None, False
        if req.session_epoch == INITIAL_EPOCH:
            if req.session_id != INVALID_SESSION_ID:
                self.sessions.pop(req.session_id, None)
            self._last_id += 1
            session = self.sessions[self._last_id] = FetchSession(self._last_id, req.partitions)
            old = self._of_replica.get(req.replica_id)
            if old is not None:
                self.sessions.pop(old, None)
            self._of_replica[req.replica_id] = session.id
            return Errors.NONE, session, False
        session = self.sessions.get(req.session_id)
        if session is None:
            return Errors.FETCH_SESSION_ID_NOT_FOUND, None, False
        if session.epoch != req.session_epoch:
            return Errors.INVALID_FETCH_SESSION_EPOCH, None, False
        session.epoch += 1
        session.update(req)
        return _NONE, session, True


class UnchangedKey:
    """A follower partition whose fetch key (`FetchSessionHandler.sent`) was read off its log and
    sent: `quiet` holds it until the log changes (`PartitionLog.thaw` clears it and turns the
    partition's bit on in its handler's `active`), so the next request need not read the log
    again to know the partition has not moved."""

    __slots__ = ("quiet", "handler", "pos")

    def __init__(self, handler: FetchSessionHandler, pos: int) -> None:
        self.quiet = None
        self.handler = handler              # None once the handler has given its marks up
        self.pos = pos

    def thaw(self) -> None:
        self.quiet = None
        handler = self.handler
        if handler is not None:
            handler.active |= 1 << self.pos


class FetchSessionHandler:
    """The follower's side of its session with one leader (Kafka's FetchSessionHandler)."""

    __slots__ = ("session_id", "epoch", "sent", "order", "marks", "active", "version", "max_bytes")

    def __init__(self) -> None:
        self.session_id = INVALID_SESSION_ID
        self.epoch = INITIAL_EPOCH
        # What the session holds: tp -> (fetch offset, last fetched epoch, leader epoch, max bytes).
        self.sent: dict[TopicPartition, tuple[int, int, int, int]] = {}
        # build_for_logs' view of the fetcher's partitions (as of its `version`): their order, a
        # mark each, and a bit each for those whose log may have moved since their key was read.
        self.order: list[TopicPartition] = []
        self.marks: list[UnchangedKey] = []
        self.active = 0
        self.version = None
        self.max_bytes = -1

    def _forget_marks(self) -> None:
        for mark in self.marks:
            mark.handler = None
        self.order, self.marks, self.active, self.version = [], [], 0, None

    def build(self, wanted: dict[TopicPartition, tuple[int, int, int, int]]
              ) -> tuple[dict[TopicPartition, FetchPartition], list[TopicPartition], int, int]:
        """(partitions, forgotten, session id, epoch) of the next request: every partition for a
        full fetch, else only those whose fetch position changed since the session last heard."""
        self._forget_marks()
        sent = self.sent
        if self.epoch == INITIAL_EPOCH:
            self.sent = dict(wanted)
            return ({tp: FetchPartition(*key) for tp, key in wanted.items()}, [],
                    self.session_id, INITIAL_EPOCH)
        parts = {}
        for tp, key in wanted.items():
            if sent.get(tp) != key:
                parts[tp] = FetchPartition(*key)
                sent[tp] = key
        # The session now holds every wanted partition: anything more is to be forgotten.
        forgotten = [tp for tp in sent if tp not in wanted] if len(sent) > len(wanted) else []
        for tp in forgotten:
            del sent[tp]
        return parts, forgotten, self.session_id, self.epoch

    def build_for_logs(self, partitions: dict[TopicPartition, int], disk, max_bytes: int,
                       version: int | None = None
                       ) -> tuple[dict[TopicPartition, FetchPartition], list[TopicPartition], int, int]:
        """`build` for a follower's partitions ({tp: leader epoch}, changed only with a new
        `version`) read off its logs in `disk`: the same request, reading only the logs that may
        have moved since their key was read (most of a session does not, fetch after fetch)."""
        if self.epoch == INITIAL_EPOCH:
            wanted = {}
            for tp, epoch in partitions.items():
                log = disk[tp]
                cache = log.epoch_cache
                wanted[tp] = (log.log_end_offset, cache[-1][0] if cache else -1, epoch, max_bytes)
            return self.build(wanted)
        if version is None or version != self.version or max_bytes != self.max_bytes:
            # The partitions (or their epochs) changed: look at them all, in their order.
            self._forget_marks()
            self.order = list(partitions)
            self.marks = [UnchangedKey(self, pos) for pos in range(len(self.order))]
            self.active = (1 << len(self.order)) - 1
            self.version, self.max_bytes = version, max_bytes
        sent = self.sent
        get = sent.get
        order, marks = self.order, self.marks
        parts = {}
        pos = -1
        while True:
            rest = self.active >> (pos + 1)
            if not rest:
                break
            pos += (rest & -rest).bit_length()
            tp = order[pos]
            log = disk[tp]
            cache = log.epoch_cache
            key = (log.log_end_offset, cache[-1][0] if cache else -1, partitions[tp], max_bytes)
            if get(tp) != key:
                parts[tp] = FetchPartition(*key)
                sent[tp] = key
            mark = marks[pos]
            mark.quiet = key
            log.quiet.append(mark)
            self.active &= ~(1 << pos)
        forgotten = [tp for tp in sent if tp not in partitions] if len(sent) > len(partitions) else []
        for tp in forgotten:
            del sent[tp]
        return parts, forgotten, self.session_id, self.epoch

    def handle_response(self, resp: FetchResponse) -> bool:
        """Move the session on; False when the response answered no partition (a session error)."""
        if resp.error != _NONE:
            if resp.error == Errors.FETCH_SESSION_ID_NOT_FOUND:
                self.session_id = INVALID_SESSION_ID
            self.epoch = INITIAL_EPOCH           # a full fetch next, closing the old session if any
            return False
        if self.epoch == INITIAL_EPOCH or resp.session_id == INVALID_SESSION_ID:
            # A full fetch opened a session (or the leader closed it): incremental from now on.
            self.session_id = resp.session_id
            self.epoch = INITIAL_EPOCH if resp.session_id == INVALID_SESSION_ID else 1
            return True
        self.epoch += 1
        return True

    def handle_error(self) -> None:
        """The request failed (connection lost, timed out): the next fetch is a full one."""
        self.epoch = INITIAL_EPOCH
