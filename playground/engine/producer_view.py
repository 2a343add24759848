"""Read-only snapshots of producers for views and reports: settings, counters, and the
record accumulator (open batches per partition, ready batches and in-flight requests per
leader), computed from engine state on each call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .producer_loop import SHOWN_CONFIG, effective_config
from .protocol import TopicPartition


@dataclass(frozen=True)
class BatchView:
    """A batch in the accumulator: open (still filling: it closes when full or at its linger
    deadline) or ready (closed, waiting for the sender: a leader, a free in-flight slot)."""

    topic: str
    partition: int
    records: int
    bytes: int                      # the batch's size so far (record batch header included)
    batch_size: int                 # batch.size: the batch is sent once it reaches this
    created_ms: int                 # when its first record was appended
    linger_deadline_ms: int         # created_ms + linger.ms: sent then even if not full
    compressed_size: int | None = None

    @property
    def tp(self) -> TopicPartition:
        return TopicPartition(self.topic, self.partition)

    @property
    def fill(self) -> float:
        """How full, 0..1, toward batch.size."""
        return min(1.0, self.bytes / self.batch_size) if self.batch_size > 0 else 1.0

    @property
    def compression_ratio(self) -> float | None:
        if not self.compressed_size:
            return None
        return self.bytes / self.compressed_size


@dataclass(frozen=True)
class LeaderQueueView:
    """What the sender holds for one leader: closed batches waiting to go, requests on the wire."""

    leader: int                     # -1: no leader known yet
    ready_batches: int
    ready_records: int
    in_flight: int                  # Produce requests sent and not yet answered
    max_in_flight: int              # max.in.flight.requests.per.connection


@dataclass(frozen=True)
class ProducerView:
    name: str
    config: dict[str, Any]          # SHOWN_CONFIG settings as the producer runs them
    sent: int
    acked: int
    failed: int
    errors: dict[str, int]
    requests: int
    batches: int
    records_in_requests: int        # records in the requests sent (a retried batch counts again)
    ack_latency_p50: int | None
    ack_latency_p95: int | None
    ack_latency_max: int | None
    rate: float | None = None       # records/s of its send loop (start_producer), None without one
    running: bool = False           # the send loop is running
    loop_sent: int = 0              # records the loop handed to send()
    topic: str | None = None        # the loop's topic
    open_batches: tuple[BatchView, ...] = ()
    ready_batches: tuple[BatchView, ...] = ()
    leaders: tuple[LeaderQueueView, ...] = ()
    compression_ratio: float | None = None   # raw / compressed bytes over the batches held, when known

    def as_report(self) -> dict[str, Any]:
        """The contract's sent/acked/failed/errors, then the counters that show batching."""
        per_batch = round(self.records_in_requests / self.batches, 2) if self.batches else None
        return {"sent": self.sent, "acked": self.acked, "failed": self.failed,
                "errors": dict(sorted(self.errors.items())),
                "requests": self.requests, "batches": self.batches, "records_per_batch": per_batch,
                "ack_latency_ms": {"p50": self.ack_latency_p50, "p95": self.ack_latency_p95,
                                   "max": self.ack_latency_max},
                "rate": self.rate, "running": self.running}


def producer_view(cluster, producer) -> ProducerView:
    cfg = effective_config(producer.config)
    counters = cluster.producer_metrics.of(producer.name)
    loop = cluster.producer_loops.get(producer.name)
    linger = int(cfg["linger.ms"])
    limit = int(cfg["batch.size"])
    sizes = [0, 0]                  # bytes and compressed bytes of the batches whose compressed size is known

    def batch_view(batch) -> BatchView:
        # compressed_size: set by the producer once it compresses batches (compression.type).
        compressed = getattr(batch, "compressed_size", None)
        if compressed:
            sizes[0] += batch.size
            sizes[1] += compressed
        return BatchView(batch.tp.topic, batch.tp.partition, len(batch.records), batch.size, limit,
                         batch.created_ms, batch.created_ms + linger, compressed)

    opened = [batch_view(b) for _tp, b in sorted(producer.open_batches.items()) if not b.closed]
    ready = [batch_view(b) for b in producer.ready]
    queues: dict[int, list[int]] = {}
    for batch in producer.ready:
        q = queues.setdefault(producer.leader_of(batch.tp), [0, 0])
        q[0] += 1
        q[1] += len(batch.records)
    mif = int(cfg["max.in.flight.requests.per.connection"])
    leaders = sorted(set(queues) | {b for b, n in producer.in_flight.items() if n > 0})
    stats = producer.stats
    return ProducerView(
        name=producer.name, config={k: cfg.get(k) for k in SHOWN_CONFIG},
        sent=stats.sent, acked=stats.acked, failed=stats.failed, errors=dict(stats.errors),
        requests=counters.requests, batches=counters.batches, records_in_requests=counters.records,
        ack_latency_p50=counters.percentile(50), ack_latency_p95=counters.percentile(95),
        ack_latency_max=counters.latencies[-1] if counters.latencies else None,
        rate=loop.rate if loop is not None else None, running=loop is not None and loop.running,
        loop_sent=loop.index if loop is not None else 0, topic=loop.topic if loop is not None else None,
        open_batches=tuple(opened), ready_batches=tuple(ready),
        leaders=tuple(LeaderQueueView(b, *queues.get(b, (0, 0)), producer.in_flight.get(b, 0), mif)
                      for b in leaders),
        compression_ratio=sizes[0] / sizes[1] if sizes[1] else None,
    )
