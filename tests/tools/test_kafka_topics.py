"""kafka-topics against the simulated cluster, compared with what Kafka's TopicCommand prints."""

from __future__ import annotations

from playground.engine import Cluster

from .conftest import BOOTSTRAP, Shell


def test_list_prints_one_topic_per_line_sorted_and_internal_topics_unless_excluded(sh):
    sh("kafka-topics", *BOOTSTRAP, "--create", "--topic", "alpha")
    sh.cluster.create_topic("__consumer_offsets_like", 1, 1)     # a name with the internal prefix
    r = sh("kafka-topics", *BOOTSTRAP, "--list")
    assert (r.code, r.out, r.err) == (0, "__consumer_offsets_like\nalpha\norders\n", "")
    assert sh("kafka-topics", *BOOTSTRAP, "--list", "--exclude-internal").out == "alpha\norders\n"
    assert sh("kafka-topics", *BOOTSTRAP, "--list", "--topic", "al.*").out == "alpha\n"


def test_describe_is_tab_separated_with_elr_fields(sh):
    view = sh.cluster.view()
    r = sh("kafka-topics", *BOOTSTRAP, "--describe", "--topic", "orders")
    topic_id = view.topic_id("orders")
    parts = view.partitions("orders")
    expected = [f"Topic: orders\tTopicId: {topic_id}\tPartitionCount: 3\tReplicationFactor: 3\t"
                "Configs: min.insync.replicas=2"]
    for p in parts:
        replicas = ",".join(map(str, p.replicas))
        expected.append(f"\tTopic: orders\tPartition: {p.partition}\tLeader: {p.replicas[0]}\tReplicas: {replicas}"
                        f"\tIsr: {replicas}\tElr: \tLastKnownElr: ")
    assert r.code == 0 and r.err == ""
    assert r.out == "\n".join(expected) + "\n"


def test_describe_in_zookeeper_mode_has_no_elr():
    c = Cluster(brokers=3, seed=3, mode="zookeeper")
    c.create_topic("orders", 1, 3, immediate=True)
    r = Shell(c)("kafka-topics", *BOOTSTRAP, "--describe", "--topic", "orders")
    assert r.out.splitlines()[1].endswith("\tElr: N/A\tLastKnownElr: N/A")


def test_create_prints_created_and_describe_shows_its_settings(sh):
    r = sh("kafka-topics", *BOOTSTRAP, "--create", "--topic", "payments", "--partitions", "2",
           "--replication-factor", "2", "--config", "retention.ms=60000", "--config", "cleanup.policy=compact")
    assert (r.code, r.out, r.err) == (0, "Created topic payments.\n", "")
    lines = sh("kafka-topics", *BOOTSTRAP, "--describe", "--topic", "payments").out.splitlines()
    assert "\tPartitionCount: 2\tReplicationFactor: 2\tConfigs: cleanup.policy=compact,retention.ms=60000" in lines[0]
    assert len(lines) == 3


def test_create_without_partitions_uses_the_cluster_defaults(sh):
    sh("kafka-topics", *BOOTSTRAP, "--create", "--topic", "plain")
    p, = sh.cluster.view().partitions("plain")                  # num.partitions=1
    assert len(p.replicas) == 1                                  # default.replication.factor=1


def test_create_warns_about_period_and_underscore(sh):
    r = sh("kafka-topics", *BOOTSTRAP, "--create", "--topic", "my.topic")
    assert r.out == ("WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') "
                     "could collide. To avoid issues it is best to use either, but not both.\n"
                     "Created topic my.topic.\n")


def test_create_refusals_are_kafkas_messages_and_change_nothing(sh):
    r = sh("kafka-topics", *BOOTSTRAP, "--create", "--topic", "orders")
    assert (r.code, r.out) == (1, "Error while executing topic command : Topic 'orders' already exists.\n")
    assert sh("kafka-topics", *BOOTSTRAP, "--create", "--topic", "orders", "--if-not-exists").code == 0
    r = sh("kafka-topics", *BOOTSTRAP, "--create", "--topic", "big", "--replication-factor", "4")
    assert r.code == 1 and r.out.startswith("Error while executing topic command : Unable to replicate the "
                                            "partition 4 time(s)")
    r = sh("kafka-topics", *BOOTSTRAP, "--create", "--topic", "bad", "--config", "nope=1")
    assert (r.code, r.out) == (1, "Error while executing topic command : Unknown topic config name: nope\n")
    r = sh("kafka-topics", *BOOTSTRAP, "--create", "--topic", "zero", "--partitions", "0")
    assert (r.code, r.err) == (1, "The partitions must be greater than 0\n")
    r = sh("kafka-topics", *BOOTSTRAP, "--create", "--topic", "bad", "--config", "retention.ms")
    assert r.err == ('requirement failed: Invalid topic config: all configs to be added must be in the format '
                     '"key=val".\n')
    assert sh.cluster.view().topic_names() == ["orders"]


def test_alter_adds_partitions_and_refuses_a_decrease(sh):
    r = sh("kafka-topics", *BOOTSTRAP, "--alter", "--topic", "orders", "--partitions", "5")
    assert (r.code, r.out, r.err) == (0, "", "")
    assert len(sh.cluster.view().partitions("orders")) == 5
    r = sh("kafka-topics", *BOOTSTRAP, "--alter", "--topic", "orders", "--partitions", "2")
    assert (r.code, r.out) == (1, "Error while executing topic command : The topic orders currently has 5 "
                                  "partition(s); 2 would not be an increase.\n")
    r = sh("kafka-topics", *BOOTSTRAP, "--alter", "--topic", "orders")
    assert r.code == 1 and r.err.startswith('Missing required argument "[partitions]"\nOption  ')


def test_delete_is_silent_and_a_missing_topic_is_an_illegal_argument(sh):
    sh("kafka-topics", *BOOTSTRAP, "--create", "--topic", "gone")
    r = sh("kafka-topics", *BOOTSTRAP, "--delete", "--topic", "gone")
    assert (r.code, r.out, r.err) == (0, "", "")
    assert "gone" not in sh.cluster.view().topic_names()
    r = sh("kafka-topics", *BOOTSTRAP, "--delete", "--topic", "gone")
    assert (r.code, r.out, r.err) == (1, "", "Topic 'gone' does not exist as expected\n")
    assert sh("kafka-topics", *BOOTSTRAP, "--delete", "--topic", "gone", "--if-exists").code == 0


def test_under_replicated_and_unavailable_filters_follow_a_dead_broker(sh):
    assert sh("kafka-topics", *BOOTSTRAP, "--describe", "--under-replicated-partitions").out == ""
    sh.cluster.kill_broker(103)
    sh.cluster.advance(40_000)            # fenced after broker.session.timeout.ms, out of every ISR
    r = sh("kafka-topics", *BOOTSTRAP, "--describe", "--under-replicated-partitions")
    lines = r.out.splitlines()
    assert len(lines) == 3 and all(line.startswith("\tTopic: orders\tPartition: ") for line in lines)
    assert all("103" not in line.split("Isr: ")[1].split("\t")[0] for line in lines)
    assert sh("kafka-topics", *BOOTSTRAP, "--describe", "--unavailable-partitions").out == ""
    assert len(sh("kafka-topics", *BOOTSTRAP, "--describe", "--at-min-isr-partitions").out.splitlines()) == 3
    sh.cluster.kill_broker(102)
    sh.cluster.advance(40_000)
    # One replica left in each ISR (ELR keeps the others eligible); below min.insync.replicas.
    assert len(sh("kafka-topics", *BOOTSTRAP, "--describe", "--under-min-isr-partitions").out.splitlines()) == 3
    sh.cluster.kill_broker(101)
    sh.cluster.advance(40_000)
    r = sh("kafka-topics", *BOOTSTRAP, "--describe", "--unavailable-partitions")
    assert len(r.out.splitlines()) == 3 and all("\tLeader: none\t" in line for line in r.out.splitlines())


def test_topics_with_overrides_prints_only_topic_lines_of_topics_with_overrides(sh):
    sh("kafka-topics", *BOOTSTRAP, "--create", "--topic", "plain")
    r = sh("kafka-topics", *BOOTSTRAP, "--describe", "--topics-with-overrides")
    assert r.out.count("\n") == 1 and r.out.startswith("Topic: orders\t")


def test_argument_checks_are_kafkas(sh):
    r = sh("kafka-topics", "--list")
    assert (r.code, r.err) == (1, "--bootstrap-server must be specified\n")
    r = sh("kafka-topics", *BOOTSTRAP)
    assert r.code == 1 and r.err.startswith("Command must include exactly one action: --list, --describe, "
                                            "--create, --alter or --delete\nOption ")
    r = sh("kafka-topics", *BOOTSTRAP, "--list", "--partitions", "3")
    assert r.err.startswith('Option "[partitions]" can\'t be used with option "[list]"\n')
    r = sh("kafka-topics", *BOOTSTRAP, "--list", "--bogus")
    assert (r.code, r.out) == (1, "Error while executing topic command : 'bogus' is not a recognized option\n")
    r = sh("kafka-topics", *BOOTSTRAP, "--create", "--topic", "x", "--partitions", "many")
    assert r.out == "Error while executing topic command : Cannot parse argument 'many' of option partitions\n"
    r = sh("kafka-topics", *BOOTSTRAP, "--describe", "--topic")
    assert r.out == "Error while executing topic command : Option ['topic'] requires an argument\n"
    r = sh("kafka-topics", "--bootstrap-server", "nohost", "--list")
    assert (r.code, r.out) == (1, "Error while executing topic command : Failed to create new KafkaAdminClient\n")


def test_help_is_the_option_table(sh):
    r = sh("kafka-topics", "--help")
    lines = r.err.splitlines()
    assert r.code == 0 and r.out == ""
    assert lines[0] == "This tool helps to create, delete, describe, or change a topic."
    assert lines[1].split() == ["Option", "Description"] and lines[2].split() == ["------", "-----------"]
    assert lines[1].index("Description") == 41
    flags = [line.split()[0] for line in lines[3:] if line.startswith("--")]
    assert flags == sorted(flags) and "--bootstrap-server" in flags and "--under-replicated-partitions" in flags
    assert "--bootstrap-server <String: server to    REQUIRED: The Kafka server to connect" in lines
    assert sh("kafka-topics", "--version").out == "4.1.0\n"
