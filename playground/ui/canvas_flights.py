"""Painting flights: each network message as a dot moving along a curve, with a label.

`end_point` says where a flight's ends are on the canvas's layout; `draw_flights`
draws the trail, the dot and a label placed where it hides no other dot or
label. Lost messages stop half-way; thin ones (fetches, commits, chatter)
are drawn dashed and underneath.
"""

from __future__ import annotations

import math
from typing import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath

from . import flights as fl
from . import paint_cache as pc
from . import txn_flights
from .canvas_brokers import cells_rect
from .qt_theme import COLORS, FLIGHT_COLORS, ink


def end_point(anchors: dict, rows: dict, view: Callable, end: tuple, flight: fl.Flight, is_src: bool) -> QPointF | None:
    """Where a flight leaves or arrives: `anchors` and `rows` are the canvas's layout, `view()` the cluster."""
    rect = anchors.get(end)
    if rect is None and end[0] == "replica":
        rect = anchors.get(("broker", end[1]))
        return rect.center() if rect is not None else None
    if rect is None:
        return None
    kind = flight.kind
    if end[0] == "client":
        return QPointF(rect.right(), rect.center().y() + (-14 if kind != fl.ACK else 14))
    if end[0] == "controller":
        return QPointF(rect.center().x(), rect.bottom())
    if end[0] == "broker" and kind in txn_flights.MARKERS:     # a coordinator sends markers from its header
        return QPointF(rect.center().x(), rect.bottom())
    if end[0] == "broker":          # client requests arrive at the header's left edge
        return QPointF(rect.left() + 8, rect.center().y() + (8 if is_src else -8))
    cells = cells_rect(rect)
    if kind in (fl.ACK, fl.CONSUME):        # answers leave from the leader strip's left edge
        return QPointF(rect.left(), cells.center().y())
    if kind == fl.PRODUCE or kind in txn_flights.MARKERS:      # records land where the leader appends them
        row = rows.get(end[2])
        log = view().replica_log(end[1], end[2].topic, end[2].partition)
        if row is not None and log is not None:
            x = cells.left() + (log.log_end_offset - row.first) * cells.width() / row.cells
            return QPointF(min(cells.right(), max(cells.left(), x)), cells.center().y())
        return QPointF(cells.left(), cells.center().y())
    # replica to replica: fetch requests travel under the row, responses over it
    if kind == fl.FETCH:
        return QPointF(rect.center().x(), rect.bottom() + 5)
    return QPointF(rect.center().x(), rect.top() - 5)


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

def draw_flights(p: QPainter, flights: list, t: float, end_point: Callable, visible: QRectF | None = None) -> None:
    """Trails first, then dots, then labels placed where they hide no dot and no other label.

    Flights on the same route (kind, sender, receiver) share one trail and one label, "×n" when
    several are on their way (a busy producer has many batches in flight to the same leader);
    each still has its own dot. At most MAX_TRAILS routes get a trail and a label, the most
    important kinds first; any others show their dots only. Routes wholly outside `visible` (the
    part being painted) are skipped."""
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
    drawn = []
    for fs in kept:
        f = fs[0]
        a = end_point(f.src, f, True)
        b = end_point(f.dst, f, False)
        if a is None or b is None:
            continue
        # On whole pixels: a trail's picture (and a label's, below) is then the same from frame to frame,
        # so it is copied rather than painted again (a fraction of a pixel would make it new each time).
        a, b = QPointF(round(a.x()), round(a.y())), QPointF(round(b.x()), round(b.y()))
        path = flight_path(a, b, f)
        if visible is not None and not visible.intersects(path.controlPointRect().adjusted(-200, -30, 200, 30)):
            continue                    # out of sight, and so is its label (within 200 px beside its dot)
        colour = FLIGHT_COLORS["lost" if f.lost or f.error else f.kind]
        if id(fs) in shown:
            # The trail's see-through colour, mixed in advance over the background: an opaque pen is
            # several times cheaper to draw than a translucent one, and looks the same there.
            trail = QColor(colour)
            trail.setAlpha(70 if f.thin else 110)
            # Routes stay put while their ends do: each trail is painted once and copied (a copy costs
            # a quarter of drawing a long translucent curve).
            box = path.controlPointRect()
            pc.piece(p, ("trail", f.kind, trail.rgba(), round(b.x() - a.x(), 1), round(b.y() - a.y(), 1)), box, 3,
                     lambda q, path=path, trail=trail, thin=f.thin: _draw_trail(q, path, trail, thin),
                     large=box.width() * box.height() > LARGE_TRAIL)
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
LARGE_TRAIL = 60_000        # px²: a trail with a larger box is kept with the large pieces


def _draw_trail(p: QPainter, path: QPainterPath, trail: QColor, thin: bool) -> None:
    # Without antialiasing: a translucent antialiased curve costs ten times as much, and looks the same at 1:1.
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(pc.pen(trail, 1.5 if thin else 3, Qt.PenStyle.DashLine if thin else Qt.PenStyle.SolidLine))
    p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    p.drawPath(path)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
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
    x, y = round(pos.x()), round(pos.y())                # whole pixels: the label's picture is copied
    w, h = 2 * math.ceil(w / 2), 2 * math.ceil(h / 2)          # even: half of it is whole too
    candidates = [QRectF(x + radius + 3, y - h / 2, w, h),       # right of the dot
                  QRectF(x - radius - 3 - w, y - h / 2, w, h),   # left of it
                  QRectF(x - w / 2, y - radius - 2 - h, w, h),   # above
                  QRectF(x - w / 2, y + radius + 2, w, h)]       # below
    box = next((c for c in candidates if not any(c.intersects(o) for o in taken)), candidates[0])
    taken.append(box)
    pc.piece(p, ("flight label", text, colour.rgba(), thin), box, 2,
             lambda q: _paint_label(q, box, text, colour, thin, fs))


def _paint_label(p: QPainter, box: QRectF, text: str, colour: QColor, thin: bool, fs: pc.FontSpec) -> None:
    p.setPen(pc.pen(colour, 1.5))
    p.setBrush(COLORS["label_bg"])
    p.drawRoundedRect(box, 5, 5)
    p.setPen(ink(colour) if not thin else colour)
    pc.text(p, box, Qt.AlignmentFlag.AlignCenter, text, fs)
