"""The panels around the canvas: produce, create topic, time controls, event log.

Each takes the bridge in `__init__`, connects to its signals in one place,
reads the cluster through `bridge.view()` and changes it only through the
bridge's commands. Kafka's refusals are shown with Kafka's error name and
sentence, and change nothing.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QElapsedTimer, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QFontMetrics
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QGroupBox, QHBoxLayout,
                               QHeaderView, QLabel, QLineEdit, QPushButton, QSpinBox, QTableView, QVBoxLayout,
                               QWidget)

from playground.engine import EventKind, KafkaError

from .bridge import SPEEDS
from .commands import ACKS_CHOICES, parse_headers
from .qt_theme import COLORS, css, font, status_style, ui_scale

TOPIC_EVENTS = {EventKind.TOPIC_CREATED, EventKind.TOPIC_DELETED, EventKind.PARTITIONS_ADDED}
ERROR_EVENTS = {EventKind.PRODUCE_ERROR, EventKind.PRODUCE_FAILED, EventKind.STEP_ERROR,
                EventKind.CONSUMER_ERROR, EventKind.REPLICA_TRUNCATED, EventKind.CONSUMER_CRASHED,
                EventKind.PARTITIONS_LOST, EventKind.OFFSET_COMMIT_FAILED}
STRONG_EVENTS = {EventKind.LEADER_CHANGED, EventKind.ISR_CHANGED, EventKind.HIGH_WATERMARK_ADVANCED,
                 EventKind.PRODUCE_ACKED, EventKind.TOPIC_CREATED, EventKind.REBALANCE_STARTED,
                 EventKind.GROUP_STABLE, EventKind.MEMBER_REMOVED, EventKind.PARTITIONS_REVOKED}
REBALANCE_EVENTS = {EventKind.REBALANCE_STARTED, EventKind.JOIN_COMPLETED, EventKind.ASSIGNMENT_COMPUTED,
                    EventKind.PARTITIONS_REVOKED, EventKind.MEMBER_REMOVED, EventKind.REJOIN_REQUESTED}
AUTO_PARTITION = "auto (key hash, or sticky)"


def format_speed(speed: float) -> str:
    return f"{speed:g}×"


def format_time(ms: float) -> str:
    return f"{int(ms):,} ms".replace(",", " ")


# -- produce ---------------------------------------------------------------------
class ProducePanel(QGroupBox):
    """Send records like kafka-console-producer: topic, key, value, headers, acks, count."""

    sent = Signal(str)

    def __init__(self, bridge, parent: QWidget | None = None) -> None:
        super().__init__("Produce", parent)
        self._bridge = bridge
        self.topic = QComboBox()
        self.partition = QComboBox()
        self.key = QLineEdit()
        self.key.setPlaceholderText("empty = null key")
        self.value = QLineEdit("order {i}")
        self.value.setPlaceholderText("{i} = record number")
        self.headers = QLineEdit()
        self.headers.setPlaceholderText("k=v,k2=v2")
        self.acks = QComboBox()
        self.acks.addItems(list(ACKS_CHOICES))
        self.acks.setCurrentText("all")
        self.count = QSpinBox()
        self.count.setRange(1, 1000)
        self.send_button = QPushButton("Send  (Ctrl+Enter)")
        self.send_button.setDefault(True)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Topic", self.topic)
        form.addRow("Partition", self.partition)
        form.addRow("Key", self.key)
        form.addRow("Value", self.value)
        form.addRow("Headers", self.headers)
        form.addRow("acks", self.acks)
        form.addRow("Count", self.count)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.send_button)
        layout.addWidget(self.status)
        self.send_button.clicked.connect(self.send)
        self.topic.currentTextChanged.connect(self._sync_partitions)
        bridge.events_emitted.connect(self._on_events)
        self._sync_topics()

    def _on_events(self, events: list) -> None:
        if any(e.kind in TOPIC_EVENTS for e in events):
            self._sync_topics()

    def _sync_topics(self) -> None:
        current = self.topic.currentText()
        names = self._bridge.view().topic_names(include_internal=False)
        self.topic.blockSignals(True)
        self.topic.clear()
        self.topic.addItems(names)
        if current in names:
            self.topic.setCurrentText(current)
        self.topic.blockSignals(False)
        self._sync_partitions()

    def _sync_partitions(self) -> None:
        current = self.partition.currentText()
        parts = self._bridge.view().partitions(self.topic.currentText())
        items = [AUTO_PARTITION] + [str(pv.partition) for pv in parts]
        self.partition.blockSignals(True)
        self.partition.clear()
        self.partition.addItems(items)
        if current in items:
            self.partition.setCurrentText(current)
        self.partition.blockSignals(False)

    def send(self) -> None:
        topic = self.topic.currentText()
        if not topic:
            self._show("Create a topic first (Ctrl+N).", error=True)
            return
        try:
            headers = parse_headers(self.headers.text())
        except ValueError as exc:
            self._show(f"Headers: {exc}. Write them as k=v,k2=v2.", error=True)
            return
        part = self.partition.currentText()
        partition = None if part == AUTO_PARTITION or not part else int(part)
        acks = self.acks.currentText()
        count = self.count.value()
        try:
            name = self._bridge.produce(topic, self.value.text(), self.key.text() or None, headers, acks, count,
                                        partition)
        except (ValueError, KafkaError) as exc:
            self._show(str(exc), error=True)
            return
        where = f"partition {partition}" if partition is not None else (
            "the key's partition" if self.key.text() else "the sticky partition")
        self._show(f"{name} queued {count} record(s) for {topic} ({where}), acks={acks}. "
                   "Watch them travel.")
        self.sent.emit(name)

    def _show(self, text: str, error: bool = False) -> None:
        self.status.setStyleSheet(status_style(error))
        self.status.setText(text)


# -- create topic ------------------------------------------------------------------
class CreateTopicDialog(QDialog):
    """kafka-topics --create: refused input shows Kafka's error and stays for correcting."""

    def __init__(self, bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self.setWindowTitle("New topic")
        brokers = len(bridge.view().brokers())
        self.name = QLineEdit()
        self.name.setPlaceholderText("letters, digits, . _ - (at most 249)")
        self.partitions = QSpinBox()
        self.partitions.setRange(-1, 1000)
        self.partitions.setValue(3)
        self.replication_factor = QSpinBox()
        self.replication_factor.setRange(-1, 32)
        self.replication_factor.setValue(min(3, brokers))
        self.min_insync = QSpinBox()
        self.min_insync.setRange(1, 32)
        self.min_insync.setValue(min(2, brokers))
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(status_style(True))
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Partitions", self.partitions)
        form.addRow("Replication factor", self.replication_factor)
        form.addRow("min.insync.replicas", self.min_insync)
        hint = QLabel(f"The cluster has {brokers} broker(s); the replication factor cannot be larger.")
        hint.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.create_button = self.buttons.addButton("Create", QDialogButtonBox.ButtonRole.AcceptRole)
        self.create_button.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.try_create)
        self.buttons.rejected.connect(self.reject)
        self.setMinimumWidth(520)

    def try_create(self) -> bool:
        """Create the topic and close; on Kafka's refusal show why and stay open."""
        try:
            self._bridge.create_topic(self.name.text(), self.partitions.value(), self.replication_factor.value(),
                                      self.min_insync.value())
        except KafkaError as exc:
            self.error.setText(f"{exc.error.name}\n{exc.message}")
            self.error.show()
            return False
        self.error.hide()
        self.accept()
        return True


# -- time controls ---------------------------------------------------------------------
class TimeControls(QWidget):
    """Pause/resume, step to the next instant, speed, the virtual clock, and, when the simulation
    cannot keep up with the chosen speed, how fast it really runs."""

    def __init__(self, bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self.pause_button = QPushButton()
        self.pause_button.setMinimumWidth(150)
        self.step_button = QPushButton("Step ▸|  (→)")
        self.step_button.setToolTip("Run exactly what happens at the next instant of virtual time")
        self.speed = QComboBox()
        for s in SPEEDS:
            self.speed.addItem(format_speed(s), s)
        self.speed.setToolTip("Virtual ms per real ms (+ / − keys)")
        self.pace = QLabel()
        self.pace.setToolTip("The simulation has more to do than this computer can run at the chosen speed. "
                             "Each frame the window is drawn first and the engine gets what is left of it, so "
                             "virtual time runs slower instead of the window freezing. A lower speed or a "
                             "lighter load keeps up.")
        self.pace.hide()
        self.clock = QLabel()
        self.clock.setFont(font(18, bold=True))
        self.clock.setMinimumWidth(240)
        self.clock.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        for control in (self.pause_button, self.step_button, self.speed):
            control.setFont(font(13, bold=True))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.pause_button)
        layout.addWidget(self.step_button)
        layout.addWidget(QLabel("Speed"))
        layout.addWidget(self.speed)
        layout.addWidget(self.pace)
        layout.addWidget(self.clock)
        self.pause_button.clicked.connect(bridge.toggle)
        self.step_button.clicked.connect(bridge.step)
        self.speed.currentIndexChanged.connect(lambda i: bridge.set_speed(self.speed.itemData(i)))
        bridge.running_changed.connect(self._sync_running)
        bridge.speed_changed.connect(self._sync_speed)
        bridge.time_changed.connect(self._sync_time)
        bridge.pace_changed.connect(self._sync_pace)
        self._sync_running(bridge.running)
        self._sync_speed(bridge.speed)
        self._sync_time(bridge.now)

    def _sync_running(self, running: bool) -> None:
        self.pause_button.setText("❚❚ Pause  (Space)" if running else "▶ Resume  (Space)")
        if not running:
            self.pace.hide()

    def _sync_pace(self, ratio: float) -> None:
        """`ratio`: the share of the chosen speed virtual time really runs at (1.0: keeping up)."""
        if ratio >= 1.0:
            self.pace.hide()
            return
        speed = self._bridge.speed
        self.pace.setText(f"running at {speed * ratio:.2g}× ({ratio:.0%} of {format_speed(speed)})")
        self.pace.setStyleSheet(f"background: {css('slow')}; color: {css('on_bright')}; font-weight: bold; "
                                "border-radius: 4px; padding: 2px 6px;")       # the SLOW tag's colours
        self.pace.show()

    def _sync_speed(self, speed: float) -> None:
        self.pace.hide()                # measured anew at this speed
        i = self.speed.findData(speed)
        self.speed.blockSignals(True)
        if i < 0:
            self.speed.addItem(format_speed(speed), speed)
            i = self.speed.count() - 1
        self.speed.setCurrentIndex(i)
        self.speed.blockSignals(False)

    def _sync_time(self, now: int) -> None:
        self.clock.setText(f"t = {format_time(now)}")


# -- event log ---------------------------------------------------------------------------
# Real ms between two batches of new rows in the event log while time runs.
FLUSH_MS = 100


class EventLogModel(QAbstractListModel):
    """The engine's event history as a list model: rows are read from the history, never copied."""

    def __init__(self, bridge, parent=None) -> None:
        super().__init__(parent)
        self._history = bridge.event_history          # the engine's own list (read only)
        self._bridge = bridge
        self._rows = len(self._history)
        self._flush_pending = False
        self._since_flush = QElapsedTimer()
        self._strong_font = font(12, bold=True)
        # New rows once per frame (and after each command), not once per event.
        bridge.frame.connect(lambda _t: self._on_event(None))

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._rows

    def data(self, index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= self._rows:
            return None
        event = self._history[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{format_time(event.time):>10} — {event.text}"
        if role == Qt.ItemDataRole.ForegroundRole:
            if event.kind in ERROR_EVENTS:
                return QBrush(COLORS["error"])
            if event.kind == EventKind.HIGH_WATERMARK_ADVANCED:
                return QBrush(COLORS["hw"])
            if event.kind in REBALANCE_EVENTS:
                return QBrush(COLORS["rebalance"])         # the group protocol's colour on the canvas
            return None
        if role == Qt.ItemDataRole.FontRole and event.kind in STRONG_EVENTS:
            return self._strong_font
        if role == Qt.ItemDataRole.ToolTipRole:      # the whole sentence, even where the row cuts it
            return f"{format_time(event.time)} — {event.text}<br><small>{event.kind.value}: {event.data}</small>"
        return None

    def apply_appearance(self) -> None:
        """Theme or presenter mode changed: new colours and sizes for every row."""
        self._strong_font = font(round(12 * ui_scale()), bold=True)
        self.layoutChanged.emit()

    def _on_event(self, _event) -> None:
        # Coalesce: one row insertion per burst, not one per event; while time runs, a few times a
        # second (nobody reads faster, and every insertion repaints the log). Paused: at once.
        if not self._flush_pending:
            self._flush_pending = True
            wait = 0
            if self._bridge.running and self._since_flush.isValid():
                wait = max(0, FLUSH_MS - self._since_flush.elapsed())
            QTimer.singleShot(wait, self, self.flush)

    def flush(self) -> None:
        self._flush_pending = False
        self._since_flush.start()
        n = len(self._history)
        if n > self._rows:
            self.beginInsertRows(QModelIndex(), self._rows, n - 1)
            self._rows = n
            self.endInsertRows()


# A sentence of the event log is rarely longer than this: a view this wide gives each one line.
WIDE_CHARS = 100


class EventLogView(QTableView):
    """Newest at the bottom; follows new events unless the user scrolled up to read. Rows are one
    line in a wide view (a longer sentence ends in …), two wrapped lines in a narrow one; a row's
    tooltip has its sentence whole.

    A table of one column with fixed-height rows: its vertical header places row n at n × height, so a
    history of hundreds of thousands of events costs nothing to lay out when rows arrive (a list view
    lays every row out again, or in batches that never reach the bottom while events keep coming)."""

    def __init__(self, model: EventLogModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lines = 1
        self.setModel(model)
        self.horizontalHeader().hide()
        self.horizontalHeader().setStretchLastSection(True)
        self.verticalHeader().hide()
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.setShowGrid(False)
        self.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)    # rows fit the width
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setAlternatingRowColors(True)
        self.setFont(font(12))
        self.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self._follow = True
        self.verticalScrollBar().valueChanged.connect(self._on_scrolled)
        model.rowsInserted.connect(self._on_rows)
        self._fit_lines()

    def _fit_lines(self) -> None:
        wide = self.viewport().width() >= WIDE_CHARS * QFontMetrics(self.font()).averageCharWidth()
        lines = 1 if wide else 2
        self.lines = lines
        self.setWordWrap(not wide)
        self.verticalHeader().setDefaultSectionSize(lines * QFontMetrics(self.font()).lineSpacing() + 6)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_lines()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == event.Type.FontChange:      # presenter mode: the same rule at the new size
            self._fit_lines()

    def _on_scrolled(self, value: int) -> None:
        self._follow = value >= self.verticalScrollBar().maximum() - 4

    def _on_rows(self, *_args) -> None:
        if self._follow:
            QTimer.singleShot(0, self, self.scrollToBottom)
