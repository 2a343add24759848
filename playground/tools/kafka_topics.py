"""`kafka-topics`: list, describe, create, alter (partitions) and delete topics.

Follows Kafka's `TopicCommand` (tools module): the same options and checks, in
the same order; success is silent except `Created topic t.`; a refusal from
the controller prints `Error while executing topic command : <message>` on
stdout, a missing topic `Topic 't' does not exist as expected` on stderr, both
exit 1. `--describe` prints Kafka's tab-separated lines, with `Elr:` and
`LastKnownElr:` from the DescribeTopicPartitions API (KIP-966; `N/A` in
ZooKeeper mode, whose brokers never had it).
"""

from __future__ import annotations

import re

from playground.engine import KafkaError
from playground.engine.config import TOPIC_CONFIGS

from .common import Command, config_text, valid_bootstrap
from .options import Opt, UsageError, invalid_with, maybe_help, required

KAFKA_CONFIGS_HINT = " (To alter topic configurations, the kafka-configs tool can be used.)"
ACTIONS = ("create", "list", "alter", "describe", "delete")
REPORTS = ("under-replicated-partitions", "under-min-isr-partitions", "at-min-isr-partitions",
           "unavailable-partitions")
MAX_SHORT = 32767
COLLISION_WARNING = ("WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') "
                     "could collide. To avoid issues it is best to use either, but not both.")


class TopicCommandError(Exception):
    """Printed as `Error while executing topic command : <message>` (TopicCommand.printException)."""


class IllegalArgument(Exception):
    """TopicCommand's IllegalArgumentException: the message alone, on stderr."""


# -- describe ------------------------------------------------------------------------------------
def non_default_configs(view, topic: str) -> dict[str, str]:
    """The `Configs:` of --describe: every config whose source is not Kafka's default (topic
    overrides, and cluster-wide settings that differ from Kafka's default)."""
    overrides = view.topic_configs(topic)
    out = {}
    for name, (default, _parse) in sorted(TOPIC_CONFIGS.items()):
        value = overrides.get(name, view.topic_config(topic, name))
        if name in overrides or value != default:
            out[name] = config_text(value)
    return out


def _ids(nodes) -> str:
    return ",".join(map(str, nodes))


def topic_line(view, topic: str) -> str:
    parts = view.partitions(topic)
    configs = ",".join(f"{k}={v}" for k, v in non_default_configs(view, topic).items())
    rf = len(parts[0].replicas) if parts else 0
    return (f"Topic: {topic}\tTopicId: {view.topic_id(topic)}\tPartitionCount: {len(parts)}\t"
            f"ReplicationFactor: {rf}\tConfigs: {configs}")


def partition_line(view, p) -> str:
    leader = str(p.leader) if p.leader >= 0 else "none"
    line = (f"\tTopic: {p.topic}\tPartition: {p.partition}\tLeader: {leader}\tReplicas: {_ids(p.replicas)}"
            f"\tIsr: {_ids(p.isr)}")
    if view.controller_mode == "zookeeper":     # the Metadata API has no ELR fields
        return line + "\tElr: N/A\tLastKnownElr: N/A"
    return line + f"\tElr: {_ids(p.elr)}\tLastKnownElr: {_ids(p.last_known_elr)}"


def describe_topic_lines(view, topic: str) -> list[str]:
    """`kafka-topics --describe --topic T`: the topic line, then one line per partition."""
    return [topic_line(view, topic)] + [partition_line(view, p) for p in view.partitions(topic)]


class IncludeList:
    """Kafka's TopicFilter.IncludeList: a Java regex (commas as alternatives), matched whole."""

    def __init__(self, raw: str) -> None:
        regex = raw.strip().replace(",", "|").replace(" ", "")
        regex = re.sub(r"^[\"']+", "", regex)
        regex = re.sub(r"[\"']+$", "", regex)
        try:
            self.pattern = re.compile(regex)
        except re.error:
            raise TopicCommandError(f"{regex} is an invalid regex.") from None

    def allows(self, topic: str, exclude_internal: bool) -> bool:
        return not (exclude_internal and topic.startswith("__")) and self.pattern.fullmatch(topic) is not None


class KafkaTopics(Command):
    name = "kafka-topics"
    purpose = "This tool helps to create, delete, describe, or change a topic."

    @classmethod
    def options(cls) -> list[Opt]:
        return [
            Opt("bootstrap-server", "REQUIRED: The Kafka server to connect to.", "required",
                described_as="server to connect to"),
            Opt("list", "List all available topics."),
            Opt("create", "Create a new topic."),
            Opt("delete", "Delete a topic."),
            Opt("alter", "Alter the number of partitions and replica assignment." + KAFKA_CONFIGS_HINT),
            Opt("describe", "List details for the given topics."),
            Opt("topic", "The topic to create, alter, describe or delete. It also accepts a regular expression, "
                         "except for --create option.", "required", described_as="topic"),
            Opt("topic-id", "The topic-id to describe.", "required", described_as="topic-id"),
            Opt("config", "A topic configuration override for the topic being created. The following is a list "
                          "of valid configurations: \n" + "\n".join(f"\t{n}" for n in sorted(TOPIC_CONFIGS))
                + "\nSee the Kafka documentation for full details on the topic configs. It is supported only "
                  "in combination with --create." + KAFKA_CONFIGS_HINT, "required", described_as="name=value"),
            Opt("partitions", "The number of partitions for the topic being created or altered. If not supplied "
                              "with --create, the topic uses the cluster default. (WARNING: If partitions are "
                              "increased for a topic that has a key, the partition logic or ordering of the "
                              "messages will be affected).", "required", "Integer", "# of partitions"),
            Opt("replication-factor", "The replication factor for each partition in the topic being created. If "
                                      "not supplied, the topic uses the cluster default.", "required", "Integer",
                "replication factor"),
            Opt("under-replicated-partitions", "If set when describing topics, only show under-replicated "
                                               "partitions."),
            Opt("unavailable-partitions", "If set when describing topics, only show partitions whose leader is "
                                          "not available."),
            Opt("under-min-isr-partitions", "If set when describing topics, only show partitions whose isr count "
                                            "is less than the configured minimum."),
            Opt("at-min-isr-partitions", "If set when describing topics, only show partitions whose isr count is "
                                         "equal to the configured minimum."),
            Opt("topics-with-overrides", "If set when describing topics, only show topics that have overridden "
                                         "configs."),
            Opt("if-exists", "If set when altering or deleting or describing topics, the action will only execute "
                             "if the topic exists."),
            Opt("if-not-exists", "If set when creating topics, the create request will not fail if the topic "
                                 "already exists, but the request will still be sent."),
            Opt("exclude-internal", "Exclude internal topics when listing or describing topics. By default, the "
                                    "internal topics are included."),
        ]

    # TopicCommandOptions builds its options before parsing, inside TopicCommand.execute: a bad
    # option is a Throwable there, printed as any other failure.
    def option_error(self, message: str) -> None:
        self.print(f"Error while executing topic command : {message}")
        self.finish(1)

    def run(self, o) -> None:
        try:
            self.check_args(o)
            if not valid_bootstrap(o.value("bootstrap-server")):
                raise TopicCommandError("Failed to create new KafkaAdminClient")
            action = next(a for a in ACTIONS if o.has(a))
            getattr(self, f"_{action}")(o)
        except IllegalArgument as exc:
            self.err(str(exc))
            self.finish(1)
            return
        except TopicCommandError as exc:
            self.print(f"Error while executing topic command : {exc}")
            self.finish(1)
            return
        except KafkaError as exc:
            self.print(f"Error while executing topic command : {exc.message}")
            self.finish(1)
            return
        self.finish(0)

    # -- TopicCommandOptions.checkArgs ------------------------------------------------------------
    def check_args(self, o) -> None:
        if not o.args:
            raise UsageError("Create, delete, describe, or change a topic.")
        maybe_help(o, self.purpose)
        if sum(o.has(a) for a in ACTIONS) != 1:
            raise UsageError("Command must include exactly one action: --list, --describe, --create, --alter or "
                             "--delete")
        if not o.has("bootstrap-server"):
            raise IllegalArgument("--bootstrap-server must be specified")
        if o.has("describe") and o.has("if-exists"):
            if not o.has("topic") and not o.has("topic-id"):
                raise UsageError("--topic or --topic-id is required to describe a topic")
            if o.has("topic") and o.has("topic-id"):
                self.print("Only topic id will be used when both --topic and --topic-id are specified and topicId "
                           "is not Uuid.ZERO_UUID")
        if not o.has("list") and not o.has("describe"):
            required(o, "topic")
        if o.has("alter"):
            if o.has("bootstrap-server") and o.has("config"):
                raise UsageError('Option combination "[[bootstrap-server], [config]]" can\'t be used with option '
                                 f'"[alter]"{KAFKA_CONFIGS_HINT}')
            required(o, "partitions")
        others = lambda *keep: [a for a in ACTIONS if a not in keep]  # noqa: E731
        invalid_with(o, "config", *others("alter", "create"))
        invalid_with(o, "partitions", *others("alter", "create"))
        invalid_with(o, "replication-factor", *others("create"))
        for report in REPORTS:
            invalid_with(o, report, "topics-with-overrides", *others("describe"))
        invalid_with(o, "topics-with-overrides", *REPORTS, *others("describe"))
        invalid_with(o, "if-exists", *others("alter", "delete", "describe"))
        invalid_with(o, "if-not-exists", *others("create"))
        invalid_with(o, "exclude-internal", *others("list", "describe"))

    # -- TopicService -------------------------------------------------------------------------------
    def topics(self, o) -> list[str]:
        exclude = o.has("exclude-internal")
        names = self.view.topic_names(include_internal=True)
        if o.has("topic"):
            include = IncludeList(o.value("topic"))
            return [t for t in names if include.allows(t, exclude)]
        return [t for t in names if not (exclude and t.startswith("__"))]

    def ensure_exists(self, topics: list[str], o) -> None:
        requested = o.value("topic")
        if requested and not o.has("if-exists") and not topics:
            raise IllegalArgument(f"Topic '{requested}' does not exist as expected")

    def _create(self, o) -> None:
        name = o.value("topic")
        configs = {}
        for item in o.values("config"):
            pair = re.split(r"\s*=\s*", item)
            if len(pair) != 2:
                raise IllegalArgument('requirement failed: Invalid topic config: all configs to be added must be in '
                                      'the format "key=val".')
            configs[pair[0].strip()] = pair[1].strip()
        if "." in name or "_" in name:
            self.print(COLLISION_WARNING)
        rf, partitions = o.value("replication-factor"), o.value("partitions")
        if rf is not None and not 1 <= rf <= MAX_SHORT:
            raise IllegalArgument(f"The replication factor must be between 1 and {MAX_SHORT} inclusive")
        if partitions is not None and partitions < 1:
            raise IllegalArgument("The partitions must be greater than 0")
        try:
            # -1: the cluster's num.partitions / default.replication.factor (NewTopic with Optional.empty()).
            self.cluster.create_topic(name, -1 if partitions is None else partitions, -1 if rf is None else rf,
                                      configs)
        except KafkaError as exc:
            if exc.error.name == "TOPIC_ALREADY_EXISTS" and o.has("if-not-exists"):
                return
            raise
        self.print(f"Created topic {name}.")

    def _list(self, o) -> None:
        self.print("\n".join(self.topics(o)))

    def _alter(self, o) -> None:
        topics = self.topics(o)
        self.ensure_exists(topics, o)
        for topic in topics:
            self.cluster.add_partitions(topic, o.value("partitions"))

    def _delete(self, o) -> None:
        topics = self.topics(o)
        self.ensure_exists(topics, o)
        for topic in topics:
            self.cluster.delete_topic(topic)

    def _describe(self, o) -> None:
        view = self.view
        topic_id = o.value("topic-id")
        if topic_id is not None and topic_id != "AAAAAAAAAAAAAAAAAAAAAA":       # Uuid.ZERO_UUID
            exclude = o.has("exclude-internal")
            topics = [t for t in view.topic_names() if view.topic_id(t) == topic_id
                      and not (exclude and t.startswith("__"))]
            if not topics and not o.has("if-exists"):
                raise IllegalArgument(f"TopicId '{topic_id}' does not exist as expected")
        else:
            topics = self.topics(o)
            self.ensure_exists(topics, o)
        reports = [r for r in REPORTS if o.has(r)]
        overrides_only = o.has("topics-with-overrides")
        live = {b.broker_id for b in view.brokers() if not b.fenced}
        for topic in topics:
            parts = view.partitions(topic)
            if not reports and (not overrides_only or non_default_configs(view, topic)):
                self.print(topic_line(view, topic))
            if overrides_only:
                continue
            min_isr = int(view.topic_config(topic, "min.insync.replicas"))
            for p in parts:
                if not reports or any(_matches(r, p, min_isr, live) for r in reports):
                    self.print(partition_line(view, p))


def _matches(report: str, p, min_isr: int, live: set[int]) -> bool:
    """TopicCommand.PartitionDescription's filters."""
    if report == "under-replicated-partitions":
        return len(p.replicas) - len(p.isr) > 0
    if report == "unavailable-partitions":
        return p.leader < 0 or p.leader not in live
    if report == "under-min-isr-partitions":
        return p.leader < 0 or len(p.isr) < min_isr
    return len(p.isr) == min_isr                    # at-min-isr-partitions

