"""`kafka-playground lessons list|verify` and `demos list`."""

from __future__ import annotations

import io
import json
from pathlib import Path

from playground.cli import main
from playground.lessons.cli import lessons_list, lessons_verify

ROOT = Path(__file__).resolve().parents[2]


def test_lessons_list_json(capsys) -> None:
    assert main(["lessons", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) >= 18
    keys = next(r for r in rows if r["id"] == "keys-and-partitions")
    assert keys["title"] == "Keys choose the partition" and "murmur2" in keys["concepts"]
    assert keys["steps"] == 4 and keys["predictions"] == 2
    assert [Path(r["file"]).name for r in rows] == sorted(Path(r["file"]).name for r in rows)


def test_lessons_list_text_names_the_uncovered_concepts(capsys) -> None:
    assert main(["lessons", "list"]) == 0
    out = capsys.readouterr().out
    assert any(line.startswith("keys-and-partitions ") and line.endswith("Keys choose the partition  (4 steps)")
               for line in out.splitlines())
    assert "checklist concepts" in out


def test_lessons_verify_one(capsys) -> None:
    assert main(["lessons", "verify", "null-keys"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok     null-keys: 3 steps, 6 checks; every goal check fails")


def test_lessons_verify_unknown_id(capsys) -> None:
    assert main(["lessons", "verify", "no-such-lesson"]) == 1
    assert "no lesson 'no-such-lesson'" in capsys.readouterr().err


def test_an_invalid_lesson_file_exits_2_naming_file_line_and_key(tmp_path) -> None:
    good = (ROOT / "lessons" / "04-null-keys.md").read_text(encoding="utf-8")
    (tmp_path / "01-bad.md").write_text(good.replace("count: \">= 6\"", "count: [6]"), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert lessons_verify(out=out, err=err, directory=str(tmp_path)) == 2
    assert lessons_list(out=out, err=err, directory=str(tmp_path)) == 2
    message = err.getvalue().splitlines()[0]
    assert "01-bad.md:" in message and "steps[0].checks[0].count" in message


def test_a_failing_lesson_exits_1(tmp_path) -> None:
    good = (ROOT / "lessons" / "04-null-keys.md").read_text(encoding="utf-8")
    (tmp_path / "01-wrong.md").write_text(good.replace("    partitions: 3\n", "    partitions: 2\n"), encoding="utf-8")
    out = io.StringIO()
    assert lessons_verify(out=out, err=io.StringIO(), directory=str(tmp_path)) == 1
    assert "FAILED null-keys" in out.getvalue() and "fails after the prediction's run" in out.getvalue()


def test_demos_list_json(capsys) -> None:
    assert main(["demos", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) >= 12
    first = rows[0]
    assert set(first) == {"id", "title", "scenario", "concepts", "note"}
    assert Path(first["scenario"]).is_file()


def test_demos_list_text(capsys) -> None:
    assert main(["demos", "list"]) == 0
    assert "demos (File ▸ Demos in the window)." in capsys.readouterr().out
