"""What the canvas shows about the control plane and the brokers, as plain values.

Built from `ClusterView` on every paint (nothing kept between frames), so a
test can check *what* is shown — which broker is dead, isolated, slow, the
controller, which voter is active, which metadata records are committed —
without looking at pixels. Plain Python, no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass

KRAFT, ZOOKEEPER = "kraft", "zookeeper"

# Broker states, most severe first: a dead broker that is also cut off is "dead".
DEAD, ISOLATED, FENCED, ALIVE = "dead", "isolated", "fenced", "alive"


@dataclass(frozen=True, slots=True)
class ControlNode:
    """One box in the control plane: a KRaft voter or a ZooKeeper node."""

    node_id: int
    label: str              # "controller 1" | "ZooKeeper 1"
    role: str               # leader | follower | candidate | unattached | dead | zookeeper
    alive: bool
    active: bool            # KRaft: the quorum's leader, i.e. the active controller
    epoch: int
    log_end_offset: int
    committed_offset: int


@dataclass(frozen=True, slots=True)
class ControlPlane:
    mode: str                           # kraft | zookeeper
    title: str
    status: str                         # one line: who is active, at which epoch, or that nobody is
    nodes: tuple[ControlNode, ...]
    active_id: int | None               # KRaft: the active voter; ZooKeeper: the controller broker
    controller_broker: int | None       # ZooKeeper only: the broker that is the controller
    epoch: int | None
    log: tuple[tuple[int, str], ...]    # the metadata log's tail: (offset, description)
    committed_offset: int               # records below this offset are committed (on a majority)

    @property
    def has_controller(self) -> bool:
        return self.active_id is not None

    def committed(self, offset: int) -> bool:
        return offset < self.committed_offset


@dataclass(frozen=True, slots=True)
class BrokerBadge:
    """A broker header: its state and the tags drawn on it."""

    broker_id: int
    state: str              # dead | isolated | fenced | alive
    fenced: bool
    isolated: bool
    slow_ms: int            # replication delay set with slow_broker (0: full speed)
    controller: bool        # ZooKeeper mode: this broker is the controller
    key: int | None         # the number key that selects it (1-9)
    coordinator_of: tuple[str, ...] = ()    # the consumer groups whose coordinator it is

    @property
    def tags(self) -> tuple[str, ...]:
        out = []
        if self.controller:
            out.append("♛ CONTROLLER")
        if self.coordinator_of and self.state != DEAD:
            out.append(f"⚑ coordinator of {', '.join(self.coordinator_of)}")
        if self.slow_ms:
            out.append(f"SLOW +{format_delay(self.slow_ms)}")
        if self.state == ISOLATED:
            out.append("clients can still reach it")
        elif self.state == DEAD:
            out.append("no requests answered")
        elif self.state == FENCED:
            out.append("fenced: may not lead")
        return tuple(out)


def format_delay(ms: int) -> str:
    return f"{ms // 1000} s" if ms >= 1000 and ms % 1000 == 0 else f"{ms} ms"


def control_plane(view, log_lines: int = 5) -> ControlPlane:
    """The control plane as drawn: KRaft voters or the ZooKeeper ensemble, and the metadata log tail."""
    mode = getattr(view, "controller_mode", KRAFT) or KRAFT
    raw = list(view.controllers() or ())
    log = tuple(view.metadata_log(last=log_lines) or ()) if log_lines > 0 else ()
    controller_id = view.controller_id
    if mode == ZOOKEEPER:
        nodes = tuple(ControlNode(c.node_id, f"ZooKeeper {c.node_id}", c.role if c.alive else "dead", c.alive,
                                  False, c.epoch, c.log_end_offset, c.committed_offset) for c in raw)
        committed = max((n.committed_offset for n in nodes if n.alive), default=0)
        epoch = max((n.epoch for n in nodes), default=None)
        if controller_id is None:
            status = "no active controller: the brokers race to create /controller in ZooKeeper"
        else:
            status = f"controller: broker {controller_id}" + (f" · controller epoch {epoch}" if epoch is not None
                                                               else "")
        title = f"ZooKeeper ensemble · {len(nodes)} nodes (Kafka < 4.0)"
        return ControlPlane(mode, title, status, nodes, controller_id, controller_id, epoch, log, committed)
    nodes = tuple(ControlNode(c.node_id, f"controller {c.node_id}", c.role if c.alive else "dead", c.alive,
                              c.alive and c.role == "leader", c.epoch, c.log_end_offset, c.committed_offset)
                  for c in raw)
    active = next((n for n in nodes if n.active), None)
    if active is not None:
        committed = active.committed_offset
        status = f"active: {active.node_id} · epoch {active.epoch}"
    else:
        committed = max((n.committed_offset for n in nodes if n.alive), default=0)
        candidates = [n.node_id for n in nodes if n.role == "candidate"]
        if len(candidates) == 1:
            why = f"candidate {candidates[0]} asks for votes"
        elif candidates:
            why = f"candidates {', '.join(map(str, candidates))} ask for votes"
        else:
            why = "the quorum is electing one"
        status = f"NO ACTIVE CONTROLLER: {why}" if nodes else "no active controller"
    majority = len(nodes) // 2 + 1
    title = f"KRaft quorum (majority {majority} of {len(nodes)})"
    return ControlPlane(mode, title, status, nodes, active.node_id if active else None, None,
                        active.epoch if active else None, log, committed)


def broker_badges(view, plane: ControlPlane, coordinators: dict[int, tuple[str, ...]] | None = None
                  ) -> list[BrokerBadge]:
    """`coordinators`: broker id -> the groups it coordinates (see group_model.coordinators)."""
    coordinators = coordinators or {}
    out = []
    for i, b in enumerate(view.brokers()):
        isolated = bool(getattr(b, "isolated", False))
        if not b.alive:
            state = DEAD
        elif isolated:
            state = ISOLATED
        elif b.fenced:
            state = FENCED
        else:
            state = ALIVE
        out.append(BrokerBadge(b.broker_id, state, bool(b.fenced), isolated,
                               int(getattr(b, "replication_delay", 0) or 0),
                               plane.controller_broker == b.broker_id, i + 1 if i < 9 else None,
                               coordinators.get(b.broker_id, ())))
    return out
