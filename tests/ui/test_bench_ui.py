"""`kafka-playground bench ui` measures what it says, in a short run (no timing asserted)."""

from __future__ import annotations

import json

from playground.cli import main


def test_bench_ui_reports_frames_startup_and_retained_memory(capsys):
    assert main(["bench", "ui", "--seconds", "2", "--rate", "200", "--records", "3000", "--startup-runs", "1",
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    for key in ("frame_ms_p50", "frame_ms_p95", "frame_ms_max", "startup_s", "peak_rss_mb", "retained_rss_mb",
                "engine_s_per_virtual_s"):
        assert result[key] > 0, key
    assert result["frame_ms_p50"] <= result["frame_ms_p95"] <= result["frame_ms_max"]
    frames = result["frames"]
    assert frames["frames"] > 0 and frames["virtual_s"] > 0 and frames["records_acked"] > 0
    # Whether virtual time kept up is reported, never hidden: the speed reached, and what the window said.
    assert result["achieved_speed"] == frames["achieved_speed"] > 0 and isinstance(result["kept_up"], bool)
    assert result["kept_up"] == (frames["achieved_speed"] >= 0.95 * frames["speed"])
    assert 0 < frames["pace_shown"] <= 1 and frames["engine_budget_ms"] > 0
    assert set(frames["records_consumed"]) == {"g1", "g2"} and min(frames["records_consumed"].values()) > 0
    assert result["retained"]["retained_records"] == 3000
