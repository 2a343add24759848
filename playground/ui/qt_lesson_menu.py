"""Lessons and demos in the window: the Lessons menu, File ▸ Demos, the lesson dock (Ctrl+Shift+L).

`LessonsController(window)` is made by the main window. Starting a lesson
or opening a demo needs a different cluster, so it opens a new window on
it where this one was, and this one closes (as opening a scenario would).
What outlives a window — the loaded lessons, the progress store and the
window on screen — sits in one `LessonsHome` that each new window inherits.

A lesson's or a demo's cluster is recorded from its set-up (the lesson or
scenario text goes into the journal's `ClusterSetup`), and whatever the
lesson does to it — the steps replayed on resuming, "Show me", a
prediction's run — is journalled, so the window can be saved as a workspace
and rewound like any other.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMenu, QMessageBox

from playground.lessons import (Demo, Lesson, LessonError, LessonProgress, LessonSession, LookAt, ProgressStore,
                                find_lesson, load_demos, load_lessons)
from playground.storage import ClusterSetup, Journal

from .qt_lesson_highlight import HighlightOverlay
from .qt_lessons import LessonPanel

if TYPE_CHECKING:
    from .qt_main_window import MainWindow

DOCK_WIDTH = 420        # px: room for a step's text without squeezing the canvas


class LessonsHome:
    """Shared by the windows one app opens in turn: the lessons, the demos, the progress store."""

    def __init__(self, store: Optional[ProgressStore] = None) -> None:
        self.window: "MainWindow | None" = None     # the window on screen (keeps it alive)
        self._store = store
        self._lessons: Optional[list[Lesson]] = None
        self._demos: Optional[list[Demo]] = None

    @property
    def store(self) -> ProgressStore:
        if self._store is None:                     # the user's data folder, opened when first needed
            self._store = ProgressStore()
        return self._store

    def lessons(self) -> list[Lesson]:
        if self._lessons is None:
            self._lessons = load_lessons()
        return self._lessons

    def demos(self) -> list[Demo]:
        if self._demos is None:
            self._demos = load_demos()
        return self._demos


class LessonsController(QObject):
    def __init__(self, window: "MainWindow", home: Optional[LessonsHome] = None) -> None:
        super().__init__(window)
        self.window = window
        self.home = home if home is not None else LessonsHome()
        self.panel = LessonPanel(self)
        self.dock = QDockWidget("Lesson", window)
        self.dock.setObjectName("lesson-dock")
        self.dock.setWidget(self.panel)
        self.dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                              | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                              | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.dock)
        self.dock.hide()
        self.dock.visibilityChanged.connect(self._on_visible)
        self.overlay = HighlightOverlay(window.canvas, window.bridge)
        self._build_menus()

    # -- menus ---------------------------------------------------------------------------------------
    def _menu(self, title: str, before: str | None = None) -> QMenu:
        bar = self.window.menuBar()
        for action in bar.actions():
            if action.menu() is not None and action.menu().title().replace("&", "") == title.replace("&", ""):
                return action.menu()
        menu = QMenu(title, self.window)
        anchor = None
        if before is None:
            anchor = next((a for a in bar.actions()), None)     # File comes first, as everywhere
        else:
            anchor = next((a for a in bar.actions() if a.menu() is not None
                           and a.menu().title().replace("&", "") == before), None)
        if anchor is not None:
            bar.insertMenu(anchor, menu)
        else:
            bar.addMenu(menu)
        return menu

    def _build_menus(self) -> None:
        w = self.window
        self.demos_menu = self._menu("&File").addMenu("Demos")
        self.demos_menu.aboutToShow.connect(self._fill_demos)
        lessons = self._menu("&Lessons", before="Help")
        toggle = self.dock.toggleViewAction()
        toggle.setText("Lesson panel")
        toggle.setShortcut(QKeySequence("Ctrl+Shift+L"))
        toggle.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        lessons.addAction(toggle)
        w.addAction(toggle)
        self.toggle_action = toggle
        restart = QAction("Restart this lesson", w)
        restart.triggered.connect(self.panel.restart)
        lessons.addAction(restart)
        lessons.addSeparator()
        self.lessons_menu = lessons.addMenu("Start a lesson")
        self.lessons_menu.aboutToShow.connect(self._fill_lessons)

    def _fill_lessons(self) -> None:
        self.lessons_menu.clear()
        lessons, error = self.lessons_or_error()
        if error:
            self.lessons_menu.addAction(error).setEnabled(False)
        saved = self.progress_all() if lessons else {}
        for lesson in lessons:
            done = saved.get(lesson.id)
            mark = "✓ " if done and done.finished else ""
            action = self.lessons_menu.addAction(f"{mark}{lesson.title}")
            action.triggered.connect(lambda _=False, lid=lesson.id: self.start_lesson(lid))

    def _fill_demos(self) -> None:
        self.demos_menu.clear()
        try:
            demos = self.home.demos()
        except LessonError as exc:
            self.demos_menu.addAction(f"Demos could not be loaded: {exc}").setEnabled(False)
            return
        for demo in demos:
            action = self.demos_menu.addAction(demo.title)
            action.setToolTip(demo.note)
            action.triggered.connect(lambda _=False, did=demo.id: self.open_demo(did))

    # -- what the panel asks of the window --------------------------------------------------------------
    def lessons_or_error(self) -> tuple[list[Lesson], str]:
        try:
            return self.home.lessons(), ""
        except LessonError as exc:
            return [], f"A lesson file is invalid: {exc}"

    def progress_all(self) -> dict[str, LessonProgress]:
        try:
            return self.home.store.all()
        except Exception as exc:            # a broken progress file must not hide the lessons
            self.status(f"Lesson progress could not be read: {exc}", error=True)
            return {}

    def save_progress(self, progress: LessonProgress) -> None:
        try:
            self.home.store.save(progress)
        except Exception as exc:
            self.status(f"Lesson progress could not be saved: {exc}", error=True)

    def highlight(self, look: LookAt | None) -> None:
        self.overlay.set_look_at(look)

    def set_speed(self, speed: float) -> None:
        self.window.bridge.set_speed(speed)

    def resume_time(self) -> None:
        self.window.bridge.resume()

    def pause_time(self) -> None:
        self.window.bridge.pause()

    def schedule_reference(self, index: int) -> int:
        """Place step `index`'s reference steps on the clock from now ("Show me", a prediction's run),
        through the window's journal; returns the virtual time the last is due."""
        session = self.panel.session
        return self.window.bridge.journal.schedule_lesson_steps(session.lesson.steps[index].reference)

    def status(self, text: str, error: bool = False) -> None:
        self.window.show_status(text, error)

    def show_dock(self) -> None:
        self.dock.show()
        self.dock.raise_()
        self.window.resizeDocks([self.dock], [DOCK_WIDTH], Qt.Orientation.Horizontal)

    def _on_visible(self, visible: bool) -> None:
        if visible and self.panel.session is None and self.panel.stack.currentIndex() == 0:
            self.panel.refresh_picker()

    # -- opening a lesson or a demo ------------------------------------------------------------------------
    def start_lesson(self, lesson_id: str, restart: bool = False) -> "MainWindow | None":
        """A window on the lesson's setup, resumed from saved progress (or from the start)."""
        lessons, error = self.lessons_or_error()
        lesson = find_lesson(lessons, lesson_id)
        if lesson is None:
            self._error("Cannot start the lesson", error or f"There is no lesson '{lesson_id}'.")
            return None
        store = self.home.store
        progress = None
        try:
            if restart:
                store.reset(lesson_id)
            progress = store.get(lesson_id)
        except Exception as exc:
            self.status(f"Lesson progress could not be read, so the lesson starts from the beginning: {exc}", True)
        if progress is None:
            progress = LessonProgress(lesson_id)
        # Steps are done in order: resume after the first one not done.
        done = next(i for i in range(len(lesson.steps) + 1) if i not in progress.completed)
        progress.completed = set(range(done))
        try:
            journal = lesson_journal(lesson)
            session = journal.lesson_session
            fast_forward(journal, done)
        except Exception as exc:
            self._error("Cannot start the lesson", f"{lesson.filename}: the setup could not run: {exc}")
            return None
        new = self._replace(session.cluster, [], f"Lesson: {lesson.title}", lesson.speed, running=True,
                            journal=journal)
        new.lessons.panel.attach(session, progress)
        new.lessons.show_dock()
        self.save_progress(progress)
        if done:
            new.show_status(f"Resumed at step {done + 1}: the playground replayed the reference solutions of the "
                            f"{done} step(s) you had done.")
        return new

    def open_demo(self, demo_id: str) -> "MainWindow | None":
        try:
            demo = next(d for d in self.home.demos() if d.id == demo_id)
            # Recorded as a scenario opened from its file is: its steps are journalled as they happen.
            setup = ClusterSetup.from_scenario(Path(demo.scenario).read_text(encoding="utf-8"), demo.scenario)
            journal = Journal.start(setup)
        except StopIteration:
            self._error("Cannot open the demo", f"There is no demo '{demo_id}'.")
            return None
        except Exception as exc:
            self._error("Cannot open the demo", str(exc))
            return None
        new = self._replace(journal.cluster, journal.timeline(), f"Demo: {demo.title}", None, running=False,
                            journal=journal)
        new.lessons.panel.show_demo(demo)
        new.lessons.show_dock()
        new.show_status("Demo ready and paused: press Space to run it.")
        return new

    def _replace(self, cluster, timeline, title: str, speed: float | None, running: bool,
                 journal: Journal) -> "MainWindow":
        from .qt_main_window import MainWindow
        old = self.window
        new = MainWindow(cluster, timeline, title=title, running=running, speed=speed, journal=journal)
        new.lessons.home = self.home
        new.restoreGeometry(old.saveGeometry())
        new.show()
        self.home.window = new
        self.panel.detach()
        old.close()
        return new

    def _error(self, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Critical, title, text, QMessageBox.StandardButton.Ok, self.window)
        self.last_dialog = box
        box.open()


def lesson_journal(lesson: Lesson) -> Journal:
    """A journal on a new cluster of `lesson`'s setup, its session as `journal.lesson_session`. Made from
    the lesson file's text, which a saved workspace keeps; if the file cannot be read again (or now holds
    another lesson), from the lesson as loaded, and then the window cannot be saved (no set-up to keep)."""
    try:
        text = Path(lesson.filename).read_text(encoding="utf-8")
        journal = Journal.start(ClusterSetup.from_lesson(text, lesson.filename, lesson.order))
        if journal.lesson_session.lesson.id == lesson.id:
            return journal
    except (OSError, UnicodeDecodeError, LessonError):
        pass
    session = LessonSession(lesson)
    return Journal(session.cluster, None, lesson=session)


def fast_forward(journal: Journal, count: int) -> None:
    """`LessonSession.fast_forward`, journalled: the reference steps of the first `count` steps (resuming
    saved progress), then step `count` opens."""
    session = journal.lesson_session
    steps = session.lesson.steps
    for i in range(min(count, len(steps))):
        session.begin_step(i)
        journal.apply_lesson_steps(steps[i].reference)
    if count < len(steps):
        session.begin_step(count)
