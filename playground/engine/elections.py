"""Partition changes the controller makes: ISR, ELR and leader elections.

Pure functions over a `MetadataImage` that return PartitionChangeRecords and
never mutate, after Kafka's `PartitionChangeBuilder` (metadata module):

- Eligible Leader Replicas (KIP-966, on by default since 4.1): when the ISR
  drops below `min.insync.replicas`, the replicas that leave it join the ELR
  — the high watermark cannot advance while the ISR is that small, so they
  still hold every committed record. An ISR at or above min ISR clears ELR
  and LastKnownElr. A replica that restarts after a crash (an unclean
  shutdown) is taken out of the ELR and kept only in LastKnownElr.
- Election order: a live ISR member (in replica order, the first is the
  preferred leader); with an empty ISR, a live ELR member, which then
  becomes the ISR; with ISR and ELR both empty, the last known leader
  (LastKnownElr) once it is back; an unclean election (any live replica)
  only when `unclean.leader.election.enable` or an admin asks for one.
  Otherwise the partition goes offline (`Leader: none`). Kafka 4.x ships
  KIP-966 part 1 only, where LastKnownElr holds the last known leader
  (`useLastKnownLeaderInBalancedRecovery`).
- Without ELR the ISR never becomes empty: the last member stays in it, so it
  is known who may lead when it comes back.
"""

from __future__ import annotations

from dataclasses import dataclass

from .metadata import MetadataImage, PartitionChangeRecord, PartitionInfo

NO_LEADER = -1


@dataclass(frozen=True)
class Change:
    topic: str
    record: PartitionChangeRecord
    unclean: bool
    from_elr: bool
    last_known: bool = False


@dataclass
class Rules:
    """What the controller knows when deciding: who may lead, and the settings."""

    usable: set[int]                       # registered, unfenced brokers
    elr_enabled: bool
    min_isr: dict[str, int]                # topic → min.insync.replicas
    unclean: dict[str, bool]               # topic → unclean.leader.election.enable
    unclean_shutdown: frozenset[int] = frozenset()


def build_change(topic: str, topic_id: str, p: PartitionInfo, target_isr: list[int], rules: Rules,
                 election: str = "online") -> Change | None:
    """The record that moves `p` to `target_isr` and elects as Kafka would.

    `election`: "online" (keep a valid leader, else elect), "preferred" (the
    first replica if it may lead) or "unclean" (an admin-forced unclean
    election when no valid leader exists).
    """
    target_isr = list(target_isr)
    target_elr = [r for r in p.elr]
    target_lke = [r for r in p.last_known_elr]
    min_isr = min(rules.min_isr.get(topic, 1), len(p.replicas))
    if rules.elr_enabled:
        if len(target_isr) >= min_isr:
            target_elr = []
        else:
            candidates = list(dict.fromkeys(target_elr + p.isr))
            target_elr = [r for r in candidates if r not in target_isr and r not in rules.unclean_shutdown]

    def valid(r: int) -> bool:
        return r in rules.usable and (r in target_isr or (not target_isr and r in target_elr))

    leader, unclean, last_known = NO_LEADER, False, False
    if election == "preferred":
        preferred = p.replicas[0]
        leader = preferred if valid(preferred) else p.leader
    elif p.leader != NO_LEADER and valid(p.leader):
        leader = p.leader
    else:
        leader = next((r for r in p.replicas if valid(r)), NO_LEADER)
        if (leader == NO_LEADER and rules.elr_enabled and not target_isr and not target_elr
                and len(p.last_known_elr) == 1 and p.last_known_elr[0] in rules.usable):
            leader, unclean, last_known = p.last_known_elr[0], True, True
        if leader == NO_LEADER and (election == "unclean" or rules.unclean.get(topic, False)):
            leader = next((r for r in p.replicas if r in rules.usable), NO_LEADER)
            unclean = leader != NO_LEADER
    from_elr = leader != NO_LEADER and leader != p.leader and leader in target_elr and not target_isr
    if from_elr:
        target_isr = [leader]
        target_elr = [r for r in target_elr if r != leader]
    if unclean:
        # An unclean leader forcibly becomes the whole ISR: this can lose data.
        target_isr, target_elr, target_lke = [leader], [], []
    if not target_isr and not rules.elr_enabled:
        target_isr = list(p.isr)          # without ELR the last ISR member stays
    if not rules.elr_enabled:
        target_elr, target_lke = [], []
    elif not target_isr and p.leader != NO_LEADER and p.last_known_elr != [p.leader]:
        target_lke = [p.leader]           # leaderless for the first time: remember who led
    elif not target_isr and len(p.last_known_elr) == 1:
        target_lke = list(p.last_known_elr)
    elif leader != NO_LEADER:
        target_lke = []
    elif len(target_isr) >= min_isr:
        target_lke = []
    record = PartitionChangeRecord(
        topic_id, p.partition,
        leader=leader if leader != p.leader else None,
        isr=tuple(target_isr) if target_isr != p.isr else None,
        elr=tuple(target_elr) if target_elr != p.elr else None,
        last_known_elr=tuple(target_lke) if target_lke != p.last_known_elr else None)
    if record.leader is None and record.isr is None and record.elr is None and record.last_known_elr is None:
        return None
    return Change(topic, record, unclean, from_elr, last_known)


def changes_for_fenced_broker(image: MetadataImage, broker_id: int, rules: Rules) -> list[Change]:
    """Take a fenced broker out of every ISR and move its leaderships away."""
    out = []
    for topic in image.topics.values():
        for p in topic.partitions:
            if broker_id not in p.isr and p.leader != broker_id:
                continue
            change = build_change(topic.name, topic.topic_id, p, [r for r in p.isr if r != broker_id], rules)
            if change is not None:
                out.append(change)
    return out


def changes_for_unfenced_broker(image: MetadataImage, broker_id: int, rules: Rules) -> list[Change]:
    """Offline partitions this broker can lead again (ISR, ELR, or unclean)."""
    out = []
    for topic in image.topics.values():
        for p in topic.partitions:
            if p.leader != NO_LEADER or broker_id not in p.replicas:
                continue
            change = build_change(topic.name, topic.topic_id, p, list(p.isr), rules)
            if change is not None and change.record.leader is not None:
                out.append(change)
    return out


def changes_for_unclean_restart(image: MetadataImage, broker_id: int, rules: Rules) -> list[Change]:
    """A broker back from a crash may have lost unflushed records: it leaves every ELR (KAFKA-15586)."""
    out = []
    for topic in image.topics.values():
        for p in topic.partitions:
            if broker_id not in p.elr:
                continue
            change = build_change(topic.name, topic.topic_id, p, list(p.isr), rules)
            if change is not None:
                out.append(change)
    return out
