"""The one place where Qt meets the engine: time, signals and commands.

`SimulationBridge` owns the QTimer that moves virtual time forward by
`real elapsed x speed` every frame, applies a scenario's timeline as time
passes, and forwards what the engine reports (events, network messages) as
Qt signals. Views bind to these signals, read the cluster through `view()`
and change it only through the bridge's commands.

Virtual time in the engine is whole milliseconds; the bridge also keeps a
fractional `display_time` (>= the clock's `now`) so a message taking 50 ms
glides smoothly across the screen when time runs at 0.1x.

A busy cluster emits thousands of events and messages per second: the bridge hands them to
views in lists (`events_emitted`, `messages_sent`), once per frame rather than one Qt signal
each. And a frame gives the engine only what the views and the repaint leave of a 60 Hz
frame (`pace.FrameBudget`): when the simulation cannot do a frame's virtual time in that, it
stops there and virtual time falls behind (the window stays smooth, the simulation slows
down), and `pace` says by how much.
"""

from __future__ import annotations

import traceback
from typing import Callable

from PySide6.QtCore import QElapsedTimer, QMetaMethod, QObject, Qt, QTimer, Signal

from playground.engine import Cluster
from playground.storage import Journal
from playground.storage.actions import consumer_started, header_pairs, producer_started

from . import commands
from .pace import IDLE_COLLECT_MS, Collector, FrameBudget, Pace

SPEEDS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0)
# How long one network hop should stay on screen at the default speed.
VISIBLE_HOP_MS = 500.0
FRAME_MS = 16
# A frame that took longer than this (a debugger, a slow machine) does not
# make virtual time leap: the simulation slows down instead.
MAX_FRAME_MS = 100
# tick()'s default: the engine gets what the frame budget leaves it (see pace.FrameBudget).
ADAPTIVE = -1.0
# While running to a far time (fast-forward, a step), views get what happened at least every
# this many virtual ms, so that what they read from the view matches the events' time closely.
FLUSH_MS = 16

Timeline = list[tuple[int, Callable[[], None]]]


def default_speed(latency_ms: int) -> float:
    """The largest listed speed at which one hop stays on screen for VISIBLE_HOP_MS of real time.

    The built-in cluster's 50 ms hops give 0.1x; scenario files with Kafka-like
    1-2 ms hops get the slowest speed, 0.05x (their hops are then a blink: give
    such a scenario `network_latency: 50ms` to watch it).
    """
    fitting = [s for s in SPEEDS if latency_ms / s >= VISIBLE_HOP_MS]
    return fitting[-1] if fitting else SPEEDS[0]


class SimulationBridge(QObject):
    time_changed = Signal(int)          # the engine clock moved to this virtual ms
    events_emitted = Signal(list)       # the engine Events since the last batch, in order (once a frame)
    messages_sent = Signal(list)        # the network Messages (hops of requests or responses), likewise
    event_emitted = Signal(object)      # one engine Event (emitted from the batch, only when connected)
    message_sent = Signal(object)       # one network Message (likewise)
    frame = Signal(float)               # redraw: display time in (fractional) virtual ms
    running_changed = Signal(bool)
    speed_changed = Signal(float)
    failed = Signal(str)                # a timeline step raised something other than KafkaError
    pace_changed = Signal(float)        # achieved / chosen speed, when it changes (1.0: keeping up)

    def __init__(self, cluster: Cluster, timeline: Timeline | None = None, *, speed: float | None = None,
                 running: bool = True, journal: Journal | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cluster = cluster
        # Every command below is recorded here at its instant: a workspace saves it, and replaying it
        # rebuilds this cluster (playground/storage). Without one, record from now on; a timeline from
        # elsewhere would not be recorded, so such a cluster is not saveable (no set-up).
        self.journal = journal if journal is not None else (
            Journal.for_cluster(cluster) if not timeline else Journal(cluster, None))
        self._timeline = sorted(timeline or [], key=lambda step: step[0])
        self._next_step = 0
        self._speed = float(speed) if speed is not None else default_speed(cluster.network.latency)
        self._running = False
        self._display = float(cluster.clock.now)
        self._owed = 0.0                    # virtual ms earlier frames wanted and could not do
        self._events_out: list = []         # what the engine reported since the last batch
        self._messages_out: list = []
        self._batching = False              # inside run_to: batch; otherwise deliver at once
        self._one_event = QMetaMethod.fromSignal(self.event_emitted)
        self._one_message = QMetaMethod.fromSignal(self.message_sent)
        self.pace = Pace()
        self.frame_budget = FrameBudget()
        self.collector = Collector()            # Python's full collections: out of the frames
        # A frame's cost is its tick (the engine, the views' folding) plus the repaints that follow it,
        # which the window reports (`painted`): the event dispatcher's sleep and wake signals do not
        # bracket posted repaints on every platform, so they cannot say it.
        self._frame_clock = QElapsedTimer()     # since the running frame's tick began
        self._frame_open = False
        self._tick_ms = 0.0                     # the running frame's tick
        self._paint_ms = 0.0                    # ... and its repaints so far
        self._engine_ms = 0.0
        self._unsubscribe = [cluster.events.subscribe(self._engine_event),
                             cluster.network.subscribe(self._engine_message)]
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self.tick)
        self._elapsed = QElapsedTimer()
        # Called at the start of every running frame, before time moves (the wire listener's service;
        # views claiming the frame for heavy work, see pace.FrameBudget.claim).
        self.frame_hooks: list[Callable[[], None]] = []
        self.run_to(cluster.clock.now)      # timeline steps due at the start
        if running:
            self.resume()

    # -- reading -------------------------------------------------------------
    def view(self):
        """The read-only interface every view uses."""
        return self._cluster.view()

    @property
    def event_history(self):
        """The engine's event list, for random access by the event log (read only).

        `ClusterView.events(since)` copies a slice on every call, which a list
        model asking for row i cannot afford.
        """
        return self._cluster.events.history

    @property
    def now(self) -> int:
        return self._cluster.clock.now

    @property
    def display_time(self) -> float:
        return self._display

    @property
    def running(self) -> bool:
        return self._running

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def timer_active(self) -> bool:
        return self._timer.isActive()

    def next_step_time(self) -> int | None:
        """When the next thing happens: an engine callback or a timeline step."""
        times = [t for t in (self._cluster.clock.next_time(), self._timeline_time()) if t is not None]
        return min(times) if times else None

    def _timeline_time(self) -> int | None:
        return self._timeline[self._next_step][0] if self._next_step < len(self._timeline) else None

    # -- time control ----------------------------------------------------------
    def pause(self) -> None:
        if self._running:
            self._running = False
            self._timer.stop()
            self.running_changed.emit(False)
            QTimer.singleShot(IDLE_COLLECT_MS, self, self._collect_if_idle)

    def resume(self) -> None:
        if not self._running:
            self._running = True
            self._elapsed.start()
            self.pace.reset()
            self._owed = 0.0
            self._frame_open = False        # a frame cut by the pause says nothing about its cost
            self._timer.start()
            self.running_changed.emit(True)

    def _collect_if_idle(self) -> None:
        if not self._running:
            self.collector.idle()

    def toggle(self) -> None:
        if self._running:
            self.pause()
        else:
            self.resume()

    def set_speed(self, speed: float) -> None:
        speed = min(SPEEDS[-1], max(SPEEDS[0], float(speed)))
        if speed != self._speed:
            self._speed = speed
            self.pace.reset()
            self._owed = 0.0
            self.speed_changed.emit(speed)

    def faster(self) -> None:
        self.set_speed(next((s for s in SPEEDS if s > self._speed), SPEEDS[-1]))

    def slower(self) -> None:
        self.set_speed(next((s for s in reversed(SPEEDS) if s < self._speed), SPEEDS[0]))

    def step(self) -> int | None:
        """Pause, then run exactly the callbacks (and timeline steps) of the next instant."""
        self.pause()
        t = self.next_step_time()
        if t is None:
            return None
        self.run_to(t)
        self._display = max(self._display, float(t))
        self.frame.emit(self._display)
        return t

    def tick(self, real_elapsed_ms: float | None = None, budget_ms: float | None = ADAPTIVE) -> None:
        """One frame: move virtual time by real elapsed time x speed (nothing when paused), spending at
        most `budget_ms` of wall time in the engine (by default what the frame budget leaves it; None:
        no limit); what does not fit is left for later frames, so the simulation slows down rather
        than the window."""
        if real_elapsed_ms is None:
            real_elapsed_ms = self._elapsed.restart()
        if not self._running:
            return
        if self._frame_open:
            self.frame_budget.frame_done(self._tick_ms + self._paint_ms, self._engine_ms)
        painting = self.frame_budget.start_frame(self.pace.behind)
        self._frame_clock.start()
        self._frame_open, self._paint_ms = True, 0.0
        self.collector.frame(real_elapsed_ms)
        for hook in list(self.frame_hooks):
            hook()
        start = self._display
        # What earlier frames could not do is owed (up to one long frame's worth): a frame with room, a
        # quiet one after a frame claimed for heavy drawing, catches up instead of the time being lost.
        wanted = min(real_elapsed_ms, MAX_FRAME_MS) * self._speed
        target = start + wanted + self._owed
        if budget_ms == ADAPTIVE:
            budget_ms = self.frame_budget.engine_ms()
        engine = QElapsedTimer()
        engine.start()
        reached = self.run_to(int(target), budget_ms)
        self._engine_ms = engine.nsecsElapsed() / 1e6
        self._display = max(target if reached >= int(target) else float(reached), float(self.now))
        self._owed = min(MAX_FRAME_MS * self._speed, max(0.0, target - self._display))
        if self.pace.record(real_elapsed_ms, wanted, self._display - start):
            self.pace_changed.emit(self.pace.ratio if self.pace.behind else 1.0)
        if painting:
            self.frame.emit(self._display)
        self._tick_ms = self._frame_clock.nsecsElapsed() / 1e6

    def run_to(self, t: int, budget_ms: float | None = None) -> int:
        """Run virtual time to `t`, applying timeline steps as their time comes; returns the time
        reached, earlier than `t` when `budget_ms` of wall time ran out first.

        The engine runs one instant (the callbacks due at one virtual ms) at a time, the budget
        checked between instants; what the engine reported goes to the views in batches."""
        clock = self._cluster.clock
        before = clock.now
        watch = QElapsedTimer()
        watch.start()
        flushed = before
        nested, self._batching = self._batching, True
        try:
            while True:
                due = self._timeline_time()
                if due is not None and due <= t and due <= clock.now:
                    apply = self._timeline[self._next_step][1]
                    self._next_step += 1
                    apply()                 # after the callbacks due at its instant, as always
                    continue
                stop = t if due is None or due > t else due
                nxt = clock.next_time()
                if nxt is not None and nxt < stop:
                    stop = max(nxt, clock.now)
                if stop >= clock.now:
                    clock.run_until(stop)
                if clock.now - flushed >= FLUSH_MS:
                    self._flush()
                    flushed = clock.now
                if clock.now >= t and (due is None or due > t):
                    break
                if budget_ms is not None and watch.nsecsElapsed() >= budget_ms * 1e6:
                    break
        except Exception:           # a broken step must not kill the window; show it and stop
            self.pause()
            self.failed.emit(traceback.format_exc())
        finally:
            self._batching = nested
            self._flush()
        if clock.now != before:
            self.time_changed.emit(clock.now)
        if self._display < clock.now:
            self._display = float(clock.now)
        return clock.now

    def painted(self, ms: float) -> None:
        """The window repainted for `ms` (its UpdateRequest): part of the running frame's cost."""
        if self._frame_open:
            self._paint_ms += ms

    def _engine_event(self, event) -> None:
        self._events_out.append(event)
        if not self._batching:          # a command outside a frame: the views hear of it at once
            self._flush()

    def _engine_message(self, message) -> None:
        self._messages_out.append(message)
        if not self._batching:
            self._flush()

    def _flush(self) -> None:
        """Hand what the engine reported since the last batch to the views."""
        if self._events_out:
            events, self._events_out = self._events_out, []
            self.events_emitted.emit(events)
            if self.isSignalConnected(self._one_event):
                for event in events:
                    self.event_emitted.emit(event)
        if self._messages_out:
            messages, self._messages_out = self._messages_out, []
            self.messages_sent.emit(messages)
            if self.isSignalConnected(self._one_message):
                for message in messages:
                    self.message_sent.emit(message)

    def show_at(self, t: int) -> None:
        """Run to `t` and draw exactly that instant (screenshots, tests)."""
        self.run_to(t)
        self._display = float(max(t, self.now))
        self.frame.emit(self._display)

    # -- commands (the only way views change the cluster) ---------------------------
    def produce(self, topic: str, value: str | None, key: str | None = None, headers: tuple = (),
                acks: str = "all", count: int = 1, partition: int | None = None) -> str:
        mark = self.journal.mark()
        name = commands.produce(self._cluster, topic, value, key, headers, acks, count, partition)
        self.journal.record("produce", {"topic": topic, "key": key or None, "value": value, "count": count,
                                        "headers": header_pairs(headers), "partition": partition, "acks": acks,
                                        "producer": name}, mark=mark)
        self.frame.emit(self._display)
        return name

    def create_topic(self, name: str, partitions: int, replication_factor: int,
                     min_insync_replicas: int | None = None) -> None:
        """Raises KafkaError (and changes nothing) when Kafka refuses."""
        mark = self.journal.mark()
        commands.create_topic(self._cluster, name, partitions, replication_factor, min_insync_replicas)
        config = {} if min_insync_replicas is None else {"min.insync.replicas": min_insync_replicas}
        self.journal.record("create_topic", {"name": name, "partitions": partitions,
                                             "replication_factor": replication_factor, "config": config}, mark=mark)
        self.frame.emit(self._display)

    # Faults: each raises KafkaError (Kafka's error name and a sentence) and changes nothing when refused.
    def kill_broker(self, node_id: int) -> None:
        self._command(commands.kill_broker, node_id, record=("kill_broker", {"broker": node_id}))

    def restart_broker(self, node_id: int) -> None:
        self._command(commands.restart_broker, node_id, record=("restart_broker", {"broker": node_id}))

    def isolate_broker(self, broker_id: int) -> None:
        self._command(commands.isolate_broker, broker_id, record=("isolate_broker", {"broker": broker_id}))

    def heal(self, broker_id: int) -> None:
        self._command(commands.heal, broker_id, record=("heal", {"broker": broker_id}))

    def slow_broker(self, broker_id: int, replication_delay: int) -> None:
        self._command(commands.slow_broker, broker_id, replication_delay,
                      record=("slow_broker", {"broker": broker_id, "replication_delay": replication_delay}))

    def kill_controller(self) -> int:
        return self._command(commands.kill_controller, record=lambda killed: ("kill_broker", {"broker": killed}))

    # Consumers and groups: the same, KafkaError when refused (nothing started, stopped or reset).
    def start_consumer(self, name: str, group: str, topics: list[str], **options) -> None:
        """options: assignor, commit, processing_time, max_poll_records, auto_offset_reset, session_timeout_ms
        (see commands.start_consumer)."""
        self._command(lambda c: commands.start_consumer(c, name, group, topics, **options),
                      record=lambda _: ("start_consumer", consumer_started(self._cluster, name.strip())))

    def stop_consumer(self, name: str) -> None:
        self._command(commands.stop_consumer, name, record=("stop_consumer", {"name": name}))

    def crash_consumer(self, name: str) -> None:
        self._command(commands.crash_consumer, name, record=("crash_consumer", {"name": name}))

    def pause_consumer(self, name: str) -> None:
        self._command(commands.pause_consumer, name, record=("pause_consumer", {"name": name}))

    def resume_consumer(self, name: str) -> None:
        self._command(commands.resume_consumer, name, record=("resume_consumer", {"name": name}))

    def reset_offsets(self, group: str, topic: str, to: str) -> dict:
        return self._command(commands.reset_offsets, group, topic, to,
                             record=("reset_offsets", {"group": group, "topic": topic, "to": to}))

    # Producers with a send loop: KafkaError when refused (nothing created, started or stopped).
    def start_producer(self, name: str, topic: str, rate: str = "", key: str = "", value: str = "record {i}",
                       **config: str) -> None:
        """Start (empty rate: only configure) a producer; config in Python spellings, e.g. linger_ms="50"
        (see commands.start_producer)."""
        self._command(lambda c: commands.start_producer(c, name, topic, rate, key, value, **config),
                      record=lambda _: ("start_producer", producer_started(self._cluster, name.strip(),
                                                                           bool(rate.strip()))))

    def stop_producer(self, name: str) -> None:
        self._command(commands.stop_producer, name, record=("stop_producer", {"name": name}))

    # The Kafka CLI console: a tool runs on the cluster; one that needs time (a console consumer, a
    # producer waiting for acks) moves on as this bridge advances the clock.
    def run_tool(self, argv: list[str], write: Callable[[str, str], None]):
        """Start `argv` (kafka-topics, kafka-console-consumer, ...) as a terminal would; returns the
        running `playground.tools.Command` (its output goes to `write(text, "out" | "err")`). Journalled,
        as is what it is told later (`tool_signal`): a replay runs the same command with its output discarded."""
        command = self.journal.start_tool(argv, write)
        self.frame.emit(self._display)
        return command

    def tool_signal(self, command, action: str, line: str = "") -> None:
        """Tell a running console command: "input" (one line), "end_input" (Ctrl+D) or "stop" (Ctrl+C)."""
        if action == "input":
            self.journal.feed_tool(command, line)
        elif action == "end_input":
            self.journal.end_tool_input(command)
        elif action == "stop":
            self.journal.stop_tool(command)
        else:
            raise ValueError(f"unknown console signal {action!r}")
        self.frame.emit(self._display)

    def complete(self, text: str) -> tuple[int, list[str]]:
        """Tab completion of a console command line: (start of the word, candidates)."""
        from playground.tools.complete import complete
        return complete(self._cluster.view(), text)

    # Topic configuration: KafkaError (INVALID_CONFIG and Kafka's sentence) when refused, nothing changed.
    def alter_topic_config(self, topic: str, config: dict[str, str]) -> None:
        self._command(commands.alter_topic_config, topic, config,
                      record=("alter_config", {"topic": topic, "broker": None, "config": dict(config)}))

    def _command(self, command, *args, record=None):
        """Run a command; once it succeeded, journal `record`: (action, args), or a function of the result
        giving them."""
        mark = self.journal.mark()
        result = command(self._cluster, *args)
        if record is not None:
            action, journal_args = record(result) if callable(record) else record
            self.journal.record(action, journal_args, mark=mark)
        self.frame.emit(self._display)
        return result

    def close(self) -> None:
        self.pause()
        self.collector.idle()               # nothing frozen outlives the window that froze it
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
