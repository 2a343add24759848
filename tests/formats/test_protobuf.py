"""Protobuf: with a FileDescriptorSet (built here with descriptor_pb2, as protoc would write it), raw as
`protoc --decode_raw` shows it, and the Confluent wire format with its message indexes."""

import json
import struct

import pytest
from google.protobuf import descriptor_pb2, message_factory

from playground.formats import FormatError, ProtobufSchema, decode
from playground.formats.protobuf import PROTOC_HINT

F = descriptor_pb2.FieldDescriptorProto


def _descriptor_set() -> bytes:
    money = descriptor_pb2.FileDescriptorProto(name="money.proto", package="common", syntax="proto3")
    m = money.message_type.add(name="Money")
    m.field.add(name="currency", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    m.field.add(name="cents", number=2, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL)
    shop = descriptor_pb2.FileDescriptorProto(name="shop.proto", package="shop", syntax="proto3",
                                              dependency=["money.proto"])
    order = shop.message_type.add(name="Order")
    order.field.add(name="id", number=1, type=F.TYPE_INT32, label=F.LABEL_OPTIONAL)
    order.field.add(name="item", number=2, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    order.field.add(name="price", number=3, type=F.TYPE_MESSAGE, type_name=".common.Money", label=F.LABEL_OPTIONAL)
    order.field.add(name="lines", number=4, type=F.TYPE_MESSAGE, type_name=".shop.Order.Line",
                    label=F.LABEL_REPEATED)
    line = order.nested_type.add(name="Line")
    line.field.add(name="sku", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    shop.message_type.add(name="Refund").field.add(name="order_id", number=1, type=F.TYPE_INT32,
                                                   label=F.LABEL_OPTIONAL)
    return descriptor_pb2.FileDescriptorSet(file=[money, shop]).SerializeToString()   # imports first


@pytest.fixture(scope="module")
def schema():
    return ProtobufSchema(_descriptor_set(), "shop.desc")


def _order_bytes(schema) -> bytes:
    cls = message_factory.GetMessageClass(schema.pool.FindMessageTypeByName("shop.Order"))
    msg = cls(id=150, item="testing")
    msg.price.currency = "EUR"
    msg.price.cents = 1999
    msg.lines.add(sku="A-1")
    return msg.SerializeToString()


def test_the_descriptor_set_lists_its_message_types(schema):
    assert schema.message_names == ["common.Money", "shop.Order", "shop.Order.Line", "shop.Refund"]


def test_a_message_is_read_with_its_type(schema):
    shown = decode(_order_bytes(schema), "protobuf", protobuf=schema, message="shop.Order")
    assert json.loads(shown.text) == {"id": 150, "item": "testing", "price": {"currency": "EUR", "cents": "1999"},
                                      "lines": [{"sku": "A-1"}]}
    assert shown.note.startswith("Protobuf shop.Order, ") and "no Confluent wire-format header" in shown.note


def test_the_main_file_is_the_last_of_the_set(schema):
    # protoc --include_imports writes the imports first; with no type chosen the main file's first type is used
    shown = decode(_order_bytes(schema), "protobuf", protobuf=schema)
    assert schema.default_message == "shop.Order"
    assert shown.note.startswith("Protobuf shop.Order, ")


def test_the_confluent_wire_format_and_its_message_indexes(schema):
    payload = _order_bytes(schema)
    framed = b"\x00" + struct.pack(">i", 9) + b"\x00" + payload          # a single 0: indexes [0]
    shown = decode(framed, "protobuf", protobuf=schema, message="shop.Order")
    assert json.loads(shown.text)["item"] == "testing"
    assert shown.note.startswith("Confluent wire format: magic byte 0, schema id 9, message indexes [0], then")
    refund = b"\x08\x07"                                                  # order_id = 7
    framed = b"\x00" + struct.pack(">i", 9) + b"\x02\x02" + refund       # count 1, index 1 (zigzag)
    shown = decode(framed, "protobuf", protobuf=schema, message="shop.Order")
    assert json.loads(shown.text) == {"order_id": 7}
    assert shown.note.endswith("its message indexes name shop.Refund")
    line = b"\x0a\x03A-1"
    framed = b"\x00" + struct.pack(">i", 9) + b"\x04\x00\x00" + line      # [0, 0]: Order's first nested type
    assert json.loads(decode(framed, "protobuf", protobuf=schema, message="shop.Order").text) == {"sku": "A-1"}
    with pytest.raises(FormatError, match=r"Message indexes \[5\] point past the message types of shop.proto"):
        decode(b"\x00\x00\x00\x00\x09\x02\x0a" + refund, "protobuf", protobuf=schema, message="shop.Order")


def test_unknown_fields_are_counted_as_a_hint_of_the_wrong_schema(schema):
    shown = decode(_order_bytes(schema) + b"\x48\x01", "protobuf", protobuf=schema, message="shop.Order")
    assert shown.note.endswith("1 field not in shop.Order (by number, not shown): is this the schema the "
                               "record was written with?")


def test_bytes_that_are_not_that_message_get_a_sentence(schema):
    with pytest.raises(FormatError) as err:
        decode(b"\x12\x05ab", "protobuf", protobuf=schema, message="shop.Order")
    assert str(err.value).startswith("The record does not match shop.Order: its bytes do not parse as that message")


@pytest.mark.parametrize("data, sentence", [
    (b'syntax = "proto3";\nmessage Order { int32 id = 1; }\n', f"orders.proto is .proto source, not a descriptor "
                                                               f"set. {PROTOC_HINT}"),
    (b"\xff\xff\xff", "orders.proto is not a FileDescriptorSet (the file protoc --descriptor_set_out writes)."),
    (b"", "orders.proto is empty."),
])
def test_a_file_that_is_not_a_descriptor_set_is_refused(data, sentence):
    with pytest.raises(FormatError) as err:
        ProtobufSchema(data, "orders.proto")
    assert str(err.value) == sentence


def test_a_descriptor_set_without_its_imports_is_refused():
    files = descriptor_pb2.FileDescriptorSet.FromString(_descriptor_set())
    del files.file[0]                                   # protoc without --include_imports
    with pytest.raises(FormatError, match="Was it written with --include_imports"):
        ProtobufSchema(files.SerializeToString(), "shop.desc")


def test_an_unknown_message_type_is_refused(schema):
    with pytest.raises(FormatError, match="shop.desc has no message type 'shop.Nope'"):
        decode(b"\x08\x01", "protobuf", protobuf=schema, message="shop.Nope")


def test_raw_decoding_shows_what_protoc_decode_raw_shows(schema):
    # The protobuf encoding guide's examples: 150 in field 1, "testing" in field 2, then a nested message
    assert decode(b"\x08\x96\x01\x12\x07testing", "protobuf-raw").text == '1: 150\n2: "testing"'
    assert decode(b"\x1a\x03\x08\x96\x01", "protobuf-raw").text == "3 {\n  1: 150\n}"
    fixed = b"\x0d" + struct.pack("<I", 0xDEADBEEF) + b"\x11" + struct.pack("<Q", 1)
    assert decode(fixed, "protobuf-raw").text == "1: 0xdeadbeef\n2: 0x0000000000000001"
    assert decode(b"\x0b\x10\x05\x0c", "protobuf-raw").text == "1 {\n  2: 5\n}"       # a group
    assert decode(b"\x0a\x02\x80\x81", "protobuf-raw").text == '1: "\\200\\201"'       # bytes, not UTF-8
    framed = decode(b"\x00\x00\x00\x00\x09\x00\x08\x96\x01", "protobuf-raw")
    assert framed.text == "1: 150" and framed.note.startswith("Confluent wire format: magic byte 0, schema id 9")


@pytest.mark.parametrize("data, reason", [
    (b"\x08", "A varint runs past the end of the bytes."),
    (b"\x12\x09abc", "Field 2: 9 bytes announced, 3 left."),
    (b"\x0f", "Field 1: wire type 7 does not exist (0–5 do)."),
    (b"\x0b\x10\x05", "Group 1 never ends."),
    (b"\x0c", "Field 1: a group ends that was never started."),
    (b"\x07", "Field number 0 is not allowed in the Protobuf wire format."),
])
def test_raw_decoding_refuses_what_is_not_the_wire_format(data, reason):
    with pytest.raises(FormatError) as err:
        decode(data, "protobuf-raw", framing="plain")
    assert str(err.value) == "Not the Protobuf wire format: " + reason
