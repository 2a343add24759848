"""A real window under a real X server (Xvfb): `kafka-playground screenshot` with the xcb platform
reads back what the X server shows, and the picture must not be blank.

Runs when CI=true (where `.ci/run` installs xvfb, and a missing xvfb-run fails the test) or
PLAYGROUND_XVFB=1; skipped elsewhere, since it needs xvfb-run and Qt's xcb libraries.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

WANTED = os.environ.get("CI", "").lower() == "true" or os.environ.get("PLAYGROUND_XVFB") == "1"


@pytest.mark.skipif(not WANTED, reason="real X server test: set PLAYGROUND_XVFB=1 (always on in CI)")
def test_the_window_under_xvfb_is_not_blank(tmp_path):
    xvfb_run = shutil.which("xvfb-run")
    assert xvfb_run, "xvfb-run is missing: scripts/setup.sh installs it with PLAYGROUND_APT_EXTRA=xvfb (see .ci/run)"
    out = tmp_path / "xvfb.png"
    env = dict(os.environ, QT_QPA_PLATFORM="xcb")
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2]) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([xvfb_run, "-a", "-s", "-screen 0 1920x1200x24", sys.executable, "-m", "playground.cli",
                           "screenshot", "--width", "1600", "--height", "1000", str(out)],
                          env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    from PySide6.QtGui import QImage
    image = QImage(str(out))
    assert not image.isNull() and image.width() >= 1600 and image.height() >= 1000
    small = image.scaled(400, 250)          # enough to tell a painted window from an empty one
    colours = Counter(small.pixel(x, y) for x in range(small.width()) for y in range(small.height()))
    assert len(colours) > 200, f"only {len(colours)} colours: the window looks blank"
    assert colours.most_common(1)[0][1] < 0.8 * small.width() * small.height()
