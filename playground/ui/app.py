"""Entry points: `run_gui` opens the window, `render_screenshot` draws it to a PNG.

Qt is imported here, never by the headless commands.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any

from .screenshot import render_screenshot  # noqa: F401  (re-exported entry point)

__all__ = ["load", "render_screenshot", "run_gui"]


def load(scenario: str | None) -> tuple[Any, list, str]:
    """(cluster, timeline, title) for a scenario file, or the built-in cluster.

    Raises whatever loading the scenario raised (ImportError while the
    scenario GUI hook does not exist yet, ScenarioError for a bad file).
    """
    from .commands import builtin_cluster
    if scenario is None:
        return builtin_cluster(), [], "built-in cluster (3 brokers, topic orders)"
    from playground.scenario.runner import open_for_gui
    cluster, timeline = open_for_gui(scenario)
    return cluster, list(timeline or []), scenario


def _application():
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("Kafka Playground")
    from .qt_theme import font
    app.setFont(font(12))
    return app


def run_gui(scenario: str | None = None) -> int:
    """Open the window on `scenario` (a YAML file) or on the built-in cluster; returns the exit code."""
    from PySide6.QtWidgets import QMessageBox

    from .commands import builtin_cluster
    from .qt_main_window import MainWindow
    app = _application()
    try:
        cluster, timeline, title = load(scenario)
    except Exception as exc:           # ImportError, ScenarioError, a YAML error: say so, then open the default
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        QMessageBox.critical(None, "Kafka Playground — cannot open scenario",
                             f"Could not open {scenario}:\n\n{detail}\n\nOpening the built-in cluster instead.")
        cluster, timeline, title = builtin_cluster(), [], "built-in cluster (3 brokers, topic orders)"
    window = MainWindow(cluster, timeline, title=title)
    window.resize(1600, 1000)
    window.show()
    return app.exec()
