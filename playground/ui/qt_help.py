"""Help ▸ Keyboard shortcuts: every shortcut of the window's menus, plus the mouse gestures."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLabel, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from .qt_theme import font, ui_scale

MOUSE = (
    ("Mouse", "Click (or right-click) a broker", "menu: Kill · Restart · Isolate · Heal · Slow down"),
    ("Mouse", "Click a controller in the control plane", "menu: Kill · Restart that controller"),
    ("Mouse", "Hover an offset cell", "the record: key, value, headers, timestamp, leader epoch, producer id "
                                      "and transaction; a COMMIT / ABORT marker; a gap compaction left"),
    ("Mouse", "Hover a block of a segment bar", "the segment: offsets, size, records, active, cleaned"),
    ("Mouse", "Click a block of a segment bar", "the strip shows that segment's cells"),
    ("Mouse", "Wheel over a replica strip", "scroll its offsets: up to older ones, down back to the newest"),
    ("Mouse", "Hover (or click) a broker, replica strip, producer, consumer, group lane or controller",
     "what it is and its numbers now: offsets, ISR, lag, counts, epochs"),
    ("Mouse", "Click a consumer's card (in its group's lane)", "menu: Stop · Crash · Pause · Resume"),
)


def shortcut_rows(menu_bar) -> list[tuple[str, str, str]]:
    """(menu, action, keys) for every action with a shortcut, in menu order."""
    rows = []

    def walk(menu, path: str) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu(), f"{path} ▸ {action.menu().title().replace('&', '')}")
                continue
            keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
            if keys and not action.isSeparator():
                rows.append((path, action.text().replace("&", "").split("\t")[0], " or ".join(keys)))

    for action in menu_bar.actions():
        if action.menu() is not None:
            walk(action.menu(), action.menu().title().replace("&", ""))
    return rows


class ShortcutsDialog(QDialog):
    def __init__(self, menu_bar, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(menu_bar) + list(MOUSE)
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels(["Menu", "What", "Keys"])
        self.table.verticalHeader().setVisible(False)
        self.table.setFont(font(round(13 * ui_scale())))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setWordWrap(False)
        note = QLabel("Broker faults work on the selected broker: press its number (1–9, shown on its header), "
                      "then K, R, I, H or S. Typing in a text field never triggers these keys.")
        note.setWordWrap(True)
        note.setFont(font(round(12 * ui_scale())))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(round(1120 * ui_scale()), round(700 * ui_scale()))

    def rows(self) -> list[tuple[str, str, str]]:
        return [tuple(self.table.item(r, c).text() for c in range(3)) for r in range(self.table.rowCount())]
