"""What a replica strip shows about storage and transactions, as plain values.

For the offsets a strip shows, each cell's kind: a record, a gap the log
cleaner left (offsets never move, so a removed record leaves a hole), a
transaction marker (COMMIT or ABORT: a control record that takes an offset
but that no application sees), a record of an aborted transaction, or one of
a transaction still open. Plus the replica's segments (the ticks and the
segment bar), its log start offset and, on the leader, the last stable offset.

Everything is read from the replica's own log on each paint. The one thing
kept between paints is a per-replica `ProducerStateManager` (the engine's
own, the same a broker keeps): it is derived from the log, replays only the
batches appended since the last paint, and rebuilds itself when the log was
truncated or compacted, exactly as a broker's does. Plain Python, no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass

from playground.engine.producer_state import ProducerStateManager
from playground.engine.records import decode_text
from playground.engine.txn_protocol import marker_committed

# Cell kinds.
RECORD = "record"            # a record (of no transaction, or of a committed one)
GAP = "gap"                  # below the log end, above the log start, but not in the log: compacted away
COMMIT = "commit"            # a COMMIT marker (control record)
ABORT = "abort"              # an ABORT marker (control record)
ABORTED = "aborted"          # a record of an aborted transaction: read_committed consumers skip it
OPEN = "open"                # a record of a transaction not decided yet: read_committed consumers wait

KAFKA_SEGMENT_BYTES = 1073741824        # Kafka's segment.bytes default, 1 GiB
# Topic settings that make storage worth drawing (the segment bar) even before a segment rolls.
STORAGE_SETTINGS = ("segment.bytes", "segment.ms", "retention.ms", "retention.bytes", "cleanup.policy",
                    "delete.retention.ms", "min.cleanable.dirty.ratio")


@dataclass(frozen=True, slots=True)
class Cell:
    offset: int
    kind: str
    producer_id: int = -1
    transactional: bool = False
    tombstone: bool = False


@dataclass(frozen=True, slots=True)
class Segment:
    base_offset: int
    next_offset: int            # one past its last offset (the log end for the active segment)
    records: int
    size_bytes: int
    created_ms: int
    active: bool
    cleaned: bool


@dataclass(frozen=True, slots=True)
class StripStorage:
    """One replica's storage as a strip draws it."""

    log_start_offset: int
    log_end_offset: int
    cells: dict[int, Cell]                  # offsets of the shown window below the log end
    segments: tuple[Segment, ...]
    last_stable_offset: int | None = None   # the leader's, when it differs from its high watermark
    high_watermark: int = 0

    @property
    def segment_bases(self) -> tuple[int, ...]:
        return tuple(s.base_offset for s in self.segments)


_NO_TRANSACTIONS = ProducerStateManager()           # never synced: no open or aborted transaction


class TxnStates:
    """One `ProducerStateManager` per replica log, kept in step with it (see the module docstring)."""

    def __init__(self) -> None:
        self._states: dict[tuple[int, str, int], tuple[object, ProducerStateManager]] = {}

    def of(self, broker: int, log) -> ProducerStateManager:
        key = (broker, log.topic, log.partition)
        held = self._states.get(key)
        if held is None or held[0] is not log:          # a new log (topic deleted and created again)
            held = (log, ProducerStateManager())
            self._states[key] = held
        return held[1].sync(log)

    def forget_missing(self, live: set[tuple[int, str, int]]) -> None:
        for key in [k for k in self._states if k not in live]:
            del self._states[key]


def segments_of(log) -> tuple[Segment, ...]:
    segs = log.segments
    last = len(segs) - 1
    checkpoint = log.cleaner_checkpoint if log.last_clean_ms >= 0 else -1
    return tuple(Segment(s.base_offset, s.next_offset if i < last else max(s.next_offset, log.log_end_offset),
                         s.record_count, s.size_bytes, s.created_ms, i == last,
                         i != last and s.next_offset <= checkpoint)
                 for i, s in enumerate(segs))


def _classify(batch, off: int, rec, state: ProducerStateManager, open_txns: dict[int, int]) -> Cell:
    pid = batch.producer_id
    if batch.is_control:
        return Cell(off, COMMIT if marker_committed(rec) else ABORT, pid, True)
    tombstone = rec.value is None
    if not batch.is_transactional:
        return Cell(off, RECORD, pid, False, tombstone)
    first = open_txns.get(pid)
    if first is not None and off >= first:
        return Cell(off, OPEN, pid, True, tombstone)
    for a in state.aborted:
        if a.producer_id == pid and a.first_offset <= off <= a.last_offset:
            return Cell(off, ABORTED, pid, True, tombstone)
    return Cell(off, RECORD, pid, True, tombstone)


def strip_storage(log, first: int, count: int, txn_states: TxnStates | None, broker: int,
                  leader: bool, transactions: bool = True) -> StripStorage:
    """The cells of offsets [first, first + count) and the segments of one replica's `log`.

    `transactions` False: the cluster has never had a transactional producer, so no record is part
    of a transaction and the producers' state need not be followed (a busy log has many new batches
    a frame)."""
    start, leo = log.log_start_offset, log.log_end_offset
    lo, hi = max(first, start), min(first + count, leo)
    if not transactions:
        state = _NO_TRANSACTIONS
    else:
        state = txn_states.of(broker, log) if txn_states is not None else ProducerStateManager().sync(log)
    open_txns = state.open_transactions()
    cells: dict[int, Cell] = {}
    if lo < hi:
        for off, rec, batch in log.records(lo, hi):
            cells[off] = _classify(batch, off, rec, state, open_txns)
        for off in range(lo, hi):
            if off not in cells:
                cells[off] = Cell(off, GAP)
    lso = None
    if leader:
        stable = state.last_stable_offset(log.high_watermark)
        lso = stable if stable != log.high_watermark else None
    return StripStorage(start, leo, cells, segments_of(log), lso, log.high_watermark)


def shows_storage(view, topic: str, partitions) -> bool:
    """Whether the strips of `topic` get a segment bar: a storage setting was given, or some replica
    has rolled a segment or moved its log start offset."""
    configs = view.topic_configs(topic)
    if any(k in configs for k in STORAGE_SETTINGS):
        return True
    for pv in partitions:
        for bid in pv.replicas:
            log = view.replica_log(bid, topic, pv.partition)
            if log is not None and (len(log.segments) > 1 or log.log_start_offset > 0):
                return True
    return False


def transactional_ids(view) -> dict[int, str]:
    """producer id -> transactional.id, as the transaction coordinators know them."""
    return {t.producer_id: tid for tid, t in view.transactions().items()}


# -- hover text ----------------------------------------------------------------------------
def describe_cell(log, cell: Cell, broker: int, tids: dict[int, str]) -> str:
    """The tooltip of one offset cell (HTML): what is at that offset and what readers make of it."""
    tp = f"{log.topic}/{log.partition}"
    head = f"<b>{tp} offset {cell.offset}</b> on broker {broker}"
    if cell.kind == GAP:
        return (f"{head}<br><b>removed by compaction</b>: a later record with the same key superseded it. "
                "Offsets never move, so the log keeps a gap here.")
    found = next(iter(log.records(cell.offset, cell.offset + 1)), None)
    if found is None:
        return head
    off, rec, batch = found
    who = _producer(batch, tids)
    if cell.kind in (COMMIT, ABORT):
        what = "COMMIT" if cell.kind == COMMIT else "ABORT"
        after = ("read_committed consumers may now read the transaction's records" if cell.kind == COMMIT
                 else "read_committed consumers skip the transaction's records before it")
        return (f"{head}<br><b>{what} marker</b>: a control record no application sees. It ends the "
                f"transaction of {who}; {after}.<br>timestamp: {rec.timestamp} ms · leader epoch "
                f"{batch.leader_epoch}")
    key = decode_text(rec.key) if rec.key is not None else "null"
    value = decode_text(rec.value) if rec.value is not None else "null (a tombstone: compaction removes the key " \
                                                                  "after delete.retention.ms)"
    headers = ", ".join(f"{k}={v.decode('utf-8', 'replace')}" for k, v in rec.headers) or "none"
    lines = [head, f"key: {key}", f"value: {value}", f"headers: {headers}",
             f"timestamp: {rec.timestamp} ms · leader epoch {batch.leader_epoch}"]
    if batch.producer_id >= 0:
        seq = batch.base_sequence + (off - batch.base_offset) if batch.base_sequence >= 0 else -1
        lines.append(f"{who}, epoch {batch.producer_epoch}" + (f", sequence {seq}" if seq >= 0 else ""))
    if cell.kind == OPEN:
        lines.append("<b>in an OPEN transaction</b>: read_committed consumers wait at the last stable offset "
                     "until it is committed or aborted")
    elif cell.kind == ABORTED:
        lines.append("<b>in an ABORTED transaction</b>: read_committed consumers skip it, read_uncommitted ones "
                     "see it")
    elif cell.transactional:
        lines.append("in a committed transaction")
    return "<br>".join(lines)


def _producer(batch, tids: dict[int, str]) -> str:
    tid = tids.get(batch.producer_id)
    pid = f"producer id {batch.producer_id}"
    return f"{tid} ({pid})" if tid else pid


def describe_segment(seg: Segment, broker: int, topic: str, partition: int) -> str:
    span = f"{seg.base_offset}–{seg.next_offset - 1}" if seg.next_offset > seg.base_offset else \
        f"{seg.base_offset} (empty)"
    state = ("the <b>active</b> segment: appends go here; retention never deletes it and the cleaner never "
             "compacts it" if seg.active else
             "closed: retention may delete it once its newest record is older than retention.ms"
             + ("; compacted by the log cleaner" if seg.cleaned else ""))
    return (f"<b>{topic}/{partition} segment {span}</b> on broker {broker} (file "
            f"{seg.base_offset:020d}.log)<br>{seg.records} record(s), {seg.size_bytes} bytes, created at "
            f"{seg.created_ms} ms<br>{state}")
