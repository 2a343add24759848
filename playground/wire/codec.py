"""Kafka's wire format through kio: frames, request headers, and building responses.

A frame is a 4-byte big-endian size and that many bytes. A request starts with
its header: api key (int16), api version (int16), correlation id (int32) and a
client id (nullable string, always the legacy encoding); flexible versions add
tagged fields (request header v2, response header v1). ApiVersions responses
always use response header v0, so a client that sent a version the broker does
not know can still read the answer (KIP-511).

kio generates one frozen dataclass per message and version. `build` makes a
response of any version from keyword arguments named after the latest schema:
fields a version lacks are dropped, fields it has but the caller left out get
kio's implicit default, and nested lists of dicts become nested entities. So
one adapter serves every version of an API without a hand-written encoder.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import io
import struct
import uuid
from functools import lru_cache
from pkgutil import resolve_name
from typing import Any

from kio.schema.errors import ErrorCode
from kio.schema.index import api_key_map, schema_name_map
from kio.schema.request_header.v1.header import RequestHeader as RequestHeaderV1
from kio.schema.request_header.v2.header import RequestHeader as RequestHeaderV2
from kio.schema.response_header.v0.header import ResponseHeader as ResponseHeaderV0
from kio.schema.response_header.v1.header import ResponseHeader as ResponseHeaderV1
from kio.serial import entity_reader, entity_writer
from kio.serial._introspect import EntityField, EntityTupleField, classify_field
from kio.static.constants import EntityType

API_VERSIONS_KEY = 18
# api key, api version, correlation id, client id length: the least a request header holds.
MIN_HEADER_SIZE = 10

_HEAD = struct.Struct(">hhi")
_SIZE = struct.Struct(">i")
_UTC = datetime.timezone.utc


class MalformedRequest(Exception):
    """A frame that cannot be read: the connection that sent it is closed (as Kafka does)."""


class UnsupportedVersion(Exception):
    """A request whose api key or version this broker does not serve."""

    def __init__(self, api_key: int, api_version: int, correlation_id: int) -> None:
        super().__init__(f"api key {api_key} version {api_version}")
        self.api_key = api_key
        self.api_version = api_version
        self.correlation_id = correlation_id


@lru_cache(maxsize=None)
def entity_class(api_key: int, version: int, kind: EntityType) -> type:
    """kio's class for one API's request or response at one version (KeyError when unknown)."""
    path = schema_name_map[api_key_map[api_key]][version][kind]
    return resolve_name(path.replace(":", "."))


@lru_cache(maxsize=None)
def _reader(cls: type):
    return entity_reader(cls)


@lru_cache(maxsize=None)
def _writer(cls: type):
    return entity_writer(cls)


def peek_header(frame: bytes) -> tuple[int, int, int]:
    """(api key, api version, correlation id) of a request frame body."""
    if len(frame) < MIN_HEADER_SIZE:
        raise MalformedRequest(f"a request of {len(frame)} bytes is shorter than a request header")
    return _HEAD.unpack_from(frame, 0)


def parse_request(frame: bytes, supported: dict[int, tuple[int, int]]) -> tuple[Any, Any]:
    """(header, request) of one frame; UnsupportedVersion or MalformedRequest when it cannot be served."""
    api_key, version, correlation_id = peek_header(frame)
    lo_hi = supported.get(api_key)
    if lo_hi is None or not lo_hi[0] <= version <= lo_hi[1]:
        raise UnsupportedVersion(api_key, version, correlation_id)
    cls = entity_class(api_key, version, EntityType.request)
    header_cls = RequestHeaderV2 if cls.__flexible__ else RequestHeaderV1
    view = memoryview(frame)
    try:
        header, used = _reader(header_cls)(view, 0)
        request, _ = _reader(cls)(view, used)
    except Exception as exc:        # kio raises several kinds for truncated or invalid bytes
        raise MalformedRequest(f"{api_key_map[api_key]} v{version} could not be read: "
                               f"{type(exc).__name__}: {exc}") from None
    # Bytes after the request are ignored, as Kafka's RequestContext.parseRequest does
    # (librdkafka's Metadata v12 request for all topics ends with three of them).
    return header, request


def encode_response(api_key: int, correlation_id: int, response: Any) -> bytes:
    """The frame of a response: size, response header, body."""
    buf = io.BytesIO()
    buf.write(b"\0\0\0\0")
    if response.__flexible__ and api_key != API_VERSIONS_KEY:
        _writer(ResponseHeaderV1)(buf, ResponseHeaderV1(correlation_id=correlation_id))
    else:
        _writer(ResponseHeaderV0)(buf, ResponseHeaderV0(correlation_id=correlation_id))
    _writer(type(response))(buf, response)
    out = buf.getbuffer()
    _SIZE.pack_into(out, 0, len(out) - 4)
    data = bytes(out)
    out.release()
    return data


def encode_request(header_fields: dict, request: Any) -> bytes:
    """A request frame (the tests use it to play a client)."""
    header_cls = RequestHeaderV2 if request.__flexible__ else RequestHeaderV1
    buf = io.BytesIO()
    _writer(header_cls)(buf, header_cls(request_api_key=request.__api_key__,
                                        request_api_version=request.__version__, **header_fields))
    _writer(type(request))(buf, request)
    body = buf.getvalue()
    return _SIZE.pack(len(body)) + body


def read_response(data: bytes, api_key: int, version: int) -> tuple[int, Any]:
    """(correlation id, response) of a response frame body (the tests use it)."""
    cls = entity_class(api_key, version, EntityType.response)
    header_cls = ResponseHeaderV1 if cls.__flexible__ and api_key != API_VERSIONS_KEY else ResponseHeaderV0
    view = memoryview(data)
    header, used = _reader(header_cls)(view, 0)
    response, _ = _reader(cls)(view, used)
    return header.correlation_id, response


# -- building responses -------------------------------------------------------------------------

def build(cls: type, **values: Any) -> Any:
    """An instance of kio entity `cls` from keyword arguments (see the module docstring)."""
    kwargs = {}
    for f in _fields(cls):
        name = f.name
        if name in values:
            kwargs[name] = _convert(f, values[name])
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            kwargs[name] = _implicit(f)
    return cls(**kwargs)


@lru_cache(maxsize=None)
def _fields(cls: type) -> tuple:
    return dataclasses.fields(cls)


@lru_cache(maxsize=None)
def _nested(f: dataclasses.Field) -> type | None:
    kind = classify_field(f)
    return kind.type_ if isinstance(kind, (EntityField, EntityTupleField)) else None


def _convert(f: dataclasses.Field, value: Any) -> Any:
    nested = _nested(f)
    if nested is not None:
        if isinstance(value, dict):
            return build(nested, **value)
        if isinstance(value, (list, tuple)):
            return tuple(build(nested, **v) if isinstance(v, dict) else v for v in value)
        return value
    kafka_type = f.metadata.get("kafka_type")
    if kafka_type == "error_code":
        return ErrorCode(int(value))
    if kafka_type == "timedelta_i32" or kafka_type == "timedelta_i64":
        return value if isinstance(value, datetime.timedelta) else datetime.timedelta(milliseconds=value)
    if kafka_type == "datetime_i64":
        if value is None or isinstance(value, datetime.datetime):
            return value
        return None if value < 0 else datetime.datetime.fromtimestamp(value / 1000, _UTC)
    if kafka_type == "uuid" and isinstance(value, str):
        return topic_uuid(value)
    if isinstance(value, list):
        return tuple(value)
    return value


def _implicit(f: dataclasses.Field) -> Any:
    if classify_field(f).is_array:
        return ()
    kafka_type = f.metadata.get("kafka_type")
    if kafka_type == "error_code":
        return ErrorCode.none
    if kafka_type in ("timedelta_i32", "timedelta_i64"):
        return datetime.timedelta(0)
    if kafka_type == "string":
        return ""
    if kafka_type == "bool":
        return False
    if kafka_type in ("bytes", "records", "uuid", "datetime_i64") or _nested(f) is not None:
        return None
    return 0


# -- small conversions ----------------------------------------------------------------------------

def millis(value: Any) -> int:
    """A kio timedelta (or a plain int) as whole milliseconds."""
    if isinstance(value, datetime.timedelta):
        return int(round(value.total_seconds() * 1000))
    return int(value)


def topic_uuid(topic_id: str | None) -> uuid.UUID | None:
    """The engine's topic id (22 base64 characters, as Kafka prints a Uuid) as a UUID."""
    if not topic_id:
        return None
    return uuid.UUID(bytes=base64.urlsafe_b64decode(topic_id + "=="))


def topic_id_text(value: uuid.UUID | None) -> str | None:
    if value is None or value.int == 0:
        return None
    return base64.urlsafe_b64encode(value.bytes).decode().rstrip("=")


def error_code(error: Any) -> ErrorCode:
    return ErrorCode(int(error))
