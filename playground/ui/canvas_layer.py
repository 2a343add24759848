"""The canvas's picture without its moving parts, kept as a pixmap while time runs.

Everything on the canvas but the flights and the captions (brokers, strips, lanes, producers,
the control plane, the legend) changes at most as often as the cluster's state, and drawing
it all costs most of a frame under load. While time runs, the canvas renews this picture
once every EVERY frames, in frames it claims for that work before the engine runs (see
`pace.FrameBudget.claim`: their engine gets less by the work's cost):

- PARTS frames each redraw a share of the replica strips that changed into their own
  pixmaps (PREPARE, see canvas_strips);
- one frame starts composing a new picture in a back pixmap: the control plane, the brokers
  and the clients (COMPOSE);
- the next finishes it, copying the prepared strips, and shows it (FINISH).

In every frame the canvas copies the shown picture and draws only the flights and captions
over it. At 60 frames a second the picture changes 12 times a second, faster than anyone
reads an offset.

It is redrawn at once, in one go, when it cannot be right: time is paused, stepped or shown
at an instant (screenshots, tests), the widget's size, zoom or palette changed, a part of the
canvas not in the picture comes into view (scrolling), or a click changed what it shows
(`invalidate`).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QRect, QRectF
from PySide6.QtGui import QPainter, QPixmap

from .canvas_strips import COMPOSE, FRESH, PREPARE

EVERY = 5                   # while time runs, the picture is renewed once every EVERY frames ...
PARTS = 2                   # ... after this many frames that each prepare a share of the strips
FIRST_COST_MS = 6.0         # what a pass is assumed to cost before one was measured
FINISH = "finish"


class SceneLayer:
    def __init__(self) -> None:
        self.pixmap: QPixmap | None = None      # the picture shown
        self._back: QPixmap | None = None       # the one being composed
        self._painter: QPainter | None = None   # ... open on it between COMPOSE and FINISH
        self._steps = None                      # ... and what is left to draw (a generator)
        self._key: tuple | None = None
        self._covers = QRect()          # the part of the widget drawn into the picture
        self._frames = EVERY            # painted frames since the picture was last renewed while running
        self.prepared_parts = 0         # preparing passes done for the next composing
        self._stale = True              # something it shows changed outside the frames (a click)
        self.claimed: str | None = None     # what this frame was claimed for: PREPARE, COMPOSE, FINISH or nothing
        self.cost_ms = {PREPARE: FIRST_COST_MS, COMPOSE: FIRST_COST_MS, FINISH: FIRST_COST_MS}
        self.redraws = 0

    def invalidate(self) -> None:
        self._stale = True

    def frame_starting(self, budget) -> None:
        """A running frame starts (before the engine runs): claim it when a pass is due. Only painted
        frames count: quiet ones are the engine's."""
        self.claimed = None
        if not budget.painting:
            return
        self._frames += 1
        if self._steps is not None:
            want = FINISH
        elif self.pixmap is None or self._stale:
            return                                      # the next paint redraws it in one go
        elif self.prepared_parts >= PARTS and self._frames >= EVERY - 1:
            want = COMPOSE
        elif self.prepared_parts < PARTS and self._frames >= EVERY - 1 - PARTS:
            want = PREPARE
        else:
            return
        if budget.claim(self.cost_ms[want], want):
            self.claimed = want

    def step(self, scene, key: tuple) -> None:
        """Do this frame's claimed pass. `scene(painter, mode, exposed)` draws the picture in `mode`
        (PREPARE, COMPOSE: yielding once, after its first half) for the part of the widget `exposed`;
        `key` says what the pixels depend on."""
        clock = time.perf_counter()
        kind, self.claimed = self.claimed, None     # a claim is used once (commands emit frames too)
        if kind == PREPARE:
            q = QPainter(self.pixmap)
            for _ in scene(q, PREPARE, self._covers):
                pass
            q.end()
            self.prepared_parts += 1
        elif kind == COMPOSE and self.pixmap is not None and key == self._key:
            if self._back is None or self._back.size() != self.pixmap.size():
                self._back = QPixmap(self.pixmap.size())
            self._back.setDevicePixelRatio(self.pixmap.devicePixelRatioF())
            self._painter = QPainter(self._back)
            self._steps = scene(self._painter, COMPOSE, self._covers)
            next(self._steps, None)
        elif kind == FINISH and self._steps is not None:
            for _ in self._steps:
                pass
            self._painter.end()
            self._painter = self._steps = None
            if key == self._key:
                self.pixmap, self._back = self._back, self.pixmap
                self.redraws += 1
            self._frames = self.prepared_parts = 0
        else:
            return
        ms = (time.perf_counter() - clock) * 1000
        self.cost_ms[kind] = 0.7 * self.cost_ms[kind] + 0.3 * ms

    def needs_redraw(self, live: bool, key: tuple, exposed: QRect) -> bool:
        """`live`: time runs; `key`: what the picture's pixels depend on (size, zoom, scale);
        `exposed`: the part of the widget being painted."""
        return (not live or self.pixmap is None or key != self._key or not self._covers.contains(exposed)
                or self._stale)

    def redraw(self, scene, key: tuple, width: int, height: int, ratio: float, exposed: QRect) -> None:
        """Draw the picture in one go (`scene(painter, FRESH, exposed)`), dropping one being composed."""
        if self._steps is not None:
            self._steps.close()
            self._painter.end()
            self._painter = self._steps = None
        w, h = max(1, round(width * ratio)), max(1, round(height * ratio))
        if self.pixmap is None or self.pixmap.width() != w or self.pixmap.height() != h:
            self.pixmap = QPixmap(w, h)
        self.pixmap.setDevicePixelRatio(ratio)
        self._key, self._covers = key, QRect(exposed)
        q = QPainter(self.pixmap)
        for _ in scene(q, FRESH, self._covers):
            pass
        q.end()
        self.redraws += 1
        self._stale = False
        self.prepared_parts = self._frames = 0

    def copy_to(self, p: QPainter, exposed: QRect) -> None:
        """Copy the part of the picture under `exposed` (widget coordinates, unscaled painter)."""
        r = QRectF(exposed)
        ratio = self.pixmap.devicePixelRatioF()
        p.drawPixmap(r, self.pixmap, QRectF(r.x() * ratio, r.y() * ratio, r.width() * ratio, r.height() * ratio))
