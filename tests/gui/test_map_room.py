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
