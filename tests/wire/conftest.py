"""Fixtures for the wire tests: a served cluster on free loopback ports, and the real clients.

The serve loop runs on a background thread, which is then the only thread that touches the
engine; a test reaches the engine through `served.call(fn)`. Clients (kcat, confluent-kafka,
kafka-python) are skipped with a reason only when they are missing here and CI is not set: in
CI (CI=true) a missing client fails the test, so CI never passes by skipping.
"""

from __future__ import annotations

import importlib
import os
import shutil
import socket
import struct
import time
from typing import Any, Callable

import pytest

from playground.engine import Cluster
from playground.wire.serve import ServeLoop

# Test clusters: rebalances start without Kafka's 3 s group.initial.rebalance.delay.ms wait, and a
# killed broker is fenced after 3 s instead of 9 s, so the tests run in seconds of real time.
FAST_CONFIG = {"group.initial.rebalance.delay.ms": 0, "broker.session.timeout.ms": 3000,
               "broker.heartbeat.interval.ms": 500}


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_module(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        if in_ci():
            pytest.fail(f"{name} is not installed, but CI must run this test (pip install -e '.[test]')")
        pytest.skip(f"{name} is not installed (pip install -e '.[test]' installs it)")


def require_binary(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        if in_ci():
            pytest.fail(f"{name} is not installed, but CI must run this test (.ci/run installs Debian's {package})")
        pytest.skip(f"{name} is not installed (apt-get install {package})")
    return path


class Served:
    """A cluster served on loopback; `call` runs a function on the engine's thread."""

    def __init__(self, loop: ServeLoop) -> None:
        self.loop = loop
        self.cluster = loop.cluster
        self.bootstrap = loop.bootstrap

    def call(self, fn: Callable[[], Any]) -> Any:
        return self.loop.call(fn)

    def events(self, kind=None) -> list:
        return self.call(lambda: [e for e in self.cluster.events.history if kind is None or e.kind == kind])

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 20.0, what: str = "a condition") -> None:
        """Poll `predicate` (run on the engine's thread) until it holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.call(predicate):
                return
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}")

    def port_of(self, broker_id: int) -> int:
        return self.loop.server.ports[broker_id]


def serve(brokers: int = 3, config: dict | None = None, **kwargs: Any) -> Served:
    cluster = Cluster(brokers=brokers, seed=kwargs.pop("seed", 0), config={**FAST_CONFIG, **(config or {})})
    loop = ServeLoop(cluster, host="127.0.0.1", port=0, **kwargs)
    loop.start_thread()
    return Served(loop)


@pytest.fixture
def served():
    s = serve()
    yield s
    s.loop.stop()


@pytest.fixture
def make_served():
    made: list[Served] = []

    def make(*args: Any, **kwargs: Any) -> Served:
        s = serve(*args, **kwargs)
        made.append(s)
        return s

    yield make
    for s in made:
        s.loop.stop()


# -- a raw client for frame-level tests -------------------------------------------------------------
def connect(port: int, timeout: float = 5.0) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.settimeout(timeout)
    return sock


def read_frame(sock: socket.socket) -> bytes | None:
    """One response frame's body, or None when the broker closed the connection."""
    head = _read_exactly(sock, 4)
    if head is None:
        return None
    (size,) = struct.unpack(">i", head)
    return _read_exactly(sock, size)


def _read_exactly(sock: socket.socket, n: int) -> bytes | None:
    out = bytearray()
    while len(out) < n:
        try:
            chunk = sock.recv(n - len(out))
        except ConnectionResetError:
            return None
        if not chunk:
            return None
        out += chunk
    return bytes(out)
