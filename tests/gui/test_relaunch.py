"""Quit with each dock (and each Analysis tab) in front, then start the app again from those
settings, as a user does the next morning.

The start runs ``embexplorer CORPUS --screenshot`` in a subprocess with ``XDG_CONFIG_HOME`` on
the saved settings, so a crash (the Analysis dock once crashed every launch, 2 s in) fails the
test instead of the test run. Under Qt's offscreen platform these run too; .ci/run runs them
again on a real X display (xvfb-run), where painting differs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QDockWidget

from embexplorer.gui.main_window import MainWindow
from tests.files import write_csv
from tests.gui.override_guard import override_errors

DOCKS = [
    "Dataset",
    "Encoder",
    "Analysis",
    "Embeddings",
    "Neighbours",
    "Compare",
    "Stability",
    "Charts",
    "Search by meaning",
]
ANALYSIS_TABS = ["Settings", "Hubness", "Clusters", "Reductions"]
#: (dock in front, Analysis tab in front)
CASES = [(dock, "Hubness") for dock in DOCKS if dock != "Analysis"] + [
    ("Analysis", tab) for tab in ANALYSIS_TABS
]


def _settings_in(config: Path) -> QSettings:
    """The settings file ``embexplorer`` reads when XDG_CONFIG_HOME is ``config``."""
    path = config / "embexplorer" / "embexplorer.ini"
    return QSettings(str(path), QSettings.Format.IniFormat)


def _docks(window: MainWindow) -> dict[str, QDockWidget]:
    return {dock.windowTitle(): dock for dock in window.findChildren(QDockWidget)}


def _shown_window(qtbot, settings: QSettings) -> MainWindow:
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def _in_front(window: MainWindow) -> tuple[set[str], str]:
    tabs = window.analysis_panel.result_tabs
    shown = {t for t, d in _docks(window).items() if not d.visibleRegion().isEmpty()}
    return shown, tabs.tabText(tabs.currentIndex())


def _quit_with_in_front(qtbot, config: Path, dock: str, tab: str) -> set[str]:
    """Show the window, bring ``dock`` and ``tab`` to the front, quit; the docks shown."""
    window = _shown_window(qtbot, _settings_in(config))
    _docks(window)[dock].raise_()
    tabs = window.analysis_panel.result_tabs
    tabs.setCurrentIndex(ANALYSIS_TABS.index(tab))
    qtbot.waitUntil(lambda: dock in _in_front(window)[0])
    shown = _in_front(window)[0]
    window.close()
    return shown


#: Each start's outcome by the saved settings file's bytes: raising a dock that is not
#: tabified (Neighbours) saves the same bytes as the default, and a start from the same bytes
#: would repeat one already made (each start costs about 2 s).
_STARTS: dict[bytes, tuple[subprocess.CompletedProcess, bool]] = {}


def _start_app(corpus: Path, shot: Path, config: Path) -> tuple[subprocess.CompletedProcess, bool]:
    """The outcome of ``embexplorer CORPUS --screenshot SHOT``, and whether SHOT is an image."""
    saved = (config / "embexplorer" / "embexplorer.ini").read_bytes()
    if saved not in _STARTS:
        env = {**os.environ, "XDG_CONFIG_HOME": str(config)}  # keeps the tests' Qt platform
        done = subprocess.run(
            [sys.executable, "-m", "embexplorer", str(corpus), "--screenshot", str(shot)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        _STARTS[saved] = (done, not QImage(str(shot)).isNull())
    return _STARTS[saved]


def test_the_cases_cover_every_dock_and_analysis_tab(qtbot, tmp_path):
    window = _shown_window(qtbot, _settings_in(tmp_path))
    tabs = window.analysis_panel.result_tabs
    assert sorted(_docks(window)) == sorted(DOCKS)
    assert [tabs.tabText(i) for i in range(tabs.count())] == ANALYSIS_TABS
    window.close()


@pytest.mark.parametrize(("dock", "tab"), CASES)
def test_the_app_starts_again_with_a_dock_in_front(qtbot, tmp_path, small_corpus_data, dock, tab):
    config = tmp_path / "config"
    shown = _quit_with_in_front(qtbot, config, dock, tab)
    again = _shown_window(qtbot, _settings_in(config))
    assert _in_front(again) == (shown, tab)  # the saved layout is the one restored
    assert again.settings_note == ""
    again.close()

    corpus = write_csv(tmp_path / "corpus.csv", small_corpus_data)
    done, drawn = _start_app(corpus, tmp_path / "shot.png", config)
    assert done.returncode == 0, done.stderr[-3000:]
    assert not override_errors(done.stderr), done.stderr[-3000:]
    assert drawn
