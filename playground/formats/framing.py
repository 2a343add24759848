"""The Confluent Schema Registry wire format: magic byte 0, a 4-byte big-endian schema id, the payload.

Confluent's serializers (KafkaAvroSerializer, KafkaProtobufSerializer,
KafkaJsonSchemaSerializer) put this 5-byte header before the serialized value;
the Protobuf serializer adds the message indexes (the path of the message type
in its .proto file) before the Protobuf bytes. The playground has no schema
registry, so the id is shown and the schema the user gave is used.

`framing` everywhere is "auto" (unwrap when the header is there), "confluent"
(it must be there) or "plain" (never unwrap).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .base import FormatError, plural

MAGIC_BYTE = 0
HEADER_BYTES = 5
FRAMINGS = ("auto", "confluent", "plain")


@dataclass(frozen=True)
class ConfluentFrame:
    schema_id: int
    payload: bytes
    message_indexes: tuple[int, ...] | None = None     # Protobuf only

    def describe(self, what: str) -> str:
        indexes = "" if self.message_indexes is None else f", message indexes {list(self.message_indexes)}"
        return (f"Confluent wire format: magic byte 0, schema id {self.schema_id}{indexes}, then "
                f"{plural(len(self.payload), 'byte')} of {what} (the playground has no schema registry: "
                f"the schema you gave is used)")


def check_framing(framing: str) -> None:
    if framing not in FRAMINGS:
        raise FormatError(f"Unknown framing {framing!r}: choose one of {', '.join(FRAMINGS)}.")


def split_confluent(data: bytes, framing: str = "auto") -> ConfluentFrame | None:
    """The frame when `data` has the 5-byte header (and framing allows it), else None.

    With framing "confluent" a value without the header is a FormatError.
    """
    check_framing(framing)
    if framing == "plain":
        return None
    if len(data) >= HEADER_BYTES and data[0] == MAGIC_BYTE:
        (schema_id,) = struct.unpack_from(">i", data, 1)
        return ConfluentFrame(schema_id, data[HEADER_BYTES:])
    if framing == "confluent":
        if not data:
            raise FormatError("Not in the Confluent wire format: the value is empty.")
        if data[0] != MAGIC_BYTE:
            raise FormatError(f"Not in the Confluent wire format: the first byte is 0x{data[0]:02x}, "
                              "not the magic byte 0.")
        raise FormatError(f"Not in the Confluent wire format: {plural(len(data), 'byte')} is shorter than its "
                          "5-byte header (magic byte and schema id).")
    return None


def read_uvarint(data: bytes, pos: int) -> tuple[int, int]:
    """An unsigned LEB128 varint at `pos`: (value, next position)."""
    value = shift = 0
    while True:
        if pos >= len(data):
            raise FormatError("A varint runs past the end of the bytes.")
        if shift >= 64:
            raise FormatError("A varint is longer than 10 bytes.")
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, pos


def zigzag(n: int) -> int:
    return (n >> 1) ^ -(n & 1)


def split_protobuf_indexes(frame: ConfluentFrame) -> ConfluentFrame:
    """Read the message indexes after the header (Confluent's MessageIndexes: a zigzag varint count,
    then that many zigzag varints; a single 0 byte stands for [0], the first message of the file)."""
    data = frame.payload
    count, pos = read_uvarint(data, 0)
    count = zigzag(count)
    if count == 0:
        return ConfluentFrame(frame.schema_id, data[pos:], (0,))
    if count < 0 or count > len(data):
        raise FormatError(f"Not in the Confluent Protobuf wire format: {count} message indexes cannot be right.")
    indexes = []
    for _ in range(count):
        value, pos = read_uvarint(data, pos)
        indexes.append(zigzag(value))
    return ConfluentFrame(frame.schema_id, data[pos:], tuple(indexes))
