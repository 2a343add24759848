"""Painting the control plane and the captions.

The box above the brokers shows the KRaft quorum (each voter, the active one
filled, with its epoch and log end offset) or, in ZooKeeper mode, the
ensemble; on its right the tail of the metadata log with the committed
offset marked. Lines from the box to each broker header are the brokers'
heartbeat links: an isolated broker's link is drawn cut. Captions — one line
per recent election, ISR change, truncation or fault — stack above the legend
and fade out. Values come from `canvas_model` and `effects`; nothing is kept
between frames here.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFontMetricsF, QPainter, QPen

from . import effects as fx
from . import paint_cache as pc
from .canvas_model import DEAD, ISOLATED, ZOOKEEPER, BrokerBadge, ControlNode, ControlPlane
from .qt_theme import COLORS, draw_tag, font, ink, tag_width

CONTROL_H = 108
CHIP_W = 170
CHIP_H = 62
TITLE_H = 24
LOG_LINE_H = 18
CAPTION_H = 30
FADE_STEPS = 12             # a new metadata record's highlight fades out in this many steps


def chip_rects(box: QRectF, plane: ControlPlane) -> dict[int, QRectF]:
    """Where each voter (or ZooKeeper node) is drawn inside the control-plane box."""
    n = len(plane.nodes)
    if n == 0:
        return {}
    gap = 10.0
    avail = min(box.width() * 0.52, n * (CHIP_W + gap)) - 12
    w = min(CHIP_W, (avail - gap * (n - 1)) / n)
    top = box.top() + 4 + TITLE_H + (box.height() - 8 - TITLE_H - CHIP_H) / 2
    return {node.node_id: QRectF(box.left() + 12 + i * (w + gap), top, w, CHIP_H)
            for i, node in enumerate(plane.nodes)}


def _log_rect(box: QRectF, chips: dict[int, QRectF]) -> QRectF:
    left = max((r.right() for r in chips.values()), default=box.left() + box.width() * 0.3) + 22
    left = max(left, box.left() + box.width() * 0.3)
    return QRectF(left, box.top() + 6, box.right() - 12 - left, box.height() - 12)


def draw_control_plane(p: QPainter, box: QRectF, plane: ControlPlane, chips: dict[int, QRectF],
                       fresh: dict[int, float]) -> None:
    """The box; `fresh` maps metadata offsets that just appeared to how faded their highlight is (0..1).

    It changes with the metadata (and while a highlight fades, in FADE_STEPS steps): painted once
    per look and copied in between."""
    fresh = {o: round(a * FADE_STEPS) / FADE_STEPS for o, a in fresh.items()}
    key = ("control", plane, tuple(sorted(fresh.items())),
           tuple((n, r.x() - box.x(), r.y() - box.y(), r.width(), r.height()) for n, r in sorted(chips.items())))
    pc.piece(p, key, box, 3, lambda q: _paint_control_plane(q, box, plane, chips, fresh))


def _paint_control_plane(p: QPainter, box: QRectF, plane: ControlPlane, chips: dict[int, QRectF],
                         fresh: dict[int, float]) -> None:
    p.setPen(QPen(COLORS["controller"], 2))
    p.setBrush(COLORS["controller_bg"])
    p.drawRoundedRect(box, 10, 10)
    left_w = max((r.right() for r in chips.values()), default=box.left() + box.width() * 0.45) - box.left() - 12
    title = QRectF(box.left() + 12, box.top() + 4, left_w, TITLE_H)
    p.setFont(font(12, bold=True))
    fm = QFontMetricsF(p.font())
    # With no active controller the status is the news: it may take the whole line.
    share = 0.6 if plane.has_controller else 1.0
    status_w = min(fm.horizontalAdvance(plane.status) + 4, title.width() * share)
    p.setPen(COLORS["controller"] if plane.has_controller else COLORS["error"])
    p.drawText(title, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
               fm.elidedText(plane.status, Qt.TextElideMode.ElideRight, status_w))
    p.setPen(COLORS["controller"])
    p.setFont(font(13, bold=True))
    fm = QFontMetricsF(p.font())
    if title.width() - status_w - 12 > 60:
        p.drawText(title, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                   fm.elidedText(plane.title, Qt.TextElideMode.ElideRight, title.width() - status_w - 12))
    for node in plane.nodes:
        rect = chips.get(node.node_id)
        if rect is not None:
            _draw_chip(p, rect, node, plane.mode)
    if not plane.nodes:
        p.setFont(font(12, italic=True))
        p.setPen(COLORS["muted"])
        p.drawText(QRectF(box.left() + 12, box.top() + 6 + TITLE_H, left_w, CHIP_H),
                   Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, "no controller nodes reported")
    _draw_metadata_log(p, _log_rect(box, chips), plane, fresh)


def _draw_chip(p: QPainter, rect: QRectF, node: ControlNode, mode: str) -> None:
    if not node.alive:
        bg, edge, fg, style = COLORS["dead_bg"], COLORS["dead"], COLORS["muted"], Qt.PenStyle.DashLine
        tag = ("✕ DEAD", COLORS["dead"], COLORS["on_dark"])
    elif node.active:
        bg, edge, fg, style = COLORS["controller"], COLORS["controller"], COLORS["on_dark"], Qt.PenStyle.SolidLine
        tag = ("ACTIVE", COLORS["crown"], COLORS["on_bright"])
    elif node.role == "candidate":
        bg, edge, fg, style = COLORS["leader_bg"], COLORS["leader"], COLORS["text"], Qt.PenStyle.SolidLine
        tag = ("candidate", COLORS["leader"], COLORS["on_bright"])
    else:
        bg, edge, fg, style = COLORS["background"], COLORS["controller"], COLORS["text"], Qt.PenStyle.SolidLine
        role = "pre-vote" if node.role == "prospective" else node.role
        tag = (role if mode != ZOOKEEPER else "ZK", COLORS["follower_tag"], COLORS["on_bright"])
    p.setPen(QPen(edge, 3 if node.active else 2, style))
    p.setBrush(bg)
    p.drawRoundedRect(rect, 8, 8)
    inner = rect.adjusted(7, 3, -7, -3)
    line = QRectF(inner.left(), inner.top(), inner.width(), 20)
    name = str(node.node_id) if mode == ZOOKEEPER else f"◆ {node.node_id}"
    name = ("ZK " if mode == ZOOKEEPER else "") + name
    right = inner.right()
    name_w = QFontMetricsF(font(13, bold=True)).horizontalAdvance(name)
    if tag_width(tag[0]) + name_w + 6 <= inner.width():
        right = draw_tag(p, inner.right(), line.center().y(), *tag) - 4
    p.setPen(fg)
    p.setFont(font(13, bold=True))
    p.drawText(QRectF(line.left(), line.top(), right - line.left(), line.height()),
               Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, name)
    p.setFont(font(12))
    fm = QFontMetricsF(p.font())
    lines = (f"epoch {node.epoch}", f"LEO {node.log_end_offset} · HW {node.committed_offset}")
    if fm.horizontalAdvance(lines[1]) > inner.width():
        lines = (f"epoch {node.epoch}", f"LEO {node.log_end_offset} HW {node.committed_offset}")
    for i, text in enumerate(lines):
        p.drawText(QRectF(inner.left(), inner.top() + 20 + 18 * i, inner.width(), 18),
                   Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                   fm.elidedText(text, Qt.TextElideMode.ElideRight, inner.width()))


def _draw_metadata_log(p: QPainter, rect: QRectF, plane: ControlPlane, fresh: dict[int, float]) -> None:
    """The newest records; committed ones (below the quorum's high watermark) solid, the rest grey."""
    p.setFont(font(12, bold=True))
    p.setPen(COLORS["controller"])
    name = "__cluster_metadata" if plane.mode != ZOOKEEPER else "ZooKeeper"
    fm = QFontMetricsF(p.font())
    header = QRectF(rect.left(), rect.top(), rect.width(), 20)
    hw = (f"committed: 0–{plane.committed_offset - 1}" if plane.committed_offset > 0
          else "nothing committed yet")
    hw_w = fm.horizontalAdvance(hw)
    p.drawText(header, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
               fm.elidedText(f"metadata log ({name})", Qt.TextElideMode.ElideRight, header.width() - hw_w - 12))
    p.drawText(header, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, hw)
    fits = max(0, int((rect.height() - 24) // LOG_LINE_H))
    entries = list(plane.log)[-fits:] if fits else []
    if not entries:
        p.setFont(font(12, italic=True))
        p.setPen(COLORS["muted"])
        p.drawText(QRectF(rect.left(), rect.top() + 22, rect.width(), LOG_LINE_H),
                   Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, "(empty)")
        return
    y = rect.top() + 22
    num_w = QFontMetricsF(font(12, bold=True)).horizontalAdvance(str(entries[-1][0])) + 12
    drew_mark = False
    for offset, text in entries:
        row = QRectF(rect.left(), y, rect.width(), LOG_LINE_H)
        committed = plane.committed(offset)
        if not committed and not drew_mark and offset != entries[0][0]:
            p.setPen(QPen(COLORS["controller"], 2))     # the high watermark, between two records
            p.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
            drew_mark = True
        if offset in fresh:
            p.save()
            p.setOpacity(1.0 - fresh[offset])
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(COLORS["crown"])
            p.drawRoundedRect(row.adjusted(-4, 1, 0, -1), 4, 4)
            p.restore()
        p.setFont(font(12, bold=True))
        p.setPen(COLORS["controller"] if committed else COLORS["muted"])
        p.drawText(QRectF(row.left(), row.top(), num_w, row.height()),
                   Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, str(offset))
        p.setFont(font(12, italic=not committed))
        p.setPen(COLORS["text"] if committed else COLORS["muted"])
        suffix = "" if committed else "  (not committed yet)"
        body = QRectF(row.left() + num_w + 8, row.top(), row.width() - num_w - 8, row.height())
        p.drawText(body, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                   QFontMetricsF(p.font()).elidedText(text + suffix, Qt.TextElideMode.ElideRight, body.width()))
        y += LOG_LINE_H


def draw_links(p: QPainter, box: QRectF, headers: dict[int, QRectF], badges: list[BrokerBadge]) -> None:
    """Each broker's link to the controller: solid, cut (✂) when isolated, dotted when dead."""
    for badge in badges:
        header = headers.get(badge.broker_id)
        if header is None:
            continue
        x = header.center().x()
        a, b = QPointF(x, box.bottom()), QPointF(x, header.top())
        if badge.state == ISOLATED:
            mid = (a.y() + b.y()) / 2
            p.setPen(QPen(COLORS["isolated"], 3, Qt.PenStyle.DashLine))
            p.drawLine(a, QPointF(x, mid - 7))
            p.drawLine(QPointF(x, mid + 7), b)
            p.setFont(font(15, bold=True))
            p.setPen(COLORS["isolated"])
            p.drawText(QRectF(x - 12, mid - 12, 24, 24), Qt.AlignmentFlag.AlignCenter, "✂")
            p.setFont(font(12, bold=True))
            label = QRectF(x + 14, mid - 10, 110, 20)
            align = Qt.AlignmentFlag.AlignLeft
            if label.right() > box.right():            # the last column: write it on the left of the cut
                label, align = QRectF(x - 124, mid - 10, 110, 20), Qt.AlignmentFlag.AlignRight
            p.drawText(label, Qt.AlignmentFlag.AlignVCenter | align, "network cut")
        elif badge.state == DEAD:
            p.setPen(QPen(COLORS["faint"], 2, Qt.PenStyle.DotLine))
            p.drawLine(a, b)
        else:
            p.setPen(QPen(COLORS["controller"], 2))
            p.drawLine(a, b)


_TONES = {fx.ELECTION: "election", fx.BAD: "error", fx.GOOD: "good", fx.INFO: "info", fx.REBALANCE: "rebalance"}


def draw_captions(p: QPainter, area: QRectF, captions: list) -> None:
    """What just happened, newest at the bottom of `area`, fading out at the end of their life."""
    y = area.bottom()
    for caption, frac in reversed(captions):
        colour = COLORS[_TONES.get(caption.tone, "info")]
        fm = pc.metrics((13, True, False))
        stamp = f"{caption.time:,} ms".replace(",", " ")
        text = fm.elidedText(caption.text, Qt.TextElideMode.ElideRight, area.width() - 40 - fm.horizontalAdvance(stamp))
        w = min(area.width(), fm.horizontalAdvance(text) + fm.horizontalAdvance(stamp) + 42)
        box = QRectF(area.left(), y - CAPTION_H, w, CAPTION_H - 4)
        if box.top() < area.top():
            break
        p.save()
        p.setOpacity(min(1.0, 4.0 * (1.0 - frac)))        # the caption itself is painted once, then copied
        pc.piece(p, ("caption", caption.tone, stamp, text), box, 2,
                 lambda q, box=box, colour=colour, stamp=stamp, text=text, fm=fm: _paint_caption(q, box, colour,
                                                                                               stamp, text, fm))
        p.restore()
        y -= CAPTION_H


def _paint_caption(p: QPainter, box: QRectF, colour, stamp: str, text: str, fm: QFontMetricsF) -> None:
    p.setPen(QPen(colour, 2))
    p.setBrush(COLORS["label_bg"])
    p.drawRoundedRect(box, 6, 6)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(colour)
    p.drawRoundedRect(QRectF(box.left(), box.top(), 8, box.height()), 3, 3)
    p.setFont(font(12))
    p.setPen(COLORS["muted"])
    p.drawText(box.adjusted(16, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, stamp)
    p.setFont(font(13, bold=True))
    p.setPen(ink(colour))
    p.drawText(box.adjusted(26 + fm.horizontalAdvance(stamp), 0, -8, 0),
               Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)


FRESH_MS = 3000.0           # real ms a new metadata record stays highlighted


class MetadataStamps:
    """When metadata records appeared (playback time), to highlight the new ones for a moment."""

    def __init__(self) -> None:
        self._stamps: dict[int, float] = {}
        self._end: int | None = None

    def stamp(self, view, when: float) -> None:
        """Records past the log end seen last appeared at `when`."""
        nodes = view.controllers() or ()
        ends = [c.log_end_offset for c in nodes if c.alive and c.role == "leader"] or \
               [c.log_end_offset for c in nodes if c.alive] or [0]
        end = max(ends)
        if self._end is None or end < self._end:        # first look, or a new leader truncated
            self._end = end
            self._stamps = {o: t for o, t in self._stamps.items() if o < end}
            return
        for offset in range(max(self._end, end - 50), end):
            self._stamps[offset] = when
        self._end = end
        if len(self._stamps) > 100:
            self._stamps = {o: t for o, t in self._stamps.items() if o >= end - 50}

    def fresh(self, plane: ControlPlane, now: float) -> dict[int, float]:
        """Metadata records that appeared recently, with how faded their highlight is (0 new .. 1 gone)."""
        ages = {o: (now - self._stamps[o]) / FRESH_MS for o, _ in plane.log if o in self._stamps}
        return {o: a for o, a in ages.items() if 0.0 <= a < 1.0}
