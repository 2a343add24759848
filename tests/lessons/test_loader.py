"""The lesson loader: a valid lesson, and bad ones refused with the file, the line and the key."""

from __future__ import annotations

import textwrap

import pytest

from playground.lessons import LessonError, load_lesson, parse_lesson
from playground.scenario.schema import TopicPartition

VALID = textwrap.dedent('''\
    ---
    id: tiny
    title: A tiny lesson
    concepts: [murmur2, offsets]
    goal: See one key land in one partition.
    speed: 0.5
    setup:
      seed: 3
      cluster: {brokers: 3}
      topics:
        - {name: clicks, partitions: 3, replication_factor: 3}
    ---
    # A tiny lesson

    Keys pick partitions.

    ## Send a keyed record

    Send one record with key `user-7`.

    ```text
    ## not a heading: this is inside a text block
    ```

    ```yaml
    look_at: {partition: clicks/2, broker: [101, {leader_of: clicks/0}], consumer: c1, group: g}
    solution:
      - produce: {topic: clicks, key: user-7, value: v}
      - start_consumer: {name: c1, group: g, topics: [clicks]}
      - wait: 1s
    checks:
      - says: One record with key user-7
        records: {topic: clicks, key: user-7}
        count: 1
        partitions: 1
      - says: Nothing lost
        guard: true
        report: {audit.acked_lost: 0}
    hints: [Use the Produce panel.]
    ```

    ## Predict the partition

    ```yaml
    predict:
      question: Where does the next user-7 record go?
      choices: [partition 2, partition 0]
      answer: partition 2
      why: murmur2(user-7) % 3 is 2.
    run:
      - produce: {topic: clicks, key: user-7, value: again}
      - wait: 1s
    checks:
      - says: Two user-7 records in partition 2
        records: {topic: clicks, key: user-7, partition: 2}
        count: 2
      - says: The leader of clicks/2 appended them
        event: records_appended
        where: {topic: clicks, partition: 2}
    ```
    ''')


def test_a_valid_lesson_loads_with_its_parts() -> None:
    lesson = parse_lesson(VALID, "tiny.md", "01-tiny")
    assert (lesson.id, lesson.title, lesson.speed, lesson.order) == ("tiny", "A tiny lesson", 0.5, "01-tiny")
    assert lesson.concepts == ("murmur2", "offsets")
    assert lesson.intro == "Keys pick partitions."
    assert lesson.setup.seed == 3 and [t.name for t in lesson.setup.topics] == ["clicks"]
    first, second = lesson.steps
    assert first.title == "Send a keyed record" and not first.is_prediction
    assert "## not a heading" in first.text and first.text.startswith("Send one record")
    assert [s.action for s in first.solution] == ["produce", "start_consumer", "wait"]
    assert first.reference == first.solution
    assert [c.kind for c in first.checks] == ["records", "report"] and first.checks[1].guard
    assert first.checks[0].line == 32
    assert first.hints == ("Use the Produce panel.",)
    assert first.look_at.partitions == (TopicPartition("clicks", 2),)
    assert first.look_at.brokers == (101, {"leader_of": TopicPartition("clicks", 0)})
    assert first.look_at.consumers == ("c1",) and first.look_at.groups == ("g",)
    assert second.is_prediction and second.prediction.answer == "partition 2"
    assert [s.action for s in second.run] == ["produce", "wait"] and second.solution == ()
    assert lesson.check_count == 4


def test_the_shipped_example_files_load(tmp_path) -> None:
    path = tmp_path / "07-tiny.md"
    path.write_text(VALID, encoding="utf-8")
    assert load_lesson(path).order == "07-tiny"


def _error(text: str) -> LessonError:
    with pytest.raises(LessonError) as info:
        parse_lesson(text, "bad.md")
    return info.value


def _mutate(old: str, new: str) -> str:
    assert old in VALID, old
    return VALID.replace(old, new, 1)


@pytest.mark.parametrize("old, new, line, path, words", [
    ("id: tiny", "id: Tiny Lesson", 2, "id", "not a lesson id"),
    ("concepts: [murmur2, offsets]", "concepts: [murmur3]", 4, "concepts[0]", "did you mean 'murmur2'"),
    ("goal: See one key land in one partition.\n", "", 2, "", "missing required key 'goal'"),
    ("speed: 0.5", "speed: 500", 6, "speed", "0.05 to 100"),
    ("title: A tiny lesson", "title: A tiny lesson\nlevel: 3", 4, "level", "unknown key 'level'"),
    ("{name: clicks, partitions: 3, replication_factor: 3}", "{name: clicks, partitions: 0, replication_factor: 3}",
     11, "setup.topics[0].partitions", "INVALID_PARTITIONS"),
    ("- produce: {topic: clicks, key: user-7, value: v}", "- produce: {topic: clicks, key: user-7, colour: red}",
     28, "steps[0].solution[0].produce.colour", "unknown key 'colour'"),
    ("  - produce: {topic: clicks, key: user-7, value: again}", "  - kill_broker: 107",
     51, "steps[1].run[0].kill_broker", "broker 107 does not exist"),
    ("    records: {topic: clicks, key: user-7}\n", "    recrods: {topic: clicks, key: user-7}\n", 32,
     "steps[0].checks[0]", "exactly one of report, event, records, group"),
    ("event: records_appended", "event: record_appended", 58, "steps[1].checks[1].event",
     "did you mean 'records_appended'"),
    ("answer: partition 2", "answer: partition 7", 48, "steps[1].predict.answer", "not one of the choices"),
    ("report: {audit.acked_lost: 0}", "report: {audit..acked_lost: 0}", 38,
     "steps[0].checks[1].report.audit..acked_lost", "empty key"),
    ("look_at: {partition: clicks/2,", "look_at: {partition: clicks/5,", 26, "steps[0].look_at.partition",
     "clicks/5 does not exist"),
    ("consumer: c1, group: g}", "consumer: c9, group: g}", 26, "steps[0].look_at.consumer", "no consumer named 'c9'"),
    ("    guard: true\n", "    guard: yes please\n", 37, "steps[0].checks[1].guard", "expected true or false"),
    ("    where: {topic: clicks, partition: 2}", "    where: [topic]", 59, "steps[1].checks[1].where",
     "event data"),
])
def test_a_bad_lesson_names_the_file_line_and_key(old, new, line, path, words) -> None:
    exc = _error(_mutate(old, new))
    assert exc.filename == "bad.md"
    assert (exc.line, exc.path) == (line, path), str(exc)
    assert words in exc.message, str(exc)
    assert str(exc).startswith(f"bad.md:{line}: ")


def test_a_step_without_a_yaml_block_is_refused_at_its_heading() -> None:
    text = VALID.replace("## Predict the partition\n", "## Just words\n\nNo block here.\n\n## Predict the partition\n")
    exc = _error(text)
    assert exc.line == 42 and "no ```yaml block" in exc.message


def test_text_after_the_yaml_block_is_refused() -> None:
    exc = _error(VALID + "\nAn afterthought.\n")
    assert exc.line == 62 and "text after the yaml block" in exc.message


def test_a_yaml_syntax_error_has_the_line_in_the_file() -> None:
    exc = _error(_mutate("hints: [Use the Produce panel.]", "hints: [Use the Produce panel."))
    assert exc.line == 39 and "YAML syntax error" in exc.message


def test_missing_front_matter_and_steps() -> None:
    assert "front matter" in _error("# Just a title\n").message
    exc = _error(VALID.split("## Send a keyed record")[0])
    assert "no steps" in exc.message


def test_a_step_needs_a_real_check_and_a_solution_or_a_run() -> None:
    only_guards = _mutate("  - says: One record with key user-7\n", "  - says: One record with key user-7\n"
                          "    guard: true\n")
    assert "every check is a guard" in _error(only_guards).message
    no_run = VALID.replace("run:\n  - produce: {topic: clicks, key: user-7, value: again}\n  - wait: 1s\n", "")
    exc = _error(no_run)
    assert exc.path == "steps[1]" and "needs run" in exc.message
    both = _mutate("hints: [Use the Produce panel.]\n", "hints: [Use the Produce panel.]\nrun: [{wait: 1s}]\n")
    assert _error(both).path == "steps[0].run"


def test_a_solution_may_use_a_topic_an_earlier_step_created() -> None:
    text = _mutate("  - produce: {topic: clicks, key: user-7, value: again}",
                   "  - add_partitions: {topic: clicks, count: 4}\n  - produce: {topic: clicks, key: user-7}")
    text = text.replace("checks:\n  - says: Two user-7",
                        "look_at: {partition: clicks/3}\nchecks:\n  - says: Two user-7")
    lesson = parse_lesson(text, "ok.md")
    assert [s.action for s in lesson.steps[1].run] == ["add_partitions", "produce", "wait"]
