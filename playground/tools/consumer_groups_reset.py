"""`kafka-consumer-groups --reset-offsets`: plan new committed offsets, and with `--execute` commit them.

Follows Kafka's `ConsumerGroupCommand.resetOffsets` and `GroupOffsetsResetter`:
a group with members is refused ("Assignments can only be reset if the group
'g' is inactive, but the current state is Stable."); the scope is `--topic t`,
`--topic t:0,2` or `--all-topics` (what the group committed); the new offset
comes from exactly one of `--to-earliest`, `--to-latest`, `--to-current`,
`--to-offset`, `--shift-by`, `--to-datetime`, `--by-duration`, and is kept
within the log (log start offset .. high watermark) with Kafka's WARN. The plan
prints as `GROUP TOPIC PARTITION NEW-OFFSET`; `--dry-run` (the default) stops
there, `--execute` first commits it as an admin OffsetCommit and waits for the
coordinator's answer (up to `--timeout`).

Virtual time starts at 1970-01-01T00:00:00.000Z, so record timestamps and
`--to-datetime` values are both milliseconds since then; a datetime without a
zone is UTC, as Kafka's `Utils.getDateTime` reads it.
"""

from __future__ import annotations

import datetime as dt
import re

from playground.engine import Errors, TopicPartition
from playground.engine.group_admin import commit_offsets

from .errors import MESSAGES, GroupCommandError
from .options import UsageError

RESETTER = "org.apache.kafka.tools.GroupOffsetsResetter"
SCENARIO_OPTS = ("to-offset", "shift-by", "to-datetime", "by-duration", "to-earliest", "to-latest", "to-current")
_DATETIME = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})T(\d{1,2}):(\d{1,2}):(\d{1,2})\.(\d{3})"
                       r"(Z|[+-]\d{2}(?::?\d{2})?)$")
_DURATION = re.compile(r"([-+]?)P(?:([-+]?\d+)D)?"
                       r"(?:T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?\d+)(?:[.,](\d{0,9}))?S)?)?", re.IGNORECASE)


def parse_datetime(text: str) -> int:
    """Kafka's Utils.getDateTime: `yyyy-MM-ddTHH:mm:ss.SSS`, then an optional zone (UTC when none)."""
    parts = text.split("T")
    if len(parts) < 2:
        raise GroupCommandError("java.text.ParseException: Error parsing timestamp. It does not contain a 'T' "
                                "according to ISO8601 format")
    if not any(c in parts[1] for c in "+-Z"):
        text += "Z"
    m = _DATETIME.fullmatch(text)
    if m is None:
        raise GroupCommandError(f'java.text.ParseException: Unparseable date: "{text}"')
    y, mo, d, h, mi, s, ms, zone = m.groups()
    offset = dt.timedelta(0)
    if zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
    try:
        when = dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), int(ms) * 1000,
                           tzinfo=dt.timezone(offset))
    except ValueError:
        raise GroupCommandError(f'java.text.ParseException: Unparseable date: "{text}"') from None
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    return (when - epoch) // dt.timedelta(milliseconds=1)


def parse_duration(text: str) -> int:
    """java.time.Duration.parse (PnDTnHnMn.nS) in milliseconds."""
    m = _DURATION.fullmatch(text)
    if m is None or not any(m.group(i) for i in (2, 3, 4, 5)) or text.upper().endswith("T"):
        raise GroupCommandError("Text cannot be parsed to a Duration")
    sign, days, hours, minutes, seconds, fraction = m.groups()
    ms = (int(days or 0) * 86_400_000 + int(hours or 0) * 3_600_000 + int(minutes or 0) * 60_000
          + int(seconds or 0) * 1000)
    if fraction:
        frac = int(fraction.ljust(3, "0")[:3])
        ms += -frac if (seconds or "").startswith("-") else frac
    return -ms if sign == "-" else ms


def tp_name(tp: TopicPartition) -> str:
    """TopicPartition.toString: `topic-0`."""
    return f"{tp.topic}-{tp.partition}"


class ResetOffsets:
    """The --reset-offsets half of ConsumerGroups (a mixin: it uses the Command's output and view)."""

    def reset_offsets(self, o) -> None:
        plans: dict[str, dict[TopicPartition, int]] = {}
        for gid in self.selected(o):
            g = self.view.group(gid)
            if g.coordinator is None:
                raise GroupCommandError(MESSAGES[Errors.COORDINATOR_NOT_AVAILABLE])
            state = "Empty" if g.state == "Dead" and g.committed else g.state
            # A group nobody knows (GroupIdNotFoundException, or Dead) is reset like an inactive one.
            if state in ("Empty", "Dead"):
                plans[gid] = self.plan(g, o)
            else:
                self.print_error(f"Assignments can only be reset if the group '{gid}' is inactive, but the current "
                                 f"state is {state}.")
                plans[gid] = {}
        if o.has("execute"):
            self._execute(plans, o.value("timeout"))
        else:
            self.print_plan(plans)
            self.finish(0)

    def print_plan(self, plans: dict[str, dict[TopicPartition, int]]) -> None:
        """GroupOffsetsResetter.printOffsetsToReset."""
        group_w = max([15] + [len(g) for g in plans])
        topic_w = max([15] + [len(tp.topic) for p in plans.values() for tp in p])
        row = lambda a, b, c, d: f"\n{a:<{group_w}} {b:<{topic_w}} {c:<10} {d}"  # noqa: E731
        text = row("GROUP", "TOPIC", "PARTITION", "NEW-OFFSET") if plans else ""
        for gid, plan in plans.items():
            for tp in sorted(plan):
                text += row(gid, tp.topic, tp.partition, plan[tp])
        self.write(text + "\n")

    # -- --execute -------------------------------------------------------------------------------
    def _execute(self, plans: dict[str, dict[TopicPartition, int]], timeout_ms: int) -> None:
        waiting = {gid: plan for gid, plan in plans.items() if plan}
        if not waiting:
            self.print_plan(plans)
            self.finish(0)
            return
        answers: dict[str, Errors] = {}

        def answered(gid: str, error: Errors) -> None:
            if self.done or gid in answers:
                return
            answers[gid] = error
            if error != Errors.NONE:
                self.print_error("Executing consumer group command failed due to "
                                 + MESSAGES.get(error, error.name))
                self.finish(0)
            elif len(answers) == len(waiting):
                self.print_plan(plans)
                self.finish(0)

        for gid, plan in waiting.items():
            commit_offsets(self.cluster, gid, self.view.group(gid).coordinator, plan,
                           lambda error, gid=gid: answered(gid, error))
        self.later(timeout_ms, lambda: answered(next(g for g in waiting if g not in answers),
                                                Errors.REQUEST_TIMED_OUT))

    # -- the plan ------------------------------------------------------------------------------------
    def plan(self, g, o) -> dict[TopicPartition, int]:
        partitions = self.partitions_to_reset(g, o)
        self.check_partitions(partitions)
        committed = dict(g.committed)
        if o.has("to-offset"):
            return self.in_range({tp: o.value("to-offset") for tp in partitions})
        if o.has("to-earliest"):
            return {tp: self.log_start(tp) for tp in partitions}
        if o.has("to-latest"):
            return {tp: self.log_end(tp) for tp in partitions}
        if o.has("shift-by"):
            wanted = {}
            for tp in partitions:
                if tp not in committed:
                    raise UsageError(f"Cannot shift offset for partition {tp_name(tp)} since there is no current "
                                     "committed offset")
                wanted[tp] = committed[tp] + o.value("shift-by")
            return self.in_range(wanted)
        if o.has("to-datetime"):
            return self.by_timestamp(partitions, parse_datetime(o.value("to-datetime")))
        if o.has("by-duration"):
            return self.by_timestamp(partitions, self.now - parse_duration(o.value("by-duration")))
        if o.has("to-current"):
            return {tp: committed[tp] if tp in committed else self.log_end(tp) for tp in partitions}
        raise UsageError("Option '[reset-offsets]' requires one of the following scenarios: "
                         f"[{', '.join(f'[{s}]' for s in SCENARIO_OPTS)}]")

    def partitions_to_reset(self, g, o) -> list[TopicPartition]:
        if o.has("all-topics"):
            return sorted(g.committed)
        if not o.has("topic"):
            raise UsageError("One of the reset scopes should be defined: --all-topics, --topic.")
        named, whole = [], []
        for arg in o.values("topic"):
            if ":" not in arg:
                whole.append(arg)
                continue
            parts = arg.split(":")
            if len(parts) != 2:
                raise UsageError(f"Invalid topic arg '{arg}', expected topic name and partitions")
            for p in parts[1].split(","):
                try:
                    named.append(TopicPartition(parts[0], int(p)))
                except ValueError:
                    raise UsageError(f"Invalid partition '{p}' specified in topic arg '{arg}''") from None
        for topic in whole:
            parts = self.view.partitions(topic)
            if not parts:
                raise GroupCommandError(MESSAGES[Errors.UNKNOWN_TOPIC_OR_PARTITION])
            named.extend(TopicPartition(topic, p.partition) for p in parts)
        return named

    def check_partitions(self, partitions: list[TopicPartition]) -> None:
        """checkAllTopicPartitionsValid: every partition exists and has a leader."""
        leaders = {(p.topic, p.partition): p.leader for t in {tp.topic for tp in partitions}
                   for p in self.view.partitions(t)}
        missing = [tp for tp in partitions if (tp.topic, tp.partition) not in leaders]
        if missing:
            raise GroupCommandError(f'The partitions "{",".join(map(tp_name, missing))}" do not exist')
        leaderless = [tp for tp in partitions if leaders[(tp.topic, tp.partition)] < 0]
        if leaderless:
            raise GroupCommandError(f'The partitions "{",".join(map(tp_name, leaderless))}" have no leader')

    # ListOffsets as the admin client asks (read_uncommitted): earliest is the log start offset,
    # latest the high watermark.
    def log_start(self, tp: TopicPartition) -> int:
        log = self.view.authoritative_log(tp.topic, tp.partition)
        return log.log_start_offset if log is not None else 0

    def log_end(self, tp: TopicPartition) -> int:
        log = self.view.authoritative_log(tp.topic, tp.partition)
        return log.high_watermark if log is not None else 0

    def in_range(self, wanted: dict[TopicPartition, int]) -> dict[TopicPartition, int]:
        """checkOffsetsRange: an offset past the log end or before its start is moved there, with a WARN."""
        out = {}
        for tp, offset in wanted.items():
            start, end = self.log_start(tp), self.log_end(tp)
            if offset > end:
                self.log("WARN", f"New offset ({offset}) is higher than latest offset for topic partition "
                                 f"{tp_name(tp)}. Value will be set to {end}", RESETTER)
                offset = end
            elif offset < start:
                self.log("WARN", f"New offset ({offset}) is lower than earliest offset for topic partition "
                                 f"{tp_name(tp)}. Value will be set to {start}", RESETTER)
                offset = start
            out[tp] = offset
        return out

    def by_timestamp(self, partitions: list[TopicPartition], timestamp: int) -> dict[TopicPartition, int]:
        """ListOffsets by timestamp: the first record at or after it below the high watermark; a partition
        with none falls back to its end."""
        out = {}
        for tp in partitions:
            log = self.view.authoritative_log(tp.topic, tp.partition)
            found = log.offset_for_timestamp(timestamp) if log is not None else None
            if found is None or found >= self.log_end(tp):
                self.print()
                self.print(f"Warn: Partition {tp.partition} from topic {tp.topic} is empty. Falling back to latest "
                           "known offset.")
                found = self.log_end(tp)
            out[tp] = found
        return out
