"""Shared GUI fixtures: a shown window, and one with the small test corpus opened; every GUI
test fails when Qt reports a failed call of a Python override (``override_guard``)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from embexplorer.gui.main_window import MainWindow
from tests.files import write_csv
from tests.gui.override_guard import pytest_runtest_makereport  # noqa: F401 (a pytest hook)

TIMEOUT = 60_000


@pytest.fixture(autouse=True)
def _pca_unless_asked(monkeypatch, request):
    """GUI tests analyse with PCA (instant) unless marked ``auto_layout``: the automatic UMAP
    of a first start is tested where it is the subject, not waited for by every test."""
    if request.node.get_closest_marker("auto_layout") is None:
        from embexplorer.gui import analysis_session

        fast = analysis_session.DEFAULT_PARAMS.replace(projection="pca")
        monkeypatch.setattr(analysis_session, "DEFAULT_PARAMS", fast)


@pytest.fixture(autouse=True)
def _gui_thread_collector(request, qapp):
    """Cycles are collected on the GUI thread, as in the app (gui/app.py starts a
    GuiThreadCollector): without it a worker's allocation ran the collector on the worker,
    which destroyed Qt objects there; ``QObject::~QObject`` waited for a Qt lock the GUI thread
    held while that waited for the GIL, and a test froze for good under Xvfb (gdb showed both
    threads). test_collector tests the collector itself."""
    if request.module.__name__.endswith("test_collector"):
        yield
        return
    from embexplorer.gui.collector import GuiThreadCollector

    collector = GuiThreadCollector(qapp)
    yield
    collector.stop()


@pytest.fixture
def opened_window(qtbot, tmp_path, small_corpus_data):
    """The main window, shown, with the 30-row test corpus opened and fully analysed."""
    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    path = write_csv(tmp_path / "corpus.csv", small_corpus_data)
    with qtbot.waitSignal(window.document.pipeline_finished, timeout=TIMEOUT):
        window.open_path(path)
    yield window
    window.close()
