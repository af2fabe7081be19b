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
