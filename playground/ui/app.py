"""Entry points: `run_gui` opens the window, `render_screenshot` draws it to a PNG.

Qt is imported here, never by the headless commands.
"""

from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .screenshot import render_screenshot  # noqa: F401  (re-exported entry point)

__all__ = ["Opened", "load", "open_session", "render_screenshot", "run_gui"]


BUILTIN_TITLE = "built-in cluster (3 brokers, topic orders)"


@dataclass
class Opened:
    """A cluster ready for a window: its timeline (a scenario's steps still to come), its journal, and
    the workspace file it came from (or None)."""

    cluster: Any
    timeline: list
    title: str
    journal: Any
    path: str | None = None
    mismatches: list = field(default_factory=list)


def open_session(scenario: str | None = None, workspace: str | None = None) -> Opened:
    """The built-in cluster, a scenario file or a workspace file, recorded from its first instant.

    Raises ScenarioError for a bad scenario and WorkspaceError for a workspace that cannot be opened.
    """
    from playground.storage import ClusterSetup, Journal

    from .commands import builtin_setup
    if workspace is not None:
        from playground.storage.workspace import open_workspace
        ws = open_workspace(workspace)
        return Opened(ws.cluster, ws.journal.timeline(), ws.title, ws.journal, str(workspace), ws.mismatches)
    if scenario is None:
        journal = Journal.start(builtin_setup())
        return Opened(journal.cluster, [], BUILTIN_TITLE, journal)
    from playground.scenario import load_scenario
    load_scenario(scenario)             # a missing or invalid file: the loader's own message
    journal = Journal.start(ClusterSetup.from_scenario(Path(scenario).read_text(encoding="utf-8"), scenario))
    return Opened(journal.cluster, journal.timeline(), scenario, journal)


def load(scenario: str | None) -> tuple[Any, list, str]:
    """(cluster, timeline, title) for a scenario file, or the built-in cluster.

    Raises whatever loading the scenario raised (ScenarioError for a bad file).
    """
    opened = open_session(scenario)
    return opened.cluster, opened.timeline, opened.title


def _application():
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("Kafka Playground")
        app.setOrganizationName("Kafka Playground")     # QSettings and the autosave folder
    from .qt_theme import font
    app.setFont(font(12))
    return app


def run_gui(scenario: str | None = None, workspace: str | None = None, restore: bool = True) -> int:
    """Open the window on `scenario` (a YAML file), `workspace` (an SQLite file) or the built-in cluster,
    offering to restore the last session when neither is given; returns the exit code."""
    from PySide6.QtWidgets import QMessageBox

    from .qt_main_window import MainWindow
    from .qt_workspace import AppSession
    app = _application()
    session = AppSession.for_user()
    try:
        opened = open_session(scenario, workspace)
    except Exception as exc:           # ScenarioError, WorkspaceError, a YAML error: say so, then open the default
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        what = "workspace" if workspace else "scenario"
        QMessageBox.critical(None, f"Kafka Playground — cannot open {what}",
                             f"Could not open {workspace or scenario}:\n\n{detail}\n\nOpening the built-in "
                             "cluster instead.")
        opened = open_session()
    window = MainWindow(opened.cluster, opened.timeline, title=opened.title, journal=opened.journal,
                        session=session, workspace_path=opened.path)
    session.window = window
    window.resize(1600, 1000)
    session.restore_layout(window, speed=scenario is None)
    window.show()
    if opened.mismatches:
        window.show_status("This workspace replays to a cluster that differs from its tables: "
                           + "; ".join(opened.mismatches), True)
    elif opened.path:
        window.show_status(f"Opened {opened.path}: replayed {len(opened.journal.commands)} commands to "
                           f"{opened.cluster.now} ms of virtual time; it matches the saved tables.")
    if restore and scenario is None and workspace is None:
        window.workspace.offer_restore()
    return app.exec()
