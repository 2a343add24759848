"""Expectations: a path in the JSON report and the value it should have.

In a scenario file::

    expect:
      audit.acked_lost: "> 0"                      # operator + YAML literal
      topics.orders.partitions[0].leader: "!= null"
      groups.g1.state: Stable                      # a plain literal: equality

`parse_expectation` turns one entry into an `Expectation`; `evaluate` checks
a list of them against a report and returns the report's `expectations`
entries, `{"path", "expected", "actual", "ok"}`, `expected` being the value as
written in the file.

Paths: dots between keys, `[n]` for list items (`[-1]` counts from the end),
`["a.b"]` for a key that itself contains dots. A plain key that is not found
is also tried joined with the following keys, so `topics.my.topic.partitions`
finds the topic `my.topic`. Report keys written as numbers (`brokers.101`)
match string keys and, failing that, integer keys.

A path that is not in the report fails its expectation whatever the
operator, and its `actual` is reported as null. Ordering operators compare
numbers with numbers and strings with strings; anything else (null, a
missing path, a list, a bool) makes them false rather than raising.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Union

import yaml

OPERATORS = ("==", "!=", ">=", "<=", ">", "<")  # two-character ones first


class ExpectationError(ValueError):
    """An expectation that cannot be parsed (bad path or bad literal)."""


class _Missing:
    """The value of a path that is not in the report."""

    _instance: "_Missing | None" = None

    def __new__(cls) -> "_Missing":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING = _Missing()


class ExactKey(str):
    """A path key written in brackets and quotes (`["my.topic"]`): never split or joined."""


Segment = Union[str, int]


@dataclass(frozen=True)
class Expectation:
    path: str
    expected: Any  # as written in the file, reported back unchanged
    op: str  # one of OPERATORS
    operand: Any  # the literal compared against
    segments: tuple[Segment, ...]
    line: int | None = None


_BRACKET = re.compile(r"""\[\s*(?:(-?\d+)|"([^"]*)"|'([^']*)')\s*\]""")
_NAME = re.compile(r"[^.\[\]]+")


def parse_path(path: str) -> tuple[Segment, ...]:
    """`topics.orders.partitions[0].leader` -> `("topics", "orders", "partitions", 0, "leader")`."""
    if not isinstance(path, str) or not path.strip():
        raise ExpectationError("an expectation path must be a non-empty string")
    segments: list[Segment] = []
    i, n = 0, len(path)
    need_name = True  # at the start or right after a dot
    while i < n:
        char = path[i]
        if char == "[":
            match = _BRACKET.match(path, i)
            if not match or (need_name and segments):
                raise ExpectationError(f"bad path {path!r} at position {i}: expected [n] or [\"key\"] after a key")
            if match.group(1) is not None:
                segments.append(int(match.group(1)))
            else:
                segments.append(ExactKey(match.group(2) if match.group(2) is not None else match.group(3)))
            i, need_name = match.end(), False
        elif char == ".":
            if need_name:
                raise ExpectationError(f"bad path {path!r} at position {i}: empty key")
            i, need_name = i + 1, True
        else:
            match = _NAME.match(path, i)
            if not match or not need_name:
                raise ExpectationError(f"bad path {path!r} at position {i}: expected '.' or '[' before {path[i:]!r}")
            segments.append(match.group(0).strip())
            i, need_name = match.end(), False
    if need_name:
        raise ExpectationError(f"bad path {path!r}: ends with '.'")
    return tuple(segments)


def _lookup(container: Any, key: Segment) -> Any:
    if isinstance(container, Mapping):
        if key in container:
            return container[key]
        if isinstance(key, str) and re.fullmatch(r"-?\d+", key) and int(key) in container:
            return container[int(key)]
        if isinstance(key, int) and str(key) in container:
            return container[str(key)]
        return MISSING
    if isinstance(container, (list, tuple)):
        if isinstance(key, str) and re.fullmatch(r"-?\d+", key):
            key = int(key)
        if isinstance(key, int) and not isinstance(key, bool) and -len(container) <= key < len(container):
            return container[key]
    return MISSING


def resolve_path(report: Any, path: Union[str, Iterable[Segment]]) -> Any:
    """The value at `path` in `report`, or `MISSING`."""
    segments = parse_path(path) if isinstance(path, str) else tuple(path)
    return _resolve(report, segments)


def _resolve(node: Any, segments: tuple[Segment, ...]) -> Any:
    if not segments:
        return node
    head = segments[0]
    value = _lookup(node, head)
    if value is not MISSING:
        found = _resolve(value, segments[1:])
        if found is not MISSING:
            return found
    # A key with dots in it (a topic `my.topic`): join plain keys, shortest first.
    if isinstance(node, Mapping) and type(head) is str:
        joined = head
        for j in range(1, len(segments)):
            nxt = segments[j]
            if type(nxt) is not str:
                break
            joined = f"{joined}.{nxt}"
            if joined in node:
                found = _resolve(node[joined], segments[j + 1 :])
                if found is not MISSING:
                    return found
    return MISSING


def parse_expectation(path: str, expected: Any, line: int | None = None) -> Expectation:
    """One `expect:` entry. Raises ExpectationError for a bad path or literal."""
    segments = parse_path(path)
    op, operand = "==", expected
    if isinstance(expected, str):
        text = expected.lstrip()
        for candidate in OPERATORS:
            if text.startswith(candidate):
                literal = text[len(candidate) :].strip()
                if not literal:
                    raise ExpectationError(f"{expected!r}: the operator {candidate} needs a value after it")
                try:
                    operand = yaml.safe_load(literal)
                except yaml.YAMLError as exc:
                    problem = getattr(exc, "problem", None) or str(exc)
                    raise ExpectationError(f"{expected!r}: cannot read the value {literal!r}: {problem}") from None
                op = candidate
                break
    return Expectation(path=path, expected=expected, op=op, operand=operand, segments=segments, line=line)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def values_equal(a: Any, b: Any) -> bool:
    """Equality as a reader means it: `true` is not `1`, tuples equal lists."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) and _is_number(b):
        return a == b
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        ka = {str(k): v for k, v in a.items()}
        kb = {str(k): v for k, v in b.items()}
        return ka.keys() == kb.keys() and all(values_equal(ka[k], kb[k]) for k in ka)
    if isinstance(a, (list, tuple, Mapping)) or isinstance(b, (list, tuple, Mapping)):
        return False
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    return bool(a == b)


def check(op: str, actual: Any, operand: Any) -> bool:
    """Does `actual <op> operand` hold? Never raises for odd types."""
    if actual is MISSING:
        return False
    if op == "==":
        return values_equal(actual, operand)
    if op == "!=":
        return not values_equal(actual, operand)
    comparable = (_is_number(actual) and _is_number(operand)) or (
        isinstance(actual, str) and isinstance(operand, str)
    )
    if not comparable:
        return False
    if op == ">":
        return actual > operand
    if op == ">=":
        return actual >= operand
    if op == "<":
        return actual < operand
    if op == "<=":
        return actual <= operand
    raise ValueError(f"unknown operator {op!r}")


def evaluate(
    report: Mapping[str, Any],
    expectations: Union[Iterable[Expectation], Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """Check each expectation against the report, in order.

    Returns `[{"path", "expected", "actual", "ok"}, ...]`; `actual` is null
    for a path that is not in the report.
    """
    if isinstance(expectations, Mapping):
        expectations = [parse_expectation(p, v) for p, v in expectations.items()]
    results = []
    for exp in expectations:
        actual = _resolve(report, exp.segments)
        results.append(
            {
                "path": exp.path,
                "expected": copy.deepcopy(exp.expected),
                "actual": None if actual is MISSING else copy.deepcopy(actual),
                "ok": check(exp.op, actual, exp.operand),
            }
        )
    return results
