"""`kafka-playground serve`: the cluster headless, in real time, with the wire listener.

`RealTime` makes virtual time follow the wall clock (× speed) and applies a
scenario's timeline steps as their virtual time comes, like the window's
bridge does per frame. `ServeLoop` is the one thread that owns the engine:
it sleeps in the listener's `poll` until a socket is ready or the next engine
callback is due, then runs the clock to now and hands the queued requests to
the engine. Other threads (tests, the benchmark) reach the engine only through
`ServeLoop.call`, which runs a function on that thread.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from concurrent.futures import Future
from typing import Any, Callable

from playground.engine import Cluster
from playground.engine.events import Event, EventKind

from .server import DEFAULT_MAX_REQUEST_BYTES, WireServer

Timeline = list[tuple[int, Callable[[], None]]]
MAX_IDLE_S = 0.05          # the longest poll: listeners follow kills and restarts at least this often
CLIENT_EVENTS = frozenset({EventKind.CLIENT_CONNECTED, EventKind.CLIENT_DISCONNECTED, EventKind.CLIENT_PRODUCED,
                           EventKind.CLIENT_FETCHED, EventKind.CLIENT_REQUEST_REFUSED, EventKind.STEP,
                           EventKind.STEP_ERROR, EventKind.BROKER_KILLED, EventKind.BROKER_RESTARTED,
                           EventKind.LEADER_CHANGED, EventKind.TOPIC_CREATED, EventKind.TOPIC_DELETED})


class RealTime:
    """Virtual milliseconds = where the clock was at the start + real elapsed × speed."""

    def __init__(self, cluster: Cluster, speed: float = 1.0, timeline: Timeline | None = None,
                 wall: Callable[[], float] = time.monotonic) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be above 0, got {speed}")
        self.cluster = cluster
        self.speed = float(speed)
        self._wall = wall
        self._timeline = sorted(timeline or [], key=lambda step: step[0])
        self._next_step = 0
        self._v0 = cluster.now
        self._t0 = wall()

    def target(self) -> int:
        return self._v0 + int((self._wall() - self._t0) * 1000 * self.speed)

    def set_speed(self, speed: float) -> None:
        self._v0, self._t0 = self.target(), self._wall()
        self.speed = float(speed)

    def run_to_now(self) -> None:
        t = self.target()
        clock = self.cluster.clock
        while self._next_step < len(self._timeline) and self._timeline[self._next_step][0] <= t:
            at, apply = self._timeline[self._next_step]
            if at > clock.now:
                clock.run_until(at)
            self._next_step += 1
            apply()
        if t > clock.now:
            clock.run_until(t)

    def seconds_until_next(self) -> float | None:
        """Real seconds until the next engine callback or timeline step (None: nothing scheduled)."""
        times = [t for t in (self.cluster.clock.next_time(), self._timeline_time()) if t is not None]
        if not times:
            return None
        return max(0.0, (min(times) - self.target()) / (1000 * self.speed))

    def _timeline_time(self) -> int | None:
        return self._timeline[self._next_step][0] if self._next_step < len(self._timeline) else None

    @property
    def steps_left(self) -> int:
        return len(self._timeline) - self._next_step


class ServeLoop:
    """The engine's thread: sockets, real time and requests, one after the other."""

    def __init__(self, cluster: Cluster, *, host: str = "127.0.0.1", port: int = 9092, speed: float = 1.0,
                 timeline: Timeline | None = None, advertised_host: str | None = None,
                 max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES) -> None:
        self.cluster = cluster
        self.server = WireServer(cluster, host, port, advertised_host=advertised_host,
                                 max_request_bytes=max_request_bytes)
        self.realtime = RealTime(cluster, speed, timeline)
        self._calls: queue.SimpleQueue[tuple[Callable[[], Any], Future]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self.thread: threading.Thread | None = None

    @property
    def bootstrap(self) -> str:
        return self.server.bootstrap

    def start(self) -> None:
        """Open the listeners (raises OSError when a port is taken)."""
        self.server.start()
        self.realtime = RealTime(self.cluster, self.realtime.speed, self.realtime._timeline)

    def run(self, duration_s: float | None = None) -> None:
        """Serve until `stop()` (or for `duration_s` seconds); closes the listeners at the end."""
        deadline = None if duration_s is None else time.monotonic() + duration_s
        server, rt = self.server, self.realtime
        try:
            while not self._stop.is_set():
                wait = rt.seconds_until_next()
                wait = MAX_IDLE_S if wait is None else min(wait, MAX_IDLE_S)
                server.poll(wait)
                rt.run_to_now()
                self._run_calls()
                server.dispatch()
                server.sync_listeners()
                if deadline is not None and time.monotonic() >= deadline:
                    break
        finally:
            server.close()
            self._fail_pending_calls()

    def start_thread(self) -> "ServeLoop":
        """Start listening and serve on a background thread (tests, the benchmark)."""
        self.start()
        self.thread = threading.Thread(target=self.run, name="kafka-playground-serve", daemon=True)
        self.thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.server.wakeup()
        if self.thread is not None and self.thread is not threading.current_thread():
            self.thread.join(timeout)

    def call(self, fn: Callable[[], Any], timeout: float = 30.0) -> Any:
        """Run `fn` on the engine's thread and return its result (or raise its exception)."""
        if self.thread is None or self.thread is threading.current_thread():
            return fn()
        future: Future = Future()
        self._calls.put((fn, future))
        self.server.wakeup()
        return future.result(timeout)

    def _run_calls(self) -> None:
        while True:
            try:
                fn, future = self._calls.get_nowait()
            except queue.Empty:
                return
            try:
                future.set_result(fn())
            except BaseException as exc:        # handed to the caller's thread
                future.set_exception(exc)

    def _fail_pending_calls(self) -> None:
        while True:
            try:
                _, future = self._calls.get_nowait()
            except queue.Empty:
                return
            future.set_exception(RuntimeError("the serve loop stopped"))


def serve_cluster(brokers: int, seed: int = 0) -> Cluster:
    """A cluster for `serve` without a scenario. Like Kafka's single-node example
    configuration, the internal topics' replication factor (and transaction.state.log.min.isr)
    is lowered to what the cluster can hold, so groups and transactions work on 1 or 2 brokers."""
    config: dict[str, Any] = {}
    if brokers < 3:
        config = {"offsets.topic.replication.factor": brokers, "transaction.state.log.replication.factor": brokers,
                  "transaction.state.log.min.isr": min(2, brokers)}
    return Cluster(brokers=brokers, seed=seed, config=config)


def print_event(event: Event, out=sys.stdout) -> None:
    seconds = event.time / 1000
    print(f"[{seconds:10.3f}s] {event.text}", file=out, flush=True)


def run_serve(brokers: int = 3, host: str = "127.0.0.1", port: int = 9092, scenario: str | None = None,
              speed: float = 1.0, all_events: bool = False, advertised_host: str | None = None,
              duration_s: float | None = None) -> int:
    """The `serve` command; returns the exit code."""
    timeline: Timeline = []
    if scenario is not None:
        from playground.scenario.loader import ScenarioError, load_scenario
        from playground.scenario.runner import ScenarioRun
        try:
            run = ScenarioRun(load_scenario(scenario))
        except ScenarioError as exc:
            print(f"kafka-playground serve: {exc}", file=sys.stderr)
            return 2
        cluster, timeline = run.cluster, run.timeline()
    else:
        if brokers < 1:
            print("kafka-playground serve: --brokers must be at least 1", file=sys.stderr)
            return 2
        cluster = serve_cluster(brokers)
    if not speed > 0:
        print(f"kafka-playground serve: --speed must be above 0, got {speed}", file=sys.stderr)
        return 2
    loop = ServeLoop(cluster, host=host, port=port, speed=speed, timeline=timeline, advertised_host=advertised_host)
    try:
        loop.start()
    except OSError as exc:
        print(f"kafka-playground serve: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    cluster.events.subscribe(lambda e: print_event(e) if all_events or e.kind in CLIENT_EVENTS else None)
    ids = sorted(cluster.brokers)
    print(f"Kafka Playground: {len(ids)} simulated broker(s), virtual time at {speed:g}× real time.")
    for bid in ids:
        h, p = loop.server.address_of(bid)
        print(f"  broker {bid} listens on {host}:{p} (advertised as {h}:{p})")
    print(f"bootstrap.servers={loop.bootstrap}")
    print("Ctrl+C stops.", flush=True)
    try:
        loop.run(duration_s)
    except KeyboardInterrupt:
        pass
    print("kafka-playground serve: stopped.")
    return 0
