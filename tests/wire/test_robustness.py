"""Malformed frames get an error response or a closed connection, for that client only.

Raw sockets play the misbehaving client; after each offence the server still answers a
well-formed ApiVersions on another connection, and a connection opened before the offence
keeps working.
"""

from __future__ import annotations

import socket
import struct
import time

import pytest
from kio.schema.api_versions.v0.request import ApiVersionsRequest as ApiVersionsV0
from kio.schema.api_versions.v3.request import ApiVersionsRequest as ApiVersionsV3
from kio.schema.errors import ErrorCode
from kio.schema.metadata.v12.request import MetadataRequest as MetadataV12

from playground.engine.events import EventKind
from playground.wire.apis import SUPPORTED
from playground.wire.codec import encode_request, read_response

from .conftest import connect, read_frame


def api_versions_frame(correlation_id: int, version: int = 3) -> bytes:
    if version >= 3:
        request = ApiVersionsV3(client_software_name="raw-test", client_software_version="1.0")
    else:
        request = ApiVersionsV0()
    return encode_request({"correlation_id": correlation_id, "client_id": "raw"}, request)


def assert_serves(port: int) -> None:
    """A fresh connection gets a proper ApiVersions answer."""
    with connect(port) as sock:
        sock.sendall(api_versions_frame(41))
        corr, resp = read_response(read_frame(sock), 18, 3)
        assert corr == 41 and resp.error_code == ErrorCode.none
        assert {k.api_key for k in resp.api_keys} == set(SUPPORTED)


def assert_closed(sock: socket.socket) -> None:
    assert read_frame(sock) is None, "the broker should have closed this connection"


def test_api_versions_lists_every_supported_api(served):
    port = served.port_of(101)
    with connect(port) as sock:
        sock.sendall(api_versions_frame(7))
        corr, resp = read_response(read_frame(sock), 18, 3)
    assert corr == 7
    ranges = {k.api_key: (k.min_version, k.max_version) for k in resp.api_keys}
    assert ranges == SUPPORTED
    assert ranges[0] == (3, 12) and ranges[1] == (4, 17)


@pytest.mark.parametrize("offence", ["negative size", "huge size", "unknown api key", "unsupported version",
                                     "truncated body", "short header", "garbage body"])
def test_malformed_frame_closes_that_connection_only(served, offence):
    port = served.port_of(101)
    bystander = connect(port)
    bystander.sendall(api_versions_frame(1))
    assert read_frame(bystander) is not None
    good = api_versions_frame(5)
    frames = {
        "negative size": struct.pack(">i", -5),
        "huge size": struct.pack(">i", 2**31 - 1) + b"x" * 16,      # far above socket.request.max.bytes
        "unknown api key": struct.pack(">ihhi", 10, 999, 0, 9) + b"\xff\xff",
        "unsupported version": struct.pack(">ihhi", 10, 0, 99, 9) + b"\xff\xff",   # Produce v99
        "truncated body": good[:4] + good[4:] + b"",                              # patched below
        "short header": struct.pack(">i", 3) + b"abc",
        "garbage body": struct.pack(">i", 20) + struct.pack(">hhi", 3, 12, 1) + b"\x00\x07rdkafka\x00\xff\xff\xff",
    }
    frame = frames[offence]
    if offence == "truncated body":
        # A Metadata v12 request whose size prefix covers only half of its body.
        full = encode_request({"correlation_id": 3, "client_id": "raw"},
                              MetadataV12(topics=None, allow_auto_topic_creation=False,
                                          include_topic_authorized_operations=False))
        body = full[4:]
        frame = struct.pack(">i", 14) + body[:14]
    with connect(port) as sock:
        sock.sendall(frame)
        assert_closed(sock)
    bystander.sendall(api_versions_frame(2))
    corr, _ = read_response(read_frame(bystander), 18, 3)
    assert corr == 2, "another client's connection is untouched"
    bystander.close()
    assert_serves(port)
    refused = served.events(EventKind.CLIENT_REQUEST_REFUSED)
    assert refused and "closed the connection" in refused[-1].text


def test_unknown_api_versions_version_gets_a_v0_answer(served):
    """KIP-511: ApiVersions v99 is answered at v0 with UNSUPPORTED_VERSION and the supported range."""
    port = served.port_of(101)
    with connect(port) as sock:
        sock.sendall(struct.pack(">ihhi", 13, 18, 99, 77) + b"\x00\x03abc")
        corr, resp = read_response(read_frame(sock), 18, 0)
        assert corr == 77 and resp.error_code == ErrorCode.unsupported_version
        assert {k.api_key: (k.min_version, k.max_version) for k in resp.api_keys}[18] == (0, 4)
        # The connection stays open: the client retries with a version it has.
        sock.sendall(api_versions_frame(78, version=0))
        corr, resp = read_response(read_frame(sock), 18, 0)
        assert corr == 78 and resp.error_code == ErrorCode.none


def test_invalid_client_software_name_is_invalid_request(served):
    with connect(served.port_of(101)) as sock:
        sock.sendall(encode_request({"correlation_id": 4, "client_id": "raw"},
                                    ApiVersionsV3(client_software_name="bad name!", client_software_version="1")))
        _, resp = read_response(read_frame(sock), 18, 3)
        assert resp.error_code == ErrorCode.invalid_request


def test_request_size_limit_is_socket_request_max_bytes(make_served):
    served = make_served(max_request_bytes=1000)
    port = served.port_of(101)
    with connect(port) as sock:
        sock.sendall(struct.pack(">i", 1001))
        assert_closed(sock)
    with connect(port) as sock:        # at the limit is fine (and then malformed, so closed)
        sock.sendall(api_versions_frame(9))
        assert read_frame(sock) is not None
    text = served.events(EventKind.CLIENT_REQUEST_REFUSED)[-1].text
    assert "socket.request.max.bytes=1000" in text


def test_pipelined_requests_are_answered_in_order(served):
    """Kafka reads one request at a time per connection: answers come back in request order."""
    with connect(served.port_of(101)) as sock:
        sock.sendall(b"".join(api_versions_frame(i) for i in range(1, 21)))
        order = [read_response(read_frame(sock), 18, 3)[0] for _ in range(20)]
    assert order == list(range(1, 21))


def test_a_half_sent_frame_from_a_slow_client_does_not_block_others(served):
    port = served.port_of(101)
    slow = connect(port)
    frame = api_versions_frame(11)
    slow.sendall(frame[:7])
    assert_serves(port)
    slow.sendall(frame[7:])
    corr, _ = read_response(read_frame(slow), 18, 3)
    assert corr == 11
    slow.close()


def test_a_client_that_never_reads_answers_leaves_the_server_one_response_buffered(served):
    """The connection stays muted while an answer is unsent: no queue of answers grows per client."""
    port = served.port_of(101)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.setblocking(False)
    frame = api_versions_frame(1)
    chunk = frame * 2000
    server = served.loop.server

    def stuck() -> bool:
        return any(c.wants_write() for c in server._connections)

    deadline = time.monotonic() + 15
    offset = 0
    while time.monotonic() < deadline:
        try:
            offset = (offset + sock.send(chunk[offset:] or chunk)) % len(chunk)
        except BlockingIOError:
            if served.call(stuck):
                break
            time.sleep(0.01)
    served.wait_for(stuck, timeout=10, what="the server's answers to back up")
    buffered = served.call(lambda: [(len(c._rbuf), len(c._wbuf), c.in_flight) for c in server._connections])
    response_size = 400                 # an ApiVersions answer is about 200 bytes
    assert buffered and all(r <= len(frame) and w <= response_size for r, w, _ in buffered), buffered
    sock.close()
    assert_serves(port)


def test_a_corrupt_batch_gets_corrupt_message_and_the_connection_stays(served):
    import datetime

    from kio.schema.produce.v9.request import PartitionProduceData, ProduceRequest, TopicProduceData

    from playground.engine.batch_codec import encode_batch
    from playground.engine.records import Record, RecordBatch
    served.call(lambda: served.cluster.create_topic("raw", 1, 1, immediate=True))
    leader = served.call(lambda: served.cluster.leader_of("raw", 0))
    good = encode_batch(RecordBatch([Record(b"k", b"value", (), 1)]))
    bad = good[:-3] + bytes([good[-3] ^ 0xFF]) + good[-2:]

    def produce(records: bytes, corr: int):
        request = ProduceRequest(transactional_id=None, acks=-1, timeout=datetime.timedelta(seconds=5),
                                 topic_data=(TopicProduceData(name="raw", partition_data=(
                                     PartitionProduceData(index=0, records=records),)),))
        sock.sendall(encode_request({"correlation_id": corr, "client_id": "raw"}, request))
        _, resp = read_response(read_frame(sock), 0, 9)
        return resp.responses[0].partition_responses[0]

    with connect(served.port_of(leader)) as sock:
        part = produce(bad, 1)
        assert part.error_code == ErrorCode.corrupt_message and "crc" in part.error_message.lower()
        part = produce(good, 2)
        assert part.error_code == ErrorCode.none and part.base_offset == 0
    hw = served.call(lambda: served.cluster.brokers[leader].leaders[("raw", 0)].log.log_end_offset)
    assert hw == 1, "the corrupt batch changed nothing"
