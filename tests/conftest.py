"""Top-level test set-up: Qt renders into memory, so no display is needed.

Set before any test module imports PySide6; an explicit QT_QPA_PLATFORM
(e.g. xcb under xvfb-run) wins.
"""

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Lesson progress (and anything else kept in the user's data folder) goes to a throw-away folder:
# tests never touch the real user's files.
os.environ["KAFKA_PLAYGROUND_DATA_DIR"] = tempfile.mkdtemp(prefix="kafka-playground-test-data-")
