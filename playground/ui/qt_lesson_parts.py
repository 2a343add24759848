"""Small widgets of the lesson panel: a wrapping label, and an answer that wraps beside its radio button."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QRadioButton, QWidget

from .qt_theme import font


def wrapped_label(text: str = "", size: int = 12, bold: bool = False, wrap: bool = True) -> QLabel:
    label = QLabel(text)
    f = font(size)
    f.setBold(bold)
    label.setFont(f)
    label.setWordWrap(wrap)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


class ChoiceRow(QWidget):
    """A radio button whose answer wraps in a narrow dock (a QRadioButton's own text never wraps)."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.radio = QRadioButton()
        self.radio.setProperty("choice", text)
        self.radio.setAccessibleName(text)
        self.label = wrapped_label(text, 12)
        self.label.setCursor(Qt.CursorShape.PointingHandCursor)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.radio, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.label, 1)

    def text(self) -> str:
        return self.label.text()

    def mousePressEvent(self, event) -> None:       # clicking the words picks the answer too
        if self.radio.isEnabled():
            self.radio.setChecked(True)
        super().mousePressEvent(event)
