"""Flights of idempotence and transactions: what `flights.classify` draws for their requests.

- InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn and EndTxn between a producer and its
  transaction coordinator, labelled with what they ask and answer ("EndTxn commit", "pid 0 ·
  epoch 2", PRODUCER_FENCED in red);
- WriteTxnMarkers from the coordinator to each partition leader: one dot per partition, landing
  on the leader's strip, green for COMMIT and red for ABORT;
- TxnOffsetCommit, the group's offsets inside a transaction, like an offset commit.

Plain Python, no Qt.
"""

from __future__ import annotations

from typing import Any

COMMIT_MARKER = "commit_marker"        # coordinator -> leader replica: write a COMMIT marker
ABORT_MARKER = "abort_marker"          # coordinator -> leader replica: write an ABORT marker
TXN = "txn"                            # producer <-> transaction coordinator
MARKERS = frozenset({COMMIT_MARKER, ABORT_MARKER})
APIS = frozenset({"init_producer_id", "add_partitions_to_txn", "add_offsets_to_txn", "end_txn",
                  "write_txn_markers", "txn_offset_commit"})
# Answers that only say "try again shortly" (the coordinator is busy finishing a transaction).
_RETRIABLE = frozenset({"CONCURRENT_TRANSACTIONS", "COORDINATOR_LOAD_IN_PROGRESS"})


def _error(body: Any) -> str:
    error = getattr(body, "error", None)
    return error.name if error is not None else "NONE"


def classify(api: str, body: Any, request: bool, src: tuple, dst: tuple, msg_src: Any, msg_dst: Any,
             kinds: dict[str, str]) -> list[tuple[str, tuple, tuple, str, bool]]:
    """(kind, from, to, label, error) for one transaction message; `kinds` names flights' own kinds
    (client, commit) so that this module needs nothing from `flights`."""
    if api == "write_txn_markers":
        if not request:
            failed = sorted({e.name for e in getattr(body, "results", {}).values() if e.name != "NONE"})
            return [(kinds["client"], src, dst, failed[0] if failed else "markers written ✓", bool(failed))]
        out = []
        for marker in getattr(body, "markers", ()):
            kind = COMMIT_MARKER if marker.committed else ABORT_MARKER
            label = "COMMIT marker" if marker.committed else "ABORT marker"
            for tp in marker.partitions:
                out.append((kind, src, ("replica", msg_dst, tp), label, False))
        return out
    if api == "txn_offset_commit":
        if request:
            offsets = " ".join(f"{tp}@{o}" for tp, o in sorted(body.offsets.items())[:3])
            return [(kinds["commit"], src, dst, f"TxnOffsetCommit {offsets}", False)]
        failed = sorted({e.name for e in body.results.values() if e.name != "NONE"})
        return [(kinds["commit"], src, dst, failed[0] if failed else "offsets in txn ✓", bool(failed))]
    if request:
        if api == "init_producer_id":
            tid = getattr(body, "transactional_id", None)
            return [(TXN, src, dst, f"InitProducerId {tid}" if tid else "InitProducerId", False)]
        if api == "add_partitions_to_txn":
            parts = sorted(str(tp) for tp in body.partitions)
            text = " ".join(parts[:2]) + (" …" if len(parts) > 2 else "")
            return [(TXN, src, dst, f"AddPartitionsToTxn {text}", False)]
        if api == "add_offsets_to_txn":
            return [(TXN, src, dst, f"AddOffsetsToTxn {body.group_id}", False)]
        return [(TXN, src, dst, "EndTxn commit" if body.committed else "EndTxn abort", False)]
    if api == "add_partitions_to_txn":
        failed = sorted({e.name for e in getattr(body, "results", {}).values() if e.name != "NONE"})
        error = failed[0] if failed else "NONE"
    else:
        error = _error(body)
    if error == "NONE":
        if api == "init_producer_id":
            return [(TXN, src, dst, f"pid {body.producer_id} · epoch {body.producer_epoch}", False)]
        return [(TXN, src, dst, "ok", False)]
    return [(TXN, src, dst, error, error not in _RETRIABLE)]
