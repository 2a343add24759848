"""One client's TCP connection to one broker's listener.

Kafka's network layer reads one request at a time per connection: after a
request arrives the channel is muted until its response has been sent
(`SocketServer.Processor`), so responses go out in request order and a client
that pipelines requests simply waits in its own socket buffer. This
connection does the same, which also bounds what it buffers: at most one
frame being read (no larger than `socket.request.max.bytes`) and one response
being written. A size prefix that is negative or above the limit closes the
connection at once, before anything is allocated for it (Kafka's
`InvalidReceiveException`).
"""

from __future__ import annotations

import socket
import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .server import WireServer

_SIZE = struct.Struct(">i")
RECV_CHUNK = 1 << 20          # the most one recv() asks for


class Connection:
    __slots__ = ("server", "sock", "broker_id", "host", "port", "node", "client_id", "software",
                 "_rbuf", "_frame_size", "_wbuf", "in_flight", "closed", "requests", "_interest")

    def __init__(self, server: "WireServer", sock: socket.socket, broker_id: int, peer: tuple) -> None:
        self.server = server
        self.sock = sock
        self.broker_id = broker_id
        self.host, self.port = peer[0], peer[1]
        # How the engine knows this client: a network node of its own.
        self.node = f"client:{self.host}:{self.port}"
        self.client_id: str | None = None
        self.software: str | None = None       # ApiVersions v3+: client_software_name/version
        self._rbuf = bytearray()
        self._frame_size = -1                  # size of the frame being read, once its prefix is in
        self._wbuf = bytearray()
        self.in_flight = False                 # a request is with the engine: the channel is muted
        self.closed = False
        self.requests = 0
        self._interest = 0

    @property
    def label(self) -> str:
        """How the event log names this client: its client.id and address."""
        return f"{self.client_id or 'client'} ({self.host}:{self.port})"

    # -- reading ---------------------------------------------------------------------------
    def wants_read(self) -> bool:
        return not self.closed and not self.in_flight and not self._wbuf

    def on_readable(self) -> None:
        """Read toward the next frame; hand a complete one to the server."""
        if not self.wants_read():
            return
        need = 4 - len(self._rbuf) if self._frame_size < 0 else self._frame_size - len(self._rbuf)
        try:
            data = self.sock.recv(min(max(need, 1), RECV_CHUNK))
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self.close(f"the connection failed ({exc.strerror or exc})")
            return
        if not data:
            self.close("the client closed the connection")
            return
        self._rbuf += data
        self._take_frame()

    def _take_frame(self) -> None:
        if self._frame_size < 0:
            if len(self._rbuf) < 4:
                return
            (size,) = _SIZE.unpack_from(self._rbuf, 0)
            limit = self.server.max_request_bytes
            if size < 0 or size > limit:
                self.server.refuse(self, f"a request size of {size} bytes is {'negative' if size < 0 else 'larger than socket.request.max.bytes=' + str(limit)}; the broker closes the connection")
                return
            self._frame_size = size
            del self._rbuf[:4]
        if len(self._rbuf) < self._frame_size:
            return
        frame = bytes(self._rbuf)
        self._rbuf = bytearray()
        self._frame_size = -1
        self.in_flight = True
        self.requests += 1
        self.server.enqueue(self, frame)

    # -- writing ---------------------------------------------------------------------------
    def send_frame(self, data: bytes | None) -> None:
        """The response to the request in flight (None: acks=0, nothing to send); unmutes."""
        if self.closed:
            return
        self.in_flight = False
        if data:
            self._wbuf += data
            self.on_writable()
        self.server.update_interest(self)

    def on_writable(self) -> None:
        if not self._wbuf or self.closed:
            return
        try:
            sent = self.sock.send(self._wbuf)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self.close(f"the connection failed ({exc.strerror or exc})")
            return
        del self._wbuf[:sent]
        if not self._wbuf:
            self.server.update_interest(self)

    def wants_write(self) -> bool:
        return bool(self._wbuf) and not self.closed

    # -- closing ---------------------------------------------------------------------------
    def close(self, reason: str, *, quiet: bool = False) -> None:
        if self.closed:
            return
        self.closed = True
        self.server.connection_closed(self, reason, quiet=quiet)
        try:
            self.sock.close()
        except OSError:
            pass
        self._rbuf = bytearray()
        self._wbuf = bytearray()
