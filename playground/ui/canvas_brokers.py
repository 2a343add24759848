"""Painting the brokers: a header and a column per broker, a strip of offset cells per replica.

Called by `ClusterCanvas.paintEvent` with values it read from `ClusterView`
in the same paint (plus the short-lived effects of recent events), so
nothing here keeps state between frames. A dead broker is red and dashed, an
isolated one orange and dashed with a cut link, a zombie leadership gets a
black-and-lime badge; every mark also carries a word, for projectors and
colour-blind viewers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen

from playground.engine.protocol import TopicPartition

from . import canvas_storage as cs
from . import effects as fx
from . import paint_cache as pc
from . import storage_effects as sfx
from .canvas_model import ALIVE, DEAD, FENCED, ISOLATED, BrokerBadge
from .qt_theme import COLORS, draw_tag, font, tag_width

CELL_H = 34
CELL_W = 40

# state -> (header colour, state text, state text colour, column colour)
_HEADER = {ALIVE: ("broker", "● alive", "alive", "column"),
           FENCED: ("broker", "● fenced", "warning", "column"),
           DEAD: ("dead", "✕ DEAD", "dead_text", "column_dead"),
           ISOLATED: ("isolated", "✂ ISOLATED", "on_dark", "column_isolated")}


@dataclass(frozen=True, slots=True)
class StripInfo:
    """One replica strip as drawn in the last paint (for tests and tooltips)."""

    broker: int
    topic: str
    partition: int
    leader: bool
    in_isr: bool
    log_end_offset: int
    high_watermark: int
    rect: QRectF
    broker_state: str = ALIVE
    zombie: tuple[int, int] | None = None     # (epoch it believes it leads, the controller's epoch)
    effects: tuple[str, ...] = ()             # kinds of the effects flashing on it (effects.ELECTED, ...)
    banners: tuple[str, ...] = ()             # the badges drawn over its top edge


@dataclass(slots=True)
class Row:
    tp: TopicPartition
    top: float
    first: int              # first offset shown
    cells: int              # how many cells fit


def cells_rect(strip: QRectF) -> QRectF:
    return QRectF(strip.left() + 12, strip.top() + 37, strip.width() - 24, CELL_H)


def pulse(frac: float) -> float:
    """Opacity of a flash `frac` of the way through its life: throbbing, then fading out."""
    age = frac * fx.STRIP_LIFE_MS
    return (1.0 - frac ** 3) * (0.55 + 0.45 * math.cos(math.pi * age / 450.0) ** 2)


# -- brokers -------------------------------------------------------------------------------
def draw_broker(p: QPainter, badge: BrokerBadge, header: QRectF, column: QRectF, selected: bool) -> None:
    bg, state, state_colour, band = _HEADER[badge.state]
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(COLORS[band])
    p.drawRoundedRect(column, 10, 10)
    if badge.state in (DEAD, ISOLATED):
        p.setPen(QPen(COLORS["dead" if badge.state == DEAD else "isolated"], 3, Qt.PenStyle.DashLine))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(column.adjusted(1.5, 1.5, -1.5, -1.5), 10, 10)
    if selected:
        p.setPen(QPen(COLORS["selected"], 4))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(column.adjusted(-4, -4, 4, 4), 13, 13)
    # The header changes with the broker's state and tags only: painted once per look.
    pc.piece(p, ("broker", badge, selected), header, 2, lambda q: _paint_header(q, badge, header, selected))


def _paint_header(p: QPainter, badge: BrokerBadge, header: QRectF, selected: bool) -> None:
    bg, state, state_colour, _band = _HEADER[badge.state]
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(COLORS[bg])
    p.drawRoundedRect(header, 10, 10)
    top = QRectF(header.left() + 14, header.top() + 1, header.width() - 28, 34)
    name = f"Broker {badge.broker_id}"
    name_font, state_font = font(18, bold=True), font(13, bold=True)
    if QFontMetricsF(name_font).horizontalAdvance(name) + QFontMetricsF(state_font) \
            .horizontalAdvance(state) + 12 > top.width():
        name_font = font(15, bold=True)
        if QFontMetricsF(name_font).horizontalAdvance(name) + QFontMetricsF(state_font) \
                .horizontalAdvance(state) + 12 > top.width():
            name = str(badge.broker_id)
    p.setPen(COLORS["on_dark"])
    p.setFont(name_font)
    p.drawText(top, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, name)
    p.setPen(COLORS[state_colour])
    p.setFont(state_font)
    p.drawText(top, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, state)
    _draw_header_tags(p, badge, QRectF(header.left() + 12, header.top() + 35, header.width() - 24, 24), selected)


def _draw_header_tags(p: QPainter, badge: BrokerBadge, line: QRectF, selected: bool) -> None:
    """Second header line: the number key that selects the broker, then CONTROLLER, SLOW and a hint."""
    x, cy = line.left(), line.center().y()
    if badge.key is not None:
        key = QRectF(x, cy - 10, 22, 20)
        p.setPen(QPen(COLORS["selected"] if selected else COLORS["faint"], 2 if selected else 1.2))
        p.setBrush(COLORS["selected"] if selected else Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(key, 4, 4)
        p.setPen(COLORS["on_dark"])
        p.setFont(font(12, bold=True))
        p.drawText(key, Qt.AlignmentFlag.AlignCenter, str(badge.key))
        x += 30
    if not badge.tags:                  # a healthy broker: say what clicking it does
        p.setFont(font(12, italic=True))
        p.setPen(COLORS["hint_on_dark"])
        hint = QFontMetricsF(p.font()).elidedText("click: kill · isolate · slow…", Qt.TextElideMode.ElideRight,
                                                  line.right() - x)
        p.drawText(QRectF(x, line.top(), line.right() - x, line.height()),
                   Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, hint)
    for tag in badge.tags:
        room = line.right() - x
        if tag.startswith(("♛", "SLOW", "⚑")):
            w = tag_width(tag)
            if w > room and tag.startswith("⚑"):
                tag = "⚑ " + tag.rpartition(" of ")[2]      # narrow column: just the group ids
                w = tag_width(tag)
            if w > room:
                break
            colour = COLORS["crown"] if tag.startswith("♛") else COLORS["slow"] if tag.startswith("SLOW") \
                else COLORS["rebalance"]
            draw_tag(p, x + w, cy, tag, colour, COLORS["on_dark"] if tag.startswith("⚑") else COLORS["on_bright"])
            x += w + 6
            continue
        p.setFont(font(12, italic=True))
        text = QFontMetricsF(p.font()).elidedText(tag, Qt.TextElideMode.ElideRight, room)
        p.setPen(COLORS["on_dark"])
        p.drawText(QRectF(x, line.top(), room, line.height()),
                   Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
        break


def draw_no_replica(p: QPainter, rect: QRectF, tp: TopicPartition) -> None:
    """This broker has no replica of the partition: say so faintly (RF < brokers)."""
    p.setPen(QPen(COLORS["faint"], 1.5, Qt.PenStyle.DashLine))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRoundedRect(rect, 6, 6)
    p.setPen(COLORS["muted"])
    p.setFont(font(12))
    p.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"{tp}: no replica here")


# -- replica strips ----------------------------------------------------------------------------
def draw_strip(p: QPainter, view, pv, bid: int, rect: QRectF, row: Row, badge: BrokerBadge | None,
               zombie, effects: list, cells_out: list, storage_layer: cs.StorageLayer | None = None) -> StripInfo:
    """One replica of `pv` on broker `bid`; appends (cell rect, broker, tp, offset) to `cells_out`.

    With a `storage_layer` the cells say what they hold (transaction markers, aborted and open
    transactions, compacted gaps), segments are marked, and the leader shows its last stable offset."""
    tp = row.tp
    leader = pv.leader == bid
    in_isr = bid in pv.isr
    log = view.replica_log(bid, pv.topic, pv.partition)
    state = badge.state if badge is not None else ALIVE
    zombie_epochs = (zombie.believed_epoch, zombie.current_epoch) if zombie is not None else None
    p.save()
    if state == DEAD:
        p.setOpacity(0.5)               # a dead broker's log is still on disk, but nobody reads it
    if zombie is not None:
        edge, width, dashed, bg = "zombie", 4, True, "zombie_bg"
    elif leader:
        edge, width, dashed, bg = "leader", 5, False, "leader_bg"
    elif in_isr:
        edge, width, dashed, bg = "follower", 2, False, "strip_bg"
    else:
        edge, width, dashed, bg = "error", 3, True, "out_of_isr_bg"
    dashed = dashed or log is None or state == DEAD
    epoch_change = next(((e.data["old"], e.data["new"]) for e, _ in effects if e.kind == fx.EPOCH), None)
    in_elr = bid in pv.elr

    def frame_and_title(q: QPainter) -> None:
        q.setPen(QPen(COLORS[edge], width, Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine))
        q.setBrush(COLORS[bg])
        q.drawRoundedRect(rect, 8, 8)
        _draw_strip_title(q, rect, tp, pv.leader_epoch, leader, in_isr, epoch_change, in_elr)

    # The same for many frames (until the ISR, the leader or the epoch changes): painted once.
    pc.piece(p, ("strip", edge, width, dashed, bg, tp, pv.leader_epoch, leader, in_isr, epoch_change, in_elr),
             rect, 4, frame_and_title)
    cells = cells_rect(rect)
    cw = cells.width() / row.cells
    kinds = tuple(e.kind for e, _ in effects)
    if log is None:
        p.setPen(COLORS["muted"])
        p.setFont(font(12, italic=True))
        p.drawText(cells, Qt.AlignmentFlag.AlignCenter, "waiting for metadata…")
        leo = hw = 0
    else:
        leo, hw, start = log.log_end_offset, log.high_watermark, log.log_start_offset
        storage = storage_layer.strip(log, row, bid, leader) if storage_layer is not None else None
        if storage is not None:
            cs.draw_segment_bands(p, cells, row, cw, storage)
        _draw_cells(p, cells, row, cw, start, hw, leo, bid, tp, cells_out, storage,
                    storage_layer.cells if storage_layer is not None else None)
        if storage is not None:
            cs.draw_segment_notches(p, cells, row, cw, storage, effects)
            cs.draw_cell_effects(p, cells, row, cw, effects)
        draw_markers(p, cells, row, cw, hw, leo, storage.last_stable_offset if storage is not None else None)
        if storage is not None and storage_layer.shows_bar(pv.topic):
            bar = QRectF(cells.left(), rect.bottom() - cs.BAR_H - 6, cells.width(), cs.BAR_H)
            cs.draw_segment_bar(p, bar, row, storage, effects, bid, tp, storage_layer.blocks)
    p.restore()
    _draw_flashes(p, rect, cells, row, cw, effects)
    banners = _banners(zombie_epochs, effects)
    shown = _draw_banners(p, rect, banners)
    return StripInfo(bid, pv.topic, pv.partition, leader, in_isr, leo, hw, rect, state, zombie_epochs, kinds,
                     shown)


def _draw_cells(p: QPainter, cells: QRectF, row: Row, cw: float, start: int, hw: int, leo: int, bid: int,
                tp: TopicPartition, cells_out: list, storage=None, kinds_out: list | None = None) -> None:
    left, top, h = cells.left(), cells.top(), cells.height()
    centre = Qt.AlignmentFlag.AlignCenter
    plain = cs.sm.RECORD
    marks = storage.cells if storage is not None else {}
    looks = []                                  # per cell: its plain look, or None (not in the log any more)
    special = False
    for off in range(row.first, row.first + row.cells):
        mark = marks.get(off)
        if mark is not None and (mark.kind != plain or mark.tombstone):
            special = True
            break
        looks.append(None if off < start else "committed" if off < hw else "uncommitted" if off < leo else "empty")
    if special:                 # transaction markers, gaps, tombstones: each cell on its own
        _draw_marked_cells(p, cells, row, cw, start, hw, leo, bid, tp, cells_out, storage, kinds_out)
    else:
        # A busy log's cells: their boxes as one piece (the same for as long as the HW and the LEO keep
        # their places in the row), their offsets written over them.
        looks = tuple(looks)
        pc.piece(p, ("cells", looks, round(cw, 2)), cells, 2, lambda q: _paint_boxes(q, cells, cw, looks))
        for i, look in enumerate(looks):
            if look is None:
                continue
            off = row.first + i
            cell = QRectF(left + i * cw + 1.5, top, cw - 3, h)
            p.setPen(COLORS[_CELL_STYLES[look][2]])
            pc.text(p, cell, centre, str(off), cs.CELL_FONT)
            if off < leo:
                mark = marks.get(off)
                if mark is not None and kinds_out is not None:
                    kinds_out.append((cell, bid, tp, mark))
                cells_out.append((cell, bid, tp, off))
    if row.first > start:
        p.setPen(COLORS["muted"])
        pc.text(p, QRectF(left - 12, top, 12, h), centre, "‹", cs.CELL_FONT)
    if row.first + row.cells < leo:             # scrolled back: newer offsets to the right
        p.setPen(COLORS["muted"])
        pc.text(p, QRectF(cells.right(), top, 12, h), centre, "›", cs.CELL_FONT)


def _paint_boxes(p: QPainter, cells: QRectF, cw: float, looks: tuple) -> None:
    for i, look in enumerate(looks):
        if look is not None:
            fill, edge, _text = _CELL_STYLES[look]
            p.setPen(QPen(COLORS[edge], 1.5))
            p.setBrush(COLORS[fill])
            p.drawRoundedRect(QRectF(cells.left() + i * cw + 1.5, cells.top(), cw - 3, cells.height()), 4, 4)


def _draw_marked_cells(p: QPainter, cells: QRectF, row: Row, cw: float, start: int, hw: int, leo: int, bid: int,
                       tp: TopicPartition, cells_out: list, storage, kinds_out: list | None) -> None:
    for i in range(row.cells):
        off = row.first + i
        if off < start:
            continue
        cell = QRectF(cells.left() + i * cw + 1.5, cells.top(), cw - 3, cells.height())
        mark = storage.cells.get(off)
        cs.draw_cell(p, cell, off, mark, hw, leo)
        if mark is not None and kinds_out is not None:
            kinds_out.append((cell, bid, tp, mark))
        if off < leo and (mark is None or mark.kind != cs.sm.GAP):
            cells_out.append((cell, bid, tp, off))


# state -> (fill, edge, text) palette keys of a plain cell
_CELL_STYLES = {"committed": ("committed", "committed", "on_dark"),
                "uncommitted": ("uncommitted", "uncommitted_edge", "text"),
                "empty": ("empty", "faint", "faint_text")}


def _draw_flashes(p: QPainter, rect: QRectF, cells: QRectF, row: Row, cw: float, effects: list) -> None:
    """Glowing outlines for elections and ISR changes; truncated cells falling away in red."""
    glow = {fx.ELECTED: COLORS["flash"], fx.ISR_LEFT: COLORS["error"], fx.ISR_JOINED: COLORS["good"],
            fx.TRUNCATED: COLORS["error"]}
    for e, frac in effects:
        colour = glow.get(e.kind)
        if colour is None:
            continue
        p.save()
        p.setOpacity(pulse(frac))
        p.setPen(QPen(colour, 7))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(rect.adjusted(-6, -6, 6, 6), 12, 12)
        if e.kind == fx.TRUNCATED:
            _draw_ghost_cells(p, cells, row, cw, e.data["offset"], e.data["removed"], frac)
        p.restore()


def _draw_ghost_cells(p: QPainter, cells: QRectF, row: Row, cw: float, offset: int, removed: int,
                      frac: float) -> None:
    """The records a truncation dropped: red, struck through, sinking and fading out."""
    p.setOpacity(max(0.0, 1.0 - frac) ** 0.7)
    drop = 18.0 * frac
    p.setFont(font(12, bold=True))
    for off in range(offset, offset + removed):
        i = off - row.first
        if not 0 <= i < row.cells:
            continue
        cell = QRectF(cells.left() + i * cw + 1.5, cells.top() + drop, cw - 3, cells.height())
        p.setPen(QPen(COLORS["error"].darker(130), 2))
        p.setBrush(COLORS["error"])
        p.drawRoundedRect(cell, 4, 4)
        p.setPen(COLORS["on_dark"])
        p.drawText(cell, Qt.AlignmentFlag.AlignCenter, str(off))
        p.setPen(QPen(COLORS["on_dark"], 2))
        p.drawLine(QPointF(cell.left() + 4, cell.bottom() - 6), QPointF(cell.right() - 4, cell.top() + 6))


def _banners(zombie: tuple[int, int] | None, effects: list) -> list[tuple[tuple[str, ...], QColor, QColor, float]]:
    """(texts, longest first; background; text colour; fraction of life gone) for a strip's top edge."""
    out = []
    if zombie is not None:
        b, c = zombie
        out.append(((f"☠ ZOMBIE LEADER (epoch {b}, current {c})", f"☠ ZOMBIE LEADER\n(epoch {b}, current {c})",
                     f"☠ ZOMBIE\n(epoch {b} < {c})", "☠ ZOMBIE"),
                    COLORS["zombie"], COLORS["zombie_text"], 0.0))
    epoch = next((e.data for e, _ in effects if e.kind == fx.EPOCH), None)
    for e, frac in effects:
        if e.kind == fx.TRUNCATED:
            n = e.data["removed"]
            out.append(((f"✂ TRUNCATED −{n} record{'s' if n != 1 else ''}", f"✂ −{n}"), COLORS["error"],
                        COLORS["on_dark"], frac))
        elif e.kind == fx.ELECTED:
            unclean = e.data.get("unclean")
            change = f" · epoch {epoch['old']} → {epoch['new']}" if epoch else ""
            texts = ((f"★ NEW LEADER{change} · UNCLEAN!", "★ NEW LEADER · UNCLEAN!", "★ UNCLEAN") if unclean
                     else (f"★ NEW LEADER{change}", "★ NEW LEADER", "★ NEW"))
            out.append((texts, COLORS["error"] if unclean else COLORS["flash"],
                        COLORS["on_dark"] if unclean else COLORS["on_bright"], frac))
        elif e.kind == fx.ISR_LEFT:
            out.append((("− LEFT THE ISR", "− ISR"), COLORS["error"], COLORS["on_dark"], frac))
        elif e.kind == fx.ISR_JOINED:
            out.append((("+ REJOINED THE ISR", "+ ISR"), COLORS["good"], COLORS["on_dark"], frac))
    out += [(texts, COLORS[bg], COLORS[fg], frac) for texts, bg, fg, frac in sfx.banners(effects)]
    return out


def _draw_banners(p: QPainter, rect: QRectF, banners: list) -> tuple[str, ...]:
    """Badges straddling the strip's top edge, left to right, the shortest text that fits."""
    shown = []
    x, right, cy = rect.left() + 4, rect.right() + 2, rect.top() - 6
    p.setFont(font(12, bold=True))
    fm = QFontMetricsF(p.font())
    def width(text: str) -> float:
        return max(fm.horizontalAdvance(line) for line in text.split("\n")) + 14

    for texts, bg, fg, frac in banners:
        text = next((t for t in texts if width(t) <= right - x), None)
        if text is None:
            break
        w, h = width(text), fm.height() * (text.count("\n") + 1) + 6
        box = QRectF(x, cy + (fm.height() + 6) / 2 - h, w, h)          # more lines grow upwards
        p.save()
        p.setOpacity(min(1.0, 3.0 * (1.0 - frac)))
        p.setPen(QPen(COLORS["background"], 2))
        p.setBrush(bg)
        p.drawRoundedRect(box, 6, 6)
        p.setPen(fg)
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        p.restore()
        shown.append(text.replace("\n", " "))
        x += w + 6
    return tuple(shown)


def _draw_strip_title(p: QPainter, rect: QRectF, tp: TopicPartition, epoch: int, leader: bool, in_isr: bool,
                      epoch_change: tuple[int, int] | None, in_elr: bool = False) -> None:
    """`orders/0  epoch 0      [★ LEADER] [ISR]`, shortened to fit narrow columns.

    Just after an election the epoch reads `epoch 0 → 1` on an amber tag. A
    replica outside the ISR that is an eligible leader replica (KIP-966) says
    ELR, so a learner sees who may still lead an offline partition.
    """
    head = QRectF(rect.left() + 12, rect.top() + 6, rect.width() - 24, 28)
    cy = head.center().y()
    if in_isr:
        isr = ("ISR", COLORS["isr"], COLORS["on_dark"])
    elif in_elr:
        isr = ("ELR · may lead", COLORS["controller"], COLORS["on_dark"])
    else:
        isr = ("NOT IN ISR", COLORS["error"], COLORS["on_dark"])
    badges = tag_width(isr[0]) + (tag_width("★ LEADER") if leader else 0) + 14
    for size in (15, 13, 12):
        title_font = font(size, bold=True)
        title_w = QFontMetricsF(title_font).horizontalAdvance(str(tp))
        if title_w + badges <= head.width():
            break
    role = None
    if leader:
        role = ("★ LEADER", COLORS["leader"], COLORS["on_bright"])
        if title_w + tag_width(isr[0]) + tag_width(role[0]) + 14 > head.width():
            role = ("★ L", COLORS["leader"], COLORS["on_bright"])
    elif title_w + tag_width(isr[0]) + tag_width("follower") + 14 <= head.width():
        role = ("follower", COLORS["follower_tag"], COLORS["on_bright"])
    right = draw_tag(p, head.right(), cy, *isr)
    if role is not None:
        right = draw_tag(p, right - 6, cy, *role)
    room = right - head.left() - 8
    p.setPen(COLORS["text"])
    p.setFont(title_font)
    title = QFontMetricsF(title_font).elidedText(str(tp), Qt.TextElideMode.ElideMiddle, room)
    p.drawText(QRectF(head.left(), head.top(), room, head.height()),
               Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, title)
    left = head.left() + title_w + 10
    if epoch_change is not None:
        for text in (f"epoch {epoch_change[0]} → {epoch_change[1]}", f"{epoch_change[0]}→{epoch_change[1]}"):
            if tag_width(text) <= right - 6 - left:
                draw_tag(p, left + tag_width(text), cy, text, COLORS["flash"], COLORS["on_bright"])
                return
    epoch_text = f"epoch {epoch}"
    p.setFont(font(12))
    if room - title_w - 10 > QFontMetricsF(p.font()).horizontalAdvance(epoch_text):
        p.setPen(COLORS["muted"])
        p.drawText(QRectF(left, head.top(), room - title_w - 10, head.height()),
                   Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, epoch_text)


def draw_markers(p: QPainter, cells: QRectF, row: Row, cw: float, hw: int, leo: int,
                 lso: int | None = None) -> None:
    """Vertical HW and LEO lines between cells, labelled underneath; with `lso` (a leader whose last
    stable offset is below its HW: an open transaction) a dash-dot LSO line too, and the HW label
    reads "LSO 4 · HW 9".

    An offset left of the shown window (a follower far behind) is pinned to
    the left edge with a dashed line and a `‹` in its label.
    """
    last = row.first + row.cells

    def place(offset: int) -> tuple[float, str, str]:
        if offset < row.first:
            return cells.left(), "‹ ", ""
        if offset > last:
            return cells.right(), "", " ›"
        return cells.left() + (offset - row.first) * cw, "", ""

    def line(x: float, colour: QColor, off_window: bool) -> None:
        style = Qt.PenStyle.DashLine if off_window else Qt.PenStyle.SolidLine
        p.setPen(pc.pen(colour, 4, style, Qt.PenCapStyle.FlatCap))
        p.drawLine(QPointF(x, cells.top() - 6), QPointF(x, cells.bottom() + 5))

    fs = cs.CELL_FONT
    fm = pc.metrics(fs)
    below = cells.bottom() + 3
    label_h = fm.height() + 2
    (hx, hpre, hpost), (lx, lpre, lpost) = place(hw), place(leo)
    hw_off, leo_off = bool(hpre or hpost), bool(lpre or lpost)
    line(lx, COLORS["leo"], leo_off)
    line(hx - (3 if hw == leo else 0), COLORS["hw"], hw_off)
    lso_pre = ""
    if lso is not None:
        sx, spre, _spost = place(lso)
        p.setPen(QPen(COLORS["lso"], 4, Qt.PenStyle.DashDotLine, Qt.PenCapStyle.FlatCap))
        p.drawLine(QPointF(sx + 1, cells.top() - 10), QPointF(sx + 1, cells.bottom() + 5))
        lso_pre = f"{spre}LSO {lso} · "

    def label(text: str, x0: float, colour: QColor) -> float:
        tw = width(text)
        x0 = max(cells.left() - 10, min(x0, cells.right() + 10 - tw))
        x0 = max(x0, cells.left() - 10)
        p.setPen(colour)
        pc.text(p, QRectF(x0, below, tw, label_h), Qt.AlignmentFlag.AlignLeft, text, fs)
        return x0 + tw

    def width(text: str) -> float:
        return pc.text_width(text, fs) + 4

    # Labels sit under the cells, below the ends of the lines, so no line crosses them.
    if hw == leo:
        text = f"{hpre}HW = LEO = {leo}{hpost}"
        full = lso_pre + text
        fits_right = hx - 4 + width(full) <= cells.right() + 10
        x0 = hx - 4 - width(lso_pre) if fits_right else hx - width(full) + 4
        if lso_pre:
            x0 = label(lso_pre, x0, COLORS["lso"]) - 4
        label(text, x0, COLORS["text"])
        return
    hw_text, leo_text = f"{hpre}HW {hw}{hpost}", f"{lpre}LEO {leo}{lpost}"
    hw_left = hx - width(hw_text) - width(lso_pre) + 4       # ends at its line, if there is room
    x0 = hw_left if hw_left >= cells.left() - 10 else hx - 4
    if lso_pre:
        x0 = label(lso_pre, x0, COLORS["lso"]) - 4
    end = label(hw_text, x0, COLORS["hw"])
    label(leo_text, max(lx - 4, end + 8), COLORS["leo"])
