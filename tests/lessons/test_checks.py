"""The check evaluator: each kind against a report and events, and on a live session."""

from __future__ import annotations

import textwrap

import pytest

from playground.engine.events import Event, EventKind
from playground.lessons import LessonError, LessonSession, evaluate_checks, parse_lesson
from playground.lessons.checks import parse_check
from playground.scenario.loader import Reader, compose_document

REPORT = {
    "audit": {"acked_lost": 2, "skipped": 0},
    "topics": {
        "clicks": {"partitions": [
            {"partition": 0, "isr": [101, 102], "records": [
                {"offset": 0, "key": "alice", "value": "click 0"},
                {"offset": 1, "control": "COMMIT"},
            ]},
            {"partition": 1, "isr": [101], "records": [
                {"offset": 0, "key": "user-7", "value": "click 1"},
                {"offset": 1, "key": "user-7", "value": "click 2"},
                {"offset": 2, "key": None, "value": "no key"},
            ]},
        ]},
        "my.topic": {"partitions": [{"partition": 0, "isr": [], "records": []}]},
    },
    "groups": {"shop": {"state": "Stable", "generation": 3, "assignor": "range",
                        "members": {"c1": ["clicks/0", "clicks/1"], "c2": []},
                        "lag": {"clicks/0": 4, "clicks/1": None}}},
}


def _check(yaml_text: str):
    doc = compose_document(textwrap.dedent(yaml_text), "checks.yaml")
    return parse_check(Reader(doc, "checks.yaml"), doc.data, ())


def _events(*items) -> list[Event]:
    return [Event(i, 10 * i, kind, "text", data) for i, (kind, data) in enumerate(items)]


def _ok(yaml_text: str, events=()) -> tuple[bool, str]:
    (result,) = evaluate_checks([_check(yaml_text)], REPORT, list(events))
    return result.ok, result.actual


@pytest.mark.parametrize("text, ok", [
    ("says: s\nreport: {audit.acked_lost: '> 0'}", True),
    ("says: s\nreport: {audit.acked_lost: 0}", False),
    ("says: s\nreport: {audit.acked_lost: '> 0', audit.skipped: '> 0'}", False),     # every path must hold
    ("says: s\nreport: {'len(topics.clicks.partitions[0].isr)': 2}", True),
    ("says: s\nreport: {'len(groups.shop.members)': '>= 3'}", False),
    ("says: s\nreport: {'topics.my.topic.partitions[0].isr': []}", True),            # dotted topic names
    ("says: s\nreport: {audit.nothing_here: '!= 1'}", False),                        # a missing path fails
])
def test_report_checks(text, ok) -> None:
    assert _ok(text)[0] is ok


def test_report_check_says_what_it_found() -> None:
    assert _ok("says: s\nreport: {'len(topics.clicks.partitions[1].isr)': 2}") == (
        False, "len(topics.clicks.partitions[1].isr) is 1")


@pytest.mark.parametrize("text, ok, actual", [
    ("says: s\nrecords: {topic: clicks, key: user-7}\ncount: 2\npartitions: 1", True, "2 record(s) in partition(s) 1"),
    ("says: s\nrecords: {topic: clicks, key: user-7}\ncount: 3", False, "2 record(s) in partition(s) 1"),
    ("says: s\nrecords: {topic: clicks, value: 'click *'}\npartitions: 2", True, "3 record(s) in partition(s) 0, 1"),
    ("says: s\nrecords: {topic: clicks, key: null}", True, "1 record(s) in partition(s) 1"),
    ("says: s\nrecords: {topic: clicks, partition: 0}\ncount: 1", True, "1 record(s) in partition(s) 0"),  # no marker
    ("says: s\nrecords: {topic: nowhere}\ncount: 0", True, "0 record(s)"),
])
def test_records_checks(text, ok, actual) -> None:
    assert _ok(text) == (ok, actual)


@pytest.mark.parametrize("text, ok", [
    ("says: s\ngroup: {id: shop, state: Stable, members: 2, idle: 1}", True),
    ("says: s\ngroup: {id: shop, most: 2, fewest: 0, generation: '>= 3'}", True),
    ("says: s\ngroup: {id: shop, lag: 4}", True),           # unknown lag (null) is left out of the sum
    ("says: s\ngroup: {id: shop, assignor: roundrobin}", False),
    ("says: s\ngroup: {id: nobody, members: 0}", False),    # a group that does not exist fails
])
def test_group_checks(text, ok) -> None:
    assert _ok(text)[0] is ok


def test_event_checks_match_kind_data_and_count() -> None:
    events = _events((EventKind.MEMBER_REMOVED, {"member": "c3", "reason": "session_timeout"}),
                     (EventKind.MEMBER_REMOVED, {"member": "c2", "reason": "leave_group"}),
                     (EventKind.ISR_CHANGED, {"left": [103], "isr": [101, 102]}),
                     (EventKind.PRODUCE_ACKED, {"acks": -1, "count": 3}))
    assert _ok("says: s\nevent: member_removed", events)[0]
    assert _ok("says: s\nevent: MEMBER_REMOVED\ncount: 2", events)[0]            # Kafka-style name works too
    assert _ok("says: s\nevent: member_removed\nwhere: {reason: session_timeout, member: c3}", events)[0]
    assert not _ok("says: s\nevent: member_removed\nwhere: {reason: max_poll_interval}", events)[0]
    assert _ok("says: s\nevent: isr_changed\nwhere: {left: [103]}", events)[0]
    assert _ok("says: s\nevent: produce_acked\nwhere: {acks: -1, count: '>= 3'}", events)[0]
    assert _ok("says: s\nevent: member_removed\nwhere: {member: c9}\ncount: 0", events)[0]
    ok, actual = _ok("says: s\nevent: member_removed\nwhere: {member: c3}", events)
    assert ok and actual.startswith("1 such event(s) so far; the last:")
    assert _ok("says: s\nevent: member_removed", []) == (False, "0 such event(s) so far")


@pytest.mark.parametrize("text, words", [
    ("says: s", "exactly one of report, event, records, group; found none"),
    ("says: s\nreport: {a: 1}\nevent: step", "found report, event"),
    ("report: {a: 1}", "missing required key 'says'"),
    ("says: s\nevent: member_removed\npartitions: 1", "unknown key 'partitions'"),
    ("says: s\nrecords: {key: a}", "missing required key 'topic'"),
    ("says: s\ngroup: {id: g}", "one or more of state"),
    ("says: s\ngroup: {id: g, size: 3}", "unknown key 'size'"),
    ("says: s\nevent: member_removd", "did you mean 'member_removed'"),
    ("says: s\nevent: step_error\nwhere: reason", "where: is a mapping"),
    ("says: s\nrecords: {topic: t}\ncount: [1]", "expected a value"),
    ("says: s\nreport: {'len()': 1}", "non-empty"),
    ("says: s\nreport: {'a..b': 1}", "empty key"),
])
def test_bad_checks_are_refused(text, words) -> None:
    from playground.scenario.loader import ScenarioError
    with pytest.raises(ScenarioError) as info:
        _check(text)
    assert words in str(info.value)


LESSON = textwrap.dedent('''\
    ---
    id: live
    title: Live checks
    concepts: [lag]
    goal: Check a session.
    setup:
      topics: [{name: t, partitions: 2, replication_factor: 3}]
      steps:
        - start_consumer: {name: c1, group: g, topics: [t], auto.offset.reset: earliest}
        - wait: 10s
    ---
    Text.

    ## Crash the consumer

    ```yaml
    solution: [{crash_consumer: c1}, {wait: 50s}]
    checks:
      - says: c1 was expelled
        event: member_removed
        where: {member: c1, reason: session_timeout}
      - says: the group is empty
        group: {id: g, state: Empty, members: 0}
    ```
    ''')


def test_a_session_counts_events_from_the_start_of_its_step() -> None:
    lesson = parse_lesson(LESSON, "live.md")
    session = LessonSession(lesson)
    assert [r.ok for r in session.evaluate()] == [False, False]
    session.cluster.consumers["c1"].crash()
    session.cluster.advance(50_000)
    assert [r.ok for r in session.evaluate()] == [True, True]
    session.begin_step(0)           # a new start: the expulsion happened before it
    assert [r.ok for r in session.evaluate()] == [False, True]


def test_scheduled_reference_steps_apply_as_the_clock_passes_them() -> None:
    session = LessonSession(parse_lesson(LESSON, "live.md"))
    start = session.cluster.now
    end = session.schedule_reference()
    assert end == start + 50_000
    assert session.cluster.consumers["c1"].alive           # nothing applied before time moves
    session.cluster.advance(1)
    assert not session.cluster.consumers["c1"].alive
    session.cluster.advance(50_000)
    assert session.passed()


def test_cancelled_reference_steps_never_apply() -> None:
    session = LessonSession(parse_lesson(LESSON, "live.md"))
    session.schedule_reference()
    session.cancel_scheduled()
    session.cluster.advance(60_000)
    assert session.cluster.consumers["c1"].alive and not session.passed()


def test_an_unknown_step_index_is_refused() -> None:
    session = LessonSession(parse_lesson(LESSON, "live.md"))
    with pytest.raises(IndexError):
        session.begin_step(1)
    assert isinstance(LessonError("f", 1, "p", "m"), Exception)
