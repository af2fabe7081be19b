"""core/ must never import Qt: it runs in the CLI and in batch jobs without a display."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import embexplorer.core


def test_core_imports_no_qt():
    modules = [
        m.name for m in pkgutil.walk_packages(embexplorer.core.__path__, "embexplorer.core.")
    ]
    assert "embexplorer.core.io.delimited" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'pyqtgraph', 'PyQt5', 'PyQt6', 'shiboken6'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"core imported Qt: {out.stdout}"


def test_import_linter_contract_passes():
    """The same rule as an import-linter contract (pyproject.toml), as napari does it."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    script = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(script), "--no-cache"], cwd=root, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
