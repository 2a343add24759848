"""Short-lived highlights made from engine events: elections, ISR changes, truncations, faults,
and consumer-group rebalances (their captions and card highlights come from `group_effects`).

The canvas draws state (who leads, who is in the ISR) from `ClusterView`;
what *just changed* comes from events, and this module turns each event into
a flash on a replica strip and a one-line caption. Nothing here is a copy of
engine state: an effect only remembers the event that made it, and expires.

Ages are counted in playback time: virtual time elapsed divided by the speed
it ran at. A flash therefore stays on screen for the same few real seconds at
0.05x and at 100x, freezes while time is paused (so a teacher can pause and
point at it), and a screenshot of a given virtual instant always looks the
same.

Plain Python, no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from playground.engine.events import EventKind

from . import group_effects as gfx

# Effect kinds on a replica strip.
ELECTED = "elected"          # this replica just became leader
EPOCH = "epoch"              # the partition's leader epoch just moved (every replica of it)
ISR_LEFT = "isr_left"
ISR_JOINED = "isr_joined"
TRUNCATED = "truncated"      # offsets [offset, offset + removed) were just cut from this replica

# Caption tones.
ELECTION, BAD, GOOD, INFO = "election", "bad", "good", "info"
REBALANCE = gfx.REBALANCE

# The events that make an effect or a caption (the canvas ignores the rest cheaply).
KINDS = frozenset({
    EventKind.LEADER_ELECTED, EventKind.ISR_CHANGED, EventKind.REPLICA_TRUNCATED,
    EventKind.BROKER_KILLED, EventKind.BROKER_RESTARTED, EventKind.BROKER_FENCED, EventKind.BROKER_UNFENCED,
    EventKind.BROKER_ISOLATED, EventKind.BROKER_HEALED, EventKind.BROKER_SLOWED,
    EventKind.CONTROLLER_ELECTION, EventKind.CONTROLLER_ACTIVE, EventKind.CONTROLLER_KILLED,
    EventKind.CONTROLLER_RESTARTED, EventKind.CONTROLLER_RESIGNED,
}) | gfx.KINDS
GROUP_KINDS = gfx.KINDS

STRIP_LIFE_MS = 5000.0       # real ms a strip flash lasts at any speed
CAPTION_LIFE_MS = 8000.0     # real ms a caption stays
MAX_CAPTIONS = 4


@dataclass(frozen=True, slots=True)
class Effect:
    kind: str
    start: float             # playback ms
    broker: int | None
    topic: str
    partition: int
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Caption:
    start: float
    time: int                # virtual ms of the event, shown next to the text
    text: str
    tone: str
    key: Any = None          # captions with one key are one caption (storage_effects merges them)


def _ids(brokers) -> str:
    return ", ".join(map(str, brokers)) or "none"


def _controller(controller_id: int | None, mode: str) -> str:
    if controller_id is None:
        return "The controller"
    return f"Controller (broker {controller_id})" if mode == "zookeeper" else f"Controller {controller_id}"


class Effects:
    """Effects and captions for the canvas; fed by `on_event`, aged by `advance`."""

    def __init__(self, display_time: float = 0.0) -> None:
        self._display = float(display_time)
        self._playback = 0.0
        self._effects: list[Effect] = []
        self._member_effects: list[Effect] = []     # on consumer cards: topic "" and data["consumer"], tp names
        self._captions: list[Caption] = []

    # -- time -----------------------------------------------------------------------
    @property
    def playback(self) -> float:
        return self._playback

    def advance(self, display_time: float, speed: float) -> None:
        """The bridge drew a frame at `display_time`, running at `speed`."""
        if display_time > self._display:
            self._playback += (display_time - self._display) / max(speed, 1e-6)
            self._display = display_time
        now = self._playback
        if self._effects and now - self._effects[0].start > STRIP_LIFE_MS:
            self._effects = [e for e in self._effects if now - e.start <= STRIP_LIFE_MS]
        if self._member_effects and now - self._member_effects[0].start > STRIP_LIFE_MS:
            self._member_effects = [e for e in self._member_effects if now - e.start <= STRIP_LIFE_MS]
        if self._captions and now - self._captions[0].start > CAPTION_LIFE_MS:
            self._captions = [c for c in self._captions if now - c.start <= CAPTION_LIFE_MS]

    def start_of(self, t: int, speed: float) -> float:
        return self._start(t, speed)

    def _start(self, t: int, speed: float) -> float:
        """Playback time of an event at virtual `t`, reported before the frame that reaches it."""
        return self._playback + max(0.0, t - self._display) / max(speed, 1e-6)

    # -- reading ----------------------------------------------------------------------
    def for_strip(self, broker: int, topic: str, partition: int) -> list[tuple[Effect, float]]:
        """(effect, fraction of its life gone) for one replica strip, oldest first."""
        out = []
        for e in self._effects:
            if e.topic == topic and e.partition == partition and e.broker in (broker, None):
                frac = (self._playback - e.start) / STRIP_LIFE_MS
                if 0.0 <= frac < 1.0:
                    out.append((e, frac))
        return out

    def for_member(self, consumer: str) -> list[tuple[Effect, float]]:
        """(effect, fraction of its life gone) for one consumer's card: kind group_effects.REVOKED,
        LOST or ASSIGNED, with data["partitions"] (names like "orders/0"), oldest first."""
        out = []
        for e in self._member_effects:
            if e.data.get("consumer") == consumer:
                frac = (self._playback - e.start) / STRIP_LIFE_MS
                if 0.0 <= frac < 1.0:
                    out.append((e, frac))
        return out

    def captions(self) -> list[tuple[Caption, float]]:
        """The newest captions still showing, oldest first, with the fraction of life gone."""
        live = [(c, (self._playback - c.start) / CAPTION_LIFE_MS) for c in self._captions]
        return [(c, f) for c, f in live if 0.0 <= f < 1.0][-MAX_CAPTIONS:]

    def active(self) -> list[Effect]:
        return [e for e in self._effects if 0.0 <= self._playback - e.start < STRIP_LIFE_MS]

    # -- effects made elsewhere (storage_effects) -------------------------------------------
    def add_strip_effect(self, event, kind: str, broker: int | None, speed: float, **data: Any) -> None:
        d = event.data
        self._effects.append(Effect(kind, self._start(event.time, speed), broker, d.get("topic", ""),
                                    d.get("partition", -1), data))

    def add_caption(self, event, text: str, tone: str, speed: float, key: Any = None) -> None:
        """A caption; one whose `key` matches a caption still showing replaces its text instead."""
        if key is not None:
            for i in range(len(self._captions) - 1, max(-1, len(self._captions) - 8), -1):
                old = self._captions[i]
                if old.key == key and self._playback - old.start < CAPTION_LIFE_MS:
                    self._captions[i] = Caption(old.start, old.time, text, tone, key)
                    return
        self._captions.append(Caption(self._start(event.time, speed), event.time, text, tone, key))
        if len(self._captions) > 50:
            del self._captions[:-MAX_CAPTIONS]

    # -- events ------------------------------------------------------------------------
    def on_event(self, event, speed: float, controller_id: int | None = None, mode: str = "kraft") -> None:
        start = self._start(event.time, speed)
        d = event.data
        kind = event.kind

        def effect(k: str, broker: int | None, **data: Any) -> None:
            self._effects.append(Effect(k, start, broker, d.get("topic", ""), d.get("partition", -1), data))

        def caption(text: str, tone: str) -> None:
            self._captions.append(Caption(start, event.time, text, tone))
            if len(self._captions) > 50:
                del self._captions[:-MAX_CAPTIONS]

        if kind in gfx.KINDS:
            for k, consumer, partitions in gfx.member_effects(kind, d):
                self._member_effects.append(Effect(k, start, None, "", -1,
                                                   {"consumer": consumer, "partitions": partitions}))
            said = gfx.caption(kind, d, event.text)
            if said is not None:
                caption(*said)
            return
        tp = f"{d.get('topic')}/{d.get('partition')}"
        if kind == EventKind.LEADER_ELECTED:
            leader, epoch = d.get("leader", -1), d.get("leader_epoch", 0)
            old_epoch = d.get("old_leader_epoch", epoch - 1)
            effect(EPOCH, None, old=old_epoch, new=epoch, unclean=bool(d.get("unclean")))
            who = _controller(controller_id, mode)
            if leader is None or leader < 0:
                caption(f"{tp} is OFFLINE (Leader: none): no in-sync replica can take over · "
                        f"epoch {old_epoch} → {epoch}", BAD)
                return
            effect(ELECTED, leader, old_leader=d.get("old_leader"), unclean=bool(d.get("unclean")))
            unclean = " (UNCLEAN! it was not in the ISR: records can be lost)" if d.get("unclean") else ""
            caption(f"{who} elected broker {leader} leader of {tp} · epoch {old_epoch} → {epoch}{unclean}",
                    BAD if d.get("unclean") else ELECTION)
        elif kind == EventKind.ISR_CHANGED:
            if d.get("refused"):
                return
            left, joined = list(d.get("left", ())), list(d.get("joined", ()))
            for b in left:
                effect(ISR_LEFT, b)
            for b in joined:
                effect(ISR_JOINED, b)
            isr = _ids(d.get("isr", ()))
            if left:
                caption(f"Broker {_ids(left)} left the ISR of {tp} → ISR {isr}", BAD)
            if joined:
                caption(f"Broker {_ids(joined)} caught up and rejoined the ISR of {tp} → ISR {isr}", GOOD)
        elif kind == EventKind.REPLICA_TRUNCATED:
            offset, removed = int(d.get("offset", 0)), int(d.get("removed", 0))
            broker = d.get("broker")
            effect(TRUNCATED, broker, offset=offset, removed=removed)
            span = f"offset {offset}" if removed == 1 else f"offsets {offset}–{offset + removed - 1}"
            caption(f"Broker {broker} truncated {tp}: {span} dropped, the new leader never had them", BAD)
        else:
            text = _fault_caption(kind, d, event.text)
            if text is not None:
                caption(*text)


def _fault_caption(kind, d: dict[str, Any], text: str) -> tuple[str, str] | None:
    broker, controller = d.get("broker"), d.get("controller")
    if kind == EventKind.BROKER_KILLED:
        return f"Broker {broker} crashed (DEAD): the controller notices after broker.session.timeout.ms", BAD
    if kind == EventKind.BROKER_RESTARTED:
        return f"Broker {broker} restarted with its old log; fenced until it catches up", INFO
    if kind == EventKind.BROKER_FENCED:
        return text.split(";")[0].replace(f" from broker {broker}", ""), BAD
    if kind == EventKind.BROKER_UNFENCED:
        return f"{text.split(':')[0]}: it may lead and rejoin ISRs again", GOOD
    if kind == EventKind.BROKER_ISOLATED:
        return (f"Broker {broker} is ISOLATED: cut off from the other brokers and the controller, "
                "clients can still reach it"), BAD
    if kind == EventKind.BROKER_HEALED:
        return f"Broker {broker}'s network is healed: it reaches the brokers and the controller again", GOOD
    if kind == EventKind.BROKER_SLOWED:
        delay = d.get("replication_delay", 0)
        if delay:
            return f"Broker {broker} is SLOW: it waits {delay} ms after each fetch, its replicas fall behind", INFO
        return f"Broker {broker} fetches at full speed again", GOOD
    if kind == EventKind.CONTROLLER_ELECTION:
        return f"Controller {controller} is a candidate for epoch {d.get('epoch')}: it asks the voters for votes", \
            ELECTION
    if kind == EventKind.CONTROLLER_ACTIVE:
        return f"Controller {controller} is the active controller (epoch {d.get('epoch')})", ELECTION
    if kind == EventKind.CONTROLLER_KILLED:
        return f"Controller {controller} crashed (DEAD)", BAD
    if kind == EventKind.CONTROLLER_RESTARTED:
        return f"Controller {controller} restarted and looks for the quorum's leader", INFO
    if kind == EventKind.CONTROLLER_RESIGNED:
        return text, INFO
    return None
