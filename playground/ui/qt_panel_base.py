"""What the side panels share: a refresh at most every REFRESH_MS when engine events say something
changed, a status line that also goes to the window's status bar, and a list of named things."""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtWidgets import QLabel

from .qt_theme import status_style

REFRESH_MS = 250


class ThrottledRefresh:
    """Mixed into a panel: `refresh_on(events, kinds)` schedules `self.refresh()` at most every
    REFRESH_MS, however many events arrive (views aggregate once, never per record)."""

    def init_refresh(self) -> None:
        self._pending = False
        self._stale = False
        self._since = QElapsedTimer()

    def refresh_on(self, events: list, kinds) -> None:
        """`events`: a batch from the bridge's `events_emitted`. A hidden panel (a tab behind another)
        only notes that it is stale, and catches up when it is shown."""
        if self._pending or (self._stale and not self.isVisible()) or not any(e.kind in kinds for e in events):
            return
        if not self.isVisible():
            self._stale = True
            return
        self._pending = True
        wait = 0 if not self._since.isValid() else max(0, REFRESH_MS - self._since.elapsed())
        QTimer.singleShot(int(wait), self, self.refresh)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh_started(self) -> None:
        self._pending = False
        self._stale = False
        self._since.start()


class NamedList(ThrottledRefresh):
    """Mixed into a panel with `self.list` (a QListWidget whose items carry a name as UserRole),
    `self.status` (a QLabel) and a `message` signal."""

    def add_status(self, layout) -> None:
        """The status line under the panel (Kafka's refusal in red, a done command in green)."""
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)

    def _show(self, text: str, error: bool = False) -> None:
        self.status.setStyleSheet(status_style(error))
        self.status.setText(text)
        self.message.emit(text, error)

    def selected(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def select(self, name: str) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == name:
                self.list.setCurrentRow(i)
                return

    def rows(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    @staticmethod
    def next_name(prefix: str, taken) -> str:
        taken = set(taken)
        return next(f"{prefix}{i}" for i in range(1, 1000) if f"{prefix}{i}" not in taken)
