"""The cluster canvas: the control plane on top, brokers as columns, replicas as offset strips.

Each frame it reads `bridge.view()` and draws what it says: no copy of
offsets, ISR or watermarks is kept here. Partition rows line up across broker
columns, so a leader and its followers sit side by side and a replication
fetch travels along the row. Moving dots come from `bridge.messages_sent`
(see `flights.py`) and disappear when their message has arrived; flashes and
captions come from engine events (see `effects.py`) and fade out.

Painting is split by what is painted: `canvas_brokers` (columns, replica
strips), `canvas_control` (control plane, links, captions), `canvas_clients`
(producers, group lanes), `canvas_flights` (moving messages), `canvas_storage`
(markers, segments); this module lays them out and handles the mouse (fault
menus of brokers, controllers and consumers; scrolling back in a log).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from playground.engine.events import EventKind
from playground.engine.protocol import TopicPartition

from . import canvas_tooltips as tips, effects as fx, flights as fl, paint_cache as pc, storage_effects as sfx
from .canvas_brokers import CELL_W, Row, StripInfo, cells_rect, draw_broker, draw_no_replica
from .canvas_clients import (CLIENT_GAP, PRODUCER_H, PRODUCER_H_COMPACT, LaneLayout, draw_external, draw_lane,
                             draw_lone_consumer, draw_owner_tags, draw_producer, layout_external, layout_lanes)
from .canvas_control import (CAPTION_H, CONTROL_H, MetadataStamps, chip_rects, draw_captions, draw_control_plane,
                             draw_links)
from .canvas_flights import draw_flights, end_point
from .canvas_rects import CanvasRects
from .canvas_layer import COMPOSE, PARTS, PREPARE, SceneLayer
from .canvas_storage import STORAGE_STRIP_H, StorageLayer
from .canvas_strips import StripCache
from .canvas_model import BrokerBadge, ControlPlane, broker_badges, control_plane
from .group_model import CRASHED, STOPPED, GroupLane, OwnerColours, coordinators, group_lanes, owners
from .qt_broker_actions import BrokerActions
from .qt_theme import COLORS, draw_legend, font, legend_height

__all__ = ["ClusterCanvas", "StripInfo"]

MARGIN = 14
CLIENTS_W = 230             # at most; narrower windows give the clients column less
GROUPS_W = 290              # the clients column when it holds consumer groups
LINK_H = 20                 # between the control plane and the broker headers: the heartbeat links
TOP_H = CONTROL_H + LINK_H
HEADER_H = 62
ROW_GAP = 40
STRIP_MIN_H = 98
STRIP_MAX_H = 124
MAX_CAPTIONS = 3
# Events after which the controller has written metadata records (to highlight the new ones).
METADATA_KINDS = fx.KINDS | {EventKind.TOPIC_CREATED, EventKind.TOPIC_DELETED, EventKind.PARTITIONS_ADDED,
                             EventKind.CONFIG_ALTERED}


class ClusterCanvas(CanvasRects, QWidget):
    consumer_clicked = Signal(str, QPoint)      # a consumer's card was clicked: its name, where (global)

    def __init__(self, bridge, actions: BrokerActions | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self.actions = actions if actions is not None else BrokerActions(bridge, self)
        self.effects = fx.Effects(bridge.display_time)
        self._flights: list[fl.Flight] = []
        self._pending: list = []                # network messages since the last frame, not classified yet
        self._show_control = False
        self._strips: list[StripInfo] = []
        self._cells: list[tuple[QRectF, int, TopicPartition, int]] = []
        self._anchors: dict[tuple, QRectF] = {}
        self._rows: dict[TopicPartition, Row] = {}
        self._columns: dict[int, tuple[float, float]] = {}
        self._chips: dict[int, QRectF] = {}
        self._control_box = QRectF()
        self._plane: ControlPlane | None = None
        self._metadata = MetadataStamps()       # new metadata records, highlighted for a moment
        self._menu = None
        self._clients_w = float(CLIENTS_W)
        self._zoom = 1.0                        # presenter mode draws everything this much larger
        self._legend_h, self._legend_for = 78.0, (-1.0, False, False)
        self.storage = StorageLayer()           # transaction markers, segments, storage effects
        self.strip_cache = StripCache()         # while time runs, a picture redraws some of the strips
        self.layer = SceneLayer()               # ... and the picture is redrawn every few frames
        self._visible = QRectF()                # the part of the canvas the picture covers (logical)
        bridge.frame_hooks.append(self._frame_starting)
        self._colours = OwnerColours()          # consumer -> colour, kept so that colours never change
        self._lanes: list[LaneLayout] = []
        self._group_lanes: list[GroupLane] | None = None       # the groups as the picture last showed them
        self._owner_tags: dict[tuple[int, TopicPartition], tuple[str, ...]] = {}
        self.external_clients = list            # real clients (qt_wire.KafkaListener.clients); their nodes anchor
        self._external: list = []               # to their card, so their requests fly like simulated ones
        self.external_members = frozenset       # (group, member id) of real clients' group members
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAutoFillBackground(False)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)      # click the canvas, then Space/→ drive time
        self.setMouseTracking(True)
        bridge.messages_sent.connect(self._on_messages)
        bridge.events_emitted.connect(self._on_events)
        bridge.frame.connect(self._on_frame)
        self.actions.selection_changed.connect(lambda _b: self._refresh())

    # -- binding -----------------------------------------------------------------
    def _on_messages(self, messages: list) -> None:
        # Classified once per frame, if still in flight then (at 1 ms hops most are never drawn).
        self._pending.extend(messages)
        if len(self._pending) > 20_000:         # time run without frames (fast-forward): drop the arrived
            now = self._bridge.now
            self._pending = [m for m in self._pending if m.arrive_at > now]

    def _classify_pending(self, t: float) -> None:
        pending, self._pending = self._pending, []
        live = [m for m in pending if m.arrive_at > t]
        if not live:
            return
        view = self._bridge.view()
        controllers = fl.controller_nodes(view)
        for msg in live[-3000:]:                # 100x with lots of traffic: keep the newest
            self._flights.extend(fl.classify(msg, view, self._show_control, controllers))
        if len(self._flights) > 3000:
            del self._flights[:-2000]

    def _on_events(self, events: list) -> None:
        for event in events:
            if event.kind in sfx.KINDS:
                self.storage.on_event(self.effects, event, self._bridge.speed, self._bridge.view())
            if event.kind in METADATA_KINDS:
                view = self._bridge.view()
                if event.kind in fx.KINDS:
                    self.effects.on_event(event, self._bridge.speed, view.controller_id, view.controller_mode)
                if event.kind not in fx.GROUP_KINDS:
                    self._metadata.stamp(view, self.effects.start_of(event.time, self._bridge.speed))

    def _on_frame(self, t: float) -> None:
        self.effects.advance(t, self._bridge.speed)
        self._metadata.stamp(self._bridge.view(), self.effects.playback)
        self._classify_pending(t)
        self._flights = [f for f in self._flights if f.arrive_at > t]
        if self.layer.claimed:
            self.layer.step(self._scene, self._layer_key())
        self.update()

    def _frame_starting(self) -> None:
        if self.isVisible():                    # a hidden canvas (a minimised window) claims no frames
            self.layer.frame_starting(self._bridge.frame_budget)

    def _refresh(self) -> None:
        """Something the picture shows changed outside the frames (a click, a scroll): redraw it now."""
        self.layer.invalidate()
        self.update()

    def set_show_control_traffic(self, show: bool) -> None:
        """Show metadata fetches, heartbeats and Raft fetches (hidden by default: constant chatter)."""
        self._show_control = show
        if not show:
            self._flights = [f for f in self._flights if f.kind != fl.CONTROL]
        self._refresh()

    def set_zoom(self, zoom: float) -> None:
        """Draw everything `zoom` times larger (presenter mode: 1.5); the layout fits the smaller
        logical size, so text, lines and boxes all grow together and nothing overflows."""
        self._zoom = float(zoom)
        self._legend_for = (-1.0, False, False)
        self.updateGeometry()
        self._refresh()

    @property
    def zoom(self) -> float:
        return self._zoom

    def _lw(self) -> float:
        return self.width() / self._zoom

    def _lh(self) -> float:
        return self.height() / self._zoom

    # -- introspection (tests, tooltips, menus) -------------------------------------------
    def drawn_strips(self) -> list[StripInfo]:
        return list(self._strips)

    def flights(self) -> list[fl.Flight]:
        self._classify_pending(self._bridge.display_time)
        return list(self._flights)

    def control_plane(self) -> ControlPlane:
        """The control plane as the canvas shows it now."""
        return control_plane(self._bridge.view())

    def broker_badges(self) -> list[BrokerBadge]:
        """Each broker header's state and tags as the canvas shows them now."""
        view = self._bridge.view()
        return broker_badges(view, control_plane(view, log_lines=0), coordinators(group_lanes(view, self._colours)))

    def group_lanes(self) -> list[GroupLane]:
        """Each consumer group's lane as the canvas shows it now (state, members, partitions, lag)."""
        return group_lanes(self._bridge.view(), self._colours, self.external_members())

    def owner_tags(self) -> dict[tuple[int, TopicPartition], tuple[str, ...]]:
        """(leader broker, partition) -> the "g1 ▸ c1 · lag 3" tags drawn on its strip in the last paint."""
        return dict(self._owner_tags)

    def captions(self) -> list[str]:
        return [c.text for c, _ in self.effects.captions()[-MAX_CAPTIONS:]]

    def hit(self, pos: QPointF) -> tuple[str, int | str] | None:
        """("broker", id) for a broker's header or column, ("controller", id) for a voter, ("consumer", name)
        for a consumer's card, else None. `pos` is in widget coordinates."""
        return self._hit_logical(self._logical(pos))

    def _hit_logical(self, pos: QPointF) -> tuple[str, int | str] | None:
        for lane in self._lanes:
            for card, rect, _lines in lane.cards:
                if rect.contains(pos) and card.state not in (CRASHED, STOPPED):
                    return ("consumer", card.name)
        for node_id, rect in self._chips.items():
            if rect.contains(pos):
                return ("controller", node_id)
        bottom = self._lh() - self._legend_h - MARGIN
        for bid, (x, w) in self._columns.items():
            header = self._anchors.get(("broker", bid))
            if header is not None and x <= pos.x() <= x + w and header.top() <= pos.y() <= bottom:
                return ("broker", bid)
        return None

    def sizeHint(self) -> QSize:
        return QSize(1200, 760)

    def minimumSizeHint(self) -> QSize:
        return QSize(800, 480)

    # -- layout -------------------------------------------------------------------
    def _layout(self, view, plane: ControlPlane, lanes: list[GroupLane]) -> list[tuple[str, list]]:
        """Compute anchors (clients, brokers, controllers, strips) and rows; return topics' partitions."""
        w, h = self._lw(), self._lh()
        groups = bool(lanes)
        if groups:
            self._clients_w = max(200.0, min(float(GROUPS_W), 0.22 * w))
        else:
            self._clients_w = max(180.0, min(float(CLIENTS_W), 0.18 * w))
        topics = [(t, view.partitions(t)) for t in view.topic_names(include_internal=False)]
        self.storage.begin_paint(view, topics)
        legend = (w, groups, self.storage.legend)
        if self._legend_for != legend:
            self._legend_h, self._legend_for = legend_height(w - 2 * MARGIN, groups, legend[2]) + 12, legend
        self._anchors = {}
        self._rows = {}
        self._columns = {}
        n_rows = sum(len(parts) for _, parts in topics)
        brokers = view.brokers()
        left = MARGIN + self._clients_w + MARGIN
        col_gap = 22.0
        col_w = (w - left - MARGIN - col_gap * (len(brokers) - 1)) / max(1, len(brokers))
        head_top = MARGIN + TOP_H
        for i, b in enumerate(brokers):
            x = left + i * (col_w + col_gap)
            self._columns[b.broker_id] = (x, col_w)
            self._anchors[("broker", b.broker_id)] = QRectF(x, head_top, col_w, HEADER_H)
        self._control_box = QRectF(left, MARGIN, w - left - MARGIN, CONTROL_H)
        self._chips = chip_rects(self._control_box, plane)
        for node_id, rect in self._chips.items():
            self._anchors[("controller", node_id)] = rect
        if plane.controller_broker is not None and ("broker", plane.controller_broker) in self._anchors:
            self._anchors[("controller", plane.controller_broker)] = self._anchors[("broker", plane.controller_broker)]
        rows_top = head_top + HEADER_H + ROW_GAP
        avail = h - rows_top - self._legend_h - MARGIN
        strip_h = STRIP_MIN_H if n_rows == 0 else min(STRIP_MAX_H, max(STRIP_MIN_H, avail / n_rows - ROW_GAP))
        if self.storage.any_bar:                # room for the segment bar under the HW / LEO labels
            strip_h = max(strip_h, STORAGE_STRIP_H)
        inner = col_w - 24
        n_cells = max(4, int(inner // CELL_W))
        y = rows_top
        for topic, parts in topics:
            for pv in parts:
                tp = TopicPartition(topic, pv.partition)
                leo_max = max(pv.log_end_offsets.values(), default=pv.log_start_offset)
                start = sfx.row_start(self.effects, topic, pv.partition, pv.log_start_offset)
                first = self.storage.row_first(tp, pv.log_start_offset, max(start, leo_max + 2 - n_cells))
                self._rows[tp] = Row(tp, y, first, n_cells)
                for bid in pv.replicas:
                    if bid in self._columns:
                        x, cw_ = self._columns[bid]
                        self._anchors[("replica", bid, tp)] = QRectF(x, y, cw_, strip_h)
                y += strip_h + ROW_GAP
        bottom = self._layout_clients(view, lanes, rows_top, y - ROW_GAP)
        self.setMinimumHeight(int((max(y - ROW_GAP, bottom) + self._legend_h + MARGIN + 10) * self._zoom))
        return topics

    def _layout_clients(self, view, lanes: list[GroupLane], rows_top: float, rows_bottom: float) -> float:
        """Producers, then the group lanes (their cards are the consumers' anchors); returns the bottom."""
        producers = list(view.producers())
        box_h = PRODUCER_H_COMPACT if lanes else PRODUCER_H
        gap = CLIENT_GAP if lanes else 18.0
        total = len(producers) * box_h + max(0, len(producers) - 1) * gap
        if lanes:
            cy = rows_top
        else:                               # producers alone: centred on the partition rows
            mid = (rows_top + max(rows_top + 2 * box_h, rows_bottom)) / 2
            cy = max(rows_top, mid - total / 2)
        for name in producers:
            self._anchors[("client", name)] = QRectF(MARGIN, cy, self._clients_w, box_h)
            cy += box_h + gap
        self._lanes = layout_lanes(lanes, self.effects, MARGIN, cy, self._clients_w)
        for lane in self._lanes:
            for card, rect, _lines in lane.cards:
                self._anchors.setdefault(("client", card.name), rect)
        cy = self._lanes[-1].rect.bottom() + gap if self._lanes else cy
        for name, c in view.consumers().items():       # consumers outside any group (assign())
            if c.group is None and ("client", name) not in self._anchors:
                self._anchors[("client", name)] = QRectF(MARGIN, cy, self._clients_w, 64)
                cy += 64 + gap
        self._external = layout_external(self.external_clients(), MARGIN, cy, self._clients_w, gap)
        for client, rect in self._external:
            self._anchors.update({("client", node): rect for node in client.nodes})
            cy = rect.bottom() + gap
        return cy - gap

    def _offset_x(self, strip: QRectF, row: Row, offset: int) -> float:
        cells = cells_rect(strip)
        return cells.left() + (offset - row.first) * cells.width() / row.cells

    # -- painting -----------------------------------------------------------------
    def paintEvent(self, event) -> None:
        # The picture without flights and captions is renewed in claimed frames while time runs (see
        # canvas_layer), and drawn in one go when it cannot be right; the moving parts are drawn over
        # a copy of it in every paint.
        exposed = event.rect()
        key = self._layer_key()
        if self.layer.needs_redraw(self._bridge.running, key, exposed):
            self.layer.redraw(self._scene, key, self.width(), self.height(), self.devicePixelRatioF(), exposed)
        p = QPainter(self)
        self.layer.copy_to(p, exposed)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        p.scale(self._zoom, self._zoom)
        self._draw_flights(p, self._bridge.display_time, self._visible)
        captions = self.effects.captions()[-MAX_CAPTIONS:]
        if captions:
            legend_top = self._lh() - self._legend_h - MARGIN + 8
            left = MARGIN + self._clients_w + MARGIN
            draw_captions(p, QRectF(left, legend_top - 3 * CAPTION_H, self._lw() - left - MARGIN,
                                    3 * CAPTION_H + self._legend_h - 8), captions)
        p.end()

    def _layer_key(self) -> tuple:
        """What the picture's pixels depend on beside the cluster: size, screen scale, zoom, palette."""
        return self.width(), self.height(), self.devicePixelRatioF(), self._zoom, pc.generation()

    def _scene(self, p: QPainter, mode: str, exposed):
        """Everything but the flights and captions: layout, control plane, brokers, clients, strips, legend
        (a generator: it yields once, after the control plane, brokers and clients, so that composing
        can take two frames); PREPARE: only the strips, into their own pixmaps (see canvas_strips)."""
        view = self._bridge.view()
        plane = control_plane(view)
        self._plane = plane
        if mode != PREPARE or self._group_lanes is None:      # the strips need only who coordinates
            self._group_lanes = group_lanes(view, self._colours, self.external_members())
        lanes = self._group_lanes
        badges = broker_badges(view, plane, coordinators(lanes))
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        if mode != PREPARE:
            p.fillRect(QRectF(0, 0, self.width(), self.height()), COLORS["background"])
            self._visible = QRectF(exposed.x() / self._zoom, exposed.y() / self._zoom,
                                   exposed.width() / self._zoom, exposed.height() / self._zoom)
        p.scale(self._zoom, self._zoom)
        topics = self._layout(view, plane, lanes)
        self.strip_cache.begin_paint(mode, self._visible, *((self.layer.prepared_parts, PARTS) if mode == PREPARE
                                                            else (0, PARTS) if mode == COMPOSE else (0, 1)))
        if mode == PREPARE:
            by_id = {b.broker_id: b for b in badges}
            zombies = {(z.broker_id, z.topic, z.partition): z for z in view.zombie_leaders()}
            for _topic, parts in topics:
                for pv in parts:
                    self._draw_row(p, view, pv, by_id, zombies, [], [])
            return
        strips, cells, tags = [], [], {}
        headers = {b.broker_id: self._anchors[("broker", b.broker_id)] for b in badges}
        draw_links(p, self._control_box, headers, badges)
        draw_control_plane(p, self._control_box, plane, self._chips, self._metadata.fresh(plane, self.effects.playback))
        bottom = self._lh() - self._legend_h - MARGIN
        selected = self.actions.selected
        for badge in badges:
            x, w = self._columns[badge.broker_id]
            header = headers[badge.broker_id]
            draw_broker(p, badge, header, QRectF(x, header.top(), w, bottom - header.top()),
                        badge.broker_id == selected)
        self._draw_clients(p, view, lanes)
        yield                                   # composing: the rest in the next claimed frame
        if not topics:
            p.setFont(font(15))
            p.setPen(COLORS["muted"])
            p.drawText(QRectF(MARGIN + self._clients_w, MARGIN + TOP_H + HEADER_H + 30,
                              self._lw() - self._clients_w - 40, 60),
                       Qt.AlignmentFlag.AlignCenter, "No topics yet: create one with Topic ▸ New topic… (Ctrl+N)")
        by_id = {b.broker_id: b for b in badges}
        zombies = {(z.broker_id, z.topic, z.partition): z for z in view.zombie_leaders()}
        readers = owners(lanes)
        lag = {(lane.group_id, tp): v for lane in lanes for tp, v in lane.lag.items()}
        committed = {(lane.group_id, tp): v for lane in lanes for tp, v in lane.committed.items()}
        for topic, parts in topics:
            for pv in parts:
                self._draw_row(p, view, pv, by_id, zombies, strips, cells)
                self._draw_owners(p, pv, readers, lag, committed, tags)
        legend_top = self._lh() - self._legend_h - MARGIN + 8
        draw_legend(p, QRectF(MARGIN, legend_top, self._lw() - 2 * MARGIN, self._legend_h - 8), bool(lanes),
                    self.storage.legend)
        self._strips, self._cells, self._owner_tags = strips, cells, tags

    def _draw_clients(self, p: QPainter, view, lanes: list[GroupLane]) -> None:
        top = MARGIN + TOP_H
        p.setPen(COLORS["muted"])
        p.setFont(font(14, bold=True))
        p.drawText(QRectF(MARGIN, top, self._clients_w, HEADER_H), Qt.AlignmentFlag.AlignCenter, "Clients")
        producers = view.producers()
        consumers = view.consumers()
        for client, rect in self._external:
            draw_external(p, client, rect)
        if not producers and not consumers and not self._external:
            p.setFont(font(12))
            p.drawText(QRectF(MARGIN, top + HEADER_H + ROW_GAP, self._clients_w, 120),
                       Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
                       "No producers yet.\nSend a record from the Produce panel (Ctrl+Enter).")
            return
        for name, stats in producers.items():
            draw_producer(p, self._anchors[("client", name)], name, stats,
                          view.producer_config(name).get("acks", "?"), view.producer_txn(name))
        for lane in self._lanes:
            draw_lane(p, lane)
        for name, c in consumers.items():          # consumers outside any group (assign())
            rect = self._anchors.get(("client", name))
            if rect is not None and c.group is None and name not in producers:
                draw_lone_consumer(p, rect, name)

    def _draw_owners(self, p: QPainter, pv, readers: dict, lag: dict, committed: dict, tags: dict) -> None:
        """Who reads the partition: tags on its leader strip, in each reader's colour."""
        tp = TopicPartition(pv.topic, pv.partition)
        found = readers.get(tp)
        strip = self._anchors.get(("replica", pv.leader, tp))
        if found and strip is not None:
            tags[(pv.leader, tp)] = draw_owner_tags(p, strip, found, lag, committed, self._rows[tp], tp)

    def _draw_row(self, p: QPainter, view, pv, badges: dict, zombies: dict, strips: list, cells: list) -> None:
        tp = TopicPartition(pv.topic, pv.partition)
        row = self._rows[tp]
        hosted = set(pv.replicas)
        for bid, (x, w) in self._columns.items():
            if bid not in hosted and strips is self._strips:
                draw_no_replica(p, QRectF(x + 10, row.top + 20, w - 20, 44), tp)
        for bid in pv.replicas:
            rect = self._anchors.get(("replica", bid, tp))
            if rect is not None:
                info = self.strip_cache.draw(p, view, pv, bid, rect, row, badges.get(bid),
                                             zombies.get((bid, pv.topic, pv.partition)),
                                             self.effects.for_strip(bid, pv.topic, pv.partition), cells,
                                             self.storage)
                strips.append(info)

    # -- flights --------------------------------------------------------------------
    def _end_point(self, end: tuple, flight: fl.Flight, is_src: bool) -> QPointF | None:
        return end_point(self._anchors, self._rows, self._bridge.view, end, flight, is_src)

    def _draw_flights(self, p: QPainter, t: float, visible: QRectF | None = None) -> None:
        draw_flights(p, self._flights, t, self._end_point, visible)

    # -- mouse: the fault menus, looking back in a log ------------------------------------------------
    def wheelEvent(self, e) -> None:
        """Over a replica strip the wheel scrolls its offsets (up: older); elsewhere, the window."""
        pos = self._logical(e.position())
        tp = next((k[2] for k, rect in self._anchors.items() if k[0] == "replica" and rect.contains(pos)), None)
        steps = e.angleDelta().y() // 120 or (1 if e.angleDelta().y() > 0 else -1 if e.angleDelta().y() else 0)
        if tp is None or tp not in self._rows or not steps:
            super().wheelEvent(e)
            return
        self.storage.scroll(tp, self._rows[tp].first, -2 * steps)
        self._refresh()
        e.accept()

    def mousePressEvent(self, e) -> None:
        block = self.storage.block_at(self._logical(e.position()))
        if block is not None:                   # a segment in the bar: show its cells
            self.storage.pinned[block[1]] = block[2].base_offset
            self._refresh()
            e.accept()
            return
        hit = self.hit(e.position())
        if hit is None:
            text = self._tooltip_at(e.position())      # a producer, a group lane: clicking tells what it is
            if text:
                QToolTip.showText(e.globalPosition().toPoint(), text, self)
                e.accept()
                return
            super().mousePressEvent(e)
            return
        kind, node = hit
        if kind == "consumer":
            self.consumer_clicked.emit(node, e.globalPosition().toPoint())
            e.accept()
            return
        if kind == "broker":
            self.actions.select(node)
            menu = self.actions.broker_menu(node, self)
        else:
            menu = self.actions.controller_menu(node, self)
        if self._menu is not None:
            self._menu.deleteLater()
        self._menu = menu
        menu.popup(e.globalPosition().toPoint())
        e.accept()

    def open_menu(self, broker_id: int):
        """The fault menu of a broker, popped up under its header (keyboard: M)."""
        rect = self.broker_rect(broker_id)
        if rect is None:
            return None
        self.actions.select(broker_id)
        if self._menu is not None:
            self._menu.deleteLater()
        self._menu = self.actions.broker_menu(broker_id, self)
        self._menu.popup(self.mapToGlobal(rect.bottomLeft().toPoint()))
        return self._menu

    def current_menu(self):
        return self._menu

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

    def _logical(self, pos: QPointF) -> QPointF:
        return QPointF(pos.x() / self._zoom, pos.y() / self._zoom)     # presenter mode draws zoomed

    def _tooltip_at(self, pos: QPointF) -> str | None:
        """What is under `pos` (widget coordinates) and its numbers now: a record's cell, a replica strip,
        a consumer, a group lane, a producer, a controller or a broker."""
        lp, view = self._logical(pos), self._bridge.view()
        text = self.storage.tooltip_at(lp, view)
        if text:
            return text
        for rect, bid, tp, off in self._cells:
            if rect.contains(lp):
                return tips.cell_tip(view, bid, tp, off)
        hit = self._hit_logical(lp)
        if hit and hit[0] == "consumer":
            return tips.consumer_tip(view, str(hit[1]))
        if hit and hit[0] == "controller" and self._plane is not None:
            node = next((n for n in self._plane.nodes if n.node_id == hit[1]), None)
            return tips.controller_tip(node, self._plane.mode) if node is not None else None
        for lane in self._lanes:
            if lane.rect.contains(lp):
                return tips.group_tip(view, lane.lane.group_id)
        for key, rect in self._anchors.items():
            if key[0] == "replica" and rect.contains(lp):
                return tips.strip_tip(view, key[1], key[2])
            if key[0] == "client" and rect.contains(lp) and key[1] in view.producers():
                return tips.producer_tip(view, key[1])
        if hit and hit[0] == "broker":
            badge = next((b for b in self.broker_badges() if b.broker_id == hit[1]), None)
            return tips.broker_tip(view, badge) if badge is not None else None
        return None
