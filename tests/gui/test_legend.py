"""The legend: swatches in the colour mapping's order, or a numeric column's colour bar."""

from __future__ import annotations

import numpy as np

from embexplorer.gui.plot.colormap import color_mapping
from embexplorer.gui.plot.legend import LegendWidget, tick_labels


def test_tick_labels_top_first_and_clipped_ends_marked():
    assert tick_labels(0.0, 1.0, False, False) == ["1", "0.75", "0.5", "0.25", "0"]
    assert tick_labels(-2.0, 6.0, True, True, ticks=3) == ["≥ 6", "2", "≤ -2"]
    assert tick_labels(3.0, 3.0, False, False) == ["3", "3"]  # one value: both ends


def test_numeric_colour_bar_with_ticks(qtbot):
    legend = LegendWidget()
    qtbot.addWidget(legend)
    legend.show()
    values = np.append(np.linspace(10.0, 20.0, 1001), 500.0)  # one far outlier
    legend.set_mapping(color_mapping(values, "score"))
    lo, hi = np.percentile(values, [1, 99])
    assert legend.bar_ticks[0] == f"≥ {hi:.4g}" and legend.bar_ticks[-1] == f"≤ {lo:.4g}"
    assert legend.bar.isVisible() and not legend.entries.isVisible()  # nothing missing
    assert legend.bar.pixmap().height() > 200
    legend.set_mapping(color_mapping(np.array([1.0, np.nan, 2.0]), "score"))
    assert legend.entries.isVisible() and legend.labels() == ["(missing)  (1)"]
    legend.set_mapping(color_mapping(np.array(["b", "a"], dtype=object), "label"))
    assert not legend.bar.isVisible() and legend.labels() == ["a  (1)", "b  (1)"]


def test_fit_view_leaves_no_point_under_the_legend(qtbot, opened_window):
    """The legend floats over the map's top-right corner; Fit View (and the first view of a
    map) keeps every point out from under it, and a pan makes the view no longer 'fitted'."""
    from PySide6.QtCore import QPointF

    from embexplorer.gui.plot.point_index import PointIndex

    view = opened_window.plot_panel.view
    legend = opened_window.plot_panel.legend
    side = np.linspace(0.0, 1.0, 25)
    grid = np.stack(np.meshgrid(side, side), axis=-1).reshape(-1, 2).astype(np.float32)
    labels = np.array([f"group {i % 12}" for i in range(len(grid))], dtype=object)
    colors = color_mapping(labels, "group")
    view.set_points(PointIndex(grid), colors)  # a square filled to its corners
    legend.set_mapping(colors)
    view.refit_if_fitted()
    assert legend.isVisible()

    def points_under_legend() -> int:
        coords = view._index.coords
        box = legend.geometry()
        inside = 0
        for x, y in coords:
            at = view.mapFromScene(view.view_box.mapViewToScene(QPointF(float(x), float(y))))
            inside += box.contains(at)
        return inside

    view.fit_view()
    assert points_under_legend() == 0
    # a taller legend (more entries) after a fitted view: the view follows
    window = opened_window
    window.resize(900, 600)
    qtbot.waitUntil(lambda: legend.geometry().right() < view.width())
    legend.place()
    view.refit_if_fitted()
    assert points_under_legend() == 0
    view.view_box.translateBy(x=1.0)  # not a manual drag: still as fitted
    view.view_box.sigRangeChangedManually.emit([True, True])  # as a drag or wheel does
    assert not view._fitted


def test_a_map_with_an_empty_corner_keeps_its_full_size(qtbot, opened_window):
    """Only points under the legend move the view: a triangle leaves the bounding box's
    top-right corner empty, so the fit is the plain one."""
    from embexplorer.gui.plot.point_index import PointIndex

    view = opened_window.plot_panel.view
    legend = opened_window.plot_panel.legend
    side = np.linspace(0.0, 1.0, 30)
    grid = np.stack(np.meshgrid(side, side), axis=-1).reshape(-1, 2)
    disc = grid[grid.sum(axis=1) <= 1.0].astype(np.float32)  # below the anti-diagonal
    labels = np.array([f"group {i % 5}" for i in range(len(disc))], dtype=object)
    colors = color_mapping(labels, "group")
    view.set_points(PointIndex(disc), colors)
    legend.set_mapping(colors)
    view.fit_view()
    with_legend = view.view_box.viewRange()
    view.corner_overlay = None
    view.fit_view()
    plain = view.view_box.viewRange()
    view.corner_overlay = legend
    np.testing.assert_allclose(with_legend, plain, rtol=1e-6)
