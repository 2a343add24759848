"""Painting storage and transactions on a replica strip.

- the cells by kind (`storage_model`): records, COMMIT / ABORT markers (a narrower green "C" / red
  "A" cell), records of aborted transactions (grey, struck through), of open transactions (hatched),
  tombstones (dark), and the gaps compaction leaves (an empty dotted slot);
- segments: a light band behind the cells of every other segment and a notch at each segment's base
  offset; under the strip, when the topic's storage is worth showing, the segment bar: the replica's
  whole log from its log start offset to its log end, one block per segment (closed, cleaned,
  active), with the part the cells show underlined;
- effects (`storage_effects`): a deleted segment's cells and block fading out, compacted cells
  vanishing, a marker or a duplicate glowing, a new segment's notch glowing.

`StorageLayer` is what the canvas owns: it computes each strip's `StripStorage` (keeping the
per-replica producer state in step, see `storage_model.TxnStates`), remembers which offsets each
strip showed (so a cleaner pass can make exactly those cells vanish) and answers hover questions.
"""

from __future__ import annotations

import math
from functools import lru_cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QPainter, QPen

from . import effects as fx
from . import paint_cache as pc
from . import storage_effects as sfx
from . import storage_model as sm
from .qt_theme import COLORS, font

BAR_H = 22.0
STORAGE_STRIP_H = 128.0         # a strip with a segment bar under its HW / LEO labels
MARKER_W = 0.72                 # a marker cell's width, of a cell's
CELL_FONT = (12, True, False)   # an offset in its cell (a paint_cache font spec)

_SEGMENT_FILL = {"closed": "segment_closed", "cleaned": "segment_cleaned", "active": "background"}


@lru_cache(maxsize=8)
def _font(points: int, bold: bool = True):
    """Fonts made once: a paint draws dozens of cells, and a QFont costs more than the cell."""
    return font(points, bold=bold)


def _ease(frac: float) -> float:
    return (1.0 - frac ** 3) * (0.55 + 0.45 * math.cos(math.pi * frac * fx.STRIP_LIFE_MS / 450.0) ** 2)


class StorageLayer:
    """The canvas's storage and transactions: per strip, per paint (see the module docstring)."""

    def __init__(self) -> None:
        self.txn_states = sm.TxnStates()
        self.effects = sfx.StorageEffects()
        self._shown: dict[tuple[int, str, int], frozenset[int]] = {}     # offsets present at the last paint
        self._storage_topics: set[str] = set()
        self._transactions = False
        self.legend = False
        self.cells: list[tuple[QRectF, int, object, sm.Cell]] = []
        self.strips: dict[tuple[int, str, int], sm.StripStorage] = {}     # (broker, topic, partition), last paint
        # Rows the user scrolled back (wheel) or pinned to a segment (a click on the segment bar): the first
        # offset they show. A view setting, not engine state; rows not in it follow the log's tail.
        self.pinned: dict[object, int] = {}
        self.blocks: list[tuple[QRectF, int, object, sm.Segment]] = []

    # -- per paint -----------------------------------------------------------------------
    def begin_paint(self, view, topics) -> None:
        self.cells, self.blocks, self.strips = [], [], {}
        self._storage_topics = {t for t, parts in topics if sm.shows_storage(view, t, parts)}
        # The legend explains markers and segments once there is something of the kind to see.
        # Once there were transactions, records' transaction states are followed (it costs a replay of
        # every new batch per replica); before, there are none to show.
        transactions = bool(view.transactions())
        self._transactions = self._transactions or transactions
        self.legend = bool(self._storage_topics) or transactions
        live = {(bid, t, pv.partition) for t, parts in topics for pv in parts for bid in pv.replicas}
        self.txn_states.forget_missing(live)

    def shows_bar(self, topic: str) -> bool:
        return topic in self._storage_topics

    @property
    def any_bar(self) -> bool:
        return bool(self._storage_topics)

    def strip(self, log, row, broker: int, leader: bool) -> sm.StripStorage:
        storage = sm.strip_storage(log, row.first, row.cells, self.txn_states, broker, leader, self._transactions)
        self.strips[(broker, log.topic, log.partition)] = storage
        self._shown[(broker, log.topic, log.partition)] = frozenset(
            o for o, c in storage.cells.items() if c.kind != sm.GAP)
        return storage

    def vanished(self, view, broker: int, topic: str, partition: int) -> set[int]:
        """Offsets the strip showed at its last paint that the log no longer holds."""
        shown = self._shown.get((broker, topic, partition))
        log = view.replica_log(broker, topic, partition)
        if not shown or log is None:
            return set()
        present = {o for o, _r, _b in log.records(min(shown), max(shown) + 1)}
        return set(shown) - present

    def on_event(self, effects: fx.Effects, event, speed: float, view) -> None:
        self.effects.on_event(effects, event, speed, view,
                              lambda b, t, p: self.vanished(view, b, t, p))

    # -- looking back: rows scrolled or pinned --------------------------------------------------
    def row_first(self, tp, log_start: int, tail_first: int) -> int:
        """The first offset a row shows: where it was pinned (never below the log start, and back to
        following the tail once the pin reaches it), else `tail_first`."""
        pinned = self.pinned.get(tp)
        if pinned is None:
            return tail_first
        if pinned >= tail_first:
            del self.pinned[tp]
            return tail_first
        if pinned < log_start:              # scrolled past the oldest offset: stay there
            self.pinned[tp] = pinned = log_start
        return pinned

    def scroll(self, tp, current_first: int, cells: int) -> None:
        """Move a row `cells` offsets (negative: back to older offsets)."""
        self.pinned[tp] = self.pinned.get(tp, current_first) + cells     # several notches before one paint

    def block_at(self, pos: QPointF):
        """(broker, tp, segment) of the segment-bar block under `pos`, or None."""
        return next(((bid, tp, seg) for rect, bid, tp, seg in self.blocks if rect.contains(pos)), None)

    # -- hover -----------------------------------------------------------------------------
    def tooltip_at(self, pos: QPointF, view) -> str | None:
        for rect, bid, tp, cell in self.cells:
            if rect.contains(pos):
                log = view.replica_log(bid, tp.topic, tp.partition)
                return sm.describe_cell(log, cell, bid, sm.transactional_ids(view)) if log is not None else None
        for rect, bid, tp, seg in self.blocks:
            if rect.contains(pos):
                return sm.describe_segment(seg, bid, tp.topic, tp.partition) + \
                    "<br><i>Click to show its cells; the mouse wheel over a strip scrolls its offsets.</i>"
        return None


# -- cells ------------------------------------------------------------------------------------
def cell_x(cells: QRectF, row, cw: float, offset: int) -> float:
    return cells.left() + (offset - row.first) * cw


def draw_segment_bands(p: QPainter, cells: QRectF, row, cw: float, storage: sm.StripStorage) -> None:
    """A light band behind every other segment's cells, so the segments read as groups."""
    last = row.first + row.cells
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(COLORS["segment_band"])
    for i, seg in enumerate(storage.segments):
        if (len(storage.segments) - 1 - i) % 2 == 0:    # the active segment, and every other one back from it
            continue
        lo, hi = max(seg.base_offset, row.first), min(seg.next_offset, last)
        if lo >= hi:
            continue
        p.drawRoundedRect(QRectF(cell_x(cells, row, cw, lo) - 1, cells.top() - 5, (hi - lo) * cw + 2,
                                 cells.height() + 10), 5, 5)


def draw_cell(p: QPainter, rect: QRectF, off: int, cell: sm.Cell | None, hw: int, leo: int) -> None:
    """One offset's cell: `cell` None is above the log end (an empty slot)."""
    if cell is None or off >= leo:
        _box(p, rect, COLORS["empty"], COLORS["faint"], COLORS["faint_text"], str(off))
        return
    committed = off < hw
    if cell.kind == sm.GAP:             # compacted away: the offset stays, the record is gone
        p.setPen(QPen(COLORS["muted"], 1.5, Qt.PenStyle.DashLine))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(rect.adjusted(3, 3, -3, -3), 4, 4)
        _text(p, rect, str(off), COLORS["faint"], CELL_FONT)
        return
    if cell.kind in (sm.COMMIT, sm.ABORT):
        w = rect.width() * MARKER_W
        marker = QRectF(rect.center().x() - w / 2, rect.top() + 2, w, rect.height() - 4)
        colour = COLORS["commit_marker" if cell.kind == sm.COMMIT else "abort_marker"]
        p.save()
        if not committed:
            p.setOpacity(0.6)
        _box(p, marker, colour, colour.darker(140), COLORS["on_dark"], "C" if cell.kind == sm.COMMIT else "A",
             (14, True, False), radius=7)
        p.restore()
        return
    if cell.kind == sm.ABORTED:
        _box(p, rect, COLORS["aborted"], COLORS["aborted_edge"], COLORS["aborted_text"], str(off))
        p.setPen(QPen(COLORS["aborted_edge"], 2.5))
        p.drawLine(QPointF(rect.left() + 3, rect.bottom() - 5), QPointF(rect.right() - 3, rect.top() + 5))
        return
    if cell.tombstone:
        fill, edge, text = COLORS["tombstone"], COLORS["tombstone"], COLORS["on_dark"]
    elif committed:
        fill, edge, text = COLORS["committed"], COLORS["committed"], COLORS["on_dark"]
    else:
        fill, edge, text = COLORS["uncommitted"], COLORS["uncommitted_edge"], COLORS["text"]
    if cell.kind == sm.OPEN:
        p.setPen(QPen(COLORS["open_txn"], 2.5, Qt.PenStyle.DashLine))
        p.setBrush(fill)
        p.drawRoundedRect(rect, 4, 4)
        hatch = QBrush(COLORS["hatch"] if committed or cell.tombstone else COLORS["open_txn"],
                       Qt.BrushStyle.BDiagPattern)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(hatch)
        p.drawRoundedRect(rect.adjusted(2, 2, -2, -2), 3, 3)
        _text(p, rect, str(off), text, CELL_FONT, backing=fill)
        return
    _box(p, rect, fill, edge, text, str(off))


def _box(p: QPainter, rect: QRectF, fill: QColor, edge: QColor, text_colour: QColor, text: str,
         fs: pc.FontSpec = CELL_FONT, radius: float = 4) -> None:
    p.setPen(pc.pen(edge, 1.5))
    p.setBrush(fill)
    p.drawRoundedRect(rect, radius, radius)
    _text(p, rect, text, text_colour, fs)


def _text(p: QPainter, rect: QRectF, text: str, colour: QColor, fs: pc.FontSpec,
          backing: QColor | None = None) -> None:
    if backing is not None:             # the offset stays readable over a hatch
        w, h = pc.text_width(text, fs) + 6, pc.metrics(fs).height()
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(backing)
        p.drawRoundedRect(QRectF(rect.center().x() - w / 2, rect.center().y() - h / 2, w, h), 3, 3)
    p.setPen(colour)
    pc.text(p, rect, Qt.AlignmentFlag.AlignCenter, text, fs)


def draw_segment_notches(p: QPainter, cells: QRectF, row, cw: float, storage: sm.StripStorage,
                         effects: list) -> None:
    """A notch over the gap between cells where each segment begins (a glow when it just rolled)."""
    rolled = {e.data["base_offset"]: frac for e, frac in effects if e.kind == sfx.ROLLED}
    for base in storage.segment_bases:
        if not row.first <= base < row.first + row.cells:
            continue
        x = cell_x(cells, row, cw, base)
        top = cells.top() - 11
        if base in rolled:
            p.save()
            p.setOpacity(_ease(rolled[base]))
            p.setPen(QPen(COLORS["flash"], 8, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            p.drawLine(QPointF(x, top), QPointF(x, cells.bottom() + 2))
            p.restore()
        p.setPen(QPen(COLORS["segment_tick"], 2.5, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
        p.drawLine(QPointF(x, top + 6), QPointF(x, cells.bottom() + 2))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(COLORS["segment_tick"])
        p.drawPolygon([QPointF(x - 6, top), QPointF(x + 6, top), QPointF(x, top + 8)])


def draw_cell_effects(p: QPainter, cells: QRectF, row, cw: float, effects: list) -> None:
    """Ghosts of deleted and compacted cells, glows around new markers and recognised duplicates."""
    for e, frac in effects:
        if e.kind == sfx.SEGMENT_GONE:
            offs = range(e.data["base_offset"], e.data["next_offset"])
            _ghosts(p, cells, row, cw, offs, frac, COLORS["aborted"], COLORS["aborted_text"], sink=10.0)
        elif e.kind == sfx.CLEANED:
            _ghosts(p, cells, row, cw, e.data["offsets"], frac, COLORS["segment_cleaned"], COLORS["text"], sink=0.0)
        elif e.kind in (sfx.MARKER, sfx.DUPLICATE):
            first = e.data["offset"] if e.kind == sfx.MARKER else e.data["base_offset"]
            count = 1 if e.kind == sfx.MARKER else max(1, e.data["count"])
            lo, hi = max(first, row.first), min(first + count, row.first + row.cells)
            if lo >= hi:
                continue
            colour = (COLORS["commit_marker"] if e.data.get("committed") else COLORS["abort_marker"]) \
                if e.kind == sfx.MARKER else COLORS["flash"]
            p.save()
            p.setOpacity(_ease(frac))
            p.setPen(QPen(colour, 5))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(QRectF(cell_x(cells, row, cw, lo) - 2, cells.top() - 4, (hi - lo) * cw + 4,
                                     cells.height() + 8), 6, 6)
            p.restore()


def _ghosts(p: QPainter, cells: QRectF, row, cw: float, offsets, frac: float, fill: QColor, text: QColor,
            sink: float) -> None:
    p.save()
    p.setOpacity(max(0.0, 1.0 - frac / sfx.HOLD_FRACTION) ** 0.8 if frac < sfx.HOLD_FRACTION else 0.0)
    shrink = 0.5 * cw * min(1.0, frac / sfx.HOLD_FRACTION) if sink == 0.0 else 0.0
    for off in offsets:
        i = off - row.first
        if not 0 <= i < row.cells:
            continue
        cell = QRectF(cells.left() + i * cw + 1.5 + shrink / 2, cells.top() + sink * frac,
                      max(2.0, cw - 3 - shrink), cells.height())
        p.setPen(QPen(text, 2, Qt.PenStyle.DashLine))
        p.setBrush(fill)
        p.drawRoundedRect(cell, 4, 4)
        p.setPen(QPen(text, 2))
        p.drawLine(QPointF(cell.left() + 3, cell.bottom() - 5), QPointF(cell.right() - 3, cell.top() + 5))
    p.restore()


# -- the segment bar -------------------------------------------------------------------------------
def draw_segment_bar(p: QPainter, bar: QRectF, row, storage: sm.StripStorage, effects: list, broker: int,
                     tp, blocks_out: list) -> None:
    """The replica's whole log, log start offset to log end, one block per segment."""
    ghosts = [(e, frac) for e, frac in effects if e.kind == sfx.SEGMENT_GONE]
    start, leo = storage.log_start_offset, storage.log_end_offset
    lo = start
    for e, frac in ghosts:              # the scale shrinks back to the log start as the ghost fades
        lo = min(lo, start - (start - e.data["base_offset"]) * max(0.0, 1.0 - frac) ** 2)
    hi = max(float(leo), lo + 1.0)
    scale = bar.width() / (hi - lo)

    def x(offset: float) -> float:
        return bar.left() + (offset - lo) * scale

    p.setFont(_font(12))
    fm = QFontMetricsF(p.font())
    for e, frac in ghosts:
        a, b = x(e.data["base_offset"]), x(e.data["next_offset"])
        if b <= bar.left() + 1:
            continue
        block = QRectF(max(bar.left(), a), bar.top(), min(b, bar.right()) - max(bar.left(), a), bar.height())
        p.save()
        p.setOpacity(max(0.0, 1.0 - frac))
        p.setPen(QPen(COLORS["abort_marker"], 1.5, Qt.PenStyle.DashLine))
        p.setBrush(COLORS["segment_deleted"])
        p.drawRect(block)
        p.setPen(COLORS["abort_marker"].darker(140))
        span = f"{e.data['base_offset']}–{e.data['next_offset'] - 1}"
        label = next((t for t in (f"deleted {span}", span, "✕") if fm.horizontalAdvance(t) + 6 <= block.width()),
                     None)
        if label is not None:
            p.drawText(block, Qt.AlignmentFlag.AlignCenter, label)
        p.restore()
    glow = next((frac for e, frac in effects if e.kind == sfx.CLEANED), None)
    for seg in storage.segments:
        a, b = x(seg.base_offset), x(max(seg.next_offset, seg.base_offset + (1 if seg.active else 0)))
        block = QRectF(a, bar.top(), max(3.0, b - a), bar.height())
        state = "active" if seg.active else "cleaned" if seg.cleaned else "closed"
        p.setPen(QPen(COLORS["segment_tick"], 2 if seg.active else 1.2))
        p.setBrush(COLORS[_SEGMENT_FILL[state]])
        p.drawRect(block)
        if seg.cleaned and glow is not None:
            p.save()
            p.setOpacity(_ease(glow))
            p.setPen(QPen(COLORS["good"], 4))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(block.adjusted(-2, -2, 2, 2))
            p.restore()
        last = seg.next_offset - 1
        labels = ([f"active {seg.base_offset}–{last}", f"{seg.base_offset}–{last}", f"{seg.base_offset}–"]
                  if seg.active and last > seg.base_offset else
                  [f"active {seg.base_offset}", str(seg.base_offset)] if seg.active else
                  [f"{seg.base_offset}–{last}", f"{seg.base_offset}"])
        label = next((t for t in labels if fm.horizontalAdvance(t) + 6 <= block.width()), None)
        if label is not None:
            p.setPen(COLORS["text"])
            p.drawText(block, Qt.AlignmentFlag.AlignCenter, label)
        blocks_out.append((block, broker, tp, seg))
    # Which part of the log the cells above show.
    first, last = max(row.first, start), min(row.first + row.cells, leo)
    if last > first:
        p.setPen(QPen(COLORS["text"], 2, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
        p.drawLine(QPointF(x(first), bar.top() - 2), QPointF(x(last), bar.top() - 2))
