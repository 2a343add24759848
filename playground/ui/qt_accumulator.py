"""The record accumulator drawn live: one card per producer, a row per partition.

Each row is a bar filling toward `batch.size` with the batch's record count, a
countdown bar under it that empties as `linger.ms` runs out ("sends in 3 ms"),
and, when a batch leaves, a green "▶ 101" that fades on the row. Under the rows,
the sender's queue per leader: one box per allowed in-flight request
(`max.in.flight.requests.per.connection`), filled for each request on the wire.

It paints from `producer_cards` (producer_model.py) at the bridge's display time
on every frame; it keeps nothing but the fading "sent" notes.
"""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QRectF, QSize, Qt
from PySide6.QtGui import QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from .producer_model import DUE, FULL, IDLE, SENT, WAITING, ProducerCard, RecentSends, producer_cards
from .qt_theme import COLORS, FLIGHT_COLORS, font

PAD = 10
TITLE_H = 26
LINE_H = 20
ROW_LABEL_H = 22
BAR_H = 26
LINGER_H = 22                       # the countdown track and its words
ROW_GAP = 6
LEADER_H = 28
CARD_GAP = 10
REFRESH_MS = 66                     # real ms between the cards' recomputations while time runs
# How long (real time) a "sent" note stays on a row, whatever the speed.
SENT_FLASH_REAL_MS = 800.0

# Colours (read at paint time, so that a theme switch shows at once): the open batch is the canvas's
# "not committed yet" orange, the linger.ms track its committed blue, a sent batch the ack's green.


def card_height(card: ProducerCard) -> float:
    rows = len(card.rows) * (ROW_LABEL_H + BAR_H + LINGER_H + ROW_GAP)
    leaders = LEADER_H * max(1, len(card.leaders))
    return PAD + TITLE_H + len(card.lines) * LINE_H + 6 + rows + leaders + PAD


class AccumulatorView(QWidget):
    """Paints every producer's accumulator; grows to fit its cards (it sits in a scroll area)."""

    def __init__(self, bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self.recent = RecentSends()
        self._cards: list[ProducerCard] = []
        self._since = QElapsedTimer()
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(240)
        bridge.events_emitted.connect(lambda events: [self.recent.on_event(e) for e in events])
        bridge.frame.connect(self._on_frame)
        self.refresh()

    # -- reading (tests, the panel) -----------------------------------------------------------
    def cards(self) -> list[ProducerCard]:
        """What was last computed for drawing."""
        return list(self._cards)

    def card(self, name: str) -> ProducerCard | None:
        return next((c for c in self._cards if c.name == name), None)

    def flash_ms(self) -> float:
        """A "sent" note's life in virtual ms at the current speed."""
        return max(1.0, SENT_FLASH_REAL_MS * self._bridge.speed)

    # -- drawing --------------------------------------------------------------------------------
    def _on_frame(self, _t: float) -> None:
        # A hidden tab costs nothing (it catches up when shown); while time runs, the cards are
        # recomputed REFRESH_MS apart: batches fill and linger counts down smoothly enough.
        if not self.isVisible():
            return
        if self._bridge.running and self._since.isValid() and self._since.elapsed() < REFRESH_MS:
            return
        self._since.start()
        self.refresh()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        self._cards = producer_cards(self._bridge.view(), self._bridge.display_time, self.recent, self.flash_ms())
        height = int(sum(card_height(c) + CARD_GAP for c in self._cards)) or 60
        if height != self.height():
            self.setFixedHeight(height)
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(320, max(60, self.height()))

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), COLORS["background"])
        if not self._cards:
            p.setPen(COLORS["muted"])
            p.setFont(font(12))
            p.drawText(QRectF(self.rect()).adjusted(8, 4, -8, -4), Qt.AlignmentFlag.AlignCenter
                       | Qt.TextFlag.TextWordWrap, "No producer yet. Start one below: its batches fill here.")
            return
        y = 0.0
        for card in self._cards:
            h = card_height(card)
            self._draw_card(p, QRectF(2, y + 2, self.width() - 4, h - 2), card)
            y += h + CARD_GAP
        p.end()

    def _draw_card(self, p: QPainter, rect: QRectF, card: ProducerCard) -> None:
        edge = COLORS["produce"] if card.running else COLORS["faint"]
        p.setPen(QPen(edge, 3 if card.running else 2))
        p.setBrush(COLORS["producer_bg"] if card.running else COLORS["lane_bg"])
        p.drawRoundedRect(rect, 10, 10)
        x, w = rect.left() + PAD, rect.width() - 2 * PAD
        y = rect.top() + PAD
        p.setFont(font(12, bold=True))
        fm = QFontMetricsF(p.font())
        state_w = min(fm.horizontalAdvance(card.state) + 4, w * 0.6)
        p.setPen(COLORS["produce"] if card.running else COLORS["muted"])
        p.drawText(QRectF(x + w - state_w, y, state_w, TITLE_H), Qt.AlignmentFlag.AlignVCenter
                   | Qt.AlignmentFlag.AlignRight, fm.elidedText(card.state, Qt.TextElideMode.ElideRight, state_w))
        p.setPen(COLORS["text"])
        p.setFont(font(15, bold=True))
        fm = QFontMetricsF(p.font())
        p.drawText(QRectF(x, y, w - state_w - 6, TITLE_H), Qt.AlignmentFlag.AlignVCenter,
                   fm.elidedText(card.name, Qt.TextElideMode.ElideRight, w - state_w - 6))
        y += TITLE_H
        p.setFont(font(12))
        fm = QFontMetricsF(p.font())
        for line in card.lines:
            p.drawText(QRectF(x, y, w, LINE_H), Qt.AlignmentFlag.AlignVCenter,
                       fm.elidedText(line, Qt.TextElideMode.ElideRight, w))
            y += LINE_H
        y += 6
        for row in card.rows:
            self._draw_row(p, x, y, w, row)
            y += ROW_LABEL_H + BAR_H + LINGER_H + ROW_GAP
        self._draw_leaders(p, x, y, w, card)

    def _draw_row(self, p: QPainter, x: float, y: float, w: float, row) -> None:
        # the partition, and how many records its batch holds
        p.setFont(font(13, bold=True))
        p.setPen(COLORS["text"])
        p.drawText(QRectF(x, y, w, ROW_LABEL_H), Qt.AlignmentFlag.AlignVCenter, row.tp)
        if row.records:
            p.drawText(QRectF(x, y, w, ROW_LABEL_H), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                       f"{row.records} record{'s' if row.records != 1 else ''}")
        # the batch filling toward batch.size
        bar = QRectF(x, y + ROW_LABEL_H, w, BAR_H)
        p.setPen(QPen(COLORS["muted"], 1.5))
        p.setBrush(COLORS["background"])
        p.drawRoundedRect(bar, 4, 4)
        filled = QRectF(bar.left(), bar.top(), 0, bar.height())
        if row.records:
            # A few hundred bytes of a 16 KB batch would be a sliver: never thinner than 6 px.
            filled.setWidth(max(6.0, bar.width() * row.fill))
            p.setPen(QPen(COLORS["uncommitted_edge"], 1.5))
            p.setBrush(COLORS["uncommitted"])
            p.drawRoundedRect(filled, 4, 4)
        p.setFont(font(12))
        size = f"{_bytes(row.bytes)} / {_bytes(row.batch_size)}" if row.records else f"0 / {_bytes(row.batch_size)}"
        if row.compression_ratio:
            size += f" · {row.compression_ratio:.1f}:1"
        # Dark text over the orange fill, the theme's text colour over the rest of the bar.
        for clip, pen in ((filled, COLORS["on_bright"]),
                          (QRectF(filled.right(), bar.top(), bar.right() - filled.right(), bar.height()),
                           COLORS["text"])):
            if clip.width() <= 0:
                continue
            p.save()
            p.setClipRect(clip)
            p.setPen(pen)
            p.drawText(bar.adjusted(8, 0, -8, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, size)
            p.restore()
        if row.flash is not None:
            self._draw_sent(p, bar, row)
        # linger.ms: a track that empties as the deadline comes, and the words for it
        line = QRectF(x, bar.bottom(), w, LINGER_H)
        track = QRectF(x, line.center().y() - 4, w * 0.42, 8)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(COLORS["column"])
        p.drawRect(track)
        if row.linger_left is not None and row.linger_ms > 0:
            p.setBrush(COLORS["committed"])
            p.drawRect(QRectF(track.left(), track.top(), track.width() * min(1.0, row.linger_left / row.linger_ms),
                              track.height()))
        colour = {FULL: COLORS["error"], DUE: COLORS["error"], SENT: COLORS["good"], IDLE: COLORS["muted"],
                  WAITING: COLORS["uncommitted_edge"]}.get(row.state, COLORS["committed"])
        p.setPen(colour)
        p.setFont(font(12, bold=row.state != IDLE))
        fm = QFontMetricsF(p.font())
        room = line.right() - track.right() - 8
        p.drawText(QRectF(track.right() + 8, line.top(), room, line.height()),
                   Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                   fm.elidedText(row.text, Qt.TextElideMode.ElideRight, room))

    def _draw_sent(self, p: QPainter, bar: QRectF, row) -> None:
        text = f"▶ {row.sent_to}"
        p.setFont(font(12, bold=True))
        fm = QFontMetricsF(p.font())
        tag = QRectF(bar.right() - fm.horizontalAdvance(text) - 14, bar.top() + 1, fm.horizontalAdvance(text) + 12,
                     bar.height() - 2)
        p.setOpacity(max(0.0, 1.0 - row.flash))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(FLIGHT_COLORS["ack"])
        p.drawRoundedRect(tag, 5, 5)
        p.setPen(COLORS["on_dark"])
        p.drawText(tag, Qt.AlignmentFlag.AlignCenter, text)
        p.setOpacity(1.0)

    def _draw_leaders(self, p: QPainter, x: float, y: float, w: float, card: ProducerCard) -> None:
        p.setFont(font(12))
        fm = QFontMetricsF(p.font())
        if not card.leaders:
            p.setPen(COLORS["muted"])
            p.drawText(QRectF(x, y, w, LEADER_H), Qt.AlignmentFlag.AlignVCenter, "no request in flight")
            return
        for leader, in_flight, limit, ready_batches, _ready_records in card.leaders:
            label = f"to {leader}" if leader >= 0 else "no leader"
            p.setPen(COLORS["text"])
            p.drawText(QRectF(x, y, 60, LEADER_H), Qt.AlignmentFlag.AlignVCenter, label)
            bx = x + fm.horizontalAdvance(label) + 8
            box = 12.0
            for i in range(min(limit, 10)):
                p.setPen(QPen(FLIGHT_COLORS["produce"], 1.5))
                p.setBrush(FLIGHT_COLORS["produce"] if i < in_flight else COLORS["background"])
                p.drawRect(QRectF(bx + i * (box + 3), y + (LEADER_H - box) / 2, box, box))
            tx = bx + min(limit, 10) * (box + 3) + 6
            text = f"{in_flight} in flight"
            if ready_batches:
                text += f" · {ready_batches} ready"
            p.setPen(COLORS["error"] if in_flight >= limit else COLORS["text"])
            p.drawText(QRectF(tx, y, x + w - tx, LEADER_H), Qt.AlignmentFlag.AlignVCenter,
                       fm.elidedText(text, Qt.TextElideMode.ElideRight, x + w - tx))
            y += LEADER_H


def _bytes(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    return f"{n // 1024} KB" if n % 1024 == 0 else f"{n / 1024:.1f} KB"
