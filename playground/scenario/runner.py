"""Runs a validated scenario against the engine in virtual time.

Setup (cluster and topics) happens at time 0 as if the cluster had been
running; steps then apply in order and only `wait` moves time. A step Kafka
refuses is recorded in `step_errors` and the run goes on.
"""

from __future__ import annotations

from typing import Any, Callable

from playground.engine import Cluster, KafkaError
from playground.engine.errors import Errors
from playground.engine.events import EventKind

from .expect import evaluate
from .loader import ScenarioError
from .report import build_report
from .schema import Scenario, Step, key_for, render_template

# start_producer arguments that are the producer's configuration (Kafka's names).
PRODUCER_CONFIG_KEYS = ("acks", "enable.idempotence", "linger.ms", "batch.size", "compression.type", "retries",
                        "max.in.flight.requests.per.connection", "transactional.id", "partitioner",
                        "delivery.timeout.ms", "request.timeout.ms")

# start_consumer arguments handed to the engine as consumer configuration (Kafka's names,
# plus the playground's `commit`, `processing_time` and `assignor`).
CONSUMER_CONFIG_KEYS = ("assignor", "auto.offset.reset", "enable.auto.commit", "auto.commit.interval.ms", "commit",
                        "processing_time", "max.poll.records", "session.timeout.ms", "heartbeat.interval.ms",
                        "max.poll.interval.ms", "isolation.level", "group.instance.id")


def _to_bytes(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")


def build_cluster(scn: Scenario) -> Cluster:
    """The cluster and setup topics; Kafka's refusals make the file invalid."""
    spec = scn.cluster
    try:
        cluster = Cluster(brokers=spec.brokers, seed=scn.seed, controllers=spec.controllers,
                          network_latency=spec.network_latency, config=spec.config, mode=spec.controller)
    except KafkaError as exc:
        raise ScenarioError(scn.filename, spec.line, "cluster.config", f"{exc.error.name}: {exc.message}") from None
    for i, topic in enumerate(scn.topics):
        try:
            cluster.create_topic(topic.name, topic.partitions, topic.replication_factor, topic.config,
                                 immediate=True)
        except KafkaError as exc:
            raise ScenarioError(scn.filename, topic.line, f"topics[{i}]",
                                f"{exc.error.name}: {exc.message}") from None
    return cluster


class ScenarioRun:
    def __init__(self, scn: Scenario, cluster: Cluster | None = None) -> None:
        self.scenario = scn
        self.cluster = cluster if cluster is not None else build_cluster(scn)
        self.step_errors: list[dict[str, Any]] = []
        self._producer_acks: dict[str, str] = {}
        self._step: Step | None = None

    # -- steps -------------------------------------------------------------------
    def apply(self, step: Step) -> None:
        try:
            self.perform(step)
        except KafkaError as exc:
            self._step_error(step, exc.error, exc.message)

    def perform(self, step: Step) -> None:
        """Apply a step; Kafka's refusal comes back as KafkaError, with no step error noted
        (a workspace replays the window's commands through here)."""
        handler: Callable[[dict], None] = getattr(self, f"_do_{step.action}")
        self._step = step
        handler(step.args)

    def _step_error(self, step: Step, error: Errors, message: str) -> None:
        self.step_errors.append({"step": step.index, "action": step.action, "error": error.name, "message": message})
        self.cluster.events.emit(EventKind.STEP_ERROR,
                                 f"Step {step.index} ({step.action}) was refused: {error.name} — {message}",
                                 step=step.index, action=step.action, error=error.name)

    def _when_done(self, step: Step) -> Callable[[Errors, str], None]:
        """A callback for an action that completes later (commitTransaction): a failure is a step error."""
        def done(error: Errors, message: str) -> None:
            if error != Errors.NONE:
                self._step_error(step, error, message)
        return done

    def run(self) -> None:
        for step in self.scenario.steps:
            self.apply(step)

    def timeline(self) -> list[tuple[int, Callable[[], None]]]:
        """The steps placed on virtual time, for the GUI to apply as time passes."""
        out: list[tuple[int, Callable[[], None]]] = []
        t = self.cluster.now
        for step in self.scenario.steps:
            if step.action == "wait":
                t += step.args["duration"]
                continue
            out.append((t, lambda step=step: self.apply(step)))
        return out

    def _do_wait(self, args: dict) -> None:
        self.cluster.advance(args["duration"])

    def _do_create_topic(self, args: dict) -> None:
        self.cluster.create_topic(args["name"], args["partitions"], args["replication_factor"], args["config"])

    def _do_delete_topic(self, args: dict) -> None:
        self.cluster.delete_topic(args["name"])

    def _do_add_partitions(self, args: dict) -> None:
        self.cluster.add_partitions(args["topic"], args["count"])

    def _do_alter_config(self, args: dict) -> None:
        if args.get("topic") is not None:
            self.cluster.alter_config("topic", args["topic"], args["config"])
            return
        ref = args["broker"]
        if ref.kind != "all":
            # The engine keeps one set of broker settings for the whole cluster.
            raise KafkaError(Errors.INVALID_REQUEST,
                             f"per-broker settings ({ref}) are not supported yet; use broker: all for the "
                             "cluster-wide default")
        self.cluster.alter_config("broker", "", args["config"])

    def _do_produce(self, args: dict) -> None:
        name = args["producer"]
        acks = str(args["acks"])
        existing = self._producer_acks.get(name)
        if existing is not None and existing != acks:
            raise KafkaError(Errors.INVALID_CONFIG,
                             f"producer {name} was created with acks={existing}; a producer's acks is fixed "
                             f"when it is created, so use another producer name for acks={acks}")
        self._producer_acks[name] = acks
        producer = self.cluster.producer(name, acks=acks)
        topic = args["topic"]
        headers_t = args.get("headers") or {}
        for i in range(args["count"]):
            key = key_for(args, i)
            value = render_template(args.get("value"), i)
            headers = tuple((str(k), _to_bytes(render_template(v, i))) for k, v in headers_t.items())
            producer.send(topic, _to_bytes(value), key=_to_bytes(key), headers=headers,
                          partition=args.get("partition"), timestamp=args.get("timestamp"))

    def _do_start_producer(self, args: dict) -> None:
        name = args["name"]
        config = {k: args[k] for k in PRODUCER_CONFIG_KEYS if args.get(k) is not None}
        # Without a rate this only configures the producer, for later produce steps.
        self.cluster.start_producer(name, args["topic"], args["rate"], args["key"], args["value"], **config)
        self._producer_acks[name] = str(args["acks"])

    def _do_stop_producer(self, args: dict) -> None:
        self.cluster.stop_producer(args["name"])

    def _brokers(self, ref) -> list[int]:
        """Broker ids a BrokerRef names when the step runs."""
        if ref.kind == "id":
            return [ref.id]
        if ref.kind == "leader_of":
            return [self.cluster.leader_of(ref.partition.topic, ref.partition.partition)]
        if ref.kind == "all":
            return self.cluster.dead_nodes()
        if ref.kind == "controller":
            active = self.cluster.active_controller_id()
            if active is None:
                raise KafkaError(Errors.NOT_CONTROLLER, "there is no active controller right now: the quorum is "
                                                        "still electing one")
            return [active]
        raise KafkaError(Errors.INVALID_REQUEST, f"{ref} is not supported")

    def _do_kill_broker(self, args: dict) -> None:
        for b in self._brokers(args["broker"]):
            self.cluster.kill_broker(b)

    def _do_restart_broker(self, args: dict) -> None:
        for b in self._brokers(args["broker"]):
            self.cluster.restart_broker(b)

    def _do_isolate_broker(self, args: dict) -> None:
        for b in self._brokers(args["broker"]):
            self.cluster.isolate_broker(b)

    def _do_heal(self, args: dict) -> None:
        ref = args["broker"]
        targets = self.cluster.isolated_brokers() if ref.kind == "all" else self._brokers(ref)
        for b in targets:
            self.cluster.heal(b)

    def _do_drop_requests(self, args: dict) -> None:
        for b in self._brokers(args["broker"]):
            self.cluster.drop_requests(b, args["api"], args["count"])

    def _do_elect_leaders(self, args: dict) -> None:
        tp = args["partition"]
        self.cluster.elect_leaders(tp.topic, tp.partition, args["type"])

    def _do_slow_broker(self, args: dict) -> None:
        for b in self._brokers(args["broker"]):
            self.cluster.slow_broker(b, args["replication_delay"])

    # -- transactions ----------------------------------------------------------------
    def _transactional(self, name: str):
        producer = self.cluster.producers.get(name)
        if producer is None or producer.closed:
            raise KafkaError(Errors.INVALID_TXN_STATE,
                             f"there is no producer {name}; start_producer it with a transactional.id first")
        return producer

    def _do_begin_transaction(self, args: dict) -> None:
        self._transactional(args["producer"]).begin_transaction()

    def _do_commit_transaction(self, args: dict) -> None:
        self._transactional(args["producer"]).commit_transaction(self._when_done(self._step))

    def _do_abort_transaction(self, args: dict) -> None:
        self._transactional(args["producer"]).abort_transaction(self._when_done(self._step))

    # -- consumers -----------------------------------------------------------------
    def _do_start_consumer(self, args: dict) -> None:
        name = args["name"]
        old = self.cluster.consumers.get(name)
        if old is not None and old.alive:
            raise KafkaError(Errors.INVALID_REQUEST,
                             f"consumer {name} is already running (group {old.group_id}); stop_consumer or "
                             f"crash_consumer it before starting it again")
        config = {key: args[key] for key in CONSUMER_CONFIG_KEYS}
        if args.get("output") is not None:
            config["output"] = args["output"]
            config["output.topic"] = args["output.topic"]
        # A consumer that ran before under this name starts again: a restart (with
        # group.instance.id, a static member coming back).
        self.cluster.consumer(name, group_id=args["group"], topics=list(args["topics"]), **config)

    def _running_consumer(self, name: str, action: str, closing_ok: bool = False):
        """The consumer a stop/crash/pause/resume step names; refused unless it is running
        (and, but for a crash, not already shutting down)."""
        consumer = self.cluster.consumers.get(name)
        if consumer is None:
            known = sorted(self.cluster.consumers)
            started = f"consumers started so far: {', '.join(known)}" if known else "no consumer has been started yet"
            raise KafkaError(Errors.INVALID_REQUEST,
                             f"cannot {action} consumer {name}: there is no such consumer; {started}")
        if not consumer.alive:
            raise KafkaError(Errors.INVALID_REQUEST,
                             f"cannot {action} consumer {name}: it is not running (it {consumer.app_state}); "
                             "start_consumer starts it again")
        if consumer.closing and not closing_ok:
            raise KafkaError(Errors.INVALID_REQUEST,
                             f"cannot {action} consumer {name}: it is already shutting down (stop_consumer)")
        return consumer

    def _do_stop_consumer(self, args: dict) -> None:
        self._running_consumer(args["name"], "stop").close()

    def _do_crash_consumer(self, args: dict) -> None:
        # A process may die while it shuts down (before its last commit and LeaveGroup).
        self._running_consumer(args["name"], "crash", closing_ok=True).crash()

    def _do_pause_consumer(self, args: dict) -> None:
        consumer = self._running_consumer(args["name"], "pause")
        if consumer.paused:
            raise KafkaError(Errors.INVALID_REQUEST, f"consumer {consumer.name} is already paused")
        consumer.pause()

    def _do_resume_consumer(self, args: dict) -> None:
        consumer = self._running_consumer(args["name"], "resume")
        if not consumer.paused:
            raise KafkaError(Errors.INVALID_REQUEST,
                             f"consumer {consumer.name} is not paused; pause_consumer stops its poll loop first")
        consumer.resume()

    def _do_reset_offsets(self, args: dict) -> None:
        self.cluster.reset_offsets(args["group"], args["topic"], args["to"], partition=args["partition"])

    # -- report --------------------------------------------------------------------
    def report(self, with_events: bool = False) -> dict[str, Any]:
        scn = self.scenario
        report = build_report(self.cluster.view(), scn.name, scn.seed, self.step_errors, with_events)
        report["expectations"] = evaluate(report, scn.expect)
        return report


def open_for_gui(path: str):
    """Load a scenario for the window: (cluster, timeline of (time_ms, apply))."""
    from .loader import load_scenario
    scn = load_scenario(path)
    run = ScenarioRun(scn)
    return run.cluster, run.timeline()
