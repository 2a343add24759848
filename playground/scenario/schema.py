"""The scenario contract (`/work/shared/scenario-format.md`): check and normalise.

`validate_document(doc, filename)` walks the tree `loader` built and returns a
`Scenario` whose steps carry normalised arguments: defaults filled, durations
in milliseconds, partitions as `TopicPartition`, brokers as `BrokerRef`. The
first problem raises `ScenarioError` naming the line and the key path.

What is checked here is what can be known before anything runs: shapes,
types, names, broker ids against the cluster, `topic/partition` references
against topics that exist by then, and setup topics Kafka would refuse
(with Kafka's error name). What Kafka refuses at run time (an
`add_partitions` that shrinks, a `create_topic` step with too many replicas)
is left to the runner, which lists it under `step_errors`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple, Optional

from .expect import Expectation, ExpectationError, parse_expectation
from .loader import Document, PathT, Reader, describe as _describe, hint as _hint

from .vocabulary import (ACTIONS, APIS, ASSIGNORS, BROKER_ID_BASE, CLUSTER_KEYS, COMMIT_MODES, COMPRESSION_TYPES,
                         CONSUMER_DEFAULTS, DEFAULT_PRODUCER, PARTITIONERS, PRODUCE_KEYS, PRODUCER_DEFAULTS,
                         START_CONSUMER_KEYS, START_PRODUCER_KEYS, TOP_KEYS, TOPIC_KEYS)


class TopicPartition(NamedTuple):
    """`orders/0`; a tuple, so it equals and hashes like the engine's TopicPartition."""

    topic: str
    partition: int

    def __str__(self) -> str:
        return f"{self.topic}/{self.partition}"


@dataclass(frozen=True)
class BrokerRef:
    """A broker named by a step: `id` (101, or a KRaft controller id where
    allowed), `leader_of` a partition (resolved when the step runs),
    `controller` (the active controller) or `all`."""

    kind: str  # "id" | "leader_of" | "controller" | "all"
    id: Optional[int] = None
    partition: Optional[TopicPartition] = None

    def __str__(self) -> str:
        if self.kind == "id":
            return str(self.id)
        if self.kind == "leader_of":
            return f"leader_of {self.partition}"
        return self.kind


@dataclass
class ClusterSpec:
    brokers: int = 3
    controller: str = "kraft"  # kraft | zookeeper
    controllers: int = 3  # KRaft quorum voters; 0 in zookeeper mode
    network_latency: int = 1  # ms, one way
    config: dict[str, Any] = field(default_factory=dict)
    line: Optional[int] = None  # of `cluster:` (of the document when there is none)

    @property
    def broker_ids(self) -> list[int]:
        return list(range(BROKER_ID_BASE, BROKER_ID_BASE + self.brokers))

    @property
    def controller_ids(self) -> list[int]:
        return list(range(1, self.controllers + 1)) if self.controller == "kraft" else []


@dataclass
class TopicSpec:
    name: str
    partitions: int = 1
    replication_factor: int = 1
    config: dict[str, Any] = field(default_factory=dict)
    line: Optional[int] = None


@dataclass
class Step:
    index: int  # 0-based, as in `steps[3]`
    action: str
    args: dict[str, Any]
    line: Optional[int] = None


@dataclass
class Scenario:
    name: str
    description: str
    seed: int
    cluster: ClusterSpec
    topics: list[TopicSpec]
    steps: list[Step]
    expect: list[Expectation]
    filename: str = "<scenario>"


# --- templates --------------------------------------------------------------


def render_template(value: Any, i: int) -> Any:
    """Replace `{i}` with the record's index, in a string, a mapping's values
    (headers) or a list's items; None (null key, tombstone) stays None."""
    if isinstance(value, str):
        return value.replace("{i}", str(i))
    if isinstance(value, dict):
        return {k: render_template(v, i) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [render_template(v, i) for v in value]
    return value


def key_for(args: dict[str, Any], i: int) -> Optional[str]:
    """The key of record `i`: a list of keys is taken in turn."""
    key = args.get("key")
    if isinstance(key, (list, tuple)):
        key = key[i % len(key)] if key else None
    return render_template(key, i)


def value_for(args: dict[str, Any], i: int) -> Optional[str]:
    return render_template(args.get("value"), i)


def headers_for(args: dict[str, Any], i: int) -> dict[str, Optional[str]]:
    return render_template(args.get("headers") or {}, i)


# --- validation -------------------------------------------------------------


def _name_action(what: str, key: str = "name") -> Callable[["_Validator", Any, PathT], dict]:
    """An action whose argument is just a name: `stop_consumer: c1` -> {"name": "c1"}."""

    def action(self: "_Validator", v: Any, p: PathT) -> dict:
        return {key: self.text(v, p, f"a {what} name")}

    return action


def _broker_action(**allow: bool) -> Callable[["_Validator", Any, PathT], dict]:
    """An action naming one node (a broker, or a KRaft controller by id)."""

    def action(self: "_Validator", v: Any, p: PathT) -> dict:
        return {"broker": self.broker_ref(v, p, p, nodes=True, **allow)}

    return action


def validate_document(doc: Document, filename: str) -> Scenario:
    return _Validator(doc, filename).scenario()


class _Validator(Reader):
    def __init__(self, doc: Document, filename: str) -> None:
        super().__init__(doc, filename)
        self.cluster = ClusterSpec()
        self.topics: dict[str, int] = {}  # statically known topic -> most partitions it can have
        self.producer_acks: dict[str, str] = {}  # producer -> acks at its first use
        self.producer_setups: dict[str, dict] = {}  # producer -> its last start_producer arguments
        self.auto_create = True
        self.default_partitions = 1
        self.default_rf = 1

    def topic_partition(self, value: Any, path: PathT) -> TopicPartition:
        text = self.text(value, path, "a partition like orders/0")
        topic, sep, number = text.rpartition("/")
        if not sep or not topic or not number.isdigit():
            self.fail(path, f"'{text}' is not a partition; write topic/partition, like orders/0")
        tp = TopicPartition(topic, int(number))
        if topic not in self.topics:
            known = f"topics are {', '.join(sorted(self.topics))}" if self.topics else "there are no topics yet"
            self.fail(path, f"topic '{topic}' does not exist at this step; {known}")
        count = self.topics[topic]
        if tp.partition >= count:
            self.fail(path, f"partition {tp} does not exist; '{topic}' has {count} partition(s), 0 to {count - 1}")
        return tp

    def note_topic_use(self, topic: str) -> None:
        """Producing to or subscribing to a topic auto-creates it (auto.create.topics.enable)."""
        if self.auto_create and topic not in self.topics:
            self.topics[topic] = self.default_partitions

    def broker_ref(self, value: Any, path: PathT, action_path: PathT, *, allow_all: bool = False,
                   allow_controller: bool = False, nodes: bool = False) -> BrokerRef:  # fmt: skip
        """`101` | `{broker: 101}` | `{leader_of: orders/0}` | `{controller: true}` | `all`.

        `nodes`: KRaft controller ids (1, 2, 3) are accepted too."""
        forms = ["a broker id (101)", "{leader_of: orders/0}"]
        if allow_controller:
            forms.append("{controller: true}")
        if allow_all:
            forms.append("all")
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return BrokerRef("id", id=self.check_node(value, action_path, path, nodes))
        if allow_all and value == "all":
            return BrokerRef("all")
        if isinstance(value, dict):
            keys = ("broker", "leader_of") + (("controller",) if allow_controller else ())
            self.mapping(value, path, keys)
            if len(value) != 1:
                self.fail(path, f"name one broker: exactly one of {', '.join(keys)}")
            (key, item), = value.items()
            p = path + (key,)
            if key == "broker":
                if isinstance(item, bool) or not isinstance(item, int):
                    self.fail(p, f"expected a broker id; got {_describe(item)}")
                return BrokerRef("id", id=self.check_node(item, action_path, p, nodes))
            if key == "leader_of":
                return BrokerRef("leader_of", partition=self.topic_partition(item, p))
            if item is not True:
                self.fail(p, f"controller: true kills the active controller; got {_describe(item)}")
            return BrokerRef("controller")
        self.fail(path, f"expected {', '.join(forms[:-1])} or {forms[-1]}; got {_describe(value)}")

    def check_node(self, node_id: int, action_path: PathT, at: PathT, nodes: bool) -> int:
        c = self.cluster
        if node_id in c.broker_ids or (nodes and node_id in c.controller_ids):
            return node_id
        message = f"broker {node_id} does not exist; brokers are {', '.join(map(str, c.broker_ids))}"
        if nodes and c.controller_ids and node_id < BROKER_ID_BASE:
            message += f"; controllers are {', '.join(map(str, c.controller_ids))}"
        self.fail(action_path, message, at=at)

    # -- sections --

    def scenario(self) -> Scenario:
        data = self.doc.data
        if data is None:
            self.fail((), "the file is empty; a scenario is a mapping with at least `name:`")
        if not isinstance(data, dict):
            self.fail((), f"a scenario is a mapping ({', '.join(TOP_KEYS)}); got {_describe(data)}")
        m = self.mapping(data, (), TOP_KEYS, required=("name",))
        name = self.text(m["name"], ("name",), "a name")
        description = "" if m.get("description") is None else self.text(m["description"], ("description",), "text")
        seed = self.integer(m.get("seed", 0), ("seed",))
        self.cluster = self.cluster_spec(m.get("cluster"), ("cluster",))
        topics = self.topic_specs(m.get("topics"), ("topics",))
        steps = self.steps(m.get("steps"), ("steps",))
        expect = self.expectations(m.get("expect"), ("expect",))
        return Scenario(name, description, seed, self.cluster, topics, steps, expect, self.filename)

    def cluster_spec(self, value: Any, path: PathT) -> ClusterSpec:
        m = self.mapping(value, path, CLUSTER_KEYS)
        brokers = self.integer(m.get("brokers", 3), path + ("brokers",), minimum=1)
        controller = self.choice(m.get("controller", "kraft"), path + ("controller",), ("kraft", "zookeeper"))
        if controller == "zookeeper":
            if "controllers" in m:
                self.fail(path + ("controllers",), "controllers (KRaft quorum voters) does not apply to "
                          "controller: zookeeper, where one broker is the controller")  # fmt: skip
            controllers = 0
        else:
            controllers = self.integer(m.get("controllers", 3), path + ("controllers",), minimum=1, maximum=BROKER_ID_BASE - 1)
        latency = self.duration(m.get("network_latency", 1), path + ("network_latency",))
        config = self.config(m.get("config"), path + ("config",))
        self.auto_create = str(config.get("auto.create.topics.enable", True)).lower() != "false"
        for attr, key in (("default_partitions", "num.partitions"), ("default_rf", "default.replication.factor")):
            if isinstance(config.get(key), int) and not isinstance(config[key], bool) and config[key] >= 1:
                setattr(self, attr, config[key])
        return ClusterSpec(brokers, controller, controllers, latency, config, self.doc.line_of(path))

    def topic_specs(self, value: Any, path: PathT) -> list[TopicSpec]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(path, f"expected a list of topics (- name: orders); got {_describe(value)}")
        specs: list[TopicSpec] = []
        for i, item in enumerate(value):
            p = path + (i,)
            m = self.mapping(item, p, TOPIC_KEYS, required=("name",))
            name = self.text(m["name"], p + ("name",), "a topic name")
            partitions = self.integer(m.get("partitions", self.default_partitions), p + ("partitions",))
            if partitions < 1:
                self.fail(p + ("partitions",), "Number of partitions was set to an invalid non-positive value.",
                          error_name="INVALID_PARTITIONS")  # fmt: skip
            rf = self.integer(m.get("replication_factor", self.default_rf), p + ("replication_factor",))
            if rf < 1:
                self.fail(p + ("replication_factor",), "Replication factor must be larger than 0.",
                          error_name="INVALID_REPLICATION_FACTOR")  # fmt: skip
            config = self.config(m.get("config"), p + ("config",))
            self.topics[name] = max(self.topics.get(name, 0), partitions)
            specs.append(TopicSpec(name, partitions, rf, config, self.doc.line_of(p)))
        return specs

    def steps(self, value: Any, path: PathT) -> list[Step]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(path, f"expected a list of steps (- wait: 5s); got {_describe(value)}")
        steps = []
        for i, item in enumerate(value):
            p = path + (i,)
            if not isinstance(item, dict):
                self.fail(p, f"a step is a mapping with one action, like `- wait: 5s`; got {_describe(item)}")
            keys = list(item)
            if len(keys) != 1:
                found = f"found {len(keys)}: {', '.join(keys)}" if keys else "found none"
                self.fail(p, f"a step has exactly one action; {found}", at=p + tuple(keys[1:2]))
            action = keys[0]
            if action not in ACTIONS:
                self.fail(p + (action,), f"unknown action '{action}'{_hint(action, ACTIONS)}; actions are {', '.join(ACTIONS)}")
            args = getattr(self, f"_{action}")(item[action], p + (action,))
            steps.append(Step(i, action, args, self.doc.line_of(p)))
        return steps

    def expectations(self, value: Any, path: PathT) -> list[Expectation]:
        if value is None:
            return []
        if not isinstance(value, dict):
            self.fail(path, f"expected a mapping of report paths to expected values; got {_describe(value)}")
        out = []
        for key, expected in value.items():
            line = self.doc.line_of(path + (key,))
            try:
                out.append(parse_expectation(key, expected, line))
            except ExpectationError as exc:
                self.fail(path + (key,), str(exc))
        return out

    # -- actions: each returns the step's normalised args --

    def _create_topic(self, v: Any, p: PathT) -> dict:
        m = self.mapping(v, p, TOPIC_KEYS, required=("name",))
        name = self.text(m["name"], p + ("name",), "a topic name")
        partitions = self.integer(m.get("partitions", self.default_partitions), p + ("partitions",), minimum=1)
        rf = self.integer(m.get("replication_factor", self.default_rf), p + ("replication_factor",), minimum=1)
        config = self.config(m.get("config"), p + ("config",))
        self.topics[name] = max(self.topics.get(name, 0), partitions)
        return {"name": name, "partitions": partitions, "replication_factor": rf, "config": config}

    _delete_topic = _name_action("topic")

    def _add_partitions(self, v: Any, p: PathT) -> dict:
        m = self.mapping(v, p, ("topic", "count"), required=("topic", "count"))
        topic = self.text(m["topic"], p + ("topic",), "a topic name")
        count = self.integer(m["count"], p + ("count",), minimum=1)
        if topic in self.topics:
            self.topics[topic] = max(self.topics[topic], count)
        return {"topic": topic, "count": count}

    def _alter_config(self, v: Any, p: PathT) -> dict:
        m = self.mapping(v, p, ("topic", "broker", "config"), required=("config",))
        if ("topic" in m) == ("broker" in m):
            self.fail(p, "alter_config takes either topic or broker (not both)")
        topic = self.text(m["topic"], p + ("topic",), "a topic name") if "topic" in m else None
        broker = self.broker_ref(m["broker"], p + ("broker",), p, allow_all=True) if "broker" in m else None
        config = self.config(m["config"], p + ("config",), allow_null=True)
        return {"topic": topic, "broker": broker, "config": config}

    def acks(self, value: Any, path: PathT) -> str:
        text = str(value).strip().lower() if isinstance(value, (str, int)) and not isinstance(value, bool) else None
        if text not in ("0", "1", "all", "-1"):
            self.fail(path, f'acks must be "0", "1" or "all"; got {_describe(value)}')
        return "all" if text == "-1" else text

    def key_arg(self, value: Any, path: PathT) -> Any:
        if isinstance(value, list):
            if not value:
                self.fail(path, "a list of keys needs at least one key")
            return [self.template(item, path + (i,)) for i, item in enumerate(value)]
        return self.template(value, path)

    def _produce(self, v: Any, p: PathT) -> dict:
        m = self.mapping(v, p, PRODUCE_KEYS, required=("topic",))
        topic = self.text(m["topic"], p + ("topic",), "a topic name")
        headers = m.get("headers") or {}
        if not isinstance(headers, dict):
            self.fail(p + ("headers",), f"headers is a mapping of header names to values; got {_describe(headers)}")
        producer = self.text(m.get("producer", DEFAULT_PRODUCER), p + ("producer",), "a producer name")
        partition = m.get("partition")
        # A producer's acks is fixed when it is created: without acks, a step
        # gets the acks of the producer's first use (start_producer or produce).
        acks = self.acks(m["acks"], p + ("acks",)) if "acks" in m else self.producer_acks.get(producer, "all")
        self.producer_acks.setdefault(producer, acks)
        self.note_topic_use(topic)
        return {
            "topic": topic,
            "key": self.key_arg(m.get("key"), p + ("key",)),
            "value": self.template(m.get("value"), p + ("value",)),
            "headers": {k: self.template(h, p + ("headers", k)) for k, h in headers.items()},
            "partition": None if partition is None else self.integer(partition, p + ("partition",), minimum=0),
            "count": self.integer(m.get("count", 1), p + ("count",), minimum=1),
            "acks": acks,
            "producer": producer,
            "timestamp": None if m.get("timestamp") is None else self.timestamp(m["timestamp"], p + ("timestamp",)),
        }

    def _start_producer(self, v: Any, p: PathT) -> dict:
        m = self.mapping(v, p, START_PRODUCER_KEYS)
        args: dict[str, Any] = {"name": self.text(m.get("name", DEFAULT_PRODUCER), p + ("name",), "a producer name")}
        args["topic"] = None if m.get("topic") is None else self.text(m["topic"], p + ("topic",), "a topic name")
        rate = m.get("rate")
        if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate <= 0):
            self.fail(p + ("rate",), f"rate is records per second, a number above 0; got {_describe(rate)}")
        if rate is not None and args["topic"] is None:
            self.fail(p, "a producer with a rate needs a topic to send to")
        args["rate"] = rate
        args["key"] = self.key_arg(m.get("key"), p + ("key",))
        args["value"] = self.template(m.get("value"), p + ("value",))
        get = lambda k: m.get(k, PRODUCER_DEFAULTS[k])  # noqa: E731
        args["acks"] = self.acks(get("acks"), p + ("acks",))
        for k in ("linger.ms", "delivery.timeout.ms", "request.timeout.ms"):
            args[k] = self.duration(get(k), p + (k,))
        args["batch.size"] = self.integer(get("batch.size"), p + ("batch.size",), minimum=0)
        args["retries"] = self.integer(get("retries"), p + ("retries",), minimum=0)
        mif = "max.in.flight.requests.per.connection"
        args[mif] = self.integer(get(mif), p + (mif,), minimum=1)
        args["compression.type"] = self.choice(get("compression.type"), p + ("compression.type",), COMPRESSION_TYPES)
        tid = m.get("transactional.id")
        args["transactional.id"] = None if tid is None else self.text(tid, p + ("transactional.id",), "a transactional.id")
        part = self.text(get("partitioner"), p + ("partitioner",), "a partitioner")
        if part not in PARTITIONERS:
            self.fail(p + ("partitioner",), f"'{part}' is not a partitioner; use default or round_robin")
        args["partitioner"] = PARTITIONERS[part]
        self.producer_idempotence(m, args, p)
        if args["topic"] is not None:
            self.note_topic_use(args["topic"])
        self.producer_acks.setdefault(args["name"], args["acks"])
        self.producer_setups[args["name"]] = args
        return args

    def producer_idempotence(self, m: dict, args: dict, p: PathT) -> None:
        """Kafka's ProducerConfig rules (3.2+): idempotence is on by default
        but quietly off when acks/retries/in-flight conflict, unless set
        explicitly, when the conflict is a ConfigException."""
        mif = "max.in.flight.requests.per.connection"
        conflicts = []
        if args["acks"] != "all":
            conflicts.append("Must set acks to all in order to use the idempotent producer. "
                             "Otherwise we cannot guarantee idempotence.")  # fmt: skip
        if args["retries"] == 0:
            conflicts.append("Must set retries to non-zero when using the idempotent producer.")
        if args[mif] > 5:
            conflicts.append(f"Must set {mif} to at most 5 to use the idempotent producer.")
        explicit = "enable.idempotence" in m
        idempotent = self.boolean(m["enable.idempotence"], p + ("enable.idempotence",)) if explicit else True
        if conflicts and (explicit and idempotent or args["transactional.id"] is not None):
            self.fail(p, f"Kafka refuses this producer config (ConfigException): {conflicts[0]}")
        if not explicit and conflicts:
            idempotent = False
        if args["transactional.id"] is not None and not idempotent:
            self.fail(p, "Kafka refuses this producer config (ConfigException): "
                      "Cannot set a transactional.id without also enabling idempotence.")  # fmt: skip
        args["enable.idempotence"] = idempotent
        floor = args["linger.ms"] + args["request.timeout.ms"]
        if args["delivery.timeout.ms"] < floor:
            if "delivery.timeout.ms" in m:
                self.fail(p + ("delivery.timeout.ms",), "Kafka refuses this producer config (ConfigException): "
                          "delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms")  # fmt: skip
            args["delivery.timeout.ms"] = floor  # what KafkaProducer does when it was not set

    _stop_producer = _name_action("producer")
    _begin_transaction = _commit_transaction = _abort_transaction = _name_action("producer", "producer")
    _stop_consumer = _crash_consumer = _pause_consumer = _resume_consumer = _name_action("consumer")

    def _start_consumer(self, v: Any, p: PathT) -> dict:
        m = self.mapping(v, p, START_CONSUMER_KEYS, required=("name", "group", "topics"))
        args: dict[str, Any] = {
            "name": self.text(m["name"], p + ("name",), "a consumer name"),
            "group": self.text(m["group"], p + ("group",), "a group id"),
        }
        raw_topics = m["topics"] if isinstance(m["topics"], list) else [m["topics"]]
        path_of = (lambda i: p + ("topics", i)) if isinstance(m["topics"], list) else (lambda i: p + ("topics",))
        if not raw_topics:
            self.fail(p + ("topics",), "a consumer subscribes to at least one topic")
        topics = [self.text(t, path_of(i), "a topic name") for i, t in enumerate(raw_topics)]
        args["topics"] = list(dict.fromkeys(topics))
        get = lambda k: m.get(k, CONSUMER_DEFAULTS[k])  # noqa: E731
        args["assignor"] = self.choice(get("assignor"), p + ("assignor",), ASSIGNORS)
        args["auto.offset.reset"] = self.choice(get("auto.offset.reset"), p + ("auto.offset.reset",), ("earliest", "latest", "none"))
        auto = self.boolean(m["enable.auto.commit"], p + ("enable.auto.commit",)) if "enable.auto.commit" in m else None
        if "commit" in m:
            commit = self.choice(m["commit"], p + ("commit",), COMMIT_MODES)
            if auto is not None and auto != (commit == "auto"):
                self.fail(p + ("enable.auto.commit",), f"enable.auto.commit: {str(auto).lower()} contradicts "
                          f"commit: {commit}; leave enable.auto.commit out")  # fmt: skip
        else:
            commit = "auto" if auto is not False else "none"
        args["commit"] = commit
        args["enable.auto.commit"] = commit == "auto"
        for k in ("auto.commit.interval.ms", "processing_time", "session.timeout.ms",
                  "heartbeat.interval.ms", "max.poll.interval.ms"):  # fmt: skip
            args[k] = self.duration(get(k), p + (k,))
        args["max.poll.records"] = self.integer(get("max.poll.records"), p + ("max.poll.records",), minimum=1)
        args["isolation.level"] = self.choice(get("isolation.level"), p + ("isolation.level",), ("read_uncommitted", "read_committed"))
        for k, what in (("group.instance.id", "a group.instance.id"), ("output", "a producer name")):
            args[k] = None if m.get(k) is None else self.text(m[k], p + (k,), what)
        if commit == "transactional" and args["output"] is None:
            self.fail(p, "commit: transactional needs output: the transactional producer that commits the offsets")
        args["output.topic"] = None
        if args["output"] is not None:
            setup = self.producer_setups.get(args["output"])
            if setup is None or setup["topic"] is None:
                self.fail(p + ("output",), f"output: {args['output']} must be a producer that an earlier "
                          "start_producer step configured with the topic to write to")
            if commit == "transactional" and setup["transactional.id"] is None:
                self.fail(p + ("output",), f"commit: transactional needs a transactional producer, but "
                          f"{args['output']} has no transactional.id")
            args["output.topic"] = setup["topic"]
        for topic in args["topics"]:
            self.note_topic_use(topic)
        return args

    def _reset_offsets(self, v: Any, p: PathT) -> dict:
        m = self.mapping(v, p, ("group", "topic", "to"), required=("group", "topic", "to"))
        group = self.text(m["group"], p + ("group",), "a group id")
        topic = self.text(m["topic"], p + ("topic",), "a topic name or topic/partition")
        partition = None
        if "/" in topic:
            tp = self.topic_partition(topic, p + ("topic",))
            topic, partition = tp.topic, tp.partition
        to, tp_ = m["to"], p + ("to",)
        if to in ("earliest", "latest"):
            target = {"type": to, "value": None}
        elif isinstance(to, dict):
            self.mapping(to, tp_, ("offset", "shift_by", "datetime"))
            if len(to) != 1:
                self.fail(tp_, "to: takes exactly one of offset, shift_by, datetime")
            (kind, item), = to.items()
            if kind == "offset":
                value = self.integer(item, tp_ + (kind,), minimum=0)
            elif kind == "shift_by":
                value = self.integer(item, tp_ + (kind,))
            else:
                value = self.timestamp(item, tp_ + (kind,))
            target = {"type": kind, "value": value}
        else:
            self.fail(tp_, f"to: is earliest, latest, {{offset: N}}, {{shift_by: N}} or {{datetime: ...}}; got {_describe(to)}")
        return {"group": group, "topic": topic, "partition": partition, "to": target}

    _kill_broker = _isolate_broker = _broker_action(allow_controller=True)
    _restart_broker = _heal = _broker_action(allow_all=True)

    def _slow_broker(self, v: Any, p: PathT) -> dict:
        m = self.mapping(v, p, ("broker", "replication_delay"), required=("broker", "replication_delay"))
        return {"broker": self.broker_ref(m["broker"], p + ("broker",), p),
                "replication_delay": self.duration(m["replication_delay"], p + ("replication_delay",))}

    def _drop_requests(self, v: Any, p: PathT) -> dict:
        m = self.mapping(v, p, ("broker", "api", "count"), required=("broker", "api"))
        return {"broker": self.broker_ref(m["broker"], p + ("broker",), p),
                "api": self.choice(m["api"], p + ("api",), APIS),
                "count": self.integer(m.get("count", 1), p + ("count",), minimum=1)}

    def _elect_leaders(self, v: Any, p: PathT) -> dict:
        m = self.mapping(v, p, ("partition", "type"), required=("partition",))
        return {"partition": self.topic_partition(m["partition"], p + ("partition",)),
                "type": self.choice(m.get("type", "preferred"), p + ("type",), ("preferred", "unclean"))}

    def _wait(self, v: Any, p: PathT) -> dict:
        return {"duration": self.duration(v, p)}
