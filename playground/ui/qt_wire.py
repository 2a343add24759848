"""The window's Kafka listeners: real clients (kcat, confluent-kafka, a Java app) talk to the cluster.

`KafkaListener` opens a `WireServer` on the window's cluster and services it from the
bridge's frame timer (`SimulationBridge.frame_hooks`), so the engine stays on the GUI thread:
each frame the sockets are polled without blocking, complete requests go to the engine at the
current virtual time, then the bridge moves time on. Virtual time runs at the bridge's speed,
so a client's timeouts (request.timeout.ms, session.timeout.ms) count virtual milliseconds: at
0.1x a 30 s request timeout lasts five real minutes, and pausing stops the clients' world too.

`external_clients` groups the open connections into one card per client (client.id and host):
a client opens one connection per broker it talks to, each an engine network node
`client:HOST:PORT`, and every one of those nodes anchors to the same card.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from playground.engine import Cluster
if TYPE_CHECKING:      # the protocol (kio and what it needs) is loaded when the window first listens
    from playground.wire.server import WireServer

from .bridge import SimulationBridge

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9092


@dataclass(slots=True)
class ExternalClient:
    """One real client as the canvas draws it."""
    client_id: str
    host: str
    nodes: list[str] = field(default_factory=list)        # its connections' network nodes
    ports: list[int] = field(default_factory=list)        # its local ports, one per connection
    brokers: list[int] = field(default_factory=list)      # the brokers it is connected to
    requests: int = 0
    software: str | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.ports[0]}" if len(self.ports) == 1 else f"{self.host} ({len(self.ports)} connections)"


def external_clients(server: WireServer | None) -> list[ExternalClient]:
    """The connected clients, by (client.id, host), in the order they connected. A connection that has
    not sent a request yet has no client.id and is not drawn."""
    if server is None:
        return []
    out: dict[tuple[str, str], ExternalClient] = {}
    for conn in sorted(server.connections(), key=lambda c: (c.client_id or "", c.port)):
        if conn.client_id is None:
            continue
        key = (conn.client_id or "client", conn.host)
        client = out.setdefault(key, ExternalClient(*key))
        client.nodes.append(conn.node)
        client.ports.append(conn.port)
        if conn.broker_id not in client.brokers:
            client.brokers.append(conn.broker_id)
        client.requests += conn.requests
        client.software = client.software or conn.software
    return list(out.values())


class KafkaListener(QObject):
    """Starts and stops the listeners; tells the window what to say in the status bar."""
    status = Signal(str, bool)          # a sentence for the status bar, and whether it is an error
    listening_changed = Signal(bool)

    def __init__(self, cluster: Cluster, bridge: SimulationBridge, host: str = DEFAULT_HOST,
                 port: int = DEFAULT_PORT, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cluster = cluster
        self._bridge = bridge
        self.host = host
        self.port = port                # the first broker's port; the others follow (9092, 9093, ...)
        self.server: WireServer | None = None
        self.note = ""                  # said once after the bootstrap address, e.g. that the ports moved
        self._journalled = False        # the journal knows real clients acted (once per listening)
        bridge.speed_changed.connect(lambda _speed: self._announce())
        bridge.running_changed.connect(lambda _running: self._announce())

    @property
    def listening(self) -> bool:
        return self.server is not None

    @property
    def bootstrap(self) -> str:
        return self.server.bootstrap if self.server is not None else ""

    def clients(self) -> list[ExternalClient]:
        return external_clients(self.server)

    def members(self) -> frozenset:
        """(group id, member id) of every group member a real client joined as (group_model draws them)."""
        return frozenset(self.server.member_hosts) if self.server is not None else frozenset()

    def set_listening(self, on: bool) -> bool:
        """Start or stop; returns whether it is listening afterwards."""
        if on and self.server is None:
            self.start()
        elif not on and self.server is not None:
            self.stop()
        return self.listening

    def start(self) -> bool:
        """Listen on `port`, `port + 1`, ... (one per broker); when one is taken, on free ports instead."""
        if self.server is not None:
            return True
        self.note = ""
        try:
            server = self._open(self.port)
        except OSError as exc:
            if not self.port:
                self.status.emit(f"Cannot listen for Kafka clients on {self.host}: {exc.strerror or exc}.", True)
                return False
            try:
                server = self._open(0)
            except OSError as exc2:
                self.status.emit(f"Cannot listen for Kafka clients on {self.host}: {exc2.strerror or exc2}.", True)
                return False
            self.note = f"port {self.port} was busy ({exc.strerror or exc}), so free ports were taken"
        self.server = server
        self._journalled = False
        self._bridge.frame_hooks.append(self._service)
        self._bridge.resume()           # clients live in real time: virtual time must run while they talk
        self.listening_changed.emit(True)
        self._announce()
        return True

    def stop(self) -> None:
        if self.server is None:
            return
        if self._service in self._bridge.frame_hooks:
            self._bridge.frame_hooks.remove(self._service)
        self.server.close()             # every client connection is closed with it
        self.server = None
        self.listening_changed.emit(False)
        self.status.emit("Stopped listening for Kafka clients; their connections were closed.", False)

    def _open(self, port: int) -> WireServer:
        from playground.wire.server import WireServer
        server = WireServer(self._cluster, self.host, port)
        try:
            server.start()
        except OSError:
            server.close()
            raise
        return server

    def _service(self) -> None:
        if self.server is not None:
            before = self.server.requests_handled
            self.server.service(0)
            if self.server.requests_handled > before and not self._journalled:
                # Real clients act from outside the simulation: the journal cannot replay them, so it says
                # so, and a workspace opened from it reports the difference instead of hiding it.
                self._journalled = True
                self._bridge.journal.record_wire_clients({"bootstrap": self.server.bootstrap})

    def status_text(self) -> str:
        if self.server is None:
            return ""
        speed = self._bridge.speed
        pace = f"{speed:g}×" if speed != 1 else "1× (real time)"
        text = f"Kafka clients: bootstrap {self.bootstrap} — clients see virtual time at the current speed, {pace}"
        if not self._bridge.running:
            text += "; paused, so clients wait and may time out"
        if self.note:
            text += f" ({self.note})"
        return text + "."

    def _announce(self) -> None:
        if self.server is not None:
            self.status.emit(self.status_text(), False)
