"""What the message browser lists, without Qt: rows merged across partitions by timestamp, lazy scans
that resume, seeks, transaction labels and the export files."""

from __future__ import annotations

import json

import pytest

from playground.engine import Cluster
from playground.ui.message_export import export_rows
from playground.ui.message_index import (BrowseError, RecordFilter, RecordScan, TxnLabels, parse_time, seek_offset,
                                         seek_timestamp)


def _cluster(config: dict | None = None) -> Cluster:
    c = Cluster(brokers=3, seed=1, network_latency=1)
    c.create_topic("t", 3, 3, config or {}, immediate=True)
    return c


def _send_rounds(c: Cluster, rounds: int = 3) -> None:
    p = c.producer("p", linger_ms=0)
    for r in range(rounds):
        for part in range(3):
            p.send("t", f"r{r}p{part}".encode(), key=b"k", partition=part)
        c.advance(500)


def test_all_partitions_are_merged_by_timestamp_then_partition_and_offset():
    c = _cluster()
    _send_rounds(c)
    rows = RecordScan(c.view(), "t", [0, 1, 2]).scan(100, 100)
    assert [r.record.value for r in rows] == [f"r{r}p{p}".encode() for r in range(3) for p in range(3)]
    stamps = [(r.record.timestamp, r.partition, r.offset) for r in rows]
    assert stamps == sorted(stamps)


def test_a_scan_hands_out_pages_and_resumes_with_new_records():
    c = _cluster()
    _send_rounds(c, 2)
    scan = RecordScan(c.view(), "t", [0, 1, 2])
    assert len(scan.scan(4, 100)) == 4 and scan.remaining()
    assert len(scan.scan(4, 100)) == 2 and not scan.remaining()
    _send_rounds(c, 1)
    assert scan.remaining()
    assert [r.offset for r in scan.scan(10, 100)] == [2, 2, 2]
    assert scan.scanned == 9 == scan.found


def test_a_scan_looks_at_no_more_records_than_its_budget():
    c = _cluster()
    _send_rounds(c, 4)
    scan = RecordScan(c.view(), "t", [0, 1, 2], RecordFilter("r3p2"))
    assert scan.scan(10, 5) == [] and scan.scanned == 5 and scan.remaining()
    assert [r.record.value for r in scan.scan(10, 100)] == [b"r3p2"]
    assert len(scan.all_rows()) == 1


def test_records_above_the_high_watermark_are_not_listed():
    c = _cluster({"min.insync.replicas": 2})
    c.producer("p").send("t", b"x", partition=0)
    log = c.view().authoritative_log("t", 0)
    for _ in range(100):                             # until the leader has it, before the followers do
        if log.log_end_offset:
            break
        c.advance(1)
    assert log.log_end_offset == 1 and log.high_watermark == 0
    assert RecordScan(c.view(), "t", [0]).scan(10, 10) == []


@pytest.mark.parametrize("text, where, regex, sentence", [
    ("(", "any", True, "The regular expression does not compile: missing ), unterminated subpattern at position 0."),
    ("x", "topic", False, "Search in 'topic'? Choose one of any, key, value, header."),
])
def test_a_bad_search_is_refused(text, where, regex, sentence):
    with pytest.raises(BrowseError) as err:
        RecordFilter(text, where, regex)
    assert str(err.value) == sentence


def test_seek_by_offset_in_one_or_all_partitions():
    c = _cluster()
    _send_rounds(c, 3)
    p = c.producer("p2", linger_ms=0)
    for _ in range(3):
        p.send("t", b"extra", partition=1)
    c.advance(500)
    starts, sentence = seek_offset(c.view(), "t", [1], 4)
    assert starts == {1: 4} and sentence == "From offset 4 of t/1."
    starts, _ = seek_offset(c.view(), "t", [0, 1, 2], 5)
    assert starts == {0: 3, 1: 5, 2: 3}              # partitions that end before it start at their end
    with pytest.raises(BrowseError, match="OFFSET_OUT_OF_RANGE: offset 7 is outside what can be read"):
        seek_offset(c.view(), "t", [0, 1, 2], 7)
    with pytest.raises(BrowseError, match="OFFSET_OUT_OF_RANGE"):
        seek_offset(c.view(), "t", [0], -1)


def test_seek_by_timestamp_is_list_offsets_by_time():
    c = _cluster()
    _send_rounds(c, 3)
    view = c.view()
    second = next(rec.timestamp for off, rec, _ in view.authoritative_log("t", 0).records() if off == 1)
    starts, sentence = seek_timestamp(view, "t", [0, 1, 2], second)
    assert starts == {0: 1, 1: 1, 2: 1}
    assert sentence == f"Records at or after {second:,} ms: t/0 from offset 1, t/1 from offset 1, t/2 from offset 1."
    with pytest.raises(BrowseError, match="No record has a timestamp at or after"):
        seek_timestamp(view, "t", [0, 1, 2], second + 10_000)
    assert parse_time("1.5s") == 1500 and parse_time("250") == 250
    with pytest.raises(BrowseError, match="'later' is not a time"):
        parse_time("later")


def test_log_append_time_is_what_the_broker_stamped():
    c = _cluster({"message.timestamp.type": "LogAppendTime"})
    c.producer("p", linger_ms=0).send("t", b"x", partition=0, timestamp=5)
    c.advance(500)
    (row,) = RecordScan(c.view(), "t", [0]).scan(10, 10)
    assert row.batch.timestamp_type == "LogAppendTime" and row.record.timestamp != 5


def test_transaction_labels_follow_the_partition_state():
    c = Cluster(brokers=3, seed=0, network_latency=1)
    c.create_topic("t", 1, 3, immediate=True)
    p = c.producer("tx", **{"transactional.id": "tx-1"})
    c.advance(1000)
    p.begin_transaction()
    p.send("t", b"a")
    c.advance(100)
    labels = TxnLabels(c.view(), "t")
    label = lambda: [labels.label(r.partition, r.offset, r.record, r.batch)  # noqa: E731
                     for r in RecordScan(c.view(), "t", [0]).scan(10, 10)]
    assert label() == ["open transaction"]
    p.commit_transaction()
    c.advance(100)
    assert label() == ["open transaction", "COMMIT marker"]   # cached until invalidated
    labels.invalidate()
    assert label() == ["committed", "COMMIT marker"]
    plain = c.producer("plain", linger_ms=0)
    plain.send("t", b"b")
    c.advance(100)
    labels.invalidate()
    assert label() == ["committed", "COMMIT marker", ""]


def test_export_refuses_a_file_that_is_neither_json_nor_csv(tmp_path):
    with pytest.raises(ValueError, match=r"Export to out.txt\? Name a .json or .csv file."):
        export_rows(tmp_path / "out.txt", "t", [], lambda row: "")
    assert export_rows(tmp_path / "empty.json", "t", [], lambda row: "") == 0
    assert json.loads((tmp_path / "empty.json").read_text()) == []
