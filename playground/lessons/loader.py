"""Load lesson files: Markdown text, YAML machine parts, every error with file, line and key.

`load_lesson(path)` splits the file (markdown.py), composes each YAML part
with the scenario loader (which records the line of every key), puts them in
one tree (`id`, `setup`, `steps[2].checks[0]...`) and validates it. The setup
and the steps' solutions and runs are validated together as one scenario by
the scenario schema, so a solution may name a topic an earlier step created;
its errors are reported at the lesson's own lines and paths
(`steps[2].solution[0].produce.topic`).
"""

from __future__ import annotations

import dataclasses
import re
from os import PathLike
from pathlib import Path
from typing import Any, Union

from playground.scenario.loader import Document, PathT, Reader, ScenarioError, compose_document, format_path, hint
from playground.scenario.schema import Scenario, Step, TopicPartition, validate_document

from .checks import parse_check
from .concepts import CONCEPTS
from .markdown import Block, split_lesson
from .model import Lesson, LessonStep, LookAt, Prediction

FRONT_KEYS = ("id", "title", "concepts", "goal", "speed", "setup")
SETUP_KEYS = ("seed", "cluster", "topics", "steps")
STEP_KEYS = ("solution", "predict", "run", "checks", "hints", "look_at", "speed")
PREDICT_KEYS = ("question", "choices", "answer", "why")
LOOK_KEYS = ("broker", "partition", "topic", "consumer", "group", "controller")
SPEED_RANGE = (0.05, 100.0)         # the window's speeds (ui.bridge.SPEEDS)
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class LessonError(ScenarioError):
    """An invalid lesson file: `str()` reads `file:line: key.path: what is wrong`."""


def _graft(doc: Document, prefix: PathT, offset: int, lines: dict, raw: dict) -> None:
    for path, line in doc.lines.items():
        lines[prefix + path] = line + offset
    for path, text in doc.raw.items():
        raw[prefix + path] = text


def _compose(block: Block, filename: str) -> Document:
    try:
        doc = compose_document(block.text, filename)
    except ScenarioError as exc:
        line = None if exc.line is None else exc.line + block.first_line - 1
        message = exc.message
        if "flow mapping" in message and "'['" in message:
            message += "; a path with [n] inside { } must be quoted, or written as a block mapping on its own lines"
        raise LessonError(filename, line, exc.path, message) from None
    return doc


def _rebase(table: dict, moves: list[tuple[PathT, PathT]]) -> dict:
    """Copy the entries under each source prefix to its target prefix."""
    out = {}
    for target, source in moves:
        n = len(source)
        for path, value in table.items():
            if path[:n] == source:
                out[target + path[n:]] = value
    return out


class _LessonReader(Reader):
    def __init__(self, doc: Document, filename: str, order: str) -> None:
        super().__init__(doc, filename)
        self.order = order

    def fail(self, path, message, *, at=None, error_name=""):  # noqa: D102 - same as Reader, as a LessonError
        try:
            super().fail(path, message, at=at, error_name=error_name)
        except ScenarioError as exc:
            raise LessonError(exc.filename, exc.line, exc.path, exc.message, exc.error_name) from None

    def text(self, value: Any, path: PathT, what: str = "a name") -> str:
        if isinstance(value, dict) and len(value) == 1 and isinstance(next(iter(value.values())), (str, type(None))):
            self.fail(path, f"expected {what}; got a mapping: a ': ' inside unquoted text starts a mapping, so put "
                            "the sentence in quotes")
        return super().text(value, path, what)

    def lesson(self) -> Lesson:
        data = self.doc.data
        m = self.mapping(data.get("front"), (), FRONT_KEYS, required=("id", "title", "concepts", "goal", "setup"))
        lesson_id = self.text(m["id"], ("id",), "a lesson id")
        if not _ID.match(lesson_id):
            self.fail(("id",), f"'{lesson_id}' is not a lesson id: lower-case letters, digits and dashes, "
                               "like keys-and-partitions")
        title = self.text(m["title"], ("title",), "a title")
        goal = self.text(m["goal"], ("goal",), "the lesson's goal, one sentence")
        concepts = self.concepts(m["concepts"], ("concepts",))
        speed = self.speed(m.get("speed"), ("speed",))
        if not data["intro"]:
            self.fail((), "the lesson has no explanation: write it in Markdown between the front matter and the "
                          "first ## step", at=("intro",))
        sections = data["steps"]
        if not sections:
            self.fail((), "the lesson has no steps: each step is a ## heading, its text and a ```yaml block",
                      at=("intro",))
        setup, references = self.scenario(m["setup"], title, sections)
        steps = tuple(self.step(i, s, references[i], setup) for i, s in enumerate(sections))
        return Lesson(lesson_id, title, concepts, goal, data["intro"], setup, steps, self.filename, self.order, speed)

    def concepts(self, value: Any, path: PathT) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            self.fail(path, "concepts: is a list of checklist concepts, like [murmur2, topic-partitions]")
        out = []
        for i, item in enumerate(value):
            name = self.text(item, path + (i,), "a concept name")
            if name not in CONCEPTS:
                self.fail(path + (i,), f"'{name}' is not a checklist concept{hint(name, CONCEPTS)}; the names are "
                                       "in playground/lessons/concepts.py")
            out.append(name)
        return tuple(out)

    def speed(self, value: Any, path: PathT) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                SPEED_RANGE[0] <= value <= SPEED_RANGE[1]):
            self.fail(path, f"speed is how much faster than real time the window runs, {SPEED_RANGE[0]} to "
                            f"{SPEED_RANGE[1]:g}")
        return float(value)

    # -- the setup and the reference steps, validated as one scenario --------------------------------
    def scenario(self, value: Any, title: str, sections: list) -> tuple[Scenario, list[tuple[Step, ...]]]:
        setup = self.mapping(value, ("setup",), SETUP_KEYS)
        moves: list[tuple[PathT, PathT]] = [((k,), ("setup", k)) for k in ("seed", "cluster", "topics")]
        steps: list[Any] = []
        origins: list[PathT] = []           # synthetic step index -> the lesson path it came from
        for j, item in enumerate(self.step_list(setup.get("steps"), ("setup", "steps"), allow_empty=True)):
            moves.append((("steps", len(steps)), ("setup", "steps", j)))
            origins.append(("setup", "steps", j))
            steps.append(item)
        bounds = []
        for i, section in enumerate(sections):
            key = "run" if isinstance(section, dict) and "predict" in section else "solution"
            start = len(steps)
            if isinstance(section, dict) and key in section:
                for j, item in enumerate(self.step_list(section[key], ("steps", i, key))):
                    moves.append((("steps", len(steps)), ("steps", i, key, j)))
                    origins.append(("steps", i, key, j))
                    steps.append(item)
            bounds.append((start, len(steps)))
        data = {"name": title, "seed": setup.get("seed", 0), "cluster": setup.get("cluster"),
                "topics": setup.get("topics"), "steps": steps}
        doc = Document(data, _rebase(self.doc.lines, moves), _rebase(self.doc.raw, moves))
        doc.lines[()] = self.doc.line_of(("setup",)) or 1
        try:
            scn = validate_document(doc, self.filename)
        except ScenarioError as exc:
            raise LessonError(exc.filename, exc.line, _lesson_path(exc.path, origins), exc.message,
                              exc.error_name) from None
        n_setup = bounds[0][0] if bounds else len(steps)
        setup_scn = dataclasses.replace(scn, steps=scn.steps[:n_setup], expect=[])
        self.doc.data["known"] = known_names(scn)
        return setup_scn, [tuple(scn.steps[a:b]) for a, b in bounds]

    def step_list(self, value: Any, path: PathT, allow_empty: bool = False) -> list:
        if value is None and allow_empty:
            return []
        if not isinstance(value, list) or (not value and not allow_empty):
            self.fail(path, "expected a list of scenario steps, like - produce: {topic: orders, key: user-1}")
        return value

    # -- one step --------------------------------------------------------------------------------
    def step(self, i: int, value: Any, reference: tuple[Step, ...], setup: Scenario) -> LessonStep:
        p: PathT = ("steps", i)
        meta = self.doc.data["step_meta"][i]
        m = self.mapping(value, p, STEP_KEYS, required=("checks",))
        prediction = None
        if "predict" in m:
            if "solution" in m:
                self.fail(p + ("solution",), "a predict step has no solution: the playground runs `run:` after the "
                                             "learner commits to a prediction")
            if "run" not in m:
                self.fail(p, "a predict step needs run: the scenario steps the playground runs to show the answer")
            prediction = self.prediction(m["predict"], p + ("predict",))
        else:
            if "run" in m:
                self.fail(p + ("run",), "run: belongs to a predict step; a do-step has a solution:")
            if "solution" not in m:
                self.fail(p, "a step needs solution: (the reference solution, scenario steps) or predict: and run:")
        raw_checks = m["checks"]
        if not isinstance(raw_checks, list) or not raw_checks:
            self.fail(p + ("checks",), "checks: is a list of at least one check")
        checks = tuple(parse_check(self, c, p + ("checks", k)) for k, c in enumerate(raw_checks))
        if all(c.guard for c in checks):
            self.fail(p + ("checks",), "every check is a guard: a step needs at least one check that says it is done")
        hints = m.get("hints") or []
        if not isinstance(hints, list):
            self.fail(p + ("hints",), "hints: is a list of sentences, shown one at a time")
        hints = tuple(self.text(h, p + ("hints", k), "a hint") for k, h in enumerate(hints))
        look = self.look_at(m.get("look_at"), p + ("look_at",), setup, reference)
        return LessonStep(i, meta["title"], meta["text"], checks, hints,
                          solution=() if prediction else reference, prediction=prediction,
                          run=reference if prediction else (), look_at=look,
                          speed=self.speed(m.get("speed"), p + ("speed",)), line=self.doc.line_of(p))

    def prediction(self, value: Any, path: PathT) -> Prediction:
        m = self.mapping(value, path, PREDICT_KEYS, required=PREDICT_KEYS)
        question = self.text(m["question"], path + ("question",), "the question")
        choices = m["choices"]
        if not isinstance(choices, list) or len(choices) < 2:
            self.fail(path + ("choices",), "choices: is a list of at least two answers to pick from")
        texts = tuple(self.text(c, path + ("choices", k), "an answer") for k, c in enumerate(choices))
        if len(set(texts)) != len(texts):
            self.fail(path + ("choices",), "two choices are the same")
        answer = self.text(m["answer"], path + ("answer",), "the right choice, written as in choices")
        if answer not in texts:
            self.fail(path + ("answer",), f"'{answer}' is not one of the choices{hint(answer, texts)}")
        return Prediction(question, texts, answer, self.text(m["why"], path + ("why",), "the reason"))

    def look_at(self, value: Any, path: PathT, setup: Scenario, reference: tuple[Step, ...]) -> LookAt:
        m = self.mapping(value, path, LOOK_KEYS)
        known = self.doc.data["known"]

        def items(key: str) -> list[tuple[PathT, Any]]:
            v = m.get(key)
            if v is None:
                return []
            return [(path + (key, k), x) for k, x in enumerate(v)] if isinstance(v, list) else [(path + (key,), v)]

        brokers = []
        for p, v in items("broker"):
            if isinstance(v, dict):
                self.mapping(v, p, ("leader_of",), required=("leader_of",))
                brokers.append({"leader_of": self.partition(v["leader_of"], p + ("leader_of",), known)})
            else:
                b = self.integer(v, p)
                if b not in setup.cluster.broker_ids:
                    self.fail(p, f"broker {b} does not exist; brokers are "
                                 f"{', '.join(map(str, setup.cluster.broker_ids))}")
                brokers.append(b)
        partitions = tuple(self.partition(v, p, known) for p, v in items("partition"))
        topics = []
        for p, v in items("topic"):
            name = self.text(v, p, "a topic name")
            if name not in known["topics"]:
                self.fail(p, f"topic '{name}' does not exist in this lesson{hint(name, known['topics'])}")
            topics.append(name)
        names = {}
        for key, pool in (("consumer", "consumers"), ("group", "groups")):
            names[key] = []
            for p, v in items(key):
                name = self.text(v, p, f"a {key} name")
                if name not in known[pool]:
                    self.fail(p, f"no {key} named '{name}' is started in this lesson's setup or solutions"
                                 f"{hint(name, known[pool])}")
                names[key].append(name)
        controller = self.boolean(m.get("controller", False), path + ("controller",))
        return LookAt(tuple(brokers), partitions, tuple(topics), tuple(names["consumer"]), tuple(names["group"]),
                      controller)

    def partition(self, value: Any, path: PathT, known: dict) -> tuple[str, int]:
        text = self.text(value, path, "a partition like orders/0")
        topic, sep, number = text.rpartition("/")
        if not sep or not number.isdigit():
            self.fail(path, f"'{text}' is not a partition; write topic/partition, like orders/0")
        count = known["topics"].get(topic)
        if count is None:
            self.fail(path, f"topic '{topic}' does not exist in this lesson{hint(topic, known['topics'])}")
        if int(number) >= count:
            self.fail(path, f"partition {text} does not exist; '{topic}' has at most {count} partition(s)")
        return TopicPartition(topic, int(number))


def _lesson_path(path: str, origins: list[PathT]) -> str:
    """`steps[7].produce.key` of the combined scenario -> `steps[2].solution[1].produce.key`."""
    match = re.match(r"^steps\[(\d+)\]", path)
    if match and int(match.group(1)) < len(origins):
        return format_path(origins[int(match.group(1))]) + path[match.end():]
    if path.startswith(("cluster", "topics", "seed")):
        return "setup." + path
    return path


def known_names(scn: Scenario) -> dict[str, Any]:
    """Topics (with their largest partition count), consumers and groups that a lesson's setup or
    reference steps create (or use, for auto-created topics): what `look_at` may name."""
    topics = {t.name: t.partitions for t in scn.topics}
    consumers, groups = set(), set()
    for step in scn.steps:
        a = step.args
        if step.action == "create_topic":
            topics[a["name"]] = max(topics.get(a["name"], 0), a["partitions"])
        elif step.action == "add_partitions":
            topics[a["topic"]] = max(topics.get(a["topic"], 0), a["count"])
        elif step.action == "produce" or (step.action == "start_producer" and a.get("topic")):
            topics.setdefault(a["topic"], 1)
        elif step.action == "start_consumer":
            consumers.add(a["name"])
            groups.add(a["group"])
            for t in a["topics"]:
                topics.setdefault(t, 1)
    return {"topics": topics, "consumers": consumers, "groups": groups}


def parse_lesson(text: str, filename: str = "<lesson>", order: str = "") -> Lesson:
    """Parse and validate a lesson's text; raise LessonError naming the file, the line and the key."""
    try:
        parts = split_lesson(text, filename)
    except ScenarioError as exc:
        raise LessonError(exc.filename, exc.line, exc.path, exc.message) from None
    lines: dict[PathT, int] = {}
    raw: dict[PathT, str] = {}
    front = _compose(parts.front, filename)
    if not isinstance(front.data, dict):
        raise LessonError(filename, parts.front.first_line, "", "the front matter is a YAML mapping: id, title, "
                                                                "concepts, goal, setup")
    _graft(front, (), parts.front.first_line - 1, lines, raw)
    lines[("intro",)] = parts.intro_line
    bodies, meta = [], []
    for i, section in enumerate(parts.sections):
        doc = _compose(section.block, filename)
        lines[("steps", i)] = section.line
        _graft(doc, ("steps", i), section.block.first_line - 1, lines, raw)
        bodies.append(doc.data)
        meta.append({"title": section.title, "text": section.text})
    data = {"front": front.data, "intro": parts.intro, "steps": bodies, "step_meta": meta}
    for i, body in enumerate(bodies):
        if not isinstance(body, dict):
            raise LessonError(filename, lines[("steps", i)], f"steps[{i}]",
                              "the yaml block is a mapping: checks, hints, solution (or predict and run), look_at")
    # The front matter's keys sit at the top of the paths (`setup.topics[0]`), as they are written.
    doc = Document(data, lines, raw)
    reader = _LessonReader(doc, filename, order)
    return reader.lesson()


def load_lesson(path: Union[str, "PathLike[str]"]) -> Lesson:
    filename = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise LessonError(filename, None, "", f"cannot read file: not UTF-8 ({exc.reason})") from None
    except OSError as exc:
        raise LessonError(filename, None, "", f"cannot read file: {exc.strerror or exc}") from None
    return parse_lesson(text, filename, Path(path).stem)
