"""Painting flights: each network message as a dot moving along a curve, with a label.

`ClusterCanvas` decides where a flight's ends are (`end_point`); this module
draws the trail, the dot and a label placed where it hides no other dot or
label. Lost messages stop half-way; thin ones (fetches, commits, chatter)
are drawn dashed and underneath.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath

from . import flights as fl
from . import paint_cache as pc
from .qt_theme import COLORS, FLIGHT_COLORS, ink


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
    """Trails first, then dots, then labels placed where they hide no dot and no other label.

    Flights on the same route (kind, sender, receiver) share one trail and one label, "×n" when
    several are on their way (a busy producer has many batches in flight to the same leader);
    each still has its own dot. At most MAX_TRAILS routes get a trail and a label, the most
    important kinds first; any others show their dots only."""
    routes: dict[tuple, list] = {}
    for f in flights:
        if f.sent_at <= t < f.arrive_at:
            routes.setdefault((f.kind, f.src, f.dst, f.lost, f.error), []).append(f)
    ordered = sorted(routes.values(), key=lambda fs: (not fs[0].thin, fs[0].kind))     # thin ones underneath
    kept, room = [], MAX_DOTS                    # the most important routes, up to MAX_DOTS dots
    for fs in reversed(ordered):
        if room <= 0:
            break
        kept.append(fs)
        room -= min(len(fs), MAX_DOTS_PER_ROUTE)
    kept.reverse()
    shown = {id(fs) for fs in kept[-MAX_TRAILS:]}
    background = COLORS["background"]
    drawn = []
    for fs in kept:
        f = fs[0]
        a = end_point(f.src, f, True)
        b = end_point(f.dst, f, False)
        if a is None or b is None:
            continue
        path = flight_path(a, b, f)
        colour = FLIGHT_COLORS["lost" if f.lost or f.error else f.kind]
        if id(fs) in shown:
            # The trail's see-through colour, mixed in advance over the background: an opaque pen is
            # several times cheaper to draw than a translucent one, and looks the same there.
            trail = QColor(colour)
            trail.setAlpha(70 if f.thin else 110)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(pc.pen(trail, 1.5 if f.thin else 3, Qt.PenStyle.DashLine if f.thin else Qt.PenStyle.SolidLine))
            p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            p.drawPath(path)
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        radius = 6.0 if f.thin else 11.0
        positions = []
        for g in fs[-MAX_DOTS_PER_ROUTE:]:
            u = min(g.progress(t), 0.5) if g.lost else g.progress(t)     # a lost message stops half-way
            positions.append(path.pointAtPercent(u))
        drawn.append((fs, positions, radius, colour, id(fs) in shown))
    taken: list[QRectF] = []
    p.setPen(pc.pen(COLORS["background"], 2))
    for fs, positions, radius, colour, _ in drawn:
        p.setBrush(colour)
        for pos in positions:
            p.drawEllipse(pos, radius, radius)
            taken.append(QRectF(pos.x() - radius, pos.y() - radius, 2 * radius, 2 * radius))
    said: set[tuple] = set()                 # thin messages: one label per kind and destination
    for fs, positions, radius, colour, labelled in reversed(drawn):           # important ones choose first
        if not labelled:
            continue
        f = fs[-1]                                                          # the newest says what it carries
        label = ("✕ lost: " + f.label) if f.lost else f.label
        if f.thin:
            if (f.kind, label, f.dst) in said:
                continue
            said.add((f.kind, label, f.dst))
        if len(fs) > 1:
            label = f"{label} ×{len(fs)}"
        _draw_flight_label(p, positions[-1], radius, label, colour, f.thin, taken)


MAX_TRAILS = 40             # routes drawn with a trail and a label
MAX_DOTS = 400
MAX_DOTS_PER_ROUTE = 40


def _mixed(colour: QColor, background: QColor, alpha: int) -> QColor:
    """`colour` at `alpha` (0..255) over `background`, as one opaque colour."""
    a = alpha / 255.0
    return QColor(round(colour.red() * a + background.red() * (1 - a)),
                  round(colour.green() * a + background.green() * (1 - a)),
                  round(colour.blue() * a + background.blue() * (1 - a)))


def _draw_flight_label(p: QPainter, pos: QPointF, radius: float, text: str, colour: QColor,
                       thin: bool, taken: list[QRectF]) -> None:
    fs = (12, not thin, False)
    w, h = pc.text_width(text, fs) + 12, pc.metrics(fs).height() + 4
    x, y = pos.x(), pos.y()
    candidates = [QRectF(x + radius + 3, y - h / 2, w, h),       # right of the dot
                  QRectF(x - radius - 3 - w, y - h / 2, w, h),   # left of it
                  QRectF(x - w / 2, y - radius - 2 - h, w, h),   # above
                  QRectF(x - w / 2, y + radius + 2, w, h)]       # below
    box = next((c for c in candidates if not any(c.intersects(o) for o in taken)), candidates[0])
    taken.append(box)
    p.setPen(pc.pen(colour, 1.5))
    p.setBrush(COLORS["label_bg"])
    p.drawRoundedRect(box, 5, 5)
    p.setPen(ink(colour) if not thin else colour)
    pc.text(p, box, Qt.AlignmentFlag.AlignCenter, text, fs)
