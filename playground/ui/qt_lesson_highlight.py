"""What a lesson step is about, outlined on the canvas: a broker, a partition, a topic, a consumer,
a group or the active controller.

A transparent widget laid over the canvas (mouse clicks go through it). It
asks the canvas where things were drawn in its last paint (`broker_rect`,
`drawn_strips`, `consumer_rect`, `controller_rect`) and resolves
`{leader_of: orders/0}` against the live view, so the outline follows a
leader that moves.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QWidget

from playground.lessons.model import LookAt

from .qt_theme import COLORS

PAD = 5.0


class HighlightOverlay(QWidget):
    def __init__(self, canvas, bridge) -> None:
        super().__init__(canvas)
        self._canvas = canvas
        self._bridge = bridge
        self._look = LookAt()
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setGeometry(canvas.rect())
        canvas.installEventFilter(self)
        bridge.frame.connect(lambda _t: self.update() if self._look else None)
        self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._canvas and event.type() == QEvent.Type.Resize:
            self.setGeometry(self._canvas.rect())
        return False

    def set_look_at(self, look: LookAt | None) -> None:
        self._look = look or LookAt()
        self.setVisible(bool(self._look))
        self.raise_()
        self.update()

    @property
    def look_at(self) -> LookAt:
        return self._look

    def targets(self) -> list[tuple[str, QRectF]]:
        """(label, rect) of everything outlined now; empty until the canvas has painted once."""
        canvas, view, look = self._canvas, self._bridge.view(), self._look
        strips = canvas.drawn_strips()
        out: list[tuple[str, QRectF]] = []

        def union(label: str, rects: list[QRectF]) -> None:
            rects = [r for r in rects if r is not None and not r.isNull()]
            if rects:
                box = rects[0]
                for r in rects[1:]:
                    box = box.united(r)
                out.append((label, box.adjusted(-PAD, -PAD, PAD, PAD)))

        for ref in look.brokers:
            broker = ref
            if isinstance(ref, dict):
                tp = ref["leader_of"]
                leader = next((p.leader for p in view.partitions(tp[0]) if p.partition == tp[1]), -1)
                if leader < 0:
                    continue
                broker = leader
            union(f"broker {broker}", [canvas.broker_rect(broker)] + [s.rect for s in strips if s.broker == broker])
        for topic, partition in look.partitions:
            union(f"{topic}/{partition}", [s.rect for s in strips if s.topic == topic and s.partition == partition])
        for topic in look.topics:
            union(topic, [s.rect for s in strips if s.topic == topic])
        for name in look.consumers:
            union(name, [canvas.consumer_rect(name)])
        for group in look.groups:
            lane = next((lane for lane in canvas.group_lanes() if lane.group_id == group), None)
            if lane is not None:
                union(group, [canvas.consumer_rect(card.name) for card in lane.members])
        if look.controller and view.controller_id is not None:
            union("controller", [canvas.controller_rect(view.controller_id)])
        return out

    def paintEvent(self, event) -> None:
        if not self._look:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = QColor(COLORS["warning"]).darker(135)
        p.setPen(QPen(colour, 4, Qt.PenStyle.DashLine))
        fill = QColor(colour)
        fill.setAlpha(28)
        p.setBrush(fill)
        for _label, rect in self.targets():
            p.drawRoundedRect(rect, 8, 8)
        p.end()
