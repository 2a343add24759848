"""Tab completion for the console: command names, a tool's flags, and the values a flag takes.

`complete(view, text)` looks at the command line up to the cursor and returns
(where the word being completed starts, the candidates for it): the tools'
names for the first word, `--flags` of the named tool, topic names after
`--topic`/`--include`, group ids after `--group`, the bootstrap address after
`--bootstrap-server`, and the formatter/reader properties and enumerated values
Kafka documents for the other flags.
"""

from __future__ import annotations

from .common import bootstrap_address
from .session import command_names, tool_for

FORMATTER_PROPS = ("print.timestamp=true", "print.key=true", "print.offset=true", "print.partition=true",
                   "print.headers=true", "print.value=false", "key.separator=", "line.separator=",
                   "headers.separator=", "null.literal=")
READER_PROPS = ("parse.key=true", "key.separator=", "parse.headers=true", "headers.delimiter=",
                "headers.separator=", "headers.key.separator=", "ignore.error=true", "null.marker=")
CONSUMER_PROPS = ("auto.offset.reset=", "enable.auto.commit=", "auto.commit.interval.ms=", "max.poll.records=",
                  "session.timeout.ms=", "heartbeat.interval.ms=", "max.poll.interval.ms=", "isolation.level=",
                  "group.instance.id=", "partition.assignment.strategy=")
PRODUCER_PROPS = ("acks=", "enable.idempotence=", "linger.ms=", "batch.size=", "compression.type=", "retries=",
                  "max.in.flight.requests.per.connection=", "delivery.timeout.ms=", "request.timeout.ms=",
                  "transactional.id=")
FIXED_VALUES = {
    "offset": ("earliest", "latest"),
    "isolation-level": ("read_committed", "read_uncommitted"),
    "request-required-acks": ("all", "-1", "0", "1"),
    "compression-codec": ("none", "gzip", "snappy", "lz4", "zstd"),
    "key-deserializer": ("org.apache.kafka.common.serialization.StringDeserializer",
                         "org.apache.kafka.common.serialization.LongDeserializer",
                         "org.apache.kafka.common.serialization.IntegerDeserializer"),
}
FIXED_VALUES["value-deserializer"] = FIXED_VALUES["key-deserializer"]


def _values(view, tool, flag: str) -> list[str] | None:
    """What may follow `--flag`; None when the flag takes no argument (a new flag comes next)."""
    spec = next((o for o in tool.options() if o.name == flag), None)
    if spec is None or spec.arg is None:
        return None
    if flag in ("topic", "include"):
        return view.topic_names(include_internal=True)
    if flag == "group":
        return sorted(view.groups())
    if flag == "bootstrap-server":
        return [bootstrap_address(view)]
    if flag == "property":
        return list(READER_PROPS if tool.name == "kafka-console-producer" else FORMATTER_PROPS)
    if flag == "consumer-property":
        return list(CONSUMER_PROPS)
    if flag == "producer-property":
        return list(PRODUCER_PROPS)
    if flag == "config":
        from playground.engine.config import TOPIC_CONFIGS
        return [f"{name}=" for name in sorted(TOPIC_CONFIGS)]
    return list(FIXED_VALUES.get(flag, ()))


def complete(view, text: str) -> tuple[int, list[str]]:
    """(start of the word under completion in `text`, sorted candidates for it)."""
    start = len(text) - len(text.split(" ")[-1]) if text else 0
    word = text[start:]
    words = text[:start].split()
    if not words:
        return start, [c for c in command_names() if c.startswith(word)]
    tool = tool_for(words[0])
    if tool is None:
        return start, []
    previous = words[-1] if len(words) > 1 else ""
    if previous.startswith("--") and "=" not in previous:
        values = _values(view, tool, previous[2:])
        if values is not None:
            return start, sorted(v for v in values if v.startswith(word))
    flags = sorted(f"--{o.name}" for o in tool.options()) + ["--help", "--version"]
    return start, [f for f in dict.fromkeys(flags) if f.startswith(word)]


def common_prefix(candidates: list[str]) -> str:
    if not candidates:
        return ""
    first, last = min(candidates), max(candidates)
    n = 0
    while n < len(first) and n < len(last) and first[n] == last[n]:
        n += 1
    return first[:n]
