"""The wire listener: one TCP listener per simulated broker, real clients as network nodes.

`WireServer` owns the sockets and never touches time: whoever owns the engine
(the headless `serve` loop in `playground.wire.serve`, later the window's
frame timer) calls `service()` on the engine's thread. It polls the sockets
without blocking, puts complete frames on one inbound queue, and `dispatch()`
hands them to the engine at the current virtual time; responses are written
back from the engine's callbacks. So exactly one thread touches the engine.

Broker `101 + i` listens on `port + i`, and Metadata advertises those
addresses, so a client sees a real multi-broker cluster. A killed broker's
listener closes together with every connection to it (the process is gone);
a restarted broker listens again.
"""

from __future__ import annotations

import base64
import collections
import random
import selectors
import socket
import sys
import traceback
from typing import Any

from kio.schema.errors import ErrorCode
from kio.static.constants import EntityType

from playground.engine import Cluster
from playground.engine.events import EventKind

from .apis import API_VERSIONS, HANDLERS, SUPPORTED
from .codec import MalformedRequest, UnsupportedVersion, build, encode_response, entity_class, parse_request
from .connection import Connection
from .exchange import Exchange

# socket.request.max.bytes: Kafka's default, 100 MiB.
DEFAULT_MAX_REQUEST_BYTES = 104857600
WILDCARD_HOSTS = ("", "0.0.0.0", "::")


class WireServer:
    def __init__(self, cluster: Cluster, host: str = "127.0.0.1", port: int = 9092, *,
                 advertised_host: str | None = None, max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES) -> None:
        self.cluster = cluster
        self.host = host
        self.base_port = port
        self.advertised_host = advertised_host or ("127.0.0.1" if host in WILDCARD_HOSTS else host)
        self.max_request_bytes = max_request_bytes
        # Port 0: each broker takes a free port when it first listens, and keeps it across restarts.
        self.ports = {bid: port + i if port else 0 for i, bid in enumerate(sorted(cluster.brokers))}
        self.supported = SUPPORTED
        self._selector = selectors.DefaultSelector()
        self._listeners: dict[int, socket.socket] = {}
        self._connections: set[Connection] = set()
        self._inbound: collections.deque[tuple[Connection, bytes]] = collections.deque()
        self._bind_errors: dict[int, str] = {}
        self.requests_handled = 0
        self.started = False
        # What the group adapters remember beside the engine (see api_groups): the assignment bytes
        # each group leader sent, and the address each member joined from, by (group id, member id).
        self.assignment_bytes: dict[tuple[str, str], tuple[tuple, bytes]] = {}
        self.member_hosts: dict[tuple[str, str], str] = {}
        # Kafka's cluster id: 16 random bytes in URL-safe base64, here from the cluster's seed.
        rng = random.Random(f"cluster-id-{cluster.seed}")
        self.cluster_id = base64.urlsafe_b64encode(rng.randbytes(16)).decode().rstrip("=")
        # Another thread (a test, a signal handler) wakes `poll` through this pair.
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)

    # -- addresses --------------------------------------------------------------------------
    @property
    def bootstrap(self) -> str:
        """The bootstrap.servers a client is given: every broker's advertised address."""
        return ",".join(f"{self.advertised_host}:{p}" for p in self.ports.values())

    def address_of(self, broker_id: int) -> tuple[str, int]:
        return self.advertised_host, self.ports[broker_id]

    def listening(self) -> list[int]:
        return sorted(self._listeners)

    def connections(self) -> list[Connection]:
        """The open client connections (the window draws them as client cards)."""
        return [c for c in self._connections if not c.closed]

    # -- life cycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Open the listeners of the live brokers; raises OSError when the first port is taken."""
        self.started = True
        self.sync_listeners(raise_errors=True)

    def close(self) -> None:
        for conn in list(self._connections):
            conn.close("the listener shut down", quiet=True)
        for bid in list(self._listeners):
            self._close_listener(bid)
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()
        self.started = False

    def wakeup(self) -> None:
        """Make a `poll` blocked in another thread return now (thread-safe)."""
        try:
            self._wake_w.send(b"\0")
        except OSError:
            pass

    def sync_listeners(self, raise_errors: bool = False) -> None:
        """Listen for live brokers, stop listening for dead ones (and drop their connections)."""
        for bid, broker in self.cluster.brokers.items():
            if broker.alive and bid not in self._listeners:
                self._open_listener(bid, raise_errors)
            elif not broker.alive and bid in self._listeners:
                self._close_listener(bid)
                for conn in [c for c in self._connections if c.broker_id == bid]:
                    conn.close(f"broker {bid} died")

    def _open_listener(self, bid: int, raise_errors: bool) -> None:
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.ports[bid]))
            sock.listen(64)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            if raise_errors:
                raise
            message = f"broker {bid} cannot listen on {self.host}:{self.ports[bid]}: {exc.strerror or exc}"
            if self._bind_errors.get(bid) != message:
                self._bind_errors[bid] = message
                print(f"kafka-playground serve: {message}", file=sys.stderr)
            return
        self._bind_errors.pop(bid, None)
        self.ports[bid] = sock.getsockname()[1]
        self._listeners[bid] = sock
        self._selector.register(sock, selectors.EVENT_READ, bid)

    def _close_listener(self, bid: int) -> None:
        sock = self._listeners.pop(bid)
        self._selector.unregister(sock)
        sock.close()

    # -- the socket side ----------------------------------------------------------------------
    def service(self, timeout: float = 0.0) -> None:
        """Poll the sockets (up to `timeout` seconds), then hand what arrived to the engine."""
        self.poll(timeout)
        self.dispatch()
        self.sync_listeners()

    def poll(self, timeout: float = 0.0) -> None:
        for key, mask in self._selector.select(timeout):
            data = key.data
            if data is None:
                try:
                    self._wake_r.recv(4096)
                except OSError:
                    pass
            elif isinstance(data, Connection):
                if mask & selectors.EVENT_WRITE:
                    data.on_writable()
                if mask & selectors.EVENT_READ:
                    data.on_readable()
            else:
                self._accept(key.fileobj, data)

    def _accept(self, listener: socket.socket, bid: int) -> None:
        for _ in range(16):
            try:
                sock, peer = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = Connection(self, sock, bid, peer)
            self._connections.add(conn)
            conn._interest = selectors.EVENT_READ
            self._selector.register(sock, selectors.EVENT_READ, conn)

    def update_interest(self, conn: Connection) -> None:
        if conn.closed:
            return
        mask = (selectors.EVENT_READ if conn.wants_read() else 0) | \
               (selectors.EVENT_WRITE if conn.wants_write() else 0)
        if mask == conn._interest:
            return
        if conn._interest and mask:
            self._selector.modify(conn.sock, mask, conn)
        elif mask:
            self._selector.register(conn.sock, mask, conn)
        else:
            self._selector.unregister(conn.sock)
        conn._interest = mask

    def enqueue(self, conn: Connection, frame: bytes) -> None:
        """A complete request frame: muted until answered (see Connection)."""
        self.update_interest(conn)
        self._inbound.append((conn, frame))

    def connection_closed(self, conn: Connection, reason: str, *, quiet: bool = False) -> None:
        self._connections.discard(conn)
        if conn._interest:
            try:
                self._selector.unregister(conn.sock)
            except (KeyError, ValueError):
                pass
            conn._interest = 0
        network = self.cluster.network
        if network.is_alive(conn.node):
            network.set_alive(conn.node, False)     # answers still on their way are dropped
            if not quiet:
                self.cluster.events.emit(EventKind.CLIENT_DISCONNECTED,
                                         f"{conn.label} disconnected from broker {conn.broker_id}: {reason}.",
                                         client=conn.label, broker=conn.broker_id, reason=reason)

    def refuse(self, conn: Connection, reason: str) -> None:
        """A request that cannot be served: Kafka closes that client's connection, nothing else."""
        self.cluster.events.emit(EventKind.CLIENT_REQUEST_REFUSED,
                                 f"Broker {conn.broker_id} closed the connection of {conn.label}: {reason}.",
                                 client=conn.label, broker=conn.broker_id, reason=reason)
        conn.close(reason, quiet=True)

    # -- the engine side ------------------------------------------------------------------------
    def dispatch(self) -> int:
        """Hand every queued request to the engine, at the current virtual time."""
        handled = 0
        inbound = self._inbound
        while inbound:
            conn, frame = inbound.popleft()
            if conn.closed:
                continue
            handled += 1
            self._dispatch_one(conn, frame)
        self.requests_handled += handled
        return handled

    def _dispatch_one(self, conn: Connection, frame: bytes) -> None:
        try:
            header, request = parse_request(frame, self.supported)
        except UnsupportedVersion as exc:
            if exc.api_key == API_VERSIONS:
                self._unsupported_api_versions(conn, exc.correlation_id)
            else:
                self.refuse(conn, f"it sent api key {exc.api_key} version {exc.api_version}, which this broker "
                                  "does not serve (UNSUPPORTED_VERSION)")
            return
        except MalformedRequest as exc:
            self.refuse(conn, f"a malformed request ({exc})")
            return
        if conn.client_id is None:
            conn.client_id = header.client_id or ""
            self._register_client(conn)
        exchange = Exchange(self, conn, header, request)
        try:
            HANDLERS[exchange.api_key](exchange)
        except Exception as exc:        # a bug in an adapter must not take the listener down
            traceback.print_exc(file=sys.stderr)
            self.refuse(conn, f"the broker failed on its request ({type(exc).__name__}: {exc})")

    def _register_client(self, conn: Connection) -> None:
        self.cluster.network.register(conn.node, _clients_take_no_requests)
        host, port = self.address_of(conn.broker_id)
        self.cluster.events.emit(EventKind.CLIENT_CONNECTED,
                                 f"{conn.label} connected to broker {conn.broker_id} at {host}:{port}.",
                                 client=conn.label, broker=conn.broker_id)

    def _unsupported_api_versions(self, conn: Connection, correlation_id: int) -> None:
        """KIP-511: an ApiVersions version the broker does not know is answered at v0 with
        UNSUPPORTED_VERSION and the supported range, so the client can retry with one it has."""
        cls = entity_class(API_VERSIONS, 0, EntityType.response)
        response = build(cls, error_code=ErrorCode.unsupported_version, api_keys=api_version_list())
        conn.send_frame(encode_response(API_VERSIONS, correlation_id, response))


def api_version_list() -> list[dict[str, Any]]:
    return [{"api_key": key, "min_version": lo, "max_version": hi} for key, (lo, hi) in sorted(SUPPORTED.items())]


def _clients_take_no_requests(env: Any) -> None:
    return None

