"""The Producers panel: start, configure and stop producers that send at a rate, and watch their
record accumulators (qt_accumulator.py) fill and empty.

Like the Consumers panel it reads through `bridge.view()` and acts only through the bridge's
commands. The form's settings go to the engine as typed: a bad value gets Kafka's error name
and sentence (INVALID_CONFIG: "Invalid value -1 for configuration linger.ms: Value must be at
least 0") in the panel and on the status bar, and nothing is created or started.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLineEdit, QListWidget,
                               QListWidgetItem, QPushButton, QVBoxLayout, QWidget)

from playground.engine import EventKind, KafkaError

from .commands import ACKS_CHOICES, COMPRESSION_CHOICES, IDEMPOTENCE_CHOICES
from .qt_accumulator import AccumulatorView
from .qt_panel_base import NamedList
from .qt_theme import font

LIST_EVENTS = {EventKind.PRODUCER_STARTED, EventKind.PRODUCER_STOPPED, EventKind.PRODUCER_CONFIGURED,
               EventKind.TOPIC_CREATED, EventKind.TOPIC_DELETED, EventKind.PRODUCE_ACKED, EventKind.PRODUCE_FAILED}


class ProducersPanel(NamedList, QWidget):
    message = Signal(str, bool)             # text, is_error (the main window's status bar)

    def __init__(self, bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self.init_refresh()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.accumulator = AccumulatorView(bridge)
        accumulator_box = QGroupBox("Record accumulator")
        inner = QVBoxLayout(accumulator_box)
        inner.setContentsMargins(4, 4, 4, 4)
        inner.addWidget(self.accumulator)
        layout.addWidget(accumulator_box)
        layout.addWidget(self._build_list())
        layout.addWidget(self._build_form())
        self.add_status(layout)
        layout.addStretch(1)
        bridge.events_emitted.connect(self._on_events)
        self.refresh()

    # -- building --------------------------------------------------------------------------------
    def _build_form(self) -> QGroupBox:
        box = QGroupBox("Start or configure a producer")
        self.name = QLineEdit()
        self.topic = QComboBox()
        self.topic.setEditable(True)
        self.rate = QLineEdit("20")
        self.rate.setToolTip("Records per second of virtual time, evenly spaced. Empty: only configure the "
                             "producer (the Produce panel's records do not use it).")
        self.key = QLineEdit("key-{i}")
        self.key.setToolTip("{i} is the record's index. Empty: a null key (the sticky partitioner fills one "
                            "partition's batch, then moves on)")
        self.value = QLineEdit("record {i}")
        self.acks = QComboBox()
        self.acks.addItems(list(ACKS_CHOICES))
        self.idempotence = QComboBox()
        self.idempotence.addItems(list(IDEMPOTENCE_CHOICES))
        self.idempotence.setToolTip("enable.idempotence: Kafka's default is true, and it turns itself off when "
                                    "acks is not all (unless you set it: then Kafka refuses the conflict)")
        self.linger = QLineEdit("5")
        self.linger.setToolTip("linger.ms: how long a batch waits for more records before it is sent "
                               "(Kafka 4's default 5 ms; 0 before 4.0)")
        self.batch_size = QLineEdit("16384")
        self.batch_size.setToolTip("batch.size: bytes per partition batch; a full batch is sent at once")
        self.compression = QComboBox()
        self.compression.addItems(list(COMPRESSION_CHOICES))
        self.max_in_flight = QLineEdit("5")
        self.max_in_flight.setToolTip("max.in.flight.requests.per.connection: unanswered Produce requests per "
                                      "broker (at most 5 with idempotence)")
        self.transactional_id = QLineEdit()
        self.transactional_id.setPlaceholderText("none")
        self.transactional_id.setToolTip("transactional.id: such a producer may send only inside a transaction; "
                                         "its sends fail otherwise (counted as failed)")
        for combo in (self.topic, self.acks, self.idempotence, self.compression):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(6)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        for label, field in (("Name", self.name), ("Topic", self.topic), ("Rate (records/s)", self.rate),
                             ("Key", self.key), ("Value", self.value), ("acks", self.acks),
                             ("enable.idempotence", self.idempotence), ("linger.ms", self.linger),
                             ("batch.size", self.batch_size), ("compression.type", self.compression),
                             ("max.in.flight", self.max_in_flight), ("transactional.id", self.transactional_id)):
            form.addRow(label, field)
        self.start_button = QPushButton("Start")
        self.start_button.setToolTip("Start sending at the rate (empty rate: only create and configure)")
        self.start_button.clicked.connect(self.start)
        inner = QVBoxLayout(box)
        inner.addLayout(form)
        inner.addWidget(self.start_button)
        return box

    def _build_list(self) -> QGroupBox:
        box = QGroupBox("Producers")
        self.list = QListWidget()
        self.list.setMinimumHeight(70)
        self.list.setFont(font(12))
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop the send loop; the producer sends what its accumulator holds at once, "
                                    "as close() does")
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.stop_button)
        inner = QVBoxLayout(box)
        inner.addWidget(self.list)
        inner.addLayout(row)
        self.stop_button.clicked.connect(lambda: self.stop())
        self.list.currentItemChanged.connect(lambda *_: self._sync_buttons())
        return box

    # -- commands --------------------------------------------------------------------------------
    def _run(self, command: Callable[[], object], done: str) -> bool:
        try:
            command()
        except KafkaError as exc:
            self._show(f"{exc.error.name}: {exc.message}", error=True)
            return False
        self._show(done)
        self.refresh()
        return True

    def start(self) -> bool:
        name = self.name.text().strip() or self._next_name()
        topic, rate = self.topic.currentText().strip(), self.rate.text().strip()
        config = {"acks": self.acks.currentText(), "enable_idempotence": self.idempotence.currentText(),
                  "linger_ms": self.linger.text(), "batch_size": self.batch_size.text(),
                  "compression_type": self.compression.currentText(),
                  "max_in_flight_requests_per_connection": self.max_in_flight.text(),
                  "transactional_id": self.transactional_id.text()}
        done = (f"Producer {name} sends {rate} records/s to {topic}: watch its batches fill and leave above."
                if rate else f"Producer {name} is configured; it sends nothing on its own.")
        ok = self._run(lambda: self._bridge.start_producer(name, topic, rate, self.key.text(), self.value.text(),
                                                           **config), done)
        if ok:
            self.name.clear()
            self.refresh()
            self.select(name)
        return ok

    def stop(self, name: str | None = None) -> bool:
        if name is not None:
            self.select(name)
        name = self.selected()
        if name is None:
            self._show("Select a producer in the list first.", error=True)
            return False
        return self._run(lambda: self._bridge.stop_producer(name),
                         f"Producer {name} stopped: what was in its accumulator is sent at once.")

    def _next_name(self) -> str:
        return self.next_name("p", self._bridge.view().producers())

    # -- refreshing ------------------------------------------------------------------------------
    def _on_events(self, events: list) -> None:
        self.refresh_on(events, LIST_EVENTS)

    def refresh(self) -> None:
        self.refresh_started()
        view = self._bridge.view()
        current = self.selected()
        self.list.blockSignals(True)
        self.list.clear()
        for name, p in view.producers().items():
            if p.running:
                state = f"● sending {p.rate:g}/s → {p.topic}"
            elif p.rate is not None:
                state = "stopped"
            else:
                state = "sends when asked"
            item = QListWidgetItem(f"{name} · {state} · sent {p.sent} · acked {p.acked}")
            item.setToolTip(item.text())
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.list.addItem(item)
        self.list.blockSignals(False)
        if current is not None:
            self.select(current)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(self.list.count() - 1)
        topics = view.topic_names(include_internal=False)
        if [self.topic.itemText(i) for i in range(self.topic.count())] != topics:
            text = self.topic.currentText()
            self.topic.blockSignals(True)
            self.topic.clear()
            self.topic.addItems(topics)
            if text:
                self.topic.setEditText(text)
            self.topic.blockSignals(False)
        self._sync_buttons()
        if not self.name.text():
            self.name.setPlaceholderText(self._next_name())

    def _sync_buttons(self) -> None:
        name = self.selected()
        p = self._bridge.view().producers().get(name) if name else None
        self.stop_button.setEnabled(p is not None and p.running)
