"""The map gets the room: the search band is one line until a search shows its list."""

from __future__ import annotations

import numpy as np

from embexplorer.core.analysis.query import QueryResult


def test_the_search_band_unfolds_for_a_result_and_folds_on_clear(qtbot, opened_window):
    window = opened_window
    panel, dock = window.query_panel, window.query_dock
    central = window.centralWidget()
    assert not panel.table.isVisibleTo(panel)
    folded_height, map_height = dock.height(), central.height()
    assert folded_height < 120  # one line: the field and its buttons
    result = QueryResult("rivers", np.array([3, 1, 2]), np.array([0.1, 0.2, 0.3]), "cosine", None)
    with qtbot.waitSignal(panel.unfolded, timeout=5000) as unfolded:
        panel.show_result(result, window.document.corpus)
    assert unfolded.args == [True] and panel.table.isVisibleTo(panel)
    qtbot.waitUntil(lambda: dock.height() > folded_height + 100, timeout=5000)
    assert central.height() < map_height
    with qtbot.waitSignal(panel.unfolded, timeout=5000) as folded:
        panel.clear()
    assert folded.args == [False] and not panel.table.isVisibleTo(panel)
    qtbot.waitUntil(lambda: dock.height() < 120, timeout=5000)
    assert central.height() >= map_height  # the map has its room back


def test_the_whole_window_fits_a_1280_by_800_screen_and_the_map_gets_about_half(
    qtbot, tmp_path, small_corpus_data, monkeypatch
):
    """Issue 11: at a first start on a 1280 × 800 laptop screen the window fits (no dock's
    minimum widens it past the screen), the map takes about half its width (the legend
    floats over the map's corner instead of taking a column), and the legend stays inside it."""
    from PySide6.QtCore import QSettings, QSize

    from embexplorer.gui import main_window
    from tests.files import write_csv
    from tests.gui.conftest import TIMEOUT

    size = main_window.first_size(QSize(1280, 800))
    assert (size.width(), size.height()) == (1240, 760)
    assert main_window.first_size(QSize(2560, 1440)) == QSize(1600, 960)
    monkeypatch.setattr(main_window, "first_size", lambda available: size)
    window = main_window.MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitSignal(window.document.pipeline_finished, timeout=TIMEOUT):
        window.open_path(write_csv(tmp_path / "corpus.csv", small_corpus_data))
    assert window.minimumSizeHint().width() <= size.width()
    assert window.width() == size.width()
    view, legend = window.plot_panel.view, window.plot_panel.legend
    assert view.width() >= 0.45 * window.width()  # it was 0.19
    assert legend.isVisible() and legend.parentWidget() is view
    qtbot.waitUntil(lambda: legend.geometry().right() < view.width())
    assert legend.geometry().top() >= 0 and legend.geometry().bottom() < view.height()
    # no panel scrolls: the Analysis panel (settings now a tab beside the results) fits its dock
    window.analysis_dock.raise_()
    panel = window.analysis_panel
    qtbot.waitUntil(lambda: panel.isVisible())
    assert window.analysis_dock.widget() is panel  # not inside a scroll area
    assert panel.minimumSizeHint().height() <= panel.height()
    assert panel.minimumSizeHint().width() <= panel.width()
    window.close()
