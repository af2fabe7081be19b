"""The analysis in the window: click a point, see its neighbours as a list and as lines; hubs,
clusters, hubness reduction, colouring by the analysis columns."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from sklearn.neighbors import NearestNeighbors

from embexplorer.core.analysis.analysis_columns import N_K, PRESERVATION

TIMEOUT = 60_000


@pytest.fixture
def window(opened_window):
    return opened_window


def _apply(qtbot, window, **changes):
    params = window.document.analysis.params.replace(**changes)
    with qtbot.waitSignal(window.document.analysis.finished, timeout=TIMEOUT):
        window.document.analysis.set_params(params)


def _click(qtbot, window, row):
    view = window.plot_panel.view
    x, y = view.index.coords[row]
    scene = view.view_box.mapViewToScene(QPointF(float(x), float(y)))
    assert view.row_at(scene) == row, "another point is drawn on top of this one"
    pos = view.mapFromScene(scene)
    with qtbot.waitSignal(window.document.analysis.inspected, timeout=TIMEOUT):
        qtbot.mouseClick(
            view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(round(pos.x()), round(pos.y()))
        )


def _visible_row(window):
    view = window.plot_panel.view
    for row in range(len(view.index)):
        x, y = view.index.coords[row]
        if view.row_at(view.view_box.mapViewToScene(QPointF(float(x), float(y)))) == row:
            return row
    raise AssertionError("no clickable point")


def test_click_shows_exact_neighbours_as_list_and_lines(qtbot, window, small_corpus_data):
    row = _visible_row(window)
    _click(qtbot, window, row)
    shown, _ = window.neighbors_panel.shown_rows()
    reference = NearestNeighbors(n_neighbors=10, metric="cosine", algorithm="brute").fit(
        small_corpus_data["vectors"].astype(np.float64)
    )
    _, expected = reference.kneighbors(
        small_corpus_data["vectors"][[row]].astype(np.float64), n_neighbors=11
    )
    assert shown == [r for r in expected[0] if r != row][:10]
    coords = window.plot_panel.view.index.coords
    overlay = window.plot_panel.view.neighbor_overlay
    np.testing.assert_allclose(overlay.targets(), coords[shown])
    x, _ = overlay.lines.getData()
    assert len(x) == 20 and np.allclose(x[0::2], coords[row, 0])  # 10 lines from the point
    assert window.neighbors_panel.raw.rowCount() == 10


def test_k_up_to_1000_for_the_inspected_point(qtbot, window):
    window.document.set_focus(3)
    with qtbot.waitSignal(window.document.analysis.inspected, timeout=TIMEOUT):
        window.neighbors_panel.k.setValue(1000)
        window.neighbors_panel.k.editingFinished.emit()
    assert window.neighbors_panel.raw.rowCount() == 29  # every other row of the 30


def test_changing_k_keeps_the_map(qtbot, window):
    coords_before = window.plot_panel.view.index
    _apply(qtbot, window, k=4)
    result = window.document.analysis.result
    assert result.hubness.k == 4
    assert "projection" not in result.recomputed
    assert window.plot_panel.view.index is coords_before
    assert "k = 4" in window.analysis_panel.summary.text()


def test_hubness_reduction_list_beside_the_raw_one(qtbot, window):
    _apply(qtbot, window, reduction="csls", k=5)
    window.document.set_focus(0)
    qtbot.waitUntil(lambda: window.neighbors_panel.reduced.rowCount() == 5, timeout=TIMEOUT)
    result = window.document.analysis.result
    assert "after CSLS, exact: over every row" in window.analysis_panel.summary.text()
    expected = result.reduction.neighbors.indices[0].tolist()
    assert window.neighbors_panel.shown_rows()[1] == expected
    assert len(window.plot_panel.view.reduced_overlay.targets()) == 5


def test_the_reductions_table_compares_every_method_with_accuracy(qtbot, window):
    """Computed on the worker after the rest (its own job), shown in the Reductions tab: one
    row per method with skewness, antihubs, hubs, k-NN accuracy by the label column."""
    result = window.document.analysis.result
    table = result.comparison
    assert table is not None and table.label_column == "label"
    view = window.analysis_panel.reduction_table
    assert view.methods.rowCount() == len(table.rows) == 8
    cells = [view.methods.item(0, c).text() for c in range(view.methods.columnCount())]
    raw = table.rows[0]
    assert cells[:5] == [
        "none (raw k-NN)",
        f"{raw['skewness']:.3f}",
        f"{raw['n_antihubs']:,}",
        f"{raw['n_hubs']:,}",
        f"{raw['accuracy']:.3f}",
    ]
    assert view.methods.item(1, 0).text() == "mutual proximity (Gaussian)"
    assert view.methods.item(1, 5).text() == "every row (exact)"
    assert "majority vote" in view.caption.text() and "<b>label</b>" in view.caption.text()
    assert "k-NN accuracy (label)" in window.analysis_panel.summary.text()
    # unticked: the table's job is not run and the tab says how to get it
    _apply(qtbot, window, compare_reductions=False, k=4)
    assert window.document.analysis.result.comparison is None
    assert "Tick “Compare reductions”" in view.caption.text() and view.methods.rowCount() == 0


def test_another_label_column_measures_the_accuracy_again(qtbot, window):
    assert window.document.analysis.result.comparison.label_column == "label"
    with qtbot.waitSignal(window.document.analysis.finished, timeout=TIMEOUT):
        window.document.set_label_column(None)
    table = window.document.analysis.result.comparison
    assert table.label_column is None and all(row["accuracy"] is None for row in table.rows)
    assert "k-NN accuracy" not in window.analysis_panel.summary.text()
    assert "needs a label column" in window.analysis_panel.reduction_table.caption.text()


def test_colour_and_size_by_k_occurrence_and_mark_hubs(qtbot, window):
    combo = window.plot_panel.color_combo
    assert combo.findText(N_K) >= 0 and combo.findText(PRESERVATION) >= 0
    with qtbot.waitSignal(window.document.colors_changed, timeout=TIMEOUT):
        combo.setCurrentText(N_K)
        combo.activated.emit(combo.currentIndex())
    assert window.plot_panel.view.colors.kind in ("numeric", "categorical")
    hub = window.document.analysis.result.hubness
    window.plot_panel.mark_hubs.setChecked(True)
    assert window.plot_panel.view.hub_overlay.counts() == (
        int(hub.hubs.sum()),
        int(hub.antihubs.sum()),
    )
    window.plot_panel.size_by_nk.setChecked(True)
    sizes = window.plot_panel.view._markers.point_px
    assert sizes.max() > sizes.min()  # bigger markers for frequent neighbours


def test_cluster_labels_and_list(qtbot, window):
    _apply(qtbot, window, clusters="kmeans:3")
    clusters = window.document.analysis.result.clusters
    assert sorted(clusters.sizes.values()) == [10, 10, 10]
    assert window.analysis_panel.cluster_list.rowCount() == 3
    labels = window.plot_panel.view.cluster_labels.visible_texts()
    assert labels and all(any(w in t for w in ("alpha", "beta", "gamma")) for t in labels)
    window.analysis_panel.cluster_list.selectRow(0)


def test_cluster_labels_stay_inside_the_plot(qtbot, window):
    _apply(qtbot, window, clusters="kmeans:3")
    view = window.plot_panel.view
    labels = view.cluster_labels
    centre = labels.centres[0]
    (x0, x1), (y0, y1) = view.view_box.viewRange()
    # put the first cluster's centre just inside the left edge: its label would stick out
    width = x1 - x0
    view.view_box.setRange(
        xRange=(centre.x() - 0.01 * width, centre.x() + 0.99 * width),
        yRange=(y0, y1),
        padding=0,
    )
    qtbot.waitUntil(lambda: labels.items[0].isVisible())
    area = view.view_box.sceneBoundingRect().adjusted(-1, -1, 1, 1)
    shown = [item for item in labels.items if item.isVisible()]
    for item in shown:
        assert area.contains(item.mapRectToScene(item.boundingRect()))
    # a cluster whose centre is out of view has no label
    view.view_box.setRange(xRange=(centre.x() + 10 * width, centre.x() + 11 * width), padding=0)
    qtbot.waitUntil(lambda: not labels.items[0].isVisible())


def test_top_hub_click_shows_who_lists_it(qtbot, window):
    hub_rows = window.analysis_panel._hub_rows
    assert hub_rows
    with qtbot.waitSignal(window.document.analysis.inspected, timeout=TIMEOUT):
        window.analysis_panel.hubs.selectRow(0)
    n_k = window.document.analysis.result.hubness.k_occurrence[hub_rows[0]]
    assert window.neighbors_panel.listed_by.text().startswith(f"N_k = {n_k}:")
    knn = window.document.analysis.result.knn.indices[:, :10]
    listers = np.flatnonzero((knn == hub_rows[0]).any(axis=1)).tolist()
    assert window.neighbors_panel._listed_rows == listers  # exactly who lists it
    with qtbot.waitSignal(window.document.analysis.inspected, timeout=TIMEOUT):
        window.neighbors_panel._pick_listed(0)
    assert window.document.focus_row == listers[0]


def test_after_cancel_the_controls_show_what_is_on_screen(qtbot, window):
    analysis = window.document.analysis
    shown = analysis.result.params
    with qtbot.waitSignal(analysis.params_changed, timeout=TIMEOUT):
        window.analysis_panel.k.setValue(7)  # the panel applies it after its debounce
    assert analysis.params.k == 7 and window.runner.is_busy("analysis")
    with qtbot.waitSignal(analysis.params_changed, timeout=TIMEOUT) as blocker:
        window.runner.cancel()
    assert blocker.args[0] == shown == analysis.params
    assert window.analysis_panel.params() == analysis.result.params == shown
    assert window.analysis_panel.k.value() == 10


def test_after_an_error_the_controls_show_what_is_on_screen(qtbot, window):
    analysis = window.document.analysis
    shown = analysis.result.params
    with qtbot.waitSignal(window.document.failed, timeout=TIMEOUT) as blocker:
        analysis.set_params(shown.replace(k=50))  # 30 rows: at most 29 neighbours
    assert "k = 50 is too large for 30 rows" in blocker.args[1]
    assert window.analysis_panel.params() == analysis.params == analysis.result.params == shown


def test_the_panels_offer_exactly_the_core_choices(qtbot):
    """The choices come from core's tuples: a method core adds is offered, none is invented."""
    from embexplorer.core.analysis.neighbors import ALL_METRICS
    from embexplorer.core.analysis.params import (
        CLUSTER_SPACES,
        KNN_METHODS,
        MP_METHODS,
        REDUCTIONS,
    )
    from embexplorer.core.analysis.projection import PROJECTIONS
    from embexplorer.gui.analysis_panel import AnalysisPanel
    from embexplorer.gui.neighbors_panel import NeighborsPanel

    panel, neighbours = AnalysisPanel(), NeighborsPanel()
    qtbot.addWidget(panel)
    qtbot.addWidget(neighbours)

    def data(combo):
        return tuple(combo.itemData(i) for i in range(combo.count()))

    assert data(panel.metric_choice) == ALL_METRICS == data(neighbours.metric_choice)
    assert data(panel.knn) == KNN_METHODS and data(panel.projection) == PROJECTIONS
    assert data(panel.reduction) == REDUCTIONS and data(panel.mp_method) == MP_METHODS
    assert data(panel.cluster_space) == CLUSTER_SPACES


def test_clusters_are_named_again_when_the_text_column_changes(qtbot, window):
    """Issue 11: cluster names come from the text column, else the label column; choosing
    another text column names the same clusters from it (they were left stale)."""
    from embexplorer.core.analysis.clusters import frequent_names

    _apply(qtbot, window, clusters="kmeans:3")
    before = window.document.analysis.result.clusters
    assert window.document.corpus.text_column == "text"
    with qtbot.waitSignal(window.document.analysis.finished, timeout=TIMEOUT):
        combo = window.dataset_panel.text_combo
        combo.setCurrentIndex(0)  # "(none)": named by the labels
        combo.activated.emit(0)  # as a user's choice does
    assert window.document.corpus.text_column is None
    after = window.document.analysis.result.clusters
    assert np.array_equal(after.labels, before.labels)  # the same clusters (seeded)
    expected = frequent_names(after.labels, window.document.corpus.labels)
    assert after.keywords == expected != before.keywords
    shown = window.plot_panel.view.cluster_labels.visible_texts()
    assert sorted(shown) == sorted(", ".join(names) for names in expected.values())


def test_the_summary_says_why_auto_chose_its_search():
    """With the approximate search projected below the exact graph's products alone, the
    merges are never timed, and the summary says "at least" rather than a projection."""
    from embexplorer.gui.analysis_panel import auto_choice_text

    whole = {"exact_projected_s": 17.25, "approx_projected_s": 3.31, "deciding_s": 0.3}
    assert auto_choice_text(whole) == (
        "chosen as faster: projected 17.2 s exact, 3.3 s approximate"
    )
    products = {"exact_at_least_s": 3.5, "approx_projected_s": 1.7, "deciding_s": 0.02}
    assert auto_choice_text(products) == (
        "chosen as faster: projected at least 3.5 s exact, 1.7 s approximate"
    )
