"""The simulated network between brokers, controllers and clients.

Every request and response is a message that takes `latency` of virtual time
to arrive, in order per pair of nodes (like one TCP connection). A message to
a dead node is refused (the sender learns after one latency that the
connection failed); a message across a cut link is silently lost, so the
sender only finds out through its own timeout. Listeners see every message,
which is what the UI animates.
"""

from __future__ import annotations

from typing import Any, Callable, Hashable

from .clock import Scheduler

NodeId = Hashable


class Disconnected:
    """The response a sender gets when the connection failed or dropped."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"Disconnected({self.reason})"


class Envelope:
    """A request in flight or being handled, with its way back."""

    __slots__ = ("src", "dst", "api", "body", "sent_at", "arrive_at", "on_response", "answered", "correlation_id")

    def __init__(self, src: NodeId, dst: NodeId, api: str, body: Any,
                 on_response: Callable[[Any], None] | None, correlation_id: int) -> None:
        self.src = src
        self.dst = dst
        self.api = api
        self.body = body
        self.on_response = on_response
        self.sent_at = 0
        self.arrive_at = 0
        self.answered = False
        self.correlation_id = correlation_id


class Message:
    """What listeners see: one hop of a request or response across the network."""

    __slots__ = ("src", "dst", "api", "direction", "body", "sent_at", "arrive_at", "lost")

    def __init__(self, src, dst, api, direction, body, sent_at, arrive_at, lost) -> None:
        self.src = src
        self.dst = dst
        self.api = api
        self.direction = direction      # "request" | "response"
        self.body = body
        self.sent_at = sent_at
        self.arrive_at = arrive_at
        self.lost = lost


Handler = Callable[[Envelope], None]


class Network:
    def __init__(self, clock: Scheduler, latency_ms: int = 1) -> None:
        self.clock = clock
        self.latency = latency_ms
        self._handlers: dict[NodeId, Handler] = {}
        self._alive: dict[NodeId, bool] = {}
        self._cut: set[frozenset] = set()
        self._drops: dict[tuple[NodeId, str], int] = {}
        self._listeners: list[Callable[[Message], None]] = []
        self._correlation = 0
        # Requests a live node is still working on, by the node: a process that
        # dies resets these connections and their senders hear about it.
        self._outstanding: dict[NodeId, dict[int, Envelope]] = {}
        self.messages_sent = 0

    # -- topology ----------------------------------------------------------
    def register(self, node: NodeId, handler: Handler) -> None:
        self._handlers[node] = handler
        self._alive[node] = True

    def set_alive(self, node: NodeId, alive: bool) -> None:
        self._alive[node] = alive

    def is_alive(self, node: NodeId) -> bool:
        return self._alive.get(node, False)

    def cut(self, a: NodeId, b: NodeId) -> None:
        self._cut.add(frozenset((a, b)))

    def heal(self, a: NodeId, b: NodeId) -> None:
        self._cut.discard(frozenset((a, b)))

    def connected(self, a: NodeId, b: NodeId) -> bool:
        return frozenset((a, b)) not in self._cut

    def drop_responses(self, node: NodeId, api: str, count: int) -> None:
        """Lose the next `count` responses of `api` sent by `node`."""
        self._drops[(node, api)] = self._drops.get((node, api), 0) + count

    def subscribe(self, listener: Callable[[Message], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    # -- sending -----------------------------------------------------------
    def request(self, src: NodeId, dst: NodeId, api: str, body: Any,
                on_response: Callable[[Any], None] | None = None) -> Envelope:
        """Send a request; `on_response` gets the response body or a `Disconnected`."""
        self._correlation += 1
        env = Envelope(src, dst, api, body, on_response, self._correlation)
        now = self.clock.now
        env.sent_at = now
        env.arrive_at = now + self.latency
        self.messages_sent += 1
        lost = bool(self._cut) and not self.connected(src, dst)
        if self._listeners:
            self._notify(Message(src, dst, api, "request", body, now, env.arrive_at, lost))
        if not lost:
            self.clock.post_at(env.arrive_at, self._deliver_request, env)
        return env

    def _deliver_request(self, env: Envelope) -> None:
        if not self._alive.get(env.dst, False):
            # Connection refused: the sender hears about it one latency later.
            if env.on_response is not None and self._alive.get(env.src, False):
                self.clock.call_later(self.latency, env.on_response, Disconnected("connection refused"))
            return
        if env.on_response is not None:
            outstanding = self._outstanding.get(env.dst)
            if outstanding is None:
                outstanding = self._outstanding[env.dst] = {}
            outstanding[env.correlation_id] = env
        self._handlers[env.dst](env)

    def reset_connections(self, node: NodeId) -> None:
        """`node` died: every request it had not answered fails for its sender."""
        pending = self._outstanding.pop(node, {})
        for env in pending.values():
            env.answered = True
            if self._alive.get(env.src, False) and self.connected(env.src, node):
                self.clock.call_later(self.latency, env.on_response, Disconnected("connection reset"))

    def respond(self, env: Envelope, response: Any) -> None:
        """Send the response to `env` back to its sender (once)."""
        if env.answered:
            return
        env.answered = True
        out = self._outstanding.get(env.dst)
        if out is not None:
            out.pop(env.correlation_id, None)
        if env.on_response is None or not self._alive.get(env.dst, False):
            return
        now = self.clock.now
        arrive = now + self.latency
        self.messages_sent += 1
        lost = bool(self._cut) and not self.connected(env.src, env.dst)
        if not lost and self._drops:
            key = (env.dst, env.api)
            if self._drops.get(key):
                self._drops[key] -= 1
                lost = True
        if self._listeners:
            self._notify(Message(env.dst, env.src, env.api, "response", response, now, arrive, lost))
        if not lost:
            self.clock.post_at(arrive, self._deliver_response, env, response)

    def _deliver_response(self, env: Envelope, response: Any) -> None:
        if self._alive.get(env.src, False):
            env.on_response(response)

    def _notify(self, msg: Message) -> None:
        for listener in self._listeners:
            listener(msg)
