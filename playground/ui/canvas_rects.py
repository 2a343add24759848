"""Where things are on the cluster canvas, in widget coordinates (where to click), whatever the zoom.

Tests, menus and lessons ask the canvas where a broker's header, a consumer's card or one
record's cell was drawn in the last paint; the canvas keeps its layout in logical
coordinates (presenter mode draws everything zoomed), and these answers scale it.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF

from playground.engine.protocol import TopicPartition


class CanvasRects:
    """Mixed into ClusterCanvas, whose layout (`_anchors`, `_chips`, `_lanes`, `_external`, `_cells`,
    `_zoom`) it reads."""

    def _to_widget(self, rect: QRectF | None) -> QRectF | None:
        if rect is None or self._zoom == 1.0:
            return rect
        z = self._zoom
        return QRectF(rect.left() * z, rect.top() * z, rect.width() * z, rect.height() * z)

    # Rects are in widget coordinates (where to click), whatever the zoom.
    def broker_rect(self, broker_id: int) -> QRectF | None:        # its header (click: the fault menu)
        return self._to_widget(self._anchors.get(("broker", broker_id)))

    def controller_rect(self, node_id: int) -> QRectF | None:
        return self._to_widget(self._chips.get(node_id))

    def consumer_rect(self, name: str) -> QRectF | None:
        """The consumer's card in its group's lane (click it for Stop · Crash · Pause · Resume)."""
        return self._to_widget(next((rect for lane in self._lanes for card, rect, _ in lane.cards
                                     if card.name == name), None))

    def producer_rect(self, name: str) -> QRectF | None:         # its box in the clients column
        return self._to_widget(self._anchors.get(("client", name)) if name in self._bridge.view().producers()
                               else None)

    def external_client_rect(self, client_id: str) -> QRectF | None:      # a real client's card
        return self._to_widget(next((r for c, r in self._external if c.client_id == client_id), None))

    def lane_rect(self, group_id: str) -> QRectF | None:
        return self._to_widget(next((lane.rect for lane in self._lanes if lane.lane.group_id == group_id), None))

    def strip_rect(self, broker_id: int, topic: str, partition: int) -> QRectF | None:   # its offset cells
        return self._to_widget(self._anchors.get(("replica", broker_id, TopicPartition(topic, partition))))

    def cell_rect(self, broker_id: int, topic: str, partition: int, offset: int) -> QRectF | None:
        """The cell of one record on one replica, as drawn in the last paint."""
        return self._to_widget(next((rect for rect, bid, tp, off in self._cells if bid == broker_id
                                     and tp == TopicPartition(topic, partition) and off == offset), None))
