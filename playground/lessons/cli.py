"""`kafka-playground lessons list|verify` and `kafka-playground demos list`.

Exit codes, as for scenarios: 0 fine, 1 a lesson failed verification (or an
unknown id), 2 a lesson or demo file is invalid (stderr names the file, the
line and the key).
"""

from __future__ import annotations

import json
import sys
from typing import Optional, TextIO

from .catalog import find_lesson, load_demos, load_lessons
from .concepts import coverage
from .loader import LessonError
from .verify import verify_lesson


def _invalid(exc: LessonError, err: TextIO) -> int:
    print(f"kafka-playground: invalid file: {exc}", file=err)
    return 2


def lessons_list(as_json: bool = False, out: Optional[TextIO] = None, err: Optional[TextIO] = None,
                 directory: Optional[str] = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    try:
        lessons = load_lessons(directory)
    except LessonError as exc:
        return _invalid(exc, err)
    rows = [{"id": lesson.id, "title": lesson.title, "concepts": list(lesson.concepts), "goal": lesson.goal,
             "steps": len(lesson.steps), "predictions": sum(1 for s in lesson.steps if s.is_prediction),
             "file": lesson.filename} for lesson in lessons]
    if as_json:
        json.dump(rows, out, indent=2)
        out.write("\n")
        return 0
    width = max((len(r["id"]) for r in rows), default=2)
    for r in rows:
        out.write(f"{r['id']:<{width}}  {r['title']}  ({r['steps']} steps)\n")
        out.write(f"{'':<{width}}  concepts: {', '.join(r['concepts'])}\n")
    try:
        demo_concepts = [c for d in load_demos() for c in d.concepts]
    except LessonError:
        demo_concepts = []
    covered, missing = coverage([c for lesson in lessons for c in lesson.concepts] + demo_concepts)
    out.write(f"\n{len(lessons)} lessons. The lessons and demos cover {len(covered)} of "
              f"{len(covered) + len(missing)} checklist concepts")
    out.write(f"; not yet: {', '.join(missing)}.\n" if missing else ".\n")
    return 0


def lessons_verify(lesson_id: Optional[str] = None, out: Optional[TextIO] = None, err: Optional[TextIO] = None,
                   directory: Optional[str] = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    try:
        lessons = load_lessons(directory)
    except LessonError as exc:
        return _invalid(exc, err)
    if lesson_id is not None:
        lesson = find_lesson(lessons, lesson_id)
        if lesson is None:
            print(f"kafka-playground lessons verify: no lesson '{lesson_id}'; lessons are "
                  f"{', '.join(x.id for x in lessons)}", file=err)
            return 1
        lessons = [lesson]
    failed = 0
    for lesson in lessons:
        verdict = verify_lesson(lesson)
        checks = lesson.check_count
        guards = sum(1 for s in lesson.steps for c in s.checks if c.guard)
        guarded = f" ({guards} guard{'s' if guards != 1 else ''})" if guards else ""
        status = "ok" if verdict.ok else "FAILED"
        out.write(f"{status:<6} {lesson.id}: {len(lesson.steps)} steps, {checks} checks{guarded}; every goal check "
                  f"fails on the untouched setup and before its step, all pass after the reference steps "
                  f"({verdict.virtual_time_ms / 1000:g} s of virtual time)\n" if verdict.ok else
                  f"{status:<6} {lesson.id}:\n")
        for problem in verdict.all_problems():
            out.write(f"       {problem}\n")
        failed += not verdict.ok
    if len(lessons) > 1:
        out.write(f"\n{len(lessons) - failed} of {len(lessons)} lessons verified.\n")
    return 1 if failed else 0


def demos_list(as_json: bool = False, out: Optional[TextIO] = None, err: Optional[TextIO] = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    try:
        demos = load_demos()
    except LessonError as exc:
        return _invalid(exc, err)
    rows = [{"id": d.id, "title": d.title, "scenario": d.scenario, "concepts": list(d.concepts), "note": d.note}
            for d in demos]
    if as_json:
        json.dump(rows, out, indent=2)
        out.write("\n")
        return 0
    for r in rows:
        out.write(f"{r['id']}: {r['title']}\n    {r['scenario']}\n    {r['note']}\n\n")
    out.write(f"{len(rows)} demos (File ▸ Demos in the window).\n")
    return 0
