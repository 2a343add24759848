"""The Consumers panel: add consumers to groups, stop / crash / pause / resume them, reset offsets.

Like the other panels it takes the bridge in `__init__`, reads consumers and
groups through `bridge.view()` and acts only through the bridge's commands.
A refusal shows Kafka's error name and sentence (in the panel and on the
status bar) and changes nothing: a reset while the group has members gets
NON_EMPTY_GROUP, exactly as `kafka-consumer-groups --reset-offsets` says it.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFormLayout, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                               QListWidget, QListWidgetItem, QMenu, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from playground.engine import EventKind, KafkaError

from .commands import ASSIGNOR_CHOICES, COMMIT_CHOICES, OFFSET_RESET_CHOICES, RESET_TO_CHOICES
from .group_model import OwnerColours, group_lanes
from .qt_panel_base import NamedList
from .qt_theme import font

COMMIT_HELP = {
    "auto": "auto: enable.auto.commit, every auto.commit.interval.ms (at-least-once)",
    "after_processing": "after_processing: commitSync once a batch is processed (at-least-once)",
    "before_processing": "before_processing: commitSync right after poll() (at-most-once)",
}
LIST_EVENTS = {EventKind.CONSUMER_STARTED, EventKind.CONSUMER_STOPPED, EventKind.CONSUMER_CRASHED,
               EventKind.CONSUMER_PAUSED, EventKind.CONSUMER_RESUMED, EventKind.PARTITIONS_ASSIGNED,
               EventKind.PARTITIONS_REVOKED, EventKind.PARTITIONS_LOST, EventKind.MEMBER_REMOVED,
               EventKind.GROUP_STABLE, EventKind.REBALANCE_STARTED, EventKind.CONSUMER_ERROR, EventKind.MEMBER_LEFT,
               EventKind.GROUP_EMPTY, EventKind.TOPIC_CREATED, EventKind.TOPIC_DELETED, EventKind.MEMBER_JOINED}


class ConsumersPanel(NamedList, QWidget):
    message = Signal(str, bool)             # text, is_error (the main window's status bar)

    def __init__(self, bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self.init_refresh()
        self._colours = OwnerColours()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self._build_add())
        layout.addWidget(self._build_list())
        layout.addWidget(self._build_reset())
        self.add_status(layout)
        layout.addStretch(1)
        bridge.events_emitted.connect(self._on_events)
        self.refresh()

    # -- building --------------------------------------------------------------------------
    def _build_add(self) -> QGroupBox:
        box = QGroupBox("Add a consumer")
        self.name = QLineEdit()
        self.group = QComboBox()
        self.group.setEditable(True)
        self.group.setEditText("g1")
        self.topics = QComboBox()
        self.topics.setEditable(True)
        self.topics.setToolTip("One topic, or several separated by commas")
        self.assignor = QComboBox()
        self.assignor.addItems(list(ASSIGNOR_CHOICES))
        self.assignor.setToolTip("partition.assignment.strategy: range and roundrobin and sticky rebalance "
                                 "eagerly (every member gives up everything); cooperative-sticky moves only "
                                 "the partitions that change owner")
        self.commit = QComboBox()
        for mode in COMMIT_CHOICES:
            self.commit.addItem(mode, mode)
            self.commit.setItemData(self.commit.count() - 1, COMMIT_HELP[mode], Qt.ItemDataRole.ToolTipRole)
        self.processing = QSpinBox()
        self.processing.setRange(0, 60000)
        self.processing.setSingleStep(50)
        self.processing.setValue(100)
        self.processing.setSuffix(" ms / record")
        self.processing.setToolTip("How long the application spends on each record (the playground's setting): "
                                   "slow consumers fall behind, and their lag grows")
        self.max_poll = QSpinBox()
        self.max_poll.setRange(1, 10000)
        self.max_poll.setValue(500)
        self.max_poll.setToolTip("max.poll.records: at most this many records per poll() (Kafka's default 500); "
                                 "the application polls again once the batch is processed")
        self.offset_reset = QComboBox()
        self.offset_reset.addItems(list(OFFSET_RESET_CHOICES))
        self.offset_reset.setCurrentText("earliest")
        self.offset_reset.setToolTip("auto.offset.reset: where a group with no committed offset starts "
                                     "(Kafka's default is latest)")
        self.session = QSpinBox()
        self.session.setRange(1000, 1800000)
        self.session.setSingleStep(1000)
        self.session.setValue(45000)
        self.session.setSuffix(" ms")
        self.session.setToolTip("session.timeout.ms: how long the coordinator waits for a heartbeat before it "
                                "expels a member (Kafka's default 45 s; the broker accepts 6 s to 30 min)")
        self.add_button = QPushButton("Add consumer")
        for combo in (self.group, self.topics, self.assignor, self.commit, self.offset_reset):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(6)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.addRow("Name", self.name)
        form.addRow("Group", self.group)
        form.addRow("Topics", self.topics)
        form.addRow("Assignor", self.assignor)
        form.addRow("Commit", self.commit)
        form.addRow("Processing", self.processing)
        form.addRow("max.poll.records", self.max_poll)
        form.addRow("auto.offset.reset", self.offset_reset)
        form.addRow("session.timeout.ms", self.session)
        inner = QVBoxLayout(box)
        inner.addLayout(form)
        inner.addWidget(self.add_button)
        self.add_button.clicked.connect(self.add)
        return box

    def _build_list(self) -> QGroupBox:
        box = QGroupBox("Consumers")
        self.list = QListWidget()
        self.list.setMinimumHeight(90)
        self.list.setFont(font(12))
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("close(): commit, send LeaveGroup: the group rebalances at once")
        self.crash_button = QPushButton("Crash")
        self.crash_button.setToolTip("The process dies: no commit, no LeaveGroup; the coordinator notices after "
                                     "session.timeout.ms")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setToolTip("The application stops calling poll(): after max.poll.interval.ms the "
                                     "consumer leaves the group")
        self.resume_button = QPushButton("Resume")
        buttons = QGridLayout()
        for i, b in enumerate((self.stop_button, self.crash_button, self.pause_button, self.resume_button)):
            buttons.addWidget(b, i // 2, i % 2)
        inner = QVBoxLayout(box)
        inner.addWidget(self.list)
        inner.addLayout(buttons)
        self.stop_button.clicked.connect(lambda: self._act("stop"))
        self.crash_button.clicked.connect(lambda: self._act("crash"))
        self.pause_button.clicked.connect(lambda: self._act("pause"))
        self.resume_button.clicked.connect(lambda: self._act("resume"))
        self.list.currentItemChanged.connect(lambda *_: self._sync_buttons())
        return box

    def _build_reset(self) -> QGroupBox:
        box = QGroupBox("Reset offsets")
        box.setToolTip("kafka-consumer-groups --reset-offsets --to-earliest|--to-latest --execute: Kafka "
                       "accepts it only while the group is Empty (no members)")
        self.reset_group = QComboBox()
        self.reset_group.setEditable(True)
        self.reset_topic = QComboBox()
        self.reset_to = QComboBox()
        self.reset_to.addItems(list(RESET_TO_CHOICES))
        self.reset_button = QPushButton("Reset offsets")
        row = QHBoxLayout()
        row.addWidget(QLabel("to"))
        row.addWidget(self.reset_to, 1)
        row.addWidget(self.reset_button)
        form = QFormLayout()
        form.addRow("Group", self.reset_group)
        form.addRow("Topic", self.reset_topic)
        inner = QVBoxLayout(box)
        inner.addLayout(form)
        inner.addLayout(row)
        self.reset_button.clicked.connect(self.reset)
        return box

    # -- commands --------------------------------------------------------------------------
    def _run(self, command: Callable[[], object], done: str) -> bool:
        try:
            command()
        except KafkaError as exc:
            self._show(f"{exc.error.name}: {exc.message}", error=True)
            return False
        self._show(done)
        self.refresh()
        return True

    def add(self) -> bool:
        name = self.name.text().strip() or self._next_name()
        group = self.group.currentText().strip()
        topics = [t.strip() for t in self.topics.currentText().split(",")]
        assignor = self.assignor.currentText()
        commit = self.commit.currentData()
        ok = self._run(lambda: self._bridge.start_consumer(
            name, group, topics, assignor=assignor, commit=commit, processing_time=self.processing.value(),
            max_poll_records=self.max_poll.value(), auto_offset_reset=self.offset_reset.currentText(),
            session_timeout_ms=self.session.value()),
            f"Consumer {name} joins group {group}: FindCoordinator, then JoinGroup. Watch its lane on the canvas.")
        if ok:
            self.name.clear()
            self.name.setPlaceholderText(self._next_name())
            self.select(name)
        return ok

    def _act(self, action: str) -> bool:
        name = self.selected()
        if name is None:
            self._show("Select a consumer in the list first.", error=True)
            return False
        command, done = {
            "stop": (self._bridge.stop_consumer,
                     f"Stopping {name}: it commits, sends LeaveGroup, and its group rebalances at once."),
            "crash": (self._bridge.crash_consumer,
                      f"{name} crashed: no LeaveGroup. Its group rebalances only after session.timeout.ms."),
            "pause": (self._bridge.pause_consumer,
                      f"{name} stops calling poll(); it leaves its group after max.poll.interval.ms."),
            "resume": (self._bridge.resume_consumer, f"{name} calls poll() again."),
        }[action]
        return self._run(lambda: command(name), done)

    def stop(self, name: str) -> bool:
        self.select(name)
        return self._act("stop")

    def crash(self, name: str) -> bool:
        self.select(name)
        return self._act("crash")

    def pause(self, name: str) -> bool:
        self.select(name)
        return self._act("pause")

    def resume(self, name: str) -> bool:
        self.select(name)
        return self._act("resume")

    def reset(self) -> bool:
        group, topic, to = self.reset_group.currentText().strip(), self.reset_topic.currentText(), \
            self.reset_to.currentText()
        result: dict = {}
        ok = self._run(lambda: result.update(self._bridge.reset_offsets(group, topic, to)), "")
        if ok:
            offsets = ", ".join(f"{tp}={o}" for tp, o in sorted(result.items()))
            self._show(f"Group {group}'s offsets on {topic} reset to the {to}: {offsets}. Its consumers start "
                       "there when they join.")
        return ok

    def consumer_menu(self, name: str, parent: QWidget | None = None) -> QMenu:
        """Stop / Crash / Pause / Resume for one consumer (its card on the canvas); data() is the action."""
        c = self._bridge.view().consumers().get(name)
        menu = QMenu(parent)
        menu.setFont(font(13))
        title = menu.addAction(f"Consumer {name} — group {c.group if c else '?'}")
        title.setEnabled(False)
        menu.addSeparator()
        alive = c is not None and c.alive and c.state != "closing"
        for action, text, enabled in (
                ("stop", "Stop: commit, LeaveGroup (rebalance at once)", alive),
                ("crash", "Crash: no LeaveGroup (rebalance after session.timeout.ms)", alive),
                ("pause", "Pause: stop calling poll()", alive and not c.paused),
                ("resume", "Resume: call poll() again", alive and c.paused)):
            item = menu.addAction(text)
            item.setData(action)
            item.setEnabled(bool(enabled))
            item.triggered.connect(lambda _=False, a=action: (self.select(name), self._act(a)))
        return menu

    def _next_name(self) -> str:
        return self.next_name("c", self._bridge.view().consumers())

    # -- refreshing ------------------------------------------------------------------------------
    def _on_events(self, events: list) -> None:
        self.refresh_on(events, LIST_EVENTS)

    def refresh(self) -> None:
        self.refresh_started()
        view = self._bridge.view()
        lanes = group_lanes(view, self._colours)
        cards = {card.name: (lane.group_id, card) for lane in lanes for card in lane.members}
        current = self.selected()
        self.list.blockSignals(True)
        self.list.clear()
        for name, c in view.consumers().items():
            group, card = cards.get(name, (c.group, None))
            state = card.label if card is not None else ("● running" if c.alive else c.state)
            reads = ", ".join(map(str, c.assignment)) if c.alive and c.assignment else "no partitions"
            item = QListWidgetItem(f"{name} · {group or 'no group'} · {state} · {reads}")
            item.setToolTip(item.text())
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.list.addItem(item)
        self.list.blockSignals(False)
        if current is not None:
            self.select(current)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(self.list.count() - 1)
        self._sync_choices(view, [lane.group_id for lane in lanes])
        self._sync_buttons()
        if not self.name.text():
            self.name.setPlaceholderText(self._next_name())

    def _sync_choices(self, view, groups: list[str]) -> None:
        topics = view.topic_names(include_internal=False)
        for combo, items in ((self.topics, topics), (self.reset_topic, topics), (self.reset_group, groups)):
            if [combo.itemText(i) for i in range(combo.count())] == items:
                continue
            text = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(items)
            if text:
                if combo.isEditable():
                    combo.setEditText(text)
                elif text in items:
                    combo.setCurrentText(text)
            combo.blockSignals(False)

    def _sync_buttons(self) -> None:
        name = self.selected()
        c = self._bridge.view().consumers().get(name) if name else None
        alive = c is not None and c.alive and c.state != "closing"
        self.stop_button.setEnabled(alive)
        self.crash_button.setEnabled(alive)
        self.pause_button.setEnabled(alive and not c.paused)
        self.resume_button.setEnabled(alive and c.paused)

