"""One request from a real client on its way through the engine and back.

An adapter (playground.wire.api_*) reads the kio request, sends the engine's
Kafka-shaped request from the client's network node to the broker the client
is connected to, and builds the kio response from the engine's answer. The
client is a node of the simulated network like the simulated producers and
consumers: its requests take the network's latency and a broker that dies
resets them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from kio.static.constants import EntityType

from playground.engine.events import EventKind
from playground.engine.network import Disconnected

from .codec import build, encode_response, entity_class

if TYPE_CHECKING:
    from playground.engine import Cluster
    from playground.engine.broker import Broker

    from .connection import Connection
    from .server import WireServer


class Exchange:
    __slots__ = ("server", "conn", "header", "request", "api_key", "version", "correlation_id", "answered")

    def __init__(self, server: "WireServer", conn: "Connection", header: Any, request: Any) -> None:
        self.server = server
        self.conn = conn
        self.header = header
        self.request = request
        self.api_key = int(header.request_api_key)
        self.version = int(header.request_api_version)
        self.correlation_id = int(header.correlation_id)
        self.answered = False

    # -- who and where --------------------------------------------------------------------
    @property
    def cluster(self) -> "Cluster":
        return self.server.cluster

    @property
    def broker_id(self) -> int:
        return self.conn.broker_id

    @property
    def broker(self) -> "Broker":
        return self.server.cluster.brokers[self.conn.broker_id]

    @property
    def client(self) -> str:
        return self.conn.label

    @property
    def client_id(self) -> str:
        return self.header.client_id or ""

    # -- the engine -------------------------------------------------------------------------
    def send(self, api: str, body: Any, on_response: Callable[[Any], None] | None) -> None:
        """Send `body` to the broker as engine request `api`; `on_response` gets its answer.

        A `Disconnected` answer means the broker process died with the request: the
        client sees its connection reset, as with a real broker.
        """
        conn = self.conn
        if on_response is None:
            self.server.cluster.network.request(conn.node, conn.broker_id, api, body, None)
            return

        def done(response: Any) -> None:
            if isinstance(response, Disconnected):
                conn.close(f"broker {conn.broker_id} {response.reason}")
                return
            if conn.closed:
                return
            on_response(response)

        self.server.cluster.network.request(conn.node, conn.broker_id, api, body, done)

    # -- answering ---------------------------------------------------------------------------
    @property
    def response_class(self) -> type:
        return entity_class(self.api_key, self.version, EntityType.response)

    def respond(self, **fields: Any) -> None:
        """Answer with the response of this request's API and version, built from `fields`."""
        self.respond_entity(build(self.response_class, **fields))

    def respond_entity(self, response: Any) -> None:
        if self.answered:
            return
        self.answered = True
        self.conn.send_frame(encode_response(self.api_key, self.correlation_id, response))

    def no_response(self) -> None:
        """acks=0: Kafka sends nothing back, and the next request may be read at once."""
        if not self.answered:
            self.answered = True
            self.conn.send_frame(None)

    def emit(self, kind: EventKind, text: str, **data: Any) -> None:
        self.server.cluster.events.emit(kind, text, client=self.client, broker=self.broker_id, **data)
