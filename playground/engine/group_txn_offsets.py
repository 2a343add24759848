"""Offsets committed inside a transaction (TxnOffsetCommit), the coordinator's side.

Mixed into `GroupCoordinator`. A transactional producer that consumed
records sends the group's offsets to the group coordinator as part of its
transaction (Kafka's `sendOffsetsToTransaction`). The coordinator writes them
to `__consumer_offsets` as transactional records of that producer, but holds
them back: they become the group's committed offsets only when the
transaction coordinator has the COMMIT marker written to that partition, and
vanish on ABORT (Kafka's `GroupMetadataManager` pending transactional
offsets). So the offsets and the output records commit together, or neither.
"""

from __future__ import annotations

from .errors import Errors
from .events import EventKind
from .group_commits import append_error_to_response, fmt_offsets
from .group_offsets import OFFSETS_TOPIC, OffsetAndMetadata, offset_commit_record
from .network import Envelope
from .protocol import TopicPartition
from .txn_protocol import TxnOffsetCommitRequest, TxnOffsetCommitResponse


class CoordinatorTxnOffsets:
    def init_txn_offsets(self) -> None:
        # producer id -> group -> offsets written in its open transaction
        self.pending_txn_offsets: dict[int, dict[str, dict[TopicPartition, OffsetAndMetadata]]] = {}

    def txn_offset_commit(self, env: Envelope) -> None:
        req: TxnOffsetCommitRequest = env.body

        def answer(error: Errors) -> None:
            self.network.respond(env, TxnOffsetCommitResponse({tp: error for tp in req.offsets}))

        if not self.owns(req.group_id):
            answer(Errors.NOT_COORDINATOR)
            return
        group = self.groups.get(req.group_id) or self.new_group(req.group_id)
        if req.generation_id >= 0 and req.member_id:
            error = self.validate_member(group, req.member_id, None)
            if error == Errors.NONE and req.generation_id != group.generation_id:
                error = Errors.ILLEGAL_GENERATION
            if error != Errors.NONE:
                answer(error)
                return
        now = self.clock.now
        values = {tp: OffsetAndMetadata(off, -1, "", now) for tp, off in req.offsets.items()}
        records = [offset_commit_record(group.group_id, tp, om, now) for tp, om in sorted(values.items())]

        def done(error: Errors) -> None:
            if error != Errors.NONE:
                answer(append_error_to_response(error))
                return
            self.pending_txn_offsets.setdefault(req.producer_id, {}).setdefault(group.group_id, {}).update(values)
            self.events.emit(EventKind.OFFSETS_COMMITTED,
                             f"Group {group.group_id}: {req.transactional_id} wrote offsets {fmt_offsets(values)} "
                             f"inside its transaction. They stay pending in {OFFSETS_TOPIC}/{group.partition} "
                             "until the transaction commits (then they count) or aborts (then they vanish).",
                             group=group.group_id, broker=self.broker_id, transactional=True,
                             offsets={str(tp): om.offset for tp, om in values.items()})
            answer(Errors.NONE)

        self.broker.coordinator_append(group.partition, records, done,
                                       f"{len(records)} transactional offset record(s) of group {group.group_id}",
                                       producer=(req.producer_id, req.producer_epoch))

    def on_txn_marker(self, partition: int, producer_id: int, committed: bool) -> None:
        """The COMMIT or ABORT marker of `producer_id` reached this offsets partition."""
        groups = self.pending_txn_offsets.get(producer_id)
        if not groups:
            return
        for gid in [g for g in groups if self.partition_of(g) == partition]:
            values = groups.pop(gid)
            if committed:
                self.offsets.setdefault(gid, {}).update(values)
            self.events.emit(EventKind.OFFSETS_COMMITTED if committed else EventKind.OFFSET_COMMIT_FAILED,
                             f"Group {gid}: the transaction {'committed, so its offsets ' + fmt_offsets(values) + ' now count' if committed else 'aborted, so its offsets ' + fmt_offsets(values) + ' are thrown away'}.",
                             group=gid, broker=self.broker_id, transactional=True, committed=committed,
                             offsets={str(tp): om.offset for tp, om in values.items()})
        if not groups:
            del self.pending_txn_offsets[producer_id]
