"""The Storage & transactions panel: a partition's segments, its cleaner and retention settings, and
the cluster's transactions.

Pick a topic, a partition and a replica (its leader by default: each broker rolls, deletes and
cleans its own segments) and the panel shows the replica's segments the way `kafka-log-dirs` and
the segment files on disk would (base offset, next offset, size, records, when it was created,
which one is active, which ones the cleaner compacted), the log cleaner's dirty ratio and last
pass, and the topic's storage settings in Kafka's names. Five of them can be changed here
(`kafka-configs --alter`): a bad value gets Kafka's INVALID_CONFIG and its sentence, and nothing
changes. Below, every transactional.id with its state, producer id and epoch, partitions and
coordinator, and per partition of the topic its last stable offset against its high watermark,
its open and its aborted transactions.

Like the other panels it reads `bridge.view()` and acts only through a bridge command.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QAbstractScrollArea, QComboBox, QFormLayout, QGroupBox, QHBoxLayout,
                               QHeaderView, QLabel, QLineEdit, QPushButton, QSizePolicy, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from playground.engine import EventKind, KafkaError

from .commands import STORAGE_SETTINGS
from .storage_model import KAFKA_SEGMENT_BYTES
from .qt_panel_base import ThrottledRefresh
from .qt_theme import font

LEADER = "leader"
POLICIES = ("delete", "compact", "compact,delete")
SETTING_HELP = {
    "retention.ms": "How long a closed segment is kept after its newest record (Kafka's default 7 days; "
                    "-1 keeps it forever). Retention deletes whole segments, never single records.",
    "segment.bytes": "A segment is closed (rolled) when the next batch would take it past this size "
                     "(Kafka's default 1 GiB). Only closed segments can be deleted or compacted.",
    "cleanup.policy": "delete: retention deletes old segments. compact: the log cleaner keeps the latest record "
                      "of each key. compact,delete: both.",
    "min.cleanable.dirty.ratio": "The cleaner compacts a log once its dirty (not yet compacted) part is more "
                                 "than this share of it (Kafka's default 0.5).",
    "delete.retention.ms": "How long the cleaner keeps a tombstone (a null value) after the pass that first "
                           "sees it, so consumers can still see the delete (Kafka's default 1 day).",
}
EVENTS = {EventKind.SEGMENT_ROLLED, EventKind.SEGMENT_DELETED, EventKind.LOG_START_OFFSET_ADVANCED,
          EventKind.LOG_CLEANED, EventKind.RECORDS_APPENDED, EventKind.REPLICA_FETCHED, EventKind.CONFIG_ALTERED,
          EventKind.TOPIC_CREATED, EventKind.TOPIC_DELETED, EventKind.PARTITIONS_ADDED, EventKind.LEADER_ELECTED,
          EventKind.REPLICA_TRUNCATED, EventKind.HIGH_WATERMARK_ADVANCED, EventKind.PRODUCER_ID_ASSIGNED,
          EventKind.TXN_BEGUN, EventKind.TXN_PARTITIONS_ADDED, EventKind.TXN_PREPARED,
          EventKind.TXN_MARKER_WRITTEN, EventKind.TXN_COMPLETED, EventKind.TXN_ENDED, EventKind.PRODUCER_FENCED,
          EventKind.TXN_STATE_LOADED}


def _size(n: int) -> str:
    if n >= 1 << 30 and n % (1 << 30) == 0:
        return f"{n >> 30} GiB"
    if n >= 1 << 20:
        return f"{n / (1 << 20):.1f} MiB"
    if n >= 10 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n} B"


def _ms(ms: int) -> str:
    return f"{ms:,} ms".replace(",", " ")


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setFont(font(12))
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    # A narrow dock scrolls the table sideways rather than growing the whole panel.
    table.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustIgnored)
    table.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    return table


def _fill(table: QTableWidget, rows: list[tuple[str, ...]], tips: list[str] | None = None) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            if tips:
                item.setToolTip(tips[r])
            table.setItem(r, c, item)
    table.resizeRowsToContents()
    # As tall as its rows (a few at least, a dozen at most), not a fixed empty box.
    height = table.horizontalHeader().height() + 6 + sum(table.rowHeight(r) for r in range(min(len(rows), 12)))
    table.setFixedHeight(max(height, table.horizontalHeader().height() + 6 + 2 * 26))


class StoragePanel(ThrottledRefresh, QWidget):
    message = Signal(str, bool)             # text, is_error (the main window's status bar)

    def __init__(self, bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self.init_refresh()
        self._edited: set[str] = set()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self._build_pick())
        self.transactions_box = self._build_transactions()      # first: shown once there are transactions
        layout.addWidget(self.transactions_box)
        layout.addWidget(self._build_segments())
        layout.addWidget(self._build_settings())
        layout.addStretch(1)
        bridge.events_emitted.connect(self._on_events)
        self.refresh()

    # -- building ------------------------------------------------------------------------------
    def _build_pick(self) -> QGroupBox:
        box = QGroupBox("Partition")
        self.topic = QComboBox()
        self.partition = QComboBox()
        self.broker = QComboBox()
        self.broker.setToolTip("Each broker keeps its own copy of the log and rolls, deletes and cleans its own "
                               "segments: they need not line up between replicas.")
        for combo in (self.topic, self.partition, self.broker):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(5)
            combo.currentIndexChanged.connect(self._picked)
        row = QHBoxLayout()
        row.addWidget(self.topic, 3)
        row.addWidget(self.partition, 2)
        inner = QVBoxLayout(box)
        inner.addLayout(row)
        inner.addWidget(self.broker)
        return box

    def _build_segments(self) -> QGroupBox:
        box = QGroupBox("Segments")
        box.setToolTip("The replica's segments, oldest first; the last one is the active segment")
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setFont(font(12, bold=True))
        self.segments = _table(["base", "next", "size", "records", "created", "active", "cleaned"])
        self.segments.setToolTip("A segment is one file of the log, named by its base offset. Appends go to the "
                                 "active segment; retention deletes whole closed segments, the cleaner compacts "
                                 "closed ones.")
        self.cleaner = QLabel("")
        self.cleaner.setWordWrap(True)
        self.cleaner.setFont(font(12))
        inner = QVBoxLayout(box)
        inner.addWidget(self.summary)
        inner.addWidget(self.segments)
        inner.addWidget(self.cleaner)
        return box

    def _build_settings(self) -> QGroupBox:
        box = QGroupBox("Topic settings")
        box.setToolTip("kafka-configs --alter --entity-type topics: IncrementalAlterConfigs")
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)      # full-width fields in a narrow dock
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.fields: dict[str, QLineEdit | QComboBox] = {}
        for name in STORAGE_SETTINGS:
            if name == "cleanup.policy":
                field = QComboBox()
                field.setEditable(True)
                field.addItems(list(POLICIES))
                field.lineEdit().textEdited.connect(lambda _t, n=name: self._edited.add(n))
                field.activated.connect(lambda _i, n=name: self._edited.add(n))
            else:
                field = QLineEdit()
                field.textEdited.connect(lambda _t, n=name: self._edited.add(n))
                field.returnPressed.connect(self.apply)
            field.setToolTip(SETTING_HELP[name])
            field.setMinimumWidth(60)
            label = QLabel(name)
            label.setToolTip(SETTING_HELP[name])
            form.addRow(label, field)
            self.fields[name] = field
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setFont(font(12, italic=True))
        self.retention = QLabel("")
        self.retention.setWordWrap(True)
        self.retention.setFont(font(12))
        self.apply_button = QPushButton("Apply")
        self.apply_button.setToolTip("IncrementalAlterConfigs: the controller checks every value first; one bad "
                                     "value and nothing changes")
        self.apply_button.clicked.connect(self.apply)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        inner = QVBoxLayout(box)
        inner.addLayout(form)
        inner.addWidget(self.note)
        inner.addWidget(self.retention)
        inner.addWidget(self.apply_button)
        inner.addWidget(self.status)
        return box

    def _build_transactions(self) -> QGroupBox:
        box = QGroupBox("Transactions")
        # Word-wrapped lines rather than tables: a narrow dock shows them whole.
        self.txns = QLabel("")
        self.txns.setWordWrap(True)
        self.txns.setFont(font(12))
        self.txns.setTextFormat(Qt.TextFormat.RichText)
        self.txns.setToolTip("What the transaction coordinators hold in __transaction_state: one entry per "
                             "transactional.id. A newer producer with the same id bumps the epoch and fences "
                             "the old one.")
        self.stability = QLabel("")
        self.stability.setWordWrap(True)
        self.stability.setFont(font(12))
        self.stability.setTextFormat(Qt.TextFormat.RichText)
        self.stability.setToolTip("LSO, the last stable offset: read_committed consumers read no further. An open "
                                  "transaction holds it at its first offset while the HW moves on.")
        self._txn_rows: list[tuple[str, ...]] = []
        self._stability_rows: list[tuple[str, ...]] = []
        inner = QVBoxLayout(box)
        inner.addWidget(self.txns)
        inner.addWidget(self.stability)
        return box

    # -- reading -----------------------------------------------------------------------------
    def picked(self) -> tuple[str | None, int, int | None]:
        """(topic, partition, broker) shown; broker None is the leader."""
        topic = self.topic.currentText() or None
        partition = int(self.partition.currentData() or 0)
        broker = self.broker.currentData()
        return topic, partition, (None if broker in (None, LEADER) else int(broker))

    def select(self, topic: str, partition: int = 0, broker: int | None = None) -> None:
        self.topic.setCurrentText(topic)
        self.refresh()
        index = self.partition.findData(partition)
        if index >= 0:
            self.partition.setCurrentIndex(index)
        index = self.broker.findData(LEADER if broker is None else broker)
        if index >= 0:
            self.broker.setCurrentIndex(index)
        self.refresh()

    @staticmethod
    def _rows(table: QTableWidget) -> list[tuple[str, ...]]:
        return [tuple(table.item(r, c).text() if table.item(r, c) else "" for c in range(table.columnCount()))
                for r in range(table.rowCount())]

    def segment_rows(self) -> list[tuple[str, ...]]:
        return self._rows(self.segments)

    def transaction_rows(self) -> list[tuple[str, ...]]:
        """(transactional.id, state, "pid · epoch", partitions, coordinator, producers) per transactional.id."""
        return list(self._txn_rows)

    def stability_rows(self) -> list[tuple[str, ...]]:
        """(partition, LSO, HW, open transactions, aborted) per partition of the picked topic."""
        return list(self._stability_rows)

    def setting(self, name: str) -> str:
        field = self.fields[name]
        return field.currentText() if isinstance(field, QComboBox) else field.text()

    def set_setting(self, name: str, text: str) -> None:
        """Type a value into a setting's field (as a user would)."""
        field = self.fields[name]
        if isinstance(field, QComboBox):
            field.setEditText(text)
        else:
            field.setText(text)
        self._edited.add(name)

    # -- commands -------------------------------------------------------------------------------
    def apply(self) -> bool:
        topic = self.picked()[0]
        if topic is None:
            self._show("Pick a topic first.", error=True)
            return False
        current = self._bridge.view()
        changes = {n: self.setting(n).strip() for n in STORAGE_SETTINGS
                   if n in self._edited and self.setting(n).strip() != str(current.topic_config(topic, n))}
        if not changes:
            self._show("Nothing to change: type a new value first.", error=True)
            return False
        try:
            self._bridge.alter_topic_config(topic, changes)
        except KafkaError as exc:
            self._show(f"{exc.error.name}: {exc.message} Nothing was changed.", error=True)
            return False
        self._edited.clear()
        said = ", ".join(f"{k}={v}" for k, v in changes.items())
        self._show(f"{topic}: {said}. The controller wrote a ConfigRecord; each broker applies it at its next "
                   "retention check, segment roll or cleaner pass.")
        self.refresh()
        return True

    def _show(self, text: str, error: bool = False) -> None:
        self.status.setStyleSheet("color: #c62828; font-weight: bold;" if error else "color: #1b5e20;")
        self.status.setText(text)
        self.message.emit(text, error)

    # -- refreshing ------------------------------------------------------------------------------
    def _picked(self, *_args) -> None:
        if not getattr(self, "_syncing", False):
            self._edited.clear()
            self.refresh()

    def _on_events(self, events: list) -> None:
        self.refresh_on(events, EVENTS)

    def refresh(self) -> None:
        self.refresh_started()
        view = self._bridge.view()
        self._sync_choices(view)
        topic, partition, broker = self.picked()
        self._show_segments(view, topic, partition, broker)
        self._show_settings(view, topic)
        self._show_transactions(view, topic)

    def _sync_choices(self, view) -> None:
        self._syncing = True
        try:
            topics = view.topic_names(include_internal=False)
            _set_items(self.topic, [(t, t) for t in topics])
            topic = self.topic.currentText()
            parts = view.partitions(topic) if topic else []
            _set_items(self.partition, [(str(p.partition), p.partition) for p in parts])
            pv = next((p for p in parts if p.partition == (self.partition.currentData() or 0)), None)
            leader = f"the leader's log (broker {pv.leader})" if pv is not None and pv.leader >= 0 else \
                "the leader's log (no leader)"
            _set_items(self.broker, [(leader, LEADER)] + [(f"broker {b}'s log", b) for b in (pv.replicas if pv else ())])
        finally:
            self._syncing = False

    def _show_segments(self, view, topic: str | None, partition: int, broker: int | None) -> None:
        if topic is None:
            self.summary.setText("No topics yet.")
            _fill(self.segments, [])
            self.cleaner.setText("")
            return
        log = view.authoritative_log(topic, partition) if broker is None else view.replica_log(broker, topic,
                                                                                                 partition)
        segs = view.segments(topic, partition, broker)
        if log is None:
            self.summary.setText(f"{topic}/{partition}: this broker has no replica (or does not know it yet).")
            _fill(self.segments, [])
            self.cleaner.setText("")
            return
        self.summary.setText(f"{topic}/{partition}: log start {log.log_start_offset} · HW {log.high_watermark} · "
                             f"LEO {log.log_end_offset} · {len(segs)} segment{'s' if len(segs) != 1 else ''}, "
                             f"{_size(sum(s.size_bytes for s in segs))}")
        _fill(self.segments, [(str(s.base_offset), str(s.next_offset), _size(s.size_bytes), str(s.record_count),
                               _ms(s.created_ms), "active" if s.active else "", "cleaned" if s.cleaned else "")
                              for s in segs],
              [f"file {s.base_offset:020d}.log: offsets {s.base_offset}–{s.next_offset - 1}" for s in segs])
        state = view.cleaner_state(topic, partition, broker)
        if state is None or not state.compacted:
            check = view.topic_config(topic, "log.retention.check.interval.ms")
            self.cleaner.setToolTip(f"Each broker looks for expired segments every log.retention.check.interval.ms"
                                    f" ({check} ms)." if check is not None else "")
            self.cleaner.setText("cleanup.policy=delete: no log cleaner on this topic. Retention deletes whole "
                                 "closed segments once their newest record is older than retention.ms.")
            return
        last = "never ran yet" if state.last_clean_ms is None else f"last pass at {_ms(state.last_clean_ms)}"
        verdict = "will clean at its next pass" if state.dirty_ratio > state.min_cleanable_dirty_ratio else \
            "waits for more dirty records"
        self.cleaner.setToolTip("")
        self.cleaner.setText(f"Log cleaner: dirty ratio {state.dirty_ratio:.2f} (cleans above "
                             f"min.cleanable.dirty.ratio={state.min_cleanable_dirty_ratio:g}: {verdict}) · {last} · "
                             f"cleaner checkpoint {state.first_dirty_offset}: records below it are compacted · "
                             f"{_size(state.clean_bytes)} clean, {_size(state.dirty_bytes)} dirty")

    def _show_settings(self, view, topic: str | None) -> None:
        self.apply_button.setEnabled(topic is not None)
        if topic is None:
            return
        for name in STORAGE_SETTINGS:
            if name in self._edited:
                continue                    # the user is typing: keep what they typed
            value = str(view.topic_config(topic, name))
            field = self.fields[name]
            if isinstance(field, QComboBox):
                if field.currentText() != value:
                    field.setEditText(value)
            elif field.text() != value:
                field.setText(value)
        seg = int(view.topic_config(topic, "segment.bytes"))
        if seg < KAFKA_SEGMENT_BYTES:
            self.note.setText(f"segment.bytes={seg} is scaled down from Kafka's 1 GiB default "
                              f"({KAFKA_SEGMENT_BYTES}) so that you can watch segments roll.")
        else:
            self.note.setText("segment.bytes is Kafka's 1 GiB default: a segment rolls after a gigabyte, so "
                              "here nothing rolls by size (try 600).")
        configs = view.topic_configs(topic)
        others = [f"{k}={view.topic_config(topic, k)}" for k in ("retention.bytes", "segment.ms")]
        given = ", ".join(f"{k}={v}" for k, v in sorted(configs.items())) or "none (Kafka's defaults)"
        self.retention.setText(f"Also: {', '.join(others)}. Set on this topic: {given}.")

    def _show_transactions(self, view, topic: str | None) -> None:
        producers: dict[str, list[str]] = {}
        for name in view.producers():
            t = view.producer_txn(name)
            if t.transactional_id is not None:
                producers.setdefault(t.transactional_id, []).append(
                    f"{name}: {'FENCED' if t.fenced else t.state} (epoch {t.producer_epoch})")
        txns = view.transactions()
        self._txn_rows = [(tid, t.state, f"{t.producer_id} · {t.producer_epoch}", ", ".join(t.partitions) or "–",
                           str(t.coordinator), "; ".join(producers.get(tid, ())) or "–")
                          for tid, t in txns.items()]
        self.txns.setText("<br>".join(
            f"<b>{tid}</b> — <b>{state}</b> · producer id {pid.split(' · ')[0]}, epoch {pid.split(' · ')[1]} · "
            f"coordinator {coord} · in the transaction: {parts}<br>&nbsp;&nbsp;producers: {who}"
            for tid, state, pid, parts, coord, who in self._txn_rows)
            or "No transactional.id yet: a producer with a transactional.id (Producers panel) starts one.")
        rows = []
        for pv in view.partitions(topic) if topic else ():
            pt = view.partition_txn(topic, pv.partition)
            if pt is None:
                continue
            opened = ", ".join(f"pid {pid} from {first}" for pid, first in sorted(pt.open_transactions.items()))
            aborted = ", ".join(f"pid {pid} {first}–{marker}" for pid, first, marker in pt.aborted[-4:])
            rows.append((f"{topic}/{pv.partition}", str(pt.last_stable_offset), str(pt.high_watermark),
                         opened or "–", aborted or "–"))
        self._stability_rows = rows
        self.transactions_box.setVisible(bool(txns) or any(r[3] != "–" or r[4] != "–" for r in rows))
        self.stability.setText("<br>".join(
            f"<b>{tp}</b>: " + (f"<span style='color:#00897b'><b>LSO {lso}</b></span> · HW {hw}" if lso != hw
                                 else f"LSO = HW = {hw}")
            + f" · open: {opened} · aborted: {aborted}" for tp, lso, hw, opened, aborted in rows))


def _set_items(combo: QComboBox, items: list[tuple[str, object]]) -> None:
    """Replace a combo's items only when they changed, keeping the current choice where it still exists."""
    if [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())] == items:
        return
    current = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    for text, data in items:
        combo.addItem(text, data)
    index = combo.findData(current)
    combo.setCurrentIndex(index if index >= 0 else 0)
    combo.blockSignals(False)
