"""The guard that fails a GUI test when Qt reports a failed Python override really fires."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.gui.override_guard import OVERRIDE_ERROR, override_errors

ROOT = Path(__file__).resolve().parents[2]

SHADOWED_METRIC = """
from PySide6.QtWidgets import QApplication, QComboBox, QVBoxLayout, QWidget

class Panel(QWidget):  # the bug of issue 9: a combo box named like QWidget.metric()
    def __init__(self):
        super().__init__()
        self.metric = QComboBox()
        QVBoxLayout(self).addWidget(self.metric)

app = QApplication([])
panel = Panel()
panel.show()
app.processEvents()  # paints: Qt asks panel.metric(...) for the device's metrics
"""


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def test_shiboken_prints_what_the_guard_looks_for(tmp_path):
    script = tmp_path / "shadowed.py"
    script.write_text(SHADOWED_METRIC)
    done = _run([str(script)], tmp_path)  # it may go on, or die with SIGSEGV later
    errors = override_errors(done.stderr)
    assert errors and "QWidget::metric()" in errors[0], done.stderr


def test_a_passing_test_that_printed_the_error_fails(tmp_path):
    (tmp_path / "test_inner.py").write_text(
        textwrap.dedent(
            f"""
            import os

            def test_prints_it():
                os.write(2, b"{OVERRIDE_ERROR} of QWidget::metric(): TypeError: not callable\\n")

            def test_clean():
                os.write(2, b"an ordinary warning\\n")
            """
        )
    )
    done = _run(
        ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.gui.override_guard"],
        tmp_path,
    )
    assert done.returncode == 1, done.stdout
    assert "1 failed, 1 passed" in done.stdout
    assert "Qt called a Python override that failed during call" in done.stdout
    assert "FAILED test_inner.py::test_prints_it" in done.stdout
