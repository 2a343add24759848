"""`kafka-playground scenario run FILE --save-workspace OUT.sqlite`: run a scenario recorded, then save it."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from playground.scenario import Scenario
from playground.scenario.runner import ScenarioRun

from .journal import Journal
from .setup import ClusterSetup
from .workspace import WorkspaceError, save_workspace


def workspace_recorder(scenario_path: str, out: str) -> tuple[Callable[[Scenario], ScenarioRun],
                                                              Callable[[ScenarioRun], int | None]]:
    """(make_run, on_done) for the scenario runner's command: the run records every step in a journal,
    and once the report is printed the cluster is saved to `out` (exit 2 and a one-line message if it
    cannot be)."""
    journals: list[Journal] = []

    def make_run(scn: Scenario) -> ScenarioRun:
        # The file was just loaded and validated; its text goes into the workspace's set-up.
        text = Path(scenario_path).read_text(encoding="utf-8")
        journal = Journal.start(ClusterSetup.from_scenario(text, scn.filename))
        journals.append(journal)
        return journal.run

    def on_done(run: ScenarioRun) -> int | None:
        journal = journals[-1]
        try:
            save_workspace(journal.cluster, journal, out, title=f"scenario “{journal.scenario.name}”")
        except WorkspaceError as exc:
            print(f"kafka-playground scenario run: cannot save the workspace: {exc}", file=sys.stderr)
            return 2
        print(f"Saved the workspace to {out} (open it with kafka-playground --workspace {out}).", file=sys.stderr)
        return None

    return make_run, on_done
