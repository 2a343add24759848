"""The cluster canvas: brokers as columns, replicas as offset strips, messages as moving dots.

Each frame it reads `bridge.view()` and draws what it says: no copy of
offsets, ISR or watermarks is kept here. Partition rows line up across broker
columns, so a leader and its followers sit side by side and a replication
fetch travels along the row. Moving dots come from `bridge.message_sent`
(see `flights.py`) and disappear when their message has arrived.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from playground.engine.protocol import TopicPartition

from . import flights as fl
from .qt_theme import COLORS, FLIGHT_COLORS, draw_legend, draw_tag, font, tag_width

MARGIN = 14
CLIENTS_W = 230             # at most; narrower windows give the clients column less
TOP_H = 58
HEADER_H = 60
LEGEND_H = 78
ROW_GAP = 44
STRIP_MIN_H = 98
STRIP_MAX_H = 124
CELL_H = 34
CELL_W = 40


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


@dataclass(slots=True)
class _Row:
    tp: TopicPartition
    top: float
    first: int              # first offset shown
    cells: int              # how many cells fit


class ClusterCanvas(QWidget):
    def __init__(self, bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._flights: list[fl.Flight] = []
        self._show_control = False
        self._strips: list[StripInfo] = []
        self._cells: list[tuple[QRectF, int, TopicPartition, int]] = []
        self._anchors: dict[tuple, QRectF] = {}
        self._rows: dict[TopicPartition, _Row] = {}
        self._columns: dict[int, tuple[float, float]] = {}
        self._clients_w = float(CLIENTS_W)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAutoFillBackground(False)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)      # click the canvas, then Space/→ drive time
        bridge.message_sent.connect(self._on_message)
        bridge.frame.connect(self._on_frame)

    # -- binding -----------------------------------------------------------------
    def _on_message(self, msg) -> None:
        self._flights.extend(fl.classify(msg, self._bridge.view(), self._show_control))
        if len(self._flights) > 3000:           # 100x with lots of traffic: keep the newest
            del self._flights[:-2000]

    def _on_frame(self, t: float) -> None:
        self._flights = [f for f in self._flights if f.arrive_at > t]
        self.update()

    def set_show_control_traffic(self, show: bool) -> None:
        """Show the brokers' metadata fetches from the controller (hidden by default: constant chatter)."""
        self._show_control = show
        if not show:
            self._flights = [f for f in self._flights if f.kind != fl.CONTROL]
        self.update()

    # -- introspection (tests, tooltips) ----------------------------------------------
    def drawn_strips(self) -> list[StripInfo]:
        return list(self._strips)

    def flights(self) -> list[fl.Flight]:
        return list(self._flights)

    def sizeHint(self) -> QSize:
        return QSize(1200, 760)

    def minimumSizeHint(self) -> QSize:
        return QSize(800, 480)

    # -- layout -------------------------------------------------------------------
    def _layout(self, view) -> list[tuple[str, list]]:
        """Compute anchors (clients, brokers, controller, strips) and rows; return topics' partitions."""
        w, h = float(self.width()), float(self.height())
        self._clients_w = max(180.0, min(float(CLIENTS_W), 0.18 * w))
        self._anchors = {}
        self._rows = {}
        self._columns = {}
        topics = [(t, view.partitions(t)) for t in view.topic_names(include_internal=False)]
        n_rows = sum(len(parts) for _, parts in topics)
        brokers = view.brokers()
        left = MARGIN + self._clients_w + MARGIN
        col_gap = 22.0
        col_w = (w - left - MARGIN - col_gap * (len(brokers) - 1)) / max(1, len(brokers))
        for i, b in enumerate(brokers):
            x = left + i * (col_w + col_gap)
            self._columns[b.broker_id] = (x, col_w)
            self._anchors[("broker", b.broker_id)] = QRectF(x, MARGIN + TOP_H, col_w, HEADER_H)
        if view.controller_id is not None:
            cw = 330.0
            cx = left + (w - left - MARGIN) / 2 - cw / 2
            self._anchors[("controller", view.controller_id)] = QRectF(cx, MARGIN, cw, TOP_H - 10)
        rows_top = MARGIN + TOP_H + HEADER_H + ROW_GAP
        avail = h - rows_top - LEGEND_H - MARGIN
        strip_h = STRIP_MIN_H if n_rows == 0 else min(STRIP_MAX_H, max(STRIP_MIN_H, avail / n_rows - ROW_GAP))
        inner = col_w - 24
        n_cells = max(4, int(inner // CELL_W))
        y = rows_top
        for topic, parts in topics:
            for pv in parts:
                tp = TopicPartition(topic, pv.partition)
                leo_max = max(pv.log_end_offsets.values(), default=pv.log_start_offset)
                first = max(pv.log_start_offset, leo_max + 2 - n_cells)
                self._rows[tp] = _Row(tp, y, first, n_cells)
                for bid in pv.replicas:
                    if bid in self._columns:
                        x, cw_ = self._columns[bid]
                        self._anchors[("replica", bid, tp)] = QRectF(x, y, cw_, strip_h)
                y += strip_h + ROW_GAP
        self.setMinimumHeight(int(y + LEGEND_H + MARGIN - ROW_GAP + 10))
        names = list(view.producers()) + [n for n in view.consumers() if n not in view.producers()]
        box_h, gap = 96.0, 18.0
        total = len(names) * box_h + max(0, len(names) - 1) * gap
        mid = (rows_top + max(rows_top + 2 * box_h, y - ROW_GAP)) / 2
        cy = max(rows_top, mid - total / 2)
        for name in names:
            self._anchors[("client", name)] = QRectF(MARGIN, cy, self._clients_w, box_h)
            cy += box_h + gap
        return topics

    def _cells_rect(self, strip: QRectF) -> QRectF:
        return QRectF(strip.left() + 12, strip.top() + 37, strip.width() - 24, CELL_H)

    def _offset_x(self, strip: QRectF, row: _Row, offset: int) -> float:
        cells = self._cells_rect(strip)
        return cells.left() + (offset - row.first) * cells.width() / row.cells

    # -- painting -----------------------------------------------------------------
    def paintEvent(self, event) -> None:
        view = self._bridge.view()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        p.fillRect(self.rect(), COLORS["background"])
        topics = self._layout(view)
        self._strips = []
        self._cells = []
        self._draw_controller(p, view)
        self._draw_brokers(p, view)
        self._draw_clients(p, view)
        if not topics:
            p.setFont(font(15))
            p.setPen(COLORS["muted"])
            p.drawText(QRectF(MARGIN + self._clients_w, MARGIN + TOP_H + HEADER_H + 30,
                              self.width() - self._clients_w - 40, 60),
                       Qt.AlignmentFlag.AlignCenter, "No topics yet: create one with Topic ▸ New topic… (Ctrl+N)")
        brokers = {b.broker_id: b for b in view.brokers()}
        for topic, parts in topics:
            for pv in parts:
                self._draw_row(p, view, pv, brokers)
        self._draw_flights(p, self._bridge.display_time)
        draw_legend(p, QRectF(MARGIN, self.height() - LEGEND_H - MARGIN + 8, self.width() - 2 * MARGIN,
                              LEGEND_H - 8))
        p.end()

    def _draw_controller(self, p: QPainter, view) -> None:
        rect = self._anchors.get(("controller", view.controller_id))
        if rect is None:
            return
        p.setPen(QPen(COLORS["controller"], 2))
        p.setBrush(COLORS["controller_bg"])
        p.drawRoundedRect(rect, 8, 8)
        p.setPen(COLORS["controller"])
        p.setFont(font(14, bold=True))
        p.drawText(rect.adjusted(10, 0, -10, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                   f"◆ controller {view.controller_id}")
        p.setFont(font(12))
        p.drawText(rect.adjusted(10, 0, -10, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                   "KRaft, active")

    def _draw_brokers(self, p: QPainter, view) -> None:
        bottom = self.height() - LEGEND_H - MARGIN
        for b in view.brokers():
            rect = self._anchors[("broker", b.broker_id)]
            x, w = self._columns[b.broker_id]
            # the column body: a faint band from the header down to the legend
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(COLORS["column"] if b.alive else COLORS["column_dead"])
            p.drawRoundedRect(QRectF(x, rect.top(), w, bottom - rect.top()), 10, 10)
            p.setBrush(COLORS["broker"] if b.alive else COLORS["dead"])
            p.drawRoundedRect(rect, 10, 10)
            if b.alive and not b.fenced:
                state, colour = "● alive", COLORS["alive"]
            elif b.alive:
                state, colour = "● fenced", COLORS["warning"]
            else:
                state, colour = "✕ down", COLORS["dead_text"]
            name = f"Broker {b.broker_id}"
            name_font = font(18, bold=True)
            room = rect.width() - 28
            if QFontMetricsF(name_font).horizontalAdvance(name) + QFontMetricsF(font(13, bold=True)) \
                    .horizontalAdvance(state) + 12 > room:
                name_font = font(15, bold=True)
                if QFontMetricsF(name_font).horizontalAdvance(name + "  ●") > room:
                    name = str(b.broker_id)
                state = state.split()[0]                # narrow column: the symbol says it
            p.setPen(COLORS["on_dark"])
            p.setFont(name_font)
            p.drawText(rect.adjusted(14, 0, -14, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, name)
            p.setPen(colour)
            p.setFont(font(13, bold=True))
            p.drawText(rect.adjusted(14, 0, -14, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                       state)

    def _draw_clients(self, p: QPainter, view) -> None:
        top = MARGIN + TOP_H
        p.setPen(COLORS["muted"])
        p.setFont(font(14, bold=True))
        p.drawText(QRectF(MARGIN, top, self._clients_w, HEADER_H), Qt.AlignmentFlag.AlignCenter, "Clients")
        producers = view.producers()
        if not producers and not view.consumers():
            p.setFont(font(12))
            p.drawText(QRectF(MARGIN, top + HEADER_H + ROW_GAP, self._clients_w, 120),
                       Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
                       "No producers yet.\nSend a record from the Produce panel (Ctrl+Enter).")
            return
        for name, stats in producers.items():
            rect = self._anchors[("client", name)]
            acks = view.producer_config(name).get("acks", "?")
            p.setPen(QPen(COLORS["produce"], 3))
            p.setBrush(COLORS["producer_bg"])
            p.drawRoundedRect(rect, 10, 10)
            inner = rect.adjusted(12, 8, -12, -8)
            p.setPen(COLORS["text"])
            p.setFont(font(12))
            p.drawText(inner, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft, "producer")
            p.setFont(font(12, bold=True))
            p.drawText(inner, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignRight, f"acks={acks}")
            p.setFont(font(14, bold=True))
            p.drawText(inner.adjusted(0, 22, 0, 0), Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft, name)
            p.setFont(font(12))
            failed = f" · failed {stats.failed}" if stats.failed else ""
            p.drawText(inner, Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignLeft,
                       f"sent {stats.sent} · acked {stats.acked}{failed}")
        for name in view.consumers():
            rect = self._anchors.get(("client", name))
            if rect is None or name in producers:
                continue
            p.setPen(QPen(COLORS["consume"], 3))
            p.setBrush(COLORS["background"])
            p.drawRoundedRect(rect, 10, 10)
            p.setPen(COLORS["text"])
            p.setFont(font(14, bold=True))
            p.drawText(rect.adjusted(12, 8, -12, -8), Qt.AlignmentFlag.AlignLeft, f"consumer\n{name}")

    def _draw_row(self, p: QPainter, view, pv, brokers) -> None:
        tp = TopicPartition(pv.topic, pv.partition)
        row = self._rows[tp]
        hosted = set(pv.replicas)
        for bid, (x, w) in self._columns.items():
            if bid in hosted:
                continue
            # this broker has no replica of the partition: say so faintly (RF < brokers)
            rect = QRectF(x + 10, row.top + 20, w - 20, 44)
            p.setPen(QPen(COLORS["faint"], 1.5, Qt.PenStyle.DashLine))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(rect, 6, 6)
            p.setPen(COLORS["muted"])
            p.setFont(font(12))
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"{tp}: no replica here")
        for bid in pv.replicas:
            rect = self._anchors.get(("replica", bid, tp))
            if rect is not None:
                self._draw_strip(p, view, pv, bid, rect, row, brokers.get(bid))

    def _draw_strip(self, p: QPainter, view, pv, bid: int, rect: QRectF, row: _Row, broker) -> None:
        tp = row.tp
        leader = pv.leader == bid
        in_isr = bid in pv.isr
        log = view.replica_log(bid, pv.topic, pv.partition)
        alive = broker is None or broker.alive
        if leader:
            pen, bg = QPen(COLORS["leader"], 5), COLORS["leader_bg"]
        elif in_isr:
            pen, bg = QPen(COLORS["follower"], 2), COLORS["strip_bg"]
        else:
            pen, bg = QPen(COLORS["error"], 3, Qt.PenStyle.DashLine), COLORS["out_of_isr_bg"]
        if log is None or not alive:
            pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.setBrush(bg)
        p.drawRoundedRect(rect, 8, 8)
        self._draw_strip_title(p, rect, tp, pv.leader_epoch, leader, in_isr)
        cells = self._cells_rect(rect)
        cw = cells.width() / row.cells
        if log is None:
            p.setPen(COLORS["muted"])
            p.setFont(font(12, italic=True))
            p.drawText(cells, Qt.AlignmentFlag.AlignCenter, "waiting for metadata…")
            self._strips.append(StripInfo(bid, pv.topic, pv.partition, leader, in_isr, 0, 0, rect))
            return
        leo, hw, start = log.log_end_offset, log.high_watermark, log.log_start_offset
        self._strips.append(StripInfo(bid, pv.topic, pv.partition, leader, in_isr, leo, hw, rect))
        p.setFont(font(12, bold=True))
        for i in range(row.cells):
            off = row.first + i
            cell = QRectF(cells.left() + i * cw + 1.5, cells.top(), cw - 3, cells.height())
            if off < start:
                continue
            if off < hw:
                fill, text, border = COLORS["committed"], COLORS["on_dark"], COLORS["committed"]
            elif off < leo:
                fill, text, border = COLORS["uncommitted"], COLORS["text"], COLORS["uncommitted_edge"]
            else:
                fill, text, border = COLORS["empty"], COLORS["faint_text"], COLORS["faint"]
            p.setPen(QPen(border, 1.5))
            p.setBrush(fill)
            p.drawRoundedRect(cell, 4, 4)
            p.setPen(text)
            p.drawText(cell, Qt.AlignmentFlag.AlignCenter, str(off))
            if off < leo:
                self._cells.append((cell, bid, tp, off))
        if row.first > start:
            p.setPen(COLORS["muted"])
            p.setFont(font(12, bold=True))
            p.drawText(QRectF(rect.left(), cells.top(), 12, cells.height()), Qt.AlignmentFlag.AlignCenter, "‹")
        self._draw_markers(p, cells, row, cw, hw, leo)

    def _draw_strip_title(self, p: QPainter, rect: QRectF, tp: TopicPartition, epoch: int, leader: bool,
                          in_isr: bool) -> None:
        """`orders/0  epoch 0      [★ LEADER] [ISR]`, shortened to fit narrow columns."""
        head = QRectF(rect.left() + 12, rect.top() + 6, rect.width() - 24, 28)
        cy = head.center().y()
        isr = ("ISR", COLORS["isr"], COLORS["on_dark"]) if in_isr else ("NOT IN ISR", COLORS["error"],
                                                                         COLORS["on_dark"])
        badges = tag_width(isr[0]) + (tag_width("★ LEADER") if leader else 0) + 14
        for size in (15, 13, 12):
            title_font = font(size, bold=True)
            title_w = QFontMetricsF(title_font).horizontalAdvance(str(tp))
            if title_w + badges <= head.width():
                break
        role = None
        if leader:
            role = ("★ LEADER", COLORS["leader"], COLORS["text"])
            if title_w + tag_width(isr[0]) + tag_width(role[0]) + 14 > head.width():
                role = ("★ L", COLORS["leader"], COLORS["text"])
        elif title_w + tag_width(isr[0]) + tag_width("follower") + 14 <= head.width():
            role = ("follower", COLORS["follower_tag"], COLORS["text"])
        right = draw_tag(p, head.right(), cy, *isr)
        if role is not None:
            right = draw_tag(p, right - 6, cy, *role)
        room = right - head.left() - 8
        p.setPen(COLORS["text"])
        p.setFont(title_font)
        title = QFontMetricsF(title_font).elidedText(str(tp), Qt.TextElideMode.ElideMiddle, room)
        p.drawText(QRectF(head.left(), head.top(), room, head.height()),
                   Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, title)
        epoch_text = f"epoch {epoch}"
        p.setFont(font(12))
        if room - title_w - 10 > QFontMetricsF(p.font()).horizontalAdvance(epoch_text):
            p.setPen(COLORS["muted"])
            p.drawText(QRectF(head.left() + title_w + 10, head.top(), room - title_w - 10, head.height()),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, epoch_text)

    def _draw_markers(self, p: QPainter, cells: QRectF, row: _Row, cw: float, hw: int, leo: int) -> None:
        """Vertical HW and LEO lines between cells, labelled underneath.

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
            p.setPen(QPen(colour, 4, style, Qt.PenCapStyle.FlatCap))
            p.drawLine(QPointF(x, cells.top() - 6), QPointF(x, cells.bottom() + 5))

        p.setFont(font(12, bold=True))
        fm = QFontMetricsF(p.font())
        below = cells.bottom() + 3
        label_h = fm.height() + 2
        (hx, hpre, hpost), (lx, lpre, lpost) = place(hw), place(leo)
        hw_off, leo_off = bool(hpre or hpost), bool(lpre or lpost)
        line(lx, COLORS["leo"], leo_off)
        line(hx - (3 if hw == leo else 0), COLORS["hw"], hw_off)

        def label(text: str, x0: float, colour: QColor) -> float:
            tw = fm.horizontalAdvance(text) + 4
            x0 = max(cells.left() - 10, min(x0, cells.right() + 10 - tw))
            x0 = max(x0, cells.left() - 10)
            p.setPen(colour)
            p.drawText(QRectF(x0, below, tw, label_h), Qt.AlignmentFlag.AlignLeft, text)
            return x0 + tw

        def width(text: str) -> float:
            return fm.horizontalAdvance(text) + 4

        # Labels sit under the cells, below the ends of the lines, so no line crosses them.
        if hw == leo:
            text = f"{hpre}HW = LEO = {leo}{hpost}"
            fits_right = hx - 4 + width(text) <= cells.right() + 10
            label(text, hx - 4 if fits_right else hx - width(text) + 4, COLORS["text"])
            return
        hw_text, leo_text = f"{hpre}HW {hw}{hpost}", f"{lpre}LEO {leo}{lpost}"
        hw_left = hx - width(hw_text) + 4               # ends at its line, if there is room
        end = label(hw_text, hw_left if hw_left >= cells.left() - 10 else hx - 4, COLORS["hw"])
        label(leo_text, max(lx - 4, end + 8), COLORS["leo"])

    # -- flights --------------------------------------------------------------------
    def _end_point(self, end: tuple, flight: fl.Flight, is_src: bool) -> QPointF | None:
        rect = self._anchors.get(end)
        if rect is None and end[0] == "replica":
            rect = self._anchors.get(("broker", end[1]))
            return rect.center() if rect is not None else None
        if rect is None:
            return None
        kind = flight.kind
        if end[0] == "client":
            return QPointF(rect.right(), rect.center().y() + (-14 if kind != fl.ACK else 14))
        if end[0] == "controller":
            return QPointF(rect.center().x(), rect.bottom())
        if end[0] == "broker":          # client requests arrive at the header's left edge
            return QPointF(rect.left() + 8, rect.center().y() + (8 if is_src else -8))
        cells = self._cells_rect(rect)
        if kind == fl.ACK:                      # the answer leaves from the leader strip's left edge
            return QPointF(rect.left(), cells.center().y())
        if kind == fl.PRODUCE:                  # records land where the leader will append them
            row = self._rows.get(end[2])
            log = self._bridge.view().replica_log(end[1], end[2].topic, end[2].partition)
            if row is not None and log is not None:
                x = min(cells.right(), max(cells.left(), self._offset_x(rect, row, log.log_end_offset)))
                return QPointF(x, cells.center().y())
            return QPointF(cells.left(), cells.center().y())
        # replica to replica: fetch requests travel under the row, responses over it
        if kind == fl.FETCH:
            return QPointF(rect.center().x(), rect.bottom() + 5)
        return QPointF(rect.center().x(), rect.top() - 5)

    def _path(self, a: QPointF, b: QPointF, flight: fl.Flight) -> QPainterPath:
        dx, dy = b.x() - a.x(), b.y() - a.y()
        dist = max(1.0, (dx * dx + dy * dy) ** 0.5)
        if flight.kind in (fl.REPLICATE, fl.HW, fl.TRUNCATE):
            bend = -min(46.0, 0.12 * dist)          # arc above the row
            ctrl = QPointF((a.x() + b.x()) / 2, (a.y() + b.y()) / 2 + bend)
        elif flight.kind == fl.FETCH:
            bend = min(46.0, 0.12 * dist)           # arc below the row
            ctrl = QPointF((a.x() + b.x()) / 2, (a.y() + b.y()) / 2 + bend)
        else:
            sign = -1 if flight.kind != fl.ACK else 1
            nx, ny = -dy / dist, dx / dist
            ctrl = QPointF((a.x() + b.x()) / 2 + sign * nx * 40, (a.y() + b.y()) / 2 + sign * ny * 40)
        path = QPainterPath(a)
        path.quadTo(ctrl, b)
        return path

    def _draw_flights(self, p: QPainter, t: float) -> None:
        """Trails first, then dots, then labels placed where they hide no dot and no other label."""
        live = [f for f in self._flights if f.sent_at <= t < f.arrive_at]
        live.sort(key=lambda f: (not f.thin, f.kind))           # thin ones underneath
        drawn = []
        for f in live[-400:]:
            a = self._end_point(f.src, f, True)
            b = self._end_point(f.dst, f, False)
            if a is None or b is None:
                continue
            path = self._path(a, b, f)
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
            self._draw_flight_label(p, pos, radius, label, colour, f.thin, taken)

    def _draw_flight_label(self, p: QPainter, pos: QPointF, radius: float, text: str, colour: QColor,
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
        p.setBrush(QColor(255, 255, 255, 235))
        p.drawRoundedRect(box, 5, 5)
        p.setPen(colour.darker(130) if not thin else colour)
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    # -- tooltips ---------------------------------------------------------------------
    def event(self, e) -> bool:
        if e.type() == QEvent.Type.ToolTip:
            text = self._tooltip_at(QPointF(e.pos()))
            if text:
                QToolTip.showText(e.globalPos(), text, self)
            else:
                QToolTip.hideText()
                e.ignore()
            return True
        return super().event(e)

    def _tooltip_at(self, pos: QPointF) -> str | None:
        for rect, bid, tp, off in self._cells:
            if rect.contains(pos):
                log = self._bridge.view().replica_log(bid, tp.topic, tp.partition)
                if log is None:
                    return None
                for o, rec, batch in log.records(off, off + 1):
                    headers = ", ".join(f"{k}={v.decode('utf-8', 'replace')}" for k, v in rec.headers) or "none"
                    key = rec.key.decode("utf-8", "replace") if rec.key is not None else "null"
                    value = rec.value.decode("utf-8", "replace") if rec.value is not None else "null"
                    return (f"<b>{tp} offset {o}</b> on broker {bid}<br>key: {key}<br>value: {value}<br>"
                            f"headers: {headers}<br>timestamp: {rec.timestamp} ms · leader epoch "
                            f"{batch.leader_epoch}")
        return None
