"""Per-producer counters taken from the producer's own events, like Kafka's producer metrics.

Kafka's client keeps `request-total`, `batch-size-avg`, `records-per-request-avg`
and `record-queue-time-avg` (producer-metrics); the playground counts the same
things from PRODUCE_SENT and PRODUCE_ACKED events, so that the report and the
Producers panel can show what `linger.ms` buys: fewer, fuller requests, paid
for in waiting time. A retried batch is sent (and counted) again.

Ack latency here is the time from a batch's creation (its first record's
`send()`) to its acknowledgement: the longest any record of the batch waited.
"""

from __future__ import annotations

import math
from bisect import insort

from .events import Event, EventKind, EventLog

# Enum members looked up once: in Python 3.11 every Errors.X / EventKind.X goes through
# EnumType's __getattr__ hook, and these run for every record, batch or fetch.
_PRODUCE_SENT = EventKind.PRODUCE_SENT
_PRODUCE_ACKED = EventKind.PRODUCE_ACKED


class ProducerCounters:
    __slots__ = ("batches", "latencies", "records", "requests")

    def __init__(self) -> None:
        self.requests = 0           # Produce requests sent
        self.batches = 0            # batches in them (one per partition per request)
        self.records = 0            # records in them
        # per acknowledged batch: ack time - batch creation (virtual ms), kept sorted so that views
        # asking for percentiles every frame do not sort
        self.latencies: list[int] = []

    def percentile(self, p: float) -> int | None:
        """Nearest-rank percentile of the batch ack latencies (None before the first ack)."""
        ordered = self.latencies
        if not ordered:
            return None
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


class ProducerMetrics:
    """producer name -> ProducerCounters, kept up to date by listening to the event log."""

    def __init__(self, events: EventLog) -> None:
        self.by_producer: dict[str, ProducerCounters] = {}
        events.subscribe(self._on_event)

    def of(self, name: str) -> ProducerCounters:
        counters = self.by_producer.get(name)
        if counters is None:
            counters = self.by_producer[name] = ProducerCounters()
        return counters

    def _on_event(self, event: Event) -> None:
        kind = event.kind
        if kind == _PRODUCE_SENT:
            c = self.of(event.data["producer"])
            c.requests += 1
            c.batches += len(event.data.get("partitions", ()))
            c.records += event.data.get("count", 0)
        elif kind == _PRODUCE_ACKED:
            created = event.data.get("created_ms")
            if created is not None:
                insort(self.of(event.data["producer"]).latencies, event.time - created)
