"""Protobuf with a schema: a FileDescriptorSet the user loads, read with Google's `protobuf` runtime.

The `protobuf` package from PyPI reads and writes messages from descriptors but
cannot compile .proto source: that is protoc's job (or protoc's copy in
grpcio-tools). So a schema comes as the descriptor set protoc writes:

    protoc --include_imports --descriptor_set_out=orders.desc orders.proto

Without one, `protobuf_raw.decode_raw` shows the fields by number as
`protoc --decode_raw` does. A value in the Confluent wire format
(KafkaProtobufSerializer: header, message indexes, message) is unwrapped, and
its message indexes pick the message type within the schema's file.
"""

from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from google.protobuf.message import DecodeError

from .base import Decoded, FormatError, plural
from .framing import check_framing, split_confluent, split_protobuf_indexes
from .protobuf_raw import RAW_NOTE, decode_raw

PROTOC_HINT = ("The protobuf package cannot compile .proto source without protoc. Make a descriptor set with "
               "protoc --include_imports --descriptor_set_out=FILE.desc FILE.proto and load that, or choose "
               "Protobuf (raw) to see the fields by number without a schema.")


def _looks_like_proto_source(data: bytes) -> bool:
    head = data[:4096].decode("utf-8", errors="ignore")
    return any(word in head for word in ("syntax", "message ", "package ")) and "{" in head


class ProtobufSchema:
    """The message types of a FileDescriptorSet. Raises FormatError with the reason when it is not one."""

    def __init__(self, data: bytes, source: str = "This file") -> None:
        self.source = source
        if not data:
            raise FormatError(f"{source} is empty.")
        if _looks_like_proto_source(data):
            raise FormatError(f"{source} is .proto source, not a descriptor set. {PROTOC_HINT}")
        files = descriptor_pb2.FileDescriptorSet()
        try:
            files.ParseFromString(data)
        except DecodeError:
            files = None
        if files is None or not files.file or not all(f.name for f in files.file):
            raise FormatError(f"{source} is not a FileDescriptorSet (the file protoc --descriptor_set_out "
                              "writes).")
        self.pool = descriptor_pool.DescriptorPool()
        try:
            for proto in files.file:
                self.pool.Add(proto)
            self.files = [self.pool.FindFileByName(proto.name) for proto in files.file]
        except Exception as exc:        # TypeError / KeyError for a missing import or an unknown type
            raise FormatError(f"{source} does not load: {exc}. Was it written with --include_imports?") from None
        self.message_names = [name for f in self.files for name in _message_names(f.message_types_by_name.values())]
        if not self.message_names:
            raise FormatError(f"{source} defines no message types.")
        # protoc --include_imports writes the imports first: the main file is the last one with messages
        main = next(f for f in reversed(self.files) if f.message_types_by_name)
        self.default_message = next(iter(main.message_types_by_name.values())).full_name

    def _message(self, name: str | None):
        name = name or self.default_message
        try:
            return self.pool.FindMessageTypeByName(name)
        except KeyError:
            raise FormatError(f"{self.source} has no message type {name!r}.") from None

    def _by_indexes(self, file, indexes: tuple[int, ...]):
        """Confluent's message indexes: the position of the type among the file's top-level messages,
        then among the nested types of each level."""
        types = list(file.message_types_by_name.values())
        desc = None
        for i in indexes:
            if not 0 <= i < len(types):
                raise FormatError(f"Message indexes {list(indexes)} point past the message types of {file.name}.")
            desc = types[i]
            types = list(desc.nested_types)
        return desc

    def read(self, payload: bytes, desc) -> tuple[str, int]:
        cls = message_factory.GetMessageClass(desc)
        msg = cls()
        try:
            msg.ParseFromString(payload)
        except DecodeError as exc:
            raise FormatError(f"its bytes do not parse as that message (protobuf: {exc})") from None
        unknown = _count_unknown(msg)
        text = json_format.MessageToJson(msg, preserving_proto_field_name=True, indent=2, ensure_ascii=False)
        return text, unknown

    def decode(self, data: bytes, message: str | None = None, framing: str = "auto") -> Decoded:
        check_framing(framing)
        desc = self._message(message)
        frame = split_confluent(data, framing)
        # A Protobuf message never starts with byte 0 (field number 0 does not exist), so a leading 0 is
        # the Confluent header and never part of the message.
        if frame is not None:
            frame = split_protobuf_indexes(frame)
            by_index = self._by_indexes(desc.file, frame.message_indexes)
            chosen = "" if by_index is desc else f"; its message indexes name {by_index.full_name}"
            desc = by_index
            try:
                text, unknown = self.read(frame.payload, desc)
            except FormatError as exc:
                raise FormatError(f"The record does not match {desc.full_name}: read in the Confluent wire "
                                  f"format (schema id {frame.schema_id}), {exc}.") from None
            note = frame.describe(f"Protobuf {desc.full_name}") + chosen
        else:
            try:
                text, unknown = self.read(data, desc)
            except FormatError as exc:
                raise FormatError(f"The record does not match {desc.full_name}: {exc}.") from None
            note = f"Protobuf {desc.full_name}, {plural(len(data), 'byte')} (no Confluent wire-format header)"
        if unknown:
            note += (f". {plural(unknown, 'field')} not in {desc.full_name} (by number, not shown): "
                     "is this the schema the record was written with?")
        return Decoded(text, note)


def decode_raw_framed(data: bytes, framing: str = "auto") -> Decoded:
    """`protoc --decode_raw`, after unwrapping the Confluent header and message indexes when present."""
    frame = split_confluent(data, framing)
    if frame is None:
        return Decoded(decode_raw(data), f"{RAW_NOTE} ({plural(len(data), 'byte')}).")
    frame = split_protobuf_indexes(frame)
    return Decoded(decode_raw(frame.payload), frame.describe("Protobuf") + f". {RAW_NOTE}.")


def _message_names(descs) -> list[str]:
    out = []
    for d in descs:
        if d.GetOptions().map_entry:
            continue
        out.append(d.full_name)
        out += _message_names(d.nested_types)
    return out


def _count_unknown(msg) -> int:
    from google.protobuf.unknown_fields import UnknownFieldSet
    n = len(UnknownFieldSet(msg))
    for field, value in msg.ListFields():
        if field.message_type is None or field.message_type.GetOptions().map_entry:
            continue
        values = value if _repeated(field) else [value]
        n += sum(_count_unknown(v) for v in values)
    return n


def _repeated(field) -> bool:
    # protobuf 5.x and later: is_repeated; older runtimes only have label
    flag = getattr(field, "is_repeated", None)
    return bool(flag) if flag is not None else field.label == field.LABEL_REPEATED
