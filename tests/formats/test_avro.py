"""Avro with a schema: plain binary datums, the Confluent wire format, and records or schemas that do not fit."""

import json
import struct

import pytest

from playground.formats import AvroSchema, FormatError, decode

ORDER = json.dumps({
    "type": "record", "name": "Order", "namespace": "shop",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "item", "type": "string"},
        {"name": "quantity", "type": ["null", "int"], "default": None},
        {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID"]}},
        {"name": "checksum", "type": "bytes"},
    ],
})
VALUE = {"id": 7, "item": "book", "quantity": 2, "status": "PAID", "checksum": b"\x00\xff"}
EXPECTED = {"id": 7, "item": "book", "quantity": 2, "status": "PAID", "checksum": {"base64": "AP8="}}


def confluent(schema_id: int, payload: bytes) -> bytes:
    return b"\x00" + struct.pack(">i", schema_id) + payload


@pytest.fixture
def schema():
    return AvroSchema(ORDER)


def test_a_plain_datum_is_read_with_the_schema(schema):
    datum = schema.write(VALUE)
    # long 7 zigzag = 0x0e; "book" = len 4 (0x08) + bytes; union branch 1 (0x02), int 2 (0x04); enum 1 (0x02);
    # bytes of length 2 (0x04)
    assert datum == b"\x0e\x08book\x02\x04\x02\x04\x00\xff"
    shown = decode(datum, "avro", avro=schema)
    assert json.loads(shown.text) == EXPECTED
    assert shown.note == "Plain Avro binary datum of 12 bytes (no Confluent wire-format header)"


def test_the_confluent_wire_format_is_recognised_and_named(schema):
    shown = decode(confluent(42, schema.write(VALUE)), "avro", avro=schema)
    assert json.loads(shown.text) == EXPECTED
    assert shown.note.startswith("Confluent wire format: magic byte 0, schema id 42, then 12 bytes of Avro "
                                 "binary datum")


def test_framing_can_be_forced(schema):
    datum = schema.write(VALUE)
    with pytest.raises(FormatError, match="the first byte is 0x0e, not the magic byte 0"):
        decode(datum, "avro", avro=schema, framing="confluent")
    framed = confluent(1, datum)
    with pytest.raises(FormatError, match="read as a plain datum"):
        decode(framed, "avro", avro=schema, framing="plain")


def test_a_datum_that_starts_with_a_zero_byte_is_still_read_plain_when_the_header_does_not_fit():
    schema = AvroSchema('{"type": "record", "name": "P", "fields": [{"name": "n", "type": "int"},'
                        '{"name": "s", "type": "string"}]}')
    datum = schema.write({"n": 0, "s": "abcdefgh"})        # 0x00 first: looks like the magic byte
    shown = decode(datum, "avro", avro=schema)
    assert json.loads(shown.text) == {"n": 0, "s": "abcdefgh"}
    assert shown.note.startswith("Plain Avro binary datum")


@pytest.mark.parametrize("raw, reason", [
    (b"\x0e\x08boo", "read as a plain datum, the bytes end before the datum does."),
    (b"\x0e\x08book\x02\x04\x02\x04\x00\xff!!", "read as a plain datum, 2 bytes are left over after the datum."),
    (b"\x0e\x08book\x02\x04\x0a\x04\x00\xff",
     "read as a plain datum, the reader runs past the end of the bytes, or a union or enum index is out of range."),
    (b"\x0e\x08bo\xff\xfe\x02\x04\x02\x04\x00\xff", "read as a plain datum, a string is not valid UTF-8 (byte 0xff)."),
])
def test_a_record_that_does_not_match_gets_a_sentence(schema, raw, reason):
    with pytest.raises(FormatError) as err:
        decode(raw, "avro", avro=schema)
    assert str(err.value) == "The record does not match the Avro schema shop.Order: " + reason


def test_a_framed_record_that_does_not_match_reports_both_readings(schema):
    with pytest.raises(FormatError) as err:
        decode(confluent(3, b"\x0e\x08bo"), "avro", avro=schema)
    assert str(err.value) == ("The record does not match the Avro schema shop.Order: read in the Confluent wire "
                              "format (schema id 3), the bytes end before the datum does; read as a plain datum, "
                              "the bytes end before the datum does.")


@pytest.mark.parametrize("text, sentence", [
    ("", "The Avro schema is empty: paste or load the writer's schema (JSON)."),
    ('{"type": "record", "name": "X", ', "The Avro schema is not JSON: Expecting property name enclosed in double "
                                        "quotes at line 1, column 33."),
    ('{"type": "record", "name": "X", "fields": [{"name": "a", "type": "nope"}]}',
     "The Avro schema does not parse: unknown type 'nope' (not a primitive type nor a named type defined "
     "before it)."),
])
def test_a_schema_that_does_not_parse_gets_a_sentence(text, sentence):
    with pytest.raises(FormatError) as err:
        AvroSchema(text)
    assert str(err.value) == sentence


def test_avro_without_a_schema_asks_for_one():
    with pytest.raises(FormatError, match="Avro needs the writer's schema"):
        decode(b"\x02", "avro")


def test_primitive_schemas_and_logical_types():
    assert decode(b"\x06", "avro", avro=AvroSchema('"long"')).text == "3"
    date = AvroSchema('{"type": "int", "logicalType": "date"}')
    assert decode(date.write(19000), "avro", avro=date).text == '"2022-01-08"'
