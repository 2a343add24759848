"""Expectations: operators, literals, report paths and the report's entries."""

from __future__ import annotations

import json

import pytest

from playground.scenario import MISSING, ExpectationError, evaluate, parse_expectation, parse_path, resolve_path

REPORT = {
    "name": "demo",
    "controller": None,
    "virtual_time_ms": 30003,
    "brokers": {"101": {"alive": True}, "102": {"alive": False}},
    "topics": {
        "orders": {"partitions": [
            {"partition": 0, "leader": 102, "isr": [102, 103], "log_end_offset": {"101": 5},
             "records": [{"offset": 0, "key": "user-1", "value": "order 0"}]},
            {"partition": 1, "leader": None, "isr": []},
        ]},
        "my.topic": {"partitions": [{"partition": 0, "leader": 101}]},
    },
    "groups": {"g1": {"state": "Stable", "members": {"c1": ["orders/0", "orders/1"]},
                      "committed": {"orders/0": 5}}},
    "audit": {"acked": 5, "acked_lost": 1, "ratio": 0.5},
    "step_errors": [{"step": 4, "action": "add_partitions", "error": "INVALID_PARTITIONS"}],
}  # fmt: skip


@pytest.mark.parametrize("path, value", [
    ("name", "demo"),
    ("audit.acked_lost", 1),
    ("topics.orders.partitions[0].leader", 102),
    ("topics.orders.partitions[0].isr[1]", 103),
    ("topics.orders.partitions[0].isr", [102, 103]),
    ("topics.orders.partitions[-1].partition", 1),
    ("topics.orders.partitions[0].records[0].value", "order 0"),
    ("topics.orders.partitions[0].log_end_offset.101", 5),
    ("brokers.101.alive", True),
    ("brokers.102.alive", False),
    ("groups.g1.committed.orders/0", 5),
    ("groups.g1.members.c1[1]", "orders/1"),
    ("step_errors[0].error", "INVALID_PARTITIONS"),
    ("topics.my.topic.partitions[0].leader", 101),
    ('topics["my.topic"].partitions[0].leader', 101),
    ("topics.orders.partitions[1].leader", None),
    ("controller", None),
])  # fmt: skip
def test_resolve_path(path: str, value: object) -> None:
    assert resolve_path(REPORT, path) == value


@pytest.mark.parametrize("path", [
    "nope", "audit.nope", "topics.orders.partitions[2]", "topics.orders.partitions[-3]", "brokers.103.alive",
    "audit.acked.more", "topics.orders.partitions.leader", "step_errors[1].error", "topics.my",
    'topics["orders.partitions"]',
])  # fmt: skip
def test_missing_paths_resolve_to_the_sentinel(path: str) -> None:
    assert resolve_path(REPORT, path) is MISSING


def test_integer_keys_in_a_report_that_is_not_serialised_yet() -> None:
    assert resolve_path({"brokers": {101: {"alive": True}}}, "brokers.101.alive") is True


def test_parse_path() -> None:
    assert parse_path("topics.orders.partitions[0].leader") == ("topics", "orders", "partitions", 0, "leader")
    assert parse_path("a[0][1].b") == ("a", 0, 1, "b")
    assert parse_path("[2].x") == (2, "x")
    assert parse_path("t['a.b'].c") == ("t", "a.b", "c")


@pytest.mark.parametrize("path", ["", "a..b", ".a", "a.", "a[x]", "a[0]b", "a.[0]", "a]", "a[0"])
def test_bad_paths(path: str) -> None:
    with pytest.raises(ExpectationError):
        parse_path(path)


@pytest.mark.parametrize("written, op, operand", [
    ("> 0", ">", 0), (">=5", ">=", 5), ("< 1.5", "<", 1.5), ("<= -2", "<=", -2),
    ("== Stable", "==", "Stable"), ("!= null", "!=", None), ("== true", "==", True), ("!= 'a b'", "!=", "a b"),
    ("==", None, None), ("Stable", "==", "Stable"), (5, "==", 5), (None, "==", None), ([1, 2], "==", [1, 2]),
    ("  >  3 ", ">", 3), ("=5", "==", "=5"),
])  # fmt: skip
def test_parse_expectation_operators_and_literals(written: object, op: str | None, operand: object) -> None:
    if op is None:
        with pytest.raises(ExpectationError, match="needs a value"):
            parse_expectation("a", written)
        return
    exp = parse_expectation("audit.acked", written, line=9)
    assert (exp.op, exp.operand, exp.expected, exp.line) == (op, operand, written, 9)
    assert exp.segments == ("audit", "acked")


def test_a_bad_literal_is_an_error() -> None:
    with pytest.raises(ExpectationError, match="cannot read the value"):
        parse_expectation("a", "== [1, 2")


@pytest.mark.parametrize("path, expected, ok", [
    ("audit.acked_lost", "> 0", True),
    ("audit.acked_lost", "> 1", False),
    ("audit.acked_lost", ">= 1", True),
    ("audit.acked_lost", "< 1", False),
    ("audit.acked_lost", "<= 1", True),
    ("audit.acked_lost", 1, True),
    ("audit.acked_lost", "== 1", True),
    ("audit.acked_lost", "!= 1", False),
    ("audit.acked_lost", "1", False),  # a quoted "1" is the string "1", not the number
    ("audit.ratio", "== 0.5", True),
    ("audit.acked", 5.0, True),
    ("audit.acked", True, False),  # true is not 1
    ("brokers.101.alive", True, True),
    ("brokers.101.alive", 1, False),
    ("brokers.102.alive", "== false", True),
    ("topics.orders.partitions[0].leader", "!= null", True),
    ("topics.orders.partitions[1].leader", "!= null", False),
    ("topics.orders.partitions[1].leader", None, True),
    ("topics.orders.partitions[1].leader", "> 0", False),  # ordering with null: false, no exception
    ("topics.orders.partitions[1].leader", "< 0", False),
    ("groups.g1.state", "Stable", True),
    ("groups.g1.state", "!= Empty", True),
    ("groups.g1.state", "> 5", False),  # a string against a number: false
    ("groups.g1.state", "> Empty", True),  # strings order as strings
    ("topics.orders.partitions[0].isr", [102, 103], True),
    ("topics.orders.partitions[0].isr", "== [102, 103]", True),
    ("topics.orders.partitions[0].isr", "> 1", False),
    ("groups.g1.members", {"c1": ["orders/0", "orders/1"]}, True),
    ("step_errors[0].error", "INVALID_PARTITIONS", True),
])  # fmt: skip
def test_evaluate(path: str, expected: object, ok: bool) -> None:
    (result,) = evaluate(REPORT, [parse_expectation(path, expected)])
    assert result == {"path": path, "expected": expected, "actual": resolve_path(REPORT, path), "ok": ok}


@pytest.mark.parametrize("expected", ["== null", None, "!= null", "!= 5", "> 0", "< 0", 0, "nothing"])
def test_a_missing_path_fails_whatever_the_operator(expected: object) -> None:
    (result,) = evaluate(REPORT, [parse_expectation("audit.typo", expected)])
    assert result == {"path": "audit.typo", "expected": expected, "actual": None, "ok": False}


def test_evaluate_keeps_order_and_the_written_value_and_serialises() -> None:
    results = evaluate(REPORT, {"audit.acked_lost": "> 0", "topics.orders.partitions[0].leader": "!= null",
                                "groups.g1.state": "Empty"})  # fmt: skip
    assert [r["path"] for r in results] == ["audit.acked_lost", "topics.orders.partitions[0].leader", "groups.g1.state"]
    assert [r["ok"] for r in results] == [True, True, False]
    assert results[0] == {"path": "audit.acked_lost", "expected": "> 0", "actual": 1, "ok": True}
    assert list(results[0]) == ["path", "expected", "actual", "ok"]
    json.dumps(results)


def test_actual_is_a_copy() -> None:
    (result,) = evaluate(REPORT, [parse_expectation("topics.orders.partitions[0].isr", "> 0")])
    result["actual"].append(1)
    assert REPORT["topics"]["orders"]["partitions"][0]["isr"] == [102, 103]
