"""`kafka-console-consumer`: print the records of a topic as they arrive.

Follows Kafka's `ConsoleConsumer`, `ConsoleConsumerOptions` and
`DefaultMessageFormatter`: the consumer subscribes with `--group` (or a
generated `console-consumer-NNNNN` group that commits nothing), or with
`--partition` is assigned one partition and seeks to `--offset` (latest by
default). Each record is printed as the formatter prints it (`--property
print.key=true`, `print.timestamp`, `print.partition`, `print.offset`,
`print.headers`, `key.separator`, `line.separator`, `null.literal`, ...). The
tool stops after `--max-messages`, after `--timeout-ms` with no record
(logging Kafka's TimeoutException), or on Ctrl+C; then it puts back the
records it did not print (so auto commit does not commit them), closes the
consumer and prints `Processed a total of N messages` on stderr.

Headless (`kafka-playground exec`), nobody can press Ctrl+C, so a consumer
without --timeout-ms stops by itself once it is caught up (even short of
--max-messages): it has read up to the high watermark of every partition it
owns and IDLE_MS of virtual time went by without a record (or QUIET_MS without
a record in any case, or NO_ASSIGNMENT_MS without ever owning a partition).
"""

from __future__ import annotations

import random
import re
import struct

from playground.engine import TopicPartition
from playground.engine.consumer import CONSUMER_DEFAULTS
from playground.engine.protocol import EARLIEST_TIMESTAMP, LATEST_TIMESTAMP

from .common import EXIT_INTERRUPTED, Command, valid_bootstrap
from .options import Opt, UsageError, maybe_help, parse_key_values, required

LOGGER = "org.apache.kafka.tools.consumer.ConsoleConsumer"
CHECK_MS = 100
IDLE_MS = 1_000
QUIET_MS = 10_000
NO_ASSIGNMENT_MS = 60_000
CLOSE_TIMEOUT_MS = 30_000           # KafkaConsumer.close() waits at most 30 s
FORMATTER_HELP = ("The properties to initialize the message formatter. Default properties include: \n"
                  " print.timestamp=true|false\n print.key=true|false\n print.offset=true|false\n"
                  " print.partition=true|false\n print.headers=true|false\n print.value=true|false\n"
                  " key.separator=<key.separator>\n line.separator=<line.separator>\n"
                  " headers.separator=<headers.separator>\n null.literal=<null.literal>\n"
                  " key.deserializer=<key.deserializer>\n value.deserializer=<value.deserializer>\n"
                  " header.deserializer=<header.deserializer>\n\nUsers can also pass in customized properties for "
                  "their formatter; more specifically, users can pass in properties keyed with 'key.deserializer.', "
                  "'value.deserializer.' and 'headers.deserializer.' prefixes to configure their deserializers.")
SERIALIZATION = "org.apache.kafka.common.serialization."
NUMBER_FORMATS = {"IntegerDeserializer": (">i", 4), "LongDeserializer": (">q", 8), "ShortDeserializer": (">h", 2),
                  "DoubleDeserializer": (">d", 8), "FloatDeserializer": (">f", 4)}


class DeserializeError(Exception):
    pass


def deserialize(name: str | None, data: bytes) -> bytes:
    """A key/value/header deserializer by class name, as DefaultMessageFormatter applies it."""
    if name is None:
        return data
    short = name.removeprefix(SERIALIZATION)
    if short in ("StringDeserializer", "ByteArrayDeserializer", "BytesDeserializer"):
        return data
    fmt, size = NUMBER_FORMATS[short]
    if len(data) != size:
        raise DeserializeError(f"org.apache.kafka.common.errors.SerializationException: Size of data received by "
                               f"{short} is not {size}")
    return str(struct.unpack(fmt, data)[0]).encode()


class MessageFormatter:
    """Kafka's DefaultMessageFormatter."""

    def __init__(self, props: dict[str, str]) -> None:
        flag = lambda k, d: props[k].strip().lower() == "true" if k in props else d  # noqa: E731
        self.timestamp, self.key, self.value = flag("print.timestamp", False), flag("print.key", False), \
            flag("print.value", True)
        self.partition, self.offset, self.headers = flag("print.partition", False), flag("print.offset", False), \
            flag("print.headers", False)
        self.key_separator = props.get("key.separator", "\t").encode()
        self.line_separator = props.get("line.separator", "\n").encode()
        self.headers_separator = props.get("headers.separator", ",").encode()
        self.null_literal = props.get("null.literal", "null").encode()
        self.deserializers = {}
        self.unknown: list[str] = []
        for part in ("key", "value", "headers"):
            name = props.get(f"{part}.deserializer")
            known = name is None or name.removeprefix(SERIALIZATION) in (
                "StringDeserializer", "ByteArrayDeserializer", "BytesDeserializer", *NUMBER_FORMATS)
            self.deserializers[part] = name if known else None
            if not known:
                self.unknown.append(name)

    def _field(self, part: str, data: bytes | None) -> bytes:
        return deserialize(self.deserializers[part], self.null_literal if data is None else data)

    def format(self, r, timestamp_type: str) -> bytes:
        fields: list[bytes] = []
        if self.timestamp:
            fields.append(f"{timestamp_type}:{r.record.timestamp}".encode())
        if self.partition:
            fields.append(f"Partition:{r.partition}".encode())
        if self.offset:
            fields.append(f"Offset:{r.offset}".encode())
        if self.headers:
            headers = r.record.headers
            fields.append(self.headers_separator.join(
                _text(h) + b":" + self._field("headers", v) for h, v in headers) if headers else b"NO_HEADERS")
        if self.key:
            fields.append(self._field("key", r.record.key))
        if self.value:
            fields.append(self._field("value", r.record.value))
            return self.key_separator.join(fields) + self.line_separator
        # Without the value, each field still ends with a separator: the last one with line.separator.
        return b"".join(f + (self.key_separator if i < len(fields) - 1 else self.line_separator)
                        for i, f in enumerate(fields))


def _text(value) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)


class ConsoleConsumer(Command):
    name = "kafka-console-consumer"
    purpose = "This tool helps to read data from Kafka topics and outputs it to standard output."

    @classmethod
    def options(cls) -> list[Opt]:
        return [
            Opt("topic", "The topic to consume from.", "required", described_as="topic"),
            Opt("include", "Regular expression specifying list of topics to include for consumption.", "required",
                described_as="Java regex (String)"),
            Opt("partition", "The partition to consume from. Consumption starts from the end of the partition "
                             "unless '--offset' is specified.", "required", "Integer", "partition"),
            Opt("offset", "The offset to consume from (a non-negative number), or 'earliest' which means from "
                          "beginning, or 'latest' which means from end", "required", described_as="consume offset",
                default="latest"),
            Opt("consumer-property", "A mechanism to pass user-defined properties in the form key=value to the "
                                     "consumer.", "required", described_as="consumer_prop"),
            Opt("property", FORMATTER_HELP, "required", described_as="prop"),
            Opt("from-beginning", "If the consumer does not already have an established offset to consume from, "
                                  "start with the earliest message present in the log rather than the latest "
                                  "message."),
            Opt("max-messages", "The maximum number of messages to consume before exiting. If not set, consumption "
                                "is continual.", "required", "Integer", "num_messages"),
            Opt("timeout-ms", "If specified, exit if no message is available for consumption for the specified "
                              "interval. (In `kafka-playground exec`, without it the consumer stops once it has "
                              f"read up to the high watermark and {IDLE_MS} ms of virtual time passed with no new "
                              "record.)", "required", "Long", "timeout_ms"),
            Opt("skip-message-on-error", "If there is an error when processing a message, skip it instead of "
                                         "halt."),
            Opt("bootstrap-server", "REQUIRED: The server(s) to connect to.", "required",
                described_as="server to connect to"),
            Opt("key-deserializer", "The name of the class to use for deserializing keys.", "required",
                described_as="deserializer for keys"),
            Opt("value-deserializer", "The name of the class to use for deserializing values.", "required",
                described_as="deserializer for values"),
            Opt("isolation-level", "Set to read_committed in order to filter out transactional messages which are "
                                   "not committed. Set to read_uncommitted to read all messages.", "required",
                default="read_uncommitted"),
            Opt("group", "The consumer group id of the consumer.", "required", described_as="consumer group id"),
        ]

    # -- ConsoleConsumerOptions ----------------------------------------------------------------------
    def run(self, o) -> None:
        maybe_help(o, self.purpose)
        if o.has("topic") == o.has("include"):
            raise UsageError("Exactly one of the following arguments is required: [topic], [include]")
        if o.has("partition"):
            if not o.has("topic"):
                raise UsageError("The topic is required when partition is specified.")
            if o.has("from-beginning") and o.has("offset"):
                raise UsageError("Options from-beginning and offset cannot be specified together.")
        elif o.has("offset"):
            raise UsageError("The partition is required when offset is specified.")
        required(o, "bootstrap-server")
        props = parse_key_values(o.values("consumer-property"))
        groups = list(dict.fromkeys(g for g in (o.value("group"), props.get("group.id")) if g is not None))
        if len(groups) > 1:
            raise UsageError("The group ids provided in different places (directly using '--group', via "
                             "'--consumer-property', or via '--consumer.config') do not match. Detected group ids: "
                             + ", ".join(f"'{g}'" for g in groups))
        if groups and o.has("partition"):
            raise UsageError("Options group and partition cannot be specified together.")
        if "auto.offset.reset" in props:
            if o.has("from-beginning") and props["auto.offset.reset"] != "earliest":
                self.err(f"Can't simultaneously specify --from-beginning and 'auto.offset.reset="
                         f"{props['auto.offset.reset']}', please remove one option")
                self.finish(1)
                return
        else:
            props["auto.offset.reset"] = "earliest" if o.has("from-beginning") else "latest"
        if o.has("isolation-level") or "isolation.level" not in props:      # maybeMergeOptions
            props["isolation.level"] = o.value("isolation-level")
        if groups:
            props["group.id"] = groups[0]
        else:
            # The generated group's offsets are never used again, so it commits nothing by default.
            seed = random.Random(f"{self.cluster.seed}/console-consumer/{len(self.cluster.consumers)}")
            props["group.id"] = f"console-consumer-{seed.randrange(100000)}"
            props.setdefault("enable.auto.commit", "false")
        self.offset = self._parse_offset(o)
        timeout = o.value("timeout-ms")
        self.timeout_ms = timeout if timeout is not None and timeout >= 0 else None
        self.max_messages = o.value("max-messages") if o.has("max-messages") else -1
        fprops = parse_key_values(o.values("property"))
        for part in ("key", "value"):
            if o.value(f"{part}-deserializer"):
                fprops[f"{part}.deserializer"] = o.value(f"{part}-deserializer")
        self.formatter = MessageFormatter(fprops)
        self.skip_on_error = o.has("skip-message-on-error")
        if not valid_bootstrap(o.value("bootstrap-server")):
            self.log("ERROR", "Unknown error when running consumer: ", LOGGER)
            self.err("org.apache.kafka.common.KafkaException: Failed to construct kafka consumer")
            self.finish(1)
            return
        for name in self.formatter.unknown:
            self.log("ERROR", f"Unable to instantiate a deserializer from {name}",
                     "org.apache.kafka.tools.consumer.DefaultMessageFormatter")
        self._start_consumer(o, props)

    def _parse_offset(self, o) -> int | None:
        if not o.has("offset"):
            return EARLIEST_TIMESTAMP if o.has("from-beginning") else LATEST_TIMESTAMP
        text = o.value("offset")
        if text.lower() == "earliest":
            return EARLIEST_TIMESTAMP
        if text.lower() == "latest":
            return LATEST_TIMESTAMP
        try:
            offset = int(text)
        except ValueError:
            offset = -1
        if offset < 0:
            raise UsageError(f"The provided offset value '{text}' is incorrect. Valid values are 'earliest', "
                             "'latest', or a non-negative long.")
        return offset

    # -- ConsoleConsumer.run -----------------------------------------------------------------------
    def _start_consumer(self, o, props: dict[str, str]) -> None:
        self.count = 0
        self.pending: list = []                # fetched by the last poll() but not printed yet
        self.stopping = False
        self.started_ms = self.last_activity = self.now
        self.assigned_ms: int | None = None
        config = {k: _typed(v) for k, v in props.items() if k in CONSUMER_DEFAULTS and k != "group.id"}
        unknown = sorted(k for k in props if k not in CONSUMER_DEFAULTS and k not in ("client.id",))
        if unknown:
            self.log("WARN", f"These configurations '[{', '.join(unknown)}]' were supplied but are not used yet.",
                     "org.apache.kafka.clients.consumer.ConsumerConfig")
        name, n = "console-consumer", 1
        while name in self.cluster.consumers:
            n += 1
            name = f"console-consumer-{n}"
        if o.has("partition"):
            tp = TopicPartition(o.value("topic"), o.value("partition"))
            self.consumer = self.cluster.consumer(name, None, None, **config)
            self.consumer.on_records = self._on_records
            self.consumer.assign([tp])
            if self.offset in (EARLIEST_TIMESTAMP, LATEST_TIMESTAMP):
                self.consumer.seek_to(tp, self.offset)
            else:
                self.consumer.seek(tp, self.offset)
        else:
            topics = [o.value("topic")] if o.has("topic") else self._included(o.value("include"))
            self.consumer = self.cluster.consumer(name, props["group.id"], None, **config)
            self.consumer.on_records = self._on_records
            if topics:
                self.consumer.subscribe(topics)
        if self.max_messages == 0:
            self._stop()
            return
        self.later(CHECK_MS, self._check)

    def _included(self, regex: str) -> list[str]:
        """subscribe(Pattern): the topics matching now (the playground does not re-match new topics)."""
        pattern = re.compile(regex)
        return [t for t in self.view.topic_names(include_internal=False) if pattern.fullmatch(t)]

    def _on_records(self, batch) -> None:
        if self.stopping:
            self.pending.extend(batch)
            return
        self.last_activity = self.now
        for i, r in enumerate(batch):
            failed = self._print(r)
            if failed is not None or 0 <= self.max_messages <= self.count:
                # What this poll() returned beyond the last record printed goes back (cleanup seeks).
                self.pending.extend(batch[i + 1:])
                self.stopping = True
                self._cleanup(*failed) if failed is not None else self._cleanup()
                return

    def _print(self, r):
        """Print one record; returns (exit code, what to log after the count) when it ends the tool."""
        self.count += 1
        ts_type = str(self.view.topic_config(r.topic, "message.timestamp.type"))
        try:
            self.write(self.formatter.format(r, ts_type).decode("utf-8", errors="replace"))
        except DeserializeError as exc:
            error = str(exc)
            if not self.skip_on_error:
                # The exception leaves process(); its finally block cleans up and reports, then
                # main() logs it and exits 1.
                def failed() -> None:
                    self.log("ERROR", "Unknown error when running consumer: ", LOGGER)
                    self.err(error)
                return 1, failed
            self.log("ERROR", "Error processing message, skipping this message: ", LOGGER)
            self.err(str(exc))
        return None

    def _check(self) -> None:
        """Periodic: --timeout-ms without a record, and (headless) the consumer caught up."""
        if self.stopping:
            return
        c = self.consumer
        if self.assigned_ms is None and c.assignment and all(c.positions.get(tp) is not None for tp in c.assignment):
            self.assigned_ms = self.now
        idle = self.now - max(self.last_activity, self.assigned_ms or self.started_ms)
        if self.timeout_ms is not None and self.now - self.last_activity > self.timeout_ms:
            # ConsumerWrapper.receive() throws TimeoutException; process() logs it and returns.
            self.log("ERROR", "Error processing message, terminating consumer process: ", LOGGER)
            self.err("org.apache.kafka.common.errors.TimeoutException")
            self._stop()
            return
        if self.headless and self.timeout_ms is None:
            if self.assigned_ms is None:
                if self.now - self.started_ms >= NO_ASSIGNMENT_MS:
                    self._stop()
                    return
            elif (idle >= IDLE_MS and self._caught_up()) or idle >= QUIET_MS:
                self._stop()
                return
        self.later(CHECK_MS, self._check)

    def _caught_up(self) -> bool:
        c = self.consumer
        hw = {(p.topic, p.partition): p.high_watermark
              for t in {tp.topic for tp in c.assignment} for p in self.view.partitions(t)}
        return all((c.positions.get(tp) or 0) >= hw.get((tp.topic, tp.partition), 0) for tp in c.assignment)

    def interrupt(self) -> None:
        """Ctrl+C: the shutdown hook wakes the consumer up; process() returns and cleanup runs."""
        if self.done:
            return
        if not hasattr(self, "consumer"):
            super().interrupt()
            return
        if not self.stopping:
            self.stopping = True
            self._cleanup(EXIT_INTERRUPTED)         # the JVM, stopped by SIGINT, exits 130

    def _stop(self) -> None:
        if self.stopping:
            return
        self.stopping = True
        self._cleanup()

    def _cleanup(self, exit_code: int = 0, then=None) -> None:
        """ConsumerWrapper.cleanup: seek back to the first record not printed of each partition (so
        auto commit does not commit it), close the consumer (commit, LeaveGroup), then report."""
        c = self.consumer
        first: dict = {}
        for r in self.pending:
            first.setdefault(TopicPartition(r.topic, r.partition), r.offset)
        for tp, offset in first.items():
            if tp in c.positions:
                c.seek(tp, offset)
        self.pending = []
        c.close()
        deadline = self.now + CLOSE_TIMEOUT_MS

        def closed() -> None:
            if c.alive and self.now < deadline:
                self.later(CHECK_MS // 10, closed)
                return
            self.err(f"Processed a total of {self.count} messages")
            if then is not None:
                then()
            self.finish(exit_code)
        closed()


def _typed(value: str):
    """A consumer property as the engine's config wants it: numbers as ints."""
    text = str(value).strip()
    return int(text) if re.fullmatch(r"-?\d+", text) else text

