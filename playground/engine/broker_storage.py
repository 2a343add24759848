"""A broker's storage upkeep: segment rolls on append, retention, the log cleaner.

Mixed into `Broker`. Every append (leader, follower, group coordinator) goes
through `log_append`, which rolls the active segment first when
`segment.bytes` or `segment.ms` says so. Two schedules run with the broker
process (started with it, stopped when it dies, started again on restart),
as Kafka's `LogManager` runs them:

- retention (`kafka-log-retention`): first after `log.initial.task.delay.ms`,
  then every `log.retention.check.interval.ms`, it deletes old segments of
  the logs that are not compacted;
- the log cleaner thread: every `log.cleaner.backoff.ms` it compacts each
  compacted log whose dirty ratio is above `min.cleanable.dirty.ratio`,
  dirtiest first, and then runs retention on the compacted logs (Kafka's
  `LogCleanerManager.deletableLogs`: compact,delete logs lose old segments
  on the cleaner's loop, not the retention task's).

Followers also follow their leader's log start offset from fetch responses,
and one that fell behind the leader's log start starts over there.
"""

from __future__ import annotations

from typing import Any

from .errors import Errors
from .events import EventKind
from .log import PartitionLog
from .log_cleaner import CleanResult, clean, cleanable_range, needs_cleaning
from .log_retention import delete_old_segments, describe_age
from .log_segment import ROLL_BY_BYTES, LogSegment
from .protocol import FetchedPartition, TopicPartition
from .records import RecordBatch


class BrokerStorage:
    def init_storage(self) -> None:
        self._retention_timer = None
        self._cleaner_timer = None
        # Set by the cluster: told (tp, [(batch, record), ...]) of records retention or the cleaner
        # removed, so the audit does not count them lost.
        self.records_removed_listener = None

    def _broker_setting(self, name: str) -> Any:
        """A broker-level setting, as altered at run time (alter_config on the broker) or configured."""
        return self.image.broker_configs.get(name, self.config.get(name))

    def _cleanup_policy(self, topic: str) -> str | None:
        """The topic's cleanup.policy, or None while this broker does not know the topic (after a
        restart, before the metadata is back): its logs are left alone until then."""
        if topic not in self.image.topics:
            return None
        return self.topic_config(topic, "cleanup.policy")

    # -- the process ---------------------------------------------------------------
    def start_storage(self) -> None:
        self.stop_storage()
        self._retention_timer = self.clock.call_later(int(self._broker_setting("log.initial.task.delay.ms")),
                                                      self._retention_check)
        self._cleaner_timer = self.clock.call_later(self._cleaner_backoff(), self._cleaner_pass)

    def stop_storage(self) -> None:
        for timer in (self._retention_timer, self._cleaner_timer):
            if timer is not None:
                timer.cancel()
        self._retention_timer = self._cleaner_timer = None

    def _cleaner_backoff(self) -> int:
        return max(1, int(self._broker_setting("log.cleaner.backoff.ms")))

    # -- appends and rolls -----------------------------------------------------------
    def log_append(self, tp: TopicPartition, log: PartitionLog, batch: RecordBatch, *, follower: bool = False) -> None:
        """Append to a local replica, rolling a new segment first if the active one is full or old
        (Kafka's `UnifiedLog.maybeRoll`). Each replica rolls its own segments."""
        now = self.clock.now
        topic = tp.topic
        settings = self.topic_settings(topic)
        segment_bytes = settings["segment.bytes"]
        segment_ms = settings["segment.ms"]
        setting = log.segments[-1].should_roll(batch, now, segment_bytes, segment_ms)   # log.should_roll
        if setting is not None:
            closed = log.active_segment
            log.roll(now, batch.base_offset)
            self._segment_rolled(tp, log, closed, setting, batch, now, segment_bytes, segment_ms)
        log.append(batch, now, allow_gap=follower)

    def _segment_rolled(self, tp: TopicPartition, log: PartitionLog, closed: LogSegment, setting: str,
                        batch: RecordBatch, now: int, segment_bytes: int, segment_ms: int) -> None:
        if setting == ROLL_BY_BYTES:
            why = (f"the active segment holds {closed.size_bytes} bytes and this {batch.size_bytes}-byte batch "
                   f"would take it past segment.bytes={segment_bytes}")
        elif closed.rolling_timestamp >= 0:
            waited = closed.time_waited_for_roll(now, batch.max_timestamp)
            why = (f"this batch's records are {describe_age(waited)} newer than the segment's first ones, "
                   f"more than segment.ms={segment_ms}")
        else:
            why = f"the segment was created {describe_age(now - closed.created_ms)} ago, more than segment.ms={segment_ms}"
        self.events.emit(EventKind.SEGMENT_ROLLED,
                         f"Broker {self.broker_id} rolled a new segment of {tp} at offset {log.active_segment.base_offset}: "
                         f"{why}. Segment {closed.base_offset}–{closed.next_offset - 1} is closed now, so retention "
                         "and the log cleaner may work on it.",
                         topic=tp.topic, partition=tp.partition, broker=self.broker_id,
                         base_offset=log.active_segment.base_offset, closed_base_offset=closed.base_offset,
                         closed_next_offset=closed.next_offset, closed_size_bytes=closed.size_bytes, setting=setting)

    def compacted_key_error(self, tp: TopicPartition, batch: RecordBatch) -> str | None:
        """Kafka's LogValidator.validateKey: a compacted topic refuses records without a key
        (INVALID_RECORD), since compaction keeps one record per key."""
        if "compact" not in self.topic_config(tp.topic, "cleanup.policy"):
            return None
        if all(r.key is not None for r in batch.records):
            return None
        return f"Compacted topic cannot accept message without key in topic partition {tp}."

    # -- retention -------------------------------------------------------------------
    def _retention_check(self) -> None:
        if not self.alive:
            return
        for tp, log in list(self.disk.items()):
            policy = self._cleanup_policy(tp.topic)
            if policy is None or "compact" in policy:
                continue                # compacted logs: the cleaner's loop deletes their segments
            self._delete_old_segments(tp, log, "delete" in policy)
        self._retention_timer = self.clock.call_later(int(self._broker_setting("log.retention.check.interval.ms")),
                                                      self._retention_check)

    def _delete_old_segments(self, tp: TopicPartition, log: PartitionLog, delete_policy: bool) -> None:
        now = self.clock.now
        old_start = log.log_start_offset
        result = delete_old_segments(log, now, delete_policy=delete_policy,
                                     retention_ms=self.topic_config(tp.topic, "retention.ms"),
                                     retention_bytes=self.topic_config(tp.topic, "retention.bytes"))
        if not result.deleted:
            return
        if result.rolled_at is not None:
            self.events.emit(EventKind.SEGMENT_ROLLED,
                             f"Broker {self.broker_id} rolled a new empty segment of {tp} at offset {result.rolled_at}: "
                             "every segment, the active one too, is past retention and committed, and a log always "
                             "keeps one segment to write to.",
                             topic=tp.topic, partition=tp.partition, broker=self.broker_id,
                             base_offset=result.rolled_at, setting="retention")
        for d in result.deleted:
            self.events.emit(EventKind.SEGMENT_DELETED,
                             f"Broker {self.broker_id} deleted segment {d.base_offset}–{d.next_offset - 1} of {tp} "
                             f"({d.record_count} record(s), {d.size_bytes} bytes) — {d.reason}. Its log now starts "
                             f"at offset {max(d.next_offset, old_start)}.",
                             topic=tp.topic, partition=tp.partition, broker=self.broker_id,
                             base_offset=d.base_offset, next_offset=d.next_offset, size_bytes=d.size_bytes,
                             records=d.record_count, setting=d.setting,
                             log_start_offset=max(d.next_offset, old_start),
                             old_log_start_offset=old_start)
        if self.records_removed_listener is not None:
            self.records_removed_listener(tp, [(b, r) for seg in result.removed for b in seg.batches
                                               for r in b.records])

    def follow_log_start_offset(self, tp: TopicPartition, log: PartitionLog, leader_log_start: int) -> None:
        """A follower takes the leader's log start offset from a fetch response (Kafka's
        ReplicaFetcherThread → `maybeIncrementLogStartOffset`)."""
        old = log.log_start_offset
        if not log.increment_log_start_offset(leader_log_start):
            return
        self.events.emit(EventKind.LOG_START_OFFSET_ADVANCED,
                         f"Follower {self.broker_id} moved the log start offset of {tp} {old} → "
                         f"{log.log_start_offset} to match its leader: the records below are gone for readers, "
                         "and its own segments wholly below it are deleted at its next retention check.",
                         topic=tp.topic, partition=tp.partition, broker=self.broker_id,
                         old_log_start_offset=old, log_start_offset=log.log_start_offset)

    def follower_out_of_range(self, tp: TopicPartition, data: FetchedPartition) -> bool:
        """The leader's log starts past this follower's end (retention deleted what it still needs):
        drop everything and start at the leader's log start offset (Kafka's
        `AbstractFetcherThread.fetchOffsetAndTruncate` → `truncateFullyAndStartAt`). False when
        that is not the case (a fetch past the leader's end is a divergence, handled elsewhere)."""
        log = self.disk.get(tp)
        if log is None or data.log_start_offset <= log.log_end_offset:
            return False
        leo = log.log_end_offset
        removed = log.truncate_fully_and_start_at(data.log_start_offset, self.clock.now)
        self.events.emit(EventKind.REPLICA_TRUNCATED,
                         f"Follower {self.broker_id} fell too far behind on {tp}: it asked for offset {leo}, but the "
                         f"leader's log now starts at {data.log_start_offset} (retention deleted the rest). It drops "
                         f"its {removed} record(s) and starts over at {data.log_start_offset}.",
                         topic=tp.topic, partition=tp.partition, broker=self.broker_id,
                         offset=data.log_start_offset, removed=removed)
        return True

    # -- the log cleaner -------------------------------------------------------------------
    def _cleaner_pass(self) -> None:
        if not self.alive:
            return
        now = self.clock.now
        compacted: list[tuple[TopicPartition, PartitionLog, str]] = []
        dirty = []
        for tp, log in self.disk.items():
            policy = self._cleanup_policy(tp.topic)
            if policy is None or "compact" not in policy:
                continue
            compacted.append((tp, log, policy))
            rng = cleanable_range(log, self.producer_state(tp).last_stable_offset(log.high_watermark))
            if needs_cleaning(rng, self.topic_config(tp.topic, "min.cleanable.dirty.ratio")):
                dirty.append((rng, tp, log))
        # Kafka's cleaner thread takes the filthiest log, cleans it, and looks again at once while
        # it finds work; in virtual time that is every dirty log now, dirtiest first.
        dirty.sort(key=lambda d: (-d[0].dirty_ratio, d[1]))
        for rng, tp, log in dirty:
            removed: list = []
            result = clean(log, now, delete_retention_ms=self.topic_config(tp.topic, "delete.retention.ms"),
                           segment_bytes=self.topic_config(tp.topic, "segment.bytes"), rng=rng,
                           removed=removed if self.records_removed_listener is not None else None,
                           aborted=self.producer_state(tp).aborted)
            if result is not None:
                self._log_cleaned(tp, result)
                if removed:
                    self.records_removed_listener(tp, removed)
        for tp, log, policy in compacted:
            if tp in self.disk:
                self._delete_old_segments(tp, log, "delete" in policy)
        self._cleaner_timer = self.clock.call_later(self._cleaner_backoff(), self._cleaner_pass)

    def _log_cleaned(self, tp: TopicPartition, r: CleanResult) -> None:
        ratio = self.topic_config(tp.topic, "min.cleanable.dirty.ratio")
        parts = [f"kept the latest record of each of {r.keys} key(s) in offsets {r.first_dirty_offset}–"
                 f"{r.end_offset - 1}", f"removed {r.records_removed} older record(s)"]
        if r.tombstones_removed:
            parts.append(f"removed {r.tombstones_removed} tombstone(s) past their delete.retention.ms")
        if r.tombstones_kept:
            parts.append(f"kept {r.tombstones_kept} tombstone(s) until t={r.delete_horizon_ms} ms "
                         f"(delete.retention.ms={self.topic_config(tp.topic, 'delete.retention.ms')}) so consumers "
                         "can still see the deletes")
        if r.aborted_removed:
            parts.append(f"removed {r.aborted_removed} record(s) of aborted transactions")
        if r.markers_kept:
            parts.append(f"marked {r.markers_kept} transaction marker(s) whose records are all gone for deletion at "
                         f"t={r.delete_horizon_ms} ms")
        if r.markers_removed:
            parts.append(f"removed {r.markers_removed} transaction marker(s) past their delete.retention.ms")
        if r.null_keys_removed:
            parts.append(f"dropped {r.null_keys_removed} record(s) without a key")
        self.events.emit(EventKind.LOG_CLEANED,
                         f"Log cleaner on broker {self.broker_id} compacted {tp} (dirty ratio {r.dirty_ratio:.2f} > "
                         f"min.cleanable.dirty.ratio={ratio:g}): {'; '.join(parts)}. Offsets stay as they were; "
                         f"{r.segments_before} segment(s), {r.bytes_before} bytes became {r.segments_after} segment(s), "
                         f"{r.bytes_after} bytes. The active segment is never cleaned.",
                         topic=tp.topic, partition=tp.partition, broker=self.broker_id,
                         first_dirty_offset=r.first_dirty_offset, end_offset=r.end_offset,
                         dirty_ratio=round(r.dirty_ratio, 4), records_removed=r.records_removed,
                         tombstones_removed=r.tombstones_removed, tombstones_kept=r.tombstones_kept,
                         aborted_removed=r.aborted_removed, markers_removed=r.markers_removed,
                         segments_before=r.segments_before, segments_after=r.segments_after,
                         bytes_before=r.bytes_before, bytes_after=r.bytes_after)

    def fetched_error_is_handled(self, tp: TopicPartition, data: FetchedPartition) -> bool:
        """A follower's fetch came back with an error this mixin resolves without a back-off."""
        return data.error == Errors.OFFSET_OUT_OF_RANGE and self.follower_out_of_range(tp, data)
