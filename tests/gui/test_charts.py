"""The metadata charts filter the map and the table (cross-filtering), filters combine and
clear, and every chart shows the selection's share."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt

from tests.gui.invariants import window_problems

TIMEOUT = 60_000


def _charts(qtbot, window):
    panel = window.charts_panel
    qtbot.waitUntil(lambda: {"label", "score"} <= set(panel.views), timeout=TIMEOUT)
    return panel, panel.views["label"], panel.views["score"]


def _bar_heights(view, which: int) -> np.ndarray:
    opts = view._bars[which].opts
    return np.asarray(opts["width"] if view.chart.kind == "categorical" else opts["height"])


def test_a_click_on_a_bar_filters_the_map_and_the_table(qtbot, opened_window):
    window, doc = opened_window, opened_window.document
    panel, labels, score = _charts(qtbot, window)
    assert labels.chart.kind == "categorical" and score.chart.kind == "numeric"
    assert "text" not in panel.views  # every text differs: no chart
    assert list(labels.chart.labels) == ["alpha", "beta", "gamma"]
    # a real click on the "beta" bar
    bar = labels.chart.labels.index("beta")
    scene = labels.plot_item.vb.mapViewToScene(QPointF(5.0, bar))
    with qtbot.waitSignal(doc.filters_changed, timeout=5000):
        qtbot.mouseClick(
            labels.viewport(), Qt.MouseButton.LeftButton, pos=labels.mapFromScene(scene)
        )
    beta = np.asarray(doc.corpus.columns["label"]) == "beta"
    assert np.array_equal(doc.filter_mask, beta)
    assert np.array_equal(window.plot_panel.view._selected, beta)  # the others faded
    assert window.dataset_panel.model.rowCount() == 10
    assert "label is beta" in panel.header.text() and "10 of 30 rows" in panel.header.text()
    assert _bar_heights(score, 1).sum() == 10  # the rows that pass, in every chart
    assert window_problems(window) == []


def test_filters_combine_show_the_selection_and_clear(qtbot, opened_window):
    window, doc = opened_window, opened_window.document
    panel, labels, score = _charts(qtbot, window)
    values = np.asarray(doc.corpus.columns["score"], dtype=float)
    with qtbot.waitSignal(doc.filters_changed, timeout=5000):
        labels.category_clicked.emit("label", "alpha", Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(doc.filters_changed, timeout=5000):
        labels.category_clicked.emit("label", "gamma", Qt.KeyboardModifier.ControlModifier)
    with qtbot.waitSignal(doc.filters_changed, timeout=5000):
        score.range_chosen.emit("score", (0.2, 0.9))
    label = np.asarray(doc.corpus.columns["label"])
    want = np.isin(label, ["alpha", "gamma"]) & (values >= 0.2) & (values <= 0.9)
    assert np.array_equal(doc.filter_mask, want) and 0 < want.sum() < 20
    assert window.dataset_panel.model.rowCount() == want.sum()
    assert score.region.getRegion() == (0.2, 0.9)
    # the selection's share is drawn in each chart
    doc.selection.apply(np.array([0, 1, 2, 25]))
    assert list(_bar_heights(labels, 2)) == [3, 0, 1]
    expected = np.histogram(values[[0, 1, 2, 25]], score.chart.edges)[0]
    assert np.array_equal(_bar_heights(score, 2), expected)
    assert window_problems(window) == []
    with qtbot.waitSignal(doc.filters_changed, timeout=5000):
        panel.clear_button.click()
    assert doc.filter_mask is None and not doc.filters
    assert window.dataset_panel.model.rowCount() == 30
    edges = score.chart.edges
    assert score.region.getRegion() == (edges[0], edges[-1])
    assert panel.header.text() == "No filter: every row is shown."
    assert window_problems(window) == []


def test_charts_are_made_one_per_event_and_drawn_with_the_filters_given_before(qtbot):
    """A dozen charts are made over a dozen passes of the event loop (each ~20 ms), and the
    ones made after show_state draw that state."""
    from embexplorer.core.state.filters import ColumnFilter, Filters, column_charts
    from embexplorer.gui.charts_panel import ChartsPanel

    rng = np.random.default_rng(0)
    n = 400
    columns = {
        f"c{i}": np.array(["a", "b", "c"], dtype=object)[rng.integers(0, 3, n)] for i in range(12)
    }
    charts = column_charts(columns)
    panel = ChartsPanel()
    qtbot.addWidget(panel)
    panel.set_charts(charts)
    assert panel.building and len(panel.views) < len(charts)  # nothing made in this call
    passing = np.asarray(columns["c0"]) == "b"
    filters = Filters().with_filter(ColumnFilter("c0", values=frozenset({"b"})))
    panel.show_state(filters, passing, None, n)
    with qtbot.waitSignal(panel.charts_built, timeout=10_000):
        pass
    assert not panel.building and list(panel.views) == [c.column for c in charts]
    for name, view in panel.views.items():
        labels = list(view.chart.labels)
        want = [np.count_nonzero((np.asarray(columns[name]) == x) & passing) for x in labels]
        assert list(_bar_heights(view, 1)) == want, name
    panel.set_charts([])  # a new corpus before the last were made: nothing stale is built
    assert not panel.building and panel.views == {}
