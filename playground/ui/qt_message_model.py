"""The message browser's table: a QAbstractTableModel over the partition logs, filled lazily.

It holds only the rows fetched so far (references to the logs' own records and batches) and a
`RecordScan` that knows where to go on. Qt's view asks `canFetchMore` / `fetchMore` as it
scrolls; a search that matches few records keeps scanning in slices from the event loop
(`SCAN_SLICE` records each) until the page is full, so the window never freezes.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, QTimer, Signal

from playground.formats import preview

from .message_index import RecordScan, Row, TxnLabels
from .qt_theme import COLORS, font

PAGE = 400                  # rows per fetchMore
SCAN_SLICE = 10_000         # records looked at per slice of a search (about 50 ms)
COLUMNS = ("Partition", "Offset", "Key", "Value", "Headers", "Timestamp", "Batch", "Producer", "Transaction")
(PARTITION, OFFSET, KEY, VALUE, HEADERS, TIMESTAMP, BATCH, PRODUCER, TRANSACTION) = range(len(COLUMNS))
WIDTHS = (64, 64, 100, 230, 130, 150, 56, 150, 130)


def header_preview(headers: tuple) -> str:
    return ", ".join(f"{name}={preview(value, 24)}" for name, value in headers)


def producer_text(batch) -> str:
    if batch.producer_id < 0:
        return ""
    return f"{batch.producer_id} · epoch {batch.producer_epoch} · seq {batch.base_sequence}"


class MessageTableModel(QAbstractTableModel):
    progress = Signal()             # rows were added or a search slice ran: the status line may change

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[Row] = []
        self._scan: RecordScan | None = None
        self._labels: TxnLabels | None = None
        self._wanted = 0                    # rows a search still owes the current page
        self._slice_timer = QTimer(self)
        self._slice_timer.setSingleShot(True)
        self._slice_timer.setInterval(0)
        self._slice_timer.timeout.connect(self._slice)
        self._control_font = font(11, italic=True)

    # -- what it lists ---------------------------------------------------------------------------
    @property
    def scan(self) -> RecordScan | None:
        return self._scan

    @property
    def scanning(self) -> bool:
        """A search is still looking for the rows of this page."""
        return self._wanted > 0

    def set_scan(self, scan: RecordScan | None, labels: TxnLabels | None) -> None:
        self.beginResetModel()
        self._rows = []
        self._scan = scan
        self._labels = labels
        self._wanted = 0
        self._slice_timer.stop()
        self.endResetModel()
        if scan is not None:
            self.fetchMore(QModelIndex())

    def row_at(self, i: int) -> Row | None:
        return self._rows[i] if 0 <= i < len(self._rows) else None

    def find(self, partition: int, offset: int) -> int:
        for i, row in enumerate(self._rows):
            if row.partition == partition and row.offset == offset:
                return i
        return -1

    def labels_changed(self) -> None:
        """Transactions may have ended since the rows were painted: label them again."""
        if self._labels is not None and self._rows:
            self._labels.invalidate()
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, len(COLUMNS) - 1))

    def label(self, row: Row) -> str:
        return self._labels.label(row.partition, row.offset, row.record, row.batch) if self._labels else ""

    # -- lazy fetching ---------------------------------------------------------------------------
    def canFetchMore(self, parent: QModelIndex = QModelIndex()) -> bool:
        return not parent.isValid() and self._scan is not None and not self.scanning and self._scan.remaining()

    def fetchMore(self, parent: QModelIndex = QModelIndex()) -> None:
        if parent.isValid() or self._scan is None or self.scanning:
            return
        self._wanted = PAGE
        self._slice()

    def _slice(self) -> None:
        scan = self._scan
        if scan is None or self._wanted <= 0:
            self._wanted = 0
            return
        rows = scan.scan(self._wanted, SCAN_SLICE)
        if rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()
        self._wanted -= len(rows)
        if self._wanted > 0 and scan.remaining():
            self._slice_timer.start()       # a sparse search: go on after the window had its turn
        else:
            self._wanted = 0
        self.progress.emit()

    # -- Qt's model interface --------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        control = row.batch.is_control
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell(row, index.column())
        if role == Qt.ItemDataRole.ForegroundRole:
            if control:
                return COLORS["faint_text"]
            if index.column() == TRANSACTION and self.label(row) == "aborted":
                return COLORS["error"]
            return None
        if role == Qt.ItemDataRole.FontRole and control:
            return self._control_font
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (PARTITION, OFFSET, BATCH):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(row)
        return None

    def cell(self, row: Row, column: int) -> str:
        rec, batch = row.record, row.batch
        if column == PARTITION:
            return str(row.partition)
        if column == OFFSET:
            return str(row.offset)
        if column == TIMESTAMP:
            return f"{rec.timestamp:,} ms {batch.timestamp_type}"
        if column == TRANSACTION:
            return self.label(row)
        if column == BATCH:
            return str(batch.base_offset)
        if column == PRODUCER:
            return producer_text(batch)
        if batch.is_control:
            return {KEY: "(control record)", VALUE: f"{self.label(row)}: ends producer {batch.producer_id}'s "
                                                    "transaction here", HEADERS: ""}.get(column, "")
        if column == KEY:
            return preview(rec.key, 40)
        if column == VALUE:
            return "null (tombstone)" if rec.value is None else preview(rec.value)
        if column == HEADERS:
            return header_preview(rec.headers)
        return ""

    def tooltip(self, row: Row) -> str:
        b = row.batch
        kind = "control batch (transaction marker)" if b.is_control else (
            "transactional batch" if b.is_transactional else "batch")
        return (f"{self._scan.topic if self._scan else ''}/{row.partition} offset {row.offset}: {kind} "
                f"{b.base_offset}–{b.last_offset}, leader epoch {b.leader_epoch}, compression {b.compression}"
                + (f", producer id {b.producer_id} epoch {b.producer_epoch} base sequence {b.base_sequence}"
                   if b.producer_id >= 0 else ""))
