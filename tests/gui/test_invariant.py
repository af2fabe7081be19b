"""The window tells the truth: after each kind of event, what the panels say equals what the
map and tables show (tests/gui/invariants.py)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.files import write_parquet
from tests.gui.invariants import window_problems

TIMEOUT = 60_000

TEXTS = [
    "A man is playing a guitar.",
    "Someone performs music on a guitar.",
    "The stock market fell.",
    "Shares dropped sharply today.",
    "A cat sleeps on the sofa.",
    "The kitten naps on a couch.",
]


@pytest.fixture
def window(opened_window):
    assert window_problems(opened_window) == []
    return opened_window


def _idle(qtbot, window):
    """Until nothing runs, twice in a row (what an ending job posts, such as a colouring
    asked again after a Cancel, has run too); then what the window says wrong."""
    quiet = [0]

    def settled() -> bool:
        quiet[0] = 0 if window.runner.is_busy() else quiet[0] + 1
        return quiet[0] >= 2

    qtbot.waitUntil(settled, timeout=TIMEOUT)
    return window_problems(window)


def test_after_a_click_and_a_query_then_another_corpus(qtbot, window, tmp_path):
    """The previous query and its caption once carried over to the next corpus."""
    window.document.set_focus(3)
    assert _idle(qtbot, window) == []
    path = tmp_path / "texts.csv"
    path.write_text("text\n" + "\n".join(TEXTS) + "\n", encoding="utf-8")
    with qtbot.waitSignal(window.document.pipeline_finished, timeout=TIMEOUT):
        window.open_path(path)
    window.query_panel.field.setText("a guitar")
    with qtbot.waitSignal(window.document.query_changed, timeout=TIMEOUT):
        window.query_panel.search_button.click()
    assert len(window.query_panel.result_rows()) == 6  # k = 10, but 6 rows
    assert _idle(qtbot, window) == []
    other = dict(
        vectors=np.random.default_rng(5).normal(size=(12, 8)).astype(np.float32),
        labels=np.array(["x", "y"] * 6),
        texts=[f"row {i}" for i in range(12)],
        score=np.arange(12.0),
    )
    with qtbot.waitSignal(window.document.pipeline_finished, timeout=TIMEOUT):
        window.open_path(write_parquet(tmp_path / "other.parquet", other))
    assert _idle(qtbot, window) == []
    assert window.analysis_panel.k.value() == window.document.analysis.params.k == 5  # kept


def test_a_small_corpus_lowers_k_and_the_panel_says_so(qtbot, window, tmp_path):
    small = dict(
        vectors=np.random.default_rng(5).normal(size=(5, 8)).astype(np.float32),
        labels=np.array(["x"] * 5),
        texts=[f"row {i}" for i in range(5)],
        score=np.arange(5.0),
    )
    with qtbot.waitSignal(window.document.pipeline_finished, timeout=TIMEOUT):
        window.open_path(write_parquet(tmp_path / "small.parquet", small))
    assert window.analysis_panel.k.value() == 4
    assert _idle(qtbot, window) == []


def test_after_embedding_the_header_says_the_vectors_are_there(qtbot, window, tmp_path):
    """The dataset header once said 'no vectors' after the texts were embedded."""
    path = tmp_path / "texts.csv"
    path.write_text("text\n" + "\n".join(TEXTS) + "\n", encoding="utf-8")
    with qtbot.waitSignal(window.document.pipeline_finished, timeout=TIMEOUT):
        window.open_path(path)
    assert "384 dims" in window.dataset_panel.title.text()
    assert _idle(qtbot, window) == []


def test_after_a_projection_change_cancelled_midway(qtbot, window):
    analysis = window.document.analysis
    with qtbot.waitSignal(analysis.map_changed, timeout=TIMEOUT):
        analysis.set_params(analysis.params.replace(projection="tsne", k=5))
    window.runner.cancel()  # the t-SNE map is drawn; the rest of the analysis is cancelled
    assert _idle(qtbot, window) == []
    assert window.analysis_panel.params().projection == "tsne"


def test_coloured_by_an_analysis_column_that_a_cancel_leaves_out(qtbot, window):
    """Coloured by neighbour preservation, a new layout drops the old preservation (it belongs
    to the old layout); a Cancel before it was computed again once left the map in the old
    colours with the colour box saying "(single colour)" (the soak's seed 102)."""
    from embexplorer.core.analysis.analysis_columns import PRESERVATION

    doc, analysis = window.document, window.document.analysis
    with qtbot.waitSignal(analysis.finished, timeout=TIMEOUT):  # a t-SNE map, then PCA again:
        analysis.set_params(analysis.params.replace(projection="tsne"))  # (a new t-SNE comes
    with qtbot.waitSignal(doc.colors_changed, timeout=TIMEOUT):  # with its preservation)
        doc.set_color_column(PRESERVATION)
    assert _idle(qtbot, window) == [] and doc.colors.column == PRESERVATION
    with qtbot.waitSignal(analysis.map_changed, timeout=TIMEOUT):
        analysis.set_params(analysis.params.replace(projection="pca"))
    window.runner.cancel()  # the new layout is drawn; its preservation is never computed
    assert _idle(qtbot, window) == []
    assert doc.colors.kind == "single" and doc.shown_color_column is None
    assert doc.color_column == PRESERVATION  # the choice is kept: back with the next analysis
    with qtbot.waitSignal(analysis.finished, timeout=TIMEOUT):
        analysis.set_params(analysis.params.replace(k=7))
    assert _idle(qtbot, window) == [] and doc.colors.column == PRESERVATION
    assert window.plot_panel.color_combo.currentText() == PRESERVATION


def test_after_an_error_and_after_a_session_restore(qtbot, window, tmp_path):
    analysis = window.document.analysis
    with qtbot.waitSignal(window.document.failed, timeout=TIMEOUT):
        analysis.set_params(analysis.params.replace(k=40))
    assert _idle(qtbot, window) == []
    with qtbot.waitSignal(analysis.finished, timeout=TIMEOUT):
        analysis.set_params(analysis.params.replace(reduction="csls", metric="euclidean"))
    window.document.selection.apply([1, 2])
    path = tmp_path / "s.embx"
    window.curation.save_session(str(path))
    with qtbot.waitSignal(analysis.finished, timeout=TIMEOUT):
        analysis.set_params(analysis.params.replace(reduction="none", metric="cosine"))
    with qtbot.waitSignal(window.document.session_restored, timeout=TIMEOUT):
        window.open_path(path)
    assert _idle(qtbot, window) == []
    assert window.neighbors_panel.metric_choice.currentData() == "euclidean"
