"""High-DPI: at devicePixelRatio 2 (QT_SCALE_FACTOR=2, offscreen) the screenshot has twice the
pixels in each direction, drawn at that resolution — not the normal picture scaled up (blurry)
or pixel-doubled — and nothing is cut off at the right or bottom."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[2]


def _render(out: Path, scale: int) -> QImage:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_SCALE_FACTOR=str(scale))
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([sys.executable, "-m", "playground.cli", "screenshot", str(out)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return QImage(str(out))


def _gray(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_Grayscale8)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, :image.width()].astype(int)


def _strong_edges(g: np.ndarray) -> int:
    """Neighbouring pixels that jump by more than half the range: crisp text and line edges."""
    return int((np.abs(np.diff(g, axis=1)) > 128).sum() + (np.abs(np.diff(g, axis=0)) > 128).sum())


def test_screenshot_at_device_pixel_ratio_2_is_sharp_and_whole(tmp_path):
    normal = _gray(_render(tmp_path / "1x.png", 1))
    double = _gray(_render(tmp_path / "2x.png", 2))
    assert double.shape == (2 * normal.shape[0], 2 * normal.shape[1])      # 1600x1000 -> 3200x2000
    # Edges twice as long, still one pixel sharp: a scaled-up picture has far fewer such jumps.
    assert _strong_edges(double) >= 1.6 * _strong_edges(normal)
    # Not pixel-doubled: within aligned 2x2 blocks, pixels differ where the detail is finer.
    blocks = double.reshape(normal.shape[0], 2, normal.shape[1], 2)
    assert (blocks.max(axis=(1, 3)) - blocks.min(axis=(1, 3)) > 40).mean() > 0.03
    # Whole: the right and bottom edges hold as much drawing as at 1x (the status bar, the panels).
    for edge_2x, edge_1x in ((double[-60:], normal[-30:]), (double[:, -200:], normal[:, -100:])):
        assert _strong_edges(edge_2x) >= 1.4 * _strong_edges(edge_1x) > 0
