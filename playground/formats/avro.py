"""Avro: a binary datum read with a schema the user pastes or loads (fastavro does the reading).

An Avro binary datum carries no schema and no framing, so the reader needs the
writer's schema. Confluent's KafkaAvroSerializer writes the 5-byte wire-format
header first (framing.py); `decode` says which of the two it read, and with
framing "auto" it tries the header first and the plain datum second. A datum
counts as read only when the schema consumes every byte of it: leftover bytes
mean the schema is not the one the record was written with.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import io
import json
import uuid
from struct import error as struct_error

import fastavro

from .base import Decoded, FormatError, plural
from .framing import check_framing, split_confluent


class AvroSchema:
    """A parsed Avro schema. Raises FormatError with the reason when the text is not one."""

    def __init__(self, text: str) -> None:
        if not text.strip():
            raise FormatError("The Avro schema is empty: paste or load the writer's schema (JSON).")
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FormatError(f"The Avro schema is not JSON: {exc.msg} at line {exc.lineno}, "
                              f"column {exc.colno}.") from None
        try:
            self.parsed = fastavro.parse_schema(raw)
        except Exception as exc:        # fastavro raises several types (SchemaParseException, UnknownType, ...)
            raise FormatError(f"The Avro schema does not parse: {_reason(exc)}.") from None
        self.text = text
        self.name = _schema_name(raw)

    def read(self, datum: bytes):
        """The value of one binary datum; FormatError unless the schema reads every byte of it."""
        buf = io.BytesIO(datum)
        try:
            value = fastavro.schemaless_reader(buf, self.parsed)
        except Exception as exc:        # EOFError, IndexError (union or enum index), UnicodeDecodeError, ...
            raise FormatError(_reason(exc)) from None
        left = len(datum) - buf.tell()
        if left:
            verb = "is" if left == 1 else "are"
            raise FormatError(f"{plural(left, 'byte')} {verb} left over after the datum")
        return value

    def write(self, value) -> bytes:
        """The binary datum of `value` (for tests and for producing Avro records)."""
        buf = io.BytesIO()
        try:
            fastavro.schemaless_writer(buf, self.parsed, value)
        except Exception as exc:
            raise FormatError(f"The value does not fit the schema {self.name}: {_reason(exc)}.") from None
        return buf.getvalue()

    def decode(self, data: bytes, framing: str = "auto") -> Decoded:
        check_framing(framing)
        frame = split_confluent(data, framing)
        attempts = []
        if frame is not None:
            try:
                value = self.read(frame.payload)
                return Decoded(to_json(value), frame.describe("Avro binary datum"))
            except FormatError as exc:
                attempts.append(f"read in the Confluent wire format (schema id {frame.schema_id}), {exc}")
        if framing != "confluent":
            try:
                value = self.read(data)
                return Decoded(to_json(value), f"Plain Avro binary datum of {plural(len(data), 'byte')} "
                                               "(no Confluent wire-format header)")
            except FormatError as exc:
                attempts.append(f"read as a plain datum, {exc}")
        raise FormatError(f"The record does not match the Avro schema {self.name}: " + "; ".join(attempts) + ".")


def _schema_name(raw) -> str:
    if isinstance(raw, dict):
        name = raw.get("name")
        if name and raw.get("namespace") and "." not in name:
            return f"{raw['namespace']}.{name}"
        return str(name or raw.get("type"))
    if isinstance(raw, list):
        return "union"
    return str(raw)


def _reason(exc: BaseException) -> str:
    """fastavro's exception, as a reason a person can act on."""
    if isinstance(exc, (EOFError, struct_error)):
        return "the bytes end before the datum does"
    if isinstance(exc, IndexError):
        return "the reader runs past the end of the bytes, or a union or enum index is out of range"
    if isinstance(exc, UnicodeDecodeError):
        return f"a string is not valid UTF-8 (byte 0x{exc.object[exc.start]:02x})"
    if type(exc).__name__ == "UnknownType":
        return f"unknown type {str(exc)!r} (not a primitive type nor a named type defined before it)"
    return str(exc).strip().rstrip(".") or type(exc).__name__


def _plain(value):
    """JSON can hold it: Avro bytes and fixed as their base64, decimals, dates, times and UUIDs as text."""
    if isinstance(value, (bytes, bytearray)):
        return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def to_json(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=_plain)

