"""Protobuf without a schema, as `protoc --decode_raw` shows it: field numbers, wire types, values.

The wire format alone says only a field's number and how its bytes are laid
out (varint, 64-bit, length-delimited, 32-bit, group), not its name or type:
a varint may be an int, a bool or an enum; a length-delimited field may be a
string, bytes, a nested message or a packed list. Like protoc, a
length-delimited field is shown as a nested message when its bytes parse as
one, else as a string when they are UTF-8, else as escaped bytes.
"""

from __future__ import annotations

import struct

from .base import Decoded, FormatError, plural
from .framing import read_uvarint

VARINT, I64, LEN, SGROUP, EGROUP, I32 = 0, 1, 2, 3, 4, 5
MAX_DEPTH = 64


def parse_fields(data: bytes, depth: int = 0) -> list[tuple[int, int, object]]:
    """[(field number, wire type, value)], nested groups as lists; FormatError if not the wire format."""
    fields, end = _parse(data, 0, None, depth)
    return fields


def _parse(data: bytes, pos: int, group: int | None, depth: int) -> tuple[list, int]:
    if depth > MAX_DEPTH:
        raise FormatError(f"Messages nest deeper than {MAX_DEPTH} levels.")
    out: list[tuple[int, int, object]] = []
    while pos < len(data):
        key, pos = read_uvarint(data, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise FormatError("Field number 0 is not allowed in the Protobuf wire format.")
        if wire == VARINT:
            value, pos = read_uvarint(data, pos)
        elif wire == I64:
            if pos + 8 > len(data):
                raise FormatError(f"Field {number}: a 64-bit value runs past the end of the bytes.")
            value = data[pos:pos + 8]
            pos += 8
        elif wire == I32:
            if pos + 4 > len(data):
                raise FormatError(f"Field {number}: a 32-bit value runs past the end of the bytes.")
            value = data[pos:pos + 4]
            pos += 4
        elif wire == LEN:
            length, pos = read_uvarint(data, pos)
            if pos + length > len(data):
                raise FormatError(f"Field {number}: {plural(length, 'byte')} announced, "
                                  f"{len(data) - pos} left.")
            value = data[pos:pos + length]
            pos += length
        elif wire == SGROUP:
            value, pos = _parse(data, pos, number, depth + 1)
        elif wire == EGROUP:
            if group != number:
                raise FormatError(f"Field {number}: a group ends that was never started.")
            return out, pos
        else:
            raise FormatError(f"Field {number}: wire type {wire} does not exist (0–5 do).")
        out.append((number, wire, value))
    if group is not None:
        raise FormatError(f"Group {group} never ends.")
    return out, pos


def _escape(raw: bytes) -> str:
    # protoc's CEscape: printable ASCII as is, the usual escapes, other bytes in octal
    out = []
    for b in raw:
        c = chr(b)
        if c in '"\\\'':
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif 0x20 <= b < 0x7F:
            out.append(c)
        else:
            out.append(f"\\{b:03o}")
    return "".join(out)


def _string(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return f'"{_escape(raw)}"'
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def format_fields(fields, indent: int = 0, depth: int = 0) -> list[str]:
    pad = "  " * indent
    lines = []
    for number, wire, value in fields:
        if wire == VARINT:
            lines.append(f"{pad}{number}: {value}")
        elif wire == I64:
            lines.append(f"{pad}{number}: 0x{struct.unpack('<Q', value)[0]:016x}")
        elif wire == I32:
            lines.append(f"{pad}{number}: 0x{struct.unpack('<I', value)[0]:08x}")
        elif wire == SGROUP:
            lines += [f"{pad}{number} {{", *format_fields(value, indent + 1, depth + 1), f"{pad}}}"]
        else:
            nested = None
            if value and depth < MAX_DEPTH:
                try:
                    nested = parse_fields(value, depth + 1)
                except FormatError:
                    nested = None
            if nested:
                lines += [f"{pad}{number} {{", *format_fields(nested, indent + 1, depth + 1), f"{pad}}}"]
            else:
                lines.append(f"{pad}{number}: {_string(value)}")
    return lines


def decode_raw(data: bytes) -> str:
    """The `protoc --decode_raw` text of `data`; FormatError when it is not the Protobuf wire format."""
    try:
        fields = parse_fields(data)
    except FormatError as exc:
        raise FormatError(f"Not the Protobuf wire format: {exc}") from None
    return "\n".join(format_fields(fields))


RAW_NOTE = ("Protobuf without a schema, as protoc --decode_raw shows it: field numbers and values only; "
            "a length-delimited field is shown as a nested message when its bytes parse as one, else as a string")


def decode_raw_value(data: bytes) -> Decoded:
    return Decoded(decode_raw(data), f"{RAW_NOTE} ({plural(len(data), 'byte')}).")
