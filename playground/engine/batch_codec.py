"""Record batch v2 bytes: Kafka's on-the-wire and on-disk batch format, every codec.

The layout of Kafka's `DefaultRecordBatch` (KIP-98), big-endian:

    baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 = 2
    | crc uint32 | attributes int16 | lastOffsetDelta int32 | baseTimestamp int64
    | maxTimestamp int64 | producerId int64 | producerEpoch int16 | baseSequence int32
    | recordCount int32 | records

61 bytes of header; `batchLength` counts everything after itself (the size is
batchLength + 12). The CRC is CRC-32C (Castagnoli) over attributes through the
end, so a leader can set baseOffset and partitionLeaderEpoch without computing it
again. Attributes: bits 0–2 the codec (see `compression`), bit 3 the timestamp
type (LogAppendTime), bit 4 transactional, bit 5 control. Each record
(`DefaultRecord`) is

    length varint | attributes int8 | timestampDelta varlong | offsetDelta varint
    | keyLength varint | key | valueLength varint | value
    | headerCount varint | (headerKeyLength varint | headerKey | headerValueLength varint | headerValue)*

with zigzag varints and -1 for a null key, value or header value. With a codec,
all the records together are compressed as one stream. Under LogAppendTime
every record's timestamp is the batch's maxTimestamp.

Why not `kio.records`: kio 0.6 reads and writes this layout but does not fit. It
has no compression (its reader parses compressed bytes as records, its writer
cannot compress); its timestamps go through `datetime` and floats, so the writer
turns 1001 ms into 1000 ms and the reader drops the milliseconds altogether; and
it writes every record field through a separate BytesIO write, too slow for the
producer's per-batch size accounting. So this module writes the layout with
`struct` and zigzag varints, with the same `crc32c` package kio uses. The tests
check it against kio both ways (kio's writer gives the same bytes for an
uncompressed batch, kio's reader reads ours) and against the published batch
vectors of sarama's `record_test.go`.

Record offsets are taken as `(offset, record)` pairs from `RecordBatch.iter_from`,
never as base + index. A producer's batch has no base offset yet (-1): it is
written with base offset 0, as Kafka's producer writes it, and the leader
assigns the real one.
"""

from __future__ import annotations

import struct
from typing import Iterable, Sequence

from crc32c import crc32c

from .compression import CODECS, check_codec, compress, decompress
from .errors import Errors, KafkaError
from .records import CREATE_TIME, LOG_APPEND_TIME, Record, RecordBatch

__all__ = [
    "BATCH_HEADER_SIZE", "CONTROL_ABORT", "CONTROL_COMMIT", "batch_sizes", "compress", "decode_batch",
    "decode_batches", "decompress", "encode_batch", "end_transaction_marker", "read_end_transaction_marker",
    "record_size",
]

MAGIC = 2
BATCH_HEADER_SIZE = 61          # DefaultRecordBatch.RECORD_BATCH_OVERHEAD
LOG_OVERHEAD = 12               # baseOffset + batchLength: what batchLength does not count
CRC_START = 21                  # the CRC covers attributes (byte 21) to the end of the batch
NO_TIMESTAMP = -1

ATTR_CODEC_MASK = 0x07
ATTR_LOG_APPEND_TIME = 0x08
ATTR_TRANSACTIONAL = 0x10
ATTR_CONTROL = 0x20

# Control records (ControlRecordType): key = int16 version 0 + int16 type;
# an end transaction marker's value = int16 version 0 + int32 coordinator epoch.
CONTROL_ABORT = 0
CONTROL_COMMIT = 1

_PRE_CRC = struct.Struct(">qiibI")        # baseOffset, batchLength, partitionLeaderEpoch, magic, crc
_POST_CRC = struct.Struct(">hiqqqhii")    # attributes ... recordCount
_HEADER = struct.Struct(">qiibIhiqqqhii")
_BASE = struct.Struct(">q")
_EPOCH = struct.Struct(">i")
_CODEC_NAMES = dict(enumerate(CODECS))


def _corrupt(sentence: str) -> KafkaError:
    return KafkaError(Errors.CORRUPT_MESSAGE, sentence)


# -- varints (zigzag, as Kafka's ByteUtils.writeVarint / writeVarlong) ------------------------

def _zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 63)


def _varint_size(u: int) -> int:
    """Bytes of the varint of an already zigzagged value."""
    return (u.bit_length() + 6) // 7 or 1


def _put_varint(out: bytearray, u: int) -> None:
    while u >= 0x80:
        out.append((u & 0x7F) | 0x80)
        u >>= 7
    out.append(u)


def _get_varint(buf: bytes, pos: int, max_bytes: int = 5) -> tuple[int, int]:
    """(value, next position); Kafka refuses a varint longer than 5 bytes (varlong: 10)."""
    b = buf[pos]
    pos += 1
    if b < 0x80:
        return (b >> 1) ^ -(b & 1), pos
    u = b & 0x7F
    shift = 7
    while True:
        b = buf[pos]
        pos += 1
        u |= (b & 0x7F) << shift
        if b < 0x80:
            return (u >> 1) ^ -(u & 1), pos
        shift += 7
        if shift >= 7 * max_bytes:
            raise _corrupt(f"a varint in the records is longer than {max_bytes} bytes")


# -- encoding --------------------------------------------------------------------------------

def _header_bytes(headers) -> list[tuple[bytes, bytes | None]]:
    return [(k.encode("utf-8") if isinstance(k, str) else bytes(k), v) for k, v in headers]


def _record_body_size(ts_delta: int, offset_delta: int, key, value, headers) -> int:
    """Bytes of one record after its length varint (DefaultRecord.sizeOfBodyInBytes)."""
    size = 1 + _varint_size(_zigzag(ts_delta)) + _varint_size(_zigzag(offset_delta))
    if key is None:
        size += 1
    else:
        n = len(key)
        size += _varint_size(n << 1) + n
    if value is None:
        size += 1
    else:
        n = len(value)
        size += _varint_size(n << 1) + n
    size += _varint_size(len(headers) << 1)
    for hk, hv in headers:
        n = len(hk)
        size += _varint_size(n << 1) + n
        if hv is None:
            size += 1
        else:
            n = len(hv)
            size += _varint_size(n << 1) + n
    return size


def _write_records(out: bytearray, pairs: Iterable[tuple[int, Record]], base_offset: int, base_ts: int) -> None:
    for offset, r in pairs:
        key, value = r.key, r.value
        headers = _header_bytes(r.headers) if r.headers else ()
        ts_delta = r.timestamp - base_ts
        offset_delta = offset - base_offset
        _put_varint(out, _zigzag(_record_body_size(ts_delta, offset_delta, key, value, headers)))
        out.append(0)                                   # record attributes: unused
        _put_varint(out, _zigzag(ts_delta))
        _put_varint(out, _zigzag(offset_delta))
        if key is None:
            out.append(1)                               # zigzag(-1)
        else:
            _put_varint(out, len(key) << 1)
            out += key
        if value is None:
            out.append(1)
        else:
            _put_varint(out, len(value) << 1)
            out += value
        _put_varint(out, len(headers) << 1)
        for hk, hv in headers:
            _put_varint(out, len(hk) << 1)
            out += hk
            if hv is None:
                out.append(1)
            else:
                _put_varint(out, len(hv) << 1)
                out += hv


def encode_batch(batch: RecordBatch) -> bytes:
    """The batch as record batch v2 bytes, its records compressed with `batch.compression`.

    A batch that came off the wire (`batch.raw`) is written as it came, with its base offset
    and partition leader epoch set: neither is covered by the CRC.
    """
    raw = batch.raw
    if raw is not None:
        return _BASE.pack(batch.base_offset) + raw[8:12] + _EPOCH.pack(batch.leader_epoch) + raw[16:]
    codec_id = check_codec(batch.compression)
    base = batch.base_offset
    pairs = list(batch.iter_from(base))
    base_ts = pairs[0][1].timestamp if pairs else NO_TIMESTAMP
    section = bytearray()
    _write_records(section, pairs, base, base_ts)
    payload = compress(batch.compression, bytes(section)) if codec_id else section
    attributes = codec_id
    if batch.timestamp_type == LOG_APPEND_TIME:
        attributes |= ATTR_LOG_APPEND_TIME
    if batch.is_transactional:
        attributes |= ATTR_TRANSACTIONAL
    if batch.is_control:
        attributes |= ATTR_CONTROL
    body = _POST_CRC.pack(attributes, batch.last_offset - base, base_ts, batch.max_timestamp,
                          batch.producer_id, batch.producer_epoch, batch.base_sequence, len(pairs)) + payload
    head = _PRE_CRC.pack(base if base >= 0 else 0, BATCH_HEADER_SIZE - LOG_OVERHEAD + len(payload),
                         batch.leader_epoch, MAGIC, crc32c(body))
    return head + body


def record_size(record: Record, offset_delta: int, timestamp_delta: int) -> int:
    """Bytes of one record in an uncompressed batch, its length varint included
    (DefaultRecord.sizeInBytes): what one more record adds to a batch."""
    body = _record_body_size(timestamp_delta, offset_delta, record.key, record.value,
                             _header_bytes(record.headers) if record.headers else ())
    return _varint_size(body << 1) + body


def batch_sizes(records: Sequence[Record], compression: str = "none") -> tuple[int, int]:
    """(uncompressed, compressed) bytes of a producer batch of `records` as encode_batch writes it.

    For "none" both are the exact v2 size, computed from the varint lengths without
    building any bytes. With a codec the records are encoded and compressed once.
    """
    codec_id = check_codec(compression)
    base_ts = records[0].timestamp if records else NO_TIMESTAMP
    if not codec_id:
        size = BATCH_HEADER_SIZE
        vsize = _varint_size
        for delta, r in enumerate(records):
            key, value = r.key, r.value
            if r.headers:
                body = _record_body_size(r.timestamp - base_ts, delta, key, value, _header_bytes(r.headers))
            else:
                # The common case inlined: the producer sizes every batch it sends.
                ts = r.timestamp - base_ts
                body = 4 + (vsize((ts << 1) ^ (ts >> 63)) if ts else 1) + (vsize(delta << 1) if delta > 63 else 1)
                if key is not None:
                    n = len(key)
                    body += n + (vsize(n << 1) if n > 63 else 1) - 1
                if value is not None:
                    n = len(value)
                    body += n + (vsize(n << 1) if n > 63 else 1) - 1
            size += vsize(body << 1) + body
        return size, size
    section = bytearray()
    _write_records(section, enumerate(records), 0, base_ts)
    return BATCH_HEADER_SIZE + len(section), BATCH_HEADER_SIZE + len(compress(compression, bytes(section)))


# -- decoding --------------------------------------------------------------------------------

def decode_batch(data: bytes) -> RecordBatch:
    """One record batch v2; any flaw raises KafkaError(CORRUPT_MESSAGE) with a sentence."""
    data = bytes(data)
    batch, end = _decode_at(data, 0)
    if end != len(data):
        raise _corrupt(f"{len(data) - end} byte(s) follow the record batch; a record set of several "
                       "batches is read with decode_batches")
    return batch


def decode_batches(data: bytes, *, allow_truncated_tail: bool = False, keep_bytes: bool = False) -> list[RecordBatch]:
    """Every batch of a record set (batches back to back, as in Produce and Fetch).

    A Fetch response may end with a partial batch, cut at the fetch size: a consumer
    skips it, and `allow_truncated_tail=True` does the same. A Produce request must not.
    `keep_bytes=True` keeps each batch's bytes on it (`RecordBatch.raw`), so that what a
    client produced is fetched without encoding it again; its records are still read and
    checked, as Kafka's LogValidator reads every record a producer sends.
    """
    data = bytes(data)
    batches = []
    pos = 0
    while pos < len(data):
        left = len(data) - pos
        if allow_truncated_tail:
            if left < BATCH_HEADER_SIZE:
                break
            (length,) = struct.unpack_from(">i", data, pos + 8)
            if length + LOG_OVERHEAD > left:
                break
        start = pos
        batch, pos = _decode_at(data, pos)
        if keep_bytes:
            batch.raw = data[start:pos]
        batches.append(batch)
    return batches


def _decode_at(data: bytes, pos: int) -> tuple[RecordBatch, int]:
    left = len(data) - pos
    if left < BATCH_HEADER_SIZE:
        raise _corrupt(f"a record batch needs its {BATCH_HEADER_SIZE}-byte v2 header, but only {left} "
                       "byte(s) are left")
    (base_offset, length, leader_epoch, magic, crc, attributes, last_offset_delta, base_ts, max_ts,
     producer_id, producer_epoch, base_sequence, count) = _HEADER.unpack_from(data, pos)
    if magic != MAGIC:
        raise _corrupt(f"magic byte {magic}: only record batch v2 (magic 2) is read; Kafka 4 no longer "
                       "accepts the v0 and v1 message formats")
    size = length + LOG_OVERHEAD
    if size < BATCH_HEADER_SIZE:
        raise _corrupt(f"batch length {length} is smaller than the {BATCH_HEADER_SIZE - LOG_OVERHEAD} "
                       "bytes of a v2 header")
    if size > left:
        raise _corrupt(f"the batch says it is {size} bytes long, but only {left} byte(s) are left")
    end = pos + size
    computed = crc32c(memoryview(data)[pos + CRC_START:end])
    if computed != crc:
        raise _corrupt(f"Record is corrupt (stored crc = {crc}, computed crc = {computed}): "
                       "the CRC-32C over attributes to the end does not match")
    codec = _CODEC_NAMES.get(attributes & ATTR_CODEC_MASK)
    if codec is None:
        raise _corrupt(f"unknown compression type id {attributes & ATTR_CODEC_MASK} in the batch attributes")
    if count < 0:
        raise _corrupt(f"negative record count {count}")
    section = data[pos + BATCH_HEADER_SIZE:end]
    if codec != "none":
        section = decompress(codec, section)
    log_append = bool(attributes & ATTR_LOG_APPEND_TIME)
    try:
        records = _read_records(section, count, base_ts, max_ts if log_append else None)
    except (IndexError, ValueError, OverflowError) as e:
        raise _corrupt(f"the records of the batch end early or are malformed ({type(e).__name__})") from None
    if count and last_offset_delta != count - 1:
        raise _corrupt(f"last offset delta {last_offset_delta} does not match the {count} record(s) of the batch")
    is_control = bool(attributes & ATTR_CONTROL)
    if is_control:
        for r in records:
            _check_control_record(r)
    batch = RecordBatch(
        records, base_offset=base_offset, leader_epoch=leader_epoch,
        timestamp_type=LOG_APPEND_TIME if log_append else CREATE_TIME,
        producer_id=producer_id, producer_epoch=producer_epoch, base_sequence=base_sequence,
        size_bytes=size, is_transactional=bool(attributes & ATTR_TRANSACTIONAL), is_control=is_control,
        compression=codec, max_timestamp=max_ts,      # as written, even where it disagrees with the records
    )
    return batch, end


def _read_records(buf: bytes, count: int, base_ts: int, append_time: int | None) -> list[Record]:
    # Every record a producer sends is read (a leader validates them all, as Kafka's LogValidator
    # does), so this loop is the hot path of a real client's produce: one-byte varints and
    # short keys and values, by far the common case, are read inline; anything else goes
    # through _get_varint / _get_bytes, which also raise on malformed input.
    records = []
    append = records.append
    get_varint = _get_varint
    pos = 0
    end = len(buf)
    for i in range(count):
        b = buf[pos]
        if b < 0x80:
            length = (b >> 1) ^ -(b & 1)
            pos += 1
        elif buf[pos + 1] < 0x80:                       # two bytes: records of 64 to 8191 bytes
            u = (b & 0x7F) | (buf[pos + 1] << 7)
            length = (u >> 1) ^ -(u & 1)
            pos += 2
        else:
            length, pos = get_varint(buf, pos)
        start = pos
        if length < 0 or start + length > end:
            raise _corrupt(f"record {i} says it is {length} bytes long, but {end - start} byte(s) are left")
        b = buf[pos + 1]                                # after the record attributes (unused)
        if b < 0x80:
            ts_delta = (b >> 1) ^ -(b & 1)
            pos += 2
        else:
            ts_delta, pos = get_varint(buf, pos + 1, 10)
        b = buf[pos]
        if b < 0x80:
            offset_delta = (b >> 1) ^ -(b & 1)
            pos += 1
        else:
            offset_delta, pos = get_varint(buf, pos)
        if offset_delta != i:
            # A produced batch has consecutive offsets (Kafka's LogValidator refuses others).
            raise _corrupt(f"record {i} has offset delta {offset_delta}; the offsets of a batch are consecutive")
        b = buf[pos]
        if b == 1:
            key = None
            pos += 1
        elif b < 0x80 and not b & 1:
            pos += 1
            key = buf[pos:pos + (b >> 1)]
            pos += b >> 1
        else:
            key, pos = _get_bytes(buf, pos, "key")
        b = buf[pos]
        if b == 1:
            value = None
            pos += 1
        elif b < 0x80 and not b & 1:
            pos += 1
            value = buf[pos:pos + (b >> 1)]
            pos += b >> 1
        elif b >= 0x80 and buf[pos + 1] < 0x80 and not b & 1:     # a value of 64 to 8191 bytes
            n = ((b & 0x7F) | (buf[pos + 1] << 7)) >> 1
            pos += 2
            value = buf[pos:pos + n]
            pos += n
        else:
            value, pos = _get_bytes(buf, pos, "value")
        if buf[pos] == 0:                               # no headers
            pos += 1
            headers: tuple = ()
        else:
            headers, pos = _read_headers(buf, pos)
        if pos != start + length:
            raise _corrupt(f"Invalid record size: expected to read {length} bytes in record payload, "
                           f"but instead read {pos - start}")
        append(Record(key, value, headers, append_time if append_time is not None else base_ts + ts_delta))
    if pos != end:
        raise _corrupt(f"{end - pos} byte(s) follow the {count} declared record(s) of the batch")
    return records


def _read_headers(buf: bytes, pos: int) -> tuple[tuple, int]:
    n_headers, pos = _get_varint(buf, pos)
    if n_headers < 0:
        raise _corrupt(f"Found invalid number of record headers {n_headers}")
    headers = []
    for _ in range(n_headers):
        hk, pos = _get_bytes(buf, pos, "header key")
        if hk is None:
            raise _corrupt("Invalid negative header key size")
        hv, pos = _get_bytes(buf, pos, "header value")
        # Header keys are Java Strings, decoded as UTF-8 with replacement like new String(..., UTF_8).
        headers.append((hk.decode("utf-8", "replace"), hv))
    return tuple(headers), pos


def _get_bytes(buf: bytes, pos: int, what: str) -> tuple[bytes | None, int]:
    n, pos = _get_varint(buf, pos)
    if n == -1:
        return None, pos
    if n < 0 or pos + n > len(buf):
        raise _corrupt(f"invalid {what} length {n} with {len(buf) - pos} byte(s) left in the records")
    return buf[pos:pos + n], pos + n


# -- control records (transaction markers) ---------------------------------------------------

def end_transaction_marker(control_type: int, coordinator_epoch: int, timestamp: int = 0) -> Record:
    """The control record of a COMMIT (1) or ABORT (0) marker (Kafka's EndTransactionMarker)."""
    if control_type not in (CONTROL_ABORT, CONTROL_COMMIT):
        raise ValueError(f"an end transaction marker is COMMIT (1) or ABORT (0), not {control_type}")
    return Record(struct.pack(">hh", 0, control_type), struct.pack(">hi", 0, coordinator_epoch), (), timestamp)


def read_end_transaction_marker(record: Record) -> tuple[int, int]:
    """(control type, coordinator epoch) of a marker record; CORRUPT_MESSAGE if it is not one."""
    control_type = _check_control_record(record)
    if control_type not in (CONTROL_ABORT, CONTROL_COMMIT):
        raise _corrupt(f"control record type {control_type} is not an end transaction marker")
    return control_type, struct.unpack_from(">i", record.value, 2)[0]


def _check_control_record(record: Record) -> int:
    """The checks of ControlRecordType.parse and EndTransactionMarker.deserializeValue."""
    key = record.key
    if key is None or len(key) < 4:
        raise _corrupt(f"a control record key needs 4 bytes (version, type), found {0 if key is None else len(key)}")
    version, control_type = struct.unpack_from(">hh", key)
    if version < 0:
        raise _corrupt(f"Invalid version found for control record: {version}. May indicate data corruption")
    if control_type in (CONTROL_ABORT, CONTROL_COMMIT):
        value = record.value
        if value is None or len(value) < 6:
            raise _corrupt("Invalid value size found for end transaction marker. Must have at least 6 bytes, "
                           f"but found only {0 if value is None else len(value)}")
        (value_version,) = struct.unpack_from(">h", value)
        if value_version < 0:
            raise _corrupt(f"Invalid version found for end transaction marker: {value_version}. "
                           "May indicate data corruption")
    return control_type
