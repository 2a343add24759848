"""Replica strips painted into pixmaps, so that the canvas's picture mostly copies them.

Under load (thousands of records a second) every strip changes all the time, and drawing
eighteen of them took most of a frame. While time runs, the canvas redraws its picture every
few frames (canvas_layer) in claimed frames: in the first ones (`begin_paint(PREPARE, ...)`,
each taking its share of the strips: `part` of `parts`) the strips whose log or look changed
are redrawn into their pixmaps and nothing is painted; in the next (COMPOSE) the picture
copies them as they were a frame or two ago. A partition's replicas
are prepared in the same pass, so that a follower never shows a log end ahead of its leader's;
a change of look (role: leader, ISR, epoch, zombie, broker state; effects: an election's
flash, a truncation, a new banner) waits for its row's pass too, at most a few frames. A
strip is redrawn while composing only when it moved or was resized, or when no preparing
pass saw it lately. A strip scrolled out of sight (the canvas sits in a scroll area)
is not redrawn at all. When time is paused, stepped or shown at an instant (FRESH: screenshots,
tests), every strip is drawn fresh.

What a strip's drawing leaves behind (its cells' rectangles for tooltips and tests, the
storage layer's cells, segment blocks and per-strip storage) is kept with its pixmap and
given back when the pixmap is copied.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QPainter, QPixmap

from . import paint_cache as pc
from .canvas_brokers import Row, StripInfo, draw_strip

FRESH, PREPARE, COMPOSE = "fresh", "prepare", "compose"     # the kinds of pass (see above)
GEOMETRY = 7                # a strip's look starts with where and how large it is drawn (see draw)
MARGIN_X = 12.0             # room around the strip for its flashes ...
MARGIN_TOP = 46.0           # ... and the banners straddling its top edge
MARGIN_BOTTOM = 12.0


@dataclass
class _Strip:
    pixmap: QPixmap
    origin: QPointF                 # where the pixmap's top left goes
    look: tuple                     # what forces a redraw when it changes
    data: tuple                     # what its log showed
    part: int                       # which preparing pass of a picture redraws it when its log changed
    paint: int                      # the paint that drew it
    info: StripInfo
    cells: list = field(default_factory=list)           # what draw_strip appended to the canvas's cells
    storage_cells: list = field(default_factory=list)   # ... and to the storage layer's
    blocks: list = field(default_factory=list)
    storage: object = None


class StripCache:
    def __init__(self) -> None:
        self._strips: dict[tuple, _Strip] = {}
        self._drawn: set[tuple] = set()
        self._paint = 0
        self._mode = FRESH
        self._part, self._parts = 0, 1
        self._row_parts: dict = {}      # partition -> its preparing pass (all its replicas together)
        self._visible = QRectF()

    def begin_paint(self, mode: str, visible: QRectF, part: int = 0, parts: int = 1) -> None:
        """`mode`: FRESH, PREPARE or COMPOSE (see above); `part` of `parts`: which preparing pass
        this is, or how many there were before composing. `visible`: the part of the canvas being
        painted, in its logical coordinates."""
        self._paint += 1
        self._mode = mode
        self._part, self._parts = part, parts
        self._visible = visible
        for key in [k for k in self._strips if k not in self._drawn]:      # strips that are gone
            del self._strips[key]
        self._drawn = set()

    def draw(self, p: QPainter, view, pv, bid: int, rect: QRectF, row: Row, badge, zombie, effects: list,
             cells_out: list, storage_layer) -> StripInfo:
        """`draw_strip` with the same arguments, or a copy of what it drew for this replica lately."""
        key = (bid, row.tp)
        self._drawn.add(key)
        t = p.transform()
        scale = t.m11() * p.device().devicePixelRatioF()
        look = (rect.x(), rect.y(), rect.width(), rect.height(), row.cells, scale, pc.generation(),
                pv.leader, pv.leader_epoch, bid in pv.isr, bid in pv.elr, badge, zombie,
                tuple((e.kind, e.start) for e, _ in effects))
        log = view.replica_log(bid, pv.topic, pv.partition)
        data = (row.first, None if log is None else (log.log_end_offset, log.high_watermark, log.log_start_offset),
                tuple(frac for _, frac in effects))
        strip = self._strips.get(key)
        mode = self._mode
        if strip is not None and mode != FRESH and not self._visible.intersects(
                rect.adjusted(-MARGIN_X, -MARGIN_TOP, MARGIN_X, MARGIN_BOTTOM)):
            return self._reuse(None, strip, bid, row, cells_out, storage_layer)     # out of sight: as it was
        if mode == PREPARE:                     # this pass's rows, when anything about them changed
            if strip is None or (strip.part % self._parts == self._part and (strip.look != look or strip.data != data)):
                return self._redraw(p, key, look, data, scale, view, pv, bid, rect, row, badge, zombie, effects,
                                    cells_out, storage_layer, strip, copy=False)
            return strip.info
        # Composing copies what the preparing passes drew, unless the strip moved or was resized (all do at
        # once), or changed and no preparing pass saw it lately (one claim missed: a click composed early).
        if (strip is None or mode == FRESH or strip.look[:GEOMETRY] != look[:GEOMETRY]
                or (self._paint - strip.paint > self._parts and (strip.look != look or strip.data != data))):
            return self._redraw(p, key, look, data, scale, view, pv, bid, rect, row, badge, zombie, effects,
                                cells_out, storage_layer, strip)
        return self._reuse(p, strip, bid, row, cells_out, storage_layer)

    @staticmethod
    def _reuse(p: QPainter | None, strip: _Strip, bid: int, row: Row, cells_out: list, storage_layer) -> StripInfo:
        """Copy the strip's pixmap (if `p`) and give back what its drawing left behind."""
        if p is not None:
            p.drawPixmap(strip.origin, strip.pixmap)
        cells_out.extend(strip.cells)
        if storage_layer is not None:
            storage_layer.cells.extend(strip.storage_cells)
            storage_layer.blocks.extend(strip.blocks)
            if strip.storage is not None:
                storage_layer.strips[(bid, row.tp.topic, row.tp.partition)] = strip.storage
        return strip.info

    def _redraw(self, p: QPainter, key: tuple, look: tuple, data: tuple, scale: float, view, pv, bid: int,
                rect: QRectF, row: Row, badge, zombie, effects: list, cells_out: list, storage_layer,
                old: _Strip | None, copy: bool = True) -> StripInfo:
        t = p.transform()
        ratio = p.device().devicePixelRatioF()
        # The pixmap starts on a whole device pixel, so that the copy lands on the grid it was drawn for.
        x0 = (math.floor(((rect.x() - MARGIN_X) * t.m11() + t.dx()) * ratio) / ratio - t.dx()) / t.m11()
        y0 = (math.floor(((rect.y() - MARGIN_TOP) * t.m22() + t.dy()) * ratio) / ratio - t.dy()) / t.m22()
        w = math.ceil((rect.right() + MARGIN_X - x0) * scale) + 1
        h = math.ceil((rect.bottom() + MARGIN_BOTTOM - y0) * scale) + 1
        pixmap = old.pixmap if old is not None and old.pixmap.width() == w and old.pixmap.height() == h \
            else QPixmap(w, h)
        pixmap.setDevicePixelRatio(scale)
        pixmap.fill(pc.CLEAR_COLOUR)
        marks = (len(cells_out), len(storage_layer.cells), len(storage_layer.blocks)) if storage_layer is not None \
            else (len(cells_out), 0, 0)
        q = QPainter(pixmap)
        q.setRenderHints(p.renderHints())
        q.translate(-x0, -y0)
        info = draw_strip(q, view, pv, bid, rect, row, badge, zombie, effects, cells_out, storage_layer)
        q.end()
        origin = QPointF(x0, y0)
        if copy:
            p.drawPixmap(origin, pixmap)
        # A row's replicas share their pass: a follower drawn a frame later than its leader could show a
        # log end ahead of the leader's, which never happens.
        part = old.part if old is not None else self._row_parts.setdefault(row.tp, len(self._row_parts))
        strip = _Strip(pixmap, origin, look, data, part, self._paint, info, cells_out[marks[0]:])
        if storage_layer is not None:
            strip.storage_cells = storage_layer.cells[marks[1]:]
            strip.blocks = storage_layer.blocks[marks[2]:]
            strip.storage = storage_layer.strips.get((bid, row.tp.topic, row.tp.partition))
        self._strips[key] = strip
        return info
