"""What the canvas paints many times a frame, made once: laid-out text, pens, font metrics,
and whole pieces (a strip's frame and title, a broker's header) as pixmaps.

`QPainter.drawText(rect, flags, text)` lays the text out again on every call (about 20 µs);
a cluster under load draws a few hundred offsets, tags and labels a frame. `text()` draws a
`QStaticText` laid out once per (string, font) instead, placed in the rectangle the same
way (left, right or centred; top, bottom or centred), in the painter's current pen colour.
Strings that change every frame (a HW label, a lag) still gain: the same offset is drawn on
every replica and for several frames while it scrolls by.

`piece()` paints something that looks the same for many frames once into a pixmap and then
copies it: the caller names everything the drawing depends on in the key.
"""

from __future__ import annotations

import functools
import math
from collections import OrderedDict
from typing import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen, QPixmap, QStaticText

from .palettes import CLEAR

FONT_FAMILY = "DejaVu Sans"
CLEAR_COLOUR = QColor(CLEAR)
MAX_TEXTS = 4000                # laid-out strings kept (least recently drawn dropped first)
MAX_PIECES = 400                # pixmaps kept, likewise ...
MAX_LARGE = 48                  # ... and large ones (a flight's trail across the canvas), kept apart
_A = Qt.AlignmentFlag
_H_CENTRE, _RIGHT = int(_A.AlignHCenter), int(_A.AlignRight)
_V_CENTRE, _BOTTOM = int(_A.AlignVCenter), int(_A.AlignBottom)

FontSpec = tuple[int, bool, bool]           # (points, bold, italic), as qt_theme.font takes them

_texts: OrderedDict[tuple[str, FontSpec], tuple[QStaticText, float, float]] = OrderedDict()
_pens: dict[tuple, QPen] = {}
_metrics: dict[FontSpec, QFontMetricsF] = {}
_pieces: OrderedDict[tuple, QPixmap] = OrderedDict()
_large: OrderedDict[tuple, QPixmap] = OrderedDict()
_generation = [0]               # how many times the caches were cleared (pixmaps kept elsewhere compare it)


@functools.lru_cache(maxsize=64)
def shared_font(points: int, bold: bool = False, italic: bool = False) -> QFont:
    """The one font of this size and style (not a copy: do not change it; qt_theme.font copies)."""
    f = QFont(FONT_FAMILY)
    f.setPointSize(points)
    f.setBold(bold)
    f.setItalic(italic)
    return f


_font = shared_font


def metrics(fs: FontSpec) -> QFontMetricsF:
    m = _metrics.get(fs)
    if m is None:
        m = _metrics[fs] = QFontMetricsF(_font(*fs))
    return m


def _static(s: str, fs: FontSpec) -> tuple[QStaticText, float, float]:
    key = (s, fs)
    entry = _texts.get(key)
    if entry is not None:
        _texts.move_to_end(key)
        return entry
    st = QStaticText(s)
    st.setTextFormat(Qt.TextFormat.PlainText)
    st.prepare(font=_font(*fs))
    size = st.size()
    entry = _texts[key] = (st, size.width(), size.height())
    if len(_texts) > MAX_TEXTS:
        _texts.popitem(last=False)
    return entry


_advances: dict[tuple[str, FontSpec], float] = {}


def advance(s: str, fs: FontSpec) -> float:
    """QFontMetricsF.horizontalAdvance of `s` in `fs`, measured once."""
    key = (s, fs)
    w = _advances.get(key)
    if w is None:
        if len(_advances) > 2 * MAX_TEXTS:
            _advances.clear()
        w = _advances[key] = metrics(fs).horizontalAdvance(s)
    return w


def text_width(s: str, fs: FontSpec) -> float:
    """The width `text()` draws `s` at (its layout's, as drawText would take)."""
    return _static(s, fs)[1]


def text(p: QPainter, rect: QRectF, flags, s: str, fs: FontSpec) -> None:
    """`p.drawText(rect, flags, s)` in font `fs` for one line of plain text (alignment flags only)."""
    if "\n" in s:
        p.setFont(_font(*fs))
        p.drawText(rect, flags, s)
        return
    st, w, h = _static(s, fs)
    f = int(flags)
    if f & _H_CENTRE:
        x = rect.x() + (rect.width() - w) / 2
    elif f & _RIGHT:
        x = rect.x() + rect.width() - w
    else:
        x = rect.x()
    if f & _V_CENTRE:
        y = rect.y() + (rect.height() - h) / 2
    elif f & _BOTTOM:
        y = rect.y() + rect.height() - h
    else:
        y = rect.y()
    p.setFont(_font(*fs))
    p.drawStaticText(QPointF(x, y), st)


def pen(colour: QColor, width: float = 1.0, style=Qt.PenStyle.SolidLine, cap=Qt.PenCapStyle.SquareCap) -> QPen:
    """A pen made once per (colour, width, style, cap); QPainter copies it, so it is never changed."""
    key = (colour.rgba(), width, style, cap)
    made = _pens.get(key)
    if made is None:
        if len(_pens) > 512:
            _pens.clear()
        made = _pens[key] = QPen(colour, width, style, cap)
    return made


def piece(p: QPainter, key: tuple, rect: QRectF, margin: float, draw: Callable[[QPainter], None],
          large: bool = False) -> None:
    """What `draw(p)` paints within `rect` (grown by `margin` on every side), copied from a pixmap
    made at the first call with this `key` and this size; `draw` paints in the same coordinates.

    The pixmap has the painter's scale (presenter zoom, screen pixel ratio) and starts on a whole
    device pixel, so the copy is pixel for pixel what `draw` would have painted there. `large`
    pieces (up to a megabyte each) are kept in a smaller cache of their own."""
    t = p.transform()
    ratio = p.device().devicePixelRatioF()
    scale = t.m11() * ratio                     # device pixels per unit (no rotation on the canvas)
    # Whole device pixels at the left and top, so the copy lands on the grid it was drawn for.
    x0 = (math.floor(((rect.x() - margin) * t.m11() + t.dx()) * ratio) / ratio - t.dx()) / t.m11()
    y0 = (math.floor(((rect.y() - margin) * t.m22() + t.dy()) * ratio) / ratio - t.dy()) / t.m22()
    dx, dy = rect.x() - x0, rect.y() - y0
    full = (key, round(rect.width(), 2), round(rect.height(), 2), round(dx * scale, 2), round(dy * scale, 2),
            round(scale, 3))
    cache, limit = (_large, MAX_LARGE) if large else (_pieces, MAX_PIECES)
    pm = cache.get(full)
    if pm is None:
        pm = QPixmap(math.ceil((rect.width() + dx + margin) * scale) + 1,
                     math.ceil((rect.height() + dy + margin) * scale) + 1)
        pm.setDevicePixelRatio(scale)
        pm.fill(CLEAR_COLOUR)
        q = QPainter(pm)
        q.setRenderHints(p.renderHints())
        q.translate(-x0, -y0)
        draw(q)
        q.end()
        cache[full] = pm
        if len(cache) > limit:
            cache.popitem(last=False)
    else:
        cache.move_to_end(full)
    p.drawPixmap(QPointF(x0, y0), pm)


def generation() -> int:
    return _generation[0]


def clear() -> None:
    """Forget everything (a theme change makes old pixmaps wrong)."""
    _generation[0] += 1
    _texts.clear()
    _advances.clear()
    _pens.clear()
    _metrics.clear()
    _pieces.clear()
    _large.clear()
