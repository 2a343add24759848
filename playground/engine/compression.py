"""Kafka's compression codecs, framed exactly as Kafka's clients frame them.

The compressed part of a record batch v2 is everything after the record count.
The codec is attributes bits 0–2 (Kafka's `CompressionType` ids: none 0,
gzip 1, snappy 2, lz4 3, zstd 4). The bytes of each codec are what Kafka's
Java client writes (`org.apache.kafka.common.compress`):

- gzip: one gzip member (`GZIPOutputStream`), default level 6 (Kafka's
  `GZIP.defaultLevel()` is zlib's default). Reading accepts several members.
- snappy: xerial snappy-java's stream framing (`SnappyOutputStream`): the
  16-byte header `0x82 "SNAPPY" 0x00`, int32 version 1, int32 compatible
  version 1, then chunks of at most 32 KiB input, each an int32 big-endian
  length and a raw snappy block. librdkafka, sarama and kafka-python send raw
  snappy with no framing; xerial's `SnappyInputStream` and librdkafka's
  reader both fall back to raw snappy when the header is not there, and so
  does `decompress`.
- lz4: the LZ4 frame format as Kafka's `Lz4BlockOutputStream` writes it:
  FLG 0x60 (version 1, independent blocks, no checksums), BD 0x40 (64 KiB
  blocks), the header checksum byte, blocks (the high bit of a block's length
  marks a block stored uncompressed), and a zero end mark. Reading follows
  `Lz4BlockInputStream`: magic, version 1 and independent blocks are required
  (Kafka refuses linked blocks), the header checksum is checked; block and
  content checksums and the content size are accepted (librdkafka and
  sarama may set them).
- zstd: a zstd frame at level 3 (Kafka's `ZSTD.defaultLevel()`, KIP-390).
  Frames without a content size (Kafka's streaming `ZstdOutputStream`) and
  several frames in a row are read too.

Everything here is deterministic: the same input gives the same bytes.
"""

from __future__ import annotations

import struct

import cramjam

from .errors import Errors, KafkaError

CODECS = ("none", "gzip", "snappy", "lz4", "zstd")
CODEC_IDS = {name: i for i, name in enumerate(CODECS)}

GZIP_LEVEL = 6
ZSTD_LEVEL = 3

XERIAL_MAGIC = b"\x82SNAPPY\x00"
XERIAL_HEADER = XERIAL_MAGIC + struct.pack(">ii", 1, 1)
XERIAL_BLOCK_SIZE = 32 * 1024

LZ4_MAGIC = b"\x04\x22\x4d\x18"
LZ4_FLG = 0x60          # version 01, block independence, no block/content checksum, no content size
LZ4_BD = 0x40           # block maximum size id 4: 64 KiB
LZ4_BLOCK_SIZE = 64 * 1024
LZ4_UNCOMPRESSED_BIT = 0x80000000


def check_codec(codec: str) -> int:
    """The codec's id in the batch attributes; INVALID_CONFIG for an unknown name."""
    try:
        return CODEC_IDS[codec]
    except (KeyError, TypeError):
        raise KafkaError(Errors.INVALID_CONFIG,
                         f"Invalid value {codec} for configuration compression.type: "
                         f"String must be one of: {', '.join(CODECS)}") from None


def compress(codec: str, data: bytes) -> bytes:
    """`data` compressed and framed as Kafka's Java producer frames it."""
    check_codec(codec)
    if codec == "none":
        return bytes(data)
    if codec == "gzip":
        return bytes(cramjam.gzip.compress(data, level=GZIP_LEVEL))
    if codec == "snappy":
        return _xerial_compress(data)
    if codec == "lz4":
        return _lz4_frame_compress(data)
    return bytes(cramjam.zstd.compress(data, level=ZSTD_LEVEL))


def decompress(codec: str, data: bytes) -> bytes:
    """The bytes `compress` (or librdkafka, sarama, the Java client) compressed.

    Bad input raises KafkaError(CORRUPT_MESSAGE) with a sentence; an unknown codec
    name raises INVALID_CONFIG.
    """
    check_codec(codec)
    data = bytes(data)
    if codec == "none":
        return data
    try:
        if codec == "gzip":
            return bytes(cramjam.gzip.decompress(data))
        if codec == "snappy":
            if len(data) >= len(XERIAL_HEADER) and data.startswith(XERIAL_MAGIC):
                return _xerial_decompress(data)
            return bytes(cramjam.snappy.decompress_raw(data))
        if codec == "lz4":
            _lz4_check_frame_header(data)
            return bytes(cramjam.lz4.decompress(data))
        return bytes(cramjam.zstd.decompress(data))
    except KafkaError:
        raise
    except (cramjam.DecompressionError, ValueError, OverflowError, struct.error) as e:
        raise KafkaError(Errors.CORRUPT_MESSAGE,
                         f"the {codec}-compressed records could not be decompressed: {e}") from None


# -- snappy: xerial snappy-java framing --------------------------------------------------------

def _xerial_compress(data: bytes) -> bytes:
    out = bytearray(XERIAL_HEADER)
    view = memoryview(data)
    for start in range(0, len(data), XERIAL_BLOCK_SIZE):
        block = bytes(cramjam.snappy.compress_raw(view[start:start + XERIAL_BLOCK_SIZE]))
        out += struct.pack(">i", len(block))
        out += block
    return bytes(out)


def _xerial_decompress(data: bytes) -> bytes:
    version, compatible = struct.unpack_from(">ii", data, len(XERIAL_MAGIC))
    if version < 1:
        # SnappyInputStream refuses streams older than its MINIMUM_COMPATIBLE_VERSION (1).
        raise KafkaError(Errors.CORRUPT_MESSAGE,
                         f"snappy-java stream version {version} is older than the oldest readable version 1")
    out = bytearray()
    pos = len(XERIAL_HEADER)
    end = len(data)
    while pos < end:
        if end - pos < 4:
            raise KafkaError(Errors.CORRUPT_MESSAGE,
                             f"snappy-java stream ends inside a chunk length ({end - pos} of 4 bytes)")
        (size,) = struct.unpack_from(">i", data, pos)
        pos += 4
        if size < 0 or pos + size > end:
            raise KafkaError(Errors.CORRUPT_MESSAGE,
                             f"snappy-java chunk of {size} bytes does not fit in the {end - pos} bytes left")
        out += cramjam.snappy.decompress_raw(data[pos:pos + size])
        pos += size
    return bytes(out)


# -- lz4: LZ4 frame format as KafkaLZ4BlockOutputStream writes it ------------------------------

def _lz4_frame_compress(data: bytes) -> bytes:
    out = bytearray(LZ4_MAGIC)
    out.append(LZ4_FLG)
    out.append(LZ4_BD)
    out.append((xxh32(bytes((LZ4_FLG, LZ4_BD))) >> 8) & 0xFF)
    view = memoryview(data)
    for start in range(0, len(data), LZ4_BLOCK_SIZE):
        raw = view[start:start + LZ4_BLOCK_SIZE]
        block = bytes(cramjam.lz4.compress_block(raw, store_size=False))
        if len(block) >= len(raw):
            # Lz4BlockOutputStream stores an incompressible block as it is, high bit set.
            out += struct.pack("<I", len(raw) | LZ4_UNCOMPRESSED_BIT)
            out += raw
        else:
            out += struct.pack("<I", len(block))
            out += block
    out += b"\x00\x00\x00\x00"     # end mark; Kafka writes no content checksum
    return bytes(out)


def _lz4_check_frame_header(data: bytes) -> None:
    """The checks of Kafka's Lz4BlockInputStream.readHeader, with its messages."""
    if len(data) < 7:
        raise KafkaError(Errors.CORRUPT_MESSAGE, "LZ4 stream ended prematurely (no complete frame header)")
    if data[:4] != LZ4_MAGIC:
        raise KafkaError(Errors.CORRUPT_MESSAGE, "LZ4 stream unsupported (invalid magic bytes)")
    flg, bd = data[4], data[5]
    if flg & 0x03:
        raise KafkaError(Errors.CORRUPT_MESSAGE, "LZ4 frame descriptor: reserved bits must be 0")
    if not flg & 0x20:
        raise KafkaError(Errors.CORRUPT_MESSAGE,
                         "LZ4 dependent block stream is unsupported: Kafka reads only independent blocks")
    if flg >> 6 != 1:
        raise KafkaError(Errors.CORRUPT_MESSAGE, f"LZ4 frame version {flg >> 6} is unsupported")
    if bd & 0x8F or not 4 <= (bd >> 4) & 7 <= 7:
        raise KafkaError(Errors.CORRUPT_MESSAGE, "LZ4 block size id must be between 4 and 7")
    end = 6 + (8 if flg & 0x08 else 0)
    if len(data) <= end:
        raise KafkaError(Errors.CORRUPT_MESSAGE, "LZ4 stream ended prematurely (no complete frame header)")
    if data[end] != (xxh32(data[4:end]) >> 8) & 0xFF:
        raise KafkaError(Errors.CORRUPT_MESSAGE, "LZ4 stream frame descriptor corrupted (header checksum)")


_P1, _P2, _P3, _P4, _P5 = 2654435761, 2246822519, 3266489917, 668265263, 374761393
_M32 = 0xFFFFFFFF


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (32 - r))) & _M32


def xxh32(data: bytes, seed: int = 0) -> int:
    """XXH32, for the one-byte header checksum of an LZ4 frame (a few bytes of input)."""
    n = len(data)
    pos = 0
    if n >= 16:
        v = [(seed + _P1 + _P2) & _M32, (seed + _P2) & _M32, seed & _M32, (seed - _P1) & _M32]
        while pos + 16 <= n:
            for i in range(4):
                (lane,) = struct.unpack_from("<I", data, pos)
                v[i] = (_rotl((v[i] + lane * _P2) & _M32, 13) * _P1) & _M32
                pos += 4
        h = (_rotl(v[0], 1) + _rotl(v[1], 7) + _rotl(v[2], 12) + _rotl(v[3], 18)) & _M32
    else:
        h = (seed + _P5) & _M32
    h = (h + n) & _M32
    while pos + 4 <= n:
        (word,) = struct.unpack_from("<I", data, pos)
        h = (_rotl((h + word * _P3) & _M32, 17) * _P4) & _M32
        pos += 4
    while pos < n:
        h = (_rotl((h + data[pos] * _P5) & _M32, 11) * _P1) & _M32
        pos += 1
    h = ((h ^ (h >> 15)) * _P2) & _M32
    h = ((h ^ (h >> 13)) * _P3) & _M32
    return h ^ (h >> 16)
