"""What the Producers panel draws for each producer, computed from `ClusterView.producers()`
(no Qt): one card per producer with a row per partition — the open batch filling toward
batch.size, its linger countdown, a batch that just left — and the sender's queue per leader.

`RecentSends` remembers which batches left lately (from PRODUCE_SENT events), so a row can
say "sent ▶ 101" for a moment after its batch is gone: that is how a batch is seen leaving.
"""

from __future__ import annotations

from dataclasses import dataclass

from playground.engine.events import EventKind

# Row states, each also a word on the screen (colour is never the only cue).
FILLING = "filling"         # an open batch waits for more records or for linger.ms
DUE = "due"                 # linger.ms is up: the batch goes with the sender's next pass
FULL = "full"               # closed because full, waiting for the sender
WAITING = "waiting"         # closed (linger or flush), waiting for a leader or a free in-flight slot
SENT = "sent"               # nothing open; a batch left a moment ago
IDLE = "idle"               # nothing open, nothing sent lately


@dataclass(frozen=True)
class PartitionRow:
    tp: str                     # "orders/0"
    state: str
    records: int                # in the open (or waiting) batch
    bytes: int
    batch_size: int
    fill: float                 # bytes / batch.size, 0..1
    linger_ms: int
    linger_left: float | None   # ms until the linger deadline (open batches)
    text: str                   # "sends in 3 ms", "full: sending", "batch sent ▶ 101", ...
    flash: float | None = None  # 0 (a batch just left) .. 1 (faded); None: nothing left lately
    sent_to: int | None = None  # the leader that batch went to
    compression_ratio: float | None = None


@dataclass(frozen=True)
class ProducerCard:
    name: str
    running: bool
    state: str                  # "● 500/s" (its loop's rate), "stopped", "sends when asked"
    lines: tuple[str, ...]      # settings, counters, ack latency: short lines for a narrow panel
    rows: tuple[PartitionRow, ...]
    leaders: tuple[tuple[int, int, int, int, int], ...]   # (leader, in flight, max, ready batches, ready records)


class RecentSends:
    """(producer, partition) -> (virtual ms it left, leader), from PRODUCE_SENT events."""

    def __init__(self) -> None:
        self.sent: dict[tuple[str, str], tuple[int, int]] = {}

    def on_event(self, event) -> bool:
        if event.kind != EventKind.PRODUCE_SENT:
            return False
        for tp in event.data.get("partitions", ()):
            self.sent[(event.data["producer"], tp)] = (event.time, event.data.get("broker", -1))
        return True

    def age(self, producer: str, tp: str, now: float) -> tuple[float, int] | None:
        entry = self.sent.get((producer, tp))
        return None if entry is None else (now - entry[0], entry[1])


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def producer_cards(view, now: float, recent: RecentSends, flash_ms: float) -> list[ProducerCard]:
    """Cards for every producer at display time `now` (fractional virtual ms). A "sent" note
    stays `flash_ms` of virtual time (the panel passes what is ~0.7 s on screen at the speed)."""
    cards = []
    for name, p in view.producers().items():
        cfg = p.config
        linger = int(cfg["linger.ms"])
        open_by_tp = {f"{b.topic}/{b.partition}": b for b in p.open_batches}
        ready_by_tp: dict[str, list] = {}
        for b in p.ready_batches:
            ready_by_tp.setdefault(f"{b.topic}/{b.partition}", []).append(b)
        # A loop's topic keeps all its partitions on screen, so rows do not jump as batches come and go.
        tps = set(open_by_tp) | set(ready_by_tp)
        if p.topic is not None:
            tps |= {f"{pv.topic}/{pv.partition}" for pv in view.partitions(p.topic)}
        tps |= {tp for (prod, tp) in recent.sent if prod == name}
        rows = [_row(name, tp, open_by_tp.get(tp), ready_by_tp.get(tp, []), int(cfg["batch.size"]), linger, now,
                     recent, flash_ms) for tp in sorted(tps, key=_tp_key)]
        if p.running:
            state = f"● {p.rate:g}/s"
        else:
            state = "stopped" if p.rate is not None else "sends when asked"
        ratio = f" ({p.compression_ratio:.1f}:1)" if p.compression_ratio else ""
        lines = [f"linger.ms={linger} · batch.size={_size(int(cfg['batch.size']))}",
                 f"acks={cfg['acks']} · compression {cfg['compression.type']}{ratio}",
                 f"sent {p.sent} · acked {p.acked}" + (f" · failed {p.failed}" if p.failed else ""),
                 _plural(p.requests, "request") + (f" · {p.records_in_requests / p.batches:.1f} records/batch"
                                                   if p.batches else "")]
        if p.ack_latency_p50 is not None:
            lines.append(f"ack latency p50 {p.ack_latency_p50} ms · p95 {p.ack_latency_p95} ms")
        leaders = tuple((q.leader, q.in_flight, q.max_in_flight, q.ready_batches, q.ready_records) for q in p.leaders)
        cards.append(ProducerCard(name, p.running, state, tuple(lines), tuple(rows), leaders))
    return cards


def _size(n: int) -> str:
    """2048 -> "2 KB", 16384 -> "16 KB", 1500 -> "1500 B"."""
    return f"{n // 1024} KB" if n >= 1024 and n % 1024 == 0 else f"{n} B"


def _tp_key(tp: str) -> tuple[str, int]:
    topic, _, partition = tp.rpartition("/")
    return topic, int(partition)


def _row(producer: str, tp: str, batch, ready: list, batch_size: int, linger: int, now: float,
         recent: RecentSends, flash_ms: float) -> PartitionRow:
    # A batch that left lately is shown fading on its row, even when the next one is already filling.
    seen = recent.age(producer, tp, now)
    flash = seen[0] / flash_ms if seen is not None and 0 <= seen[0] < flash_ms else None
    sent_to = seen[1] if flash is not None else None
    if batch is not None:
        left = batch.linger_deadline_ms - now
        text = f"sends in {max(1, int(left + 0.999))} ms" if left > 0 else "linger.ms up: sending"
        return PartitionRow(tp, FILLING if left > 0 else DUE, batch.records, batch.bytes, batch_size, batch.fill,
                            linger, max(0.0, left), text, flash, sent_to,
                            batch.compression_ratio)
    if ready:
        first = ready[0]
        records = sum(b.records for b in ready)
        # A batch closes when the next record would not fit: within a record of batch.size is "full".
        full = first.bytes + first.bytes / max(1, first.records) > batch_size
        text = "full: sending" if full else "waiting for the sender"
        if len(ready) > 1:
            text += f" ({len(ready)} batches)"
        return PartitionRow(tp, FULL if full else WAITING, records, first.bytes, batch_size, first.fill, linger, None,
                            text, flash, sent_to, first.compression_ratio)
    if flash is not None:
        return PartitionRow(tp, SENT, 0, 0, batch_size, 0.0, linger, None, f"batch sent ▶ {sent_to}", flash,
                            sent_to)
    return PartitionRow(tp, IDLE, 0, 0, batch_size, 0.0, linger, None, "empty")
