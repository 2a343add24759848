"""The message browser's detail pane: one record in full, its key and value through a chosen decoder,
and the schemas Avro and Protobuf need.

Decoding never changes anything: a value that does not match the schema, or a schema that does not
parse, gets one sentence under the field, and the schema in use stays the one that worked.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase, QFontMetrics
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QPlainTextEdit,
                               QPushButton, QSizePolicy, QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout,
                               QWidget)

from playground.engine import KafkaError
from playground.engine.batch_codec import CONTROL_COMMIT, read_end_transaction_marker
from playground.formats import DECODERS, FRAMINGS, AvroSchema, FormatError, ProtobufSchema, decode, preview

from .message_index import Row
from .qt_theme import COLORS, font

ERROR_STYLE = f"color: {COLORS['error'].name()}; font-weight: bold;"
NOTE_STYLE = f"color: {COLORS['muted'].name()};"
FRAMING_LABELS = {"auto": "Confluent header when present", "confluent": "Confluent wire format",
                  "plain": "no header (plain)"}


def _mono() -> QFont:
    f = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    f.setPointSize(11)
    return f


def marker_text(record) -> str:
    """Kafka's EndTransactionMarker: key (version, type), value (version, coordinator epoch)."""
    try:
        control_type, epoch = read_end_transaction_marker(record)
    except KafkaError as exc:
        return f"not an end transaction marker: {exc.message}"
    return (f"{'COMMIT' if control_type == CONTROL_COMMIT else 'ABORT'} (control type {control_type}), written "
            f"by the transaction coordinator at coordinator epoch {epoch}")


class FieldView(QWidget):
    """A key or a value: a decoder picker, the decoded text, and how it was read (or why not)."""

    def __init__(self, title: str, detail: "RecordDetail") -> None:
        super().__init__()
        self._detail = detail
        self._data: bytes | None = None
        self.title = QLabel(title)
        self.title.setFont(font(12, bold=True))
        self.decoder = QComboBox()
        for name, label in DECODERS.items():
            self.decoder.addItem(label, name)
        self.decoder.currentIndexChanged.connect(lambda _: self.render())
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(_mono())
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setMinimumHeight(36)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        # two lines kept for the sentence: a squeezed wrapped label would paint over the text above it
        self.note.setMinimumHeight(2 * QFontMetrics(self.note.font()).lineSpacing() + 4)
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addStretch(1)
        top.addWidget(QLabel("decode as"))
        top.addWidget(self.decoder)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.note)

    def set_decoder(self, name: str) -> None:
        self.decoder.setCurrentIndex(self.decoder.findData(name))

    def show_bytes(self, data: bytes | None, present: bool = True) -> None:
        self._data = data
        self._present = present
        self.render()

    def render(self) -> None:
        if not getattr(self, "_present", False):
            self.text.setPlainText("")
            self.note.setText("")
            return
        d = self._detail
        try:
            shown = decode(self._data, self.decoder.currentData(), avro=d.avro, protobuf=d.protobuf,
                           message=d.message_type.currentData(), framing=d.framing.currentData())
        except FormatError as exc:
            self.text.setPlainText("")
            self.note.setStyleSheet(ERROR_STYLE)
            self.note.setText(str(exc))
            return
        self.text.setPlainText(shown.text)
        self.note.setStyleSheet(NOTE_STYLE)
        self.note.setText(shown.note)


class RecordDetail(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.avro: AvroSchema | None = None
        self.protobuf: ProtobufSchema | None = None
        self._row: Row | None = None
        self.heading = QLabel("Select a record to see it in full.")
        self.heading.setFont(font(12, bold=True))
        self.heading.setWordWrap(True)
        self.heading.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        # the batch's facts, then the headers: one row each, so nothing is squeezed out of sight
        self.facts = QTableWidget(0, 2)
        self.facts.setHorizontalHeaderLabels(["", ""])
        self.facts.horizontalHeader().setVisible(False)
        self.facts.horizontalHeader().setStretchLastSection(True)
        self.facts.verticalHeader().setVisible(False)
        self.facts.verticalHeader().setDefaultSectionSize(20)
        self.facts.setMinimumHeight(64)
        self.facts.setMaximumHeight(150)
        self.facts.setFont(font(11))
        self.facts.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.framing = QComboBox()
        for name in FRAMINGS:
            self.framing.addItem(FRAMING_LABELS[name], name)
        self.framing.setToolTip("Confluent's serializers put magic byte 0 and a 4-byte schema id before the "
                                "Avro, Protobuf or JSON bytes")
        self.message_type = QComboBox()
        self.message_type.setToolTip("The Protobuf message type of the record (a Confluent header's message "
                                     "indexes override it)")
        self.key = FieldView("Key", self)
        self.key.text.setMaximumHeight(64)          # keys are short; the value gets the room
        self.value = FieldView("Value", self)
        self.framing.currentIndexChanged.connect(lambda _: self.render())
        self.message_type.currentIndexChanged.connect(lambda _: self.render())
        record = QWidget()
        inner = QVBoxLayout(record)
        inner.setContentsMargins(2, 2, 2, 2)
        inner.addWidget(self.heading)
        inner.addWidget(self.facts, 1)
        inner.addWidget(self.key, 1)
        inner.addWidget(self.value, 4)
        self.tabs = QTabWidget()
        self.tabs.addTab(record, "Record")
        self.tabs.addTab(self._build_schemas(), "Schemas")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

    def _build_schemas(self) -> QWidget:
        box = QWidget()
        self.avro_text = QPlainTextEdit()
        self.avro_text.setPlaceholderText('Paste the writer\'s Avro schema, e.g. {"type": "record", "name": '
                                          '"Order", "fields": [{"name": "id", "type": "long"}]}')
        self.avro_text.setFont(_mono())
        self.avro_apply = QPushButton("Use this schema")
        self.avro_apply.clicked.connect(lambda: self.set_avro_schema(self.avro_text.toPlainText()))
        self.avro_load = QPushButton("Load .avsc…")
        self.avro_load.clicked.connect(self.load_avro)
        self.proto_load = QPushButton("Load descriptor set…")
        self.proto_load.setToolTip("The file protoc --include_imports --descriptor_set_out=FILE.desc FILE.proto "
                                   "writes: the protobuf package cannot compile .proto source itself")
        self.proto_load.clicked.connect(self.load_protobuf)
        self.schema_status = QLabel("No schema yet.")
        self.schema_status.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.avro_apply)
        buttons.addWidget(self.avro_load)
        buttons.addWidget(self.proto_load)
        buttons.addStretch(1)
        form = QFormLayout(box)
        intro = QLabel("For the Avro and Protobuf decoders of the key and the value. A schema that does not "
                       "parse is refused and the one in use stays.")
        intro.setWordWrap(True)
        form.addRow(intro)
        form.addRow("Avro schema", self.avro_text)
        form.addRow("", buttons)
        form.addRow("Protobuf type", self.message_type)
        form.addRow("Framing", self.framing)
        form.addRow(self.schema_status)
        return box

    # -- schemas ---------------------------------------------------------------------------------
    def _schema_message(self, text: str, error: bool) -> None:
        self.schema_status.setStyleSheet(ERROR_STYLE if error else NOTE_STYLE)
        self.schema_status.setText(text)

    def set_avro_schema(self, text: str) -> bool:
        """Parse and use `text`; a schema that does not parse is refused and the one in use stays."""
        try:
            schema = AvroSchema(text)
        except FormatError as exc:
            kept = f" Still using {self.avro.name}." if self.avro else ""
            self._schema_message(f"{exc}{kept}", True)
            return False
        self.avro = schema
        if self.avro_text.toPlainText() != text:
            self.avro_text.setPlainText(text)
        self._schema_message(f"Avro schema {schema.name} in use: choose Avro (with a schema) to read with it.", False)
        self.render()
        return True

    def set_protobuf_schema(self, data: bytes, source: str = "This file") -> bool:
        try:
            schema = ProtobufSchema(data, source)
        except FormatError as exc:
            self._schema_message(str(exc), True)
            return False
        self.protobuf = schema
        self.message_type.blockSignals(True)
        self.message_type.clear()
        for name in schema.message_names:
            self.message_type.addItem(name, name)
        self.message_type.setCurrentIndex(self.message_type.findData(schema.default_message))
        self.message_type.blockSignals(False)
        self._schema_message(f"{source}: {len(schema.message_names)} Protobuf message types; choose Protobuf "
                             "(with a descriptor set) to read with them.", False)
        self.render()
        return True

    def load_avro(self) -> bool:
        path, _ = QFileDialog.getOpenFileName(self, "Load an Avro schema", "", "Avro schema (*.avsc *.json);;All (*)")
        if not path:
            return False
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self._schema_message(f"Cannot read {Path(path).name}: {exc}.", True)
            return False
        return self.set_avro_schema(text)

    def load_protobuf(self) -> bool:
        path, _ = QFileDialog.getOpenFileName(self, "Load a Protobuf descriptor set", "",
                                              "Descriptor set (*.desc *.pb *.protoset *.bin);;All (*)")
        if not path:
            return False
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            self._schema_message(f"Cannot read {Path(path).name}: {exc}.", True)
            return False
        return self.set_protobuf_schema(data, Path(path).name)

    # -- the record ------------------------------------------------------------------------------
    def show_row(self, topic: str, row: Row | None, transaction: str = "") -> None:
        self._row = row
        if row is None:
            self.heading.setText("Select a record to see it in full.")
            self.facts.setRowCount(0)
            self.key.show_bytes(None, present=False)
            self.value.show_bytes(None, present=False)
            return
        rec, b = row.record, row.batch
        what = f"{transaction} (control record)" if b.is_control else "record"
        self.heading.setText(f"{topic}/{row.partition} offset {row.offset}: {what}")
        who = ("the broker's append time: message.timestamp.type=LogAppendTime"
               if b.timestamp_type == "LogAppendTime" else
               "the partition leader's clock when it wrote the marker" if b.is_control else "set by the producer")
        facts = [("timestamp", f"{rec.timestamp:,} ms, {b.timestamp_type} ({who})"),
                 ("batch", f"offsets {b.base_offset}–{b.last_offset}, {b.count} present, leader epoch "
                           f"{b.leader_epoch}, compression {b.compression}")]
        if b.producer_id >= 0:
            facts.append(("producer", f"id {b.producer_id}, epoch {b.producer_epoch}, base sequence "
                                      f"{b.base_sequence}"))
        if b.is_control:
            facts.append(("marker", marker_text(rec)))
        elif b.is_transactional:
            facts.append(("transaction", transaction))
        facts += [(f"header {name}", preview(value, 200)) for name, value in rec.headers]
        if not rec.headers and not b.is_control:
            facts.append(("headers", "none"))
        self.facts.setRowCount(len(facts))
        for i, (name, text) in enumerate(facts):
            self.facts.setItem(i, 0, QTableWidgetItem(name))
            self.facts.setItem(i, 1, QTableWidgetItem(text))
        self.facts.resizeColumnToContents(0)
        self.key.show_bytes(rec.key)
        self.value.show_bytes(rec.value)

    def render(self) -> None:
        self.key.render()
        self.value.render()
