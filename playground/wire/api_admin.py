"""Admin requests on the wire: CreateTopics, DeleteTopics, CreatePartitions, IncrementalAlterConfigs,
DescribeConfigs and DescribeCluster.

In KRaft a broker forwards the writes to the active controller (KIP-590's
ForwardingManager); here the broker's forward is the cluster façade's call on
the active controller, which decides and appends the metadata records. Like
Kafka, a CreateTopics (or CreatePartitions) with a timeout is answered once
the broker the client asked has the new metadata, or when the timeout runs out.
The reads answer from the metadata image of the broker the client is connected to.
"""

from __future__ import annotations

from typing import Any, Callable

from playground.engine.config import BROKER_CONFIGS, BROKER_TO_TOPIC, TOPIC_CONFIGS
from playground.engine.errors import Errors, KafkaError
from playground.engine.protocol import (AlterConfigsResource, CreatableTopic, CreatePartitionsRequest,
                                        CreatePartitionsTopic, CreateTopicsRequest, DeleteTopicsRequest,
                                        IncrementalAlterConfigsRequest, TopicResult)

from .codec import millis, topic_id_text
from .exchange import Exchange

RESOURCE_TOPIC = 2
RESOURCE_BROKER = 4
# DescribeConfigs ConfigSource
TOPIC_CONFIG, DYNAMIC_DEFAULT_BROKER_CONFIG, STATIC_BROKER_CONFIG, DEFAULT_CONFIG = 1, 3, 4, 5
# DescribeConfigs ConfigType
BOOLEAN, STRING, INT, LONG, DOUBLE, LIST = 1, 2, 3, 5, 6, 7
LONG_CONFIGS = frozenset({"retention.bytes", "log.retention.bytes"})
POLL_MS = 5                        # how often a waiting CreateTopics looks at the broker's metadata
UNSUPPORTED_ENDPOINT_TYPE = 115


def _controller_call(x: Exchange, decide: Callable[[Any], Any]) -> Any:
    """Run a decision on the active controller; KafkaError(NOT_CONTROLLER) while there is none."""
    cluster = x.cluster
    if cluster.active_controller_id() is None:
        raise KafkaError(Errors.NOT_CONTROLLER, "There is no active controller right now: the quorum is electing "
                                                "one; try again.")
    controller = cluster.controller
    return controller.apply(decide(controller), reason=f" because {x.client} asked broker {x.broker_id}")


def _when_visible(x: Exchange, names: list[str], timeout_ms: int, check: Callable[[str], bool],
                  then: Callable[[], None]) -> None:
    """Call `then` once `check(name)` holds for every name on the client's broker, or at the timeout."""
    deadline = x.cluster.now + max(0, timeout_ms)
    clock = x.cluster.clock

    def poll() -> None:
        if x.conn.closed:
            return
        if all(check(n) for n in names) or clock.now >= deadline:
            then()
            return
        clock.call_later(POLL_MS, poll)

    poll()


# -- CreateTopics (19) -------------------------------------------------------------------------
def create_topics(x: Exchange) -> None:
    req = x.request
    topics, refused = [], {}
    for t in req.topics:
        if t.assignments:
            refused[t.name] = (Errors.INVALID_REQUEST, "The playground places replicas itself; manual replica "
                                                       "assignments are not supported.")
            continue
        configs = {c.name: c.value for c in t.configs}
        topics.append(CreatableTopic(t.name, int(t.num_partitions), int(t.replication_factor), configs))
    validate = bool(getattr(req, "validate_only", False))
    try:
        resp = x.cluster.create_topics(CreateTopicsRequest(topics, validate)) if topics else None
        results = {r.name: r for r in resp.topics} if resp else {}
    except KafkaError as exc:
        results = {t.name: TopicResult(t.name, exc.error, exc.message) for t in topics}
    for name, (error, message) in refused.items():
        results[name] = TopicResult(name, error, message)
    created = [n for n, r in results.items() if r.error == Errors.NONE]
    image = x.broker.image

    def answer() -> None:
        x.respond(topics=[_created(x, results[t.name]) for t in req.topics if t.name in results])

    if validate or not created:
        answer()
        return
    _when_visible(x, created, millis(req.timeout), lambda n: _has_leaders(image, n), answer)


def _has_leaders(image, name: str) -> bool:
    t = image.topics.get(name)
    return t is not None and bool(t.partitions) and all(p.leader >= 0 for p in t.partitions)


def _created(x: Exchange, r: TopicResult) -> dict[str, Any]:
    out: dict[str, Any] = {"name": r.name, "error_code": r.error, "error_message": r.error_message,
                           "topic_id": r.topic_id, "num_partitions": r.num_partitions,
                           "replication_factor": r.replication_factor}
    if r.error == Errors.NONE:
        overrides = {}
        topic = x.cluster.controller.image.topics.get(r.name)
        if topic is not None:
            overrides = topic.configs
        out["configs"] = [{"name": name, "value": _text(value), "read_only": False, "config_source": source,
                           "is_sensitive": False}
                          for name, value, source in _topic_values(x, overrides)]
    return out


# -- DeleteTopics (20) -----------------------------------------------------------------------------
def delete_topics(x: Exchange) -> None:
    req = x.request
    image = x.cluster.controller.image
    if x.version >= 6:
        asked = []
        for t in req.topics:
            name = t.name
            if name is None:
                known = image.topics_by_id.get(topic_id_text(t.topic_id))
                name = known.name if known is not None else None
            asked.append((name, t.topic_id))
    else:
        asked = [(name, None) for name in req.topic_names]
    names = [n for n, _ in asked if n is not None]
    try:
        resp = _controller_call(x, lambda c: c.delete_topics(DeleteTopicsRequest(names)))
        results = {r.name: r for r in resp.topics}
    except KafkaError as exc:
        results = {n: TopicResult(n, exc.error, exc.message) for n in names}
    out = []
    for name, topic_id in asked:
        if name is None:
            out.append({"name": None, "topic_id": topic_id, "error_code": 100,
                        "error_message": "This server does not host this topic ID."})
            continue
        r = results[name]
        out.append({"name": name, "topic_id": r.topic_id or topic_id, "error_code": r.error,
                    "error_message": r.error_message})
    x.respond(responses=out)


# -- CreatePartitions (37) ---------------------------------------------------------------------------
def create_partitions(x: Exchange) -> None:
    req = x.request
    validate = bool(req.validate_only)
    body = CreatePartitionsRequest([CreatePartitionsTopic(t.name, int(t.count)) for t in req.topics], validate)
    try:
        resp = _controller_call(x, lambda c: c.create_partitions(body))
        results = {r.name: r for r in resp.topics}
    except KafkaError as exc:
        results = {t.name: TopicResult(t.name, exc.error, exc.message) for t in body.topics}
    for t in req.topics:
        if t.assignments and results[t.name].error == Errors.NONE:
            results[t.name] = TopicResult(t.name, Errors.INVALID_REQUEST, "The playground places replicas itself; "
                                          "manual replica assignments are not supported.")

    def answer() -> None:
        x.respond(results=[{"name": t.name, "error_code": results[t.name].error,
                            "error_message": results[t.name].error_message} for t in req.topics])

    grown = {t.name: int(t.count) for t in req.topics if results[t.name].error == Errors.NONE}
    image = x.broker.image
    if validate or not grown:
        answer()
        return
    _when_visible(x, list(grown), millis(req.timeout),
                  lambda n: n in image.topics and len(image.topics[n].partitions) >= grown[n], answer)


# -- IncrementalAlterConfigs (44) ----------------------------------------------------------------------
def incremental_alter_configs(x: Exchange) -> None:
    req = x.request
    out = []
    for res in req.resources:
        kind = {RESOURCE_TOPIC: "topic", RESOURCE_BROKER: "broker"}.get(int(res.resource_type))
        error, message = Errors.NONE, None
        configs: dict[str, Any] = {}
        for c in res.configs:
            op = int(c.config_operation)
            if op not in (0, 1):
                error, message = Errors.INVALID_REQUEST, ("APPEND and SUBTRACT are not supported by the playground; "
                                                          "SET the whole list instead.")
            configs[c.name] = c.value if op == 0 else None
        if kind is None:
            error, message = Errors.INVALID_REQUEST, f"Resource type {res.resource_type} cannot be altered here."
        if error == Errors.NONE:
            resource = AlterConfigsResource(kind, res.resource_name, configs)
            try:
                resp = _controller_call(x, lambda c: c.alter_configs(
                    IncrementalAlterConfigsRequest([resource], bool(req.validate_only))))
                error, message = resp.resources[0].error, resp.resources[0].error_message
            except KafkaError as exc:
                error, message = exc.error, exc.message
        out.append({"error_code": error, "error_message": message, "resource_type": int(res.resource_type),
                    "resource_name": res.resource_name})
    x.respond(responses=out)


# -- DescribeConfigs (32) --------------------------------------------------------------------------------
def describe_configs(x: Exchange) -> None:
    req = x.request
    image = x.broker.image
    results = []
    for res in req.resources:
        keys = set(res.configuration_keys) if res.configuration_keys is not None else None
        kind = int(res.resource_type)
        base = {"resource_type": kind, "resource_name": res.resource_name, "error_message": None, "configs": []}
        if kind == RESOURCE_TOPIC:
            topic = image.topics.get(res.resource_name)
            if topic is None:
                results.append(dict(base, error_code=Errors.UNKNOWN_TOPIC_OR_PARTITION,
                                    error_message=f"Topic '{res.resource_name}' does not exist."))
                continue
            values = _topic_values(x, topic.configs)
        elif kind == RESOURCE_BROKER:
            if res.resource_name not in ("", str(x.broker_id)):
                results.append(dict(base, error_code=Errors.INVALID_REQUEST,
                                    error_message=f"Broker {x.broker_id} describes only its own configs, not "
                                                  f"{res.resource_name!r}."))
                continue
            values = _broker_values(x)
        else:
            results.append(dict(base, error_code=Errors.INVALID_REQUEST,
                                error_message=f"Resource type {kind} is not described here."))
            continue
        configs = [{"name": name, "value": _text(value), "read_only": kind == RESOURCE_BROKER,
                    "config_source": source, "is_sensitive": False, "synonyms": [],
                    "config_type": _config_type(name, value), "documentation": None}
                   for name, value, source in values if keys is None or name in keys]
        results.append(dict(base, error_code=Errors.NONE, configs=configs))
    x.respond(results=results)


def _topic_values(x: Exchange, overrides: dict[str, Any]) -> list[tuple[str, Any, int]]:
    dynamic = x.broker.image.broker_configs
    static = x.cluster.broker_config.overrides
    out = []
    for name in sorted(TOPIC_CONFIGS):
        if name in overrides:
            out.append((name, overrides[name], TOPIC_CONFIG))
        elif name in dynamic:
            out.append((name, dynamic[name], DYNAMIC_DEFAULT_BROKER_CONFIG))
        elif name in static:
            out.append((name, static[name], STATIC_BROKER_CONFIG))
        else:
            out.append((name, TOPIC_CONFIGS[name][0], DEFAULT_CONFIG))
    return out


def _broker_values(x: Exchange) -> list[tuple[str, Any, int]]:
    dynamic = x.broker.image.broker_configs
    static = x.cluster.broker_config.overrides
    names = {n: n for n in BROKER_CONFIGS}
    names.update(BROKER_TO_TOPIC)           # topic defaults under their broker names
    out = []
    for broker_name in sorted(names):
        name = names[broker_name]
        if name in dynamic:
            out.append((broker_name, dynamic[name], DYNAMIC_DEFAULT_BROKER_CONFIG))
        elif name in static:
            out.append((broker_name, static[name], STATIC_BROKER_CONFIG))
        else:
            spec = BROKER_CONFIGS.get(name) or TOPIC_CONFIGS[name]
            out.append((broker_name, spec[0], DEFAULT_CONFIG))
    return out


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _config_type(name: str, value: Any) -> int:
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, float):
        return DOUBLE
    if isinstance(value, int):
        return LONG if name.endswith(".ms") or name in LONG_CONFIGS else INT
    return LIST if name.endswith("cleanup.policy") else STRING


# -- DescribeCluster (60) ----------------------------------------------------------------------------------
def describe_cluster(x: Exchange) -> None:
    endpoint_type = int(getattr(x.request, "endpoint_type", 1))
    if endpoint_type != 1:
        x.respond(error_code=UNSUPPORTED_ENDPOINT_TYPE, endpoint_type=endpoint_type, cluster_id=x.server.cluster_id,
                  error_message="Brokers describe brokers; controllers are not reachable from clients.")
        return
    image = x.broker.image
    brokers = []
    for bid in sorted(b for b, info in image.brokers.items() if not info.fenced):
        if bid in x.server.ports:
            host, port = x.server.address_of(bid)
            brokers.append({"broker_id": bid, "host": host, "port": port, "rack": None})
    x.respond(error_code=Errors.NONE, endpoint_type=1, cluster_id=x.server.cluster_id, controller_id=x.broker_id,
              brokers=brokers)
