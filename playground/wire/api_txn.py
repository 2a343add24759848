"""Idempotence and transactions on the wire: InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn,
EndTxn and TxnOffsetCommit.

The engine's broker hands out producer ids and hosts the transaction coordinator
(playground.engine.txn_coordinator); the group coordinator keeps transactional offsets
pending until the markers land. These adapters translate, nothing more.
"""

from __future__ import annotations

from playground.engine.errors import Errors
from playground.engine.protocol import TopicPartition
from playground.engine.txn_protocol import (AddOffsetsToTxnRequest, AddPartitionsToTxnRequest,
                                            AddPartitionsToTxnResponse, EndTxnRequest, InitProducerIdRequest,
                                            InitProducerIdResponse, TxnOffsetCommitRequest, TxnOffsetCommitResponse,
                                            TxnResponse)

from .codec import millis
from .exchange import Exchange


def init_producer_id(x: Exchange) -> None:
    req = x.request
    body = InitProducerIdRequest(req.transactional_id, millis(req.transaction_timeout),
                                 int(getattr(req, "producer_id", -1)), int(getattr(req, "producer_epoch", -1)),
                                 client_id=x.client)

    def answer(resp: InitProducerIdResponse) -> None:
        x.respond(error_code=resp.error, producer_id=resp.producer_id, producer_epoch=resp.producer_epoch)

    x.send("init_producer_id", body, answer)


def add_partitions_to_txn(x: Exchange) -> None:
    req = x.request
    partitions = [TopicPartition(t.name, int(p)) for t in req.v3_and_below_topics for p in t.partitions]
    body = AddPartitionsToTxnRequest(req.v3_and_below_transactional_id, int(req.v3_and_below_producer_id),
                                     int(req.v3_and_below_producer_epoch), partitions)

    def answer(resp: AddPartitionsToTxnResponse) -> None:
        results = []
        for t in req.v3_and_below_topics:
            results.append({"name": t.name, "results_by_partition": [
                {"partition_index": int(p),
                 "partition_error_code": resp.results.get(TopicPartition(t.name, int(p)), Errors.NONE)}
                for p in t.partitions]})
        x.respond(results_by_topic_v3_and_below=results)

    x.send("add_partitions_to_txn", body, answer)


def add_offsets_to_txn(x: Exchange) -> None:
    req = x.request
    body = AddOffsetsToTxnRequest(req.transactional_id, int(req.producer_id), int(req.producer_epoch), req.group_id)
    x.send("add_offsets_to_txn", body, lambda resp: _error_only(x, resp))


def end_txn(x: Exchange) -> None:
    req = x.request
    body = EndTxnRequest(req.transactional_id, int(req.producer_id), int(req.producer_epoch), bool(req.committed))
    x.send("end_txn", body, lambda resp: _error_only(x, resp))


def _error_only(x: Exchange, resp: TxnResponse) -> None:
    x.respond(error_code=resp.error)


def txn_offset_commit(x: Exchange) -> None:
    req = x.request
    offsets = {TopicPartition(t.name, int(p.partition_index)): int(p.committed_offset)
               for t in req.topics for p in t.partitions}
    body = TxnOffsetCommitRequest(req.transactional_id, req.group_id, int(req.producer_id), int(req.producer_epoch),
                                  offsets, int(getattr(req, "generation_id", -1)), getattr(req, "member_id", "") or "")

    def answer(resp: TxnOffsetCommitResponse) -> None:
        x.respond(topics=[{"name": t.name, "partitions": [
            {"partition_index": int(p.partition_index),
             "error_code": resp.results.get(TopicPartition(t.name, int(p.partition_index)), Errors.NONE)}
            for p in t.partitions]} for t in req.topics])

    x.send("txn_offset_commit", body, answer)
