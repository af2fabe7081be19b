"""Select, tag, export, save and reopen, as a person does it in the window."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QMessageBox

from embexplorer.core.io import read_corpus
from embexplorer.core.state.selection import points_in_polygon
from embexplorer.gui.export_dialog import ExportRequest

TIMEOUT = 60_000


@pytest.fixture
def window(opened_window):
    return opened_window


def _lasso_around(window, rows):
    """A polygon (in data coordinates) around the given rows' points, slightly padded."""
    xy = window.plot_panel.view.index.coords[rows]
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    pad = 0.05 * max(x1 - x0, y1 - y0, 1e-3)
    return [
        QPointF(x0 - pad, y0 - pad),
        QPointF(x1 + pad, y0 - pad),
        QPointF(x1 + pad, y1 + pad),
        QPointF(x0 - pad, y1 + pad),
    ]


def _export(
    qtbot,
    window,
    path,
    fmt,
    groups=("ids", "metadata", "text", "tags", "vectors", "xy", "neighbors", "k_occurrence"),
):
    request = ExportRequest(path=path, format=fmt, selected_only=True, groups=groups)
    with qtbot.waitSignal(
        window.runner.finished, timeout=TIMEOUT, check_params_cb=lambda channel: channel == "export"
    ):
        window.curation.export_rows(request)
    return window.curation.last_export


def test_lasso_subtract_tag_export_and_read_back(qtbot, window, tmp_path, small_corpus_data):
    view = window.plot_panel.view
    box = view.getPlotItem().getViewBox()
    window.plot_panel.choose_tool("lasso")
    gamma = np.arange(20, 30)  # one well separated group
    polygon = _lasso_around(window, gamma)
    box.draw_for_test(polygon)
    coords = view.index.coords
    expected = np.flatnonzero(
        points_in_polygon(coords, np.array([(p.x(), p.y()) for p in polygon]))
    )
    state = window.document.selection
    assert state.selection.rows.tolist() == expected.tolist()
    assert set(gamma) <= set(expected)
    # subtract two points with Alt-click
    for row in gamma[:2]:
        state.apply([row], "subtract")
    assert len(state.selection) == len(expected) - 2
    assert window.plot_panel.selection_label.text().startswith(f"{len(expected) - 2} of 30")
    state.tag("chosen")
    assert list(window.document.column_values("tags")[gamma[2:]]) == ["chosen"] * 8
    written = _export(qtbot, window, tmp_path / "sel.parquet", "parquet")
    table = pq.read_table(written[0])
    assert table.column("row").to_pylist() == state.selection.rows.tolist()
    assert set(table.column("tags").to_pylist()) == {"chosen"}
    assert len(table.column("neighbors")[0]) == 10
    again = read_corpus(written[0])
    np.testing.assert_array_equal(again.vectors, small_corpus_data["vectors"][state.selection.rows])
    csv = _export(qtbot, window, tmp_path / "sel.csv", "csv")
    np.testing.assert_array_equal(
        read_corpus(csv[0]).vectors, small_corpus_data["vectors"][state.selection.rows]
    )
    # the exported file opens in the window, with the exported rows
    exported = len(state.selection)
    with qtbot.waitSignal(window.document.pipeline_finished, timeout=TIMEOUT):
        window.open_path(written[0])
    assert window.document.corpus.n_rows == exported
    assert set(window.document.corpus.columns["tags"]) == {"chosen"}


def test_rectangle_legend_undo_redo_invert(qtbot, window):
    state = window.document.selection
    view = window.plot_panel.view
    window.plot_panel.choose_tool("rectangle")
    (x0, y0), (x1, y1) = view.index.coords.min(axis=0), view.index.coords.max(axis=0)
    view.getPlotItem().getViewBox().draw_for_test([QPointF(x0, y0), QPointF(x1, y1)])
    assert len(state.selection) == 30
    window.plot_panel.legend.entry_clicked.emit(0)  # the first category: replace
    first = state.selection.rows.tolist()
    assert len(first) == 10
    state.invert()
    assert len(state.selection) == 20
    state.undo()
    assert state.selection.rows.tolist() == first
    state.redo()
    assert len(state.selection) == 20
    window._escape()  # nothing running: clears
    assert len(state.selection) == 0
    assert view._selected is None


def test_click_modes_and_selected_only_table(qtbot, window):
    state = window.document.selection
    view = window.plot_panel.view
    view.picked.emit(3, Qt.KeyboardModifier.NoModifier)
    view.picked.emit(5, Qt.KeyboardModifier.ShiftModifier)
    assert state.selection.rows.tolist() == [3, 5]
    view.picked.emit(3, Qt.KeyboardModifier.AltModifier)
    assert state.selection.rows.tolist() == [5]
    window.dataset_panel.only_selected.setChecked(True)
    assert window.dataset_panel.model.visible_rows.tolist() == [5]
    window.curation.expand_by_neighbors()
    knn = window.document.analysis.result.knn.indices[5, :10]
    assert set(state.selection.rows) == {5, *knn.tolist()}
    view.picked.emit(-1, Qt.KeyboardModifier.NoModifier)  # a click on empty space
    assert len(state.selection) == 0


def test_select_by_value_and_search_results(qtbot, window):
    state = window.document.selection
    window.curation.select_where("label", "==", "beta")
    assert state.selection.rows.tolist() == list(range(10, 20))
    window.curation.select_where("score", ">", "0.5", mode="intersect")
    assert all(window.document.corpus.columns["score"][r] > 0.5 for r in state.selection.rows)
    with qtbot.waitSignal(window.document.rows_filtered, timeout=TIMEOUT):
        qtbot.keyClicks(window.dataset_panel.search, "alpha")
    window.dataset_panel.select_shown_button.click()
    assert state.selection.rows.tolist() == list(range(10))


def test_session_round_trip(qtbot, window, tmp_path, small_corpus_data):
    state = window.document.selection
    state.apply([1, 2, 3])
    state.tag("saved")
    window.document.set_focus(2)
    path = tmp_path / "work.embx"
    window.curation.save_session(str(path))
    result_before = window.document.analysis.result
    coords_before = window.plot_panel.view.index.coords.copy()
    state.clear()
    with qtbot.waitSignal(window.document.session_restored, timeout=TIMEOUT):
        window.open_path(path)
    assert window.document.selection.selection.rows.tolist() == [1, 2, 3]
    assert list(window.document.selection.tags[[1, 2, 3]]) == ["saved"] * 3
    np.testing.assert_array_equal(window.plot_panel.view.index.coords, coords_before)
    after = window.document.analysis.result
    np.testing.assert_array_equal(after.knn.indices, result_before.knn.indices)
    assert after.recomputed == ()  # restored, not recomputed


def test_a_session_with_umap_and_csls_reopens_showing_them(qtbot, window, tmp_path):
    """The panel once said PCA / no reduction over a restored UMAP + CSLS map, and the next
    change recomputed PCA. The controls show what is on screen; nothing is recomputed."""
    analysis = window.document.analysis
    with qtbot.waitSignal(analysis.finished, timeout=TIMEOUT):
        analysis.set_params(analysis.params.replace(projection="umap", reduction="csls"))
    path = tmp_path / "umap.embx"
    window.curation.save_session(str(path))
    with qtbot.waitSignal(analysis.finished, timeout=TIMEOUT):
        analysis.set_params(analysis.params.replace(projection="pca", reduction="none"))
    assert window.analysis_panel.params().projection == "pca"
    with qtbot.waitSignal(window.document.session_restored, timeout=TIMEOUT):
        window.open_path(path)
    shown = window.analysis_panel.params()
    assert (shown.projection, shown.reduction) == ("umap", "csls")
    assert shown == analysis.result.params == analysis.params
    assert analysis.result.recomputed == ()
    assert analysis.map_data.projection.method == "umap"
    with qtbot.assertNotEmitted(analysis.results_changed, wait=600):
        window.analysis_panel.params_changed.emit(window.analysis_panel.params())


def test_a_damaged_session_changes_nothing_and_says_which_field(qtbot, window, tmp_path):
    """A session whose tags list is shorter than the rows once crashed the window (SIGSEGV)."""
    import json
    import zipfile

    path = tmp_path / "work.embx"
    window.document.selection.apply([4, 5])
    window.curation.save_session(str(path))
    bad = tmp_path / "bad.embx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bad, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "manifest.json":
                data = json.dumps({**json.loads(data), "tags": ["x"]}).encode()
            dst.writestr(name, data)
    corpus, result = window.document.corpus, window.document.analysis.result
    with qtbot.waitSignal(window.document.failed, timeout=TIMEOUT) as blocker:
        window.open_path(bad)
    assert "tags has 1 entries for 30 rows" in blocker.args[1]
    assert blocker.args[2] == ""  # a message, not a traceback
    assert window.document.corpus is corpus and window.document.analysis.result is result
    assert window.document.selection.selection.rows.tolist() == [4, 5]
    assert window.document.selection.tags is None


def test_changed_source_is_explained(qtbot, window, tmp_path):
    path = tmp_path / "work.embx"
    window.curation.save_session(str(path))
    source = window.document.source
    source.write_text(source.read_text() + "\n")  # same rows, different bytes
    with qtbot.waitSignal(window.document.failed, timeout=TIMEOUT) as blocker:
        window.open_path(path)
    assert "has changed since the session was saved" in blocker.args[1]
    assert window.document.corpus is not None  # the current session is untouched


def test_overwrite_asks_first(qtbot, window, tmp_path, monkeypatch):
    target = tmp_path / "x.parquet"
    target.write_text("keep me")
    window.document.selection.apply([0, 1])
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    window.curation.export_rows(ExportRequest(target, "parquet", True, ("ids",)))
    assert target.read_text() == "keep me"
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(window.runner.finished, timeout=TIMEOUT):
        window.curation.export_rows(ExportRequest(target, "parquet", True, ("ids",)))
    assert pq.read_table(target).column("row").to_pylist() == [0, 1]


def test_plot_export_png_and_svg(qtbot, window, tmp_path):
    window.curation.export_plot(str(tmp_path / "map.png"), width=1200)
    from PySide6.QtGui import QImage

    image = QImage(str(tmp_path / "map.png"))
    assert image.width() == 1200 and image.height() > 100
    window.curation.export_plot(str(tmp_path / "map.svg"))
    svg = (tmp_path / "map.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "alpha" in svg  # the legend
