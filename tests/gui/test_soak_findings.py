"""Bugs the soak test found (tests/gui/soak.py), each tested directly, as a user meets it.

The seeds that found them are kept in tests/gui/test_soak.py."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtTest import QTest

from embexplorer.core.analysis.analysis_columns import CLUSTER, HUB, N_K
from embexplorer.core.tasks import Progress
from embexplorer.gui.main_window import MainWindow
from embexplorer.gui.worker import TaskRunner
from tests.gui.invariants import window_problems
from tests.gui.soak import move_mouse

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
    return opened_window


def _visible_row(view) -> int:
    for row in range(len(view.index)):
        x, y = view.index.coords[row]
        if view.row_at(view.view_box.mapViewToScene(QPointF(float(x), float(y)))) == row:
            return row
    raise AssertionError("no point to hover")


def _hover(view, row: int) -> str:
    at = view.view_to_widget(*map(float, view.index.coords[row]))
    move_mouse(view.viewport(), QPoint(round(at.x()), round(at.y())))
    assert view.hover_card.isVisible()
    return view.hover_card.text()


@pytest.mark.parametrize("column", [N_K, HUB, CLUSTER, "tags"])
def test_hovering_a_point_coloured_by_an_added_column(qtbot, window, column):
    """Soak seed 36: coloured by a column the analysis added (or the tags), hovering a point
    raised KeyError in the hover slot, at every mouse move."""
    doc = window.document
    doc.selection.apply([0, 1, 2])
    doc.selection.tag("keep")
    with qtbot.waitSignal(doc.colors_changed, timeout=TIMEOUT):
        doc.set_color_column(column)
    view = window.plot_panel.view
    row = _visible_row(view)
    value = doc.column_values(column)[row]
    assert f"{column}: {value}" in _hover(view, row).splitlines()


def _relayout(qtbot, window, **changes):
    analysis = window.document.analysis
    with qtbot.waitSignal(analysis.finished, timeout=TIMEOUT):
        analysis.set_params(analysis.params.replace(**changes))
    qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=TIMEOUT)


def test_a_new_layout_still_marks_the_selection_and_the_inspected_point(qtbot, window):
    """Soak seeds 32 and 10: after the projection changed (or new vectors were embedded), the
    map drew nothing selected and no focus ring or neighbour lines, while the caption said
    "3 of 30 selected" and the Neighbours panel listed the inspected point's neighbours."""
    doc, view = window.document, window.plot_panel.view
    doc.selection.apply([1, 2, 3])
    with qtbot.waitSignal(doc.analysis.inspected, timeout=TIMEOUT):
        doc.set_focus(5)
    _relayout(qtbot, window, projection="tsne")
    assert view._selected.nonzero()[0].tolist() == [1, 2, 3]
    x, y = view._highlight.getData()
    assert (x.tolist(), y.tolist()) == ([view.index.coords[5, 0]], [view.index.coords[5, 1]])
    neighbours = doc.analysis.inspection.neighbors.indices[0]
    np.testing.assert_allclose(view.neighbor_overlay.targets(), view.index.coords[neighbours])
    assert window_problems(window) == []


def test_a_new_layout_places_the_query_again(qtbot, window, tmp_path):
    """The query's marks vanished from the map after the projection changed, while its
    results were still listed."""
    path = tmp_path / "texts.csv"
    path.write_text("text\n" + "\n".join(TEXTS) + "\n", encoding="utf-8")
    with qtbot.waitSignal(window.document.pipeline_finished, timeout=TIMEOUT):
        window.open_path(path)
    window.query_panel.field.setText("a guitar")
    with qtbot.waitSignal(window.document.query_changed, timeout=TIMEOUT):
        window.query_panel.search_button.click()
    _relayout(qtbot, window, projection="tsne")
    view, query = window.plot_panel.view, window.document.query_result
    np.testing.assert_allclose(view.query_overlay.targets(), view.index.coords[query.rows])
    assert window_problems(window) == []


def _items(combo) -> list[str]:
    return [combo.itemText(i) for i in range(combo.count())]


def test_the_text_column_is_chosen_among_the_same_columns_in_both_panels(window):
    """Soak seed 47: the Dataset panel offered the numeric 'score' as the text column; once
    chosen, the Encoder panel (which lists only columns of strings) said "(none)" and its
    Embed button would have embedded the numbers."""
    dataset, encoder = window.dataset_panel.text_combo, window.encoder_panel.text_combo
    assert "score" in _items(window.dataset_panel.label_combo)
    assert "score" not in _items(dataset)
    assert _items(dataset) == _items(encoder)
    dataset.setCurrentText("label")
    dataset.activated.emit(dataset.currentIndex())
    assert window.document.corpus.text_column == "label" == encoder.currentText()
    assert _items(dataset) == _items(encoder)
    assert window_problems(window) == []


def test_before_anything_is_selected_the_select_menu_says_so(qtbot, tmp_path):
    """Soak seed 1: at start, Expand by Neighbours, Tag and Clear were enabled with nothing
    selected (and no corpus); Expand then said "The kNN graph is not ready yet"."""
    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    assert [window.curation.actions[k].isEnabled() for k in ("clear", "expand", "tag")] == [
        False
    ] * 3
    assert window_problems(window) == []
    window.close()


def test_a_session_after_embedding_a_file_that_had_vectors_reopens(qtbot, window, tmp_path):
    """Soak seed 502: the texts of a file that came with vectors were embedded, and the
    session saved then referred to the file's 8-dim vectors with a map of the 384-dim ones:
    reopening it said "damaged session: the PCA map is for 384 dimensions"."""
    doc = window.document
    with qtbot.waitSignal(doc.pipeline_finished, timeout=TIMEOUT):
        window.encoder_panel.run_button.click()
    assert doc.corpus.dim == 384
    doc.selection.apply([2, 3])
    path = tmp_path / "embedded.embx"
    window.curation.save_session(str(path))
    window.last_error = None
    window.open_path(path)
    qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=TIMEOUT)
    assert window.last_error is None
    assert doc.corpus.dim == 384 and doc.analysis.result.get("projection").coords.shape == (30, 2)
    assert doc.selection.selection.rows.tolist() == [2, 3]
    assert window_problems(window) == []


def test_a_click_on_empty_space_while_a_point_is_being_inspected(qtbot, window):
    """Soak seeds 107 and 108: typing k in the Neighbours panel, then clicking empty space on
    the map: the spin box's editingFinished (focus lost) asked for the focused point's
    neighbours, the click cleared the focus, and the answer then came back: the Neighbours
    panel listed row 7's neighbours with nothing focused."""
    doc = window.document
    with qtbot.waitSignal(doc.analysis.inspected, timeout=TIMEOUT):
        doc.set_focus(7)
    window.neighbors_panel.k_changed.emit(5)  # the k spin box's editingFinished
    doc.set_focus(-1)  # the click on empty space, before the answer came
    qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=TIMEOUT)
    assert doc.analysis.inspection is None
    assert window.neighbors_panel.shown_rows() == ([], [])
    assert window_problems(window) == []


def test_a_finished_job_frees_what_its_task_held(qtbot):
    """The soak's long run: memory grew ~90 MB per 1,000 actions. About one job in thirty
    (a QRunnable subclass the pool owned) stayed alive after it ran, and with it the corpus
    and results its task held."""
    runner = TaskRunner()
    payloads = weakref.WeakSet()

    class Payload:  # stands for a corpus or a result
        pass

    def task(payload):
        yield Progress(None, "working")
        return id(payload)

    for i in range(300):
        payload = Payload()
        payloads.add(payload)
        with qtbot.waitSignal(runner.finished, timeout=TIMEOUT):
            runner.submit(f"channel {i % 3}", lambda p=payload: task(p), lambda _: None, title="t")
        del payload
    assert runner.shutdown()
    gc.collect()
    assert len(payloads) == 0


def test_a_session_of_rows_kept_after_dropping_nan_rows_reopens(qtbot, window, tmp_path):
    """Soak seed 711: NaN rows dropped (the user agreed), then another open cancelled at once:
    the document took the new request's read options (refuse NaN rows) for the corpus on
    screen, and the session saved then could not be reopened ("3 of 30 rows hold NaN")."""
    vectors = np.random.default_rng(0).normal(size=(30, 4)).astype(np.float32)
    vectors[[4, 17, 18], 2] = np.nan
    nan_path = tmp_path / "nan.npy"
    np.save(nan_path, vectors)
    window.confirm_drop_nonfinite = lambda error: True
    doc = window.document
    with qtbot.waitSignal(doc.pipeline_finished, timeout=TIMEOUT):
        window.open_path(nan_path)
    window.open_path(tmp_path / "corpus.csv")
    window.runner.cancel()  # Esc at once: the 27 rows stay
    assert doc.corpus.n_rows == 27
    path = tmp_path / "dropped.embx"
    window.curation.save_session(str(path))
    window.last_error = None
    window.open_path(path)
    qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=TIMEOUT)
    assert window.last_error is None
    assert doc.corpus.n_rows == 27 and doc.source == nan_path
    assert window_problems(window) == []


def test_clicks_on_the_map_leave_no_object_per_point(qtbot, window):
    """The soak's memory curve: pyqtgraph made a SpotItem per point on the first click on a
    scatter, in a cycle through a numpy array that the garbage collector cannot free."""
    from pyqtgraph.graphicsItems.ScatterPlotItem import SpotItem

    view = window.plot_panel.view
    for row in (_visible_row(view), -1):
        at = view.view_to_widget(*map(float, view.index.coords[max(row, 0)]))
        pos = QPoint(round(at.x()), round(at.y())) if row >= 0 else QPoint(3, 3)
        QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
        qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=TIMEOUT)
        assert window.document.focus_row == row  # the click still picks (or clears)
    gc.collect()
    assert not any(_is_spot(o, SpotItem) for o in gc.get_objects())


def _is_spot(obj, spot_type) -> bool:
    try:
        return isinstance(obj, spot_type)
    except ReferenceError:  # a weak proxy whose object is gone
        return False
