"""A group member's offsets: OffsetCommit (auto, sync, async) and OffsetFetch.

Mixed into `GroupMember`. Follows Kafka's ConsumerCoordinator: a member of
a subscribed group commits only while it has a stable generation (else
CommitFailedException, or RebalanceInProgressException during a rebalance);
auto commit runs inside poll() every auto.commit.interval.ms and commits the
position of every assigned partition (what poll() has returned so far); a
newly assigned partition starts at the group's committed offset, or, when
there is none, where auto.offset.reset says.
"""

from __future__ import annotations

from typing import Callable

from .errors import RETRIABLE, Errors
from .events import EventKind
from .group_protocol import OffsetCommitPartition, OffsetCommitRequest, OffsetCommitResponse, OffsetFetchRequest, \
    OffsetFetchResponse
from .protocol import TopicPartition

# Kafka's default.api.timeout.ms: how long commitSync keeps retrying.
COMMIT_SYNC_TIMEOUT_MS = 60000

NOT_IN_GROUP = ("Offset commit cannot be completed since the consumer is not part of an active group for auto "
                "partition assignment; it is likely that the consumer was kicked out of the group "
                "(CommitFailedException)")
REBALANCING = ("Offset commit cannot be completed since the consumer is undergoing a rebalance for auto partition "
               "assignment (RebalanceInProgressException)")


def fmt(offsets: dict[TopicPartition, int]) -> str:
    return ", ".join(f"{tp}={off}" for tp, off in sorted(offsets.items())) or "nothing"


class MemberCommits:
    def init_commits(self) -> None:
        c = self.c
        self.auto_commit = bool(c.config["enable.auto.commit"]) and c.commit_mode == "auto"
        self.auto_commit_interval = int(c.config["auto.commit.interval.ms"])
        self.auto_commit_deadline = self.clock.now + self.auto_commit_interval
        self._auto_timer = None
        self.last_committed: dict[TopicPartition, int] = {}
        self._fetching: set[TopicPartition] = set()

    # -- auto commit ---------------------------------------------------------------------
    def reset_auto_commit(self) -> None:
        self.auto_commit_deadline = self.clock.now + self.auto_commit_interval
        self._arm_auto_commit()

    def _arm_auto_commit(self) -> None:
        # poll() wakes up for the auto commit deadline even when no record arrives.
        if self.auto_commit:
            deadline = max(self.clock.now, self.auto_commit_deadline)
            timer = self._auto_timer
            if timer is not None:
                # Set again on every poll: usually for the same deadline, by the timer itself.
                if self.c.rearm_at(timer, deadline, self.c.wake):
                    return
                timer.cancel()
            self._auto_timer = self.c.later_at(deadline, self.c.wake)

    def maybe_auto_commit(self) -> None:
        if not self.auto_commit or (self.c.subscription and self.state != "STABLE"):
            return
        now = self.clock.now
        if self.coordinator is None:
            self.auto_commit_deadline = now + self.backoff
        elif now >= self.auto_commit_deadline:
            self.auto_commit_deadline = now + self.auto_commit_interval
            offsets = {tp: off for tp, off in self.c.consumed_offsets().items()
                       if self.last_committed.get(tp) != off}
            if offsets:
                self.commit(offsets, f"auto commit (every auto.commit.interval.ms = {self.auto_commit_interval} ms)",
                            sync=False)
        self._arm_auto_commit()

    # -- OffsetCommit ------------------------------------------------------------------------
    def commit(self, offsets: dict[TopicPartition, int], why: str, sync: bool,
               done: Callable[[Errors], None] | None = None, started: int | None = None) -> None:
        """Commit `offsets`; `done(error)` afterwards. A sync commit retries retriable errors for a minute."""
        c = self.c
        done = done or (lambda _e: None)
        offsets = {tp: off for tp, off in offsets.items() if off is not None}
        if not offsets:
            done(Errors.NONE)
            return
        started = self.clock.now if started is None else started
        if c.subscription:
            if self.state != "STABLE" or self.generation < 0:
                text = REBALANCING if self.rebalance_in_progress() and self.member_id else NOT_IN_GROUP
                self._failed(offsets, why, text)
                done(Errors.REBALANCE_IN_PROGRESS if text is REBALANCING else Errors.ILLEGAL_GENERATION)
                return
            generation, member_id, instance = self.generation, self.member_id, self.instance_id
        else:
            generation, member_id, instance = -1, "", None       # assign(): a "simple" group's commit
        if self.coordinator is None:
            self.lookup()
            if sync and self.clock.now - started < COMMIT_SYNC_TIMEOUT_MS:
                c.later(self.backoff, self.commit, offsets, why, sync, done, started)
            else:
                self._failed(offsets, why, "the coordinator is not known (RetriableCommitFailedException)")
                done(Errors.COORDINATOR_NOT_AVAILABLE)
            return
        req = OffsetCommitRequest(self.group_id, generation, member_id,
                                  {tp: OffsetCommitPartition(off) for tp, off in offsets.items()}, instance)
        self.request("offset_commit", req, lambda resp: self._on_commit(offsets, why, sync, done, started, resp))

    def _on_commit(self, offsets, why, sync, done, started, resp) -> None:
        c = self.c
        if isinstance(resp, OffsetCommitResponse) and resp.error == Errors.NONE:
            self.last_committed.update(offsets)
            done(Errors.NONE)
            return
        error = resp.error if isinstance(resp, OffsetCommitResponse) else Errors.REQUEST_TIMED_OUT
        if error in (Errors.NOT_COORDINATOR, Errors.COORDINATOR_NOT_AVAILABLE, Errors.REQUEST_TIMED_OUT):
            answered = isinstance(resp, OffsetCommitResponse)
            self.coordinator_lost(f"its OffsetCommit was answered {error.name}" if answered
                                  else f"its OffsetCommit failed ({resp.reason})")
        if error in RETRIABLE and sync and self.clock.now - started < COMMIT_SYNC_TIMEOUT_MS:
            c.later(self.backoff, self.commit, offsets, why, sync, done, started)
            return
        if error == Errors.REBALANCE_IN_PROGRESS:
            text = REBALANCING
            self.request_rejoin("the group is rebalancing")
        elif error in (Errors.ILLEGAL_GENERATION, Errors.UNKNOWN_MEMBER_ID, Errors.FENCED_INSTANCE_ID):
            text = f"{NOT_IN_GROUP}; the coordinator answered {error.name}"
            self.reset_generation(reset_member=error == Errors.UNKNOWN_MEMBER_ID)
            self.request_rejoin(f"OffsetCommit answered {error.name}")
        else:
            text = f"{error.name}" + (" (RetriableCommitFailedException)" if error in RETRIABLE else "")
        self._failed(offsets, why, text)
        done(error)

    def _failed(self, offsets, why: str, text: str) -> None:
        c = self.c
        self.events.emit(EventKind.OFFSET_COMMIT_FAILED,
                         f"{c.name} could not commit {fmt(offsets)} for group {self.group_id} ({why}): {text}. "
                         "Until a later commit succeeds, whoever consumes these partitions next starts from the "
                         "last committed offsets and processes those records again.",
                         consumer=c.name, group=self.group_id, offsets={str(tp): o for tp, o in offsets.items()})

    # -- OffsetFetch ---------------------------------------------------------------------------
    def fetch_committed(self, tps) -> None:
        """Look up the committed offsets of newly assigned partitions (initWithCommittedOffsetsIfNeeded)."""
        c = self.c
        tps = set(tps) - self._fetching
        if not tps:
            return
        self._fetching |= tps
        c.awaiting_committed |= tps
        self.request("offset_fetch", OffsetFetchRequest(self.group_id, sorted(tps)),
                     lambda resp: self._on_offset_fetch(tps, resp))

    def _on_offset_fetch(self, tps: set, resp) -> None:
        c = self.c
        self._fetching -= tps
        if not isinstance(resp, OffsetFetchResponse) or resp.error != Errors.NONE:
            if isinstance(resp, OffsetFetchResponse) and resp.error == Errors.UNSTABLE_OFFSET_COMMIT:
                pass                      # a transaction is still ending: ask again after the backoff
            elif isinstance(resp, OffsetFetchResponse) and resp.error in RETRIABLE:
                self.coordinator_lost(f"its OffsetFetch was answered {resp.error.name}")
            elif not isinstance(resp, OffsetFetchResponse):
                self.coordinator_lost(f"its OffsetFetch failed ({resp.reason})")
            c.later(self.backoff, self.fetch_committed, {tp for tp in tps if tp in c.assignment})
            return
        found = {}
        for tp in sorted(tps):
            c.awaiting_committed.discard(tp)
            if tp not in c.assignment or c.positions.get(tp) is not None:
                continue
            p = resp.partitions.get(tp)
            if p is not None and p.committed_offset >= 0:
                c.positions[tp] = p.committed_offset
                c.note_start(tp, p.committed_offset)
                found[tp] = p.committed_offset
                self.last_committed[tp] = p.committed_offset
        missing = sorted(tp for tp in tps if tp in c.assignment and tp not in found and c.positions.get(tp) is None)
        c.kick()
        if not found and not missing:
            return
        text = f"{c.name} starts " + "; ".join(
            ([f"{fmt(found)} at the group's committed offsets"] if found else [])
            + ([f"{', '.join(map(str, missing))} with no committed offset, so auto.offset.reset="
                f"{c.config['auto.offset.reset']} decides"] if missing else [])) + "."
        self.events.emit(EventKind.CONSUMER_SEEK, text, consumer=c.name, group=self.group_id,
                         offsets={str(tp): o for tp, o in found.items()}, missing=[str(tp) for tp in missing])
