"""Top-level test set-up: Qt renders into memory, so no display is needed.

Set before any test module imports PySide6; an explicit QT_QPA_PLATFORM
(e.g. xcb under xvfb-run) wins.
"""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
