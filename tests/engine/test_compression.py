"""Compression codecs framed as Kafka frames them, and reading what other clients send."""

import random
import struct

import cramjam
import pytest

from playground.engine.compression import (
    CODECS, LZ4_MAGIC, XERIAL_BLOCK_SIZE, XERIAL_HEADER, compress, decompress, xxh32,
)
from playground.engine.errors import Errors, KafkaError

RNG_SEED = 20231025
_rng = random.Random(RNG_SEED)
INCOMPRESSIBLE = _rng.randbytes(150_000)
REPETITIVE = b'{"order_id": 17, "customer": "c-42", "status": "NEW"}' * 3000   # 150 KB: several blocks
SAMPLES = [b"", b"x", b"hello kafka", REPETITIVE, INCOMPRESSIBLE]


def _corrupt(fn, *args) -> KafkaError:
    with pytest.raises(KafkaError) as info:
        fn(*args)
    assert info.value.error == Errors.CORRUPT_MESSAGE
    return info.value


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("data", SAMPLES, ids=["empty", "one-byte", "short", "repetitive", "random"])
def test_round_trip(codec, data):
    packed = compress(codec, data)
    assert decompress(codec, packed) == data
    assert compress(codec, data) == packed, "the same input gives the same bytes"


def test_compression_pays_off_on_repetitive_data_only():
    for codec in CODECS[1:]:
        assert len(compress(codec, REPETITIVE)) < len(REPETITIVE) / 10, codec
        # Random bytes do not shrink: each codec adds only its framing.
        assert len(compress(codec, INCOMPRESSIBLE)) < len(INCOMPRESSIBLE) * 1.01, codec


def test_xxh32_vectors():
    # Published XXH32 values (seed 0) from the xxHash reference and python-xxhash.
    assert xxh32(b"") == 0x02CC5D05
    assert xxh32(b"a") == 0x550D7456
    assert xxh32(b"abc") == 0x32D153FF
    assert xxh32(b"Nobody inspects the spammish repetition") == 0xE2293B2F


# -- snappy --------------------------------------------------------------------------------------
def test_snappy_is_xerial_framed_in_32k_chunks_like_the_java_producer():
    packed = compress("snappy", REPETITIVE)
    assert packed[:16] == b"\x82SNAPPY\x00" + b"\x00\x00\x00\x01" * 2 == XERIAL_HEADER
    pos, chunks, out = 16, 0, b""
    while pos < len(packed):
        (n,) = struct.unpack_from(">i", packed, pos)
        out += bytes(cramjam.snappy.decompress_raw(packed[pos + 4:pos + 4 + n]))
        pos += 4 + n
        chunks += 1
    assert out == REPETITIVE
    assert chunks == -(-len(REPETITIVE) // XERIAL_BLOCK_SIZE)


def test_snappy_reads_raw_blocks_as_librdkafka_and_sarama_send_them():
    raw = bytes(cramjam.snappy.compress_raw(REPETITIVE))
    assert decompress("snappy", raw) == REPETITIVE
    # sarama's record_test.go: one record compressed as a raw snappy block.
    vector = bytes([21, 80, 40, 0, 10, 0, 8, 1, 2, 3, 4, 6, 5, 6, 7, 2, 6, 8, 9, 10, 4, 11, 12])
    assert decompress("snappy", vector) == bytes([40, 0, 10, 0, 8, 1, 2, 3, 4, 6, 5, 6, 7, 2, 6, 8, 9, 10, 4, 11, 12])


def test_snappy_corruption():
    packed = compress("snappy", REPETITIVE)
    assert "does not fit" in _corrupt(decompress, "snappy", packed[:-10]).message
    assert "older than" in _corrupt(decompress, "snappy", XERIAL_HEADER[:8] + b"\x00" * 8).message
    _corrupt(decompress, "snappy", b"\xff\xff\xff\xff\x0f garbage")


# -- lz4 -----------------------------------------------------------------------------------------
def test_lz4_frame_header_and_blocks_as_kafka_writes_them():
    packed = compress("lz4", REPETITIVE)
    # magic, FLG 0x60 (v1, independent blocks, no checksums), BD 0x40 (64 KiB), HC 0x82
    assert packed[:7] == bytes.fromhex("04224d18604082")
    assert packed[-4:] == b"\x00\x00\x00\x00", "end mark, no content checksum"
    assert (xxh32(packed[4:6]) >> 8) & 0xFF == packed[6]


def test_lz4_stores_incompressible_blocks_raw_with_the_high_bit():
    packed = compress("lz4", INCOMPRESSIBLE)
    (first,) = struct.unpack_from("<I", packed, 7)
    assert first == 0x80000000 | 65536
    assert packed[11:11 + 65536] == INCOMPRESSIBLE[:65536]


def test_lz4_reads_frames_with_checksums_and_big_blocks():
    # sarama's vector: FLG 0x64 (content checksum), BD 0x70 (4 MiB blocks), one stored block.
    vector = bytes([4, 34, 77, 24, 100, 112, 185, 21, 0, 0, 128, 40, 0, 10, 0, 8, 1, 2, 3, 4, 6, 5, 6, 7, 2,
                    6, 8, 9, 10, 4, 11, 12, 0, 0, 0, 0, 12, 59, 239, 146])
    assert decompress("lz4", vector)[:2] == bytes([40, 0])
    c = cramjam.lz4.Compressor(content_checksum=True, block_linked=False)   # sets block checksums too
    c.compress(REPETITIVE)
    framed = bytes(c.finish())
    assert framed[4] & 0x20 and framed[4] & 0x10
    assert decompress("lz4", framed) == REPETITIVE


def test_lz4_refuses_what_kafka_refuses():
    linked = bytes(cramjam.lz4.compress(REPETITIVE))    # liblz4's default: linked blocks
    assert not linked[4] & 0x20
    assert "dependent block" in _corrupt(decompress, "lz4", linked).message
    packed = bytearray(compress("lz4", REPETITIVE))
    packed[6] ^= 0xFF
    assert "header checksum" in _corrupt(decompress, "lz4", bytes(packed)).message
    assert "magic" in _corrupt(decompress, "lz4", b"\x00" * 12).message
    assert "prematurely" in _corrupt(decompress, "lz4", LZ4_MAGIC + b"\x60").message
    _corrupt(decompress, "lz4", compress("lz4", REPETITIVE)[:-40])


# -- gzip and zstd --------------------------------------------------------------------------------
def test_gzip_member_and_several_members():
    packed = compress("gzip", REPETITIVE)
    assert packed[:3] == b"\x1f\x8b\x08"
    assert decompress("gzip", packed + compress("gzip", b"tail")) == REPETITIVE + b"tail"
    _corrupt(decompress, "gzip", packed[:-30])
    _corrupt(decompress, "gzip", b"not gzip at all")


def test_zstd_frames_with_and_without_content_size():
    packed = compress("zstd", REPETITIVE)
    assert packed[:4] == bytes.fromhex("28b52ffd")
    streaming = cramjam.zstd.Compressor()          # like Kafka's ZstdOutputStream: no content size
    streaming.compress(REPETITIVE)
    assert decompress("zstd", bytes(streaming.finish())) == REPETITIVE
    assert decompress("zstd", packed + compress("zstd", b"tail")) == REPETITIVE + b"tail"
    _corrupt(decompress, "zstd", packed[:-5])


def test_unknown_codec_is_invalid_config():
    for fn in (compress, decompress):
        with pytest.raises(KafkaError) as info:
            fn("brotli", b"x")
        assert info.value.error == Errors.INVALID_CONFIG
        assert "must be one of: none, gzip, snappy, lz4, zstd" in info.value.message
