"""Work around a reference-count bug of PySide6 6.12 on CPython 3.11.

In that combination every PySide6 method that returns nothing (`update()`,
`setFont()`, `QTimer.start()`, ...) gives back `None` without taking a
reference to it, and `Signal.emit()` does the same with `True`: each call
drops one reference. `None` starts with a few thousand, and after that many
calls CPython aborts with "Fatal Python error: none_dealloc: deallocating
None" (or bool_dealloc): the canvas makes hundreds of such calls per frame,
so the window died within a second.

CPython 3.12 made these singletons immortal (PEP 683) and is not affected.
On older versions we do the same by hand: give `None`, `True` and `False`
so many references that no run can use them up. Remove this when the project requires Python >= 3.12
or PySide6 fixes the binding.
"""

from __future__ import annotations

import ctypes
import sys

_PLENTY = 1 << 60


def keep_none_alive() -> None:
    if sys.version_info >= (3, 12) or hasattr(sys, "pypy_version_info"):
        return
    for singleton in (None, True, False):
        # ob_refcnt is the first field of every CPython object (Py_ssize_t).
        refcount = ctypes.c_ssize_t.from_address(id(singleton))
        if refcount.value < _PLENTY:
            refcount.value += _PLENTY
