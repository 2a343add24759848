"""The Messages panel (Ctrl+M): records by topic, partition and offset, decoded; search across
partitions; seek by offset and by timestamp; export to JSON and CSV; transactions labelled.

Offscreen (tests/conftest.py). Records are produced through the bridge or the cluster's own
producers and virtual time moves through the bridge (`show_at`), never by sleeping; file dialogs
are patched.
"""

from __future__ import annotations

import base64
import csv
import json
import os
import struct

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from playground.engine import Cluster
from playground.formats import AvroSchema
from playground.ui.commands import builtin_cluster
from playground.ui.qt_help import ShortcutsDialog
from playground.ui.qt_main_window import MainWindow
from playground.ui.qt_message_model import BATCH, HEADERS, KEY, PAGE, TIMESTAMP, TRANSACTION, VALUE
from playground.ui.qt_theme import COLORS


def _open(qtbot, cluster) -> MainWindow:
    win = MainWindow(cluster, [], title="test", running=False)
    qtbot.addWidget(win)
    win.resize(1600, 1000)
    win.show()
    qtbot.waitExposed(win)
    return win


def _show_messages(qtbot, win, topic: str = "orders"):
    action = next(a for a in win.actions() if a.shortcut().toString() == "Ctrl+M")
    action.trigger()
    panel = win.messages_panel
    qtbot.waitUntil(panel.isVisible, timeout=2000)
    panel.select_topic(topic)
    return panel


def _cells(panel, column: int) -> list[str]:
    return [panel.model.cell(panel.model.row_at(i), column) for i in range(panel.model.rowCount())]


def _rows(panel) -> list[tuple[int, int]]:
    return [(r.partition, r.offset) for r in (panel.model.row_at(i) for i in range(panel.model.rowCount()))]


@pytest.fixture
def window(qtbot):
    win = _open(qtbot, builtin_cluster())
    yield win
    win.bridge.close()


def _produce(win, ms: int = 600, **kwargs) -> None:
    win.bridge.produce(**kwargs)
    win.bridge.show_at(win.bridge.now + ms)


def test_ctrl_m_opens_the_panel_and_help_lists_it(qtbot, window):
    assert not window._messages_dock.isVisible()
    panel = _show_messages(qtbot, window)
    assert window._messages_dock.isVisible() and panel.current_topic() == "orders"
    assert ("View", "Messages (browse records)", "Ctrl+M") in ShortcutsDialog(window.menuBar(), window).rows()


def test_produced_records_are_listed_with_key_value_headers_and_timestamp(qtbot, window):
    _produce(window, topic="orders", value='{"n": {i}}', key="user-{i}", headers=(("source", b"web"),), count=6)
    panel = _show_messages(qtbot, window)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 6, timeout=2000)
    view = window.bridge.view()
    expected = sorted((p, off) for p in range(3) for off, _, _ in view.authoritative_log("orders", p).records())
    assert sorted(_rows(panel)) == expected
    assert sorted(_cells(panel, KEY)) == [f"user-{i}" for i in range(6)]
    row = panel.model.row_at(0)
    assert panel.model.cell(row, VALUE) == row.record.value.decode()
    assert panel.model.cell(row, HEADERS) == "source=web"
    assert panel.model.cell(row, TIMESTAMP) == f"{row.record.timestamp:,} ms CreateTime"
    assert panel.model.cell(row, BATCH) == str(row.batch.base_offset)
    # the detail pane decodes the selected record: JSON pretty-printed, the key as text
    panel.select_row(0)
    assert panel.detail.heading.text().startswith(f"orders/{row.partition} offset {row.offset}: record")
    value = json.loads(panel.detail.value.text.toPlainText())
    assert value == json.loads(row.record.value) and panel.detail.value.note.text().startswith("JSON")
    panel.detail.value.set_decoder("hex")
    assert panel.detail.value.text.toPlainText().startswith("00000000  7b 22 6e 22")
    panel.detail.value.set_decoder("base64")
    assert panel.detail.value.text.toPlainText() == base64.b64encode(row.record.value).decode()


def test_new_records_appear_while_the_panel_is_open(qtbot, window):
    panel = _show_messages(qtbot, window)
    assert panel.model.rowCount() == 0
    _produce(window, topic="orders", value="late {i}", key="k", count=3)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 3, timeout=3000)


def test_search_across_partitions_by_key_value_and_header(qtbot, window):
    _produce(window, topic="orders", value="order {i}", key="user-{i}", count=9)
    _produce(window, topic="orders", value="refund {i}", key="user-{i}", headers=(("kind", b"refund"),), count=3)
    panel = _show_messages(qtbot, window)
    panel.search_text.setText("user-1")
    panel.search_where.setCurrentIndex(panel.search_where.findData("key"))
    assert panel.search()
    qtbot.waitUntil(lambda: not panel.model.scanning, timeout=2000)
    assert sorted(_cells(panel, KEY)) == ["user-1", "user-1"]
    panel.search_where.setCurrentIndex(panel.search_where.findData("header"))
    panel.search_text.setText("refund")
    assert panel.search()
    qtbot.waitUntil(lambda: not panel.model.scanning, timeout=2000)
    assert sorted(_cells(panel, VALUE)) == ["refund 0", "refund 1", "refund 2"]
    view = window.bridge.view()
    truth = {(p, off) for p in range(3) for off, rec, _ in view.authoritative_log("orders", p).records()
             if rec.headers == (("kind", b"refund"),)}
    assert set(_rows(panel)) == truth and len({p for p, _ in truth}) > 1      # found in several partitions
    panel.search_where.setCurrentIndex(panel.search_where.findData("value"))
    panel.search_regex.setChecked(True)
    panel.search_text.setText(r"^order [0-2]$")
    assert panel.search()
    qtbot.waitUntil(lambda: not panel.model.scanning, timeout=2000)
    assert sorted(_cells(panel, VALUE)) == ["order 0", "order 1", "order 2"]


def test_a_bad_regex_gets_a_sentence_and_changes_nothing(qtbot, window):
    _produce(window, topic="orders", value="v{i}", key="k{i}", count=4)
    panel = _show_messages(qtbot, window)
    before = _rows(panel)
    panel.search_regex.setChecked(True)
    panel.search_text.setText("(unclosed")
    assert not panel.search()
    assert panel.status.text() == ("The regular expression does not compile: missing ), unterminated subpattern "
                                   "at position 0. Nothing changed.")
    assert _rows(panel) == before


def test_seek_by_timestamp_lists_from_the_first_record_at_or_after_it(qtbot, window):
    for batch in range(4):                          # 4 rounds, 1 s of virtual time apart
        _produce(window, ms=1000, topic="orders", value=f"round {batch}-{{i}}", key="same-key", count=2)
    panel = _show_messages(qtbot, window)
    (partition,) = {p for p in range(3) if window.bridge.view().authoritative_log("orders", p).high_watermark}
    log = window.bridge.view().authoritative_log("orders", partition)
    stamps = [(off, rec.timestamp) for off, rec, _ in log.records()]
    assert len(stamps) == 8
    target = stamps[4][1] - 1                       # just before the third round's first record
    panel.seek_kind.setCurrentIndex(panel.seek_kind.findData("timestamp"))
    panel.seek_text.setText(f"{target}ms")
    assert panel.seek()
    assert _rows(panel) == [(partition, off) for off, _ in stamps[4:]]
    assert panel.status.text() == f"Records at or after {target:,} ms: orders/{partition} from offset 4."
    assert panel.detail.heading.text().startswith(f"orders/{partition} offset 4")
    # a time after every record: refused, the listing stays
    panel.seek_text.setText("1h")
    assert not panel.seek()
    assert panel.status.text().startswith("No record has a timestamp at or after 3,600,000 ms")
    assert _rows(panel) == [(partition, off) for off, _ in stamps[4:]]
    panel.seek_text.setText("soon")
    assert not panel.seek() and "is not a time" in panel.status.text()


def test_seek_by_offset_and_an_offset_out_of_range(qtbot, window):
    _produce(window, topic="orders", value="v{i}", key="k", count=5, partition=None)
    panel = _show_messages(qtbot, window)
    (partition,) = {p for p, _ in _rows(panel)}
    panel.partition.setCurrentIndex(panel.partition.findData(partition))
    panel.seek_text.setText("3")
    assert panel.seek()
    assert _rows(panel) == [(partition, 3), (partition, 4)]
    panel.seek_text.setText("99")
    assert not panel.seek()
    assert panel.status.text() == (f"OFFSET_OUT_OF_RANGE: offset 99 is outside what can be read (from the log "
                                   f"start offset to the high watermark): orders/{partition} has 0–4. "
                                   "Nothing changed.")
    assert _rows(panel) == [(partition, 3), (partition, 4)]
    panel.seek_to_start()
    assert len(_rows(panel)) == 5


def _export(monkeypatch, panel, path, fmt: str):
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    assert panel.export(fmt)


def test_export_the_filtered_records_to_json_and_csv(qtbot, window, monkeypatch, tmp_path):
    _produce(window, topic="orders", value="order {i}", key="user-{i}", headers=(("h", b"1"),), count=5)
    window.bridge._cluster.producer("raw").send("orders", b"\xff\x00binary", key=b"user-bin", partition=0)
    window.bridge.show_at(window.bridge.now + 600)
    panel = _show_messages(qtbot, window)
    panel.search_text.setText("user-")
    panel.search_where.setCurrentIndex(panel.search_where.findData("key"))
    panel.search()
    qtbot.waitUntil(lambda: not panel.model.scanning, timeout=2000)
    _export(monkeypatch, panel, tmp_path / "out.json", "json")
    records = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert len(records) == 6
    by_key = {r["key"]: r for r in records}
    first = by_key["user-0"]
    log = window.bridge.view().authoritative_log("orders", first["partition"])
    rec = next(r for off, r, _ in log.records() if off == first["offset"])
    assert first == {**first, "topic": "orders", "value": "order 0", "value_encoding": "utf-8",
                     "key_encoding": "utf-8", "headers": [{"key": "h", "value": "1", "encoding": "utf-8"}],
                     "timestamp": rec.timestamp, "timestamp_type": "CreateTime", "control": None}
    binary = by_key["user-bin"]
    assert (binary["value"], binary["value_encoding"]) == ("/wBiaW5hcnk=", "base64")
    assert panel.status.text().startswith("Exported 6 records (records whose key contains 'user-') to ")

    _export(monkeypatch, panel, tmp_path / "out", "csv")         # the suffix is added
    with (tmp_path / "out.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 6
    row = next(r for r in rows if r["key"] == "user-0")
    assert (row["topic"], row["partition"], row["offset"]) == ("orders", str(first["partition"]),
                                                               str(first["offset"]))
    assert row["value"] == "order 0" and json.loads(row["headers"]) == first["headers"]
    assert row["timestamp_type"] == "CreateTime" and row["transaction"] == ""


def _txn_cluster() -> tuple[Cluster, object]:
    c = Cluster(brokers=3, seed=0, network_latency=1)
    c.create_topic("payments", 1, 3, {"min.insync.replicas": 2}, immediate=True)
    p = c.producer("tx", **{"transactional.id": "tx-1"})
    c.advance(1000)
    p.begin_transaction()
    for i in range(3):
        p.send("payments", f"aborted-{i}".encode(), key=b"a")
    c.advance(100)
    p.abort_transaction()
    c.advance(100)
    p.begin_transaction()
    p.send("payments", b"committed", key=b"c")
    c.advance(100)
    p.commit_transaction()
    c.advance(100)
    p.begin_transaction()
    p.send("payments", b"still open", key=b"o")
    c.advance(100)
    return c, p


def test_transactions_label_aborted_committed_open_and_grey_the_markers(qtbot):
    cluster, producer = _txn_cluster()
    win = _open(qtbot, cluster)
    try:
        panel = _show_messages(qtbot, win, "payments")
        qtbot.waitUntil(lambda: panel.model.rowCount() == 7, timeout=2000)
        assert _cells(panel, TRANSACTION) == ["aborted"] * 3 + ["ABORT marker", "committed", "COMMIT marker",
                                                                 "open transaction"]
        marker = panel.model.index(3, KEY)
        assert panel.model.data(marker, Qt.ItemDataRole.ForegroundRole) == COLORS["faint_text"]
        assert panel.model.data(marker, Qt.ItemDataRole.DisplayRole) == "(control record)"
        aborted = panel.model.index(0, TRANSACTION)
        assert panel.model.data(aborted, Qt.ItemDataRole.ForegroundRole) == COLORS["error"]
        panel.select_row(3)
        assert panel.detail.heading.text().startswith("payments/0 offset 3: ABORT marker (control record)")
        facts = {panel.detail.facts.item(i, 0).text(): panel.detail.facts.item(i, 1).text()
                 for i in range(panel.detail.facts.rowCount())}
        assert facts["marker"].startswith("ABORT (control type 0), written by the transaction coordinator")
        # a search never lists markers
        panel.search_text.setText("e")
        panel.search()
        qtbot.waitUntil(lambda: not panel.model.scanning, timeout=2000)
        assert "ABORT marker" not in _cells(panel, TRANSACTION)
        # the open transaction commits while the panel is open: its record is relabelled
        panel.clear_search()
        producer.commit_transaction()
        win.bridge.show_at(win.bridge.now + 200)
        qtbot.waitUntil(lambda: _cells(panel, TRANSACTION)[6:] == ["committed", "COMMIT marker"], timeout=3000)
    finally:
        win.bridge.close()


def test_avro_with_a_schema_and_bad_input_in_the_detail_pane(qtbot, window):
    schema = ('{"type": "record", "name": "Order", "namespace": "shop", "fields": '
              '[{"name": "id", "type": "long"}, {"name": "item", "type": "string"}]}')
    datum = AvroSchema(schema).write({"id": 7, "item": "book"})
    producer = window.bridge._cluster.producer("avro")
    producer.send("orders", b"\x00" + struct.pack(">i", 12) + datum, key=b"o-7", partition=1)
    producer.send("orders", b"not avro at all", key=b"o-8", partition=1)
    window.bridge.show_at(window.bridge.now + 600)
    panel = _show_messages(qtbot, window)
    detail = panel.detail
    panel.select_row(0)
    detail.value.set_decoder("avro")
    assert detail.value.note.text() == "Avro needs the writer's schema: paste it or load an .avsc file."
    assert not detail.set_avro_schema('{"type": "record", "name": "Order"')      # does not parse
    assert detail.schema_status.text().startswith("The Avro schema is not JSON")
    assert detail.avro is None
    assert detail.set_avro_schema(schema)
    assert json.loads(detail.value.text.toPlainText()) == {"id": 7, "item": "book"}
    assert detail.value.note.text().startswith("Confluent wire format: magic byte 0, schema id 12")
    assert not detail.set_avro_schema("[")                                         # the one in use stays
    assert detail.schema_status.text().endswith("Still using shop.Order.") and detail.avro.name == "shop.Order"
    panel.select_row(1)                                                            # a record that does not match
    assert detail.value.text.toPlainText() == ""
    assert detail.value.note.text().startswith("The record does not match the Avro schema shop.Order")
    detail.value.set_decoder("protobuf")
    assert detail.value.note.text().startswith("Protobuf needs a descriptor set")


def test_a_descriptor_set_loaded_from_a_file(qtbot, window, monkeypatch, tmp_path):
    from google.protobuf import descriptor_pb2, message_factory

    from playground.formats import ProtobufSchema
    F = descriptor_pb2.FieldDescriptorProto
    fd = descriptor_pb2.FileDescriptorProto(name="ping.proto", package="demo", syntax="proto3")
    fd.message_type.add(name="Ping").field.add(name="seq", number=1, type=F.TYPE_INT32, label=F.LABEL_OPTIONAL)
    blob = descriptor_pb2.FileDescriptorSet(file=[fd]).SerializeToString()
    (tmp_path / "ping.desc").write_bytes(blob)
    (tmp_path / "ping.proto").write_text('syntax = "proto3";\nmessage Ping { int32 seq = 1; }\n')
    cls = message_factory.GetMessageClass(ProtobufSchema(blob).pool.FindMessageTypeByName("demo.Ping"))
    window.bridge._cluster.producer("pb").send("orders", cls(seq=42).SerializeToString(), partition=2)
    window.bridge.show_at(window.bridge.now + 600)
    panel = _show_messages(qtbot, window)
    panel.select_row(0)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(tmp_path / "ping.proto"), ""))
    assert not panel.detail.load_protobuf()
    assert "cannot compile .proto source without protoc" in panel.detail.schema_status.text()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(tmp_path / "ping.desc"), ""))
    assert panel.detail.load_protobuf()
    panel.detail.value.set_decoder("protobuf")
    assert json.loads(panel.detail.value.text.toPlainText()) == {"seq": 42}
    panel.detail.value.set_decoder("protobuf-raw")
    assert panel.detail.value.text.toPlainText() == "1: 42"


def test_a_hundred_thousand_records_load_a_page_at_a_time(qtbot):
    """120,000 records (seed 3): the table holds a page, scrolling fetches the next, and a search that
    matches only the last record scans in slices from the event loop."""
    c = Cluster(brokers=3, seed=3, network_latency=1)
    c.create_topic("big", 3, 3, {}, immediate=True)
    p = c.producer("bulk", **{"linger.ms": 50, "batch.size": 1 << 20})
    for i in range(120_000):
        p.send("big", f"value {i}".encode(), key=f"k{i}".encode())
        if i % 10_000 == 9_999:
            c.advance(20)
    c.advance(3000)
    assert sum(c.view().authoritative_log("big", q).high_watermark for q in range(3)) == 120_000
    win = _open(qtbot, c)
    try:
        panel = _show_messages(qtbot, win, "big")
        model = panel.model
        # a page or two (Qt's view fetches while its viewport is not full), nothing read beyond them
        loaded = model.rowCount()
        assert loaded in (PAGE, 2 * PAGE) and model.canFetchMore() and model.scan.scanned == loaded
        panel.table.scrollToBottom()
        qtbot.waitUntil(lambda: model.rowCount() >= loaded + PAGE, timeout=3000)
        slices = []
        model.progress.connect(lambda: slices.append(model.scan.scanned))
        panel.search_text.setText("value 119999")
        panel.search_where.setCurrentIndex(panel.search_where.findData("value"))
        panel.search()
        qtbot.waitUntil(lambda: not model.scanning, timeout=20_000)
        assert _cells(panel, VALUE) == ["value 119999"]
        assert len(slices) >= 120_000 // 10_000            # the window had its turn between slices
    finally:
        win.bridge.close()


def test_compaction_while_open_relists_the_records_that_remain_with_their_offset_gaps(qtbot):
    c = Cluster(seed=5, network_latency=1, config={"log.cleaner.backoff.ms": 2000})
    c.create_topic("t", 1, 3, {"cleanup.policy": "compact", "segment.bytes": 600, "min.cleanable.dirty.ratio": 0.1,
                               "min.insync.replicas": 2}, immediate=True)
    win = _open(qtbot, c)
    try:
        panel = _show_messages(qtbot, win, "t")
        producer = c.producer(linger_ms=0)
        for i in range(40):
            producer.send("t", b"v%d" % i, key=b"k%d" % (i % 4))
            c.advance(100)
            if i == 20:                                 # the panel lists what is there half way
                win.bridge.show_at(c.clock.now)
                half = [(0, off) for off, _, _ in win.bridge.view().authoritative_log("t", 0).records()]
                qtbot.waitUntil(lambda: _rows(panel) == half, timeout=3000)
        win.bridge.show_at(c.clock.now + 5000)
        log = win.bridge.view().authoritative_log("t", 0)
        remaining = [(0, off) for off, _, _ in log.records()]
        assert log.last_clean_ms >= 0 and len(remaining) < 40
        qtbot.waitUntil(lambda: _rows(panel) == remaining, timeout=3000)
        assert remaining[-1] == (0, 39) and remaining[0][1] > 0          # offsets kept, gaps left
    finally:
        win.bridge.close()


def test_a_null_value_is_listed_as_a_tombstone_and_a_null_key_as_null(qtbot, window):
    _produce(window, topic="orders", value=None, key="gone", count=1)
    _produce(window, topic="orders", value="keyless", key="", count=1)
    panel = _show_messages(qtbot, window)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2, timeout=2000)
    assert sorted(zip(_cells(panel, KEY), _cells(panel, VALUE))) == [("gone", "null (tombstone)"),
                                                                     ("null", "keyless")]
