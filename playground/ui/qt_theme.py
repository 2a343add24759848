"""Colours, fonts and the legend.

The palettes (light, dark, and presenter mode's higher contrast) are in `palettes.py`;
this module holds the current one as QColors, the fonts (12 pt and more) and the legend.
"""

from __future__ import annotations

import functools

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen

from . import paint_cache as pc
from .paint_cache import FONT_FAMILY, shared_font as _font
from .palettes import FLIGHTS, SERIES, THEMES, palette

# The current colours, read by every painter at paint time. They are changed in place by
# `apply_palette` (the View menu's theme switch): like QApplication's own palette, the look is
# one per application, and a dict that every module already holds stays the one to read.
COLORS: dict[str, QColor] = {}
FLIGHT_COLORS: dict[str, QColor] = {}
SERIES_COLORS: list[QColor] = []
_CURRENT = {"theme": "light", "presenter": False}

# Presenter mode: the canvas is drawn this much larger, and so are the panels' fonts.
PRESENTER_SCALE = 1.5


def apply_palette(theme: str = "light", presenter: bool = False) -> None:
    """Make `theme` (light | dark), with presenter mode's contrast or not, the current colours."""
    colours = palette(theme, presenter)
    COLORS.clear()
    COLORS.update({k: QColor(v) for k, v in colours.items()})
    FLIGHT_COLORS.clear()
    FLIGHT_COLORS.update({k: QColor(v) for k, v in FLIGHTS[theme].items()})
    SERIES_COLORS[:] = [QColor(v) for v in SERIES[theme]]
    _CURRENT.update(theme=theme, presenter=presenter)
    pc.clear()                  # pixmaps painted in the old colours


def current_theme() -> str:
    return _CURRENT["theme"]


def presenter_mode() -> bool:
    return _CURRENT["presenter"]


def ui_scale() -> float:
    """How much larger than normal the panels' fonts are now (presenter mode: 1.5)."""
    return PRESENTER_SCALE if _CURRENT["presenter"] else 1.0


def is_dark() -> bool:
    return _CURRENT["theme"] == "dark"


def ink(colour: QColor) -> QColor:
    """`colour` as text on the background: a shade darker on light, lighter on dark."""
    return colour.lighter(135) if is_dark() else colour.darker(130)


def series_colour(i: int) -> QColor:
    return SERIES_COLORS[i % len(SERIES_COLORS)]


def css(key: str) -> str:
    """A palette colour for a style sheet or rich text (#rrggbb)."""
    return COLORS[key].name()


def status_style(error: bool) -> str:
    """A status line's style: Kafka's refusal in bold red, a done command in green."""
    return f"color: {css('error')}; font-weight: bold;" if error else f"color: {css('status_ok')};"


apply_palette()

__all__ = ["COLORS", "FLIGHT_COLORS", "SERIES_COLORS", "THEMES", "apply_palette", "css", "current_theme", "font",
           "ink", "is_dark", "presenter_mode", "series_colour", "status_style", "ui_scale"]


def font(points: int, bold: bool = False, italic: bool = False) -> QFont:
    """A copy (cheap: QFont shares its data) of one made once: painters ask for fonts thousands of
    times a frame."""
    return QFont(_font(points, bold, italic))


TAG_FONT = (12, True, False)


@functools.lru_cache(maxsize=512)
def tag_width(text: str) -> float:
    return pc.metrics(TAG_FONT).horizontalAdvance(text) + 14


def draw_tag(p: QPainter, right: float, cy: float, text: str, bg: QColor, fg: QColor) -> float:
    """A filled label ending at `right`, centred on `cy`; returns its left edge."""
    w, h = tag_width(text), pc.metrics(TAG_FONT).height() + 4
    rect = QRectF(right - w, cy - h / 2, w, h)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(bg)
    p.drawRoundedRect(rect, 5, 5)
    p.setPen(fg)
    pc.text(p, rect, Qt.AlignmentFlag.AlignCenter, text, TAG_FONT)
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

    With no painter it only measures. It is the same in every frame: painted once per size.
    """
    if p is not None:
        height = draw_legend(None, rect, groups, storage)
        pc.piece(p, ("legend", groups, storage), rect, 6, lambda q: _paint_legend(q, rect, groups, storage))
        return height
    return _paint_legend(None, rect, groups, storage)


def _paint_legend(p: QPainter | None, rect: QRectF, groups: bool, storage: bool) -> float:
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
        p.setBrush(QBrush(COLORS["hatch"], Qt.BrushStyle.BDiagPattern))
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
