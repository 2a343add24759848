"""Time travel in the window: the timeline bar, scrubbing back, forking, going back to live.

`TimeTravel` outlives the windows it serves: travelling to another instant (or branch)
shows a new `MainWindow` on that cluster where the old one was (geometry, docks, speed),
and hands itself on. The engine side is `playground.storage.timetravel.TimeMachine`.

In the past, the window is paused and says so in a banner over the canvas. Looking
around (scrubbing, the marks, back to live) changes nothing; anything that would change
the rewound cluster — resuming time, a step, any command — forks a new branch from that
instant first, so the branch it came from is never rewritten.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import (QApplication, QComboBox, QHBoxLayout, QLabel, QProgressDialog, QPushButton,
                               QToolBar, QVBoxLayout, QWidget)

from playground.storage import Journal
from playground.storage.timetravel import Branch, RewindCancelled, TimeMachine, TimeTravelError, seconds

from .qt_theme import css, font
from .qt_timeline import TimelineBar
from .timeline_model import TimelineMarks

REFRESH_MS = 250            # real ms between timeline repaints while time runs
STEP_BACK_MS = 1000


class TimeTravel(QObject):
    def __init__(self, journal: Journal) -> None:
        super().__init__()
        self.machine = TimeMachine(journal)
        self.past: int | None = None         # the instant on screen, when it is the past of the current branch
        self.window = None
        self.marks = TimelineMarks()
        self.dialog = None                   # the last compare dialog (tests read it)
        self._listed: tuple = ()             # the branch list as last shown

    # -- reading ----------------------------------------------------------------------------------
    @property
    def branch(self) -> Branch:
        return self.machine.current

    @property
    def in_past(self) -> bool:
        return self.past is not None

    def live_journal(self) -> Journal:
        """The current branch's own run (what an autosave keeps), even while the past is on screen."""
        return self.branch.journal

    # -- the window's part ----------------------------------------------------------------------------
    def attach(self, window) -> None:
        """Give `window` the timeline bar, the past banner and the Time menu's travel actions."""
        self.window = window
        self._listed = ()
        self.marks.follow(self.branch.journal)
        window.addToolBarBreak()
        # Not chrome: presenter mode keeps the timeline, so the class sees where in time it is.
        bar = QToolBar("Timeline")
        bar.setObjectName("timeline-toolbar")
        bar.setMovable(False)
        holder = QWidget()
        self.branches = QComboBox()
        self.branches.setToolTip("The branches of this session: each fork is a branch of its own")
        self.timeline = TimelineBar(self.marks)
        self.position = QLabel()
        self.position.setFont(font(12, bold=True))
        self.live_button = QPushButton("● Live")
        self.live_button.setToolTip("Back to the live run of this branch (Ctrl+End)")
        self.fork_button = QPushButton("Fork here")
        self.fork_button.setToolTip("Keep the run as it is and go on in a new branch from this instant "
                                    "(Ctrl+Shift+F)")
        self.compare_button = QPushButton("Compare…")
        self.compare_button.setToolTip("Two branches side by side with their guarantee numbers (Ctrl+Shift+D)")
        row = QHBoxLayout(holder)
        row.setContentsMargins(6, 0, 6, 2)
        for w in (self.branches, self.timeline, self.position, self.live_button, self.fork_button,
                  self.compare_button):
            row.addWidget(w, 1 if w is self.timeline else 0)
        bar.addWidget(holder)
        window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        self.toolbar = bar
        self.banner = QLabel()
        self.banner.setFont(font(14, bold=True))
        self.banner.setWordWrap(True)
        self.banner.setObjectName("past-banner")
        self._wrap_central(window)
        menu = window.time_menu
        menu.addSeparator()
        window._action(menu, "Back one second (time travel)", lambda: self.step_back(), "Left")
        window._action(menu, "Back to the previous mark on the timeline", self.previous_mark, "Ctrl+Left")
        window._action(menu, "On to the next mark on the timeline", self.next_mark, "Ctrl+Right")
        window._action(menu, "Back to live", self.back_to_live, "Ctrl+End")
        window._action(menu, "Fork a new branch here", self.fork_here, "Ctrl+Shift+F")
        window._action(menu, "Compare branches…", self.compare, "Ctrl+Shift+D")
        self.timeline.travel_requested.connect(self.travel_to)
        self.live_button.clicked.connect(self.back_to_live)
        self.fork_button.clicked.connect(self.fork_here)
        self.compare_button.clicked.connect(self.compare)
        self.branches.activated.connect(lambda i: self.switch_branch(self.branches.itemData(i)))
        bridge = window.bridge
        bridge.running_changed.connect(lambda running: self._changing() if running else None)
        bridge.time_changed.connect(lambda now: self._changing() if self.past is not None and now != self.past
                                    else None)
        if self._on_command not in bridge.journal.listeners:
            bridge.journal.listeners.append(self._on_command)
        self._refresh_timer = QTimer(window)
        self._refresh_timer.setInterval(REFRESH_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        bridge.running_changed.connect(lambda running: self._refresh_timer.start() if running else self.refresh())
        bridge.time_changed.connect(lambda _: None if self._refresh_timer.isActive() else self.refresh())
        if bridge.running:
            self._refresh_timer.start()
        self.refresh()

    def _wrap_central(self, window) -> None:
        """The banner goes over the canvas, in the central area (the docks keep their places)."""
        canvas_area = window.takeCentralWidget()
        holder = QWidget()
        layout = QVBoxLayout(holder)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(canvas_area, 1)
        window.setCentralWidget(holder)

    def refresh(self) -> None:
        """Timeline, banner, branch list and buttons as things are now."""
        if self.window is None:
            return
        b = self.branch
        self.marks.follow(b.journal)
        self.marks.update()
        tl = self.timeline
        tl.end_ms = b.now
        tl.past = self.in_past
        tl.playhead_ms = self.past if self.past is not None else b.now
        tl.forks = [(c.fork_ms or 0, c.name) for c in self.machine.branches if c.parent == b.number]
        tl.update()
        if self.in_past:
            self.position.setText(f"◀◀ {seconds(self.past)} of {seconds(b.now)}")
            self.banner.setText(f"◀◀ THE PAST: {b.name} as it was at {seconds(self.past)} (live: {seconds(b.now)}).  "
                                "Scrub the timeline to look around · Space, → or any command forks a new branch "
                                "from here · Ctrl+End: back to live")
            self.banner.setStyleSheet(f"background: {css('isolated')}; color: {css('on_bright')}; padding: 6px;")
            self.banner.show()
        else:
            self.position.setText(f"● live {seconds(b.now)}")
            self.banner.hide()
        self.live_button.setEnabled(self.in_past)
        self.compare_button.setEnabled(len(self.machine.branches) > 1)
        listed = (tuple(br.number for br in self.machine.branches), b.number)
        if listed == self._listed:
            return                          # rebuilding the list would close it under the pointer
        self._listed = listed
        self.branches.blockSignals(True)
        self.branches.clear()
        for br in self.machine.branches:
            self.branches.addItem(br.name if br.parent is None else
                                  f"{br.name} (from {br.parent} at {seconds(br.fork_ms or 0)})", br.number)
            self.branches.setItemData(self.branches.count() - 1, br.describe(), Qt.ItemDataRole.ToolTipRole)
        self.branches.setCurrentIndex(self.machine.branches.index(b))
        self.branches.blockSignals(False)

    # -- travelling -----------------------------------------------------------------------------------
    def _why_not(self, b: Branch) -> str | None:
        lessons = getattr(self.window, "lessons", None)
        if lessons is not None and lessons.panel.session is not None:
            return ("Time travel is off during a lesson: the lesson checks your work on the live cluster. "
                    "Leave the lesson to travel in time.")
        return self.machine.can_rewind(b)

    def travel_to(self, t: int) -> bool:
        """Show the current branch as it was at `t` (its live run when `t` is its end)."""
        b = self.branch
        why = self._why_not(b)
        if why:
            return self._refuse(why)
        t = max(0, min(int(t), b.now))
        if t == b.now:
            return self.back_to_live()
        if self.past == t:
            return True
        self.window.bridge.pause()
        journal = self._rewind(t, b)
        if journal is None:
            return False
        self.past = t
        self._show(journal)
        shown = (f"Showing {b.name} as it was at {seconds(t)}: replayed "
                 f"{sum(1 for c in b.journal.commands if c.time_ms <= t)} command(s). Nothing has changed in the "
                 "live run.")
        if journal.approximate:
            shown += (" Real Kafka clients acted before this instant and their requests are not replayed: "
                      "this past is close, not exact.")
        self.window.show_status(shown, journal.approximate)
        return True

    def step_back(self, ms: int = STEP_BACK_MS) -> bool:
        here = self.past if self.past is not None else self.branch.now
        if here == 0:
            return self._refuse("This is the first instant of the run: there is nothing before it.")
        return self.travel_to(max(0, here - ms))

    def previous_mark(self) -> bool:
        here = self.past if self.past is not None else self.branch.now
        self.marks.update()
        t = self.marks.previous(here)
        return self.travel_to(t) if t is not None else self._refuse("No marked instant before this one.")

    def next_mark(self) -> bool:
        if self.past is None:
            return self._refuse("This is the live run: there is nothing after it yet.")
        self.marks.update()
        t = self.marks.next(self.past)
        return self.travel_to(t if t is not None else self.branch.now)

    def back_to_live(self) -> bool:
        if self.past is None:
            return True
        self.past = None
        self._show(self.branch.journal)
        self.window.show_status(f"Back to the live run of {self.branch.name} at {seconds(self.branch.now)}.")
        return True

    def fork_here(self) -> Branch | None:
        """A new branch from the instant on screen: the past one, or (live) a copy of the present."""
        if self.past is not None:
            return self._fork()
        b = self.branch
        why = self._why_not(b)
        if why:
            self._refuse(why)
            return None
        self.window.bridge.pause()
        journal = self._rewind(b.now, b)
        if journal is None:
            return None
        new = self.machine.fork(journal, b, b.now)
        self._show(journal)
        self.window.show_status(f"Forked {new.name} from {b.name} at {seconds(b.now)}. Try another choice here; "
                                f"{b.name} stays as it is (Compare… puts them side by side).")
        return new

    def switch_branch(self, number: int) -> bool:
        try:
            target = self.machine.branch(number)
        except TimeTravelError as exc:
            return self._refuse(str(exc))
        if target is self.branch and self.past is None:
            return True
        self.window.bridge.pause()
        self.machine.switch(number)
        self.past = None
        self._show(target.journal)
        self.window.show_status(f"Now on {target.describe()}, at {seconds(target.now)}.")
        return True

    def compare(self, a: int | None = None, b: int | None = None):
        if len(self.machine.branches) < 2:
            self._refuse("There is one branch only: fork one (Ctrl+Shift+F) to have something to compare.")
            return None
        from .qt_compare import CompareDialog
        first = self.machine.branch(a) if a is not None else self._parent_or_first()
        second = self.machine.branch(b) if b is not None else self.branch
        if first is second:
            second = next(x for x in self.machine.branches if x is not first)
        dialog = CompareDialog(self.machine, first, second, self.window)
        dialog.show()
        self.dialog = dialog
        return dialog

    def _parent_or_first(self) -> Branch:
        b = self.branch
        if b.parent is not None:
            return self.machine.branch(b.parent)
        return next(x for x in self.machine.branches if x is not b)

    # -- forking when the past is changed ----------------------------------------------------------------
    def _on_command(self, cmd) -> None:
        self._changing()

    def _changing(self) -> None:
        if self.past is not None:
            self._fork()

    def _fork(self) -> Branch:
        parent = self.branch
        at = self.past
        new = self.machine.fork(self.window.bridge.journal, parent, at)
        self.past = None
        self.window.show_status(f"Forked {new.name} from {parent.name} at {seconds(at)}: what happens now happens "
                                f"in {new.name} only; {parent.name} is kept (Compare… puts them side by side).")
        self.refresh()
        return new

    # -- helpers ------------------------------------------------------------------------------------------
    def _rewind(self, t: int, b: Branch) -> Journal | None:
        dialog = QProgressDialog(f"Replaying {b.name} to {seconds(t)}…", "Cancel", 0, max(1, t), self.window)
        dialog.setWindowTitle("Time travel")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(400)

        def progress(reached: int, target: int) -> bool:
            dialog.setValue(min(reached, target))
            QApplication.processEvents()
            return not dialog.wasCanceled()

        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            return self.machine.rewind(t, b, progress)
        except RewindCancelled as exc:
            self._refuse(str(exc))
        except TimeTravelError as exc:
            self._refuse(f"Cannot travel to {seconds(t)}: {exc}")
        finally:
            QApplication.restoreOverrideCursor()
            dialog.reset()
            dialog.deleteLater()
        return None

    def _show(self, journal: Journal) -> None:
        """A window on `journal`'s cluster in place of the current one (paused)."""
        from .qt_main_window import MainWindow
        old = self.window
        new = MainWindow(journal.cluster, journal.timeline(), title=old.workspace._base_title_text(),
                         running=False, speed=old.bridge.speed, journal=journal, session=old.session,
                         workspace_path=old.workspace.path, time_travel=self)
        new.restoreGeometry(old.saveGeometry())
        new.resize(old.size())
        new.restore_dock_state(old.saveState())
        if old.isVisible():
            new.show()
            new.activateWindow()            # the keys (←, Ctrl+←, Space …) go on working without a click
        new.event_log.scrollToBottom()          # the log ends at the instant on screen
        old.session.window = new
        old.workspace.replaced = True
        old.close()
        old.deleteLater()
        self.refresh()

    def _refuse(self, text: str) -> bool:
        if self.window is not None:
            self.window.show_status(text, True)
        return False
