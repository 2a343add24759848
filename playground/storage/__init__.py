"""Workspaces in SQLite (sqlite-utils), on a journal of commands. No Qt, no UI.

`setup.ClusterSetup` says how a cluster was made, `journal.Journal` records
every command that changed it at its virtual instant and `journal.replay`
makes the same cluster again; `workspace.save_workspace` / `open_workspace`
put both, with tables a learner can query, in one SQLite file.
"""

from .journal import Command, Journal, ReplayError, replay
from .setup import ClusterSetup, LessonSource, ScenarioSource

# The SQLite side (sqlite-utils) loads when first used, not with the journal: the window starts faster.
_WORKSPACE = ("FORMAT_VERSION", "Workspace", "WorkspaceError", "open_cluster", "open_workspace", "read_meta",
              "save_workspace")


def __getattr__(name: str):
    if name in _WORKSPACE:
        from . import workspace
        return getattr(workspace, name)
    raise AttributeError(f"module 'playground.storage' has no attribute {name!r}")


__all__ = ["ClusterSetup", "Command", "Journal", "LessonSource", "ReplayError", "ScenarioSource", "replay",
           *_WORKSPACE]
