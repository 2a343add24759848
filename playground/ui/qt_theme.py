"""Colours, fonts and the legend: one high-contrast palette for the projector.

Light background, saturated colours that stay apart for the common colour
blindnesses (blue / orange / magenta / green are never the only cue: every
mark also has a word on it), fonts of 12 pt and more.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen

COLORS = {
    "background": QColor("#ffffff"),
    "text": QColor("#111111"),
    "muted": QColor("#555555"),
    "faint": QColor("#b0b0b0"),
    "faint_text": QColor("#8a8a8a"),
    "on_dark": QColor("#ffffff"),
    "column": QColor("#f1f4f7"),
    "column_dead": QColor("#fbe9e7"),
    "broker": QColor("#263238"),
    "dead": QColor("#b71c1c"),
    "dead_text": QColor("#ffffff"),
    "isolated": QColor("#ef6c00"),
    "column_isolated": QColor("#fff3e0"),
    "zombie": QColor("#212121"),
    "zombie_text": QColor("#c6ff00"),
    "zombie_bg": QColor("#f9fbe7"),
    "selected": QColor("#2962ff"),
    "slow": QColor("#ffd54f"),
    "crown": QColor("#ffd700"),
    "flash": QColor("#ffab00"),
    "election": QColor("#6a1b9a"),
    "good": QColor("#2e7d32"),
    "info": QColor("#455a64"),
    "alive": QColor("#69f0ae"),
    "warning": QColor("#ffd54f"),
    "controller": QColor("#6a1b9a"),
    "controller_bg": QColor("#f3e5f5"),
    "leader": QColor("#f9a825"),
    "leader_bg": QColor("#fff8e1"),
    "follower": QColor("#546e7a"),
    "follower_tag": QColor("#cfd8dc"),
    "strip_bg": QColor("#ffffff"),
    "out_of_isr_bg": QColor("#ffebee"),
    "isr": QColor("#2e7d32"),
    "error": QColor("#c62828"),
    "committed": QColor("#1565c0"),
    "uncommitted": QColor("#ffb74d"),
    "uncommitted_edge": QColor("#e65100"),
    "empty": QColor("#ffffff"),
    "hw": QColor("#0d47a1"),
    "leo": QColor("#c2185b"),
    "produce": QColor("#e65100"),
    "producer_bg": QColor("#fff3e0"),
    "consume": QColor("#00838f"),
    "rebalance": QColor("#ad1457"),
    "group_bg": QColor("#fce4ec"),
    "lane_bg": QColor("#fafafa"),
    # storage and transactions (canvas_storage)
    "commit_marker": QColor("#2e7d32"),
    "abort_marker": QColor("#c62828"),
    "aborted": QColor("#e0e0e0"),
    "aborted_edge": QColor("#757575"),
    "aborted_text": QColor("#616161"),
    "open_txn": QColor("#6a1b9a"),
    "tombstone": QColor("#37474f"),
    "lso": QColor("#00897b"),
    "segment_band": QColor("#e3e8ec"),
    "segment_tick": QColor("#37474f"),
    "segment_closed": QColor("#cfd8dc"),
    "segment_cleaned": QColor("#80cbc4"),
    "segment_deleted": QColor("#ef9a9a"),
}

FLIGHT_COLORS = {
    "produce": QColor("#e65100"),
    "ack": QColor("#2e7d32"),
    "replicate": QColor("#1565c0"),
    "fetch": QColor("#546e7a"),
    "hw": QColor("#0d47a1"),
    "truncate": QColor("#c62828"),
    "consume": QColor("#00838f"),
    "client": QColor("#757575"),
    "control": QColor("#6a1b9a"),
    "vote": QColor("#8e24aa"),
    "lost": QColor("#c62828"),
    "group": QColor("#ad1457"),
    "rebalance": QColor("#ff8f00"),
    "commit": QColor("#6d4c41"),
    "commit_marker": QColor("#2e7d32"),
    "abort_marker": QColor("#c62828"),
    "txn": QColor("#00897b"),
}

FONT_FAMILY = "DejaVu Sans"


def font(points: int, bold: bool = False, italic: bool = False) -> QFont:
    f = QFont(FONT_FAMILY)
    f.setPointSize(points)
    f.setBold(bold)
    f.setItalic(italic)
    return f


def tag_width(text: str) -> float:
    return QFontMetricsF(font(12, bold=True)).horizontalAdvance(text) + 14


def draw_tag(p: QPainter, right: float, cy: float, text: str, bg: QColor, fg: QColor) -> float:
    """A filled label ending at `right`, centred on `cy`; returns its left edge."""
    p.setFont(font(12, bold=True))
    fm = QFontMetricsF(p.font())
    w, h = tag_width(text), fm.height() + 4
    rect = QRectF(right - w, cy - h / 2, w, h)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(bg)
    p.drawRoundedRect(rect, 5, 5)
    p.setPen(fg)
    p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
    return rect.left()


def _legend_items(groups: bool = False, storage: bool = False) -> list[tuple[str, tuple, str]]:
    items = [
        ("cell", (COLORS["committed"], COLORS["committed"]), "committed (below HW)"),
        ("cell", (COLORS["uncommitted"], COLORS["uncommitted_edge"]), "not committed yet"),
        ("line", (COLORS["hw"],), "HW high watermark"),
        ("line", (COLORS["leo"],), "LEO log end offset"),
        ("box", (QPen(COLORS["leader"], 5),), "leader replica"),
        ("box", (QPen(COLORS["follower"], 2),), "follower"),
        ("dot", (FLIGHT_COLORS["produce"], False), "produce"),
        ("dot", (FLIGHT_COLORS["replicate"], False), "replication"),
        ("dot", (FLIGHT_COLORS["fetch"], True), "follower fetch"),
        ("dot", (FLIGHT_COLORS["hw"], True), "HW update"),
        ("dot", (FLIGHT_COLORS["ack"], False), "ack"),
        ("dot", (FLIGHT_COLORS["vote"], False), "controller vote"),
        ("dot", (FLIGHT_COLORS["lost"], False), "error / lost"),
    ]
    if groups:
        items += [
            ("dot", (FLIGHT_COLORS["consume"], False), "to consumer"),
            ("dot", (FLIGHT_COLORS["group"], False), "group protocol"),
            ("dot", (FLIGHT_COLORS["rebalance"], False), "rebalance"),
            ("dot", (FLIGHT_COLORS["commit"], True), "commit"),
        ]
    if storage:
        items += [
            ("cell", (COLORS["commit_marker"], COLORS["commit_marker"]), "C / A: COMMIT / ABORT marker"),
            ("cell", (COLORS["aborted"], COLORS["aborted_edge"]), "aborted txn record"),
            ("hatch", (COLORS["committed"], COLORS["open_txn"]), "open txn record"),
            ("cell", (COLORS["tombstone"], COLORS["tombstone"]), "tombstone"),
            ("line", (COLORS["lso"],), "LSO last stable offset"),
            ("notch", (COLORS["segment_tick"],), "segment start"),
            ("cell", (COLORS["segment_closed"], COLORS["segment_tick"]), "segment bar: the whole log"),
        ]
    return items


_MARK_W = {"cell": 28, "line": 14, "box": 34, "dot": 22, "hatch": 28, "notch": 18}


def legend_height(width: float, groups: bool = False, storage: bool = False) -> float:
    """How tall the legend is when it flows over `width`."""
    return draw_legend(None, QRectF(0, 0, width, 0), groups, storage)


def draw_legend(p: QPainter | None, rect: QRectF, groups: bool = False, storage: bool = False) -> float:
    """What every mark on the canvas means, flowing over as many lines as it needs; returns the height used.

    With no painter it only measures.
    """
    fm = QFontMetricsF(font(12))
    line_h = fm.height() + 10
    spacing = 10 if groups else 22
    x, y = rect.left(), rect.top() + 4
    if p is not None:
        p.setPen(QPen(COLORS["faint"], 1))
        p.drawLine(QPointF(rect.left(), rect.top() - 4), QPointF(rect.right(), rect.top() - 4))
        p.setFont(font(12))
    for kind, args, label in _legend_items(groups, storage):
        w = _MARK_W[kind] + fm.horizontalAdvance(label)
        if x + w > rect.right() and x > rect.left():
            x = rect.left()
            y += line_h
        if p is not None:
            _legend_mark(p, kind, args, x, y, line_h)
            p.setPen(COLORS["text"])
            p.drawText(QRectF(x + _MARK_W[kind], y, fm.horizontalAdvance(label) + 2, line_h - 6),
                       Qt.AlignmentFlag.AlignVCenter, label)
        x += w + spacing
    return y + line_h - rect.top()


def _legend_mark(p: QPainter, kind: str, args: tuple, x: float, y: float, line_h: float) -> None:
    if kind == "cell":
        fill, edge = args
        p.setPen(QPen(edge, 1.5))
        p.setBrush(fill)
        p.drawRoundedRect(QRectF(x, y + 2, 22, line_h - 10), 3, 3)
    elif kind == "hatch":
        fill, edge = args
        p.setPen(QPen(edge, 2, Qt.PenStyle.DashLine))
        p.setBrush(fill)
        p.drawRoundedRect(QRectF(x, y + 2, 22, line_h - 10), 3, 3)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QBrush(QColor(255, 255, 255, 170), Qt.BrushStyle.BDiagPattern))
        p.drawRoundedRect(QRectF(x + 2, y + 4, 18, line_h - 14), 2, 2)
    elif kind == "notch":
        p.setPen(QPen(args[0], 2.5))
        p.drawLine(QPointF(x + 7, y + 6), QPointF(x + 7, y + line_h - 6))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(args[0])
        p.drawPolygon([QPointF(x + 1, y), QPointF(x + 13, y), QPointF(x + 7, y + 8)])
    elif kind == "line":
        p.setPen(QPen(args[0], 4))
        p.drawLine(QPointF(x + 5, y), QPointF(x + 5, y + line_h - 6))
    elif kind == "box":
        p.setPen(args[0])
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(QRectF(x + 2, y + 2, 26, line_h - 10), 4, 4)
    else:
        colour, thin = args
        r = 5 if thin else 8
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        p.drawEllipse(QPointF(x + 8, y + (line_h - 6) / 2), r, r)
