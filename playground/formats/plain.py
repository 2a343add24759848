"""Decoders that need no schema: UTF-8 text, JSON, base64, hex, and the automatic choice.

Hex and base64 also parse back (`from_hex`, `from_base64`), so a value shown in
either can be copied, edited and turned into bytes again.
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from .base import Decoded, FormatError, plural
from .framing import split_confluent

HEX_ROW = 16


# -- text ---------------------------------------------------------------------------------------
def decode_text(data: bytes) -> Decoded:
    try:
        return Decoded(data.decode("utf-8"), f"UTF-8 text, {plural(len(data), 'byte')}")
    except UnicodeDecodeError as exc:
        return Decoded(data.decode("utf-8", errors="replace"),
                       f"Not valid UTF-8 (byte {exc.start} is 0x{data[exc.start]:02x}): the bytes that do not "
                       "decode are shown as �. Hex or Base64 shows every byte exactly.")


# -- JSON ---------------------------------------------------------------------------------------
def _no_constants(name: str):
    # Python's json reads NaN and Infinity; JSON (RFC 8259) has no such numbers.
    raise ValueError(f"{name} is not a JSON value")


def parse_json(data: bytes):
    """The JSON value in `data` (UTF-8, or UTF-16/32 as RFC 8259 allows); FormatError if it is not JSON."""
    if not data.strip():
        raise FormatError("Not valid JSON: the value is empty.")
    try:
        return json.loads(data, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise FormatError(f"Not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.") from None
    except UnicodeDecodeError:
        raise FormatError("Not valid JSON: the bytes are not UTF-8 text.") from None
    except ValueError as exc:
        raise FormatError(f"Not valid JSON: {exc}.") from None


def decode_json(data: bytes, framing: str = "auto") -> Decoded:
    """Pretty JSON. A value in the Confluent wire format (JSON Schema serializer) is unwrapped first."""
    frame = split_confluent(data, framing)
    if frame is not None:
        value = parse_json(frame.payload)
        note = f"JSON in the {frame.describe('JSON')}"
    else:
        value = parse_json(data)
        note = f"JSON, {plural(len(data), 'byte')}"
    return Decoded(json.dumps(value, indent=2, ensure_ascii=False), note)


# -- base64 -------------------------------------------------------------------------------------
def decode_base64(data: bytes) -> Decoded:
    return Decoded(base64.b64encode(data).decode("ascii"), f"Base64 of {plural(len(data), 'byte')}")


def from_base64(text: str) -> bytes:
    cleaned = "".join(text.split())
    try:
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        raise FormatError("Not valid base64: only A–Z, a–z, 0–9, + and / with = padding, "
                          "in groups of four characters.") from None


# -- hex ----------------------------------------------------------------------------------------
def hex_dump(data: bytes) -> str:
    """`hexdump -C` style: offset, 16 bytes in two groups of eight, the printable ASCII column."""
    lines = []
    for start in range(0, len(data), HEX_ROW):
        chunk = data[start:start + HEX_ROW]
        left = " ".join(f"{b:02x}" for b in chunk[:8])
        right = " ".join(f"{b:02x}" for b in chunk[8:])
        ascii_col = "".join(chr(b) if 0x20 <= b < 0x7f else "." for b in chunk)
        lines.append(f"{start:08x}  {left:<23}  {right:<23}  |{ascii_col}|")
    return "\n".join(lines)


def decode_hex(data: bytes) -> Decoded:
    return Decoded(hex_dump(data), f"Hex dump of {plural(len(data), 'byte')}: offset, bytes, then ASCII "
                                   "(a dot for each byte that is not printable)")


_DUMP_LINE = re.compile(r"^\s*[0-9a-fA-F]{4,}[:\s]\s*(?P<hex>[^|]*)(\|.*)?$")


def from_hex(text: str) -> bytes:
    """Bytes from hex digits: plain ("7b22", "0x7b 22", "7b:22") or the lines of `hex_dump`."""
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    if lines and all("|" in ln for ln in lines):           # a dump: drop the offset and ASCII columns
        parts = []
        for ln in lines:
            m = _DUMP_LINE.match(ln)
            if m is None:
                raise FormatError(f"Not a hex dump line: {ln.strip()[:40]!r}.")
            parts.append(m.group("hex"))
        digits = " ".join(parts)
    else:
        digits = " ".join(lines)
    digits = re.sub(r"0x", "", digits, flags=re.IGNORECASE)
    digits = re.sub(r"[\s:,-]", "", digits)
    bad = re.search(r"[^0-9a-fA-F]", digits)
    if bad:
        raise FormatError(f"Not hex: {bad.group()!r} is not a hex digit (0–9, a–f).")
    if len(digits) % 2:
        raise FormatError(f"Not hex: {len(digits)} digits is an odd number; each byte takes two.")
    return bytes.fromhex(digits)


# -- automatic ----------------------------------------------------------------------------------
def _printable(text: str) -> bool:
    return all(c.isprintable() or c in "\n\r\t" for c in text)


def decode_auto(data: bytes) -> Decoded:
    """JSON when it is a JSON object or array, UTF-8 text when it decodes, else a hex dump."""
    try:
        text = data.decode("utf-8")
        binary = not _printable(text)
    except UnicodeDecodeError:
        binary = True
    if binary:
        shown = decode_hex(data)
        return Decoded(shown.text, "Binary (not printable UTF-8 text), shown as hex. " + shown.note)
    if text.lstrip()[:1] in ("{", "["):
        try:
            return Decoded(json.dumps(parse_json(data), indent=2, ensure_ascii=False),
                           f"JSON, {plural(len(data), 'byte')}")
        except FormatError:
            pass
    return Decoded(text, f"UTF-8 text, {plural(len(data), 'byte')}")


def preview(data: bytes | None, limit: int = 80) -> str:
    """One line for a table cell: the text when it is printable UTF-8, else the first bytes in hex."""
    if data is None:
        return "null"
    head = data[:limit * 4]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut by the slice is still text; anything earlier is not
        cut = len(data) > len(head) and exc.start >= len(head) - 3
        text = head[:exc.start].decode("utf-8") if cut else None
    if text is not None and _printable(text):
        one = text.replace("\r\n", "⏎").replace("\n", "⏎").replace("\r", "⏎").replace("\t", " ")
        return one if len(one) <= limit and len(data) == len(head) else one[:limit - 1] + "…"
    shown = data[:limit // 3]
    more = "…" if len(data) > len(shown) else ""
    return f"0x{shown.hex()}{more} ({plural(len(data), 'byte')})"
