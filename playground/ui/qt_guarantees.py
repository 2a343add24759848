"""The guarantees panel: the audit as big numbers, and every acknowledged-but-lost record.

Reads `ClusterView.audit()` (see `playground/engine/audit.py`), which compares
what producers were told with what the logs hold *now*; the panel refreshes
when events arrive, at most a few times a second (the audit walks every log).
A lost record's key and value come from `ClusterView.acked_records`; why it
was lost is told from the engine's events: the truncation that dropped it,
or that it still sits above the high watermark.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtWidgets import (QAbstractItemView, QFrame, QGridLayout, QHeaderView, QLabel, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from playground.engine import EventKind

from .qt_theme import COLORS, css, font

MIN_INTERVAL_MS = 250

# (audit field, label, what it means)
TILES = (
    ("acked", "acknowledged", "Records the producers were told are stored (they got an ack)."),
    ("acked_lost", "acked but LOST", "Acknowledged records that are not in the partition's log below its high "
                                     "watermark: a consumer will never read them."),
    ("unavailable", "unavailable", "Acknowledged records on a partition that has no leader right now: they may "
                                   "come back when a replica that has them returns."),
    ("duplicates_in_log", "duplicates in log", "The same send stored twice (a retry without idempotence)."),
    ("order_violations", "out of order", "Pairs of records with the same key stored in the opposite order to "
                                         "the one they were sent in."),
)
COLUMNS = ("Partition", "Offset", "Key", "Value", "Producer", "Why")


@dataclass(frozen=True, slots=True)
class LostRow:
    partition: str
    offset: int
    key: str
    value: str
    producer: str
    why: str


def _ms(t: int) -> str:
    return f"{t:,} ms".replace(",", " ")


def _text(data: bytes | None) -> str:
    return "null" if data is None else data.decode("utf-8", "replace")


def lost_reason(lost, truncations: list, view) -> str:
    """Why one lost record is lost, in a sentence, from the events and the log as they are now."""
    hits = [e for e in truncations if e.data.get("topic") == lost.topic and e.data.get("partition") == lost.partition
            and e.data.get("offset", 0) <= lost.offset < e.data.get("offset", 0) + e.data.get("removed", 0)]
    acks = ""
    try:
        acks = f" (acks={view.producer_config(lost.producer).get('acks')})"
    except KeyError:
        pass
    if hits:
        e = hits[-1]
        return (f"Truncated at {_ms(e.time)}: broker {e.data.get('broker')} cut {lost.topic}/{lost.partition} back to "
                f"offset {e.data.get('offset')}, because the leader elected after it failed never had this "
                f"record. It had been acknowledged{acks} by a leader alone.")
    pv = next((x for x in view.partitions(lost.topic) if x.partition == lost.partition), None)
    holders = [b for b in (pv.replicas if pv else ()) if _holds(view, b, lost)]
    if pv is not None and pv.leader in holders:
        return (f"Not committed: it is only on the leader {pv.leader}, above the high watermark "
                f"({pv.high_watermark}), although it was acknowledged{acks}. If that broker fails now, it is gone.")
    if holders:
        states = {b.broker_id: ("dead" if not b.alive else "isolated" if getattr(b, "isolated", False)
                                else "fenced" if b.fenced else "") for b in view.brokers()}
        where = ", ".join(f"{b} ({states[b]})" if states.get(b) else str(b) for b in holders)
        return (f"Only broker {where} has it, and it no longer leads {lost.topic}/{lost.partition} (leader "
                f"{pv.leader if pv.leader >= 0 else 'none'}, epoch {pv.leader_epoch}). It was acknowledged{acks} "
                "by a leader alone; when that broker follows the new leader it truncates it away.")
    return lost.reason[:1].upper() + lost.reason[1:] + "."


def _holds(view, broker_id: int, lost) -> bool:
    """Does this replica's log hold the lost record (same producer and send serial) at its offset?"""
    log = view.replica_log(broker_id, lost.topic, lost.partition)
    if log is None or not log.log_start_offset <= lost.offset < log.log_end_offset:
        return False
    for _off, rec, batch in log.records(lost.offset, lost.offset + 1):
        origin = getattr(batch, "origin", None)
        return origin is not None and origin.producer == lost.producer and rec.trace == lost.serial
    return False


class GuaranteesPanel(QWidget):
    """Big audit numbers on top, the lost records below; click a row to read why it was lost."""

    def __init__(self, bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._truncations = [e for e in bridge.event_history if e.kind == EventKind.REPLICA_TRUNCATED]
        self._numbers: dict[str, QLabel] = {}
        self._tiles: dict[str, QFrame] = {}
        self._rows: list[LostRow] = []
        self._pending = False
        self._stale = False
        self._cost_ms = 0                   # how long the last refresh took
        self._since = QElapsedTimer()
        grid = QGridLayout()
        grid.setSpacing(6)
        for i, (name, label, tip) in enumerate(TILES):
            tile = QFrame()
            tile.setObjectName(name)
            tile.setToolTip(tip)
            number = QLabel("0")
            number.setFont(font(26, bold=True))
            number.setAlignment(Qt.AlignmentFlag.AlignCenter)
            caption = QLabel(label)
            caption.setFont(font(12, bold=name == "acked_lost"))
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            box = QVBoxLayout(tile)
            box.setContentsMargins(4, 2, 4, 4)
            box.setSpacing(0)
            box.addWidget(number)
            box.addWidget(caption)
            self._numbers[name] = number
            self._tiles[name] = tile
            grid.addWidget(tile, i // 2, i % 2)
        self.consumer_line = QLabel()
        self.consumer_line.setFont(font(12))
        self.consumer_line.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setFont(font(12))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMinimumHeight(110)
        self.why = QLabel()
        self.why.setWordWrap(True)
        self.why.setFont(font(12))
        self.why.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.lost_title = QLabel("Acknowledged but lost")
        self.lost_title.setFont(font(13, bold=True))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(grid)
        layout.addWidget(self.consumer_line)
        layout.addWidget(self.lost_title)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.why)
        self.table.itemSelectionChanged.connect(self._show_why)
        bridge.events_emitted.connect(self._on_events)
        self.refresh()

    # -- reading (tests) -------------------------------------------------------------------
    def value(self, name: str) -> int:
        if self._stale:
            self.refresh()
        return int(self._numbers[name].text())

    def lost_rows(self) -> list[LostRow]:
        if self._stale:
            self.refresh()
        return list(self._rows)

    # -- refreshing --------------------------------------------------------------------------
    def _on_events(self, events: list) -> None:
        self._truncations.extend(e for e in events if e.kind == EventKind.REPLICA_TRUNCATED)
        self._stale = True
        if not self._pending and self.isVisible():
            self._pending = True
            # The audit walks every log: with many records one refresh takes long, so the panel waits
            # ten times that between refreshes and never takes more than a tenth of the time; while
            # time runs, thirty times (each refresh is a frame the window cannot draw).
            interval = max(MIN_INTERVAL_MS, (30 if self._bridge.running else 10) * self._cost_ms)
            wait = 0 if not self._since.isValid() else max(0, interval - self._since.elapsed())
            QTimer.singleShot(int(wait), self, self._refresh_if_shown)

    def _refresh_if_shown(self) -> None:
        self._pending = False
        if self.isVisible():
            self.refresh()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:                 # hidden behind another tab meanwhile: catch up now
            self.refresh()

    def refresh(self) -> None:
        self._pending = False
        self._stale = False
        self._since.start()
        view = self._bridge.view()
        summary = view.audit()
        for name, _label, _tip in TILES:
            self._set(name, int(getattr(summary, name, 0)))
        consumed, skipped, written = summary.consumed_duplicates, summary.skipped, summary.output_duplicates
        # output_duplicates: a consume-transform-produce pipeline wrote one input's result twice (the
        # copies read_committed sees), what exactly-once prevents.
        self.consumer_line.setText(f"Consumers: read twice {consumed} · skipped {skipped} · "
                                   f"results written twice {written}")
        self.consumer_line.setStyleSheet(f"color: {css('error')}; font-weight: bold;"
                                         if consumed or skipped or written else f"color: {css('muted')};")
        records = view.acked_records((lost.producer, lost.serial) for lost in summary.lost)
        rows = []
        for lost in summary.lost:
            rec = records.get((lost.producer, lost.serial))
            rows.append(LostRow(f"{lost.topic}/{lost.partition}", lost.offset,
                                _text(rec.key) if rec is not None else "?", _text(rec.value) if rec is not None
                                else "?", lost.producer, lost_reason(lost, self._truncations, view)))
        if rows != self._rows:
            self._fill(rows)
        self._cost_ms = self._since.elapsed()

    def _set(self, name: str, n: int) -> None:
        label = self._numbers[name]
        if label.text() == str(n) and label.property("shown") is not None:
            return
        label.setText(str(n))
        label.setProperty("shown", True)
        if name == "acked_lost":
            style = (f"background: {css('error')}; color: {css('on_dark')};" if n
                     else f"background: {css('audit_ok_bg')}; color: {css('status_ok')};")
        elif name == "acked":
            style = f"background: {css('audit_info_bg')}; color: {css('hw')};"
        else:
            style = (f"background: {css('audit_warn_bg')}; color: {css('produce')};" if n
                     else f"background: {css('audit_none_bg')}; color: {css('muted')};")
        self._tiles[name].setStyleSheet(f"QFrame#{name} {{ {style} border-radius: 8px; }} "
                                        f"QLabel {{ {style.split(';')[1]}; background: transparent; }}")

    def _fill(self, rows: list[LostRow]) -> None:
        self._rows = rows
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate((row.partition, str(row.offset), row.key, row.value, row.producer, row.why)):
                item = QTableWidgetItem(value)
                item.setToolTip(row.why)
                if c < 5:
                    item.setForeground(COLORS["error"])
                self.table.setItem(r, c, item)
        self.lost_title.setText(f"Acknowledged but lost: {len(rows)}" if rows
                                else "Acknowledged but lost: none so far")
        if rows and not self.table.selectedItems():
            self.table.selectRow(0)
        self._show_why()

    def _show_why(self) -> None:
        selected = self.table.selectionModel().selectedRows()
        if not self._rows:
            self.why.setText("Every acknowledged record is in its partition's log below the high watermark.")
            return
        r = selected[0].row() if selected else 0
        row = self._rows[min(r, len(self._rows) - 1)]
        self.why.setText(f"<b>{row.partition} offset {row.offset}</b> (key {row.key}, value {row.value!r}): "
                         f"{row.why}")

    def apply_appearance(self) -> None:
        """The theme changed: redraw the tiles and the table in the new colours."""
        for label in self._numbers.values():
            label.setProperty("shown", None)
        self._rows = None       # differs from any list: the table is filled again
        self.refresh()
