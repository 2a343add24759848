"""kafka-console-producer and kafka-console-consumer: LineMessageReader's parsing, DefaultMessageFormatter's
output, and how the consumer stops (max messages, timeout, caught up when headless, Ctrl+C)."""

from __future__ import annotations

import pytest

from playground.engine import TopicPartition
from playground.tools import start_command

from .conftest import BOOTSTRAP

CONSUME = ("kafka-console-consumer", *BOOTSTRAP, "--topic", "orders")


def _records(cluster, topic: str = "orders") -> list[tuple[int, bytes | None, bytes | None, tuple]]:
    view = cluster.view()
    out = []
    for p in view.partitions(topic):
        log = view.authoritative_log(topic, p.partition)
        for _off, rec, batch in log.records(0, log.high_watermark):
            if not batch.is_control:
                out.append((p.partition, rec.key, rec.value, tuple(rec.headers)))
    return out


def test_each_line_is_one_record_with_a_null_key(sh):
    r = sh("kafka-console-producer", *BOOTSTRAP, "--topic", "orders", stdin=["first", "second", ""])
    assert (r.code, r.out, r.err) == (0, "", "")
    values = sorted(v for _p, k, v, _h in _records(sh.cluster) if k is None)
    assert values == [b"", b"first", b"second"]


def test_parse_key_splits_on_the_key_separator_and_keys_pick_partitions(sh):
    r = sh("kafka-console-producer", *BOOTSTRAP, "--topic", "orders", "--property", "parse.key=true",
           "--property", "key.separator=:", stdin=["foobar:v1", "foobar:v2", "abc:x:y"])
    assert r.code == 0
    records = _records(sh.cluster)
    assert sorted(v for _p, _k, v, _h in records) == [b"v1", b"v2", b"x:y"]
    # murmur2("foobar") -> partition 6 of 10 in Kafka's tests; here 3 partitions: toPositive(hash) % 3.
    from playground.engine.partitioner import partition_for_key
    assert {p for p, k, _v, _h in records if k == b"foobar"} == {partition_for_key(b"foobar", 3)}


def test_headers_and_null_marker(sh):
    r = sh("kafka-console-producer", *BOOTSTRAP, "--topic", "orders", "--property", "parse.headers=true",
           "--property", "parse.key=true", "--property", "null.marker=NULL",
           stdin=["h1:a,h2:b\tk\tv", "NULL\tk\tNULL"])
    assert r.code == 0
    by_value = {v: (k, h) for _p, k, v, h in _records(sh.cluster)}
    assert by_value[b"v"] == (b"k", (("h1", b"a"), ("h2", b"b")))
    assert by_value[None] == (b"k", ())


def test_a_line_without_the_key_separator_stops_the_producer(sh):
    r = sh("kafka-console-producer", *BOOTSTRAP, "--topic", "orders", "--property", "parse.key=true",
           stdin=["k\tgood", "no separator here", "never read"])
    assert r.code == 1
    assert r.err == ("org.apache.kafka.common.KafkaException: No key separator found on line number 2: "
                     "'no separator here'\n")
    assert [v for _p, _k, v, _h in _records(sh.cluster)] == [b"good"]     # the first line was sent


def test_producer_argument_errors(sh):
    r = sh("kafka-console-producer", "--topic", "orders")
    assert r.code == 1 and r.err.startswith("Missing required option(s) [bootstrap-server]\nOption ")
    r = sh("kafka-console-producer", *BOOTSTRAP)
    assert r.err.startswith('Missing required argument "[topic]"\n')
    r = sh("kafka-console-producer", "--bootstrap-server", "localhost", "--topic", "orders")
    assert r.err.startswith("Please provide valid host:port like host1:9091,host2:9092\n\nOption ")
    r = sh("kafka-console-producer", *BOOTSTRAP, "--topic", "orders", "--producer-property", "linger.ms=-1",
           stdin=["x"])
    assert (r.code, r.err) == (1, "org.apache.kafka.common.config.ConfigException: Invalid value -1 for "
                                  "configuration linger.ms: Value must be at least 0\n")


def test_acks_1_send_that_fails_is_logged_by_the_error_logging_callback(sh):
    sh.cluster.create_topic("strict", 1, 3, {"min.insync.replicas": 3}, immediate=True)
    sh.cluster.kill_broker(103)
    sh.cluster.advance(40_000)
    r = sh("kafka-console-producer", *BOOTSTRAP, "--topic", "strict", "--producer-property",
           "delivery.timeout.ms=5000", stdin=["lost"])
    lines = r.err.splitlines()
    assert r.code == 0
    assert lines[0].endswith("ERROR Error when sending message to topic strict with key: null, value: 4 bytes "
                             "with error: (org.apache.kafka.clients.producer.internals.ErrorLoggingCallback)")
    assert lines[1].startswith("org.apache.kafka.common.errors.")


def _produce(sh, *lines: str, topic: str = "orders") -> None:
    sh("kafka-console-producer", *BOOTSTRAP, "--topic", topic, "--property", "parse.key=true",
       "--property", "key.separator=:", stdin=list(lines))


def test_from_beginning_prints_values_and_reports_the_count_when_caught_up(sh):
    _produce(sh, "a:1", "a:2", "a:3")
    r = sh(*CONSUME, "--from-beginning")
    assert (r.code, r.out, r.err) == (0, "1\n2\n3\n", "Processed a total of 3 messages\n")


def test_without_from_beginning_a_new_group_starts_at_the_end(sh):
    _produce(sh, "a:1")
    r = sh(*CONSUME)
    assert (r.out, r.err) == ("", "Processed a total of 0 messages\n")


def test_formatter_properties(sh):
    _produce(sh, "k:v")
    partition = next(p for p, k, _v, _h in _records(sh.cluster) if k == b"k")
    r = sh(*CONSUME, "--from-beginning", "--property", "print.key=true", "--property", "print.partition=true",
           "--property", "print.offset=true", "--property", "print.headers=true", "--property", "key.separator= | ")
    assert r.out == f"Partition:{partition} | Offset:0 | NO_HEADERS | k | v\n"
    r = sh(*CONSUME, "--from-beginning", "--property", "print.timestamp=true", "--property", "print.value=false",
           "--property", "print.key=true")
    ts = next(rec.timestamp for _o, rec, _b in sh.cluster.view().authoritative_log("orders", partition).records())
    assert r.out == f"CreateTime:{ts}\tk\n"


def test_null_keys_print_as_the_null_literal(sh):
    sh("kafka-console-producer", *BOOTSTRAP, "--topic", "orders", stdin=["v"])
    r = sh(*CONSUME, "--from-beginning", "--property", "print.key=true", "--property", "null.literal=<none>")
    assert r.out == "<none>\tv\n"


def test_max_messages_stops_and_puts_back_what_it_did_not_print(sh):
    _produce(sh, *(f"same:{i}" for i in range(5)))
    r = sh(*CONSUME, "--from-beginning", "--group", "readers", "--max-messages", "2")
    assert (r.out, r.err) == ("0\n1\n", "Processed a total of 2 messages\n")
    # The group committed the position after the second record, not after all five it fetched.
    partition = next(p for p, k, _v, _h in _records(sh.cluster) if k == b"same")
    sh.cluster.advance(2000)
    assert sh.cluster.view().group_committed("readers")[TopicPartition("orders", partition)] == 2
    r = sh(*CONSUME, "--group", "readers")
    assert r.out == "2\n3\n4\n"


def test_timeout_ms_logs_kafkas_timeout_exception(sh):
    r = sh(*CONSUME, "--timeout-ms", "5000")
    lines = r.err.splitlines()
    assert lines[0].endswith("ERROR Error processing message, terminating consumer process:  "
                             "(org.apache.kafka.tools.consumer.ConsoleConsumer)")
    assert lines[1:] == ["org.apache.kafka.common.errors.TimeoutException", "Processed a total of 0 messages"]


def test_partition_and_offset_read_one_partition_from_an_offset(sh):
    _produce(sh, *(f"same:{i}" for i in range(4)))
    partition = next(p for p, k, _v, _h in _records(sh.cluster) if k == b"same")
    r = sh(*CONSUME, "--partition", str(partition), "--offset", "2", "--property", "print.offset=true")
    assert r.out == "Offset:2\t2\nOffset:3\t3\n"
    r = sh(*CONSUME, "--partition", str(partition), "--offset", "earliest", "--max-messages", "1")
    assert r.out == "0\n"
    assert "readers" not in sh.cluster.view().groups()


def test_generated_groups_are_named_like_kafkas_and_commit_nothing(sh):
    _produce(sh, "a:1")
    sh(*CONSUME, "--from-beginning")
    groups = sh.cluster.view().groups()
    name, = [g for g in groups if g.startswith("console-consumer-")]
    assert 0 <= int(name.split("-")[-1]) < 100000
    assert groups[name].committed == {}


@pytest.mark.parametrize("args, message", [
    ((), "Exactly one of the following arguments is required: [topic], [include]"),
    (("--topic", "t", "--include", "t"), "Exactly one of the following arguments is required: [topic], [include]"),
    (("--include", "t", "--partition", "0"), "The topic is required when partition is specified."),
    (("--topic", "t", "--offset", "3"), "The partition is required when offset is specified."),
    (("--topic", "t", "--partition", "0", "--offset", "-3"),
     "The provided offset value '-3' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long."),
    (("--topic", "t", "--partition", "0", "--group", "g"), "Options group and partition cannot be specified "
                                                           "together."),
    (("--topic", "t", "--group", "a", "--consumer-property", "group.id=b"),
     "The group ids provided in different places (directly using '--group', via '--consumer-property', or via "
     "'--consumer.config') do not match. Detected group ids: 'a', 'b'"),
])
def test_consumer_argument_errors_are_kafkas(sh, args, message):
    r = sh("kafka-console-consumer", *BOOTSTRAP, *args)
    assert r.code == 1 and r.err.startswith(message + "\nOption ")


def test_from_beginning_conflicting_with_auto_offset_reset(sh):
    r = sh(*CONSUME, "--from-beginning", "--consumer-property", "auto.offset.reset=latest")
    assert (r.code, r.err) == (1, "Can't simultaneously specify --from-beginning and 'auto.offset.reset=latest', "
                                  "please remove one option\n")


def test_interactive_consumer_runs_until_interrupted_and_prints_records_as_they_arrive(cluster):
    out: list[str] = []
    cmd = start_command(cluster, list(CONSUME) + ["--group", "live"], lambda t, s: out.append(t), interactive=True)
    cluster.advance(60_000)                  # nothing to read: a terminal consumer just waits
    assert not cmd.done and out == []
    producer = cluster.producer("p")
    producer.send("orders", b"late", key=b"k")
    cluster.advance(2_000)
    assert out == ["late\n"] and not cmd.done
    cmd.interrupt()
    cluster.advance(1_000)
    assert cmd.done and cmd.exit_code == 130         # a JVM stopped by SIGINT
    assert out[-1] == "Processed a total of 1 messages\n"


def test_interactive_producer_reads_lines_until_end_of_input(cluster):
    out: list[str] = []
    cmd = start_command(cluster, ["kafka-console-producer", *BOOTSTRAP, "--topic", "orders"],
                        lambda t, s: out.append(t), interactive=True)
    assert cmd.prompt == ">" and cmd.reads_input
    cmd.feed("one")
    cluster.advance(5_000)
    assert [v for _p, _k, v, _h in _records(cluster)] == [b"one"] and not cmd.done
    cmd.feed("two")
    cmd.end_input()                          # Ctrl+D: flush, wait for the acks, exit
    assert not cmd.done
    cluster.advance(1_000)
    assert cmd.done and cmd.exit_code == 0
    assert sorted(v for _p, _k, v, _h in _records(cluster)) == [b"one", b"two"]


def test_sync_sends_one_record_at_a_time(sh):
    r = sh("kafka-console-producer", *BOOTSTRAP, "--topic", "orders", "--sync", stdin=["a", "b", "c"])
    assert (r.code, r.out, r.err) == (0, "", "")
    assert sorted(v for _p, _k, v, _h in _records(sh.cluster)) == [b"a", b"b", b"c"]
    acked = [e for e in sh.cluster.events.history if e.kind.name == "PRODUCE_ACKED"]
    assert [e.data["count"] for e in acked] == [1, 1, 1]          # never batched together


def test_a_value_the_deserializer_cannot_read_ends_the_consumer(sh):
    _produce(sh, "k:12345")
    r = sh(*CONSUME, "--from-beginning", "--value-deserializer",
           "org.apache.kafka.common.serialization.LongDeserializer")
    lines = r.err.splitlines()
    assert r.code == 1 and lines[0] == "Processed a total of 1 messages"
    assert lines[1].endswith("ERROR Unknown error when running consumer:  "
                             "(org.apache.kafka.tools.consumer.ConsoleConsumer)")
    assert lines[2] == ("org.apache.kafka.common.errors.SerializationException: Size of data received by "
                        "LongDeserializer is not 8")
    r = sh(*CONSUME, "--from-beginning", "--value-deserializer",
           "org.apache.kafka.common.serialization.LongDeserializer", "--skip-message-on-error")
    assert r.code == 0 and "Error processing message, skipping this message: " in r.err


def test_include_subscribes_to_the_matching_topics(sh):
    sh.cluster.create_topic("orders-eu", 1, 3, immediate=True)
    sh.cluster.create_topic("payments", 1, 3, immediate=True)
    for topic in ("orders-eu", "payments"):
        sh("kafka-console-producer", *BOOTSTRAP, "--topic", topic, stdin=[f"to {topic}"])
    r = sh("kafka-console-consumer", *BOOTSTRAP, "--include", "orders.*", "--from-beginning")
    assert r.out == "to orders-eu\n"
