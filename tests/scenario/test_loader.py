"""Scenario files: parsing, validation, normalised arguments and error messages."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from playground.scenario import (
    ACTIONS,
    BrokerRef,
    ScenarioError,
    TopicPartition,
    headers_for,
    key_for,
    load_scenario,
    parse_duration,
    parse_scenario,
    parse_timestamp,
    render_template,
    value_for,
)

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = Path("/work/shared/scenario-format.md")

CONTRACT_EXAMPLE = """\
name: acks=1 loses an acknowledged write        # required
description: Leader dies before followers fetch   # optional, shown in the GUI
seed: 7                                          # default 0
cluster:
  brokers: 3              # ids 101, 102, 103 ... (default 3)
  controller: kraft       # kraft | zookeeper (default kraft)
  controllers: 3          # KRaft quorum voters, ids 1, 2, 3 (default 3);
                          # in zookeeper mode one broker is the controller
  network_latency: 2ms    # one-way delay between any two nodes (default 1ms)
  config:                 # broker defaults, Kafka's names and Kafka 4.x defaults
    min.insync.replicas: 1
    unclean.leader.election.enable: false
    replica.lag.time.max.ms: 30000
    group.initial.rebalance.delay.ms: 3000
    offsets.topic.num.partitions: 50
topics:
  - name: orders
    partitions: 3
    replication_factor: 3
    config: {min.insync.replicas: 2, retention.ms: 7d}
steps:                    # run in order; only `wait` moves virtual time
  - produce: {topic: orders, key: user-1, value: "order {i}", count: 5, acks: "1"}
  - wait: 3ms
  - kill_broker: {leader_of: orders/0}
  - wait: 30s
expect:                   # path in the JSON report -> expected value
  audit.acked_lost: "> 0"
  topics.orders.partitions[0].leader: "!= null"
"""

BASE = """\
name: t
topics:
  - name: orders
    partitions: 3
    replication_factor: 3
steps:
"""


def parse(text: str, filename: str = "t.yaml"):
    return parse_scenario(textwrap.dedent(text), filename)


def steps(*lines: str):
    """Parse BASE plus the given step lines; return the steps."""
    return parse(BASE + "".join(f"  - {line}\n" for line in lines)).steps


def error(text: str, filename: str = "t.yaml") -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        parse(text, filename)
    return info.value


def step_error(*lines: str) -> ScenarioError:
    return error(BASE + "".join(f"  - {line}\n" for line in lines))


# --- valid files --------------------------------------------------------------


def test_contract_example_loads_and_normalises() -> None:
    scn = parse_scenario(CONTRACT_EXAMPLE, "orders.yaml")
    assert scn.name == "acks=1 loses an acknowledged write"
    assert scn.description == "Leader dies before followers fetch"
    assert scn.seed == 7
    assert scn.filename == "orders.yaml"
    c = scn.cluster
    assert (c.brokers, c.controller, c.controllers, c.network_latency) == (3, "kraft", 3, 2)
    assert c.broker_ids == [101, 102, 103] and c.controller_ids == [1, 2, 3]
    assert c.config["replica.lag.time.max.ms"] == 30000
    assert c.config["unclean.leader.election.enable"] is False
    (orders,) = scn.topics
    assert (orders.name, orders.partitions, orders.replication_factor) == ("orders", 3, 3)
    assert orders.config == {"min.insync.replicas": 2, "retention.ms": 7 * 24 * 3600 * 1000}
    assert orders.line == 17
    assert [s.action for s in scn.steps] == ["produce", "wait", "kill_broker", "wait"]
    assert [s.index for s in scn.steps] == [0, 1, 2, 3]
    assert [s.line for s in scn.steps] == [22, 23, 24, 25]
    assert scn.steps[0].args == {
        "topic": "orders", "key": "user-1", "value": "order {i}", "headers": {}, "partition": None,
        "count": 5, "acks": "1", "producer": "producer-1", "timestamp": None,
    }  # fmt: skip
    assert scn.steps[1].args == {"duration": 3}
    assert scn.steps[2].args == {"broker": BrokerRef("leader_of", partition=TopicPartition("orders", 0))}
    assert scn.steps[3].args == {"duration": 30_000}
    assert [(e.path, e.expected, e.op, e.operand) for e in scn.expect] == [
        ("audit.acked_lost", "> 0", ">", 0),
        ("topics.orders.partitions[0].leader", "!= null", "!=", None),
    ]
    assert [e.line for e in scn.expect] == [27, 28]


def test_the_contract_document_example_is_the_one_tested() -> None:
    if not CONTRACT.exists():
        pytest.skip("contract not available")
    block = CONTRACT.read_text(encoding="utf-8").split("```yaml\n", 1)[1].split("```", 1)[0]
    assert parse_scenario(block, "contract.yaml").name == "acks=1 loses an acknowledged write"


def test_defaults_fill_a_minimal_file() -> None:
    scn = parse("name: minimal\n")
    assert (scn.description, scn.seed, scn.topics, scn.steps, scn.expect) == ("", 0, [], [], [])
    c = scn.cluster
    assert (c.brokers, c.controller, c.controllers, c.network_latency, c.config) == (3, "kraft", 3, 1, {})


def test_topic_defaults_and_broker_defaults_from_cluster_config() -> None:
    scn = parse("""\
        name: t
        topics: [{name: a}]
        """)
    assert (scn.topics[0].partitions, scn.topics[0].replication_factor, scn.topics[0].config) == (1, 1, {})
    scn = parse("""\
        name: t
        cluster: {config: {num.partitions: 6, default.replication.factor: 2}}
        topics: [{name: a}]
        steps: [{create_topic: {name: b}}]
        """)
    assert (scn.topics[0].partitions, scn.topics[0].replication_factor) == (6, 2)
    assert scn.steps[0].args == {"name": "b", "partitions": 6, "replication_factor": 2, "config": {}}


def test_zookeeper_mode_has_no_controller_quorum() -> None:
    c = parse("name: t\ncluster: {controller: zookeeper, brokers: 5}\n").cluster
    assert (c.controller, c.controllers, c.controller_ids) == ("zookeeper", 0, [])
    assert c.broker_ids == [101, 102, 103, 104, 105]


def test_empty_sections_are_empty() -> None:
    scn = parse("name: t\ncluster:\ntopics:\nsteps:\nexpect:\n")
    assert (scn.topics, scn.steps, scn.expect) == ([], [], [])


def test_load_scenario_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "orders.yaml"
    path.write_text(CONTRACT_EXAMPLE, encoding="utf-8")
    assert load_scenario(path).filename == str(path)
    assert len(load_scenario(str(path)).steps) == 4


def test_missing_file_is_a_scenario_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"nope\.yaml: cannot read file"):
        load_scenario(tmp_path / "nope.yaml")


@pytest.mark.parametrize("path", sorted(ROOT.joinpath("scenarios").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_scenarios_are_valid(path: Path) -> None:
    assert load_scenario(path).name


def test_anchors_and_merge_keys() -> None:
    (c1, c2) = steps(
        "start_consumer: &c {name: c1, group: g, topics: orders, assignor: sticky}",
        "start_consumer: {<<: *c, name: c2}",
    )
    assert (c1.args["name"], c2.args["name"]) == ("c1", "c2")
    assert c2.args["assignor"] == "sticky" and c2.args["group"] == "g"


# --- normalised arguments per action ----------------------------------------


def test_produce_defaults() -> None:
    (s,) = steps("produce: {topic: orders}")
    assert s.args == {
        "topic": "orders", "key": None, "value": None, "headers": {}, "partition": None,
        "count": 1, "acks": "all", "producer": "producer-1", "timestamp": None,
    }  # fmt: skip


@pytest.mark.parametrize(("written", "acks"), [('"0"', "0"), ("0", "0"), ("1", "1"), ('"1"', "1"),
                                               ("all", "all"), ("-1", "all"), ('"all"', "all")])  # fmt: skip
def test_acks_normalise_to_strings(written: str, acks: str) -> None:
    (s,) = steps(f"produce: {{topic: orders, acks: {written}}}")
    assert s.args["acks"] == acks


def test_produce_without_acks_keeps_the_producers_acks() -> None:
    s = steps(
        "start_producer: {name: p, acks: '1'}",
        "produce: {topic: orders, producer: p}",
        "produce: {topic: orders, producer: q, acks: '0'}",
        "produce: {topic: orders, producer: q}",
        "produce: {topic: orders}",
    )
    assert [x.args["acks"] for x in s] == ["1", "1", "0", "0", "all"]


def test_produce_keys_values_and_headers_are_text_as_written() -> None:
    (s,) = steps("produce: {topic: orders, key: 007, value: yes, headers: {trace: 12, n: '{i}', z: null},"
                 " partition: 2, count: 3, timestamp: 5s}")  # fmt: skip
    assert s.args["key"] == "007" and s.args["value"] == "yes"
    assert s.args["headers"] == {"trace": "12", "n": "{i}", "z": None}
    assert (s.args["partition"], s.args["count"], s.args["timestamp"]) == (2, 3, 5000)


def test_produce_key_list_and_tombstone() -> None:
    (s,) = steps("produce: {topic: orders, key: [a, null, 'k{i}'], value: null, count: 4}")
    assert s.args["key"] == ["a", None, "k{i}"] and s.args["value"] is None


def test_start_producer_defaults_are_kafka_4() -> None:
    (s,) = steps("start_producer: {}")
    assert s.args == {
        "name": "producer-1", "topic": None, "rate": None, "key": None, "value": None, "acks": "all",
        "linger.ms": 5, "delivery.timeout.ms": 120000, "request.timeout.ms": 30000, "batch.size": 16384,
        "retries": 2147483647, "max.in.flight.requests.per.connection": 5, "compression.type": "none",
        "transactional.id": None, "partitioner": "default", "enable.idempotence": True,
    }  # fmt: skip


def test_start_producer_idempotence_follows_kafka() -> None:
    s = steps(
        "start_producer: {name: a, acks: '1'}",
        "start_producer: {name: b, topic: orders, rate: 100, transactional.id: tx-1, linger.ms: 0,"
        " partitioner: RoundRobinPartitioner}",
    )
    assert s[0].args["enable.idempotence"] is False  # quietly off: acks=1 conflicts, not set explicitly
    assert s[1].args["enable.idempotence"] is True and s[1].args["transactional.id"] == "tx-1"
    assert (s[1].args["rate"], s[1].args["linger.ms"], s[1].args["partitioner"]) == (100, 0, "round_robin")


@pytest.mark.parametrize("line, message", [
    ("start_producer: {acks: '1', enable.idempotence: true}", "Must set acks to all"),
    ("start_producer: {retries: 0, transactional.id: t}", "Must set retries to non-zero"),
    ("start_producer: {enable.idempotence: false, transactional.id: t}", "Cannot set a transactional.id"),
    ("start_producer: {delivery.timeout.ms: 1000}", "delivery.timeout.ms should be equal to or larger"),
    ("start_producer: {rate: 10}", "a producer with a rate needs a topic"),
    ("start_producer: {topic: orders, rate: 0}", "rate is records per second"),
    ("start_producer: {compression.type: brotli}", "'brotli' is not one of none, gzip"),
])  # fmt: skip
def test_start_producer_refusals(line: str, message: str) -> None:
    assert message in str(step_error(line))


def test_start_consumer_defaults_and_commit_modes() -> None:
    s = steps(
        "start_consumer: {name: c1, group: g1, topics: orders}",
        "start_consumer: {name: c2, group: g1, topics: [orders, orders, clicks], commit: after_processing,"
        " processing_time: 10ms, auto.offset.reset: earliest}",
        "start_consumer: {name: c3, group: g2, topics: orders, enable.auto.commit: false}",
        "start_producer: {name: p, topic: out, transactional.id: tx-1}",
        "start_consumer: {name: c4, group: g3, topics: orders, commit: transactional, output: p,"
        " isolation.level: read_committed, group.instance.id: i-4}",
    )
    assert s[0].args == {
        "name": "c1", "group": "g1", "topics": ["orders"], "assignor": "range", "auto.offset.reset": "latest",
        "commit": "auto", "enable.auto.commit": True, "auto.commit.interval.ms": 5000, "processing_time": 0,
        "session.timeout.ms": 45000, "heartbeat.interval.ms": 3000, "max.poll.interval.ms": 300000,
        "max.poll.records": 500, "isolation.level": "read_uncommitted", "group.instance.id": None,
        "output": None, "output.topic": None,
    }  # fmt: skip
    assert s[1].args["topics"] == ["orders", "clicks"]
    assert (s[1].args["commit"], s[1].args["enable.auto.commit"]) == ("after_processing", False)
    assert (s[1].args["processing_time"], s[1].args["auto.offset.reset"]) == (10, "earliest")
    assert (s[2].args["commit"], s[2].args["enable.auto.commit"]) == ("none", False)
    assert (s[4].args["commit"], s[4].args["output"], s[4].args["group.instance.id"]) == ("transactional", "p", "i-4")
    assert s[4].args["output.topic"] == "out"
    assert "has no transactional.id" in str(step_error(
        "start_producer: {name: q, topic: out}",
        "start_consumer: {name: c5, group: g4, topics: orders, commit: transactional, output: q}"))


def test_start_consumer_contradictions() -> None:
    assert "contradicts commit: after_processing" in str(
        step_error("start_consumer: {name: c, group: g, topics: t, commit: after_processing, enable.auto.commit: true}"))
    assert "'stiky' is not one of range, roundrobin, sticky, cooperative-sticky (did you mean 'sticky'?)" in str(
        step_error("start_consumer: {name: c, group: g, topics: t, assignor: stiky}"))
    assert "missing required key 'group'" in str(step_error("start_consumer: {name: c, topics: t}"))


def test_name_actions() -> None:
    s = steps("stop_producer: p", "begin_transaction: p", "commit_transaction: p", "abort_transaction: p",
              "stop_consumer: c1", "crash_consumer: c1", "pause_consumer: c1", "resume_consumer: c1",
              "delete_topic: orders")  # fmt: skip
    assert [x.args for x in s] == [{"name": "p"}] + [{"producer": "p"}] * 3 + [{"name": "c1"}] * 4 + [{"name": "orders"}]


def test_topic_actions() -> None:
    s = steps(
        "create_topic: {name: payments, partitions: 2, replication_factor: 3, config: {cleanup.policy: [compact, delete]}}",
        "add_partitions: {topic: payments, count: 4}",
        "alter_config: {topic: payments, config: {retention.ms: 1h, min.insync.replicas: null}}",
        "alter_config: {broker: 102, config: {log.retention.check.interval.ms: 5m}}",
        "alter_config: {broker: all, config: {unclean.leader.election.enable: true}}",
        "elect_leaders: {partition: payments/3}",
    )
    assert s[0].args == {"name": "payments", "partitions": 2, "replication_factor": 3,
                         "config": {"cleanup.policy": "compact,delete"}}  # fmt: skip
    assert s[1].args == {"topic": "payments", "count": 4}
    assert s[2].args == {"topic": "payments", "broker": None, "config": {"retention.ms": 3_600_000, "min.insync.replicas": None}}
    assert s[3].args == {"topic": None, "broker": BrokerRef("id", id=102), "config": {"log.retention.check.interval.ms": 300_000}}
    assert s[4].args["broker"] == BrokerRef("all")
    assert s[5].args == {"partition": TopicPartition("payments", 3), "type": "preferred"}


def test_broker_actions() -> None:
    s = steps("kill_broker: {broker: 101}", "kill_broker: 102", "kill_broker: {controller: true}",
              "kill_broker: 2", "restart_broker: all", "restart_broker: 101", "isolate_broker: {leader_of: orders/2}",
              "heal: all", "heal: 103", "slow_broker: {broker: 102, replication_delay: 2s}",
              "drop_requests: {broker: {leader_of: orders/1}, api: fetch}",
              "drop_requests: {broker: 101, api: join_group, count: 3}",
              "elect_leaders: {partition: orders/0, type: unclean}")  # fmt: skip
    assert [x.args for x in s] == [
        {"broker": BrokerRef("id", id=101)}, {"broker": BrokerRef("id", id=102)},
        {"broker": BrokerRef("controller")}, {"broker": BrokerRef("id", id=2)},
        {"broker": BrokerRef("all")}, {"broker": BrokerRef("id", id=101)},
        {"broker": BrokerRef("leader_of", partition=TopicPartition("orders", 2))},
        {"broker": BrokerRef("all")}, {"broker": BrokerRef("id", id=103)},
        {"broker": BrokerRef("id", id=102), "replication_delay": 2000},
        {"broker": BrokerRef("leader_of", partition=TopicPartition("orders", 1)), "api": "fetch", "count": 1},
        {"broker": BrokerRef("id", id=101), "api": "join_group", "count": 3},
        {"partition": TopicPartition("orders", 0), "type": "unclean"},
    ]  # fmt: skip
    assert str(s[6].args["broker"]) == "leader_of orders/2" and str(TopicPartition("orders", 2)) == "orders/2"


def test_reset_offsets_targets() -> None:
    s = steps("reset_offsets: {group: g, topic: orders, to: earliest}",
              "reset_offsets: {group: g, topic: orders/1, to: {offset: 5}}",
              "reset_offsets: {group: g, topic: orders, to: {shift_by: -2}}",
              "reset_offsets: {group: g, topic: orders, to: {datetime: '1970-01-01T00:00:10Z'}}",
              "reset_offsets: {group: g, topic: orders, to: {datetime: 30s}}")  # fmt: skip
    assert [x.args["to"] for x in s] == [
        {"type": "earliest", "value": None}, {"type": "offset", "value": 5}, {"type": "shift_by", "value": -2},
        {"type": "datetime", "value": 10_000}, {"type": "datetime", "value": 30_000},
    ]  # fmt: skip
    assert (s[1].args["topic"], s[1].args["partition"]) == ("orders", 1)
    assert s[0].args["partition"] is None
    assert "to: is earliest, latest" in str(step_error("reset_offsets: {group: g, topic: orders, to: first}"))


def test_every_contract_action_is_validated() -> None:
    assert len(ACTIONS) == 24 and len(set(ACTIONS)) == 24


# --- invalid files: where and what -------------------------------------------


def test_broker_out_of_range_has_the_contracts_exact_message() -> None:
    exc = error("""\
        name: t
        steps:
          - produce: {topic: orders}
          - wait: 1s
          - wait: 1s
          - kill_broker: {broker: 107}
        """, "orders.yaml")  # fmt: skip
    assert str(exc) == "orders.yaml:6: steps[3].kill_broker: broker 107 does not exist; brokers are 101, 102, 103"
    assert (exc.filename, exc.line, exc.path) == ("orders.yaml", 6, "steps[3].kill_broker")


@pytest.mark.parametrize("line", ["kill_broker: 107", "restart_broker: 100", "isolate_broker: 104", "heal: 99",
                                  "slow_broker: {broker: 1, replication_delay: 1s}",
                                  "drop_requests: {broker: 107, api: fetch}",
                                  "alter_config: {broker: 104, config: {a.b: 1}}"])  # fmt: skip
def test_every_broker_reference_is_checked(line: str) -> None:
    assert re.search(r"broker \d+ does not exist; brokers are 101, 102, 103", str(step_error(line)))


def test_controller_ids_are_named_when_a_node_action_misses() -> None:
    assert str(step_error("kill_broker: 4")).endswith(
        "broker 4 does not exist; brokers are 101, 102, 103; controllers are 1, 2, 3")


@pytest.mark.parametrize("text, where, message", [
    ("name: t\nseeds: 3\n", "t.yaml:2: seeds", "unknown key 'seeds' (did you mean 'seed'?); allowed keys are name, "
     "description, seed, cluster, topics, steps, expect"),
    ("name: t\ncluster:\n  brokers: 3\n  brokerz: 4\n", "t.yaml:4: cluster.brokerz",
     "unknown key 'brokerz' (did you mean 'brokers'?); allowed keys are brokers, controller"),
    ("name: t\ntopics:\n  - name: a\n\n    partitons: 3\n", "t.yaml:5: topics[0].partitons",
     "unknown key 'partitons'"),
    ("name: t\nsteps:\n  - wait: 1s\n  - produce:\n      topic: a\n      vaule: b\n", "t.yaml:6: steps[1].produce.vaule",
     "unknown key 'vaule' (did you mean 'value'?)"),
    ("name: t\nsteps:\n  - kil_broker: 101\n", "t.yaml:3: steps[0].kil_broker",
     "unknown action 'kil_broker' (did you mean 'kill_broker'?); actions are create_topic"),
    ("name: t\nsteps:\n  - wait: 1s\n    produce: {topic: a}\n", "t.yaml:4: steps[0]",
     "a step has exactly one action; found 2: wait, produce"),
    ("name: t\nsteps:\n  - {}\n", "t.yaml:3: steps[0]", "a step has exactly one action; found none"),
    ("name: t\nsteps:\n  - wait\n", "t.yaml:3: steps[0]", "a step is a mapping with one action"),
    ("name: t\nsteps:\n  - wait: 5 sec\n", "t.yaml:3: steps[0].wait", "invalid duration '5 sec'"),
    ("name: t\nsteps:\n  - produce: {topic: a, acks: 2}\n", "t.yaml:3: steps[0].produce.acks",
     'acks must be "0", "1" or "all"'),
    ("name: t\nsteps:\n  - produce: {topic: a, acks: true}\n", "t.yaml:3: steps[0].produce.acks", "acks must be"),
    ("name: t\nsteps:\n  - produce: {acks: all}\n", "t.yaml:3: steps[0].produce", "missing required key 'topic'"),
    ("name: t\nsteps:\n  - produce: {topic: a, count: 0}\n", "t.yaml:3: steps[0].produce.count", "at least 1"),
    ("name: t\nsteps:\n  - produce: {topic: a, key: []}\n", "t.yaml:3: steps[0].produce.key", "at least one key"),
    ("name: t\nsteps:\n  - produce: {topic: a, value: {x: 1}}\n", "t.yaml:3: steps[0].produce.value",
     "expected a string or null"),
    ("description: no name\n", "t.yaml:1", "missing required key 'name'"),
    ("name: t\nseed: 1.5\n", "t.yaml:2: seed", "expected an integer"),
    ("name: t\ncluster: {brokers: 0}\n", "t.yaml:2: cluster.brokers", "must be at least 1"),
    ("name: t\ncluster: {controller: raft}\n", "t.yaml:2: cluster.controller",
     "'raft' is not one of kraft, zookeeper (did you mean 'kraft'?)"),
    ("name: t\ncluster: {controller: zookeeper, controllers: 1}\n", "t.yaml:2: cluster.controllers", "does not apply"),
    ("name: t\ncluster: {network_latency: fast}\n", "t.yaml:2: cluster.network_latency", "invalid duration"),
    ("name: t\ncluster:\n  config:\n    minisr: 2\n", "t.yaml:4: cluster.config.minisr", "not a Kafka config name"),
    ("name: t\ncluster:\n  config:\n    retention.ms: soon\n", "t.yaml:4: cluster.config.retention.ms",
     "invalid duration 'soon'"),
    ("name: t\ntopics: [{name: a, partitions: 0}]\n", "t.yaml:2: topics[0].partitions",
     "INVALID_PARTITIONS: Number of partitions was set to an invalid non-positive value."),
    ("name: t\ntopics: [{name: a, replication_factor: 0}]\n", "t.yaml:2: topics[0].replication_factor",
     "INVALID_REPLICATION_FACTOR"),
    ("name: t\ntopics: orders\n", "t.yaml:2: topics", "expected a list of topics"),
    ("name: t\nexpect: [a]\n", "t.yaml:2: expect", "expected a mapping of report paths"),
    ("name: t\nexpect:\n  a..b: 1\n", "t.yaml:3: expect.a..b", "empty key"),
    ("name: t\nexpect:\n  a: '>='\n", "t.yaml:3: expect.a", "needs a value after it"),
    ("name: t\nname: u\n", "t.yaml:2: name", "duplicate key 'name'"),
    ("- name: t\n", "t.yaml:1", "a scenario is a mapping"),
    ("just text\n", "t.yaml:1", "a scenario is a mapping"),
])  # fmt: skip
def test_invalid_files_name_line_path_and_problem(text: str, where: str, message: str) -> None:
    exc = error(text)
    assert str(exc).startswith(where + ":"), str(exc)
    assert message in str(exc)


def test_empty_file() -> None:
    assert str(error("")) == "t.yaml: the file is empty; a scenario is a mapping with at least `name:`"


@pytest.mark.parametrize("text, line", [
    ("name: t\nsteps:\n  - wait: [1s\n  - wait: 2s\n", 4),
    ("name: t\n  bad: indent\n", 2),
    ("name: t\nsteps:\n\t- wait: 1s\n", 3),
    ("name: 'unterminated\n", 2),
])  # fmt: skip
def test_yaml_syntax_errors_carry_the_line(text: str, line: int) -> None:
    exc = error(text)
    assert exc.line == line and str(exc).startswith(f"t.yaml:{line}: YAML syntax error: ")


def test_topic_partition_references_are_checked_against_topics_that_exist_by_then() -> None:
    exc = step_error("kill_broker: {leader_of: payments/0}")
    assert str(exc) == ("t.yaml:7: steps[0].kill_broker.leader_of: topic 'payments' does not exist at this step; "
                        "topics are orders")  # fmt: skip
    assert "partition orders/3 does not exist; 'orders' has 3 partition(s), 0 to 2" in str(
        step_error("elect_leaders: {partition: orders/3}"))
    assert "is not a partition; write topic/partition" in str(step_error("elect_leaders: {partition: orders}"))
    # created by an earlier step, grown by add_partitions, or auto-created by producing: fine
    ok = steps("create_topic: {name: payments}", "kill_broker: {leader_of: payments/0}",
               "add_partitions: {topic: orders, count: 5}", "elect_leaders: {partition: orders/4}",
               "produce: {topic: events}", "isolate_broker: {leader_of: events/0}")  # fmt: skip
    assert ok[5].args["broker"].partition == TopicPartition("events", 0)
    # a later create_topic does not count
    assert "topic 'later' does not exist" in str(
        step_error("kill_broker: {leader_of: later/0}", "create_topic: {name: later}"))


def test_auto_create_off_means_produced_topics_are_not_known() -> None:
    exc = error("""\
        name: t
        cluster: {config: {auto.create.topics.enable: false}}
        steps:
          - produce: {topic: events}
          - kill_broker: {leader_of: events/0}
        """)  # fmt: skip
    assert "topic 'events' does not exist" in str(exc) and exc.line == 5


def test_broker_reference_shapes() -> None:
    assert "exactly one of broker, leader_of, controller" in str(
        step_error("kill_broker: {broker: 101, leader_of: orders/0}"))
    assert "controller: true kills the active controller" in str(step_error("kill_broker: {controller: false}"))
    assert "unknown key 'controller'" in str(step_error("slow_broker: {broker: {controller: true}, replication_delay: 1s}"))
    assert "expected a broker id (101), {leader_of: orders/0} or all" in str(step_error("heal: everyone"))
    assert "'fetchh' is not one of produce, fetch" in str(step_error("drop_requests: {broker: 101, api: fetchh}"))
    assert "either topic or broker" in str(step_error("alter_config: {config: {a.b: 1}}"))


# --- durations, timestamps and templates --------------------------------------


@pytest.mark.parametrize("written, ms", [
    (0, 0), (250, 250), ("250", 250), ("250ms", 250), ("5s", 5000), ("2m", 120_000), ("1h", 3_600_000),
    ("7d", 604_800_000), ("1.5s", 1500), (" 3 s ", 3000), ("0.5m", 30_000),
])  # fmt: skip
def test_durations(written: object, ms: int) -> None:
    assert parse_duration(written) == ms


@pytest.mark.parametrize("written", [-1, "-5s", "5 sec", "5S", "s", "", "1.5", "0.5ms", 1.5, True, None, [], "1w"])
def test_bad_durations(written: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(written)


def test_config_ms_values_accept_durations_and_keep_minus_one() -> None:
    scn = parse("name: t\ntopics: [{name: a, config: {retention.ms: -1, segment.ms: 1h, delete.retention.ms: '-1'}}]\n")
    assert scn.topics[0].config == {"retention.ms": -1, "segment.ms": 3_600_000, "delete.retention.ms": -1}


def test_timestamps() -> None:
    assert parse_timestamp(1234) == 1234
    assert parse_timestamp("5s") == 5000
    assert parse_timestamp("1970-01-01T00:01:00Z") == 60_000
    assert parse_timestamp("1970-01-02") == 86_400_000
    with pytest.raises(ValueError):
        parse_timestamp("yesterday")


def test_render_template() -> None:
    assert render_template("order {i}", 3) == "order 3"
    assert render_template("{i}-{i} {j} {{i}}", 7) == "7-7 {j} {7}"
    assert render_template(None, 3) is None
    assert render_template({"trace": "t{i}", "z": None}, 2) == {"trace": "t2", "z": None}


def test_key_value_and_headers_for_each_record() -> None:
    (s,) = steps("produce: {topic: orders, key: [a, null, 'k{i}'], value: 'v{i}', headers: {h: 'x{i}'}, count: 5}")
    assert [key_for(s.args, i) for i in range(5)] == ["a", None, "k2", "a", None]
    assert [value_for(s.args, i) for i in range(2)] == ["v0", "v1"]
    assert headers_for(s.args, 4) == {"h": "x4"}
    (s,) = steps("produce: {topic: orders}")
    assert (key_for(s.args, 0), value_for(s.args, 0), headers_for(s.args, 0)) == (None, None, {})
