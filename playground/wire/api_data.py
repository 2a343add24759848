"""The data path on the wire: ApiVersions, Metadata, Produce, Fetch, ListOffsets, OffsetForLeaderEpoch.

Each adapter turns the kio request into the engine's request (playground.engine.protocol),
sends it to the broker through the simulated network, and turns the answer into the kio
response of the same version. Record batches travel as Kafka's record batch v2 bytes:
`batch_codec` decodes what a producer sent (every codec) and encodes what a consumer fetches.
"""

from __future__ import annotations

import re
from typing import Any

from playground.engine.batch_codec import decode_batches, encode_batch
from playground.engine.errors import Errors, KafkaError
from playground.engine.events import EventKind
from playground.engine.protocol import (EARLIEST_TIMESTAMP, FetchPartition, FetchRequest, FetchResponse,
                                        ListedOffset, ListOffsetsRequest, ListOffsetsResponse, MetadataRequest,
                                        MetadataResponse, ProduceRequest, ProduceResponse, TopicPartition)
from playground.engine.records import Origin

from .codec import millis, topic_id_text
from .exchange import Exchange

UNKNOWN_TOPIC_ID = 100
FETCH_SESSION_ID_NOT_FOUND = 70
# ListOffsets special timestamps beyond earliest (-2) and latest (-1).
EARLIEST_LOCAL_TIMESTAMP = -4           # KIP-405: the same as earliest without tiered storage
EARLIEST_PENDING_UPLOAD_TIMESTAMP = -5  # KIP-1023: nothing is pending upload without tiered storage
MAX_TIMESTAMP = -3                      # KIP-734: the record with the largest timestamp
# ApiVersions v3+ (KIP-511): what a client_software_name/version may look like.
SOFTWARE_PATTERN = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?")
ISOLATION = {0: "read_uncommitted", 1: "read_committed"}


# -- ApiVersions (18) ---------------------------------------------------------------------------
def api_versions(x: Exchange) -> None:
    from .server import api_version_list
    req = x.request
    if x.version >= 3:
        name, version = req.client_software_name, req.client_software_version
        if not SOFTWARE_PATTERN.fullmatch(name or "") or not SOFTWARE_PATTERN.fullmatch(version or ""):
            x.respond(error_code=Errors.INVALID_REQUEST, api_keys=api_version_list())
            return
        x.conn.software = f"{name} {version}"
    x.respond(error_code=Errors.NONE, api_keys=api_version_list(), finalized_features_epoch=-1)


# -- Metadata (3) -------------------------------------------------------------------------------
def metadata(x: Exchange) -> None:
    req = x.request
    image = x.broker.image
    topics = None
    if req.topics is not None and (req.topics or x.version > 0):    # v0: an empty list means all
        topics = []
        for t in req.topics:
            name = getattr(t, "name", None)
            if name is None:
                known = image.topics_by_id.get(topic_id_text(getattr(t, "topic_id", None)))
                name = known.name if known is not None else None
            if name is not None:
                topics.append(name)
    auto_create = getattr(req, "allow_auto_topic_creation", True)       # before v4, always
    body = MetadataRequest(topics, allow_auto_topic_creation=auto_create)
    x.send("metadata", body, lambda resp: _metadata_response(x, resp))


def _metadata_response(x: Exchange, resp: MetadataResponse) -> None:
    server = x.server
    live = set(resp.brokers)
    brokers = []
    for bid in resp.brokers:
        host, port = server.address_of(bid)
        brokers.append({"node_id": bid, "host": host, "port": port, "rack": None})
    topics = []
    for name in sorted(resp.topics):
        t = resp.topics[name]
        topics.append({
            "error_code": t.error, "name": name, "topic_id": t.topic_id, "is_internal": t.is_internal,
            "partitions": [{"error_code": p.error, "partition_index": p.partition, "leader_id": p.leader,
                            "leader_epoch": p.leader_epoch, "replica_nodes": list(p.replicas),
                            "isr_nodes": list(p.isr),
                            "offline_replicas": [r for r in p.replicas if r not in live]}
                           for p in t.partitions],
        })
    # KRaft brokers name a live broker as the controller (clients cannot reach the quorum; a
    # broker forwards their admin requests, KIP-590): the one the client is talking to.
    x.respond(brokers=brokers, cluster_id=server.cluster_id, controller_id=x.broker_id, topics=topics)


# -- Produce (0) ---------------------------------------------------------------------------------
def produce(x: Exchange) -> None:
    req = x.request
    acks = int(req.acks)
    refused: dict[TopicPartition, tuple[Errors, str]] = {}
    batches = {}
    origin = Origin(x.client)
    for topic in req.topic_data:
        for part in topic.partition_data:
            tp = TopicPartition(topic.name, int(part.index))
            if acks not in (-1, 0, 1):
                refused[tp] = (Errors.INVALID_REQUIRED_ACKS, f"acks={acks} is not 0, 1 or -1 (all).")
                continue
            try:
                found = decode_batches(part.records or b"", keep_bytes=True)
            except KafkaError as exc:
                refused[tp] = (exc.error, exc.message)
                continue
            if len(found) != 1:
                # LogValidator: a v2 produce carries exactly one batch per partition.
                refused[tp] = (Errors.INVALID_RECORD, f"Produce requests (v3+) carry exactly one record batch per "
                                                      f"partition; {tp} had {len(found)}.")
                continue
            batch = found[0]
            limit = x.broker.topic_config(tp.topic, "max.message.bytes")
            if batch.size_bytes > limit:
                # LogValidator: a batch larger than the topic's max.message.bytes is refused whole.
                refused[tp] = (Errors.MESSAGE_TOO_LARGE, f"The batch of {batch.size_bytes} bytes is larger than "
                                                         f"max.message.bytes={limit} of {tp.topic}.")
                continue
            batch.origin = origin
            batches[tp] = batch
    body = ProduceRequest(acks, millis(req.timeout), batches, req.transactional_id, x.client_id)
    if acks == 0:
        if batches:
            x.send("produce", body, None)
        _emit_produced(x, body, None, refused)
        x.no_response()
        return
    if not batches:
        _produce_response(x, refused, ProduceResponse({}), body)
        return
    x.send("produce", body, lambda resp: _produce_response(x, refused, resp, body))


def _produce_response(x: Exchange, refused: dict, resp: ProduceResponse, body: ProduceRequest) -> None:
    by_topic: dict[str, list[dict[str, Any]]] = {}
    for topic in x.request.topic_data:
        for part in topic.partition_data:
            tp = TopicPartition(topic.name, int(part.index))
            if tp in refused:
                error, message = refused[tp]
                entry = {"index": tp.partition, "error_code": error, "base_offset": -1, "error_message": message}
            else:
                r = resp.partitions.get(tp)
                if r is None:
                    continue
                entry = {"index": tp.partition, "error_code": r.error, "base_offset": r.base_offset,
                         "log_append_time": r.log_append_time, "log_start_offset": r.log_start_offset,
                         "error_message": r.error_message if r.error != Errors.NONE else None}
            by_topic.setdefault(topic.name, []).append(entry)
    x.respond(responses=[{"name": name, "partition_responses": parts} for name, parts in by_topic.items()])
    _emit_produced(x, body, resp, refused)


def _emit_produced(x: Exchange, body: ProduceRequest, resp: ProduceResponse | None, refused: dict) -> None:
    done = []
    failed = [f"{tp} ({error.name})" for tp, (error, _) in refused.items()]
    for tp, batch in body.partitions.items():
        r = resp.partitions.get(tp) if resp is not None else None
        if r is not None and r.error != Errors.NONE:
            failed.append(f"{tp} ({r.error.name})")
            continue
        n = batch.count
        where = f" at offset{'s' if n > 1 else ''} {r.base_offset}{'–' + str(r.base_offset + n - 1) if n > 1 else ''}" \
            if r is not None and r.base_offset >= 0 else ""
        done.append((n, f"{n} record{'s' if n != 1 else ''} to {tp}{where}"))
    if not done and not failed:
        return
    acks = {-1: "all", 0: "0", 1: "1"}.get(body.acks, str(body.acks))
    parts = [d for _, d in done]
    text = f"{x.client} produced {_join(parts)} (acks={acks})" if parts else f"{x.client} could not produce"
    if failed:
        text += f"; refused for {_join(failed)}"
    x.emit(EventKind.CLIENT_PRODUCED, text + ".", records=sum(n for n, _ in done), acks=body.acks)


def _join(items: list[str], most: int = 4) -> str:
    if len(items) > most:
        items = items[:most] + [f"{len(items) - most} more partitions"]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# -- Fetch (1) -------------------------------------------------------------------------------------
def fetch(x: Exchange) -> None:
    req = x.request
    session_id = int(getattr(req, "session_id", 0))
    session_epoch = int(getattr(req, "session_epoch", -1))
    if session_id != 0 or session_epoch > 0:
        # This broker never creates fetch sessions (KIP-227 lets it decline: it answers session
        # id 0), so an incremental fetch names a session it does not know.
        x.respond(error_code=FETCH_SESSION_ID_NOT_FOUND, session_id=0, responses=[])
        return
    image = x.broker.image
    partitions: dict[TopicPartition, FetchPartition] = {}
    order: list[tuple[str, Any, list[tuple[int, TopicPartition | None]]]] = []
    for topic in req.topics:
        name = getattr(topic, "topic", None)
        topic_id = getattr(topic, "topic_id", None)
        if name is None:
            known = image.topics_by_id.get(topic_id_text(topic_id))
            name = known.name if known is not None else None
        parts = []
        for p in topic.partitions:
            tp = TopicPartition(name, int(p.partition)) if name is not None else None
            parts.append((int(p.partition), tp))
            if tp is not None:
                partitions[tp] = FetchPartition(int(p.fetch_offset), int(getattr(p, "last_fetched_epoch", -1)),
                                                int(getattr(p, "current_leader_epoch", -1)),
                                                int(p.partition_max_bytes))
        order.append((name, topic_id, parts))
    isolation = ISOLATION.get(int(getattr(req, "isolation_level", 0)), "read_uncommitted")
    body = FetchRequest(-1, millis(req.max_wait), int(req.min_bytes), partitions,
                        max_bytes=int(getattr(req, "max_bytes", 52428800)), isolation_level=isolation,
                        client_id=x.client_id)
    if not partitions:
        _fetch_response(x, order, FetchResponse({}))
        return
    x.send("fetch", body, lambda resp: _fetch_response(x, order, resp))


def _fetch_response(x: Exchange, order, resp: FetchResponse) -> None:
    responses = []
    fetched = []
    for name, topic_id, parts in order:
        out = []
        for index, tp in parts:
            data = resp.partitions.get(tp) if tp is not None else None
            if data is None:
                out.append({"partition_index": index, "error_code": UNKNOWN_TOPIC_ID if tp is None
                            else Errors.UNKNOWN_TOPIC_OR_PARTITION, "high_watermark": -1, "records": b""})
                continue
            records = b"".join(encode_batch(b) for b in data.batches) if data.batches else b""
            aborted = None
            if data.aborted_transactions is not None:
                aborted = [{"producer_id": pid, "first_offset": first} for pid, first in data.aborted_transactions]
            lso = data.last_stable_offset if data.last_stable_offset >= 0 else data.high_watermark
            out.append({"partition_index": index, "error_code": data.error, "high_watermark": data.high_watermark,
                        "last_stable_offset": lso, "log_start_offset": data.log_start_offset,
                        "aborted_transactions": aborted, "preferred_read_replica": -1, "records": records})
            n = sum(b.count for b in data.batches if not b.is_control)
            if n:
                first = data.batches[0].base_offset
                fetched.append((n, f"{n} record{'s' if n != 1 else ''} from {tp} (offsets {first}–"
                                   f"{data.batches[-1].last_offset})"))
        responses.append({"topic": name, "topic_id": topic_id, "partitions": out})
    x.respond(error_code=Errors.NONE, session_id=0, responses=responses)
    if fetched:
        x.emit(EventKind.CLIENT_FETCHED, f"{x.client} fetched {_join([f for _, f in fetched])}.",
               records=sum(n for n, _ in fetched))


# -- ListOffsets (2) ------------------------------------------------------------------------------------
def list_offsets(x: Exchange) -> None:
    req = x.request
    wanted: dict[TopicPartition, int] = {}
    for topic in req.topics:
        for p in topic.partitions:
            ts = int(p.timestamp)
            if ts == EARLIEST_LOCAL_TIMESTAMP:
                ts = EARLIEST_TIMESTAMP
            wanted[TopicPartition(topic.name, int(p.partition_index))] = ts
    isolation = ISOLATION.get(int(getattr(req, "isolation_level", 0)), "read_uncommitted")
    ask = {tp: ts for tp, ts in wanted.items() if ts not in (EARLIEST_PENDING_UPLOAD_TIMESTAMP, MAX_TIMESTAMP)}
    largest = [tp for tp, ts in wanted.items() if ts == MAX_TIMESTAMP]
    x.send("list_offsets", ListOffsetsRequest(ask, isolation),
           lambda resp: _list_offsets_response(x, resp, _max_timestamps(x, largest)))


def _max_timestamps(x: Exchange, partitions: list[TopicPartition]) -> dict:
    """KIP-734's MAX_TIMESTAMP: the offset of the first record with the largest timestamp below the
    high watermark, read from the leader's log when the answer leaves the broker."""
    out = {}
    for tp in partitions:
        error, state = x.broker._leader_for(tp)
        if state is None:
            out[tp] = ListedOffset(error)
            continue
        best = ListedOffset(offset=-1, timestamp=-1, leader_epoch=state.leader_epoch)
        for offset, record, batch in state.log.records(None, state.log.high_watermark):
            if not batch.is_control and record.timestamp > best.timestamp:
                best = ListedOffset(offset=offset, timestamp=record.timestamp, leader_epoch=state.leader_epoch)
        out[tp] = best
    return out


def _list_offsets_response(x: Exchange, resp: ListOffsetsResponse, largest: dict) -> None:
    topics = []
    for topic in x.request.topics:
        parts = []
        for p in topic.partitions:
            tp = TopicPartition(topic.name, int(p.partition_index))
            r = largest.get(tp) if tp in largest else resp.partitions.get(tp)
            if r is None:           # earliest pending upload: nothing is tiered here
                parts.append({"partition_index": tp.partition, "error_code": Errors.NONE, "timestamp": -1,
                              "offset": -1, "leader_epoch": -1})
                continue
            parts.append({"partition_index": tp.partition, "error_code": r.error, "timestamp": r.timestamp,
                          "offset": r.offset, "leader_epoch": r.leader_epoch})
        topics.append({"name": topic.name, "partitions": parts})
    x.respond(topics=topics)


# -- OffsetForLeaderEpoch (23) ----------------------------------------------------------------------------
def offset_for_leader_epoch(x: Exchange) -> None:
    """A consumer validating its position after a leader change (KIP-320): the end offset of
    `leader_epoch` in the leader's log, read from the broker's epoch cache."""
    broker = x.broker
    topics = []
    for topic in x.request.topics:
        parts = []
        for p in topic.partitions:
            tp = TopicPartition(topic.topic, int(p.partition))
            error, state = broker._leader_for(tp)
            current = int(p.current_leader_epoch)
            if state is not None and current >= 0 and current != state.leader_epoch:
                error = Errors.FENCED_LEADER_EPOCH if current < state.leader_epoch else Errors.UNKNOWN_LEADER_EPOCH
                state = None
            if state is None:
                parts.append({"error_code": error, "partition": tp.partition, "leader_epoch": -1, "end_offset": -1})
                continue
            epoch, end = state.log.end_offset_for_epoch(int(p.leader_epoch))
            parts.append({"error_code": Errors.NONE, "partition": tp.partition, "leader_epoch": epoch,
                          "end_offset": end})
        topics.append({"topic": topic.topic, "partitions": parts})
    x.respond(topics=topics)
