"""Replica strips painted into pixmaps, so that a paint while time runs redraws only some of them.

Under load (thousands of records a second) every strip changes in every frame, and drawing
eighteen of them took most of a frame. While time runs, a paint now redraws a busy strip
every SHARE paints, the strips taking turns, and copies the others as they were up to three
frames (50 ms) ago: records still flow and the HW still moves at 15 updates a second per
strip, faster than anyone reads offsets. A strip is redrawn at once, whatever its turn, when
its layout, its role (leader, ISR, epoch, zombie, broker state) or its effects (an
election's flash, a truncation, a new banner) change, and when its log changes after a
quiet while (at a few records a second each one shows the moment it lands); a strip whose
log did not change is not redrawn at all, and neither is one scrolled out of sight (the
canvas sits in a scroll area). When time is paused, stepped or shown at an instant
(screenshots, tests), every strip is drawn fresh.

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

SHARE = 4                   # while time runs, a busy strip is redrawn every SHARE paints
MARGIN_X = 12.0             # room around the strip for its flashes ...
MARGIN_TOP = 46.0           # ... and the banners straddling its top edge
MARGIN_BOTTOM = 12.0


@dataclass
class _Strip:
    pixmap: QPixmap
    origin: QPointF                 # where the pixmap's top left goes
    look: tuple                     # what forces a redraw when it changes
    data: tuple                     # what its log showed (a change is drawn at its turn)
    phase: int                      # its turn among the paints
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
        self._live = False
        self._visible = QRectF()

    def begin_paint(self, live: bool, visible: QRectF) -> None:
        """`live`: time is running (strips may be a frame or two old); else every strip is drawn fresh.
        `visible`: the part of the canvas being painted, in its logical coordinates."""
        self._paint += 1
        self._live = live
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
        if strip is not None and self._live and not self._visible.intersects(
                rect.adjusted(-MARGIN_X, -MARGIN_TOP, MARGIN_X, MARGIN_BOTTOM)):
            return self._reuse(None, strip, bid, row, cells_out, storage_layer)     # out of sight: as it was
        if (strip is None or not self._live or strip.look != look
                or (strip.data != data and ((self._paint + strip.phase) % SHARE == 0
                                            or self._paint - strip.paint >= SHARE))):
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
                old: _Strip | None) -> StripInfo:
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
        p.drawPixmap(origin, pixmap)
        phase = old.phase if old is not None else len(self._strips) % SHARE
        strip = _Strip(pixmap, origin, look, data, phase, self._paint, info, cells_out[marks[0]:])
        if storage_layer is not None:
            strip.storage_cells = storage_layer.cells[marks[1]:]
            strip.blocks = storage_layer.blocks[marks[2]:]
            strip.storage = storage_layer.strips.get((bid, row.tp.topic, row.tp.partition))
        self._strips[key] = strip
        return info
