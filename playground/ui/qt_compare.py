"""Two branches side by side: a picture of each cluster, their guarantee numbers, and what each did.

The numbers are the guarantees panel's (acknowledged, acked but lost, duplicates, out of
order, …) and a few more (brokers alive, records below each topic's high watermark,
under-replicated partitions, each group's lag); a row where the branches differ is marked.
Below, the commands each branch ran since they parted: the choice that made the difference.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QFont, QPixmap
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QHBoxLayout, QHeaderView, QLabel, QListWidget, QSizePolicy, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from playground.storage.timetravel import Branch, TimeMachine, compare_rows, seconds

from .qt_theme import COLORS, font
from .timeline_model import describe_command

SNAPSHOT_SIZE = (1000, 640)          # the least size the canvas is drawn at, before it is scaled to fit


def snapshot(branch: Branch) -> QPixmap:
    """A picture of `branch`'s cluster as the canvas draws it now (paused, nothing changes)."""
    from .bridge import SimulationBridge
    from .qt_canvas import ClusterCanvas
    bridge = SimulationBridge(branch.cluster, running=False, journal=branch.journal)
    canvas = ClusterCanvas(bridge)
    try:
        hint = canvas.sizeHint()
        canvas.resize(max(hint.width(), SNAPSHOT_SIZE[0]), max(hint.height(), SNAPSHOT_SIZE[1]))
        bridge.show_at(branch.now)
        picture = canvas.grab()
    finally:
        bridge.close()
        canvas.deleteLater()
        bridge.deleteLater()
    return picture


def parted(a: Branch, b: Branch) -> tuple[list, list]:
    """The commands each branch ran after the last one they share, leaving out those both ran at the
    same instant (a scenario's own steps): what is left is the choice that made the difference."""
    ca, cb = a.journal.commands, b.journal.commands
    n = 0
    while n < min(len(ca), len(cb)) and ca[n] == cb[n]:
        n += 1

    def key(c):
        return c.time_ms, c.action, c.args_json(), c.source

    in_a = {key(c) for c in ca[n:]}
    in_b = {key(c) for c in cb[n:]}
    return [c for c in ca[n:] if key(c) not in in_b], [c for c in cb[n:] if key(c) not in in_a]


class CompareDialog(QDialog):
    def __init__(self, machine: TimeMachine, a: Branch, b: Branch, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare branches")
        self.machine = machine
        self.pick_a = QComboBox()
        self.pick_b = QComboBox()
        for combo, chosen in ((self.pick_a, a), (self.pick_b, b)):
            for br in machine.branches:
                combo.addItem(br.describe(), br.number)
            combo.setCurrentIndex(machine.branches.index(chosen))
            combo.currentIndexChanged.connect(self._rebuild)
        self.picture_a = QLabel()
        self.picture_b = QLabel()
        self._full: dict[QLabel, QPixmap] = {}
        for pic in (self.picture_a, self.picture_b):
            pic.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            pic.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            pic.setMinimumWidth(280)
        self.table = QTableWidget(0, 3)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setFont(font(12))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumWidth(480)
        self.done_a = QListWidget()
        self.done_b = QListWidget()
        self.caption_a = QLabel()
        self.caption_b = QLabel()
        columns = QHBoxLayout()
        for side_widgets in ((self.pick_a, self.picture_a, self.caption_a, self.done_a), None,
                             (self.pick_b, self.picture_b, self.caption_b, self.done_b)):
            if side_widgets is None:             # the numbers between the two pictures
                columns.addWidget(self.table, 0)
                continue
            pick, pic, caption, done = side_widgets
            caption.setWordWrap(True)
            done.setMaximumHeight(150)
            side = QVBoxLayout()
            for w in (pick, pic, caption, done):
                side.addWidget(w)
            side.addStretch(1)
            columns.addLayout(side, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setFont(font(13, bold=True))
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        layout.addLayout(columns, 1)
        layout.addWidget(buttons)
        self.resize(1400, 720)
        self._rebuild()

    def branches(self) -> tuple[Branch, Branch]:
        return (self.machine.branch(self.pick_a.currentData()), self.machine.branch(self.pick_b.currentData()))

    def rows(self) -> list[tuple[str, str, str]]:
        a, b = self.branches()
        return compare_rows(a, b)

    def _rebuild(self) -> None:
        a, b = self.branches()
        rows = compare_rows(a, b)
        self.table.setRowCount(len(rows))
        self.table.setHorizontalHeaderLabels(["", a.name, b.name])
        bold = QFont(self.table.font())
        bold.setBold(True)
        differing = []
        for i, (label, va, vb) in enumerate(rows):
            items = [QTableWidgetItem(label), QTableWidgetItem(va), QTableWidgetItem(vb)]
            for col, item in enumerate(items):
                if col:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if va != vb and label != "virtual time":
                    item.setFont(bold)
                    item.setBackground(QBrush(COLORS["audit_warn_bg"]))
                self.table.setItem(i, col, item)
            if va != vb and label != "virtual time":
                differing.append(label)
        self.differing = differing
        times = "" if a.now == b.now else (f" They are at different instants ({seconds(a.now)} and {seconds(b.now)}): "
                                           "run the shorter one on to compare like with like.")
        self.summary.setText((f"{a.name} and {b.name} differ in: {', '.join(differing)}." if differing
                              else f"{a.name} and {b.name} have the same numbers.") + times)
        for branch, pic, caption in ((a, self.picture_a, self.caption_a), (b, self.picture_b, self.caption_b)):
            self._full[pic] = snapshot(branch)
            caption.setText(f"{branch.describe()}, at {seconds(branch.now)}. Since they parted:")
        self._fit_pictures()
        only_a, only_b = parted(a, b)
        for listing, commands in ((self.done_a, only_a), (self.done_b, only_b)):
            listing.clear()
            for cmd in commands:
                listing.addItem(f"{seconds(cmd.time_ms)}  {describe_command(cmd)}")
            if not commands:
                listing.addItem("(nothing of its own: it ran on)")

    def _fit_pictures(self) -> None:
        for pic, full in self._full.items():
            scaled = full.scaledToWidth(max(1, pic.width()), Qt.TransformationMode.SmoothTransformation)
            pic.setFixedHeight(scaled.height())         # as tall as the picture at this width, no taller
            pic.setPixmap(scaled)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_pictures()
