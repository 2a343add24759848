"""Where the lessons and demos live, and loading all of them.

Lessons are the `NN-name.md` files of the checkout's `lessons/` folder, in
file-name order (README.md is the format's documentation, not a lesson).
Demos are listed in `lessons/demos.yaml`: a scenario file each, with a
teacher's note.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Any, Optional, Union

from playground.scenario.loader import Reader, ScenarioError, compose_document, hint, load_scenario

from .concepts import CONCEPTS
from .loader import LessonError, load_lesson
from .model import Demo, Lesson

ROOT = Path(__file__).resolve().parents[2]          # the checkout: playground/, lessons/, scenarios/
DEMO_KEYS = ("id", "title", "scenario", "note", "concepts")


def content_dir() -> Path:
    return ROOT / "lessons"


def lesson_files(directory: Union[str, PathLike, None] = None) -> list[Path]:
    folder = Path(directory) if directory is not None else content_dir()
    return sorted(p for p in folder.glob("*.md") if p.name.lower() != "readme.md")


def load_lessons(directory: Union[str, PathLike, None] = None) -> list[Lesson]:
    """Every lesson, in order; the first invalid file raises LessonError, and so does a repeated id."""
    lessons: list[Lesson] = []
    seen: dict[str, str] = {}
    for path in lesson_files(directory):
        lesson = load_lesson(path)
        if lesson.id in seen:
            raise LessonError(str(path), 2, "id", f"lesson id '{lesson.id}' is already used by {seen[lesson.id]}")
        seen[lesson.id] = str(path)
        lessons.append(lesson)
    return lessons


def find_lesson(lessons: list[Lesson], lesson_id: str) -> Optional[Lesson]:
    return next((lesson for lesson in lessons if lesson.id == lesson_id), None)


def demos_file() -> Path:
    return content_dir() / "demos.yaml"


def load_demos(path: Union[str, PathLike, None] = None, root: Union[str, PathLike, None] = None) -> list[Demo]:
    """The demo manifest; each scenario path is relative to `root` (the checkout) and must load."""
    path = Path(path) if path is not None else demos_file()
    base = Path(root) if root is not None else ROOT
    filename = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LessonError(filename, None, "", f"cannot read file: {exc.strerror or exc}") from None
    try:
        doc = compose_document(text, filename)
    except ScenarioError as exc:
        raise LessonError(exc.filename, exc.line, exc.path, exc.message) from None
    reader = Reader(doc, filename)
    try:
        return _demos(reader, base)
    except LessonError:
        raise
    except ScenarioError as exc:
        raise LessonError(exc.filename, exc.line, exc.path, exc.message, exc.error_name) from None


def _demos(reader: Reader, base: Path) -> list[Demo]:
    top = reader.mapping(reader.doc.data, (), ("demos",), required=("demos",))
    items: Any = top["demos"]
    if not isinstance(items, list) or not items:
        reader.fail(("demos",), "demos: is a list of demos (id, title, scenario, note, concepts)")
    out, seen = [], set()
    for i, item in enumerate(items):
        p = ("demos", i)
        m = reader.mapping(item, p, DEMO_KEYS, required=("id", "scenario", "note"))
        demo_id = reader.text(m["id"], p + ("id",), "a demo id")
        if demo_id in seen:
            reader.fail(p + ("id",), f"demo id '{demo_id}' is used twice")
        seen.add(demo_id)
        rel = reader.text(m["scenario"], p + ("scenario",), "a scenario file, relative to the checkout")
        scenario_path = base / rel
        if not scenario_path.is_file():
            reader.fail(p + ("scenario",), f"no scenario file {rel} (looked in {base})")
        scn = load_scenario(scenario_path)
        note = " ".join(reader.text(m["note"], p + ("note",), "the teacher's note, one paragraph").split())
        concepts = []
        for k, c in enumerate(m.get("concepts") or []):
            name = reader.text(c, p + ("concepts", k), "a concept name")
            if name not in CONCEPTS:
                reader.fail(p + ("concepts", k), f"'{name}' is not a checklist concept{hint(name, CONCEPTS)}")
            concepts.append(name)
        title = reader.text(m["title"], p + ("title",), "a title") if "title" in m else scn.name
        out.append(Demo(demo_id, title, str(scenario_path), note, tuple(concepts), reader.doc.line_of(p)))
    return out
