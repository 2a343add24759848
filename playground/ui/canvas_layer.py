"""The canvas's picture without its moving parts, kept as a pixmap while time runs.

Everything on the canvas but the flights and the captions (brokers, strips, lanes, producers,
the control plane, the legend) changes at most as often as the cluster's state, and drawing
it all costs most of a frame under load. While time runs, the canvas renews this picture
once every EVERY frames, in frames it claims for that work before the engine runs (see
`pace.FrameBudget.claim`: their engine gets less by the work's cost): in PARTS of them it
redraws the replica strips that changed into their own pixmaps, a share in each (PREPARE,
see canvas_strips), in the next it composes the picture, copying them (COMPOSE). In every
frame it copies the picture and draws only the flights and captions over it. At 60 frames a
second the picture changes 15 times a second, faster than anyone reads an offset.

It is redrawn at once when it cannot be right: time is paused, stepped or shown at an
instant (screenshots, tests), the widget's size, zoom or palette changed, a part of the
canvas not in the picture comes into view (scrolling), or a click changed what it shows
(`invalidate`).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QRect, QRectF
from PySide6.QtGui import QPainter, QPixmap

from . import paint_cache as pc
from .canvas_strips import COMPOSE, PREPARE

EVERY = 4                   # while time runs, the picture is renewed once every EVERY frames ...
PARTS = 2                   # ... after this many frames that each prepare a share of the strips
FIRST_COST_MS = 6.0         # what a pass is assumed to cost before one was measured


class SceneLayer:
    def __init__(self) -> None:
        self.pixmap: QPixmap | None = None
        self._key: tuple | None = None
        self._covers = QRect()          # the part of the widget drawn into the picture
        self._frames = EVERY            # frames since the picture was last composed while running
        self.prepared_parts = 0         # preparing passes done for the next composing
        self._stale = True              # something it shows changed outside the frames (a click)
        self.claimed: str | None = None     # what this frame was claimed for: PREPARE, COMPOSE or nothing
        self.cost_ms = {PREPARE: FIRST_COST_MS, COMPOSE: FIRST_COST_MS}     # recent passes' cost, smoothed
        self.redraws = 0
        self._t0 = 0.0

    def invalidate(self) -> None:
        self._stale = True

    def frame_starting(self, budget) -> None:
        """A running frame starts (before the engine runs): claim it when a pass is due."""
        self._frames += 1
        self.claimed = None
        if self._stale or (self.prepared_parts >= PARTS and self._frames >= EVERY):
            want = COMPOSE
        elif self.prepared_parts < PARTS and self.pixmap is not None and self._frames >= EVERY - PARTS:
            want = PREPARE
        else:
            return
        if budget.claim(self.cost_ms[want]):
            self.claimed = want

    def prepared(self, ms: float) -> None:
        """A share of the strips was prepared (in `ms`)."""
        self.cost_ms[PREPARE] = 0.7 * self.cost_ms[PREPARE] + 0.3 * ms
        self.prepared_parts += 1

    def needs_redraw(self, live: bool, key: tuple, exposed: QRect) -> bool:
        """`live`: time runs; `key`: what the picture's pixels depend on (size, zoom, scale);
        `exposed`: the part of the widget being painted."""
        if not live or self.pixmap is None or key != self._key or not self._covers.contains(exposed):
            return True
        return self.claimed == COMPOSE or self._stale

    def begin(self, key: tuple, width: int, height: int, ratio: float, exposed: QRect) -> QPainter:
        """A painter on a fresh picture of the widget (`width` x `height` logical pixels at `ratio`)."""
        self._t0 = time.perf_counter()
        w, h = max(1, round(width * ratio)), max(1, round(height * ratio))
        if self.pixmap is None or self.pixmap.width() != w or self.pixmap.height() != h:
            self.pixmap = QPixmap(w, h)
        self.pixmap.setDevicePixelRatio(ratio)
        self.pixmap.fill(pc.CLEAR_COLOUR)
        self._key, self._covers = key, QRect(exposed)
        return QPainter(self.pixmap)

    def end(self, painter: QPainter, live: bool) -> None:
        painter.end()
        ms = (time.perf_counter() - self._t0) * 1000
        self.cost_ms[COMPOSE] = 0.7 * self.cost_ms[COMPOSE] + 0.3 * ms
        self.redraws += 1
        self.claimed = None
        self._stale = False
        self.prepared_parts = 0
        if live:
            self._frames = 0

    def copy_to(self, p: QPainter, exposed: QRect) -> None:
        """Copy the part of the picture under `exposed` (widget coordinates, unscaled painter)."""
        r = QRectF(exposed)
        ratio = self.pixmap.devicePixelRatioF()
        p.drawPixmap(r, self.pixmap, QRectF(r.x() * ratio, r.y() * ratio, r.width() * ratio, r.height() * ratio))
