"""The sticky and cooperative-sticky assignors (Kafka's `AbstractStickyAssignor`).

Source: clients/src/main/java/org/apache/kafka/clients/consumer/internals/
AbstractStickyAssignor.java (3.5+, the rack-aware rewrite), StickyAssignor.java
and CooperativeStickyAssignor.java. Two algorithms, as in Kafka:

- constrained: every member subscribes to the same topics. Members keep what
  they own up to their quota, then the rest is dealt round robin.
- general: subscriptions differ. Keep valid ownership, hand each unassigned
  partition to the least-loaded eligible member, then move partitions until
  balanced, undoing the moves if they did not improve the balance score.

No racks exist in the playground, so Kafka's rack-aware steps never run.

Kafka iterates Java HashMaps keyed by member id (and, in one place, a HashSet
of TopicPartitions); their order decides e.g. which of two over-full members
keeps the extra partition. We reproduce that order (`_java_order`) so the
outcome is the one a Java group leader computes, with `subscriptions`'
insertion order standing in for the order members appear in JoinGroup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from ..protocol import TopicPartition

if TYPE_CHECKING:
    from . import Subscription

Assignment = dict[str, list[TopicPartition]]
DEFAULT_GENERATION = -1   # AbstractStickyAssignor.DEFAULT_GENERATION


# -- Java collection order ---------------------------------------------------
def _int32(n: int) -> int:
    n &= 0xFFFFFFFF
    return n - (1 << 32) if n >= 1 << 31 else n


def _string_hash(s: str) -> int:
    """java.lang.String.hashCode, over UTF-16 code units."""
    h = 0
    data = s.encode("utf-16-le")
    for i in range(0, len(data), 2):
        h = (31 * h + (data[i] | data[i + 1] << 8)) & 0xFFFFFFFF
    return _int32(h)


def _tp_hash(tp: TopicPartition) -> int:
    """org.apache.kafka.common.TopicPartition.hashCode."""
    return _int32(31 * (31 + tp.partition) + _string_hash(tp.topic))


def _capacity(max_size: int) -> int:
    """Table size of a default HashMap that has held `max_size` entries (load factor 0.75)."""
    cap = 16
    while max_size > cap * 3 // 4:
        cap *= 2
    return cap


def _bucket(h: int, cap: int) -> int:
    h &= 0xFFFFFFFF
    return (h ^ (h >> 16)) & (cap - 1)     # HashMap.hash spreads the high bits down


def _java_order(keys: Iterable[str]) -> list[str]:
    """Iteration order of a java.util.HashMap<String, _> filled in `keys` order:
    by bucket, then insertion order within a bucket. (Java resizes or treeifies a
    bucket that reaches 9 keys; not modelled, and vanishingly rare for a group.)"""
    keys = list(keys)
    cap = _capacity(len(keys))
    return [k for _, _, k in sorted((_bucket(_string_hash(k), cap), i, k) for i, k in enumerate(keys))]


class _JavaHashSet:
    """Just enough of java.util.HashSet<TopicPartition> to know which element
    `iterator().next()` returns."""

    def __init__(self) -> None:
        self._seq: dict[TopicPartition, int] = {}
        self._next = 0
        self._max = 0

    def add(self, tp: TopicPartition) -> None:
        if tp not in self._seq:
            self._seq[tp] = self._next
            self._next += 1
            self._max = max(self._max, len(self._seq))

    def remove(self, tp: TopicPartition) -> None:
        self._seq.pop(tp, None)

    def __bool__(self) -> bool:
        return bool(self._seq)

    def first(self) -> TopicPartition:
        cap = _capacity(self._max)     # a HashMap never shrinks
        return min(self._seq, key=lambda tp: (_bucket(_tp_hash(tp), cap), self._seq[tp]))


# -- Previous ownership ------------------------------------------------------
def _owned_partitions(counts: dict[str, int], members: list[str], subscriptions):
    """AbstractStickyAssignor.allSubscriptionsEqual: each member's still-valid
    owned partitions, the partitions claimed twice in one generation (dropped
    from both claimants), whether all subscriptions are equal, and the highest
    generation. A claim from a higher generation beats a lower one."""
    owned: Assignment = {}
    owner: dict[TopicPartition, str] = {}
    doubly_claimed: set[TopicPartition] = set()
    first_topics: set[str] | None = None
    all_equal = True
    max_generation = DEFAULT_GENERATION
    for member in members:
        sub = subscriptions[member]
        topics = set(sub.topics)
        # Kafka tests `subscribedTopics.isEmpty()`, so a first member with no
        # topics makes unequal subscriptions look equal (and hands it partitions
        # it never asked for). We compare against the first member instead.
        if first_topics is None:
            first_topics = topics
        elif topics != first_topics:
            all_equal = False
        generation = sub.generation
        # Kafka keeps maxGeneration in the assignor instance across rebalances;
        # generations only grow, so the highest in this round is the same number.
        max_generation = max(max_generation, generation)
        mine = owned[member] = []
        for tp in sub.owned_partitions:
            # Kafka filters by topic only; topics never shrink there, but a
            # deleted and recreated topic can here, so the index is checked too.
            if not 0 <= tp.partition < counts.get(tp.topic, 0):
                continue
            other = owner.get(tp)
            if other is None:
                mine.append(tp)
                owner[tp] = member
                continue
            other_generation = subscriptions[other].generation
            if generation == other_generation:
                doubly_claimed.add(tp)
                if tp in owned[other]:
                    owned[other].remove(tp)
                owner[tp] = member
            elif generation > other_generation:
                mine.append(tp)
                if tp in owned[other]:
                    owned[other].remove(tp)
                owner[tp] = member
    return owned, doubly_claimed, all_equal, max_generation


# -- Constrained assignment (identical subscriptions) -------------------------
def _constrained(counts: dict[str, int], members: list[str], owned: Assignment,
                 doubly_claimed: set[TopicPartition]):
    """ConstrainedAssignmentBuilder: returns (assignment, partitions transferring ownership)."""
    total = sum(counts.values())
    n = len(members)
    min_quota, max_quota = total // n, -(-total // n)
    expected_over_min = total % n          # members that end with max_quota
    over_min = 0
    assignment: Assignment = {m: [] for m in members}
    assigned: set[TopicPartition] = set()
    revoked: set[TopicPartition] = set()
    under_min: list[str] = []              # unfilledMembersWithUnderMinQuotaPartitions
    exactly_min: list[str] = []            # unfilledMembersWithExactlyMinQuotaPartitions
    transferring: dict[TopicPartition, str] = {}

    for member in members:                 # HashMap order decides who keeps max_quota
        mine = sorted(owned[member], key=lambda tp: (tp.partition, tp.topic))
        mine = [tp for tp in mine if tp not in doubly_claimed]
        if len(mine) < min_quota:
            keep = mine
            under_min.append(member)
        elif len(mine) >= max_quota and over_min < expected_over_min:
            over_min += 1
            if over_min == expected_over_min:
                exactly_min.clear()
            keep = mine[:max_quota]
        else:
            keep = mine[:min_quota]
            if over_min < expected_over_min:
                exactly_min.append(member)
        assignment[member].extend(keep)
        assigned.update(keep)
        revoked.update(mine[len(keep):])

    under_min.sort()
    exactly_min.sort()
    unassigned = [TopicPartition(t, p) for t in sorted(counts) for p in range(counts[t])
                  if TopicPartition(t, p) not in assigned]

    # assignRoundRobin: a Java iterator over under_min, restarted when exhausted.
    cursor = 0
    for tp in unassigned:
        if cursor < len(under_min):
            member = under_min[cursor]
            cursor += 1
        elif not under_min and not exactly_min:
            raise AssertionError("sticky: no member left to fill")   # Kafka's IllegalStateException
        elif not under_min:
            member = exactly_min.pop(0)
        else:
            cursor = 1
            member = under_min[0]
        assignment[member].append(tp)
        if tp in revoked or tp in doubly_claimed:
            transferring[tp] = member
        size = len(assignment[member])
        if size == min_quota:
            cursor -= 1
            del under_min[cursor]          # Iterator.remove(): the member just returned
            exactly_min.append(member)
        elif size == max_quota:
            over_min += 1
    return assignment, transferring


# -- General assignment (differing subscriptions) ------------------------------
class _PartitionMovements:
    """AbstractStickyAssignor.PartitionMovements: the moves made so far, so a
    partition moving back reverses an earlier move instead of adding another."""

    def __init__(self) -> None:
        self.moves: dict[TopicPartition, tuple[str, str]] = {}
        self.by_topic: dict[str, dict[tuple[str, str], _JavaHashSet]] = {}

    def _remove(self, tp: TopicPartition) -> tuple[str, str]:
        pair = self.moves.pop(tp)
        pairs = self.by_topic[tp.topic]
        pairs[pair].remove(tp)
        if not pairs[pair]:
            del pairs[pair]
        if not pairs:
            del self.by_topic[tp.topic]
        return pair

    def _add(self, tp: TopicPartition, pair: tuple[str, str]) -> None:
        self.moves[tp] = pair
        self.by_topic.setdefault(tp.topic, {}).setdefault(pair, _JavaHashSet()).add(tp)

    def move(self, tp: TopicPartition, old: str, new: str) -> None:
        if tp in self.moves:
            src, _ = self._remove(tp)
            if src != new:
                self._add(tp, (src, new))
        else:
            self._add(tp, (old, new))

    def partition_to_move(self, tp: TopicPartition, old: str, new: str) -> TopicPartition:
        pairs = self.by_topic.get(tp.topic)
        if pairs is None:
            return tp
        if tp in self.moves:
            old = self.moves[tp][0]
        reverse = pairs.get((new, old))
        return reverse.first() if reverse else tp


class _General:
    """GeneralAssignmentBuilder, without its rack-aware branches."""

    def __init__(self, counts: dict[str, int], members: list[str], subscriptions,
                 owned: Assignment, max_generation: int) -> None:
        self.counts = counts
        self.subscriptions = subscriptions
        self.members = members
        self.max_generation = max_generation
        self.topic_consumers: dict[str, list[str]] = {t: [] for t in counts}
        self.consumer_topics: dict[str, list[str]] = {}
        for m in members:
            self.consumer_topics[m] = [t for t in subscriptions[m].topics if t in counts]
            for t in self.consumer_topics[m]:
                self.topic_consumers[t].append(m)
        self.current: Assignment = owned
        self.owner = {tp: m for m, tps in owned.items() for tp in tps}
        topics = sorted(counts, key=lambda t: (len(self.topic_consumers[t]), t))   # TopicComparator
        self.sorted_all = [TopicPartition(t, p) for t in topics for p in range(counts[t])]
        self.movements = _PartitionMovements()
        self.revocation_required = False

    def by_load(self) -> list[str]:
        """The TreeSet sortedCurrentSubscriptions: fewest partitions first, then member id."""
        return sorted(self.current, key=lambda m: (len(self.current[m]), m))

    def build(self) -> Assignment:
        # prepopulateCurrentAssignments: owners from older generations, to move back to.
        prev: dict[TopicPartition, tuple[str, int]] = {}
        for m in self.members:
            sub = self.subscriptions[m]
            if sub.generation < self.max_generation:
                for tp in sub.owned_partitions:
                    if tp not in prev or sub.generation > prev[tp][1]:
                        prev[tp] = (m, sub.generation)
        # assignOwnedPartitions: drop ownership the member no longer subscribes to.
        assigned: set[TopicPartition] = set()
        for m in self.members:
            topics = self.subscriptions[m].topics
            for tp in list(self.current[m]):
                if tp.topic not in topics:
                    self.current[m].remove(tp)
                    self.revocation_required = True
                else:
                    assigned.add(tp)
        unassigned = [tp for tp in self.sorted_all if tp not in assigned]
        self.balance(prev, unassigned)
        return self.current

    def max_size(self, m: str) -> int:
        return sum(self.counts[t] for t in self.consumer_topics[m])

    def can_participate(self, m: str) -> bool:
        if len(self.current[m]) < self.max_size(m):
            return True
        return any(len(self.topic_consumers[tp.topic]) >= 2 for tp in self.current[m])

    def balance(self, prev, unassigned: list[TopicPartition]) -> None:
        initializing = not any(self.current.values())
        for tp in unassigned:                  # maybeAssign: least-loaded eligible member
            for m in self.by_load():
                if tp.topic in self.consumer_topics[m]:
                    self.current[m].append(tp)
                    self.owner[tp] = m
                    break
        # Only partitions with 2+ candidates and members that could change take part.
        movable = {t for t, ms in self.topic_consumers.items() if len(ms) >= 2}
        sorted_all = [tp for tp in self.sorted_all if tp.topic in movable]
        unassigned = [tp for tp in unassigned if tp.topic in movable]
        fixed = {m: self.current.pop(m) for m in self.members if not self.can_participate(m)}
        before = {m: list(tps) for m, tps in self.current.items()}
        before_owner = dict(self.owner)
        if not self.revocation_required:      # first try moving only the new partitions
            self.reassign_all(unassigned, prev)
        performed = self.reassign_all(sorted_all, prev)
        if not initializing and performed and _balance_score(self.current) >= _balance_score(before):
            self.current = before
            self.owner = before_owner
        self.current.update(fixed)

    def is_balanced(self) -> bool:
        order = self.by_load()
        if len(self.current[order[0]]) >= len(self.current[order[-1]]) - 1:
            return True
        owner = {tp: m for m, tps in self.current.items() for tp in tps}
        for m in order:
            size = len(self.current[m])
            if size == self.max_size(m):
                continue
            mine = set(self.current[m])
            for t in self.consumer_topics[m]:
                for p in range(self.counts[t]):
                    tp = TopicPartition(t, p)
                    if tp not in mine and size + 1 < len(self.current[owner[tp]]):
                        return False
        return True

    def reassign_all(self, partitions: list[TopicPartition], prev) -> bool:
        """performReassignments: repeat until no move improves the balance."""
        performed = False
        modified = True
        while modified:
            modified = False
            for tp in partitions:
                if self.is_balanced():
                    break
                consumer = self.owner[tp]
                size = len(self.current[consumer])
                back = prev.get(tp, (None,))[0]
                # Kafka assumes the old owner can take the partition back; one that
                # has left its topic or sits out the balancing cannot, so skip it.
                if back in self.current and tp.topic in self.consumer_topics[back] \
                        and size > len(self.current[back]) + 1:
                    self.reassign(tp, back)
                    performed = modified = True
                    continue
                if any(size > len(self.current[o]) + 1 for o in self.topic_consumers[tp.topic]):
                    new = next(m for m in self.by_load() if tp.topic in self.consumer_topics[m])
                    self.reassign(tp, new)
                    performed = modified = True
        return performed

    def reassign(self, tp: TopicPartition, new: str) -> None:
        tp = self.movements.partition_to_move(tp, self.owner[tp], new)
        old = self.owner[tp]
        self.movements.move(tp, old, new)
        self.current[old].remove(tp)
        self.current[new].append(tp)
        self.owner[tp] = new


def _balance_score(assignment: Assignment) -> int:
    """getBalanceScore: sum of size differences over all pairs of members."""
    sizes = [len(tps) for tps in assignment.values()]
    return sum(abs(a - b) for i, a in enumerate(sizes) for b in sizes[i + 1:])


# -- Entry points ------------------------------------------------------------
def _sticky(counts: dict[str, int], subscriptions) -> tuple[Assignment, dict[TopicPartition, str] | None]:
    """The sticky assignment, plus the partitions it hands to a new owner when
    the constrained path knows them (None: the cooperative assignor computes them)."""
    if not subscriptions:
        return {}, {}
    members = _java_order(subscriptions)
    owned, doubly_claimed, all_equal, max_generation = _owned_partitions(counts, members, subscriptions)
    if all_equal:
        return _constrained(counts, members, owned, doubly_claimed)
    return _General(counts, members, subscriptions, owned, max_generation).build(), None


def assign_sticky(partitions_per_topic: dict[str, int], subscriptions: dict[str, "Subscription"]) -> Assignment:
    return _sticky(partitions_per_topic, subscriptions)[0]


def assign_cooperative_sticky(partitions_per_topic: dict[str, int],
                              subscriptions: dict[str, "Subscription"]) -> Assignment:
    """CooperativeStickyAssignor.assign: the sticky assignment minus every
    partition moving from one live owner to another. The owner revokes it in
    this round; it is handed over in the follow-up rebalance."""
    assignment, transferring = _sticky(partitions_per_topic, subscriptions)
    if transferring is None:                  # computePartitionsTransferringOwnership
        revoked = {tp for m, tps in assignment.items()
                   for tp in set(subscriptions[m].owned_partitions) - set(tps)}
        transferring = {tp: m for m, tps in assignment.items()
                        for tp in set(tps) - set(subscriptions[m].owned_partitions) if tp in revoked}
    for tp, member in transferring.items():
        assignment[member].remove(tp)
    return assignment
