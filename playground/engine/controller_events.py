"""The learner-facing sentences for metadata records the active controller applies.

Mixed into `QuorumController`: after records are appended and replayed, these
turn them into events (elections, ISR changes, fencing, topics, configs) that
say what changed and why.
"""

from __future__ import annotations

from .events import EventKind
from .metadata import (ConfigRecord, FenceBrokerRecord, MetadataRecord, PartitionChangeRecord, PartitionRecord,
                       RemoveTopicRecord, TopicRecord, UnfenceBrokerRecord)


class ControllerExplainer:
    def _explain_partition_change(self, r: PartitionChangeRecord, topic: str, old_leader: int,
                                  old_isr: list[int], old_elr: list[int], old_lke: list[int]) -> None:
        p = self.image.topics[topic].partitions[r.partition]
        tp = f"{topic}/{r.partition}"
        from_elr = p.leader >= 0 and p.leader not in old_isr and p.leader in old_elr
        last_known = p.leader >= 0 and not old_isr and not old_elr and old_lke == [p.leader]
        if r.leader is not None:
            if p.leader < 0:
                elr = f", ELR {', '.join(map(str, p.elr))}" if p.elr else ""
                text = (f"{tp} is offline (Leader: none): its leader {old_leader} is gone and no other "
                        f"in-sync replica can take over (ISR {', '.join(map(str, p.isr)) or 'empty'}{elr}; "
                        "unclean leader election is off).")
            elif from_elr:
                text = (f"Controller {self.node_id} elected broker {p.leader} leader of {tp} from the eligible "
                        f"leader replicas (ELR, KIP-966; leader epoch {p.leader_epoch}): it left the ISR only "
                        "when the ISR was below min.insync.replicas, so it has every committed record.")
            elif last_known:
                text = (f"Controller {self.node_id} elected broker {p.leader}, the last known leader of {tp}, "
                        f"once it was back (leader epoch {p.leader_epoch}): ISR and ELR were empty, so no "
                        "replica is known to hold every committed record; records it lost in its crash are "
                        "gone for good.")
            elif p.leader not in old_isr:
                text = (f"Unclean election: broker {p.leader} leads {tp} (epoch {p.leader_epoch}) although it "
                        "was not in the ISR; records only the old leader had are lost.")
            else:
                text = (f"Controller {self.node_id} elected broker {p.leader} leader of {tp} from the ISR "
                        f"(leader epoch {p.leader_epoch}); it had every committed record.")
            self.events.emit(EventKind.LEADER_ELECTED, text, topic=topic, partition=r.partition,
                             leader=p.leader, old_leader=old_leader, leader_epoch=p.leader_epoch,
                             unclean=p.leader >= 0 and p.leader not in old_isr and not from_elr and not last_known,
                             from_elr=from_elr, last_known_leader=last_known)
        if r.isr is not None and list(r.isr) != old_isr:
            left = [b for b in old_isr if b not in p.isr]
            joined = [b for b in p.isr if b not in old_isr]
            parts = []
            if left:
                parts.append(f"broker {', '.join(map(str, left))} left")
            if joined:
                parts.append(f"broker {', '.join(map(str, joined))} joined")
            self.events.emit(EventKind.ISR_CHANGED,
                             f"ISR of {tp} is now {', '.join(map(str, p.isr)) or 'empty'}: {' and '.join(parts)}.",
                             topic=topic, partition=r.partition, isr=list(p.isr), left=left, joined=joined)

    def _replay_explained(self, records: list[MetadataRecord], reason: str, replay) -> None:
        """Replay each record with `replay(record)`, then explain them against the state before."""
        removed: dict[str, str] = {}
        before: dict[int, tuple] = {}
        for i, record in enumerate(records):
            if isinstance(record, RemoveTopicRecord):
                removed[record.topic_id] = self.image.topics_by_id[record.topic_id].name
            elif isinstance(record, PartitionChangeRecord):
                t = self.image.topics_by_id[record.topic_id]
                p = t.partitions[record.partition]
                before[i] = (t.name, p.leader, list(p.isr), list(p.elr), list(p.last_known_elr))
            replay(record)
        if records:
            self._explain(records, removed, reason, before)

    def _explain(self, records: list[MetadataRecord], removed: dict[str, str], reason: str,
                 before: dict[int, tuple]) -> None:
        """Emit the learner-facing events for records just applied."""
        topics_by_id = {t.topic_id: t for t in self.image.topics.values()}
        for i, r in enumerate(records):
            if isinstance(r, FenceBrokerRecord):
                self.events.emit(EventKind.BROKER_FENCED,
                                 f"Controller {self.node_id} fenced broker {r.broker_id}: {reason or 'it stopped'}; "
                                 "its leaderships move to other in-sync replicas and it leaves every ISR.",
                                 broker=r.broker_id)
                continue
            if isinstance(r, UnfenceBrokerRecord):
                self.events.emit(EventKind.BROKER_UNFENCED,
                                 (f"Controller {self.node_id} sees broker {r.broker_id} registered in ZooKeeper "
                                  f"(/brokers/ids/{r.broker_id}) and sends it the cluster state: it may lead and "
                                  "rejoin ISRs again." if not self.elr_supported else
                                  f"Controller {self.node_id} unfenced broker {r.broker_id}: it is heartbeating and "
                                  "has caught up with the metadata, so it may lead and rejoin ISRs again."),
                                 broker=r.broker_id)
                continue
            if isinstance(r, PartitionChangeRecord) and i in before:
                self._explain_partition_change(r, *before[i])
                continue
            if isinstance(r, TopicRecord):
                t = self.image.topics.get(r.name)
                n = len(t.partitions) if t else 0
                rf = len(t.partitions[0].replicas) if t and t.partitions else 0
                leaders = ", ".join(f"{p.partition}→{p.leader}" for p in t.partitions) if t else ""
                self.events.emit(EventKind.TOPIC_CREATED,
                                 f"Controller {self.node_id} created topic '{r.name}'{reason} with {n} "
                                 f"partition(s), replication factor {rf}; leaders by partition: {leaders}.",
                                 topic=r.name, partitions=n, replication_factor=rf)
            elif isinstance(r, RemoveTopicRecord):
                name = removed.get(r.topic_id, r.topic_id)
                self.events.emit(EventKind.TOPIC_DELETED,
                                 f"Controller {self.node_id} deleted topic '{name}'; every broker removes "
                                 "its replicas and their records.", topic=name)
            elif isinstance(r, ConfigRecord):
                shown = "its default" if r.value is None else r.value
                self.events.emit(EventKind.CONFIG_ALTERED,
                                 f"{r.name} on {r.resource_type} '{r.resource_name}' set to {shown}.",
                                 resource=r.resource_name, name=r.name, value=r.value)
            elif isinstance(r, PartitionRecord) and r.partition > 0:
                t = topics_by_id.get(r.topic_id)
                if t and not any(isinstance(x, TopicRecord) and x.topic_id == r.topic_id for x in records):
                    self.events.emit(EventKind.PARTITIONS_ADDED,
                                     f"Partition {t.name}/{r.partition} added on brokers "
                                     f"{', '.join(map(str, r.replicas))}, leader {r.leader}. Keys may now "
                                     "hash to a different partition than before.",
                                     topic=t.name, partition=r.partition, replicas=list(r.replicas))
