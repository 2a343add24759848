"""Applying a theme and presenter mode to the running application.

`qt_theme.apply_palette` changes the colours every painter reads; this module carries the
change to Qt's own widgets: the application palette (Fusion style draws from it), the
application font, and the fonts that panels set explicitly — scaled from the size each was
first given, so switching presenter mode off gives exactly the old sizes back.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QToolTip, QWidget

from .qt_theme import COLORS, font, is_dark

BASE_FONT_PT = "base_font_pt"       # a widget property: its font size before any scaling


def qt_palette() -> QPalette:
    """Qt's palette from the current colours: windows, fields, buttons, selection, tooltips."""
    c = COLORS
    window = QColor(c["background"]).darker(108) if not is_dark() else QColor(c["background"]).lighter(125)
    field = QColor(c["background"])
    alternate = QColor(c["column"])
    pal = QPalette()
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    for g in (group.Active, group.Inactive):
        pal.setColor(g, role.Window, window)
        pal.setColor(g, role.WindowText, c["text"])
        pal.setColor(g, role.Base, field)
        pal.setColor(g, role.AlternateBase, alternate)
        pal.setColor(g, role.Text, c["text"])
        pal.setColor(g, role.Button, window)
        pal.setColor(g, role.ButtonText, c["text"])
        pal.setColor(g, role.BrightText, c["error"])
        pal.setColor(g, role.Highlight, c["selected"])
        pal.setColor(g, role.HighlightedText, c["on_dark"])
        pal.setColor(g, role.ToolTipBase, field)
        pal.setColor(g, role.ToolTipText, c["text"])
        pal.setColor(g, role.PlaceholderText, c["faint_text"])
        pal.setColor(g, role.Link, c["selected"])
        pal.setColor(g, role.Light, window.lighter(150))
        pal.setColor(g, role.Midlight, window.lighter(115))
        pal.setColor(g, role.Mid, c["faint"])
        pal.setColor(g, role.Dark, window.darker(160))
        pal.setColor(g, role.Shadow, window.darker(300))
    for r in (role.WindowText, role.Text, role.ButtonText):
        pal.setColor(group.Disabled, r, c["faint_text"])
    for r in (role.Window, role.Button):
        pal.setColor(group.Disabled, r, window)
    pal.setColor(group.Disabled, role.Base, window)
    return pal


def apply_to_application(app: QApplication, scale: float) -> None:
    """The palette, and the default font at `scale` times the size it had before any scaling."""
    pal = qt_palette()
    app.setPalette(pal)
    QToolTip.setPalette(pal)
    base = app.property(BASE_FONT_PT)
    if base is None:
        base = app.font().pointSizeF()
        app.setProperty(BASE_FONT_PT, base)
    f = app.font()
    f.setPointSizeF(float(base) * scale)
    app.setFont(f)
    QToolTip.setFont(f)


def scale_fonts(root: QWidget, scale: float) -> None:
    """Every widget under `root` that set its own font gets `scale` times its first size.

    Widgets that follow the application font need nothing (it is scaled already); the charts
    scale their own labels and pyqtgraph's tick fonts (`ChartBase.apply_appearance`).
    """
    for w in [root, *root.findChildren(QWidget)]:
        if w.property("scaled_by_chart") or not w.testAttribute(Qt.WidgetAttribute.WA_SetFont):
            continue
        base = w.property(BASE_FONT_PT)
        if base is None:
            base = w.font().pointSizeF()
            if base <= 0:
                continue
            w.setProperty(BASE_FONT_PT, base)
        f = w.font()
        f.setPointSizeF(float(base) * scale)
        w.setFont(f)


def set_base_font(widget: QWidget, points: int, scale: float, bold: bool = False) -> None:
    """Give a widget made after a scaling (a dialog) its font at the current scale, remembering its base."""
    widget.setProperty(BASE_FONT_PT, float(points))
    f = font(points, bold=bold)
    f.setPointSizeF(points * scale)
    widget.setFont(f)
