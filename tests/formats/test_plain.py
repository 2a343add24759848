"""Decoders without a schema: text, JSON, base64, hex (and their round trips), auto and the table preview."""

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from playground.formats import (FormatError, decode, from_base64, from_hex, hex_dump, parse_json, preview)

ROOT = Path(__file__).resolve().parents[2]


def test_text_is_utf8_and_says_how_it_falls_back():
    shown = decode("café ☕".encode(), "text")
    assert shown.text == "café ☕" and shown.note == "UTF-8 text, 9 bytes"
    bad = decode(b"ab\xffcd", "text")
    assert bad.text == "ab\ufffdcd"
    assert bad.note.startswith("Not valid UTF-8 (byte 2 is 0xff)") and "Hex or Base64" in bad.note


def test_json_is_pretty_printed():
    shown = decode(b'{"id":7,"items":["a","b"],"name":"caf\xc3\xa9"}', "json")
    assert shown.text == '{\n  "id": 7,\n  "items": [\n    "a",\n    "b"\n  ],\n  "name": "café"\n}'
    assert shown.note == "JSON, 41 bytes"


@pytest.mark.parametrize("raw, sentence", [
    (b'{"id": 7,', "Not valid JSON: Expecting property name enclosed in double quotes at line 1, column 10."),
    (b"", "Not valid JSON: the value is empty."),
    (b"hello", "Not valid JSON: Expecting value at line 1, column 1."),
    (b'{"x": NaN}', "Not valid JSON: NaN is not a JSON value."),
    (b"\xff\xfe{", "Not valid JSON: the bytes are not UTF-8 text."),
])
def test_invalid_json_says_so(raw, sentence):
    with pytest.raises(FormatError) as err:
        decode(raw, "json")
    assert str(err.value) == sentence


def test_json_in_the_confluent_wire_format_is_unwrapped():
    shown = decode(b"\x00\x00\x00\x00\x05" + b'{"a":1}', "json")
    assert shown.text == '{\n  "a": 1\n}'
    assert shown.note.startswith("JSON in the Confluent wire format: magic byte 0, schema id 5, then 7 bytes")


def test_hex_dump_has_offsets_two_groups_and_an_ascii_column():
    dump = decode(b'{"id":1}\n' + bytes(range(0x7d, 0x85)), "hex").text
    assert dump.splitlines() == [
        '00000000  7b 22 69 64 22 3a 31 7d  0a 7d 7e 7f 80 81 82 83  |{"id":1}.}~.....|',
        "00000010  84                                                |.|",
    ]


@given(st.binary(max_size=300))
def test_hex_and_base64_round_trip(data):
    assert from_hex(hex_dump(data)) == data
    assert from_hex(data.hex()) == data
    assert from_base64(decode(data, "base64").text) == data


def test_hex_accepts_the_usual_spellings_and_refuses_others():
    assert from_hex("0x7b 22\n69:64") == b'{"id'
    with pytest.raises(FormatError, match="odd number"):
        from_hex("7b2")
    with pytest.raises(FormatError, match="'g' is not a hex digit"):
        from_hex("7g")
    with pytest.raises(FormatError, match="Not valid base64"):
        from_base64("ab$=")


def test_auto_picks_json_then_text_then_hex():
    assert decode(b'[1, 2]', "auto").note == "JSON, 6 bytes"
    assert decode(b"[not json", "auto").note == "UTF-8 text, 9 bytes"
    binary = decode(b"\x00\x01\xff", "auto")
    assert binary.note.startswith("Binary (not printable UTF-8 text), shown as hex")
    assert binary.text.startswith("00000000  00 01 ff")
    assert decode(b"\x00\x00\x00\x01", "auto").note.startswith("Binary")      # UTF-8, but control characters


def test_null_is_null_for_every_decoder():
    for name in ("auto", "text", "json", "base64", "hex", "protobuf-raw"):
        assert decode(None, name).text == "null"


def test_unknown_decoder_is_refused():
    with pytest.raises(FormatError, match="Unknown decoder 'yaml'"):
        decode(b"x", "yaml")


def test_preview_is_one_line():
    assert preview(b"line 1\nline 2\tend") == "line 1⏎line 2 end"
    assert preview(b"x" * 100, limit=10) == "x" * 9 + "…"
    assert preview(bytes(range(30)), limit=30) == "0x00010203040506070809… (30 bytes)"
    assert preview("é".encode() * 200, limit=10) == "é" * 9 + "…"       # a character cut by the slice
    assert preview(None) == "null"


def test_parse_json_returns_the_value():
    assert parse_json(b'{"a": [true, null]}') == {"a": [True, None]}


def test_formats_import_no_qt():
    code = ("import sys, playground.formats\n"
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'playground.ui'))]\n"
            "assert not bad, bad\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
