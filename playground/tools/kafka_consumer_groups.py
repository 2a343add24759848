"""`kafka-consumer-groups`: list groups, describe their offsets, members or state, reset offsets.

Follows Kafka's `ConsumerGroupCommand` and `ConsumerGroupCommandOptions`: the
same checks and messages, Kafka's padded columns (`%-15s`-style, widened to
the longest value), a blank line before each table, the notices on stderr
("Consumer group 'g' has no active members."), and failures printed as
`Error: Executing consumer group command failed due to ...` on stdout — after
which the real tool still exits 0, and so does this one. A group id nobody
knows is GroupIdNotFoundException (KIP-1043, Kafka 4). `--reset-offsets` is in
`consumer_groups_reset`.
"""

from __future__ import annotations

from playground.engine.group_view import GroupView

from .common import CLIENT_HOST, Command, broker_address, valid_bootstrap
from .consumer_groups_reset import ResetOffsets
from playground.engine import Errors

from .errors import GroupCommandError, exception_line
from .options import Opt, UsageError, invalid_with, maybe_help, required

MISSING = "-"
VALID_STATES = ("PreparingRebalance", "CompletingRebalance", "Stable", "Dead", "Empty", "Assigning", "Reconciling")
ACTIONS = ("list", "describe", "reset-offsets")
SCENARIOS = ("to-offset", "shift-by", "to-datetime", "by-duration", "to-earliest", "to-latest", "to-current")
NL = "\n"


class ConsumerGroups(ResetOffsets, Command):
    name = "kafka-consumer-groups"
    purpose = ("This tool helps to list all consumer groups, describe a consumer group, delete consumer group info, "
               "or reset consumer group offsets.")
    option_errors = "uncaught"

    @classmethod
    def options(cls) -> list[Opt]:
        example = "Example: --bootstrap-server localhost:9092 --describe --group group1"
        return [
            Opt("bootstrap-server", "REQUIRED: The server(s) to connect to.", "required",
                described_as="server to connect to"),
            Opt("group", "The consumer group we wish to act on.", "required", described_as="consumer group"),
            Opt("topic", "The topic whose consumer group information should be deleted or topic whose should be "
                         "included in the reset offset process. In `reset-offsets` case, partitions can be specified "
                         "using this format: `topic1:0,1,2`, where 0,1,2 are the partition to be included in the "
                         "process. Reset-offsets also supports multiple topic inputs.", "required",
                described_as="topic"),
            Opt("all-topics", "Consider all topics assigned to a group in the `reset-offsets` process."),
            Opt("list", "List all consumer groups."),
            Opt("describe", "Describe consumer group and list offset lag (number of messages not yet processed) "
                            "related to given group."),
            Opt("all-groups", "Apply to all consumer groups."),
            Opt("timeout", "The timeout that can be set for some use cases. For example, it can be used when "
                           "describing the group to specify the maximum amount of time in milliseconds to wait "
                           "before the group stabilizes (when the group is just created, or is going through some "
                           "changes).", "required", "Long", "timeout (ms)", "5000"),
            Opt("reset-offsets", "Reset offsets of consumer group. Supports one consumer group at the time, and "
                                 "instances should be inactive\nHas 2 execution options: --dry-run (the default) to "
                                 "plan which offsets to reset, and --execute to update the offsets.\nYou must choose "
                                 "one of the following reset specifications: --to-datetime, --by-duration, "
                                 "--to-earliest, --to-latest, --shift-by, --to-current, --to-offset.\nTo define the "
                                 "scope use --all-topics or --topic. One scope must be specified."),
            Opt("dry-run", "Only show results without executing changes on Consumer Groups. Supported operations: "
                           "reset-offsets."),
            Opt("execute", "Execute operation. Supported operations: reset-offsets."),
            Opt("to-offset", "Reset offsets to a specific offset.", "required", "Long", "offset"),
            Opt("to-datetime", "Reset offsets to offset from datetime. Format: 'YYYY-MM-DDTHH:mm:SS.sss'",
                "required", described_as="datetime"),
            Opt("by-duration", "Reset offsets to offset by duration from current timestamp. Format: 'PnDTnHnMnS'",
                "required", described_as="duration"),
            Opt("to-earliest", "Reset offsets to earliest offset."),
            Opt("to-latest", "Reset offsets to latest offset."),
            Opt("to-current", "Reset offsets to current offset."),
            Opt("shift-by", "Reset offsets shifting current offset by 'n', where 'n' can be positive or negative.",
                "required", "Long", "number-of-offsets"),
            Opt("members", "Describe members of the group. This option may be used with '--describe' and "
                           f"'--bootstrap-server' options only.\n{example} --members", available_if=("describe",)),
            Opt("verbose", "Provide additional information, if any, when describing the group. This option may be "
                           "used with '--offsets'/'--members'/'--state' and '--bootstrap-server' options only.\n"
                           f"{example} --members --verbose", available_if=("describe",)),
            Opt("offsets", "Describe the group and list all topic partitions in the group along with their offset "
                           "lag. This is the default sub-action of and may be used with '--describe' and "
                           f"'--bootstrap-server' options only.\n{example} --offsets", available_if=("describe",)),
            Opt("state", "When specified with '--describe', includes the state of the group.\n"
                         f"{example} --state\nWhen specified with '--list', it displays the state of all groups. It "
                         "can also be used to list groups with specific states.\nExample: --bootstrap-server "
                         "localhost:9092 --list --state stable,empty\nThis option may be used with '--describe', "
                         "'--list' and '--bootstrap-server' options only.", "optional",
                available_if=("describe", "list")),
            Opt("type", "When specified with '--list', it displays the types of all the groups. It can also be used "
                        "to list groups with specific types.\nExample: --bootstrap-server localhost:9092 --list "
                        "--type classic,consumer\nThis option may be used with the '--list' option only.", "optional",
                available_if=("list",)),
        ]

    # ConsumerGroupCommandOptions.fromArgs runs outside main's try: a joptsimple exception is uncaught.
    def option_error(self, message: str) -> None:
        self.err(f'Exception in thread "main" joptsimple.{_exception_class(message)}: {message}')
        self.finish(1)

    def run(self, o) -> None:
        self.o = o
        self.check_args(o)
        if sum(o.has(a) for a in ACTIONS) != 1:
            raise UsageError(f"Command must include exactly one action: {', '.join('--' + a for a in ACTIONS)}")
        try:
            if not valid_bootstrap(o.value("bootstrap-server")):
                raise GroupCommandError("Failed to create new KafkaAdminClient")
            if o.has("list"):
                self.list_groups(o)
            elif o.has("describe"):
                self.describe_groups(o)
            else:
                self.reset_offsets(o)      # finishes by itself (--execute waits for the coordinator)
                return
        except GroupCommandError as exc:
            self.print_error(f"Executing consumer group command failed due to {exc}")
        self.finish(0)

    def print_error(self, message: str) -> None:
        self.print()
        self.print(f"Error: {message}")

    def check_args(self, o) -> None:
        """ConsumerGroupCommandOptions.checkArgs."""
        maybe_help(o, self.purpose)
        required(o, "bootstrap-server")
        scope = "[all-groups], [group]"
        if o.has("describe"):
            if not o.has("group") and not o.has("all-groups"):
                raise UsageError(f"Option [describe] takes one of these options: {scope}")
            if sum(o.has(x) for x in ("members", "offsets", "state")) > 1:
                raise UsageError("Option [describe] takes at most one of these options: [members], [offsets], "
                                 "[state]")
            if o.has("state") and o.value("state") is not None:
                raise UsageError("Option [describe] does not take a value for [state]")
        if o.has("reset-offsets"):
            if o.has("dry-run") and o.has("execute"):
                raise UsageError("Option [reset-offsets] only accepts one of [execute] and [dry-run]")
            if not o.has("dry-run") and not o.has("execute"):
                self.err("WARN: No action will be performed as the --execute option is missing.In a future major "
                         "release, the default behavior of this command will be to prompt the user before "
                         "executing the reset rather than doing a dry run. You should add the --dry-run option "
                         "explicitly if you are scripting this command and want to keep the current default "
                         "behavior without prompting.")
            if not o.has("group") and not o.has("all-groups"):
                raise UsageError(f"Option [reset-offsets] takes one of these options: {scope}")
            for s in SCENARIOS:
                invalid_with(o, s, *(x for x in SCENARIOS if x != s))
        invalid_with(o, "group", "all-groups")
        invalid_with(o, "group", "list")
        invalid_with(o, "topic", "list", "describe")

    # -- the groups, as the Admin client sees them ---------------------------------------------
    def group_ids(self) -> list[str]:
        """ListGroups of consumer groups: every group a coordinator knows (any state but Dead)."""
        return [gid for gid, g in self.view.groups().items() if _state(g) != "Dead"]

    def described(self, group_ids) -> dict[str, GroupView]:
        """describeConsumerGroups: a group nobody knows fails the whole call (KIP-1043)."""
        out = {}
        for gid in group_ids:
            g = self.view.group(gid)
            if g.coordinator is None:
                raise GroupCommandError(exception_line(Errors.COORDINATOR_NOT_AVAILABLE))
            if _state(g) == "Dead":
                raise GroupCommandError(f"org.apache.kafka.common.errors.GroupIdNotFoundException: Group {gid} not "
                                        "found.")
            out[gid] = g
        return out

    def selected(self, o) -> list[str]:
        return self.group_ids() if o.has("all-groups") else o.values("group")

    # -- --list ---------------------------------------------------------------------------------------
    def list_groups(self, o) -> None:
        ids = self.group_ids()
        if not o.has("state") and not o.has("type"):
            for gid in ids:
                self.print(gid)
            return
        states = _parse_states(o.value("state")) if o.value("state") else set()
        types = _parse_types(o.value("type")) if o.value("type") else set()
        groups = self.view.groups()
        rows = [(gid, "Classic", _state(groups[gid])) for gid in ids
                if (not states or _state(groups[gid]).lower() in states) and (not types or "classic" in types)]
        width = max([15] + [len(r[0]) for r in rows]) + 10
        fmt = [f"{{:<{width}}}"] + [" {:<20}"] * (o.has("type") + o.has("state"))
        header = ["GROUP"] + (["TYPE"] if o.has("type") else []) + (["STATE"] if o.has("state") else [])
        for row in [header] + [[r[0]] + ([r[1]] if o.has("type") else []) + ([r[2]] if o.has("state") else [])
                               for r in rows]:
            self.print("".join(f.format(v) for f, v in zip(fmt, row)))

    # -- --describe ------------------------------------------------------------------------------------
    def describe_groups(self, o) -> None:
        groups = self.described(self.selected(o))
        verbose = o.has("verbose")
        for gid in sorted(groups):
            g = groups[gid]
            if o.has("members"):
                self.print_members(g, verbose)
            elif o.has("state"):
                self.print_state(g, verbose)
            else:
                self.print_offsets(g, verbose)

    def notice(self, g: GroupView, rows: int) -> bool:
        """shouldPrintMemberState: a notice for a group that is not Stable; whether to print its rows."""
        state = _state(g)
        if state == "Dead":
            self.print_error(f"Consumer group '{g.group_id}' does not exist.")
        elif state == "Empty":
            self.err(f"{NL}Consumer group '{g.group_id}' has no active members.")
        elif state in ("PreparingRebalance", "CompletingRebalance"):
            self.err(f"{NL}Warning: Consumer group '{g.group_id}' is rebalancing.")
        return state != "Dead" and rows > 0

    def offset_rows(self, g: GroupView) -> list[tuple[str, ...]]:
        """collectGroupsOffsets: members owning partitions (most partitions first), each partition in
        order, then the committed partitions no member owns, with `-` where there is no value."""
        rows = []
        owned = set()
        members = sorted(((name, tps) for name, tps in g.members.items() if tps), key=lambda m: -len(m[1]))
        for name, tps in members:
            owned.update(tps)
            for tp in sorted(tps):
                rows.append(self._offset_row(g, tp, g.member_ids.get(name, MISSING), CLIENT_HOST, _client(name)))
        for tp in sorted(tp for tp in g.committed if tp not in owned):
            rows.append(self._offset_row(g, tp, MISSING, MISSING, MISSING))
        return rows

    def _offset_row(self, g: GroupView, tp, consumer_id: str, host: str, client_id: str) -> tuple[str, ...]:
        committed = g.committed.get(tp)
        log = self.view.authoritative_log(tp.topic, tp.partition)
        leader = next((p.leader for p in self.view.partitions(tp.topic) if p.partition == tp.partition), -1)
        end = log.high_watermark if log is not None and leader >= 0 else None
        lag = end - committed if committed is not None and end is not None else None
        # LEADER-EPOCH (--verbose) is the leader epoch a commit carries; the playground's consumers
        # commit without one (-1), which Kafka shows as `-`.
        return (g.group_id, tp.topic, str(tp.partition), MISSING, _or_missing(committed), _or_missing(end),
                _or_missing(lag), consumer_id, host, client_id)

    def print_offsets(self, g: GroupView, verbose: bool) -> None:
        rows = self.offset_rows(g)
        if not self.notice(g, len(rows)):
            return
        if not verbose:
            rows = [r[:3] + r[4:] for r in rows]
        header = ("GROUP", "TOPIC", "PARTITION") + (("LEADER-EPOCH",) if verbose else ()) + (
            "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID")
        widths = [max([15] + [len(r[0]) for r in rows]), max([15] + [len(r[1]) for r in rows]), 10] + \
            [15] * (4 if verbose else 3) + [max([15] + [len(r[-3]) for r in rows]),
                                            max([15] + [len(r[-2]) for r in rows])]
        self.write("".join(NL + _padded(r, widths) for r in [header, *rows]) + NL)

    def print_members(self, g: GroupView, verbose: bool) -> None:
        members = sorted(g.members.items(), key=lambda m: m[0])
        self.notice(g, len(members))
        static = bool(g.static_members)
        rows = []
        for name, tps in members:
            row = [g.group_id, g.member_ids.get(name, MISSING)] + ([g.static_members.get(name, "")] if static else [])
            row += [CLIENT_HOST, _client(name), str(len(tps))]
            rows.append(row)
        w = lambda i, least: max([least] + [len(r[i]) for r in rows])  # noqa: E731
        widths = [w(0, 15), w(1, 15)] + ([w(2, 17)] if static else [])
        widths += [w(len(widths), 15), w(len(widths) + 1, 15), 15]
        header = ["GROUP", "CONSUMER-ID"] + (["GROUP-INSTANCE-ID"] if static else []) + \
            ["HOST", "CLIENT-ID", "#PARTITIONS"]
        assignment_width = max([20] + [len(_assignment(tps)) for _, tps in members])
        tail = [15, assignment_width, 15, 20]

        def line(cells, extra) -> str:
            text = "".join(f"{v:<{wd}} " for v, wd in zip(cells, widths))
            if verbose:
                text += " ".join(f"{v:<{wd}}" for v, wd in zip(extra, tail))
            return text
        self.write(NL + line(header, ["CURRENT-EPOCH", "CURRENT-ASSIGNMENT", "TARGET-EPOCH", "TARGET-ASSIGNMENT"])
                   + NL)
        for row, (_name, tps) in zip(rows, members):
            self.write(line(row, [MISSING, _assignment(tps), MISSING, MISSING]) + NL)

    def print_state(self, g: GroupView, verbose: bool) -> None:
        if not self.notice(g, 1):
            return
        coordinator = f"{broker_address(g.coordinator)}  ({g.coordinator})"
        strategy = g.assignor or MISSING
        widths = [max(15, len(g.group_id)), max(25, len(coordinator)), 20, 20] + ([15, 25] if verbose else [])
        header = ["GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE"] + \
            (["GROUP-EPOCH", "TARGET-ASSIGNMENT-EPOCH"] if verbose else []) + ["#MEMBERS"]
        row = [g.group_id, coordinator, strategy, _state(g)] + ([MISSING, MISSING] if verbose else []) + \
            [str(len(g.members))]
        self.write("".join(NL + _padded(r, widths) for r in (header, row)) + NL)


def _padded(cells, widths) -> str:
    """Kafka's `%-Ns %-Ns ... %s`: every column padded but the last."""
    return " ".join(f"{v:<{w}}" for v, w in zip(cells[:-1], widths)) + " " + cells[-1]


def _or_missing(value) -> str:
    return MISSING if value is None else str(value)


def _client(name: str) -> str:
    """GroupView names a member by its client id (with its member id when two share one)."""
    return name.split(" (", 1)[0]


def _assignment(tps) -> str:
    """getAssignmentString: `topic:0,1;other:2`, topics sorted, or `-`."""
    by_topic: dict[str, list[int]] = {}
    for tp in tps:
        by_topic.setdefault(tp.topic, []).append(tp.partition)
    if not by_topic:
        return MISSING
    return ";".join(sorted(f"{t}:{','.join(map(str, sorted(ps)))}" for t, ps in by_topic.items()))


def _state(g: GroupView) -> str:
    """A group whose coordinator holds offsets but no group metadata is Empty, as Kafka loads it."""
    if g.state == "Dead" and g.coordinator is not None and g.committed:
        return "Empty"
    return g.state


def _parse_states(text: str) -> set[str]:
    wanted = {s.strip().lower() for s in text.split(",")}
    valid = {s.lower() for s in VALID_STATES}
    if not wanted <= valid:
        raise UsageError(f"Invalid state list '{text}'. Valid states are: {', '.join(VALID_STATES)}")
    return wanted


def _parse_types(text: str) -> set[str]:
    wanted = {s.strip().lower() for s in text.split(",")}
    if not wanted <= {"classic", "consumer"}:
        raise UsageError(f"Invalid types list '{text}'. Valid types are: classic, consumer")
    return wanted


def _exception_class(message: str) -> str:
    if message.endswith("is not a recognized option"):
        return "UnrecognizedOptionException"
    if message.endswith("requires an argument"):
        return "OptionMissingRequiredArgumentException"
    if message.startswith("Cannot parse argument"):
        return "OptionArgumentConversionException"
    if "are unavailable given other options" in message:
        return "UnavailableOptionException"
    return "OptionException"

