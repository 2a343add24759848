"""`commit: transactional` — the consume-transform-produce loop of exactly-once processing.

What a Kafka Streams task (or a hand-written EOS loop) does for each batch
that poll() returned, once it is processed:

    producer.beginTransaction()
    for each record: producer.send(output topic, the transformed record)
    producer.sendOffsetsToTransaction(consumer positions, the group's metadata)
    producer.commitTransaction()

The output records and the group's new offsets are committed together or
not at all. If the transaction fails it is aborted and the consumer goes
back to the group's committed offsets, so the batch is processed again and
written again, but the aborted copy is invisible to read_committed readers.
A crash in the middle leaves the transaction open; the next instance's
initTransactions() (same transactional.id) fences the old producer and
aborts it. Each output record carries a `source` header naming the input
record, which is how the audit counts output duplicates.
"""

from __future__ import annotations

from typing import Callable

from .errors import Errors
from .events import EventKind

SOURCE_HEADER = "source"


class Pipeline:
    def __init__(self, consumer, producer, topic: str) -> None:
        self.c = consumer
        self.p = producer
        self.topic = topic

    def start(self, batch, retry: Callable) -> bool:
        """Before processing a polled batch: open the transaction (transactional mode) and schedule each
        record's output for the moment it is processed. False: not ready yet, `retry(batch)` comes later."""
        c, p = self.c, self.p
        if p.transactional:
            if p.closed or p.txn.fatal is not None:
                why = "closed" if p.closed else f"fenced ({p.txn.fatal[0].name})"
                c.fail(f"its output producer {p.name} is {why}; a newer instance may have taken over")
                return False
            if p.txn.state != "READY":
                # initTransactions() has not finished yet (or the last transaction is still ending).
                c.later(int(p.config["retry.backoff.ms"]), retry, batch)
                return False
            p.begin_transaction()
        step = c.processing_time
        for i, r in enumerate(batch):
            if step <= 0:
                self._send_output(r)
            else:
                c.later(step * (i + 1), self._send_output, r)
        return True

    def _send_output(self, r) -> None:
        """The transform's result: the input record, sent on to the output topic with its origin in a
        header. (Without a transaction this is the at-least-once pipeline: after a crash before the
        commit, the records are processed and sent again.)"""
        rec = r.record
        headers = tuple(rec.headers) + ((SOURCE_HEADER, f"{r.topic}/{r.partition}@{r.offset}".encode()),)
        self.p.send(self.topic, rec.value, key=rec.key, headers=headers)

    def finish(self, batch, done: Callable[[], None]) -> None:
        """After processing (transactional mode): the offsets into the transaction, then commit it."""
        c, p = self.c, self.p
        if p.closed or p.txn.fatal is not None:
            c.fail(f"its output producer {p.name} is closed or fenced")
            return
        g = c.group
        offsets = c.consumed_offsets()

        def committed(error: Errors, message: str) -> None:
            if error == Errors.NONE:
                c.events.emit(EventKind.RECORDS_PROCESSED,
                              f"Consumer {c.name} committed a transaction: {len(batch)} output record(s) to "
                              f"{self.topic} and group {c.group_id}'s offsets, together (exactly-once).",
                              consumer=c.name, group=c.group_id, count=len(batch), transactional=True)
                done()
            else:
                self._abort(error, message, done)

        def offsets_sent(error: Errors, message: str) -> None:
            if error != Errors.NONE:
                self._abort(error, message, done)
            else:
                p.commit_transaction(c.guard2(committed))

        p.send_offsets_to_transaction(offsets, c.group_id, g.generation if g else -1, g.member_id if g else "",
                                      c.guard2(offsets_sent))

    def _abort(self, error: Errors, message: str, done: Callable[[], None]) -> None:
        c, p = self.c, self.p
        if p.txn.fatal is not None:
            c.fail(f"its output producer {p.name} is fenced: {message}")
            return

        def aborted(_error: Errors, _message: str) -> None:
            c.rewind_to_committed()
            done()

        c.events.emit(EventKind.CONSUMER_ERROR,
                      f"Consumer {c.name}'s transaction failed ({error.name}: {message}); it aborts it and goes "
                      "back to the group's committed offsets, so the batch is processed again.",
                      consumer=c.name, group=c.group_id, error=error.name)
        p.abort_transaction(c.guard2(aborted))
