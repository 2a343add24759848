"""Lesson progress, per user, in SQLite (sqlite-utils), so a lesson can be resumed.

One row per (user, lesson): the page the learner is on (0 is the
explanation, 1..n the steps, n + 1 the end), the steps done, the
predictions they committed to, how many hints they opened. The file lives
in the user's data folder — `$KAFKA_PLAYGROUND_DATA_DIR` if set (tests set
it), else `$XDG_DATA_HOME/kafka-playground`, else
`~/.local/share/kafka-playground` — and is only created on the first save.
"""

from __future__ import annotations

import datetime as _dt
import getpass
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Union

if TYPE_CHECKING:       # loaded with the first lesson opened, not with the window (a quarter of a second)
    import sqlite_utils

DATA_DIR_ENV = "KAFKA_PLAYGROUND_DATA_DIR"
PROGRESS_FILE = "progress.sqlite"
TABLE = "lesson_progress"


def user_data_dir() -> Path:
    explicit = os.environ.get(DATA_DIR_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "kafka-playground"


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):     # no login name (some containers)
        return "learner"


@dataclass
class LessonProgress:
    lesson_id: str
    page: int = 0                                   # 0 explanation, 1..n steps, n + 1 done
    completed: set[int] = field(default_factory=set)            # step indexes (0-based) done
    predictions: dict[int, str] = field(default_factory=dict)   # step index -> the choice committed to
    hints_shown: dict[int, int] = field(default_factory=dict)   # step index -> hints opened
    finished: bool = False
    updated_at: str = ""

    def steps_done(self) -> int:
        return len(self.completed)


class ProgressStore:
    """`get`, `save`, `reset` and `all` lesson progress of one user in one SQLite file."""

    def __init__(self, path: Union[str, os.PathLike, None] = None, user: Optional[str] = None) -> None:
        self.path = Path(path) if path is not None else user_data_dir() / PROGRESS_FILE
        self.user = user or current_user()

    def _db(self, create: bool) -> Optional["sqlite_utils.Database"]:
        if not create and not self.path.exists():
            return None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        import sqlite_utils
        db = sqlite_utils.Database(self.path)
        if create and TABLE not in db.table_names():
            db[TABLE].create({"user": str, "lesson_id": str, "page": int, "completed": str, "predictions": str,
                              "hints_shown": str, "finished": int, "updated_at": str},
                             pk=("user", "lesson_id"))
        return db

    def get(self, lesson_id: str) -> Optional[LessonProgress]:
        db = self._db(create=False)
        if db is None or TABLE not in db.table_names():
            return None
        rows = list(db[TABLE].rows_where("user = ? and lesson_id = ?", [self.user, lesson_id]))
        return _from_row(rows[0]) if rows else None

    def all(self) -> dict[str, LessonProgress]:
        db = self._db(create=False)
        if db is None or TABLE not in db.table_names():
            return {}
        return {row["lesson_id"]: _from_row(row) for row in db[TABLE].rows_where("user = ?", [self.user])}

    def save(self, progress: LessonProgress) -> None:
        progress.updated_at = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        db = self._db(create=True)
        db[TABLE].upsert({
            "user": self.user, "lesson_id": progress.lesson_id, "page": progress.page,
            "completed": json.dumps(sorted(progress.completed)),
            "predictions": json.dumps({str(k): v for k, v in sorted(progress.predictions.items())}),
            "hints_shown": json.dumps({str(k): v for k, v in sorted(progress.hints_shown.items())}),
            "finished": int(progress.finished), "updated_at": progress.updated_at,
        }, pk=("user", "lesson_id"))

    def reset(self, lesson_id: str) -> None:
        """Forget the lesson's progress (Restart lesson)."""
        db = self._db(create=False)
        if db is not None and TABLE in db.table_names():
            db[TABLE].delete_where("user = ? and lesson_id = ?", [self.user, lesson_id])


def _from_row(row: dict) -> LessonProgress:
    return LessonProgress(
        lesson_id=row["lesson_id"], page=int(row["page"] or 0),
        completed=set(json.loads(row["completed"] or "[]")),
        predictions={int(k): v for k, v in json.loads(row["predictions"] or "{}").items()},
        hints_shown={int(k): int(v) for k, v in json.loads(row["hints_shown"] or "{}").items()},
        finished=bool(row["finished"]), updated_at=row["updated_at"] or "")
