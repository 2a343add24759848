"""The application around a producer: a loop that calls `send()` at a steady rate.

`start_producer(name, topic, rate, ...)` is what a load generator does
(`kafka-producer-perf-test --throughput`): it calls `KafkaProducer.send()`
`rate` times per second of virtual time, evenly spaced, until stopped. The
records are made from templates (`{i}` is the record's index; a list of keys
is taken in turn; no key is a null key). Without a rate it only creates and
configures the producer, which then sends when something names it.

A KafkaProducer's configuration is fixed when it is created, so starting a
producer that exists with other settings is refused (INVALID_CONFIG) instead
of quietly changing it. Settings are checked as Kafka's `ProducerConfig`
checks them, with Kafka's messages ("Invalid value -1 for configuration
linger.ms: Value must be at least 0").
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from .errors import Errors, KafkaError
from .events import EventKind
from .producer import PRODUCER_DEFAULTS

# Enum members looked up once: in Python 3.11 every Errors.X / EventKind.X goes through
# EnumType's __getattr__ hook, and these run for every record, batch or fetch.
_NONE = Errors.NONE

# The playground runs one loop per producer in one thread; a rate beyond this would
# spend the machine on a single loop without showing anything more.
MAX_RATE = 100_000
MIF = "max.in.flight.requests.per.connection"
ACKS_VALUES = ("all", "-1", "0", "1")
COMPRESSION_TYPES = ("none", "gzip", "snappy", "lz4", "zstd")
# Kafka 4 has one built-in partitioner (murmur2 for keys, uniform sticky for null keys,
# KIP-794); RoundRobinPartitioner is the one other that ships with the client.
PARTITIONERS = {"default": "sticky", "sticky": "sticky", "round_robin": "round_robin",
                "roundrobin": "round_robin", "RoundRobinPartitioner": "round_robin",
                "org.apache.kafka.clients.producer.RoundRobinPartitioner": "round_robin"}
# Settings the Producers panel and reports show, in this order.
SHOWN_CONFIG = ("acks", "enable.idempotence", "linger.ms", "batch.size", "compression.type", MIF,
                "transactional.id")


def _invalid(name: str, value: Any, reason: str) -> KafkaError:
    # Kafka's ConfigException(name, value, message) wording.
    return KafkaError(Errors.INVALID_CONFIG, f"Invalid value {value} for configuration {name}: {reason}")


def _number(name: str, value: Any, lo: int, hi: int | None = None, kind: str = "LONG") -> int:
    if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
        raise _invalid(name, value, f"Expected value to be a {kind.lower()}")
    try:
        n = int(value.strip()) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        raise _invalid(name, value, f"Not a number of type {kind}") from None
    if n < lo:
        raise _invalid(name, value, f"Value must be at least {lo}")
    if hi is not None and n > hi:
        raise _invalid(name, value, f"Value must be no more than {hi}")
    return n


def _boolean(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in ("true", "false"):
        raise _invalid(name, value, "Expected value to be either true or false")
    return text == "true"


def _one_of(name: str, value: Any, options) -> str:
    text = str(value).strip()
    if text not in options:
        raise _invalid(name, value, f"String must be one of: {', '.join(options)}")
    return text


_PARSERS = {
    "acks": lambda n, v: "all" if _one_of(n, v, ACKS_VALUES) == "-1" else str(v).strip(),
    "enable.idempotence": _boolean,
    "linger.ms": lambda n, v: _number(n, v, 0),
    "batch.size": lambda n, v: _number(n, v, 0, kind="INT"),
    "compression.type": lambda n, v: _one_of(n, v, COMPRESSION_TYPES),
    "retries": lambda n, v: _number(n, v, 0, 2147483647, kind="INT"),
    MIF: lambda n, v: _number(n, v, 1, kind="INT"),
    "delivery.timeout.ms": lambda n, v: _number(n, v, 0, kind="INT"),
    "request.timeout.ms": lambda n, v: _number(n, v, 0, kind="INT"),
    "retry.backoff.ms": lambda n, v: _number(n, v, 0),
    "retry.backoff.max.ms": lambda n, v: _number(n, v, 0),
    "max.block.ms": lambda n, v: _number(n, v, 0),
    "metadata.max.age.ms": lambda n, v: _number(n, v, 0),
    "partitioner": lambda n, v: PARTITIONERS[_one_of(n, v, tuple(PARTITIONERS))],
}


def validate_producer_config(config: dict[str, Any]) -> dict[str, Any]:
    """Kafka's names and values, checked and normalised as `ProducerConfig` does.

    Returns the given settings parsed, plus what Kafka derives from them:
    `enable.idempotence` (on by default, quietly off when acks, retries or
    max.in.flight conflict with it and it was not set) and
    `delivery.timeout.ms` (raised to linger.ms + request.timeout.ms when not
    set). Raises KafkaError(INVALID_CONFIG) naming the setting.
    """
    out: dict[str, Any] = {}
    for name, value in config.items():
        if name == "transactional.id":
            if value is not None and not str(value).strip():
                raise _invalid(name, repr(value), "String may not be empty")
            out[name] = None if value is None else str(value).strip()
            continue
        parse = _PARSERS.get(name)
        if parse is None:
            raise KafkaError(Errors.INVALID_CONFIG, f"Unknown producer config name: {name}")
        out[name] = parse(name, value)
    merged = {**PRODUCER_DEFAULTS, **out}
    conflicts = _idempotence_conflicts(merged)
    explicit = "enable.idempotence" in out
    transactional = out.get("transactional.id") is not None
    if conflicts and (explicit and out["enable.idempotence"] or transactional):
        raise KafkaError(Errors.INVALID_CONFIG, f"Kafka refuses this producer config (ConfigException): "
                                                f"{conflicts[0]}")
    idempotent = out["enable.idempotence"] if explicit else not conflicts
    if transactional and not idempotent:
        raise KafkaError(Errors.INVALID_CONFIG, "Kafka refuses this producer config (ConfigException): Cannot "
                                                "set a transactional.id without also enabling idempotence.")
    out["enable.idempotence"] = idempotent
    floor = merged["linger.ms"] + merged["request.timeout.ms"]
    if merged["delivery.timeout.ms"] < floor:
        if "delivery.timeout.ms" in out:
            raise KafkaError(Errors.INVALID_CONFIG, "Kafka refuses this producer config (ConfigException): "
                                                    "delivery.timeout.ms should be equal to or larger than "
                                                    "linger.ms + request.timeout.ms")
        out["delivery.timeout.ms"] = floor          # what KafkaProducer does when it was not set
    return out


def _idempotence_conflicts(config: dict[str, Any]) -> list[str]:
    """ProducerConfig.postProcessAndValidateIdempotenceConfigs (Kafka 3.2+): what rules idempotence out."""
    conflicts = []
    if str(config["acks"]) not in ("all", "-1"):
        conflicts.append("Must set acks to all in order to use the idempotent producer. "
                         "Otherwise we cannot guarantee idempotence.")
    if int(config["retries"]) == 0:
        conflicts.append("Must set retries to non-zero when using the idempotent producer.")
    if int(config[MIF]) > 5:
        conflicts.append(f"Must set {MIF} to at most 5 to use the idempotent producer.")
    return conflicts


def effective_config(config: dict[str, Any]) -> dict[str, Any]:
    """A producer's settings as Kafka would run them: defaults filled in, acks=-1 written
    all, idempotence off where it conflicts, delivery.timeout.ms at least linger.ms +
    request.timeout.ms."""
    c = {**PRODUCER_DEFAULTS, **config}
    c["acks"] = "all" if str(c["acks"]) == "-1" else str(c["acks"])
    c["enable.idempotence"] = bool(c["enable.idempotence"]) and not _idempotence_conflicts(c)
    c["delivery.timeout.ms"] = max(int(c["delivery.timeout.ms"]), int(c["linger.ms"]) + int(c["request.timeout.ms"]))
    c.setdefault("transactional.id", None)
    return c


def render(template: Any, i: int) -> str | None:
    """`{i}` becomes the record's index; None stays None (a null key, a tombstone)."""
    return None if template is None else str(template).replace("{i}", str(i))


class ProducerLoop:
    """Calls `producer.send` `rate` times per virtual second, evenly spaced, until stopped.

    Record i is due at `started_ms + floor(i * 1000 / rate)`: a fractional
    interval accumulates (3 records/s: 0, 333, 666, 1000 ms...). The first
    record goes at once. Several records due at the same millisecond (rates
    above 1000/s) go one after another in that millisecond.
    """

    def __init__(self, producer, topic: str, rate: float, key: Any = None, value: Any = None) -> None:
        self.producer = producer
        self.clock = producer.clock
        self.topic = topic
        self.rate = rate
        self.key = key
        self.value = value
        self._interval = Fraction(1000) / Fraction(str(rate))
        # floor(i * interval) in integers: Fraction arithmetic on every record is slow.
        self._num, self._den = self._interval.numerator, self._interval.denominator
        self.started_ms = self.clock.now
        self.stopped_ms: int | None = None
        self.index = 0                      # records handed to send() so far
        self.acked = 0
        self.failed = 0
        self.errors: dict[str, int] = {}    # by Kafka's error name: callbacks with an error, refused sends
        self._timer = self.clock.call_at(self.started_ms, self._tick)

    @property
    def running(self) -> bool:
        return self.stopped_ms is None

    @property
    def interval_ms(self) -> float:
        return float(self._interval)

    def due(self, i: int) -> int:
        return self.started_ms + (i * self._num) // self._den

    def _tick(self) -> None:
        self._timer = None
        now = self.clock.now
        # `running` and `due` inline: two records every virtual ms at the benchmark's rate.
        while self.stopped_ms is None and self.started_ms + (self.index * self._num) // self._den <= now:
            self._send(self.index)
            self.index += 1
        if self.stopped_ms is None:
            self._timer = self.clock.call_at(self.due(self.index), self._tick)

    def _send(self, i: int) -> None:
        key = self.key[i % len(self.key)] if isinstance(self.key, (list, tuple)) else self.key
        key, value = render(key, i), render(self.value, i)
        try:
            self.producer.send(self.topic, None if value is None else value.encode("utf-8"),
                               key=None if key is None else key.encode("utf-8"), callback=self._on_result)
        except KafkaError as exc:           # e.g. a transactional producer outside a transaction
            self._count(exc.error)

    def _on_result(self, error: Errors, _offset: int) -> None:
        if error == _NONE:
            self.acked += 1
        else:
            self._count(error)

    def _count(self, error: Errors) -> None:
        self.failed += 1
        self.errors[error.name] = self.errors.get(error.name, 0) + 1

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.stopped_ms = self.clock.now


def _describe(config: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_text(config.get(k))}" for k in SHOWN_CONFIG if config.get(k) is not None)


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _kafka_names(config: dict[str, Any]) -> dict[str, Any]:
    """Accept Python keyword spellings (linger_ms) for Kafka's dotted names (linger.ms)."""
    return {k if k == "partitioner" else k.replace("_", "."): v for k, v in config.items()}


def _rate(rate: Any) -> float:
    if isinstance(rate, bool) or not isinstance(rate, (int, float, str)):
        raise KafkaError(Errors.INVALID_REQUEST, f"rate is records per second, a number above 0; got {rate!r}")
    try:
        value = float(rate)
    except ValueError:
        raise KafkaError(Errors.INVALID_REQUEST, f"rate is records per second, a number above 0; got {rate!r}") \
            from None
    if not 0 < value <= MAX_RATE:           # also refuses NaN
        raise KafkaError(Errors.INVALID_REQUEST, f"rate is records per second, above 0 and at most {MAX_RATE}; "
                                                 f"got {rate}")
    return int(value) if value.is_integer() else value


def start_producer(cluster, name: str, topic: str | None = None, rate: Any = None, key: Any = None,
                   value: Any = None, config: dict[str, Any] | None = None):
    """Create (or find) the producer `name` with `config`, and with a rate, start its send loop.

    Refused, with nothing created or started: a bad setting (INVALID_CONFIG),
    an existing producer with other settings (INVALID_CONFIG), a bad rate, a
    rate without a topic, or a loop already running under that name
    (INVALID_REQUEST).
    """
    name = str(name or "").strip()
    if not name:
        raise KafkaError(Errors.INVALID_REQUEST, "a producer needs a name (its client.id)")
    cfg = validate_producer_config(_kafka_names(config or {}))
    if rate is not None:
        rate = _rate(rate)
        if not topic:
            raise KafkaError(Errors.INVALID_REQUEST, f"producer {name} has a rate but no topic to send to")
    loops = cluster.producer_loops
    old_loop = loops.get(name)
    if rate is not None and old_loop is not None and old_loop.running:
        raise KafkaError(Errors.INVALID_REQUEST, f"producer {name} is already sending {old_loop.rate} records/s to "
                                                 f"{old_loop.topic}; stop it before starting it again")
    existing = cluster.producers.get(name)
    if existing is not None:
        now, asked = effective_config(existing.config), effective_config({**existing.config, **cfg})
        differ = [k for k in asked if now.get(k) != asked[k]]
        if differ:
            k = differ[0]
            raise KafkaError(Errors.INVALID_CONFIG,
                             f"producer {name} exists with {k}={_text(now.get(k))}, not {_text(asked[k])}: a "
                             "KafkaProducer's configuration is fixed when it is created; use another name")
    producer = cluster.producer(name, **cfg)
    shown = _describe(producer.config)
    if rate is None:
        cluster.events.emit(EventKind.PRODUCER_CONFIGURED,
                            f"Producer {name} is ready ({shown}); it sends when a produce step names it.",
                            producer=name, config={k: producer.config.get(k) for k in SHOWN_CONFIG})
        return producer
    loop = loops[name] = ProducerLoop(producer, topic, rate, key, value)
    every = loop.interval_ms
    spacing = f"one every {every:g} ms" if every >= 1 else f"{rate / 1000:g} every ms"
    cluster.events.emit(EventKind.PRODUCER_STARTED,
                        f"Producer {name} starts sending {rate} records per second to {topic} ({spacing} of "
                        f"virtual time), {shown}.",
                        producer=name, topic=topic, rate=rate,
                        config={k: producer.config.get(k) for k in SHOWN_CONFIG})
    return producer


def stop_producer(cluster, name: str) -> None:
    """Stop the producer's send loop; the producer sends at once what its accumulator holds."""
    loop = cluster.producer_loops.get(name)
    if loop is None or not loop.running:
        if name not in cluster.producers:
            known = sorted(cluster.producers)
            so_far = f"producers so far: {', '.join(known)}" if known else "no producer exists yet"
            raise KafkaError(Errors.INVALID_REQUEST, f"cannot stop producer {name}: there is no such producer; "
                                                     f"{so_far}")
        why = "was stopped already" if loop is not None else "was configured without a rate"
        raise KafkaError(Errors.INVALID_REQUEST, f"cannot stop producer {name}: it has no send loop running (it "
                                                 f"{why})")
    loop.stop()
    producer = loop.producer
    waiting = sum(len(b.records) for b in producer.open_batches.values())
    cluster.events.emit(EventKind.PRODUCER_STOPPED,
                        f"Producer {name} stopped sending after {loop.index} records; "
                        + (f"it flushes the {waiting} record(s) still lingering in its accumulator, as close() "
                           "does." if waiting else "nothing was left in its accumulator."),
                        producer=name, topic=loop.topic, sent=loop.index, flushed=waiting)
    producer.flush_now()
