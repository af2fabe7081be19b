"""The Embeddings, Compare and Stability panels render a workspace / comparison / sweep and
turn clicks into requests (no window needed around them)."""

from __future__ import annotations

import numpy as np
import pytest

from embexplorer.core.analysis.compare import compare_task, stability_task
from embexplorer.core.corpus import Corpus
from embexplorer.core.state.embedding_sources import derived_embedding_task
from embexplorer.core.state.workspace import Workspace
from embexplorer.core.tasks import run_task
from embexplorer.gui.compare_panel import ComparePanel
from embexplorer.gui.embeddings_panel import EmbeddingsPanel
from embexplorer.gui.stability_panel import StabilityPanel


@pytest.fixture
def workspace():
    rng = np.random.default_rng(4)
    vectors = rng.normal(size=(40, 16)).astype(np.float32)
    corpus = Corpus(
        ids=np.array([f"r{i}" for i in range(40)], dtype=object),
        columns={"label": np.array(["a", "b"] * 20, dtype=object)},
        vectors=vectors,
        label_column="label",
    )
    ws = Workspace.of(corpus)
    binary = run_task(derived_embedding_task(ws, "vectors", "binary"))
    return ws.with_embedding(binary).showing("vectors", binary.name)


def test_the_embeddings_panel_lists_and_asks(qtbot, workspace):
    panel = EmbeddingsPanel()
    qtbot.addWidget(panel)
    panel.show_workspace(workspace, ["other_vectors"])
    cells = [[panel.table.item(r, c).text() for c in range(6)] for r in range(2)]
    assert cells[0][:4] == ["vectors", "float32", "16", "64"]
    assert cells[1][1:5] == ["1-bit codes", "16", "2", "binary of vectors"]
    assert (cells[0][5], cells[1][5]) == ("main map", "second map")
    panel.table.selectRow(0)
    panel.variant.setCurrentIndex(panel.variant.findData("truncate"))
    panel.dims.setValue(8)
    with qtbot.waitSignal(panel.derive_requested) as derived:
        panel.derive_button.click()
    assert derived.args == ["vectors", "truncate:8"]
    with qtbot.waitSignal(panel.column_requested) as column:
        panel.column_button.click()
    assert column.args == ["other_vectors"]
    panel.table.selectRow(1)
    with qtbot.waitSignal(panel.compare_requested) as compared:
        panel.compare_button.click()
    assert compared.args == [workspace.other]
    with qtbot.waitSignal(panel.compare_requested) as stopped:
        panel.stop_button.click()
    assert stopped.args == [None]


def test_the_compare_panel_marks_what_the_other_list_lacks(qtbot, workspace):
    a, b = workspace.current, workspace.second
    comparison = run_task(compare_task(a.rows, "cosine", b.rows, "hamming", 5))
    panel = ComparePanel()
    qtbot.addWidget(panel)
    panel.show_comparison(comparison, (a.name, b.name), workspace.corpus)
    assert f"{comparison.mean_overlap:.3f}" in panel.summary.text()
    first = int(comparison.most_changed()[0])
    assert panel.changed.item(0, 0).text() == f"r{first}"
    row = 7
    panel.show_row(row, comparison, workspace.corpus)
    only_a, only_b = panel.marked_rows()
    list_a, list_b = set(comparison.knn_a.indices[row]), set(comparison.knn_b.indices[row])
    assert set(only_a) == list_a - list_b and set(only_b) == list_b - list_a
    with qtbot.waitSignal(panel.row_chosen) as chosen:
        panel.changed.selectRow(0)
    assert chosen.args == [first]


def test_the_stability_panel_draws_the_sweep_and_offers_variants(qtbot, workspace):
    rows = run_task(stability_task(workspace.current.vectors, "cosine", 5, (4, 8), ("int8",)))
    panel = StabilityPanel()
    qtbot.addWidget(panel)
    panel.show_rows(rows, "vectors", 5)
    shown = [panel.table.item(r, 0).text() for r in range(panel.table.rowCount())]
    assert shown == ["float32", "truncate:4", "truncate:8", "int8"]
    assert panel.table.item(1, 3).text() == f"{rows[1].recall:.3f}"
    with qtbot.waitSignal(panel.variant_chosen) as chosen:
        panel.table.cellClicked.emit(2, 0)
    assert chosen.args == ["truncate:8"]
    panel.dims_edit.setText("16, 4,x,4")
    with qtbot.waitSignal(panel.run_requested) as run:
        panel.run_button.click()
    assert run.args == [[4, 16], ["int8", "binary"], 10]
