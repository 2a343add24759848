"""Export of the browser's filtered records to JSON and CSV, without Qt.

Keys, values and header values are bytes: each is written as its UTF-8 text when
it is valid UTF-8, else as base64, and an `*_encoding` field says which, so the
file gives back the exact bytes. A null key or value is written as null (JSON)
or an empty cell with encoding `null` (CSV). A JSON file is an array with one record per line;
a CSV file has one line per record, its headers as a JSON list in one column.
"""

from __future__ import annotations

import base64
import csv
import json
from pathlib import Path
from typing import Callable, Iterable

from playground.engine.txn_protocol import marker_name

from .message_index import Row

CSV_COLUMNS = ("topic", "partition", "offset", "timestamp", "timestamp_type", "key", "key_encoding", "value",
               "value_encoding", "headers", "batch_base_offset", "producer_id", "producer_epoch", "base_sequence",
               "transaction", "control")


def _bytes(data: bytes | None) -> tuple[str | None, str]:
    if data is None:
        return None, "null"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(data).decode("ascii"), "base64"


def row_dict(topic: str, row: Row, transaction: str = "") -> dict:
    rec, batch = row.record, row.batch
    key, key_enc = _bytes(rec.key)
    value, value_enc = _bytes(rec.value)
    headers = []
    for name, raw in rec.headers:
        text, enc = _bytes(raw)
        headers.append({"key": name, "value": text, "encoding": enc})
    return {
        "topic": topic, "partition": row.partition, "offset": row.offset,
        "timestamp": rec.timestamp, "timestamp_type": batch.timestamp_type,
        "key": key, "key_encoding": key_enc, "value": value, "value_encoding": value_enc,
        "headers": headers,
        "batch_base_offset": batch.base_offset, "producer_id": batch.producer_id,
        "producer_epoch": batch.producer_epoch, "base_sequence": batch.base_sequence,
        "transaction": transaction or None,
        "control": marker_name(rec) if batch.is_control else None,
    }


def export_rows(path: str | Path, topic: str, rows: Iterable[Row], label: Callable[[Row], str],
                fmt: str | None = None) -> int:
    """Write `rows` to `path` as JSON (a list of records) or CSV (one line each, headers as JSON);
    the format follows the file's suffix unless `fmt` names it. Returns the number written."""
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in ("json", "csv"):
        raise ValueError(f"Export to {path.name}? Name a .json or .csv file.")
    dicts = [row_dict(topic, row, label(row)) for row in rows]
    # json's C encoder does not indent: one record per line keeps 100,000 records to about a second
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    if fmt == "json":
        with path.open("w", encoding="utf-8") as f:
            f.write("[\n" + ",\n".join(map(dumps, dicts)) + ("\n]\n" if dicts else "]\n"))
    else:
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(CSV_COLUMNS)
            for d in dicts:
                writer.writerow((d["topic"], d["partition"], d["offset"], d["timestamp"], d["timestamp_type"],
                                 "" if d["key"] is None else d["key"], d["key_encoding"],
                                 "" if d["value"] is None else d["value"], d["value_encoding"],
                                 dumps(d["headers"]), d["batch_base_offset"], d["producer_id"], d["producer_epoch"],
                                 d["base_sequence"], d["transaction"] or "", d["control"] or ""))
    return len(dicts)
