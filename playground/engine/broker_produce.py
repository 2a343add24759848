"""A broker's produce path: leaders append, acks=all waits for the ISR, the high watermark moves.

Mixed into `Broker`. A Produce request is checked per partition (leadership,
min.insync.replicas), appended to the leader's log, and answered at once
(acks=1) or parked as a `DelayedProduce` until the high watermark passes the
appended records (acks=all), or never answered (acks=0).
"""

from __future__ import annotations

from .batch_codec import batch_sizes
from .errors import Errors
from .events import EventKind
from .network import Envelope
from .protocol import PartitionProduceResponse, ProduceRequest, ProduceResponse, TopicPartition
from .records import LOG_APPEND_TIME
from .replication import DelayedProduce, LeaderPartition

# Enum members looked up once: in Python 3.11 every Errors.X / EventKind.X goes through
# EnumType's __getattr__ hook, and these run for every record, batch or fetch.
_NONE = Errors.NONE
_RECORDS_APPENDED = EventKind.RECORDS_APPENDED
_HIGH_WATERMARK_ADVANCED = EventKind.HIGH_WATERMARK_ADVANCED


class BrokerProduce:
    def _handle_produce(self, env: Envelope) -> None:
        req: ProduceRequest = env.body
        results: dict[TopicPartition, PartitionProduceResponse] = {}
        waiting: list[tuple[TopicPartition, int, LeaderPartition]] = []
        now = self.clock.now
        leaders = self.leaders
        for tp, batch in req.partitions.items():
            state = leaders.get(tp)
            if state is None:
                error, state = self._leader_for(tp)
                results[tp] = PartitionProduceResponse(error, error_message=self._error_text(error, tp))
                continue
            settings = self.topic_settings(tp.topic)
            min_isr = settings["min.insync.replicas"]
            if req.acks == -1 and len(state.isr) < min_isr:
                results[tp] = PartitionProduceResponse(
                    Errors.NOT_ENOUGH_REPLICAS,
                    error_message=f"The ISR of {tp} has {len(state.isr)} replica(s) "
                                  f"({', '.join(map(str, state.isr))}), fewer than min.insync.replicas="
                                  f"{min_isr}; the leader refused to write.")
                continue
            invalid = self.compacted_key_error(tp, batch) if "compact" in settings["cleanup.policy"] else None
            if invalid is not None:
                results[tp] = PartitionProduceResponse(Errors.INVALID_RECORD, error_message=invalid)
                continue
            log = state.log
            if batch.producer_id >= 0:
                refused = self._check_producer_state(tp, batch, req.acks, results, waiting, state)
                if refused:
                    continue
            log_append = settings["message.timestamp.type"] == LOG_APPEND_TIME
            recompressed = None if settings["compression.type"] == "producer" else self._recompression(tp, batch)
            stamped = batch.stamped(log.log_end_offset, state.leader_epoch, now if log_append else None,
                                    recompressed)
            self.log_append(tp, log, stamped)
            codec_note = "" if recompressed is None else (
                f" It compressed the batch anew, {batch.compression} → {stamped.compression} ({batch.size_bytes} → "
                f"{stamped.size_bytes} bytes), as the topic's compression.type says.")
            self.events.emit(_RECORDS_APPENDED,
                             f"Leader {self.broker_id} appended {stamped.count} record(s) to {tp} at offsets "
                             f"{stamped.base_offset}–{stamped.last_offset}; log end offset is now "
                             f"{log.log_end_offset}.{codec_note}",
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
            if error != _NONE:
                results[tp] = PartitionProduceResponse(error, error_message=self._error_text(error, tp))
            remaining.discard(tp)
            if not remaining:
                for d in delayed_all:
                    if d.timer is not None:
                        d.timer.cancel()
                self._finish_produce(env, results, [])
                # The delayed produces point back here through `complete`: let go of them, so the
                # request is freed now rather than left to the garbage collector.
                delayed_all.clear()

        for tp, required, state in pending:
            d = DelayedProduce(required, lambda err, tp=tp: one_done(tp, err))
            state.delayed.append(d)
            delayed_all.append(d)
        timer = self.clock.call_timeout(req.timeout_ms, self._expire_produce, delayed_all, pending)
        for d in delayed_all:
            d.timer = timer

    def _recompression(self, tp: TopicPartition, batch) -> tuple[str, int] | None:
        """(codec, size) when the topic's compression.type is not "producer" and names another codec than the
        batch's: the leader then compresses the records anew (Kafka's LogValidator); None to keep it as sent."""
        target = self.topic_config(tp.topic, "compression.type")
        if target == "producer" or batch.is_control:
            return None
        codec = "none" if target == "uncompressed" else target
        if codec == batch.compression:
            return None
        return codec, batch_sizes(batch.records, codec)[1]

    def _check_producer_state(self, tp: TopicPartition, batch, acks: int, results, waiting, state) -> bool:
        """Idempotence at the leader: True when the batch is not to be appended (refused, or a duplicate
        answered with the offset it was first written at)."""
        error, message, first_offset = self.producer_state(tp).check(batch)
        if error == _NONE:
            return False
        producer = batch.origin.producer if batch.origin else f"producer id {batch.producer_id}"
        if error == Errors.DUPLICATE_SEQUENCE_NUMBER:
            # Kafka answers a duplicate as a success, with the offset of the first write.
            self.events.emit(EventKind.PRODUCE_DUPLICATE,
                             f"Leader {self.broker_id} recognised a retried batch from {producer} on {tp}: {message}. "
                             "It does not write it again and answers with the original offset (idempotence).",
                             topic=tp.topic, partition=tp.partition, broker=self.broker_id, producer=producer,
                             base_offset=first_offset, count=batch.count)
            results[tp] = PartitionProduceResponse(base_offset=first_offset,
                                                   log_start_offset=state.log.log_start_offset)
            if acks == -1:
                waiting.append((tp, first_offset + batch.count, state))
            return True
        self.events.emit(EventKind.PRODUCE_REJECTED,
                         f"Leader {self.broker_id} refused a batch from {producer} on {tp} with {error.name}: "
                         f"{message}.", topic=tp.topic, partition=tp.partition, broker=self.broker_id,
                         producer=producer, error=error.name)
        results[tp] = PartitionProduceResponse(error, error_message=message[0].upper() + message[1:] + ".")
        return True

    def _expire_produce(self, delayed: list[DelayedProduce], pending) -> None:
        for (tp, _, state), d in list(zip(pending, delayed)):
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
        min_isr = min(self.topic_settings(tp.topic)["min.insync.replicas"], len(state.replicas))
        isr = state.isr
        if len(isr) < min_isr:
            return
        log = state.log
        if state.pending_isr:
            hw = state.candidate_high_watermark(self.broker_id, self.clock.now,
                                                self.config.get("replica.lag.time.max.ms"))
        else:
            # candidate_high_watermark inline for the usual case, no ISR addition pending (the
            # maximal ISR is the ISR): the smallest log end offset among the in-sync replicas.
            hw = log.log_end_offset
            me = self.broker_id
            followers = state.followers
            for r in isr:
                if r != me:
                    known = followers.get(r)
                    leo = known.log_end_offset if known is not None else -1
                    if leo < hw:
                        hw = leo
        if hw <= log.high_watermark:
            return
        old = log.high_watermark
        log.high_watermark = hw
        if log.quiet:
            log.thaw()
        self.events.emit(_HIGH_WATERMARK_ADVANCED,
                         f"High watermark of {tp} moved {old} → {hw}: every in-sync replica "
                         f"({', '.join(map(str, state.isr))}) has the records below {hw}, so consumers "
                         "may read them.",
                         topic=tp.topic, partition=tp.partition, broker=self.broker_id,
                         old=old, high_watermark=hw)
        if state.delayed:
            keep = []
            for d in state.delayed:
                if d.required_offset <= hw:
                    d.complete(_NONE if len(state.isr) >= min_isr
                               else Errors.NOT_ENOUGH_REPLICAS_AFTER_APPEND)
                else:
                    keep.append(d)
            state.delayed = keep
        # Consumers read up to the high watermark: their parked fetches may now complete.
        self._complete_parked_on(tp, False)
