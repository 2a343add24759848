"""Painting flights: each network message as a dot moving along a curve, with a label.

`ClusterCanvas` decides where a flight's ends are (`end_point`); this module
draws the trail, the dot and a label placed where it hides no other dot or
label. Lost messages stop half-way; thin ones (fetches, commits, chatter)
are drawn dashed and underneath.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPainterPath, QPen

from . import flights as fl
from .qt_theme import COLORS, FLIGHT_COLORS, font, ink


def flight_path(a: QPointF, b: QPointF, flight: fl.Flight) -> QPainterPath:
    dx, dy = b.x() - a.x(), b.y() - a.y()
    dist = max(1.0, (dx * dx + dy * dy) ** 0.5)
    if flight.kind in (fl.REPLICATE, fl.HW, fl.TRUNCATE):
        bend = -min(46.0, 0.12 * dist)          # arc above the row
        ctrl = QPointF((a.x() + b.x()) / 2, (a.y() + b.y()) / 2 + bend)
    elif flight.kind == fl.FETCH:
        bend = min(46.0, 0.12 * dist)           # arc below the row
        ctrl = QPointF((a.x() + b.x()) / 2, (a.y() + b.y()) / 2 + bend)
    elif flight.kind == fl.VOTE or (flight.src[0] == flight.dst[0] == "controller"):
        ctrl = QPointF((a.x() + b.x()) / 2, max(a.y(), b.y()) + 36)     # between voters: dip below them
    else:
        sign = -1 if flight.kind != fl.ACK else 1
        nx, ny = -dy / dist, dx / dist
        ctrl = QPointF((a.x() + b.x()) / 2 + sign * nx * 40, (a.y() + b.y()) / 2 + sign * ny * 40)
    path = QPainterPath(a)
    path.quadTo(ctrl, b)
    return path

def draw_flights(p: QPainter, flights: list, t: float, end_point: Callable) -> None:
    """Trails first, then dots, then labels placed where they hide no dot and no other label."""
    live = [f for f in flights if f.sent_at <= t < f.arrive_at]
    live.sort(key=lambda f: (not f.thin, f.kind))           # thin ones underneath
    drawn = []
    for f in live[-400:]:
        a = end_point(f.src, f, True)
        b = end_point(f.dst, f, False)
        if a is None or b is None:
            continue
        path = flight_path(a, b, f)
        colour = QColor(FLIGHT_COLORS["lost" if f.lost or f.error else f.kind])
        trail = QColor(colour)
        trail.setAlpha(70 if f.thin else 110)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(trail, 1.5 if f.thin else 3, Qt.PenStyle.DashLine if f.thin else Qt.PenStyle.SolidLine))
        p.drawPath(path)
        u = min(f.progress(t), 0.5) if f.lost else f.progress(t)     # a lost message stops half-way
        drawn.append((f, path.pointAtPercent(u), 6.0 if f.thin else 11.0, colour))
    taken: list[QRectF] = []
    for f, pos, radius, colour in drawn:
        p.setPen(QPen(COLORS["background"], 2))
        p.setBrush(colour)
        p.drawEllipse(pos, radius, radius)
        taken.append(QRectF(pos.x() - radius, pos.y() - radius, 2 * radius, 2 * radius))
    said: set[tuple] = set()                 # thin messages: one label per kind and destination
    for f, pos, radius, colour in reversed(drawn):            # important ones choose first
        label = ("✕ lost: " + f.label) if f.lost else f.label
        if f.thin:
            if (f.kind, label, f.dst) in said:
                continue
            said.add((f.kind, label, f.dst))
        _draw_flight_label(p, pos, radius, label, colour, f.thin, taken)

def _draw_flight_label(p: QPainter, pos: QPointF, radius: float, text: str, colour: QColor,
                       thin: bool, taken: list[QRectF]) -> None:
    p.setFont(font(12, bold=not thin))
    fm = QFontMetricsF(p.font())
    w, h = fm.horizontalAdvance(text) + 12, fm.height() + 4
    x, y = pos.x(), pos.y()
    candidates = [QRectF(x + radius + 3, y - h / 2, w, h),       # right of the dot
                  QRectF(x - radius - 3 - w, y - h / 2, w, h),   # left of it
                  QRectF(x - w / 2, y - radius - 2 - h, w, h),   # above
                  QRectF(x - w / 2, y + radius + 2, w, h)]       # below
    box = next((c for c in candidates if not any(c.intersects(o) for o in taken)), candidates[0])
    taken.append(box)
    p.setPen(QPen(colour, 1.5))
    p.setBrush(COLORS["label_bg"])
    p.drawRoundedRect(box, 5, 5)
    p.setPen(ink(colour) if not thin else colour)
    p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
