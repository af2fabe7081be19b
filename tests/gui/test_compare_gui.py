"""Comparing embeddings in the window: derive variants, see both maps side by side (aligned,
linked), the most-changed points and their lists in A and B, the stability chart, sessions."""

from __future__ import annotations

import numpy as np
import pytest

from embexplorer.core.state.workspace import OVERLAP
from tests.gui.invariants import window_problems

TIMEOUT = 60_000


@pytest.fixture
def window(opened_window):
    return opened_window


def _idle(qtbot, window):
    qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=TIMEOUT)


def _derive(qtbot, window, spec):
    emb = window.document.embeddings
    with qtbot.waitSignal(
        emb.changed,
        timeout=TIMEOUT,
        check_params_cb=lambda ws: ws is not None and len(ws.embeddings) > count,
    ):
        count = len(emb.workspace.embeddings)
        emb.derive(emb.workspace.active, spec)
    return list(emb.workspace.embeddings)[-1]


def test_derive_compare_inspect_and_export(qtbot, window, tmp_path):
    emb = window.document.embeddings
    panel = window.embeddings_panel
    assert panel.table.rowCount() == 1
    truncated = _derive(qtbot, window, "truncate:4")
    binary = _derive(qtbot, window, "binary")
    assert panel.table.rowCount() == 3
    assert panel.table.item(2, 1).text() == "1-bit codes"
    with qtbot.waitSignal(
        emb.comparison_changed, timeout=TIMEOUT, check_params_cb=lambda c: c is not None
    ):
        emb.compare(binary)
    _idle(qtbot, window)
    ws = emb.workspace
    assert (ws.active, ws.other) == ("vectors", binary)
    assert not window.second_map.isHidden()
    second = window.second_map.view
    assert second.index is not None and len(second.index) == 30
    # aligned: turned onto the main map (Procrustes), so the same region holds the same items
    a = window.plot_panel.view.index.coords
    b = second.index.coords
    raw = emb.second.map_data.projection.coords
    assert not np.allclose(b, raw)
    assert np.abs(b - a).sum() < np.abs(raw - a).sum()
    comparison = ws.comparison
    assert comparison.k == 10 and comparison.metric_b == "hamming"
    assert window.compare_panel.changed.rowCount() == 30
    # selection and focus are shared by both maps
    window.document.selection.apply([1, 2, 3])
    assert second._selected is not None and second._selected.sum() == 3
    window.document.set_focus(5)
    only_a, only_b = window.compare_panel.marked_rows()
    la, lb = set(comparison.knn_a.indices[5]), set(comparison.knn_b.indices[5])
    assert set(only_a) == la - lb and set(only_b) == lb - la
    # colour both maps by the overlap
    assert OVERLAP in window.document.extra_column_names()
    with qtbot.waitSignal(window.document.colors_changed, timeout=TIMEOUT):
        window.document.set_color_column(OVERLAP)
    _idle(qtbot, window)
    assert window_problems(window) == []
    # the most changed rows, exported
    worst = comparison.most_changed()[:5]
    window.document.selection.apply(worst, "replace")
    from embexplorer.core.io import read_corpus
    from embexplorer.gui.curation import ExportRequest

    target = tmp_path / "changed.parquet"
    groups = ("ids", "metadata", "comparison")
    assert "comparison" in window.curation._available_groups()
    with qtbot.waitSignal(window.runner.finished, timeout=TIMEOUT):
        window.curation.export_rows(ExportRequest(target, "parquet", True, groups))
    assert read_corpus(target).n_rows == 5
    import json

    import pyarrow.parquet as pq

    table = pq.read_table(target)
    rows = np.sort(worst)
    np.testing.assert_allclose(table.column("overlap").to_numpy(), comparison.overlap[rows])
    assert table.column("neighbors_b").to_pylist() == comparison.knn_b.indices[rows].tolist()
    provenance = json.loads((tmp_path / "changed.parquet.provenance.json").read_text())
    sides = provenance["comparison"]
    assert (sides["a"]["name"], sides["b"]["name"]) == ("vectors", binary)
    assert sides["b"]["kind"] == "binary" and sides["mean_overlap"] == comparison.mean_overlap
    # stop comparing
    window.second_map.close_button.click()
    assert emb.workspace.other is None and window.second_map.isHidden()
    assert truncated in emb.workspace.embeddings


def test_a_binary_embedding_on_the_main_map_uses_hamming(qtbot, window):
    emb = window.document.embeddings
    first = window.document.analysis.result
    binary = _derive(qtbot, window, "binary")
    with qtbot.waitSignal(window.document.analysis.finished, timeout=TIMEOUT):
        emb.show(binary)
    _idle(qtbot, window)
    analysis = window.document.analysis
    assert analysis.result.params.metric == "hamming"
    assert window.analysis_panel.params().metric == "hamming"
    combo = window.analysis_panel.metric_choice
    enabled = {combo.itemData(i) for i in range(combo.count()) if combo.model().item(i).isEnabled()}
    assert enabled == {"hamming"}
    assert emb.workspace.active == binary and emb.workspace.current.result is analysis.result
    assert window_problems(window) == []
    with qtbot.waitSignal(analysis.finished, timeout=TIMEOUT):
        emb.show("vectors")  # back: the stored result, nothing recomputed
    assert analysis.result is first and analysis.result.params.metric == "cosine"
    assert not combo.model().item(combo.findData("hamming")).isEnabled()


def test_the_stability_sweep_and_adding_a_variant_from_it(qtbot, window):
    emb = window.document.embeddings
    window.stability_panel.dims_edit.setText("2,4")
    with qtbot.waitSignal(emb.stability_changed, timeout=TIMEOUT):
        window.stability_panel.run_button.click()
    name, k, rows = emb.stability
    assert (name, k) == ("vectors", 10)
    assert [r.variant for r in rows] == ["float32", "truncate:2", "truncate:4", "int8", "binary"]
    assert window.stability_panel.table.rowCount() == 5
    with qtbot.waitSignal(
        emb.changed, timeout=TIMEOUT, check_params_cb=lambda ws: len(ws.embeddings) == 2
    ):
        window.stability_panel.table.cellClicked.emit(3, 0)
    assert list(emb.workspace.embeddings)[-1] == "vectors · int8"


def test_a_session_keeps_every_embedding_and_the_comparison(qtbot, window, tmp_path):
    emb = window.document.embeddings
    truncated = _derive(qtbot, window, "truncate:4")
    with qtbot.waitSignal(
        emb.comparison_changed, timeout=TIMEOUT, check_params_cb=lambda c: c is not None
    ):
        emb.compare(truncated)
    _idle(qtbot, window)
    path = tmp_path / "two.embx"
    window.curation.save_session(str(path))
    with qtbot.waitSignal(
        emb.comparison_changed, timeout=TIMEOUT, check_params_cb=lambda c: c is not None
    ):
        window.open_path(path)
    _idle(qtbot, window)
    ws = emb.workspace
    assert list(ws.embeddings) == ["vectors", truncated]
    assert (ws.active, ws.other) == ("vectors", truncated)
    assert ws.embeddings[truncated].result is not None  # its analysis came back, not recomputed
    assert window_problems(window) == []
