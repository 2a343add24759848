"""A cluster from a scenario: saved half-way through its timeline, it reopens and carries on the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from playground.storage import ClusterSetup, Journal, open_workspace, save_workspace
from playground.storage.tables import state_digest

ROOT = Path(__file__).resolve().parents[2]


def _setup(name: str) -> ClusterSetup:
    path = ROOT / "scenarios" / name
    return ClusterSetup.from_scenario(path.read_text(encoding="utf-8"), str(path))


def _run_to(journal: Journal, timeline: list, t: int) -> list:
    """What the window's bridge does each frame: apply the steps due, then run the clock to `t`."""
    clock = journal.cluster.clock
    while timeline and timeline[0][0] <= t:
        at, apply = timeline.pop(0)
        if at > clock.now:
            clock.run_until(at)
        apply()
    clock.run_until(t)
    return timeline


@pytest.mark.parametrize("scenario", ["group-static-membership.yaml", "zombie-leader.yaml",
                                      "zookeeper-controller-failover.yaml"])
def test_saved_mid_timeline_reopens_and_continues_identically(tmp_path, scenario):
    live = Journal.start(_setup(scenario))
    timeline = live.timeline()
    total = len(timeline)
    assert total >= 3
    half = timeline[total // 2][0]
    for t in range(0, half + 1, 7):                 # frames of 7 virtual ms, like a slow window
        _run_to(live, timeline, t)
    path = tmp_path / "half.sqlite"
    save_workspace(live.cluster, live, path)

    ws = open_workspace(path)
    assert ws.mismatches == []
    assert ws.title.startswith("scenario “")
    rest = ws.journal.timeline()
    assert [at for at, _ in rest] == [at for at, _ in timeline]
    end = timeline[-1][0] + 5_000
    _run_to(live, timeline, end)
    _run_to(ws.journal, rest, end)
    assert state_digest(ws.cluster) == state_digest(live.cluster)


def test_a_headless_scenario_run_is_a_journal_of_its_steps(tmp_path):
    journal = Journal.start(_setup("group-reset-offsets.yaml"))
    journal.run.run()
    assert [c.args["step"] for c in journal.commands] == list(range(len(journal.scenario.steps)))
    assert {c.source for c in journal.commands} == {"scenario"}
    save_workspace(journal.cluster, journal, tmp_path / "run.sqlite")
    ws = open_workspace(tmp_path / "run.sqlite")
    assert ws.mismatches == [] and ws.journal.timeline() == []
    assert ws.journal.run.report() == journal.run.report()
