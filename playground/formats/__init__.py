"""Message formats: how the browser turns a record's key and value bytes into something to read.

Qt-free (an import-linter contract forbids Qt and the UI here), so the console
and reports can use the same decoders. `decode(data, decoder, ...)` is the one
entry point; each decoder raises `FormatError` with a plain sentence when the
bytes (or the schema) cannot be read, and never changes anything.
"""

from __future__ import annotations

from .avro import AvroSchema
from .base import Decoded, FormatError
from .framing import FRAMINGS, ConfluentFrame, split_confluent
from .plain import (decode_auto, decode_base64, decode_hex, decode_json, decode_text, from_base64, from_hex,
                    hex_dump, parse_json, preview)
from .protobuf import PROTOC_HINT, ProtobufSchema, decode_raw_framed
from .protobuf_raw import decode_raw

# name -> label, in the order a picker lists them
DECODERS = {
    "auto": "Auto (JSON, text or hex)",
    "text": "Text (UTF-8)",
    "json": "JSON (pretty)",
    "base64": "Base64",
    "hex": "Hex + ASCII",
    "avro": "Avro (with a schema)",
    "protobuf": "Protobuf (with a descriptor set)",
    "protobuf-raw": "Protobuf (raw, no schema)",
}


def decode(data: bytes | None, decoder: str = "auto", *, avro: AvroSchema | None = None,
           protobuf: ProtobufSchema | None = None, message: str | None = None,
           framing: str = "auto") -> Decoded:
    """`data` shown by `decoder` (a key of DECODERS). Raises FormatError with the sentence to show."""
    if decoder not in DECODERS:
        raise FormatError(f"Unknown decoder {decoder!r}: choose one of {', '.join(DECODERS)}.")
    if data is None:
        return Decoded("null", "null: no bytes at all (a null value is a tombstone on a compacted topic)")
    if decoder == "avro":
        if avro is None:
            raise FormatError("Avro needs the writer's schema: paste it or load an .avsc file.")
        return avro.decode(data, framing)
    if decoder == "protobuf":
        if protobuf is None:
            raise FormatError("Protobuf needs a descriptor set: load one (protoc --include_imports "
                              "--descriptor_set_out=FILE.desc FILE.proto), or choose Protobuf (raw).")
        return protobuf.decode(data, message, framing)
    if decoder == "protobuf-raw":
        return decode_raw_framed(data, framing)
    if decoder == "json":
        return decode_json(data, framing)
    return {"auto": decode_auto, "text": decode_text, "base64": decode_base64, "hex": decode_hex}[decoder](data)


__all__ = ["AvroSchema", "ConfluentFrame", "DECODERS", "Decoded", "FRAMINGS", "FormatError", "PROTOC_HINT",
           "ProtobufSchema", "decode", "decode_auto", "decode_base64", "decode_hex", "decode_json", "decode_raw",
           "decode_raw_framed", "decode_text", "from_base64", "from_hex", "hex_dump", "parse_json", "preview",
           "split_confluent"]
