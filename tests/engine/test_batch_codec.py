"""Record batch v2 bytes: published vectors, kio both ways, round trips, corruption."""

import datetime
import io
import struct

import pytest
from crc32c import crc32c
from hypothesis import given, settings, strategies as st

from playground.engine.batch_codec import (
    BATCH_HEADER_SIZE, CONTROL_ABORT, CONTROL_COMMIT, batch_sizes, decode_batch, decode_batches, encode_batch,
    end_transaction_marker, read_end_transaction_marker, record_size,
)
from playground.engine.compression import CODECS
from playground.engine.errors import Errors, KafkaError
from playground.engine.records import CREATE_TIME, LOG_APPEND_TIME, Record, RecordBatch


def _corrupt(data) -> KafkaError:
    with pytest.raises(KafkaError) as info:
        decode_batch(data)
    assert info.value.error == Errors.CORRUPT_MESSAGE
    return info.value


def _records():
    return [
        Record(b"k1", b"v1", (), 1_700_000_000_000),
        Record(None, b"null key", (("trace-id", b"abc"), ("empty", b""), ("none", None)), 1_700_000_000_007),
        Record(b"tomb", None, (), 1_699_999_999_990),          # tombstone, timestamp before the base
        Record(b"", b"", (), 1_700_000_000_003),                # empty bytes are not null
        Record(b"k" * 64, b"v" * 8192, (("h\u00e9", b"x" * 130),), 1_700_000_000_100),   # varint size boundaries
    ]


def _batch(codec="none", **kw):
    fields = dict(base_offset=1000, leader_epoch=7, producer_id=4242, producer_epoch=3, base_sequence=17)
    fields.update(kw)
    return RecordBatch(_records(), compression=codec, **fields)


def _fields(b: RecordBatch):
    return (b.base_offset, b.leader_epoch, b.timestamp_type, b.max_timestamp, b.producer_id, b.producer_epoch,
            b.base_sequence, b.is_transactional, b.is_control, b.compression, b.last_offset,
            [(off, r.key, r.value, r.headers, r.timestamp) for off, r in b.iter_from(b.base_offset)])


# -- sarama's record_test.go vectors ------------------------------------------------------------
def _sarama(length, crc, attributes, count, records, first_ts=(0, 0, 1, 88, 141, 205, 89, 56)):
    return (bytes(8) + length.to_bytes(4, "big") + bytes(4) + b"\x02" + bytes(crc) + attributes.to_bytes(2, "big")
            + bytes(4) + bytes(first_ts) + bytes(8) + bytes(8) + bytes(2) + bytes(4) + count.to_bytes(4, "big")
            + bytes(records))


RECORD = [40, 0, 10, 0, 8, 1, 2, 3, 4, 6, 5, 6, 7, 2, 6, 8, 9, 10, 4, 11, 12]
SARAMA = {
    "empty": _sarama(49, [89, 95, 183, 221], 0, 0, [], first_ts=[0] * 8),
    "control": _sarama(49, [81, 46, 67, 217], 32, 0, [], first_ts=[0] * 8),
    "none": _sarama(70, [84, 121, 97, 253], 0, 1, RECORD),
    "gzip": _sarama(95, [231, 74, 206, 165], 1, 1, [
        31, 139, 8, 0, 0, 9, 110, 136, 0, 255, 0, 21, 0, 234, 255, 40, 0, 10, 0, 8, 1, 2, 3, 4, 6, 5, 6, 7, 2, 6,
        8, 9, 10, 4, 11, 12, 3, 0, 173, 201, 88, 103, 21, 0, 0, 0]),
    "snappy": _sarama(72, [21, 0, 159, 97], 2, 1, [21, 80] + RECORD),
    "lz4": _sarama(89, [169, 74, 119, 197], 3, 1, [
        4, 34, 77, 24, 100, 112, 185, 21, 0, 0, 128] + RECORD + [0, 0, 0, 0, 12, 59, 239, 146]),
}


@pytest.mark.parametrize("name", ["none", "gzip", "snappy", "lz4"])
def test_sarama_vectors_decode(name):
    batch = decode_batch(SARAMA[name])
    assert batch.compression == name and batch.size_bytes == len(SARAMA[name])
    assert (batch.base_offset, batch.count, batch.max_timestamp) == (0, 1, 0)
    assert (batch.producer_id, batch.producer_epoch, batch.base_sequence) == (0, 0, 0)
    (offset, r), = batch.iter_from(0)
    assert offset == 0
    assert r.timestamp == 1479847795000 + 5
    assert (r.key, r.value) == (b"\x01\x02\x03\x04", b"\x05\x06\x07")
    assert r.headers == (("\x08\t\n", b"\x0b\x0c"),)


def test_sarama_empty_and_control_batches_check_the_crc_range():
    assert decode_batch(SARAMA["empty"]).count == 0
    control = decode_batch(SARAMA["control"])
    assert control.is_control and control.count == 0
    # The two differ only in attributes (inside the CRC) and so in their CRC.
    assert SARAMA["empty"][21:] != SARAMA["control"][21:]


# -- kio, both ways ------------------------------------------------------------------------------
def _kio_batch(records, base_offset):
    from kio.records import schema
    from kio.static.primitive import TZAwareMicros, i8, i16, i32, i64
    recs = tuple(schema.Record(
        attributes=i8(0), offset=i64(base_offset + i), key=r.key, value=r.value,
        timestamp=TZAwareMicros.parse(datetime.datetime.fromtimestamp(r.timestamp / 1000, datetime.UTC)),
        headers=tuple(schema.RecordHeader(key=k.encode(), value=v) for k, v in r.headers))
        for i, r in enumerate(records))
    return schema.NewRecordBatch(producer_id=i64(-1), producer_epoch=i16(-1), base_sequence=i32(-1),
                                 partition_leader_epoch=i32(0), records=recs, attributes=i16(0))


def _whole_second_records():
    # kio's writer goes through float seconds, so only whole seconds survive it exactly.
    return [Record(b"a", b"1", (), 1_700_000_000_000), Record(None, b"2", (("h", b"x"), ("n", None)), 1_700_000_002_000),
            Record(b"c", None, (), 1_699_999_999_000)]


def test_kio_writer_gives_the_same_bytes():
    from kio.records.writers import write_batch
    records = _whole_second_records()
    buf = io.BytesIO()
    write_batch(buf, _kio_batch(records, 500))
    ours = encode_batch(RecordBatch(records, base_offset=500, leader_epoch=0))
    assert ours == buf.getvalue()


def test_kio_reader_reads_our_batches():
    from kio.records.readers import read_batch
    records = _whole_second_records()
    data = encode_batch(RecordBatch(records, base_offset=40, leader_epoch=3, producer_id=9, producer_epoch=1,
                                    base_sequence=5))
    kb, size = read_batch(data, 0)
    assert size == len(data)
    assert (kb.base_offset, kb.partition_leader_epoch, kb.producer_id, kb.producer_epoch, kb.base_sequence) == \
        (40, 3, 9, 1, 5)
    assert kb.crc == crc32c(data[21:])
    assert [(r.offset, r.key, r.value, int(r.timestamp.timestamp() * 1000)) for r in kb.records] == \
        [(40 + i, r.key, r.value, r.timestamp) for i, r in enumerate(records)]
    assert [(h.key, h.value) for h in kb.records[1].headers] == [(b"h", b"x"), (b"n", None)]


# -- round trips ---------------------------------------------------------------------------------
@pytest.mark.parametrize("codec", CODECS)
def test_round_trip_every_codec(codec):
    batch = _batch(codec)
    data = encode_batch(batch)
    back = decode_batch(data)
    assert _fields(back) == _fields(batch)
    assert back.size_bytes == len(data)
    assert struct.unpack_from(">h", data, 21)[0] & 7 == CODECS.index(codec)
    assert encode_batch(back) == data, "decoding and encoding again gives the same bytes"


@pytest.mark.parametrize("codec", CODECS)
def test_round_trip_large_batch_across_codec_blocks(codec):
    records = [Record(b"key-%d" % i, (b"order %d " % i) * 400, (), 5_000 + i) for i in range(60)]   # ~200 KB
    batch = RecordBatch(records, base_offset=0, compression=codec)
    assert _fields(decode_batch(encode_batch(batch))) == _fields(batch)


def test_log_append_time_and_transactional_flags():
    stamped = _batch("zstd", is_transactional=True).stamped(2000, 9, append_time=1_800_000_000_000)
    back = decode_batch(encode_batch(stamped))
    assert back.timestamp_type == LOG_APPEND_TIME and back.is_transactional
    assert {r.timestamp for r in back.records} == {1_800_000_000_000} == {back.max_timestamp}
    assert (back.base_offset, back.leader_epoch) == (2000, 9)
    attributes = struct.unpack_from(">h", encode_batch(stamped), 21)[0]
    assert attributes == 4 | 0x08 | 0x10


def test_producer_batch_without_offsets_is_written_from_offset_zero():
    batch = RecordBatch(_records())                      # base_offset -1: no leader has seen it yet
    data = encode_batch(batch)
    assert struct.unpack_from(">q", data)[0] == 0
    back = decode_batch(data)
    assert [off for off, _ in back.iter_from(0)] == list(range(5))
    assert back.timestamp_type == CREATE_TIME and back.producer_id == -1 and back.leader_epoch == -1


# -- control batches -----------------------------------------------------------------------------
@pytest.mark.parametrize("control_type", [CONTROL_COMMIT, CONTROL_ABORT])
def test_transaction_marker_round_trip(control_type):
    marker = end_transaction_marker(control_type, coordinator_epoch=12, timestamp=99)
    assert marker.key == struct.pack(">hh", 0, control_type)
    assert marker.value == struct.pack(">hi", 0, 12)
    batch = RecordBatch([marker], base_offset=30, producer_id=5, producer_epoch=2, is_transactional=True,
                        is_control=True)
    back = decode_batch(encode_batch(batch))
    assert back.is_control and back.is_transactional
    assert read_end_transaction_marker(back.records[0]) == (control_type, 12)
    assert struct.unpack_from(">h", encode_batch(batch), 21)[0] == 0x30


def test_bad_control_records_are_corrupt():
    for key, value, words in [(b"\x00\x00", b"", "needs 4 bytes"), (None, None, "needs 4 bytes"),
                              (b"\xff\xff\x00\x01", struct.pack(">hi", 0, 1), "Invalid version"),
                              (b"\x00\x00\x00\x01", b"\x00\x00\x00", "at least 6 bytes"),
                              (b"\x00\x00\x00\x00", struct.pack(">hi", -1, 1), "end transaction marker")]:
        data = encode_batch(RecordBatch([Record(key, value, (), 0)], base_offset=0, is_control=True))
        assert words in _corrupt(data).message
    with pytest.raises(ValueError):
        end_transaction_marker(2, 0)
    # Other control types (KRaft's LEADER_CHANGE = 2, ...) are read, but are no transaction marker.
    leader_change = Record(struct.pack(">hh", 0, 2), b"\x00\x00", (), 0)
    back = decode_batch(encode_batch(RecordBatch([leader_change], base_offset=0, is_control=True)))
    with pytest.raises(KafkaError):
        read_end_transaction_marker(back.records[0])


# -- CRC and corruption ---------------------------------------------------------------------------
def test_crc_covers_attributes_to_the_end_and_nothing_before():
    data = bytearray(encode_batch(_batch("lz4")))
    assert struct.unpack_from(">I", data, 17)[0] == crc32c(bytes(data[21:]))
    # A leader rewrites base offset and leader epoch without touching the CRC.
    struct.pack_into(">q", data, 0, 77)
    struct.pack_into(">i", data, 12, 123)
    moved = decode_batch(bytes(data))
    assert (moved.base_offset, moved.leader_epoch) == (77, 123)
    for pos in (21, 30, 60, BATCH_HEADER_SIZE + 5, len(data) - 1):
        bad = bytearray(data)
        bad[pos] ^= 0x01
        error = _corrupt(bytes(bad))
        assert "stored crc" in error.message and "computed crc" in error.message


def _with_crc(data: bytearray) -> bytes:
    struct.pack_into(">I", data, 17, crc32c(bytes(data[21:])))
    return bytes(data)


def test_malformed_batches_are_corrupt_message():
    good = encode_batch(_batch())
    wrong_magic = bytearray(good)
    wrong_magic[16] = 1
    assert "magic byte 1" in _corrupt(bytes(wrong_magic)).message
    codec7 = bytearray(good)
    struct.pack_into(">h", codec7, 21, 7)
    assert "compression type id 7" in _corrupt(_with_crc(codec7)).message
    more = bytearray(good)
    struct.pack_into(">i", more, 57, 6)
    assert "end early" in _corrupt(_with_crc(more)).message
    fewer = bytearray(good)
    struct.pack_into(">i", fewer, 57, 4)
    assert "follow the 4 declared" in _corrupt(_with_crc(fewer)).message
    delta = bytearray(good)
    struct.pack_into(">i", delta, 23, 9)
    assert "last offset delta 9" in _corrupt(_with_crc(delta)).message
    short_len = bytearray(good)
    struct.pack_into(">i", short_len, 8, 10)
    assert "smaller than" in _corrupt(bytes(short_len)).message
    assert "only 3 byte" in _corrupt(good[:3]).message
    assert "follow the record batch" in _corrupt(good + b"\x00").message


def test_gaps_in_offsets_are_corrupt():
    data = bytearray(encode_batch(RecordBatch([Record(None, b"a", (), 0), Record(None, b"b", (), 0)], base_offset=0)))
    second = BATCH_HEADER_SIZE + 1 + data[BATCH_HEADER_SIZE] // 2
    assert data[second + 3] == 2          # length, attributes, timestamp delta, offset delta (zigzag 1)
    data[second + 3] = 4
    assert "offset delta 2" in _corrupt(_with_crc(data)).message


def test_every_truncation_is_corrupt_message():
    data = encode_batch(_batch("snappy"))
    for n in range(len(data)):
        _corrupt(data[:n])


@settings(max_examples=300, deadline=None)
@given(codec=st.sampled_from(CODECS), flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(1, 255)),
                                                        min_size=1, max_size=4))
def test_damage_behind_a_valid_crc_is_corrupt_message_or_decodes(codec, flips):
    """Flip bytes after the header, fix the CRC: decoding succeeds or says CORRUPT_MESSAGE, nothing else."""
    data = bytearray(encode_batch(_batch(codec)))
    for pos, mask in flips:
        data[BATCH_HEADER_SIZE - 4 + pos % (len(data) - BATCH_HEADER_SIZE + 4)] ^= mask
    try:
        decode_batch(_with_crc(data))
    except KafkaError as e:
        assert e.error == Errors.CORRUPT_MESSAGE


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_are_corrupt_message(data):
    for fn in (decode_batch, decode_batches):
        try:
            fn(data)
        except KafkaError as e:
            assert e.error == Errors.CORRUPT_MESSAGE


# -- record sets ----------------------------------------------------------------------------------
def test_decode_batches_reads_a_record_set_and_skips_a_cut_tail_only_when_asked():
    batches = [_batch(codec, base_offset=100 * i) for i, codec in enumerate(CODECS)]
    data = b"".join(encode_batch(b) for b in batches)
    assert [_fields(b) for b in decode_batches(data)] == [_fields(b) for b in batches]
    assert decode_batches(b"") == []
    cut = data[:-25]
    with pytest.raises(KafkaError) as info:
        decode_batches(cut)
    assert info.value.error == Errors.CORRUPT_MESSAGE
    assert len(decode_batches(cut, allow_truncated_tail=True)) == len(CODECS) - 1
    assert len(decode_batches(data[:-len(encode_batch(batches[-1])) + 30], allow_truncated_tail=True)) == 4


# -- sizes for the producer -----------------------------------------------------------------------
def test_batch_sizes_are_exact():
    for records in (_records(), [], [Record(None, b"x" * n, (), 10 * n) for n in (0, 63, 64, 8191, 8192, 200_000)]):
        for codec in CODECS:
            uncompressed, compressed = batch_sizes(records, codec)
            assert compressed == len(encode_batch(RecordBatch(records, compression=codec))), codec
            assert uncompressed == len(encode_batch(RecordBatch(records))), codec
    json_like = [Record(None, b'{"order_id": %d, "status": "NEW", "amount": 10}' % i, (), i) for i in range(300)]
    uncompressed, compressed = batch_sizes(json_like, "zstd")
    assert compressed < uncompressed / 3
    assert batch_sizes(json_like, "none") == (uncompressed, uncompressed)


def test_batch_sizes_unknown_codec():
    with pytest.raises(KafkaError) as info:
        batch_sizes(_records(), "lzma")
    assert info.value.error == Errors.INVALID_CONFIG


def test_record_size_adds_up_to_the_batch_size():
    records = _records()
    base_ts = records[0].timestamp
    total = BATCH_HEADER_SIZE + sum(record_size(r, i, r.timestamp - base_ts) for i, r in enumerate(records))
    assert total == batch_sizes(records)[0] == len(encode_batch(RecordBatch(records)))
