"""Rules that keep the engine a pure, deterministic library.

The import-linter contract in pyproject.toml checks the import graph
statically; these tests check what really gets imported at run time, what
the source calls, and that files stay small enough to read.
"""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "playground"
PURE_PACKAGES = ["playground.engine", "playground.scenario", "playground.tools"]
# Packages that may read the wall clock (a workspace notes when it was saved) but never import Qt.
QT_FREE_PACKAGES = PURE_PACKAGES + ["playground.storage", "playground.wire", "playground.lessons"]
MAX_LINES = 600

# Wall-clock time and the process-wide random generator make two runs with the
# same seed differ: the engine uses its virtual clock and a seeded random.Random.
FORBIDDEN_CALLS = {
    "time": {"time", "time_ns", "sleep", "monotonic", "monotonic_ns"},
    "datetime": {"now", "utcnow"},
    "datetime.datetime": {"now", "utcnow"},
    "random": {"random", "randint", "choice", "shuffle", "uniform"},
}


def _existing(packages: list[str]) -> list[str]:
    return [name for name in packages if importlib.util.find_spec(name) is not None]


def _forbidden_call(node: ast.AST) -> str | None:
    """`time.sleep(...)`, `datetime.now(...)`, `datetime.datetime.now(...)`, ..."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    name = ast.unparse(node.func.value)  # "time", "datetime.datetime", "self.rng", ...
    if node.func.attr in FORBIDDEN_CALLS.get(name, ()):
        return f"{name}.{node.func.attr}("
    return None


def test_engine_and_scenario_import_no_qt() -> None:
    """Importing every module of the pure packages (and storage) loads no Qt and no UI."""
    packages = _existing(QT_FREE_PACKAGES)
    assert "playground.engine" in packages
    code = (
        "import importlib, pkgutil, sys\n"
        f"for name in {packages!r}:\n"
        "    package = importlib.import_module(name)\n"
        "    for info in pkgutil.walk_packages(package.__path__, name + '.'):\n"
        "        if not info.name.endswith('__main__'):\n"
        "            importlib.import_module(info.name)\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'playground.ui'))]\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_engine_and_scenario_use_no_wall_clock_or_global_random() -> None:
    offences = []
    for name in _existing(PURE_PACKAGES):
        for path in sorted(ROOT.joinpath(*name.split(".")).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                call = _forbidden_call(node)
                if call:
                    offences.append(f"{path.relative_to(ROOT)}:{node.lineno}: {call}...)")
    assert not offences, "non-deterministic calls:\n" + "\n".join(sorted(offences))


def test_no_source_file_is_too_long() -> None:
    too_long = []
    for path in sorted(PACKAGE.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        try:
            count = len(path.read_text(encoding="utf-8").splitlines())
        except UnicodeDecodeError:  # images and other binary assets
            continue
        if count > MAX_LINES:
            too_long.append(f"{path.relative_to(ROOT)}: {count} lines")
    assert not too_long, f"files over {MAX_LINES} lines:\n" + "\n".join(too_long)
