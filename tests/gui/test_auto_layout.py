"""A first start shows PCA at once, then UMAP on the analysis's own kNN graph when it is ready,
the points gliding from one to the other; the status says how trustworthy each layout is."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from embexplorer.gui.main_window import MainWindow
from embexplorer.gui.plot.transition import MapTransition
from tests.files import write_csv
from tests.gui.invariants import window_problems

pytestmark = pytest.mark.auto_layout


def test_pca_first_then_umap_on_the_analysis_graph(qtbot, tmp_path, small_corpus_data):
    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    maps = []
    window.document.map_changed.connect(
        lambda m: maps.append(None if m is None else m.projection.method)
    )
    path = write_csv(tmp_path / "corpus.csv", small_corpus_data)
    with qtbot.waitSignal(window.document.pipeline_finished, timeout=180_000):
        window.open_path(path)
    assert [m for m in maps if m] == ["pca", "umap"]
    analysis = window.document.analysis
    assert analysis.params.projection == "auto"
    projection = analysis.result.projection
    assert projection.method == "umap" and projection.params["graph"] == "the analysis's"
    status = window.status_message.text()
    assert "UMAP layout on the kNN graph, trustworthiness" in status
    assert f"(PCA: {analysis.preview_trust.value:.3f})" in status
    qtbot.waitUntil(lambda: not window.map_views.transition.running, timeout=5000)
    assert window_problems(window) == []
    window.close()


class _View:
    def __init__(self):
        self.drawn = []

    def draw_at(self, coords):
        self.drawn.append(None if coords is None else np.array(coords))


def test_a_transition_draws_the_points_between_the_layouts_then_the_map_itself(qtbot):
    view = _View()
    transition = MapTransition(view)
    start = np.zeros((50, 2), np.float32)
    end = np.ones((50, 2), np.float32) * np.float32(4.0)
    with qtbot.waitSignal(transition._animation.finished, timeout=5000):
        assert transition.start(start, end, duration_ms=120)
    assert view.drawn[-1] is None  # the map's own coordinates again
    frames = [f for f in view.drawn if f is not None]
    assert frames and all(((f >= 0) & (f <= 4)).all() for f in frames)
    assert all(np.allclose(f, f[0, 0]) for f in frames)  # every point the same way along
    steps = [f[0, 0] for f in frames]
    assert steps == sorted(steps)  # onwards only
    assert not transition.start(start, end[:10])  # other rows: no transition
    assert not transition.start(np.zeros((10**6, 2)), np.zeros((10**6, 2)))  # too many points
