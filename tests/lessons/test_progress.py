"""Lesson progress in SQLite: saved per user, resumable, reset on restart, never in the real data folder."""

from __future__ import annotations

import os
from pathlib import Path

import sqlite_utils

from playground.lessons import LessonProgress, LessonSession, ProgressStore, load_lesson, user_data_dir
from playground.lessons.progress import DATA_DIR_ENV

ROOT = Path(__file__).resolve().parents[2]


def test_tests_never_use_the_real_data_folder() -> None:
    # tests/conftest.py points the data folder at a temporary one for the whole run.
    assert os.environ.get(DATA_DIR_ENV)
    assert user_data_dir() == Path(os.environ[DATA_DIR_ENV])
    assert str(Path.home() / ".local" / "share") not in str(user_data_dir())


def test_the_data_folder_follows_xdg_without_the_override(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv(DATA_DIR_ENV)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert user_data_dir() == tmp_path / "kafka-playground"


def test_nothing_is_created_until_the_first_save(tmp_path) -> None:
    store = ProgressStore(tmp_path / "sub" / "progress.sqlite", user="ada")
    assert store.get("keys") is None and store.all() == {}
    store.reset("keys")
    assert not store.path.exists()


def test_save_get_all_and_reset(tmp_path) -> None:
    path = tmp_path / "progress.sqlite"
    store = ProgressStore(path, user="ada")
    p = LessonProgress("keys", page=3, completed={0, 1}, predictions={2: "Partition 3"}, hints_shown={0: 2})
    store.save(p)
    again = ProgressStore(path, user="ada").get("keys")
    assert (again.page, again.completed, again.predictions, again.hints_shown, again.finished) == (
        3, {0, 1}, {2: "Partition 3"}, {0: 2}, False)
    assert again.updated_at
    p.completed.add(2)
    p.finished = True
    store.save(p)                                   # an update, not a second row
    assert store.get("keys").finished and store.get("keys").steps_done() == 3
    store.save(LessonProgress("acks"))
    assert sorted(store.all()) == ["acks", "keys"]
    store.reset("keys")
    assert store.get("keys") is None and sorted(store.all()) == ["acks"]
    rows = list(sqlite_utils.Database(path)["lesson_progress"].rows)
    assert [(r["user"], r["lesson_id"]) for r in rows] == [("ada", "acks")]


def test_progress_is_kept_per_user(tmp_path) -> None:
    path = tmp_path / "progress.sqlite"
    ProgressStore(path, user="ada").save(LessonProgress("keys", completed={0}))
    ProgressStore(path, user="bob").save(LessonProgress("keys", completed={0, 1, 2}))
    assert ProgressStore(path, user="ada").get("keys").completed == {0}
    assert ProgressStore(path, user="bob").get("keys").completed == {0, 1, 2}
    ProgressStore(path, user="bob").reset("keys")
    assert ProgressStore(path, user="ada").get("keys") is not None


def test_the_default_store_lives_in_the_data_folder(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    store = ProgressStore()
    store.save(LessonProgress("keys"))
    assert (tmp_path / "progress.sqlite").exists()


def test_resuming_replays_the_reference_steps_of_the_steps_done() -> None:
    lesson = load_lesson(ROOT / "lessons" / "03-keys-and-partitions.md")
    fresh = LessonSession(lesson)
    resumed = LessonSession(lesson)
    resumed.fast_forward(2)
    assert resumed.index == 2
    keys = {r["key"] for p in resumed.report()["topics"]["clicks"]["partitions"] for r in p["records"]}
    assert {"user-7", "alice"} <= keys
    assert not fresh.report()["topics"]["clicks"]["partitions"][2]["records"][2:]
    # The step that resumes has not happened: its checks fail until it is done.
    assert not resumed.passed()
    resumed.apply_reference()
    assert resumed.passed()
