"""The consumer's fetch side: positions, ListOffsets resets and long-poll fetches.

Mixed into `Consumer`. Each partition leader gets one Fetch at a time with
every assigned partition it leads; what comes back goes to the buffer that
poll() drains. Control records (transaction markers) are never handed to
the application, and with `isolation.level=read_committed` neither are the
records of aborted transactions; both still move the position.
"""

from __future__ import annotations

from collections import deque
from operator import attrgetter
from typing import Any

from .errors import Errors
from .events import EventKind
from .records import Record
from .protocol import (EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, FetchPartition, FetchRequest, FetchResponse,
                       ListOffsetsRequest, ListOffsetsResponse, TopicPartition)
from .txn_protocol import marker_committed

_IS_CONTROL = attrgetter("is_control")

# Enum members looked up once: in Python 3.11 every Errors.X / EventKind.X goes through
# EnumType's __getattr__ hook, and these run for every record, batch or fetch.
_NONE = Errors.NONE
_OFFSET_OUT_OF_RANGE = Errors.OFFSET_OUT_OF_RANGE


class ConsumedRecord:
    """A fetched record waiting in the buffer. `expect` is the position the consumer must be at
    for it to be next (else it is stale, after a seek or a revocation); it differs from `offset`
    where offsets have gaps: control markers, aborted transactions, records compaction removed.
    `record` None marks such a skip, which only moves the position past `offset`."""

    __slots__ = ("topic", "partition", "offset", "record", "expect", "tp")

    def __init__(self, topic: str, partition: int, offset: int, record: Record | None,
                 expect: int | None = None, tp: TopicPartition | None = None) -> None:
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.record = record
        self.expect = offset if expect is None else expect
        self.tp = TopicPartition(topic, partition) if tp is None else tp


class BufferedRun:
    """What one fetch brought for one partition, waiting for poll(): offsets, records (None for a
    skip) and the position each expects, in order. ConsumedRecords are made only for what poll()
    returns, when it returns them.

    Each entry expects the position the one before it leaves (`expects[k] == offsets[k-1] + 1`),
    and a partition is not fetched again while it has buffered records, so its run is one."""

    __slots__ = ("tp", "offsets", "records", "expects", "next", "skips")

    def __init__(self, tp: TopicPartition, offsets: list[int], records: list, expects: list[int],
                 skips: bool) -> None:
        self.tp = tp
        self.offsets = offsets
        self.records = records
        self.expects = expects
        self.next = 0                   # the first entry not taken yet
        self.skips = skips              # some entries are skips (record None)


class ConsumerFetch:
    def _on_metadata(self) -> None:
        if self.group is not None and self.alive:
            self.group.on_metadata()
        self.kick()

    def _drop_buffered(self, tp: TopicPartition) -> None:
        if tp in self._buffered_tps:
            self._buffer = deque(run for run in self._buffer if run.tp != tp)
            del self._buffered_tps[tp]

    def kick(self) -> None:
        if not self.running:
            return
        by_leader: dict[int, dict[TopicPartition, FetchPartition]] = {}
        need_meta = False
        meta = self.meta
        positions, awaiting, buffered, fetching = (self.positions, self.awaiting_committed, self._buffered_tps,
                                                   self._fetching)
        partition_max_bytes = None
        plan = self._fetch_plan
        if plan[0] is not self.assignment or plan[1] is not meta.topics:
            plan = self._fetch_plan = self._plan_fetches()
        for tp, info in plan[2]:
            if awaiting and tp in awaiting:
                continue
            if info is None:                # the partition is not in the metadata (yet)
                need_meta = True
                continue
            leader = info.leader
            if leader < 0:
                need_meta = True
                continue
            pos = positions.get(tp)
            if pos is None:
                self._reset_position(tp, leader)
                continue
            if tp in buffered or leader in fetching:
                continue
            if partition_max_bytes is None:
                partition_max_bytes = int(self.config["max.partition.fetch.bytes"])
            parts = by_leader.get(leader)
            if parts is None:
                parts = by_leader[leader] = {}
            parts[tp] = FetchPartition(pos, -1, info.leader_epoch, partition_max_bytes)
        if need_meta:
            self.later(int(self.config["retry.backoff.ms"]), self.meta.refresh)
        if not by_leader:
            return
        config = self.config
        max_wait, min_bytes = int(config["fetch.max.wait.ms"]), int(config["fetch.min.bytes"])
        max_bytes, isolation = int(config["fetch.max.bytes"]), config["isolation.level"]
        life = self._life
        for leader, parts in by_leader.items():
            req = FetchRequest(-1, max_wait, min_bytes, parts, max_bytes, isolation, client_id=self.name)
            fetching.add(leader)
            # (what self.guard makes, in one closure)
            self.network.request(self.name, leader, "fetch", req,
                                 lambda resp, leader=leader: self._on_fetch(leader, resp)
                                 if life == self._life else None)

    def _plan_fetches(self) -> tuple:
        """(assignment, metadata, [(tp, its PartitionMetadata or None)]): meta.leader_of(tp) and
        meta.leader_epoch_of(tp) read from one object, found once per assignment and metadata
        (both are replaced, never changed in place)."""
        topics = self.meta.topics
        pairs = []
        for tp in self.assignment:
            topic = topics.get(tp.topic)
            pairs.append((tp, topic.partitions[tp.partition]
                          if topic is not None and tp.partition < len(topic.partitions) else None))
        return self.assignment, topics, pairs

    def _hidden_batches(self, data):
        """(batch, hidden) in log order: control batches are hidden from the application; with
        read_committed so are batches of aborted transactions (Kafka's CompletedFetch: the aborted
        list from the broker, by first offset, and each ABORT marker ends its producer's aborted
        range)."""
        if self.config["isolation.level"] != "read_committed":
            # Only control batches: pairs made in C, as a fetch may bring thousands of batches.
            return zip(data.batches, map(_IS_CONTROL, data.batches))
        return self._committed_batches(data)

    def _committed_batches(self, data):
        aborted = sorted(data.aborted_transactions or (), key=lambda a: a[1])
        aborted_pids: set[int] = set()
        i = 0
        for batch in data.batches:
            if batch.is_transactional:
                while i < len(aborted) and aborted[i][1] <= batch.last_offset:
                    aborted_pids.add(aborted[i][0])
                    i += 1
                if batch.is_control:
                    if not marker_committed(batch.records[0]):
                        aborted_pids.discard(batch.producer_id)
                elif batch.producer_id in aborted_pids:
                    yield batch, True
                    continue
            yield batch, batch.is_control

    def _reset_position(self, tp: TopicPartition, leader: int) -> None:
        if tp in self._listing:
            return
        ts = self._pending_reset.get(tp)
        if ts is None:
            policy = self.config["auto.offset.reset"]
            if policy == "none":
                if self.error is None:
                    self.fail(f"no committed offset for {tp} and auto.offset.reset=none "
                              "(NoOffsetForPartitionException)", tp)
                return
            ts = EARLIEST_TIMESTAMP if policy == "earliest" else LATEST_TIMESTAMP
        self._listing.add(tp)
        self.network.request(self.name, leader, "list_offsets", ListOffsetsRequest({tp: ts}, self.config["isolation.level"]),
                             self.guard(lambda resp: self._on_list_offsets(tp, ts, resp)))

    def _on_list_offsets(self, tp: TopicPartition, ts: int, resp: Any) -> None:
        self._listing.discard(tp)
        if isinstance(resp, ListOffsetsResponse) and resp.partitions[tp].error == Errors.NONE:
            self._pending_reset.pop(tp, None)
            off = resp.partitions[tp].offset
            if off < 0:              # no record at or after that timestamp: go to the end
                self._pending_reset[tp] = LATEST_TIMESTAMP
            elif tp in self.positions:
                what = {EARLIEST_TIMESTAMP: "the earliest offset", LATEST_TIMESTAMP: "the latest offset"}.get(
                    ts, f"the first record at or after timestamp {ts}")
                self.positions[tp] = off
                self.note_start(tp, off)
                self.events.emit(EventKind.CONSUMER_SEEK,
                                 f"Consumer {self.name} starts {tp} at offset {off} ({what}).",
                                 consumer=self.name, topic=tp.topic, partition=tp.partition, offset=off)
        else:
            self.meta.refresh()
        self.later(0 if tp not in self._pending_reset else int(self.config["retry.backoff.ms"]), self.kick)

    def _out_of_range(self, tp: TopicPartition, pos: int, data: Any) -> None:
        """The position is outside the leader's log (Kafka's fetcher gets OFFSET_OUT_OF_RANGE): reset
        it by auto.offset.reset, or with `none` stop with OffsetOutOfRangeException."""
        policy = self.config["auto.offset.reset"]
        if 0 <= data.log_start_offset and pos < data.log_start_offset:
            where = (f"below the log start offset {data.log_start_offset}: retention deleted the records "
                     "it was about to read")
        else:
            where = f"past the end of the log (high watermark {data.high_watermark})"
        then = {"earliest": "auto.offset.reset=earliest moves it to the log start offset",
                "latest": "auto.offset.reset=latest moves it to the end of the log, skipping what is there",
                }.get(policy, "auto.offset.reset=none, so poll() throws OffsetOutOfRangeException")
        self.events.emit(EventKind.CONSUMER_OFFSET_OUT_OF_RANGE,
                         f"Consumer {self.name}'s position {pos} on {tp} is out of range — {where}; {then}.",
                         consumer=self.name, topic=tp.topic, partition=tp.partition, offset=pos,
                         log_start_offset=data.log_start_offset, policy=policy)
        self.positions[tp] = None
        if policy not in ("earliest", "latest") and self.error is None:
            self.fail(f"OffsetOutOfRangeException: position {pos} on {tp} is out of range and "
                      "auto.offset.reset=none", tp)

    def _on_fetch(self, leader: int, resp: Any) -> None:
        self._fetching.discard(leader)
        if not self.running:
            return
        if not isinstance(resp, FetchResponse):
            self.meta.refresh()
            self.later(int(self.config["retry.backoff.ms"]), self.kick)
            return
        got = False
        for tp, data in resp.partitions.items():
            pos = self.positions.get(tp)
            if pos is None or tp not in self.assignment:
                continue
            if data.error == _OFFSET_OUT_OF_RANGE:
                self._out_of_range(tp, pos, data)
                continue
            if data.error != _NONE:
                self.meta.refresh()
                continue
            expect = pos
            offsets: list[int] = []
            records: list = []
            expects: list[int] = []
            skips = False
            for batch, hidden in self._hidden_batches(data):
                if not hidden:
                    batch_records = batch.records
                    if batch.offset_deltas is None:
                        # batch.iter_from(expect) for a batch with no gaps, a run at a time: the first
                        # record expects `expect`, each later one the offset after the one before.
                        base = batch.base_offset
                        start = expect - base if expect > base else 0
                        if start < len(batch_records):
                            first, end = base + start, base + len(batch_records)
                            offsets.extend(range(first, end))
                            records.extend(batch_records[start:])
                            expects.append(expect)
                            expects.extend(range(first + 1, end))
                            expect = end
                    else:
                        for off, rec in batch.iter_from(expect):
                            offsets.append(off)
                            records.append(rec)
                            expects.append(expect)
                            expect = off + 1
                next_offset = batch.base_offset + batch.last_offset_delta + 1
                if next_offset > expect:
                    # A batch not for the application (a marker, an aborted transaction), or one whose
                    # tail compaction removed: the position moves past it all the same.
                    skipped = next_offset - 1
                    offsets.append(skipped)
                    records.append(None)
                    expects.append(expect)
                    expect = skipped + 1
                    skips = True
            if offsets:
                got = True
                self._buffer.append(BufferedRun(tp, offsets, records, expects, skips))
                self._buffered_tps[tp] = self._buffered_tps.get(tp, 0) + len(offsets)
        if got:
            self.wake()
        delay = 0 if got or all(d.error == _NONE for d in resp.partitions.values()) \
            else int(self.config["retry.backoff.ms"])
        self.soon(delay, self.kick)
