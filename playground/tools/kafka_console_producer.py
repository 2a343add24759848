"""`kafka-console-producer`: each line of standard input becomes one record.

Follows Kafka's `ConsoleProducer` and its `LineMessageReader`: `--property
parse.key=true` (and `key.separator`, `parse.headers`, `headers.delimiter`,
`headers.separator`, `headers.key.separator`, `null.marker`, `ignore.error`)
splits a line into headers, key and value; the tool's own defaults differ from
a plain KafkaProducer's (`--timeout` is `linger.ms`, 1000; `retries` 3;
`request.timeout.ms` 1500). Sends are asynchronous unless `--sync`; a failed
send is logged by Kafka's ErrorLoggingCallback. End of input (Ctrl+D) closes
the producer, which first sends and waits for everything it holds.
"""

from __future__ import annotations

import re

from playground.engine import Errors, KafkaError
from playground.engine.producer_loop import validate_producer_config

from .common import BOOTSTRAP_ERROR, EXIT_INTERRUPTED, Command, valid_bootstrap
from .errors import exception_line
from .options import Opt, OptionError, maybe_help, parse_key_values, required

READER_HELP = ("A mechanism to pass user-defined properties in the form key=value to the message reader. This "
               "allows custom configuration for a user-defined message reader.Default properties include:"
               "\n parse.key=false\n parse.headers=false\n ignore.error=false\n key.separator=\\t"
               "\n headers.delimiter=\\t\n headers.separator=,\n headers.key.separator=:"
               "\n null.marker=   When set, any fields (key, value and headers) equal to this will be replaced by "
               "null\nDefault parsing pattern when:\n parse.headers=true and parse.key=true:"
               "\n  \"h1:v1,h2:v2...\\tkey\\tvalue\"\n parse.key=true:\n  \"key\\tvalue\"\n parse.headers=true:"
               "\n  \"h1:v1,h2:v2...\\tvalue\"")
# Producer settings Kafka accepts that the simulated producer has no use for.
UNMODELLED = {"bootstrap.servers", "client.id", "key.serializer", "value.serializer", "buffer.memory",
              "send.buffer.bytes", "receive.buffer.bytes", "max.request.size", "compression.level"}
PRODUCER_CONFIG_LOGGER = "org.apache.kafka.clients.producer.ProducerConfig"


class ReaderError(Exception):
    """LineMessageReader's KafkaException, printed with its stack trace's first line."""


class LineReader:
    """Kafka's LineMessageReader: headers, key and value out of one line."""

    def __init__(self, props: dict[str, str]) -> None:
        flag = lambda k: props.get(k, "false").strip().lower() == "true"  # noqa: E731
        self.parse_key, self.parse_headers, self.ignore_error = flag("parse.key"), flag("parse.headers"), \
            flag("ignore.error")
        self.key_separator = props.get("key.separator", "\t")
        self.headers_delimiter = props.get("headers.delimiter", "\t")
        self.headers_separator = props.get("headers.separator", ",")
        self.headers_key_separator = props.get("headers.key.separator", ":")
        self.null_marker = props.get("null.marker")
        pairs = [("headers.delimiter", self.headers_delimiter, "headers.separator", self.headers_separator),
                 ("headers.delimiter", self.headers_delimiter, "headers.key.separator", self.headers_key_separator),
                 ("headers.separator", self.headers_separator, "headers.key.separator", self.headers_key_separator),
                 ("null.marker", self.null_marker, "key.separator", self.key_separator),
                 ("null.marker", self.null_marker, "headers.separator", self.headers_separator),
                 ("null.marker", self.null_marker, "headers.delimiter", self.headers_delimiter),
                 ("null.marker", self.null_marker, "headers.key.separator", self.headers_key_separator)]
        for a, va, b, vb in pairs:
            if va is not None and va == vb:
                raise ReaderError(f"{a} and {b} may not be equal")
        self.line_number = 0

    def _split(self, enabled: bool, line: str, start: int, mark: str, what: str) -> str | None:
        if not enabled:
            return None
        index = line.find(mark, start)
        if index < 0:
            if self.ignore_error:
                return None
            raise ReaderError(f"No {what} found on line number {self.line_number}: '{line}'")
        return line[start:index]

    def _bytes(self, text: str | None) -> bytes | None:
        return None if text is None or text == self.null_marker else text.encode("utf-8")

    def record(self, line: str) -> tuple[bytes | None, bytes | None, tuple]:
        """(key, value, headers) of one line."""
        self.line_number += 1
        headers = self._split(self.parse_headers, line, 0, self.headers_delimiter, "headers delimiter")
        header_end = 0 if headers is None else len(headers) + len(self.headers_delimiter)
        key = self._split(self.parse_key, line, header_end, self.key_separator, "key separator")
        key_end = 0 if key is None else len(key) + len(self.key_separator)
        value = line[header_end + key_end:]
        out_headers: list[tuple[str, bytes | None]] = []
        if headers is not None and headers != self.null_marker:
            for pair in re.split(self.headers_separator, headers):
                i = pair.find(self.headers_key_separator)
                if i < 0:
                    if self.ignore_error:
                        out_headers.append((pair, None))
                        continue
                    raise ReaderError(f"No header key separator found in pair '{pair}' on line number "
                                      f"{self.line_number}")
                name = pair[:i]
                if name == self.null_marker:
                    raise ReaderError(f"Header keys should not be equal to the null marker '{self.null_marker}' "
                                      "as they can't be null")
                out_headers.append((name, self._bytes(pair[i + len(self.headers_key_separator):])))
        return self._bytes(key), self._bytes(value), tuple(out_headers)


class ConsoleProducer(Command):
    name = "kafka-console-producer"
    purpose = "This tool helps to read data from standard input and publish it to Kafka."
    reads_input = True

    @classmethod
    def options(cls) -> list[Opt]:
        return [
            Opt("topic", "REQUIRED: The topic id to produce messages to.", "required", described_as="topic"),
            Opt("bootstrap-server", "REQUIRED unless --broker-list(deprecated) is specified. The server(s) to "
                                    "connect to. The broker list string in the form HOST1:PORT1,HOST2:PORT2.",
                "required", described_as="server to connect to"),
            Opt("sync", "If set message send requests to the brokers are synchronously, one at a time as they "
                        "arrive."),
            Opt("compression-codec", "The compression codec: either 'none', 'gzip', 'snappy', 'lz4', or 'zstd'.If "
                                     "specified without value, then it defaults to 'gzip'", "optional",
                described_as="compression-codec"),
            Opt("batch-size", "Number of messages to send in a single batch if they are not being sent "
                              "synchronously. please note that this option will be replaced if "
                              "max-partition-memory-bytes is also set", "required", "Integer", "size", "16384"),
            Opt("message-send-max-retries", "Brokers can fail receiving the message for multiple reasons, and "
                                            "being unavailable transiently is just one of them. This property "
                                            "specifies the number of retries before the producer give up and drop "
                                            "this message. This is the option to control `retries` in producer "
                                            "configs.", "required", "Integer", default="3"),
            Opt("retry-backoff-ms", "Before each retry, the producer refreshes the metadata of relevant topics. "
                                    "Since leader election takes a bit of time, this property specifies the amount "
                                    "of time that the producer waits before refreshing the metadata. This is the "
                                    "option to control `retry.backoff.ms` in producer configs.", "required", "Long",
                default="100"),
            Opt("timeout", "If set and the producer is running in asynchronous mode, this gives the maximum amount "
                           "of time a message will queue awaiting sufficient batch size. The value is given in ms. "
                           "This is the option to control `linger.ms` in producer configs.", "required", "Long",
                "timeout_ms", "1000"),
            Opt("request-required-acks", "The required `acks` of the producer requests", "required",
                described_as="request required acks", default="-1"),
            Opt("request-timeout-ms", "The ack timeout of the producer requests. Value must be non-negative and "
                                      "non-zero.", "required", "Integer", "request timeout ms", "1500"),
            Opt("metadata-expiry-ms", "The period of time in milliseconds after which we force a refresh of "
                                      "metadata even if we haven't seen any leadership changes. This is the option "
                                      "to control `metadata.max.age.ms` in producer configs.", "required", "Long",
                "metadata expiration interval", "300000"),
            Opt("max-block-ms", "The max time that the producer will block for during a send request.", "required",
                "Long", "max block on send", "60000"),
            Opt("max-partition-memory-bytes", "The buffer size allocated for a partition. When records are "
                                              "received which are smaller than this size the producer will attempt "
                                              "to optimistically group them together until this size is reached. "
                                              "This is the option to control `batch.size` in producer configs.",
                "required", "Integer", "memory in bytes per partition", "16384"),
            Opt("property", READER_HELP, "required", described_as="prop"),
            Opt("producer-property", "A mechanism to pass user-defined properties in the form key=value to the "
                                     "producer. ", "required", described_as="producer_prop"),
        ]

    def run(self, o) -> None:
        if not o.has("bootstrap-server") and not o.has("help") and not o.has("version"):
            raise OptionError("Missing required option(s) [bootstrap-server]")     # requiredUnless("broker-list")
        maybe_help(o, self.purpose)
        required(o, "topic")
        if not valid_bootstrap(o.value("bootstrap-server")):
            self.usage_error(BOOTSTRAP_ERROR)
            return
        self.topic = o.value("topic")
        self.sync = o.has("sync")
        try:
            self.reader = LineReader({"topic": self.topic, **parse_key_values(o.values("property"))})
            self.producer = self._producer(self.producer_props(o))
        except ReaderError as exc:
            self.err(f"org.apache.kafka.common.KafkaException: {exc}")
            self.finish(1)
            return
        except KafkaError as exc:
            message = exc.message.removeprefix("Kafka refuses this producer config (ConfigException): ")
            self.err(f"org.apache.kafka.common.config.ConfigException: {message}")
            self.finish(1)
            return
        self.outstanding = 0        # sends whose callback has not run yet
        self.queue: list[str] = []  # lines read while --sync waits for an ack
        self.closing: int | None = None

    def producer_props(self, o) -> dict[str, str]:
        """ConsoleProducerConfig.producerProps: --producer-property, then the tool's options on top
        (an option given explicitly wins; otherwise a producer property; otherwise the option's default)."""
        props = parse_key_values(o.values("producer-property"))
        codec = o.value("compression-codec") if o.has("compression-codec") else None
        props["compression.type"] = (codec or "gzip") if o.has("compression-codec") else "none"
        merge = [("linger.ms", "timeout"), ("acks", "request-required-acks"), ("request.timeout.ms",
                 "request-timeout-ms"), ("retries", "message-send-max-retries"),
                 ("retry.backoff.ms", "retry-backoff-ms"), ("batch.size", "batch-size"),
                 ("batch.size", "max-partition-memory-bytes"), ("metadata.max.age.ms", "metadata-expiry-ms"),
                 ("max.block.ms", "max-block-ms")]
        for key, option in merge:
            if o.has(option) or key not in props:
                props[key] = str(o.value(option))
        return props

    def _producer(self, props: dict[str, str]):
        modelled = {k: v for k, v in props.items() if k not in UNMODELLED and _modelled(k, v)}
        unknown = sorted(k for k in props if k not in UNMODELLED and k not in modelled)
        if unknown:
            self.log("WARN", f"These configurations '[{', '.join(unknown)}]' were supplied but are not used yet.",
                     PRODUCER_CONFIG_LOGGER)
        config = validate_producer_config(modelled)
        producers = self.cluster.producers
        name, n = "console-producer", 1
        while name in producers and (producers[name].closed or producers[name].user_config != config):
            n += 1
            name = f"console-producer-{n}"
        return self.cluster.producer(name, **config)

    # -- standard input ---------------------------------------------------------------------------
    @property
    def prompt(self) -> str:
        # LineMessageReader prints ">" before each line when System.console() is not null.
        return ">" if self.interactive else ""

    def feed(self, line: str) -> None:
        if self.done or self.closing is not None:
            return
        if self.sync and self.outstanding:
            self.queue.append(line)
            return
        self._send_line(line)

    def _send_line(self, line: str) -> None:
        try:
            key, value, headers = self.reader.record(line)
        except ReaderError as exc:
            self.err(f"org.apache.kafka.common.KafkaException: {exc}")
            self._close(1)
            return
        self.outstanding += 1
        self.producer.send(self.topic, value, key, headers,
                           callback=lambda error, _offset: self._acked(error, key, value))
        if self.sync:
            self.producer.flush_now()

    def _acked(self, error: Errors, key: bytes | None, value: bytes | None) -> None:
        self.outstanding -= 1
        if error != Errors.NONE:
            if self.sync:
                # send(record).get() throws; the exception ends the tool.
                self.err(f"java.util.concurrent.ExecutionException: {exception_line(error)}")
                self.queue.clear()
                self._close(1)
                return
            described = lambda b: "null" if b is None else f"{len(b)} bytes"  # noqa: E731
            self.log("ERROR", f"Error when sending message to topic {self.topic} with key: {described(key)}, "
                              f"value: {described(value)} with error:",
                     "org.apache.kafka.clients.producer.internals.ErrorLoggingCallback")
            self.err(exception_line(error))
        if self.sync and self.queue:
            self._send_line(self.queue.pop(0))
        self._maybe_closed()

    def end_input(self) -> None:
        """End of input: the tool exits 0 and its shutdown hook closes the producer, which sends
        what it holds and waits for the answers (with --sync, the lines read are sent first)."""
        self._close(0)

    def interrupt(self) -> None:
        """Ctrl+C: the shutdown hook closes the producer the same way; the JVM exits 130."""
        if self.done:
            return
        self.queue.clear()
        self._close(EXIT_INTERRUPTED)

    def _close(self, code: int) -> None:
        if self.done or self.closing is not None:
            return
        self.closing = code
        self.producer.flush_now()
        self._maybe_closed()

    def _maybe_closed(self) -> None:
        if self.closing is not None and not self.done and not self.queue and self.outstanding == 0:
            self.finish(self.closing)


def _modelled(name: str, value: str) -> bool:
    """Whether the simulated producer has the setting (a bad value still counts: it is refused later)."""
    try:
        validate_producer_config({name: value})
    except KafkaError as exc:
        return not exc.message.startswith("Unknown producer config name")
    return True
