"""File ▸ New cluster / Open workspace… / Save workspace / Save workspace as…, autosave and settings.

A workspace is an SQLite file (playground/storage): the window saves its
bridge's journal, and opening one replays it into a new cluster, which then
gets a fresh window in place of this one (same size and place). Anything that
goes wrong is said in a message box with the reason, and the cluster on screen
is untouched.

`AppSession` is what outlives a window: the QSettings (window layout, speed,
last folder), the autosave file, and the window on screen. The app makes one
for the user (QSettings of organization "Kafka Playground", autosave in the
user's data folder); a window made without one (tests) saves no settings and
no autosave.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QObject, QSettings, QStandardPaths, Qt, Signal
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from playground.storage import Journal

from .bridge import SPEEDS

if TYPE_CHECKING:
    from .qt_main_window import MainWindow

ORGANIZATION = "Kafka Playground"
APPLICATION = "Kafka Playground"
AUTOSAVE_NAME = "autosave.sqlite"
# Set (to anything) to start without offering to restore the last session (CI, demos).
NO_RESTORE_ENV = "KAFKA_PLAYGROUND_NO_RESTORE"


def _workspace():
    """playground.storage.workspace, imported when first needed: sqlite-utils takes a quarter of a second
    to load, which the window's start does without."""
    from playground.storage import workspace
    return workspace
FILE_FILTER = "Kafka Playground workspaces (*.sqlite *.db);;All files (*)"


def user_autosave_path() -> Path:
    """autosave.sqlite in the user's data folder (QStandardPaths.AppDataLocation)."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(folder) / AUTOSAVE_NAME


class AppSession:
    def __init__(self, settings: QSettings | None = None, autosave_path: str | os.PathLike | None = None) -> None:
        self.settings = settings
        self.autosave_path = Path(autosave_path) if autosave_path is not None else None
        self.window: MainWindow | None = None      # the window on screen (kept alive here)

    @classmethod
    def for_user(cls) -> AppSession:
        return cls(QSettings(ORGANIZATION, APPLICATION), user_autosave_path())

    # -- settings --------------------------------------------------------------------------------
    def last_dir(self) -> str:
        if self.settings is None:
            return ""
        value = self.settings.value("files/last_dir", "")
        return str(value) if value else ""

    def remember_dir(self, path: str | os.PathLike) -> None:
        if self.settings is not None:
            self.settings.setValue("files/last_dir", str(Path(path).resolve().parent))

    def save_layout(self, window: MainWindow) -> None:
        if self.settings is None:
            return
        self.settings.setValue("window/geometry", window.saveGeometry())
        self.settings.setValue("window/state", window.saveState())
        self.settings.setValue("time/speed", window.bridge.speed)
        self.settings.sync()

    def restore_layout(self, window: MainWindow, *, speed: bool = True) -> bool:
        """Window size, place and docks as they were left (and the speed, unless `speed` is False)."""
        if self.settings is None:
            return False
        geometry, state = self.settings.value("window/geometry"), self.settings.value("window/state")
        restored = False
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            restored = window.restoreGeometry(geometry)
        if isinstance(state, QByteArray) and not state.isEmpty():
            restored = window.restore_dock_state(state) or restored
        saved_speed = self.settings.value("time/speed")
        if speed and saved_speed is not None:
            try:
                value = float(saved_speed)
            except (TypeError, ValueError):
                value = None
            if value is not None and SPEEDS[0] <= value <= SPEEDS[-1]:
                window.bridge.set_speed(value)
        return restored


class WorkspaceActions(QObject):
    """The File menu of one window, and what it does."""

    saved = Signal(str)                 # the path just written

    def __init__(self, window: MainWindow, session: AppSession, path: str | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.session = session
        self.path = path                # where Save writes without asking (None: Save asks)
        self.replaced = False           # the window gave way to another: no autosave when it closes
        self.dialog: QMessageBox | None = None      # the last message box shown (tests read it)
        self._base_title = window.windowTitle()
        self._show_path()

    def build_menu(self) -> None:
        bar = self.window.menuBar()
        menu = bar.addMenu("&File")
        first = next((a for a in bar.actions() if a.menu() is not menu), None)
        if first is not None:                       # File comes first, as everywhere
            bar.insertMenu(first, menu)
        w = self.window
        w._action(menu, "New cluster (built-in: 3 brokers, topic orders)", self.new_cluster)
        w._action(menu, "Open workspace…", self.open_workspace, "Ctrl+O")
        menu.addSeparator()
        w._action(menu, "Save workspace", self.save, "Ctrl+S")
        w._action(menu, "Save workspace as…", self.save_as, "Ctrl+Shift+S")

    # -- saving ------------------------------------------------------------------------------------
    def save(self) -> bool:
        return self.save_as(self.path) if self.path else self.save_as()

    def save_as(self, path: str | None = None) -> bool:
        ws = _workspace()
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self.window, "Save workspace", self._suggested_path(), FILE_FILTER)
            if not path:
                return False
        bridge = self.window.bridge
        try:
            ws.save_workspace(bridge.journal.cluster, bridge.journal, path, title=self._base_title_text())
        except ws.WorkspaceError as exc:
            self._show("Cannot save the workspace", str(exc), QMessageBox.Icon.Critical)
            return False
        self.path = path
        self.session.remember_dir(path)
        self._show_path()
        self.window.show_status(f"Saved the workspace to {path} ({len(bridge.journal.commands)} commands, "
                                f"{bridge.now} ms of virtual time). Query it with any SQLite tool.")
        self.saved.emit(path)
        return True

    def _suggested_path(self) -> str:
        if self.path:
            return self.path
        folder = self.session.last_dir() or str(Path.home())
        return str(Path(folder) / "workspace.sqlite")

    # -- opening -----------------------------------------------------------------------------------
    def open_workspace(self, path: str | None = None, *, restoring: bool = False) -> MainWindow | None:
        """Replay the file into a new window in place of this one; None (and a message box) if it
        cannot be opened, this window and its cluster untouched."""
        ws = _workspace()
        if not path:
            path, _ = QFileDialog.getOpenFileName(self.window, "Open workspace", self.session.last_dir(),
                                                  FILE_FILTER)
            if not path:
                return None
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)      # a replay takes as long as the run did
        try:
            opened = ws.open_workspace(path)
        except ws.WorkspaceError as exc:
            QApplication.restoreOverrideCursor()
            what = "restore the last session" if restoring else "open the workspace"
            self._show(f"Cannot {what}", f"{exc}\n\nThe cluster on screen is unchanged.", QMessageBox.Icon.Critical)
            return None
        QApplication.restoreOverrideCursor()
        if not restoring:
            self.session.remember_dir(path)
        new = self.replace(opened.journal, opened.title, None if restoring else str(path))
        done = (f"{'Restored the last session' if restoring else f'Opened {path}'}: replayed "
                f"{len(opened.journal.commands)} commands to {opened.cluster.now} ms of virtual time")
        if opened.mismatches:
            new.workspace._show("The workspace opened, but differs from its tables",
                                f"{path}: the replayed cluster is not quite the saved one:\n\n• "
                                + "\n• ".join(opened.mismatches), QMessageBox.Icon.Warning)
            new.show_status(done + "; it differs from the saved tables (see the message).", True)
        else:
            new.show_status(done + "; it matches the saved tables.")
        return new

    def new_cluster(self) -> MainWindow:
        from .commands import builtin_setup
        return self.replace(Journal.start(builtin_setup()), "built-in cluster (3 brokers, topic orders)", None)

    def replace(self, journal: Journal, title: str, path: str | None) -> MainWindow:
        """A window on `journal`'s cluster where this one is; this one closes (without an autosave)."""
        from .qt_main_window import MainWindow
        old = self.window
        new = MainWindow(journal.cluster, journal.timeline(), title=title, journal=journal,
                         running=old.bridge.running, session=self.session, workspace_path=path)
        new.restoreGeometry(old.saveGeometry())
        new.show()
        self.session.window = new
        self.replaced = True
        old.close()
        return new

    # -- the last session ----------------------------------------------------------------------------
    def autosave(self) -> bool:
        """Save to the session's autosave file (on exit); errors go to stderr, never to a dialog."""
        ws = _workspace()
        target = self.session.autosave_path
        # The live run of the branch on screen, even while the window shows its past.
        journal = self.window.time_travel.live_journal()
        if target is None or self.replaced or not journal.saveable:
            return False
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            ws.save_workspace(journal.cluster, journal, target,
                           title=f"last session: {self._base_title_text().removeprefix('last session: ')}")
        except (OSError, ws.WorkspaceError) as exc:
            print(f"kafka-playground: could not autosave the session: {exc}", file=sys.stderr)
            return False
        return True

    def offer_restore(self) -> QMessageBox | None:
        """If the last session was autosaved, ask (without blocking) to restore it or keep the new cluster."""
        ws = _workspace()
        target = self.session.autosave_path
        if target is None or os.environ.get(NO_RESTORE_ENV) or not target.exists():
            return None
        try:
            meta = ws.read_meta(target)
        except ws.WorkspaceError as exc:
            self.window.show_status(f"The last session could not be read, so the window starts on a new cluster: "
                                    f"{exc}", True)
            return None
        box = QMessageBox(QMessageBox.Icon.Question, "Restore the last session?",
                          f"Your last session was saved when you quit:\n\n{ws.describe(meta)}\n\nRestore it, or start "
                          "on a new cluster?", parent=self.window)
        self.restore_button = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
        self.new_button = box.addButton("Start a new cluster", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(self.restore_button)
        box.buttonClicked.connect(lambda button: self._restore_chosen(button is self.restore_button))
        self.dialog = box
        box.open()
        return box

    def _restore_chosen(self, restore: bool) -> None:
        if restore and self.session.autosave_path is not None:
            self.open_workspace(str(self.session.autosave_path), restoring=True)

    # -- helpers -------------------------------------------------------------------------------------
    def _show(self, title: str, text: str, icon: QMessageBox.Icon) -> QMessageBox:
        """A message box that does not block (tests and the event loop go on); kept in `self.dialog`."""
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self.window)
        self.dialog = box
        box.open()
        return box

    def _base_title_text(self) -> str:
        return self._base_title.removeprefix("Kafka Playground — ")

    def _show_path(self) -> None:
        name = f" — {Path(self.path).name}" if self.path else ""
        self.window.setWindowTitle(self._base_title + name)
