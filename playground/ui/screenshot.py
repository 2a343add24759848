"""Render the window to a PNG without showing it (docs, CI, bug reports).

    render_screenshot("shot.png")                      # the built-in demo moment
    render_screenshot("shot.png", scenario="scenarios/first-records.yaml", at_ms=180)
    render_screenshot("shot.png", workspace="session.sqlite")   # the instant it was saved at
    render_screenshot("dark.png", theme="dark", presenter=True)      # for a projector

Virtual time runs (applying the scenario's timeline) to `at_ms`, and the
picture shows exactly that instant, messages in flight included.
"""

from __future__ import annotations

import os
import sys

# Without a scenario: two batches of acks=all records and one acks=1 record
# (see `commands.demo_timeline`). At 480 ms the first batch is committed on
# every replica, the second sits on the leader of orders/2 above its high
# watermark while the fetch responses carrying it are half-way to the
# followers, and the acks=1 request is about to reach orders/1's leader.
DEMO_AT_MS = 480


def render_screenshot(out_png: str, scenario: str | None = None, at_ms: int | None = 0, width: int = 1600,
                      height: int = 1000, workspace: str | None = None, theme: str = "light",
                      presenter: bool = False) -> int:
    """Draw the window at virtual time `at_ms` into `out_png`; returns 0, or 2 when the scenario or
    workspace cannot be opened.

    With neither, `at_ms` 0 (or None) means the built-in demo moment, DEMO_AT_MS. A workspace shows
    the instant it was saved at, or a later `at_ms` (time runs on from there). `theme` is
    "light" or "dark"; `presenter` renders presenter mode (no menus, everything 1.5× larger). On a
    high-DPI screen (devicePixelRatio 2, e.g. QT_SCALE_FACTOR=2) the PNG has twice the pixels.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from .app import _application, load, open_session
    from .commands import builtin_cluster, demo_timeline
    from .qt_main_window import MainWindow
    app = _application()
    journal = None
    if workspace is not None:
        try:
            opened = open_session(workspace=workspace)
        except Exception as exc:
            print(f"kafka-playground screenshot: {exc}", file=sys.stderr)
            return 2
        cluster, timeline, title, journal = opened.cluster, opened.timeline, opened.title, opened.journal
        for problem in opened.mismatches:
            print(f"kafka-playground screenshot: {workspace}: {problem}", file=sys.stderr)
        at_ms = max(int(at_ms or 0), cluster.now)
    elif scenario is None:
        cluster = builtin_cluster()
        timeline, title = demo_timeline(cluster), "built-in cluster (3 brokers, topic orders)"
        at_ms = at_ms or DEMO_AT_MS
    else:
        try:
            cluster, timeline, title = load(scenario)
        except Exception as exc:
            print(f"kafka-playground screenshot: cannot open {scenario}: {type(exc).__name__}: {exc}",
                  file=sys.stderr)
            return 2
    window = MainWindow(cluster, timeline, title=title, running=False, journal=journal)
    window.set_theme(theme)
    window.set_presenter(presenter)
    window.resize(width, height)
    window.show()
    app.processEvents()
    window.bridge.show_at(int(at_ms or 0))
    app.processEvents()          # event-log rows and repaints
    window.guarantees.refresh()  # the panels throttle their refreshes; the picture must show this instant
    window.consumers_panel.refresh()
    window.producers_panel.refresh()
    window.producers_panel.accumulator.refresh()
    window.storage_panel.refresh()
    for chart in (window.lag_chart, window.produce_chart, window.consume_chart, window.isr_chart,
                  window.acks_chart):
        chart.draw()
    window.event_model.flush()
    window.event_log.scrollToBottom()
    app.processEvents()
    from PySide6.QtGui import QGuiApplication
    if QGuiApplication.platformName() == "offscreen":
        picture = window.grab()
    else:
        # A real display (xcb under Xvfb in CI): read back what the X server shows for the window.
        from PySide6.QtTest import QTest
        QTest.qWaitForWindowExposed(window, 10_000)
        QTest.qWait(300)                # the first frames reach the server
        picture = window.screen().grabWindow(window.winId())
    ok = picture.save(out_png)
    window.set_presenter(False)      # the look is the application's: leave it as it was
    window.set_theme("light")
    window.close()
    window.deleteLater()
    app.processEvents()
    if not ok:
        print(f"kafka-playground screenshot: could not write {out_png}", file=sys.stderr)
        return 2
    return 0
