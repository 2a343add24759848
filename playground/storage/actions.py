"""Replaying one recorded command: the scenario runner's step actions where they do the same thing.

A command's action has the scenario contract's name and its arguments keep the
contract's spellings (`{"broker": 101}`, `{"group": "g1", "topic": "orders",
"to": "earliest"}`), so a journal reads nearly like a scenario. Most commands
replay through `ScenarioRun.apply` unchanged. Three do not, because what the
window sends the engine is more than a scenario step can say, and a replay must
be exact, not close:

- `produce`: the window keeps one producer per acks and sends headers as typed
  (a header name may repeat, and `{i}` in a header value stays as written);
- `start_consumer`: the window's consumer keeps Kafka's default assignor list
  (range, cooperative-sticky), which a scenario's single `assignor` cannot name;
- `start_producer`: the settings the engine kept, exactly.

Those three carry the engine's own configuration and call the engine directly.

Some commands need what the journal keeps between commands, not only the
cluster (`STATEFUL`, handlers of (journal, command)):

- `tool`, `tool_input`, `tool_end_input`, `tool_stop`: the Kafka CLI console
  (`tools.py`: a command started, a line typed into it, Ctrl+D, Ctrl+C);
- `wire_clients`: real Kafka clients acted over the wire listener from here on
  (`journal.py`: a replay notes it and stops following callback by callback).

A lesson's reference steps are `lesson` commands (`lesson_steps.py`), like a
scenario's steps: the contract's action and `{"step": i}`, or `schedule`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playground.engine import Cluster
from playground.scenario import ACTIONS, BrokerRef, TopicPartition, render_template

from .tools import TOOL_ACTIONS, replay_tool

# Argument names of the commands replayed by our own handlers (everything else is configuration).
_CONSUMER_ARGS = ("name", "group", "topics")
_PRODUCER_ARGS = ("name", "topic", "rate", "key", "value")


def _bytes(text: str | None) -> bytes | None:
    # surrogateescape: header bytes that are not UTF-8 survive the trip through JSON unchanged.
    return None if text is None else str(text).encode("utf-8", "surrogateescape")


def header_pairs(headers) -> list[list[str | None]]:
    """Record headers ((name, bytes), ...) as JSON-able [name, text] pairs, order and repeats kept."""
    return [[name, None if value is None else value.decode("utf-8", "surrogateescape")] for name, value in headers]


def _produce(cluster: Cluster, a: dict[str, Any]) -> None:
    producer = cluster.producer(a["producer"], acks=a["acks"])
    headers = tuple((name, _bytes(value)) for name, value in a.get("headers") or ())
    for i in range(int(a.get("count", 1))):
        producer.send(a["topic"], _bytes(render_template(a.get("value"), i)),
                      key=_bytes(render_template(a.get("key"), i)), headers=headers, partition=a.get("partition"))


def _start_consumer(cluster: Cluster, a: dict[str, Any]) -> None:
    config = {k: v for k, v in a.items() if k not in _CONSUMER_ARGS}
    cluster.consumer(a["name"], group_id=a["group"], topics=list(a["topics"]), **config)


def _start_producer(cluster: Cluster, a: dict[str, Any]) -> None:
    config = {k: v for k, v in a.items() if k not in _PRODUCER_ARGS}
    cluster.start_producer(a["name"], a.get("topic"), a.get("rate"), a.get("key"), a.get("value"), **config)


EXACT: dict[str, Callable[[Cluster, dict[str, Any]], None]] = {
    "produce": _produce,
    "start_consumer": _start_consumer,
    "start_producer": _start_producer,
}


WIRE_CLIENTS = "wire_clients"


def _tool(journal, cmd) -> None:
    replay_tool(journal.tools, cmd.action, cmd.args, journal.replay_notes.append)


def _wire_clients(journal, cmd) -> None:
    if not journal.approximate:
        journal.replay_notes.append(
            f"at {cmd.time_ms} ms real Kafka clients acted on this cluster over the wire listener; what they did "
            "is not in the journal, so from then on the rebuilt cluster is not the one that was saved")
    journal.approximate = True


STATEFUL: dict[str, Callable[[Any, Any], None]] = {**{action: _tool for action in TOOL_ACTIONS},
                                                    WIRE_CLIENTS: _wire_clients}


def _partition(text: str) -> TopicPartition:
    topic, _, number = str(text).rpartition("/")
    return TopicPartition(topic, int(number))


def _broker(value: Any) -> BrokerRef:
    """101 | "all" | {"leader_of": "orders/0"} | {"controller": true} as the scenario contract writes them."""
    if value == "all":
        return BrokerRef("all")
    if isinstance(value, dict) and "leader_of" in value:
        return BrokerRef("leader_of", partition=_partition(value["leader_of"]))
    if isinstance(value, dict) and value.get("controller") is True:
        return BrokerRef("controller")
    return BrokerRef("id", id=int(value))


def _target(to: Any) -> dict[str, Any]:
    """reset_offsets' `to` ("earliest", {"offset": 5}, ...) in the runner's normalised form."""
    if isinstance(to, dict) and "type" in to:
        return to
    if isinstance(to, dict):
        (kind, value), = to.items()
        return {"type": kind, "value": value}
    return {"type": to, "value": None}


def runner_args(action: str, args: dict[str, Any]) -> dict[str, Any]:
    """A command's JSON arguments as the scenario runner's handlers take them (defaults filled in)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    a = dict(args)
    if a.get("broker") is not None:
        a["broker"] = _broker(a["broker"])
    defaults: dict[str, dict[str, Any]] = {
        "create_topic": {"partitions": 1, "replication_factor": 1, "config": {}},
        "alter_config": {"topic": None, "broker": None},
        "drop_requests": {"count": 1},
        "elect_leaders": {"type": "preferred"},
        "reset_offsets": {"partition": None},
    }
    for key, value in defaults.get(action, {}).items():
        a.setdefault(key, value)
    if action == "elect_leaders":
        a["partition"] = _partition(a["partition"])
    if action == "reset_offsets":
        a["to"] = _target(a["to"])
    return a


# -- what the window did, as commands (read off the engine right after it did it) ----------------
def consumer_started(cluster: Cluster, name: str) -> dict[str, Any]:
    """`start_consumer` arguments that start `name` again exactly as it runs now: the configuration
    the engine kept (Kafka's names), not the form's text."""
    c = cluster.consumers[name]
    config = {k: v for k, v in c.user_config.items() if k != "group.id"}
    return {"name": c.name, "group": c.group_id, "topics": list(c.subscription), **config}


def producer_started(cluster: Cluster, name: str, looping: bool) -> dict[str, Any]:
    """`start_producer` arguments for the producer `name` as the engine now has it (with its send
    loop's topic, rate, key and value when `looping`)."""
    p = cluster.producers[name]
    loop = cluster.producer_loops.get(name) if looping else None
    sends = {"topic": loop.topic, "rate": loop.rate, "key": loop.key, "value": loop.value} if loop else {
        "topic": None, "rate": None, "key": None, "value": None}
    return {"name": name, **sends, **p.user_config}
