"""Lessons and classroom demos (no Qt): load, check, verify, keep progress.

    load_lessons() / load_lesson(path)      -> Lesson (LessonError names file, line and key)
    load_demos()                            -> [Demo] (lessons/demos.yaml)
    LessonSession(lesson)                   the setup's cluster; begin_step, evaluate, apply/schedule_reference
    verify_lesson(lesson)                   -> LessonVerdict (checks fail before, pass after the reference)
    ProgressStore()                         per-user progress in SQLite (the user's data folder)
"""

from .catalog import content_dir, find_lesson, lesson_files, load_demos, load_lessons
from .checks import CHECK_KINDS, CheckResult, evaluate_checks
from .concepts import CHECKLIST, CONCEPTS, coverage
from .loader import LessonError, load_lesson, parse_lesson
from .model import Check, Demo, Lesson, LessonStep, LookAt, Prediction
from .progress import LessonProgress, ProgressStore, user_data_dir
from .session import LessonSession
from .verify import LessonVerdict, StepVerdict, verify_lesson

__all__ = [
    "CHECKLIST", "CHECK_KINDS", "CONCEPTS", "Check", "CheckResult", "Demo", "Lesson", "LessonError",
    "LessonProgress", "LessonSession", "LessonStep", "LessonVerdict", "LookAt", "Prediction", "ProgressStore",
    "StepVerdict", "content_dir", "coverage", "evaluate_checks", "find_lesson", "lesson_files", "load_demos",
    "load_lesson", "load_lessons", "parse_lesson", "user_data_dir", "verify_lesson",
]
