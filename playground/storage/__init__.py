"""Workspaces in SQLite (sqlite-utils), on a journal of commands. No Qt, no UI.

`setup.ClusterSetup` says how a cluster was made, `journal.Journal` records
every command that changed it at its virtual instant and `journal.replay`
makes the same cluster again; `workspace.save_workspace` / `open_workspace`
put both, with tables a learner can query, in one SQLite file.
"""

from .journal import Command, Journal, ReplayError, replay
from .setup import ClusterSetup, LessonSource, ScenarioSource
from .workspace import (
           FORMAT_VERSION,
           Workspace,
           WorkspaceError,
           open_cluster,
           open_workspace,
           read_meta,
           save_workspace,
)

__all__ = ["FORMAT_VERSION", "ClusterSetup", "Command", "Journal", "LessonSource", "ReplayError", "ScenarioSource",
           "Workspace", "WorkspaceError", "open_cluster", "open_workspace", "read_meta", "replay", "save_workspace"]
