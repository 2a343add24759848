"""The timeline bar: virtual time from 0 to the end of the branch, with what happened marked.

Lanes of ticks (commands on top as triangles, then faults, recoveries, elections and ISR
changes, rebalances), the forks taken from this branch as diamonds, and the playhead at
the instant on screen. Press and drag to scrub: a ghost playhead follows the pointer with
its time and the marks under it; releasing asks to travel there (`travel_requested`).
Near a mark, the pointer snaps to it, so a click on a tick shows exactly that instant.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from .qt_theme import COLORS, font, ui_scale
from .timeline_model import LANE_STYLE, TimelineMarks

SNAP_PX = 5                 # a press this close to a mark lands on it
MARGIN = 12


def _seconds(ms: float) -> str:
    return f"{ms / 1000:.3f} s"


class TimelineBar(QWidget):
    travel_requested = Signal(int)          # virtual ms the user let go at

    def __init__(self, marks: TimelineMarks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.marks = marks
        self.end_ms = 0                      # the branch's live end
        self.playhead_ms = 0                 # the instant on screen
        self.forks: list[tuple[int, str]] = []    # (virtual ms, "branch 2") forks taken from this branch
        self.ghost_ms: int | None = None     # while dragging
        self.past = False
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip("")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def sizeHint(self) -> QSize:
        return QSize(600, round(58 * ui_scale()))

    def minimumSizeHint(self) -> QSize:
        return QSize(200, round(58 * ui_scale()))

    # -- geometry ------------------------------------------------------------------------------
    def _span(self) -> int:
        return max(self.end_ms, 1000)

    def x_of(self, t: float) -> float:
        w = self.width() - 2 * MARGIN
        return MARGIN + w * min(max(t, 0), self._span()) / self._span()

    def t_of(self, x: float) -> int:
        w = max(1, self.width() - 2 * MARGIN)
        return int(round(min(max((x - MARGIN) / w, 0.0), 1.0) * self._span()))

    def snapped(self, x: float) -> int:
        """The time under `x`, or the nearest mark's time when one is within SNAP_PX."""
        t = self.t_of(x)
        near = self.marks.near(t, SNAP_PX * self._span() / max(1, self.width() - 2 * MARGIN))
        if near:
            t = min(near, key=lambda m: abs(m.time - t)).time
        return min(t, self.end_ms)

    # -- pointer ------------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.ghost_ms = self.snapped(event.position().x())
            self.update()

    def mouseMoveEvent(self, event) -> None:
        x = event.position().x()
        if self.ghost_ms is not None:
            self.ghost_ms = self.snapped(x)
            self.update()
        t = self.ghost_ms if self.ghost_ms is not None else self.snapped(x)
        QToolTip.showText(event.globalPosition().toPoint(), self.describe(t), self)

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.ghost_ms is not None:
            t = self.ghost_ms
            self.ghost_ms = None
            self.update()
            self.travel_requested.emit(t)

    def leaveEvent(self, event) -> None:
        QToolTip.hideText()
        super().leaveEvent(event)

    def describe(self, t: int) -> str:
        """The tooltip at `t`: the instant, and the marks there."""
        near = self.marks.near(t, SNAP_PX * self._span() / max(1, self.width() - 2 * MARGIN))
        lines = [f"{_seconds(t)} — click or drag to see the cluster as it was then"]
        for m in near[:6]:
            lines.append(f"• {_seconds(m.time)}  {m.text}")
        if len(near) > 6:
            lines.append(f"… and {len(near) - 6} more here")
        return "\n".join(lines)

    # -- painting -------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        s = ui_scale()
        h = self.height()
        p.fillRect(self.rect(), COLORS["lane_bg"])
        lanes = list(LANE_STYLE)
        top = 4 * s
        axis_h = 14 * s
        lane_h = (h - top - axis_h) / len(lanes)
        x0, x1 = self.x_of(0), self.x_of(self._span())
        end_x = self.x_of(self.end_ms)
        # The run so far, and (in the past) the part ahead of the playhead, greyed.
        p.fillRect(QRectF(x0, top, end_x - x0, h - top - axis_h), COLORS["background"])
        if self.past:
            px = self.x_of(self.playhead_ms)
            p.fillRect(QRectF(px, top, end_x - px, h - top - axis_h), COLORS["not_reading"])
        lane_y = {lane: top + i * lane_h for i, lane in enumerate(lanes)}
        self._paint_marks(p, lane_y, lane_h)
        for t, name in self.forks:
            self._diamond(p, self.x_of(t), top + lane_h * 0.5, 5 * s, COLORS["election"])
        self._paint_axis(p, h - axis_h, x0, x1)
        # The playhead: where the cluster on screen is.
        px = self.x_of(self.playhead_ms)
        colour = COLORS["isolated"] if self.past else COLORS["hw"]
        p.setPen(QPen(colour, 3 * s))
        p.drawLine(QPointF(px, 1), QPointF(px, h - axis_h))
        if self.ghost_ms is not None:
            gx = self.x_of(self.ghost_ms)
            p.setPen(QPen(COLORS["text"], 1.5 * s, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(gx, 1), QPointF(gx, h - axis_h))
            p.setFont(font(10, bold=True))
            label = _seconds(self.ghost_ms)
            fm = p.fontMetrics()
            lx = min(max(gx + 4, x0), x1 - fm.horizontalAdvance(label))
            p.fillRect(QRectF(lx - 2, 1, fm.horizontalAdvance(label) + 4, fm.height()), COLORS["label_bg"])
            p.setPen(COLORS["text"])
            p.drawText(QPointF(lx, fm.ascent() + 1), label)
        p.end()

    def _paint_marks(self, p: QPainter, lane_y: dict[str, float], lane_h: float) -> None:
        s = ui_scale()
        # One tick per pixel column per lane: a busy run (thousands of ISR changes) costs no more to draw.
        columns: dict[str, set[int]] = {lane: set() for lane in lane_y}
        for m in self.marks.events:
            columns[m.lane].add(int(self.x_of(m.time)))
        for lane, xs in columns.items():
            if not xs:
                continue
            p.setPen(QPen(COLORS[LANE_STYLE[lane][0]], 2 * s))
            y = lane_y[lane]
            for x in xs:
                p.drawLine(QPointF(x, y + 1), QPointF(x, y + lane_h - 1))
        seen: set[int] = set()
        colour = COLORS[LANE_STYLE["command"][0]]
        for m in self.marks.commands:
            x = int(self.x_of(m.time))
            if x in seen:
                continue
            seen.add(x)
            self._triangle(p, x, lane_y["command"], lane_h, colour)

    @staticmethod
    def _triangle(p: QPainter, x: float, y: float, h: float, colour) -> None:
        path = QPainterPath()
        half = max(3.0, h * 0.45)
        path.moveTo(x - half, y)
        path.lineTo(x + half, y)
        path.lineTo(x, y + h)
        path.closeSubpath()
        p.fillPath(path, QBrush(colour))

    @staticmethod
    def _diamond(p: QPainter, x: float, y: float, r: float, colour) -> None:
        path = QPainterPath()
        path.moveTo(x, y - r)
        path.lineTo(x + r, y)
        path.lineTo(x, y + r)
        path.lineTo(x - r, y)
        path.closeSubpath()
        p.fillPath(path, QBrush(colour))

    def _paint_axis(self, p: QPainter, y: float, x0: float, x1: float) -> None:
        p.setPen(QPen(COLORS["faint"], 1))
        p.drawLine(QPointF(x0, y), QPointF(x1, y))
        p.setFont(font(9))
        p.setPen(COLORS["muted"])
        span = self._span()
        step = next((st for st in (100, 250, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000, 300_000, 600_000)
                     if (x1 - x0) * st / span >= 70), 3_600_000)
        fm = p.fontMetrics()
        t = 0
        while t <= span:
            x = self.x_of(t)
            p.drawLine(QPointF(x, y), QPointF(x, y + 3))
            label = f"{t / 1000:g} s"
            p.drawText(QPointF(min(x + 2, x1 - fm.horizontalAdvance(label)), y + fm.ascent() + 1), label)
            t += step
