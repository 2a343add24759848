"""What the canvas shows about consumer groups, as plain values.

Built from `ClusterView.groups()` and `ClusterView.consumers()` on every
paint, so a test can check *what* is shown — each group's state, generation,
assignor and coordinator, which member reads which partitions, who is idle or
crashed, the lag — without looking at pixels. The only thing kept between
frames is which colour each consumer got (`OwnerColours`), so a consumer
keeps its colour when others come and go. Plain Python, no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass

from playground.engine.protocol import TopicPartition

from .palettes import LIGHT_OWNERS as LIGHT
from .palettes import NOBODY, OWNER_PALETTE, OWNER_TEXT_DARK, OWNER_TEXT_LIGHT

# A member card's state: what the consumer's process is doing, as the group sees it.
ACTIVE, IDLE, PAUSED, REJOINING, JOINING, CRASHED, STOPPED, CLOSING = (
    "active", "idle", "paused", "rejoining", "joining", "crashed", "stopped", "closing")
STATE_LABELS = {ACTIVE: "● active", IDLE: "○ idle", PAUSED: "❚❚ paused", REJOINING: "⟳ rejoining",
                JOINING: "… joining", CRASHED: "✕ CRASHED", STOPPED: "■ stopped", CLOSING: "closing…"}
REBALANCING = frozenset({"PreparingRebalance", "CompletingRebalance"})


class OwnerColours:
    """consumer name -> colour, handed out in order of first sight and never changed."""

    def __init__(self) -> None:
        self._given: dict[str, str] = {}

    def of(self, name: str) -> str:
        colour = self._given.get(name)
        if colour is None:
            colour = OWNER_PALETTE[len(self._given) % len(OWNER_PALETTE)]
            self._given[name] = colour
        return colour


def text_on(colour: str) -> str:
    return OWNER_TEXT_DARK if colour in LIGHT else OWNER_TEXT_LIGHT


@dataclass(frozen=True, slots=True)
class MemberCard:
    name: str
    colour: str
    state: str                                  # ACTIVE | IDLE | ...
    member: bool                                # the coordinator lists it as a member of the group
    leader: bool                                # it computed the last assignment
    reads: tuple[TopicPartition, ...]           # what the consumer itself owns and fetches
    held: tuple[TopicPartition, ...]            # assigned to it by the coordinator, but nobody reads them
    note: str                                   # one line under the name ("" for none)

    @property
    def label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)


@dataclass(frozen=True, slots=True)
class GroupLane:
    group_id: str
    state: str                                  # Empty | PreparingRebalance | CompletingRebalance | Stable | Dead
    generation: int
    assignor: str | None
    coordinator: int | None
    members: tuple[MemberCard, ...]
    lag: dict[TopicPartition, int | None]
    committed: dict[TopicPartition, int]
    unassigned: tuple[TopicPartition, ...] = ()     # partitions of its topics that no member reads or holds

    @property
    def total_lag(self) -> int | None:
        known = [v for v in self.lag.values() if v is not None]
        return sum(known) if known else None

    @property
    def rebalancing(self) -> bool:
        return self.state in REBALANCING

    def card(self, name: str) -> MemberCard | None:
        return next((c for c in self.members if c.name == name), None)


@dataclass(frozen=True, slots=True)
class Owner:
    """Who reads a partition, for the tag on its leader strip."""

    group_id: str
    name: str
    colour: str
    reading: bool                               # False: held by a member that is gone (crashed, paused)


def _state(c, member: bool, group_state: str) -> str:
    if not c.alive:
        return CRASHED if c.state == "crashed" else STOPPED
    if c.state == "closing":
        return CLOSING
    if c.state == "paused" or getattr(c, "paused", False):
        return PAUSED
    if c.member_state in ("PREPARING_REBALANCE", "COMPLETING_REBALANCE"):
        return REJOINING
    if not member or c.member_state != "STABLE":
        return JOINING
    return ACTIVE if c.assignment else IDLE


def _expiry(deadline: int | None, now: int) -> str:
    if deadline is None:
        return "still a member until its session expires"
    left = max(0, deadline - now)
    return f"still a member: expelled in {left / 1000:.1f} s (session.timeout.ms)"


def _note(c, state: str, g, member_name: str | None, now: int, members: int = 0, partitions: int = 0) -> str:
    if c.error:
        return c.error
    if state == CRASHED and member_name is not None:
        return _expiry(g.session_deadlines.get(member_name), now)
    if state == CRASHED:
        return "not a member any more" if g.state != "Dead" else "crashed"
    if state == STOPPED:
        return "closed: sent LeaveGroup"
    if state == PAUSED:
        return "no poll(): leaves after max.poll.interval.ms"
    if state == IDLE:
        if members > partitions:
            return f"no partition: {members} members, {partitions} partitions"
        if g.state in REBALANCING:
            return "no partition yet: the rebalance hands them out"
        if g.assignor == "cooperative-sticky":
            return "no partition yet: its partitions are being released (cooperative: next rebalance)"
        return "no partition assigned"
    if state == JOINING and c.coordinator is None:
        return "looking for the coordinator"
    return ""


def group_lanes(view, colours: OwnerColours, external: frozenset = frozenset()) -> list[GroupLane]:
    """One lane per consumer group, members in the order their consumers were named.

    `external`: (group id, member id) of real clients' members (Listen for Kafka clients): no simulated
    consumer stands for them, yet they are alive and read what the coordinator assigned them."""
    consumers = view.consumers()
    groups = view.groups()
    now = view.now
    lanes = []
    for gid, g in groups.items():
        by_member_id = {mid: name for name, mid in g.member_ids.items()}
        topics = {t for c in consumers.values() if c.group == gid and c.alive for t in getattr(c, "subscription", ())}
        all_tps = [pv.tp for t in sorted(topics) for pv in view.partitions(t)]
        partitions = len(all_tps)
        members = len(g.members)
        cards = []
        seen_members: set[str] = set()
        for c in consumers.values():
            if c.group != gid:
                continue
            member_name = by_member_id.get(c.member_id) if c.member_id else None
            member = member_name is not None
            if member:
                seen_members.add(member_name)
            state = _state(c, member, g.state)
            held = g.members.get(member_name, ()) if member and not c.alive else ()
            cards.append(MemberCard(c.name, colours.of(c.name), state, member,
                                    member and g.leader == member_name, tuple(c.assignment) if c.alive else (),
                                    tuple(held), _note(c, state, g, member_name, now, members, partitions)))
        for name, tps in g.members.items():          # members no running consumer stands for (an old incarnation)
            if name in seen_members:
                continue
            if (gid, g.member_ids.get(name)) in external:
                rebalancing = g.state in ("PreparingRebalance", "CompletingRebalance")
                cards.append(MemberCard(name, colours.of(name), REJOINING if rebalancing else ACTIVE, True,
                                        g.leader == name, tuple(tps), (), "a real client"))
            else:
                note = "an old incarnation: " + _expiry(g.session_deadlines.get(name), now)
                cards.append(MemberCard(name, colours.of(name.split(" ")[0]), CRASHED, True, g.leader == name, (),
                                        tuple(tps), note))
        taken = {tp for card in cards for tp in card.reads + card.held}
        lanes.append(GroupLane(gid, g.state, g.generation, g.assignor, g.coordinator, tuple(cards), dict(g.lag),
                               dict(g.committed), tuple(tp for tp in all_tps if tp not in taken)))
    return lanes


def owners(lanes: list[GroupLane]) -> dict[TopicPartition, list[Owner]]:
    """Partition -> who reads it (or holds it without reading), across every group."""
    out: dict[TopicPartition, list[Owner]] = {}
    for lane in lanes:
        for card in lane.members:
            for tp in card.reads:
                out.setdefault(tp, []).append(Owner(lane.group_id, card.name, card.colour, True))
            for tp in card.held:
                out.setdefault(tp, []).append(Owner(lane.group_id, card.name, card.colour, False))
        for tp in lane.unassigned:
            out.setdefault(tp, []).append(Owner(lane.group_id, "", NOBODY, False))
    return out


def coordinators(lanes: list[GroupLane]) -> dict[int, tuple[str, ...]]:
    """Broker id -> the groups it coordinates."""
    out: dict[int, list[str]] = {}
    for lane in lanes:
        if lane.coordinator is not None:
            out.setdefault(lane.coordinator, []).append(lane.group_id)
    return {b: tuple(gs) for b, gs in out.items()}
