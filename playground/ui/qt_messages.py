"""The Messages panel (Ctrl+M): browse the records of a topic like a consumer that reads everything.

Topic and partition pickers (or all partitions, merged by timestamp); a table of partition,
offset, timestamp and its type, key, value, headers, batch base offset, producer id and the
transaction each record belongs to (COMMIT and ABORT markers listed greyed, as the control records
they are); a detail pane that decodes the selected record (qt_message_detail.py); a search over
keys, values and headers of every partition; seek by offset or by timestamp (ListOffsets); export of
the filtered records to JSON or CSV.

It reads only through `bridge.view()`, fetches rows lazily (qt_message_model.py) and refreshes at
most every REFRESH_MS while it is visible, never per record.
"""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QCheckBox, QComboBox, QDockWidget, QFileDialog,
                               QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QSplitter, QTableView,
                               QVBoxLayout, QWidget)

from .message_export import export_rows
from .message_index import (FIELDS, BrowseError, RecordFilter, RecordScan, TxnLabels, parse_time, seek_offset,
                            seek_timestamp)
from .qt_message_detail import ERROR_STYLE, RecordDetail
from .qt_message_model import PAGE, WIDTHS, MessageTableModel
from .qt_theme import COLORS, font

REFRESH_MS = 300
ALL = -1


class MessagesPanel(QWidget):
    message = Signal(str, bool)             # text, is_error (the main window's status bar)

    def __init__(self, bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._filter = RecordFilter()
        self._starts: dict[int, int] = {}
        self._start_text = "From the log start offset of each partition."
        self._structure: tuple | None = None
        self._marks: tuple = ()
        self._pending = False
        self._since = QElapsedTimer()
        self.model = MessageTableModel(self)
        self.model.progress.connect(self._update_counts)
        self.detail = RecordDetail()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self._build_pickers())
        layout.addLayout(self._build_search())
        self.status = QLabel("")             # what the last search, seek or export did, or why not
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary = QLabel("")            # how much is listed, and from where
        self.summary.setStyleSheet(f"color: {COLORS['muted'].name()};")
        self.summary.setWordWrap(True)
        layout.addWidget(self.status)
        layout.addWidget(self.summary)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._build_table())
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([600, 400])
        layout.addWidget(splitter, 1)
        bridge.frame.connect(lambda _t: self._schedule())       # every frame and command; throttled below
        self.refresh()

    # -- building --------------------------------------------------------------------------------
    def _build_pickers(self) -> QHBoxLayout:
        self.topic = QComboBox()
        self.topic.setMinimumContentsLength(12)
        self.topic.currentIndexChanged.connect(lambda _: self._on_topic())
        self.partition = QComboBox()
        self.partition.currentIndexChanged.connect(lambda _: self.reload())
        self.internal = QCheckBox("internal topics")
        self.internal.setToolTip("__consumer_offsets and __transaction_state: Kafka's own records, binary")
        self.internal.toggled.connect(lambda _: self._refresh_topics())
        self.seek_kind = QComboBox()
        self.seek_kind.addItem("offset", "offset")
        self.seek_kind.addItem("timestamp", "timestamp")
        self.seek_text = QLineEdit()
        self.seek_text.setPlaceholderText("offset, or time: 1500 / 1.5s")
        self.seek_text.setMaximumWidth(170)
        self.seek_text.returnPressed.connect(self.seek)
        seek_button = QPushButton("Seek")
        seek_button.setToolTip("Offset: list from that offset. Timestamp: from the first record at or after it, "
                               "in each partition, as ListOffsets answers offsetsForTimes")
        seek_button.clicked.connect(self.seek)
        start_button = QPushButton("From the start")
        start_button.clicked.connect(self.seek_to_start)
        row = QHBoxLayout()
        for widget in (QLabel("Topic"), self.topic, self.internal, QLabel("Partition"), self.partition,
                       QLabel("  Seek to"), self.seek_kind, self.seek_text, seek_button, start_button):
            row.addWidget(widget)
        row.addStretch(1)
        return row

    def _build_search(self) -> QHBoxLayout:
        self.search_text = QLineEdit()
        self.search_text.setPlaceholderText("Search every partition: a substring, or a regular expression")
        self.search_text.returnPressed.connect(self.search)
        self.search_where = QComboBox()
        for name, label in FIELDS.items():
            self.search_where.addItem(f"in {label}", name)
        self.search_regex = QCheckBox("regex")
        search_button = QPushButton("Search")
        search_button.clicked.connect(self.search)
        clear_button = QPushButton("Clear")
        clear_button.clicked.connect(self.clear_search)
        self.export_json_button = QPushButton("Export JSON…")
        self.export_json_button.clicked.connect(lambda: self.export("json"))
        self.export_csv_button = QPushButton("Export CSV…")
        self.export_csv_button.clicked.connect(lambda: self.export("csv"))
        for b in (self.export_json_button, self.export_csv_button):
            b.setToolTip("Every record the search finds from the seek position on, not only the rows loaded")
        row = QHBoxLayout()
        for widget in (self.search_text, self.search_where, self.search_regex, search_button, clear_button,
                       self.export_json_button, self.export_csv_button):
            row.addWidget(widget)
        row.setStretch(0, 1)
        return row

    def _build_table(self) -> QTableView:
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setFont(font(11))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate(WIDTHS):
            self.table.setColumnWidth(column, width)
        header.setStretchLastSection(True)
        self.table.selectionModel().currentRowChanged.connect(lambda current, _prev: self._show_current())
        return self.table

    # -- what is listed --------------------------------------------------------------------------
    def current_topic(self) -> str | None:
        return self.topic.currentData()

    def current_partitions(self) -> list[int]:
        topic = self.current_topic()
        if topic is None:
            return []
        chosen = self.partition.currentData()
        count = len(self._bridge.view().partitions(topic))
        return list(range(count)) if chosen in (None, ALL) else [chosen]

    def select_topic(self, topic: str, partition: int | None = None) -> None:
        i = self.topic.findData(topic)
        if i < 0 and topic.startswith("__"):
            self.internal.setChecked(True)
            i = self.topic.findData(topic)
        if i >= 0:
            self.topic.setCurrentIndex(i)
        if partition is not None:
            self.partition.setCurrentIndex(max(0, self.partition.findData(partition)))

    def _on_topic(self) -> None:
        self._starts, self._start_text = {}, "From the log start offset of each partition."
        self._fill_partitions()
        self.reload()

    def _fill_partitions(self) -> None:
        topic = self.current_topic()
        count = len(self._bridge.view().partitions(topic)) if topic else 0
        wanted = [("All partitions", ALL)] + [(str(p), p) for p in range(count)]
        if [(self.partition.itemText(i), self.partition.itemData(i)) for i in range(self.partition.count())] == wanted:
            return
        current = self.partition.currentData()
        self.partition.blockSignals(True)
        self.partition.clear()
        for text, data in wanted:
            self.partition.addItem(text, data)
        self.partition.setCurrentIndex(max(0, self.partition.findData(current)))
        self.partition.blockSignals(False)

    def reload(self, keep: tuple[int, int] | None = None) -> None:
        """List again from the start positions with the current filter (keeping the selection if it is
        still there)."""
        topic = self.current_topic()
        view = self._bridge.view()
        if topic is None or topic not in view.topic_names():
            self.model.set_scan(None, None)
            self._structure = None
            self.detail.show_row("", None)
            self._update_counts()
            return
        parts = self.current_partitions()
        starts = {p: self._starts[p] for p in parts if p in self._starts}
        scan = RecordScan(view, topic, parts, self._filter, starts)
        self.model.set_scan(scan, TxnLabels(view, topic))
        self._structure = scan.structure()
        self._marks = tuple(scan.high_watermarks())
        if keep is not None and (i := self.model.find(*keep)) >= 0:
            self.table.selectRow(i)
        else:
            self.detail.show_row(topic, None)
        self._update_counts()

    # -- search, seek, export --------------------------------------------------------------------
    def _say(self, text: str, error: bool = False) -> None:
        self.status.setStyleSheet(ERROR_STYLE if error else f"color: {COLORS['good'].name()};")
        self.status.setText(text)
        self.message.emit(text, error)

    def search(self) -> bool:
        try:
            flt = RecordFilter(self.search_text.text(), self.search_where.currentData(),
                               self.search_regex.isChecked())
        except BrowseError as exc:
            self._say(f"{exc} Nothing changed.", True)
            return False
        self._filter = flt
        self.reload()
        self._say(f"Listing {flt.describe()}, across {self._partitions_text()}.")
        return True

    def clear_search(self) -> None:
        self.search_text.clear()
        self.search()

    def seek(self) -> bool:
        topic, parts = self.current_topic(), self.current_partitions()
        if topic is None:
            self._say("Choose a topic first.", True)
            return False
        text = self.seek_text.text().strip()
        try:
            if self.seek_kind.currentData() == "offset":
                try:
                    offset = int(text.replace(",", "").replace("_", ""))
                except ValueError:
                    raise BrowseError(f"{text!r} is not an offset: write a whole number (0, 42). "
                                      "Nothing changed.") from None
                starts, sentence = seek_offset(self._bridge.view(), topic, parts, offset)
            else:
                starts, sentence = seek_timestamp(self._bridge.view(), topic, parts, parse_time(text))
        except BrowseError as exc:
            self._say(str(exc) if str(exc).endswith("changed.") else f"{exc} Nothing changed.", True)
            return False
        self._starts.update(starts)
        self._start_text = sentence
        self.reload()
        if self.model.rowCount():
            self.table.selectRow(0)
        self._say(sentence)
        return True

    def seek_to_start(self) -> None:
        self._starts = {}
        self._start_text = "From the log start offset of each partition."
        self.reload()
        self._say(self._start_text)

    def export(self, fmt: str) -> bool:
        scan = self.model.scan
        if scan is None:
            self._say("Choose a topic first: there is nothing to export.", True)
            return False
        suggested = f"{scan.topic}.{fmt}"
        caption = "Export the listed records as " + fmt.upper()
        path, _ = QFileDialog.getSaveFileName(self, caption, suggested, f"{fmt.upper()} (*.{fmt})")
        if not path:
            return False
        if not path.lower().endswith("." + fmt):
            path += "." + fmt
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)     # 100,000 records take a second
        try:
            count = export_rows(path, scan.topic, scan.all_rows(), self.model.label, fmt)
        except OSError as exc:
            self._say(f"Cannot write {path}: {exc.strerror or exc}. Nothing was exported.", True)
            return False
        finally:
            QApplication.restoreOverrideCursor()
        self._say(f"Exported {count:,} records ({self._filter.describe()}) to {path}.")
        return True

    # -- selection -------------------------------------------------------------------------------
    def _show_current(self) -> None:
        row = self.model.row_at(self.table.currentIndex().row())
        topic = self.current_topic() or ""
        self.detail.show_row(topic, row, self.model.label(row) if row is not None else "")

    def selected_row(self):
        return self.model.row_at(self.table.currentIndex().row())

    def select_row(self, i: int) -> None:
        self.table.selectionModel().setCurrentIndex(
            self.model.index(i, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows)

    # -- refreshing ------------------------------------------------------------------------------
    def _partitions_text(self) -> str:
        parts = self.current_partitions()
        return f"partition {parts[0]}" if len(parts) == 1 else f"all {len(parts)} partitions"

    def _update_counts(self) -> None:
        scan = self.model.scan
        if scan is None:
            topic = self.current_topic()
            text = "No topic to browse yet." if topic is None else f"Topic {topic} does not exist."
        else:
            more = "searching…" if self.model.scanning else (
                "scroll for more" if scan.remaining() else "all, up to the high watermark")
            text = (f"{self.model.rowCount():,} listed ({more}) of {scan.scanned:,} records read: "
                    f"{self._filter.describe()}, {self._partitions_text()}. {self._start_text}")
        self.summary.setText(text)

    def _schedule(self) -> None:
        if self._pending or not self.isVisible():
            return
        self._pending = True
        wait = 0 if not self._since.isValid() else max(0, REFRESH_MS - self._since.elapsed())
        QTimer.singleShot(int(wait), self, self.refresh)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()

    def _refresh_topics(self) -> None:
        names = self._bridge.view().topic_names(include_internal=self.internal.isChecked())
        if [self.topic.itemData(i) for i in range(self.topic.count())] == names:
            return
        current = self.current_topic()
        self.topic.blockSignals(True)
        self.topic.clear()
        for name in names:
            self.topic.addItem(name, name)
        i = self.topic.findData(current)
        self.topic.setCurrentIndex(i if i >= 0 else 0 if names else -1)
        self.topic.blockSignals(False)
        if self.current_topic() != current:
            self._on_topic()

    def refresh(self) -> None:
        """Follow the cluster: new topics and partitions, new records at the end (when the list is short or
        scrolled to its end), and a fresh listing when retention, compaction or truncation removed rows."""
        self._pending = False
        self._since.start()
        self._refresh_topics()
        self._fill_partitions()
        scan = self.model.scan
        if scan is None:
            if self.current_topic() is not None:
                self.reload()
            return
        if scan.topic not in self._bridge.view().topic_names():
            self.reload()
            return
        if scan.structure() != self._structure or scan.partitions != self.current_partitions():
            row = self.selected_row()           # rows went (retention, compaction) or partitions came
            self.reload(keep=(row.partition, row.offset) if row else None)
            return
        marks = tuple(scan.high_watermarks())
        if marks != self._marks:
            self._marks = marks
            self.model.labels_changed()
        bar = self.table.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 2
        if self.model.canFetchMore() and (at_end or self.model.rowCount() < PAGE):
            self.model.fetchMore()
        self._update_counts()


# -- the window's dock and its shortcut ----------------------------------------------------------------
def install_messages_dock(window) -> tuple[MessagesPanel, QDockWidget]:
    """The Messages dock, under the canvas, hidden until Ctrl+M (see messages_action)."""
    panel = MessagesPanel(window.bridge)
    dock = QDockWidget("Messages", window)
    dock.setObjectName("messages-dock")
    dock.setWidget(panel)
    dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                     | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                     | QDockWidget.DockWidgetFeature.DockWidgetClosable)
    # a row of its own under the canvas, the whole width of the bottom area: a table needs it
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock, Qt.Orientation.Vertical)
    dock.hide()
    panel.message.connect(window.show_status)
    return panel, dock


def messages_action(window, dock: QDockWidget, key: str = "Ctrl+M") -> QAction:
    """View ▸ Messages: show the browser with room to read (or hide it)."""
    action = dock.toggleViewAction()
    action.setText("Messages (browse records)")
    action.setShortcut(QKeySequence(key))
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)

    def shown(on: bool) -> None:
        if on:
            dock.raise_()
            window.resizeDocks([dock], [max(320, int(window.height() * 0.42))], Qt.Orientation.Vertical)
    action.triggered.connect(shown)
    window.addAction(action)
    return action
