"""Short-lived effects and captions for storage and transaction events.

- SEGMENT_DELETED: the deleted segment's cells fade out (and its block in the segment bar), caption
  "retention.ms=30000: segment 0–19 of clicks/0 deleted, log start offset → 20";
- LOG_CLEANED: the cells of the superseded records vanish, caption with the counts and
  min.cleanable.dirty.ratio; a tombstone past delete.retention.ms gets its own caption;
- SEGMENT_ROLLED: the new segment's tick glows;
- TXN_MARKER_WRITTEN: the marker cell glows (the WriteTxnMarkers request flew there, see
  `txn_flights`), caption per transaction;
- PRODUCE_DUPLICATE: the cells first written glow, caption "duplicate: answered with offset 3,
  not written again";
- PRODUCER_FENCED, a fencing abort (TXN_PREPARED with a bumped epoch), CONSUMER_OFFSET_OUT_OF_RANGE:
  captions.

Each event is seen once per broker that did the work (every replica deletes its own segments and
cleans its own log): the strip effects are per broker, the caption is one (`Effects.add_caption`
merges captions with one key). Plain Python, no Qt.
"""

from __future__ import annotations

from playground.engine.events import EventKind

from . import effects as fx

# Effect kinds on a replica strip.
SEGMENT_GONE = "segment_deleted"     # data: base_offset, next_offset
CLEANED = "cleaned"                  # data: offsets (that vanished from the shown cells), removed
ROLLED = "rolled"                    # data: base_offset
MARKER = "marker"                    # data: offset, committed
DUPLICATE = "duplicate"              # data: base_offset, count

KINDS = frozenset({
    EventKind.SEGMENT_DELETED, EventKind.SEGMENT_ROLLED, EventKind.LOG_CLEANED, EventKind.TXN_MARKER_WRITTEN,
    EventKind.PRODUCE_DUPLICATE, EventKind.PRODUCER_FENCED, EventKind.TXN_PREPARED,
    EventKind.CONSUMER_OFFSET_OUT_OF_RANGE,
})
# How much of a deleted segment's life its cells stay where they were (fading) before the strip moves on.
HOLD_FRACTION = 0.6


def _tp(d: dict) -> str:
    return f"{d.get('topic')}/{d.get('partition')}"


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}–{last}"


class StorageEffects:
    """Feeds `Effects` from storage and transaction events (the canvas owns one)."""

    def __init__(self) -> None:
        # (topic, partition, old log start) of a retention check -> the lowest base offset it deleted so far
        self._deleted_from: dict[tuple, int] = {}

    def on_event(self, effects: fx.Effects, event, speed: float, view, vanished=None) -> None:
        """Turn one storage or transaction event into strip effects and a caption.

        `vanished(broker, topic, partition)`: the offsets a strip showed in its last paint that are no
        longer in the log (for LOG_CLEANED; the canvas remembers what it painted)."""
        kind, d = event.kind, event.data
        broker = d.get("broker")
        if kind == EventKind.SEGMENT_DELETED:
            base, nxt = int(d["base_offset"]), int(d["next_offset"])
            effects.add_strip_effect(event, SEGMENT_GONE, broker, speed, base_offset=base, next_offset=nxt)
            setting = d.get("setting", "")
            value = view.topic_config(d["topic"], setting) if setting in ("retention.ms", "retention.bytes") else None
            why = f"{setting}={value}" if value is not None else "below the log start offset"
            # One caption per retention check, on every broker: they all start from the same log start.
            key = ("deleted", d["topic"], d["partition"], d.get("old_log_start_offset"))
            first = self._deleted_from[key] = min(base, self._deleted_from.get(key, base))
            if len(self._deleted_from) > 200:
                self._deleted_from = {key: first}
            start = d.get("log_start_offset", nxt)
            noun = "segment" if first == base else "segments"
            effects.add_caption(event, f"{why}: {noun} {_span(first, nxt - 1)} of {_tp(d)} deleted, log start offset "
                                       f"→ {start}", fx.INFO, speed, key)
        elif kind == EventKind.SEGMENT_ROLLED:
            effects.add_strip_effect(event, ROLLED, broker, speed, base_offset=int(d.get("base_offset", 0)))
        elif kind == EventKind.LOG_CLEANED:
            gone = tuple(sorted(vanished(broker, d["topic"], d["partition"]))) if vanished else ()
            effects.add_strip_effect(event, CLEANED, broker, speed, offsets=gone,
                                     removed=int(d.get("records_removed", 0)))
            ratio = view.topic_config(d["topic"], "min.cleanable.dirty.ratio")
            removed = int(d.get("records_removed", 0))
            effects.add_caption(event, f"Log cleaner compacted {_tp(d)}: dirty ratio {d.get('dirty_ratio', 0):.2f} > "
                                       f"min.cleanable.dirty.ratio={ratio:g}, {removed} superseded record"
                                       f"{'s' if removed != 1 else ''} removed", fx.GOOD, speed,
                                ("cleaned", d["topic"], d["partition"], d.get("end_offset")))
            tombstones = int(d.get("tombstones_removed", 0))
            if tombstones:
                keep = view.topic_config(d["topic"], "delete.retention.ms")
                effects.add_caption(event, f"delete.retention.ms={keep} passed: {tombstones} tombstone"
                                           f"{'s' if tombstones != 1 else ''} of {_tp(d)} expired, the key is gone",
                                    fx.INFO, speed, ("tombstone", d["topic"], d["partition"], d.get("end_offset")))
        elif kind == EventKind.TXN_MARKER_WRITTEN:
            committed = bool(d.get("committed"))
            effects.add_strip_effect(event, MARKER, broker, speed, offset=int(d.get("offset", -1)), committed=committed)
            what = "COMMIT" if committed else "ABORT"
            tid = d.get("transactional_id", "?")
            key = ("marker", tid, committed, d.get("producer_id"))
            effects.add_caption(event, f"{what} marker of {tid} written to {_tp(d)} at offset {d.get('offset')}: "
                                       "a control record no application sees", fx.GOOD if committed else fx.BAD,
                                speed, key)
        elif kind == EventKind.PRODUCE_DUPLICATE:
            base, count = int(d.get("base_offset", -1)), int(d.get("count", 1))
            effects.add_strip_effect(event, DUPLICATE, broker, speed, base_offset=base, count=count)
            effects.add_caption(event, f"duplicate on {_tp(d)}: leader {broker} answered with offset {base}, not "
                                       "written again (idempotence)", fx.GOOD, speed)
        elif kind == EventKind.PRODUCER_FENCED:
            effects.add_caption(event, f"Producer {d.get('producer')} is FENCED ({d.get('error')}): a newer instance "
                                       f"of {d.get('transactional_id')} took over; it can never write again", fx.BAD,
                                speed)
        elif kind == EventKind.TXN_PREPARED:
            if "fencing" in event.text or "timeout" in event.text:
                why = ("a new producer took over: epoch bumped to " f"{d.get('producer_epoch')}"
                       if "fencing" in event.text else "transaction.timeout.ms passed")
                effects.add_caption(event, f"Coordinator aborts the open transaction of {d.get('transactional_id')}: "
                                           f"{why}", fx.BAD, speed)
        elif kind == EventKind.CONSUMER_OFFSET_OUT_OF_RANGE:
            start = d.get("log_start_offset", -1)
            if 0 <= start and d.get("offset", 0) < start:
                effects.add_caption(event, f"{d.get('consumer')}: offset {d.get('offset')} of {_tp(d)} was deleted "
                                           f"(OFFSET_OUT_OF_RANGE) → auto.offset.reset={d.get('policy')}", fx.BAD,
                                    speed)



def row_start(effects: fx.Effects, topic: str, partition: int, log_start: int) -> int:
    """The first offset a row shows while a deleted segment's cells fade out: they keep their place for
    HOLD_FRACTION of the effect's life, then the row moves on to the log start offset."""
    first = log_start
    for e in effects.active():
        if e.kind == SEGMENT_GONE and e.topic == topic and e.partition == partition:
            frac = (effects.playback - e.start) / fx.STRIP_LIFE_MS
            if frac < HOLD_FRACTION:
                first = min(first, e.data["base_offset"])
    return first


def banners(strip_effects: list) -> list[tuple[tuple[str, ...], str, str, float]]:
    """(texts, background colour name, text colour name, fraction gone) for a strip's top edge."""
    out = []
    deleted: list[tuple[int, int, float]] = []
    for e, frac in strip_effects:
        if e.kind == DUPLICATE:
            out.append(((f"↺ DUPLICATE → offset {e.data['base_offset']}", f"↺ DUP → {e.data['base_offset']}"),
                        "good", "on_dark", frac))
        elif e.kind == SEGMENT_GONE:
            deleted.append((e.data["base_offset"], e.data["next_offset"], frac))
        elif e.kind == CLEANED and e.data["removed"]:
            n = e.data["removed"]
            out.append(((f"COMPACTED −{n} record{'s' if n != 1 else ''}", f"−{n}"), "good", "on_dark", frac))
    if deleted:                 # the segments one retention check deleted: one badge
        first, last = min(d[0] for d in deleted), max(d[1] for d in deleted) - 1
        many = len(deleted) > 1
        out.append(((f"✕ SEGMENT{'S' if many else ''} {_span(first, last)} DELETED", f"✕ {_span(first, last)}"),
                    "info", "on_dark", min(d[2] for d in deleted)))
    return out
