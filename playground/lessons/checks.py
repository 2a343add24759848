"""The check vocabulary of lessons: parse a step's `checks:` and evaluate them.

Four kinds, each a mapping with the sentence the learner sees (`says`) and
exactly one of:

    - says: You lost an acknowledged record
      report: {audit.acked_lost: "> 0"}           # paths in the JSON report (scenario `expect`)

    - says: A member left after max.poll.interval.ms
      event: member_left                          # an EventKind, since the step began
      where: {reason: max_poll_interval}          # event data must match (optional)
      count: ">= 1"                               # how many such events (default ">= 1")

    - says: Three records with key user-7 landed in one partition
      records: {topic: clicks, key: user-7}       # partition, key, value filter; * is a wildcard
      count: 3                                    # how many records (default ">= 1")
      partitions: 1                               # in how many distinct partitions (optional)

    - says: The fourth consumer is idle
      group: {id: shop, members: 4, idle: 1}      # state, members, idle, most, fewest, generation, lag,
                                                  # assignor (most/fewest: partitions of the busiest/idlest member)

Every expected value is a literal or an operator and a literal (`"> 0"`,
`"!= null"`), as in scenario files. A report path may be wrapped in
`len(...)` to compare the size of a list or mapping. `guard: true` marks a
condition that must hold when the step is done but is not its goal.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from playground.engine.events import Event, EventKind
from playground.scenario.expect import MISSING, Expectation, ExpectationError, check, parse_expectation, resolve_path
from playground.scenario.loader import PathT, Reader

from .model import Check

CHECK_KINDS = ("report", "event", "records", "group")
EXTRA_KEYS = {"report": (), "event": ("where", "count"), "records": ("count", "partitions"), "group": ()}
RECORD_FILTERS = ("topic", "partition", "key", "value")
GROUP_FIELDS = ("state", "members", "idle", "most", "fewest", "generation", "lag", "assignor")
_NAMES = {k.name: k for k in EventKind} | {k.value: k for k in EventKind}


@dataclass(frozen=True)
class CheckResult:
    check: Check
    ok: bool
    actual: str         # what the engine shows now, in words ("2 records in 1 partition")


# --- parsing ---------------------------------------------------------------------------------------


def _expectation(reader: Reader, path: PathT, value: Any, what: str = "x", lists: bool = False) -> Expectation:
    if isinstance(value, dict) or (isinstance(value, list) and not lists):
        reader.fail(path, "expected a value or an operator and a value, like 3 or \"> 0\"")
    try:
        return parse_expectation(what, value)
    except ExpectationError as exc:
        reader.fail(path, str(exc))


def _report_path(reader: Reader, path: PathT, text: str, value: Any) -> tuple[bool, Expectation]:
    """`len(topics.t.partitions[0].isr)` -> (True, expectation on the inner path)."""
    wrapped = text.strip().startswith("len(") and text.strip().endswith(")")
    inner = text.strip()[4:-1] if wrapped else text
    try:
        return wrapped, parse_expectation(inner, value)
    except ExpectationError as exc:
        reader.fail(path, str(exc))


def parse_check(reader: Reader, value: Any, path: PathT) -> Check:
    """One entry of `checks:`; raises ScenarioError (file, line, key) when it is wrong."""
    if not isinstance(value, dict):
        reader.fail(path, "a check is a mapping with `says:` and one of " + ", ".join(CHECK_KINDS))
    kinds = [k for k in CHECK_KINDS if k in value]
    if len(kinds) != 1:
        found = f"found {', '.join(kinds)}" if kinds else "found none"
        reader.fail(path, f"a check has exactly one of {', '.join(CHECK_KINDS)}; {found}")
    kind = kinds[0]
    allowed = ("says", "guard", kind) + EXTRA_KEYS[kind]
    m = reader.mapping(value, path, allowed, required=("says",))
    says = reader.text(m["says"], path + ("says",), "the sentence the learner sees")
    guard = reader.boolean(m.get("guard", False), path + ("guard",))
    p = path + (kind,)
    spec: dict[str, Any]
    if kind == "report":
        if not isinstance(m[kind], dict) or not m[kind]:
            reader.fail(p, "report: takes a mapping of report paths to expected values")
        spec = {"expect": [(key, *_report_path(reader, p + (key,), key, v)) for key, v in m[kind].items()]}
    elif kind == "event":
        name = reader.text(m[kind], p, "an event kind")
        if name not in _NAMES:
            from playground.scenario.loader import hint
            reader.fail(p, f"'{name}' is not an event kind{hint(name.lower(), [k.value for k in EventKind])}; "
                        "see EventKind in playground/engine/events.py")
        where = m.get("where") or {}
        if not isinstance(where, dict):
            reader.fail(path + ("where",), "where: is a mapping of event data names to values, like "
                                           "{reason: max_poll_interval}")
        spec = {"kind": _NAMES[name],
                "where": [(k, _expectation(reader, path + ("where", k), v, k, lists=True)) for k, v in where.items()],
                "count": _expectation(reader, path + ("count",), m.get("count", ">= 1"))}
    elif kind == "records":
        f = reader.mapping(m[kind], p, RECORD_FILTERS, required=("topic",))
        partition = f.get("partition")
        spec = {"topic": reader.text(f["topic"], p + ("topic",), "a topic name"),
                "partition": None if partition is None else reader.integer(partition, p + ("partition",), 0),
                "filters": {k: reader.template(f[k], p + (k,)) for k in ("key", "value") if k in f},
                "count": _expectation(reader, path + ("count",), m.get("count", ">= 1")),
                "partitions": None if "partitions" not in m else _expectation(reader, path + ("partitions",),
                                                                              m["partitions"])}
    else:
        g = reader.mapping(m[kind], p, ("id",) + GROUP_FIELDS, required=("id",))
        fields = [(k, _expectation(reader, p + (k,), g[k], k)) for k in GROUP_FIELDS if k in g]
        if not fields:
            reader.fail(p, f"say what to check about the group: one or more of {', '.join(GROUP_FIELDS)}")
        spec = {"id": reader.text(g["id"], p + ("id",), "a group id"), "fields": fields}
    return Check(says, kind, spec, guard, reader.doc.line_of(path))


# --- evaluating --------------------------------------------------------------------------------------


def _show(value: Any) -> str:
    if value is MISSING or value is None:
        return "null" if value is None else "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def _report(check_: Check, report: Mapping[str, Any]) -> CheckResult:
    ok, shown = True, []
    for text, wrapped, exp in check_.spec["expect"]:
        actual = resolve_path(report, exp.segments)
        if wrapped:
            actual = len(actual) if isinstance(actual, (list, tuple, dict, str)) else MISSING
        ok = check(exp.op, actual, exp.operand) and ok
        shown.append(f"{text} is {_show(actual)}")
    return CheckResult(check_, ok, "; ".join(shown))


def matching_events(spec: Mapping[str, Any], events: Iterable[Event]) -> list[Event]:
    out = []
    for e in events:
        if e.kind != spec["kind"]:
            continue
        if all(check(exp.op, e.data.get(key, MISSING), exp.operand) for key, exp in spec["where"]):
            out.append(e)
    return out


def _event(check_: Check, events: Sequence[Event]) -> CheckResult:
    found = matching_events(check_.spec, events)
    exp = check_.spec["count"]
    ok = check(exp.op, len(found), exp.operand)
    last = f"; the last: {found[-1].text}" if found else ""
    return CheckResult(check_, ok, f"{len(found)} such event(s) so far{last}")


def _like(pattern: Any, value: Any) -> bool:
    if pattern is None or value is None:
        return pattern is None and value is None
    return fnmatch.fnmatchcase(str(value), str(pattern))


def matching_records(spec: Mapping[str, Any], report: Mapping[str, Any]) -> list[tuple[int, dict]]:
    """(partition, record) for each data record of the topic that passes the filters."""
    topic = report.get("topics", {}).get(spec["topic"])
    if topic is None:
        return []
    out = []
    for part in topic["partitions"]:
        if spec["partition"] is not None and part["partition"] != spec["partition"]:
            continue
        for rec in part["records"]:
            if "control" in rec:
                continue
            if all(_like(pattern, rec.get(k)) for k, pattern in spec["filters"].items()):
                out.append((part["partition"], rec))
    return out


def _records(check_: Check, report: Mapping[str, Any]) -> CheckResult:
    spec = check_.spec
    found = matching_records(spec, report)
    partitions = sorted({p for p, _ in found})
    ok = check(spec["count"].op, len(found), spec["count"].operand)
    if spec["partitions"] is not None:
        ok = check(spec["partitions"].op, len(partitions), spec["partitions"].operand) and ok
    where = f" in partition(s) {', '.join(map(str, partitions))}" if partitions else ""
    return CheckResult(check_, ok, f"{len(found)} record(s){where}")


def group_facts(report: Mapping[str, Any], group_id: str) -> dict[str, Any]:
    g = report.get("groups", {}).get(group_id)
    if g is None:
        return {}
    lag = [v for v in g.get("lag", {}).values() if v is not None]
    owned = [len(tps) for tps in g["members"].values()]
    return {"state": g["state"], "members": len(owned), "idle": owned.count(0),
            "most": max(owned, default=0), "fewest": min(owned, default=0), "generation": g["generation"],
            "lag": sum(lag) if lag else None, "assignor": g["assignor"]}


def _group(check_: Check, report: Mapping[str, Any]) -> CheckResult:
    facts = group_facts(report, check_.spec["id"])
    if not facts:
        return CheckResult(check_, False, f"there is no group {check_.spec['id']} yet")
    ok, shown = True, []
    for name, exp in check_.spec["fields"]:
        ok = check(exp.op, facts[name], exp.operand) and ok
        shown.append(f"{name} {_show(facts[name])}")
    return CheckResult(check_, ok, ", ".join(shown))


def evaluate_check(check_: Check, report: Mapping[str, Any], events: Sequence[Event]) -> CheckResult:
    if check_.kind == "report":
        return _report(check_, report)
    if check_.kind == "event":
        return _event(check_, events)
    if check_.kind == "records":
        return _records(check_, report)
    return _group(check_, report)


def evaluate_checks(checks: Iterable[Check], report: Mapping[str, Any], events: Sequence[Event]) -> list[CheckResult]:
    """Each check against a scenario report (build_report) and the events since the step began."""
    return [evaluate_check(c, report, events) for c in checks]
