"""kafka-playground scenario run --save-workspace, screenshot --workspace and --workspace."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json
import sqlite3
from pathlib import Path

from PySide6.QtGui import QImage

from playground.cli import main
from playground.storage import open_workspace

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_scenario_run_saves_a_workspace_that_a_screenshot_opens(tmp_path, capsys):
    out = tmp_path / "run.sqlite"
    assert main(["scenario", "run", str(SCENARIOS / "group-reset-offsets.yaml"), "--json",
                 "--save-workspace", str(out)]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)                      # stdout stays the JSON report alone
    assert "Saved the workspace" in captured.err
    db = sqlite3.connect(out)
    (records,) = db.execute("SELECT count(*) FROM records WHERE topic = 'sales'").fetchone()
    assert records == sum(len(p["records"]) for p in report["topics"]["sales"]["partitions"])
    committed = {f"{t}/{p}": o for t, p, o in db.execute(
        "SELECT topic, partition, committed_offset FROM committed_offsets WHERE group_id = 'reports'")}
    assert committed == report["groups"]["reports"]["committed"]
    assert open_workspace(out).mismatches == []

    png = tmp_path / "shot.png"
    assert main(["screenshot", "--workspace", str(out), "--width", "1200", "--height", "800", str(png)]) == 0
    image = QImage(str(png))
    assert (image.width(), image.height()) == (1200, 800)


def test_a_workspace_that_cannot_be_saved_fails_the_command(tmp_path, capsys):
    code = main(["scenario", "run", str(SCENARIOS / "first-records.yaml"),
                 "--save-workspace", str(tmp_path / "missing" / "x.sqlite")])
    err = capsys.readouterr().err
    assert code == 2 and "cannot save the workspace" in err and "there is no folder" in err


def test_screenshot_of_a_file_that_is_not_a_workspace(tmp_path, capsys):
    bad = tmp_path / "notes.sqlite"
    bad.write_text("my notes", encoding="utf-8")
    assert main(["screenshot", "--workspace", str(bad), str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert any(str(bad) in line and "not an SQLite database" in line for line in err)
    assert not (tmp_path / "x.png").exists()
    assert main(["screenshot", "--workspace", str(bad), "--scenario", "s.yaml", str(tmp_path / "y.png")]) == 2


def test_the_window_opens_a_workspace(monkeypatch):
    calls = []
    from playground.ui import app
    monkeypatch.setattr(app, "run_gui", lambda **kw: calls.append(kw) or 0)
    assert main(["--workspace", "mine.sqlite", "--no-restore"]) == 0
    assert main(["gui", "--workspace", "mine.sqlite"]) == 0
    assert calls == [{"scenario": None, "workspace": "mine.sqlite", "restore": False},
                     {"scenario": None, "workspace": "mine.sqlite", "restore": True}]
