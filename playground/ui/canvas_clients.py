"""Painting the clients column: producers, then one lane per consumer group.

A lane is headed by the group's state (Stable, PreparingRebalance, ...),
generation, assignor and coordinator, and holds one card per member: its
colour (the same colour tags the partitions it reads on their leader
strips), its state (active, idle, paused, rejoining, CRASHED), and one line
per partition with a lag bar. Partitions just revoked (eager: all of them;
cooperative: only those that move) or lost stay on the card for a few
seconds struck through in red; newly assigned ones carry a green NEW.
Values come from `group_model` and `effects`; nothing is kept between frames.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen

from playground.engine.protocol import TopicPartition

from . import group_effects as gfx
from . import paint_cache as pc
from .canvas_brokers import cells_rect
from .group_model import ACTIVE, CRASHED, IDLE, PAUSED, REJOINING, STOPPED, GroupLane, MemberCard, Owner, text_on
from .qt_theme import COLORS, draw_tag, font, tag_width

PRODUCER_H = 96.0
PRODUCER_H_COMPACT = 74.0       # when consumer groups share the column
CLIENT_GAP = 14.0
LANE_HEAD_H = 58.0
LANE_PAD = 7.0
CARD_GAP = 6.0
CARD_HEAD_H = 26.0
NOTE_H = 18.0
LINE_H = 20.0

_GROUP_STATE_COLOURS = {"Stable": "good", "Empty": "muted", "Dead": "error"}
LAG_FONT = (12, False, False)
TAG_FONT = (12, True, False)


@dataclass(slots=True)
class CardLine:
    tp: TopicPartition
    kind: str               # "reads" | "held" | gfx.REVOKED | gfx.LOST
    new: bool = False       # just assigned


@dataclass(slots=True)
class LaneLayout:
    lane: GroupLane
    rect: QRectF
    cards: list[tuple[MemberCard, QRectF, list[CardLine]]]


def card_lines(card: MemberCard, effects: list) -> list[CardLine]:
    """What a card lists: the partitions it reads (or holds), then recently revoked or lost ones."""
    recent_new = {name for e, _ in effects if e.kind == gfx.ASSIGNED for name in e.data["partitions"]}
    lines = [CardLine(tp, "reads", str(tp) in recent_new) for tp in card.reads]
    lines += [CardLine(tp, "held") for tp in card.held]
    shown = {str(line.tp) for line in lines}
    for e, _ in effects:
        if e.kind in (gfx.REVOKED, gfx.LOST):
            for name in e.data["partitions"]:
                if name not in shown:
                    topic, _, part = name.rpartition("/")
                    lines.append(CardLine(TopicPartition(topic, int(part)), e.kind))
                    shown.add(name)
    return lines


@functools.lru_cache(maxsize=256)
def note_height(note: str, width: float) -> float:
    """The card's note wraps over at most two lines."""
    if not note:
        return 0.0
    fm = QFontMetricsF(font(12, italic=True))
    h = fm.boundingRect(QRectF(0, 0, width, 1000), int(Qt.TextFlag.TextWordWrap), note).height()
    return min(h, 2 * fm.lineSpacing()) + 2


def card_height(card: MemberCard, lines: list[CardLine], width: float) -> float:
    return 6 + CARD_HEAD_H + note_height(card.note, width - 23) + LINE_H * len(lines) + 6


def layout_lanes(lanes: list[GroupLane], effects, left: float, top: float, width: float) -> list[LaneLayout]:
    out = []
    y = top
    for lane in lanes:
        cards = []
        cy = y + LANE_HEAD_H
        for card in lane.members:
            lines = card_lines(card, effects.for_member(card.name))
            h = card_height(card, lines, width - 2 * LANE_PAD)
            cards.append((card, QRectF(left + LANE_PAD, cy, width - 2 * LANE_PAD, h), lines))
            cy += h + CARD_GAP
        if not lane.members:
            cy += NOTE_H + CARD_GAP
        rect = QRectF(left, y, width, cy - y + LANE_PAD - CARD_GAP)
        out.append(LaneLayout(lane, rect, cards))
        y = rect.bottom() + CLIENT_GAP
    return out


# -- producers --------------------------------------------------------------------------------
def draw_lone_consumer(p: QPainter, rect: QRectF, name: str) -> None:
    """A consumer outside any group (assign()): a plain card."""
    p.setPen(QPen(COLORS["consume"], 3))
    p.setBrush(COLORS["background"])
    p.drawRoundedRect(rect, 10, 10)
    p.setPen(COLORS["text"])
    p.setFont(font(14, bold=True))
    p.drawText(rect.adjusted(12, 8, -12, -8), Qt.AlignmentFlag.AlignLeft, f"consumer\n{name}")


def draw_producer(p: QPainter, rect: QRectF, name: str, stats, acks, txn=None) -> None:
    """`txn` (ProducerTxnView, optional): a transactional producer names its transactional.id, and a
    fenced one says so in red instead of its acks. The box and its names are painted once; the
    counts under them change with every record."""
    fenced = txn is not None and txn.fenced
    txn_id = txn.transactional_id if txn is not None else None
    pc.piece(p, ("producer", name, str(acks), txn_id, fenced), rect, 3,
             lambda q: _paint_producer(q, rect, name, acks, txn_id, fenced))
    inner = rect.adjusted(12, 6, -12, -6)
    p.setPen(COLORS["text"])
    failed = f" · failed {stats.failed}" if stats.failed else ""
    pc.text(p, inner, Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignLeft,
            f"sent {stats.sent} · acked {stats.acked}{failed}", (12, False, False))


def _paint_producer(p: QPainter, rect: QRectF, name: str, acks, txn_id: str | None, fenced: bool) -> None:
    p.setPen(QPen(COLORS["error"] if fenced else COLORS["produce"], 3, Qt.PenStyle.DashLine if fenced
                  else Qt.PenStyle.SolidLine))
    p.setBrush(COLORS["producer_bg"])
    p.drawRoundedRect(rect, 10, 10)
    inner = rect.adjusted(12, 6, -12, -6)
    p.setPen(COLORS["text"])
    p.setFont(font(12))
    right = "☠ FENCED" if fenced else f"acks={acks}"
    room = inner.width() - QFontMetricsF(font(12, bold=True)).horizontalAdvance(right) - 8
    label = f"txn {txn_id}" if txn_id else "producer"
    p.drawText(inner, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft,
               QFontMetricsF(p.font()).elidedText(label, Qt.TextElideMode.ElideRight, room))
    p.setFont(font(12, bold=True))
    if fenced:
        p.setPen(COLORS["error"])
    p.drawText(inner, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignRight, right)
    p.setPen(COLORS["text"])
    p.setFont(font(14, bold=True))
    p.drawText(inner.adjusted(0, 20, 0, 0), Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft, name)


# -- lanes and cards --------------------------------------------------------------------------
def draw_lane(p: QPainter, layout: LaneLayout) -> None:
    """The lane, its cards and their partitions change with the group (a rebalance, a member
    more or less): painted once per look; each partition's lag bar and number, drawn on top,
    change with every record."""
    lane, rect = layout.lane, layout.rect
    key = ("lane", lane.group_id, lane.state, lane.generation, lane.assignor, lane.coordinator, bool(lane.members),
           tuple((card, r.x() - rect.x(), r.y() - rect.y(), r.width(), r.height(),
                  tuple((line.tp, line.kind, line.new) for line in lines)) for card, r, lines in layout.cards))
    pc.piece(p, key, rect, 3, lambda q: _paint_lane(q, layout))
    max_lag = max([v for v in lane.lag.values() if v is not None] + [10])
    for card, crect, lines in layout.cards:
        colour = QColor(card.colour)
        inner = crect.adjusted(16, 5, -7, -5)
        y = inner.top() + CARD_HEAD_H + (note_height(card.note, inner.width()) if card.note else 0)
        for line in lines:
            if line.kind == "reads":
                _draw_lag(p, QRectF(inner.left(), y, inner.width(), LINE_H), line, colour, lane, max_lag)
            y += LINE_H


def _paint_lane(p: QPainter, layout: LaneLayout) -> None:
    lane, rect = layout.lane, layout.rect
    rebalancing = lane.rebalancing
    edge = COLORS["rebalance"] if rebalancing else COLORS["consume"]
    p.setPen(QPen(edge, 4 if rebalancing else 2, Qt.PenStyle.DashLine if rebalancing else Qt.PenStyle.SolidLine))
    p.setBrush(COLORS["group_bg"] if rebalancing else COLORS["lane_bg"])
    p.drawRoundedRect(rect, 10, 10)
    head = QRectF(rect.left() + 10, rect.top() + 4, rect.width() - 20, 24)
    p.setFont(font(14, bold=True))
    p.setPen(COLORS["text"])
    fm = QFontMetricsF(p.font())
    name = f"group {lane.group_id}"
    gen = f"gen {lane.generation}" if lane.generation >= 0 else ""
    p.drawText(head, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
               fm.elidedText(name, Qt.TextElideMode.ElideRight, head.width() * 0.6))
    p.setFont(font(12, bold=True))
    fm = QFontMetricsF(p.font())
    room = head.width() - min(fm.horizontalAdvance(name) * 14 / 12, head.width() * 0.6) - 10
    facts = [f"{gen} · {lane.assignor}" if gen and lane.assignor else gen, gen]
    right = next((f for f in facts if fm.horizontalAdvance(f) <= room), "")
    p.setPen(COLORS["text"])
    p.drawText(head, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, right)
    # second line: the state, as a tag, then the coordinator (⚑, as on its broker's header)
    line = QRectF(head.left(), head.bottom() + 1, head.width(), 24)
    state_colour = COLORS["rebalance"] if rebalancing else COLORS[_GROUP_STATE_COLOURS.get(lane.state, "info")]
    state = ("⟳ " if rebalancing else "") + lane.state
    left = line.left() + tag_width(state)
    draw_tag(p, left, line.center().y(), state, state_colour, COLORS["on_dark"])
    coord = f"⚑ {lane.coordinator}" if lane.coordinator is not None else "no coordinator"
    if fm.horizontalAdvance(coord) <= line.right() - left - 6:     # else the broker's ⚑ tag says it
        p.setPen(COLORS["rebalance"] if lane.coordinator is not None else COLORS["error"])
        p.drawText(QRectF(left + 6, line.top(), line.right() - left - 6, line.height()),
                   Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, coord)
    if not lane.members:
        p.setFont(font(12, italic=True))
        p.setPen(COLORS["muted"])
        p.drawText(QRectF(head.left(), rect.top() + LANE_HEAD_H, head.width(), NOTE_H),
                   Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, "no members")
    for card, crect, lines in layout.cards:
        draw_card(p, card, crect, lines)


def draw_card(p: QPainter, card: MemberCard, rect: QRectF, lines: list[CardLine]) -> None:
    """A member's card, its lag bars left out (draw_lane draws them over it)."""
    colour = QColor(card.colour)
    gone = card.state in (CRASHED, STOPPED)
    p.save()
    p.setPen(QPen(COLORS["dead"] if card.state == CRASHED else colour, 2,
                  Qt.PenStyle.DashLine if gone else Qt.PenStyle.SolidLine))
    p.setBrush(COLORS["crashed_bg"] if card.state == CRASHED else COLORS["background"])
    p.drawRoundedRect(rect, 7, 7)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(colour)
    p.drawRoundedRect(QRectF(rect.left(), rect.top(), 9, rect.height()), 4, 4)      # the owner colour
    inner = rect.adjusted(16, 5, -7, -5)
    head = QRectF(inner.left(), inner.top(), inner.width(), CARD_HEAD_H)
    tag, bg, fg = _state_tag(card)
    tag_left = draw_tag(p, head.right(), head.center().y(), tag, bg, fg)
    p.setFont(font(14, bold=True))
    p.setPen(COLORS["muted"] if gone else COLORS["text"])
    fm = QFontMetricsF(p.font())
    name = card.name
    if card.leader and card.member:         # the leader runs the assignor
        wide = f"{card.name}  ★ leader"
        name = wide if fm.horizontalAdvance(wide) <= tag_left - head.left() - 4 else f"{card.name} ★"
    p.drawText(QRectF(head.left(), head.top(), tag_left - head.left() - 4, head.height()),
               Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
               fm.elidedText(name, Qt.TextElideMode.ElideRight, tag_left - head.left() - 4))
    y = head.bottom()
    if card.note:
        p.setFont(font(12, italic=True))
        p.setPen(COLORS["error"] if card.state == CRASHED else COLORS["muted"])
        h = note_height(card.note, inner.width())
        p.drawText(QRectF(inner.left(), y, inner.width(), h),
                   Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap, card.note)
        y += h
    for line in lines:
        _draw_line(p, QRectF(inner.left(), y, inner.width(), LINE_H), line)
        y += LINE_H
    p.restore()


def _state_tag(card: MemberCard) -> tuple[str, QColor, QColor]:
    if card.state == ACTIVE:
        return card.label, COLORS["good"], COLORS["on_dark"]
    if card.state == IDLE:
        return card.label, COLORS["follower_tag"], COLORS["on_bright"]
    if card.state == CRASHED:
        return card.label, COLORS["dead"], COLORS["on_dark"]
    if card.state == PAUSED:
        return card.label, COLORS["slow"], COLORS["on_bright"]
    if card.state == REJOINING:
        return card.label, COLORS["rebalance"], COLORS["on_dark"]
    return card.label, COLORS["follower_tag"], COLORS["on_bright"]


def _draw_line(p: QPainter, rect: QRectF, line: CardLine) -> None:
    """`orders/0 [bar] lag 12` (the bar and the lag: `_draw_lag`), or `orders/2 revoked` struck through,
    or `orders/1 held: nobody reads`."""
    p.setFont(font(12, bold=line.kind == "reads"))
    fm = QFontMetricsF(p.font())
    label = str(line.tp)
    label_w = fm.horizontalAdvance(label) + 8
    cy = rect.center().y()
    if line.kind in (gfx.REVOKED, gfx.LOST):
        word = "revoked" if line.kind == gfx.REVOKED else "LOST (no commit)"
        p.setPen(COLORS["error"])
        p.drawText(rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, label)
        p.setPen(QPen(COLORS["error"], 2))
        p.drawLine(QPointF(rect.left(), cy), QPointF(rect.left() + label_w - 6, cy))
        p.setFont(font(12, bold=True))
        p.drawText(QRectF(rect.left() + label_w, rect.top(), rect.width() - label_w, rect.height()),
                   Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, f"✕ {word}")
        return
    if line.kind == "held":
        p.setPen(COLORS["muted"])
        p.drawText(rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, label)
        p.setFont(font(12, italic=True))
        p.drawText(QRectF(rect.left() + label_w, rect.top(), rect.width() - label_w, rect.height()),
                   Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, "held: nobody reads it")
        return
    p.setPen(COLORS["text"])
    p.drawText(rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, label)
    if line.new:
        x0 = rect.left() + label_w
        draw_tag(p, x0 + tag_width("NEW"), cy, "NEW", COLORS["good"], COLORS["on_dark"])


def _draw_lag(p: QPainter, rect: QRectF, line: CardLine, colour: QColor, lane: GroupLane, max_lag: int) -> None:
    """A "reads" line's bar and `lag 12`, right of the partition's name."""
    lag = lane.lag.get(line.tp)
    lag_text = "lag –" if lag is None else f"lag {lag}"
    lag_w = pc.advance("lag 9999", LAG_FONT) + 4
    cy = rect.center().y()
    x0 = rect.left() + pc.advance(str(line.tp), TAG_FONT) + 8
    if line.new:
        x0 += tag_width("NEW") + 4
    bar = QRectF(x0, cy - 5, max(8.0, rect.right() - lag_w - x0 - 4), 10)
    p.setPen(pc.pen(COLORS["faint"], 1))
    p.setBrush(COLORS["empty"])
    p.drawRoundedRect(bar, 3, 3)
    if lag:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        p.drawRoundedRect(QRectF(bar.left(), bar.top(), bar.width() * min(1.0, lag / max_lag), bar.height()), 3, 3)
    p.setPen(COLORS["muted"] if lag is None else COLORS["text"])
    pc.text(p, QRectF(rect.right() - lag_w, rect.top(), lag_w, rect.height()),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, lag_text, LAG_FONT)


# -- on the partition rows ----------------------------------------------------------------------
def draw_owner_tags(p: QPainter, strip: QRectF, owners: list[Owner], lag: dict, committed: dict, row, tp) -> tuple:
    """Tags on the bottom edge of a leader strip: who reads the partition, per group, with its lag;
    and a ▼ in the owner's colour over the cells at the group's committed offset."""
    shown = []
    x = strip.right() - 6
    fm = pc.metrics(TAG_FONT)
    cells = cells_rect(strip)
    for owner in owners:
        lag_v = lag.get((owner.group_id, tp))
        text = f"{owner.group_id} ▸ {owner.name}" + (f" · lag {lag_v}" if lag_v is not None else "")
        short = owner.name
        if not owner.name:                      # no member owns it: between owners, or during a rebalance
            text, short = f"{owner.group_id} ▸ nobody reads it", f"{owner.group_id}: nobody"
        elif not owner.reading:
            text = f"{owner.group_id} ▸ {owner.name} ✕ nobody reads"
        w = pc.advance(text, TAG_FONT) + 14
        if x - w < strip.left() + 4:
            text = short
            w = pc.advance(text, TAG_FONT) + 14
            if x - w < strip.left() + 4:
                break
        box = QRectF(x - w, strip.bottom() - 5, w, fm.height() + 4)
        colour = QColor(owner.colour)
        edge = COLORS["background"] if owner.reading else COLORS["dead"] if owner.name else COLORS["muted"]
        pc.piece(p, ("owner", text, owner.colour, owner.reading, edge.rgba()), box, 2,
                 lambda q, box=box, text=text, colour=colour, edge=edge, owner=owner: _paint_owner_tag(
                     q, box, text, colour, edge, owner))
        shown.append(text)
        x -= w + 6
        off = committed.get((owner.group_id, tp)) if owner.name else None
        if off is not None and row.first <= off <= row.first + row.cells:
            mx = cells.left() + (off - row.first) * cells.width() / row.cells
            p.setPen(QPen(COLORS["background"], 1))
            p.setBrush(colour)
            p.drawPolygon([QPointF(mx - 6, cells.top() - 8), QPointF(mx + 6, cells.top() - 8),
                           QPointF(mx, cells.top())])
    return tuple(shown)




def _paint_owner_tag(p: QPainter, box: QRectF, text: str, colour: QColor, edge: QColor, owner: Owner) -> None:
    p.setPen(QPen(edge, 2, Qt.PenStyle.SolidLine if owner.reading else Qt.PenStyle.DashLine))
    p.setBrush(colour if owner.reading else COLORS["not_reading"])
    p.drawRoundedRect(box, 5, 5)
    p.setPen(QColor(text_on(owner.colour)) if owner.reading else edge)
    pc.text(p, box, Qt.AlignmentFlag.AlignCenter, text, TAG_FONT)


# -- real clients (Brokers ▸ Listen for Kafka clients) ------------------------------------------
EXTERNAL_H = 64.0


def layout_external(clients: list, left: float, top: float, width: float, gap: float) -> list[tuple[object, QRectF]]:
    """One card per real client (qt_wire.ExternalClient), stacked from `top`."""
    out = []
    for client in clients:
        out.append((client, QRectF(left, top, width, EXTERNAL_H)))
        top += EXTERNAL_H + gap
    return out


def draw_external(p: QPainter, client, rect: QRectF) -> None:
    """A real client: its client.id, where it connects from, and to which brokers."""
    p.setPen(QPen(COLORS["produce"], 2, Qt.PenStyle.DashDotLine))    # dashed: it lives outside the simulation
    p.setBrush(COLORS["producer_bg"])
    p.drawRoundedRect(rect, 10, 10)
    inner = rect.adjusted(12, 5, -12, -5)
    p.setPen(COLORS["text"])
    p.setFont(font(12))
    fm = QFontMetricsF(p.font())
    p.drawText(inner, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft,
               fm.elidedText(f"real client · {client.address}", Qt.TextElideMode.ElideRight, inner.width()))
    p.setFont(font(14, bold=True))
    p.drawText(inner.adjusted(0, 18, 0, 0), Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft,
               QFontMetricsF(p.font()).elidedText(client.client_id, Qt.TextElideMode.ElideRight, inner.width()))
    p.setFont(font(12))
    brokers = ", ".join(str(b) for b in client.brokers)
    p.drawText(inner, Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignLeft,
               fm.elidedText(f"brokers {brokers} · {client.requests} requests", Qt.TextElideMode.ElideRight,
                             inner.width()))
