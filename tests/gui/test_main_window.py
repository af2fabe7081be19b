"""The window as a person uses it: open, colour, click, search, cancel, errors."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDropEvent

from embexplorer.core.tasks import Progress
from embexplorer.gui.main_window import MainWindow
from tests.files import FORMATS, bad_inputs, write_all, write_csv

TIMEOUT = 20_000


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings):
    w = MainWindow(settings)
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()


@pytest.fixture
def csv_path(tmp_path, small_corpus_data):
    return write_csv(tmp_path / "corpus.csv", small_corpus_data)


def _open(qtbot, window, path, options=None):
    with qtbot.waitSignal(window.document.pipeline_finished, timeout=TIMEOUT):
        window.open_path(path, options)


def test_open_shows_every_point_coloured_by_label(qtbot, window, csv_path):
    _open(qtbot, window, csv_path)
    assert window.dataset_panel.model.rowCount() == 30
    view = window.plot_panel.view
    assert len(view.index) == 30 and view.detail.startswith("30 points")
    assert view.colors.kind == "categorical" and view.colors.column == "label"
    assert window.plot_panel.legend.labels() == ["alpha  (10)", "beta  (10)", "gamma  (10)"]
    assert window.dataset_panel.label_combo.currentText() == "label"
    assert window.dataset_panel.text_combo.currentText() == "text"
    assert "corpus.csv" in window.windowTitle()


def test_colour_by_numeric_column(qtbot, window, csv_path):
    _open(qtbot, window, csv_path)
    combo = window.plot_panel.color_combo
    with qtbot.waitSignal(window.document.colors_changed, timeout=TIMEOUT):
        combo.setCurrentText("score")
        combo.activated.emit(combo.currentIndex())
    colors = window.plot_panel.view.colors
    assert colors.kind == "numeric" and colors.value_range == (0.0, 1.0)
    assert window.plot_panel.legend.bar.isVisible()


def _click_row(qtbot, window, row):
    view = window.plot_panel.view
    x, y = view.index.coords[row]
    pos = view.view_to_widget(float(x), float(y))
    qtbot.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(round(pos.x()), round(pos.y()))
    )


def _pickable_at_pixel(view, row) -> bool:
    """Whether clicking the whole pixel nearest to ``row``'s point picks ``row``."""
    x, y = view.index.coords[row]
    pos = view.view_to_widget(float(x), float(y))
    pixel = QPointF(round(pos.x()), round(pos.y()))
    return view.row_at(view.mapToScene(pixel.toPoint())) == row


def test_clicking_a_point_selects_its_table_row(qtbot, window, csv_path):
    _open(qtbot, window, csv_path)
    view = window.plot_panel.view
    for row in (0, 17, 29):
        if not _pickable_at_pixel(view, row):  # another point drawn on top at this spot
            continue
        with qtbot.waitSignal(window.document.focus_changed, timeout=TIMEOUT):
            _click_row(qtbot, window, row)
        assert window.dataset_panel.selected_row() == row
        assert window.document.focus_row == row


def test_selecting_a_table_row_highlights_the_point(qtbot, window, csv_path):
    _open(qtbot, window, csv_path)
    with qtbot.waitSignal(window.document.focus_changed, timeout=TIMEOUT):
        window.dataset_panel.table.selectRow(12)
    x, y = window.plot_panel.view._highlight.getData()
    np.testing.assert_allclose([x[0], y[0]], window.plot_panel.view.index.coords[12])


def test_search_filters_the_table(qtbot, window, csv_path):
    _open(qtbot, window, csv_path)
    with qtbot.waitSignal(window.document.rows_filtered, timeout=TIMEOUT):
        qtbot.keyClicks(window.dataset_panel.search, "GAMMA")
    rows = window.dataset_panel.model.visible_rows
    assert rows.tolist() == list(range(20, 30))
    assert window.dataset_panel.count.text() == "10 of 30 rows"
    assert not window.dataset_panel.select_row(3)  # hidden by the filter


def test_hover_text_describes_the_row(qtbot, window, csv_path):
    _open(qtbot, window, csv_path)
    text = window.plot_panel.view.tooltip_text(21)
    assert text.startswith("21\nlabel: gamma\ntext number 21 about gamma")


def test_cancel_a_running_job(qtbot, window, csv_path, monkeypatch):
    started, released, closed = threading.Event(), threading.Event(), []

    def stuck_projection(vectors, params, previous, texts):
        try:
            started.set()
            while not released.wait(0.01):
                yield Progress(None, "working")
        finally:
            closed.append(True)

    monkeypatch.setattr("embexplorer.gui.analysis_session.projection_then_index", stuck_projection)
    window.open_path(csv_path)
    qtbot.waitUntil(started.is_set, timeout=TIMEOUT)  # loaded, now projecting
    qtbot.waitUntil(lambda: window.task_status.cancel_button.isVisible(), timeout=TIMEOUT)
    with qtbot.waitSignal(window.runner.busy_changed, timeout=TIMEOUT) as blocker:
        qtbot.mouseClick(window.task_status.cancel_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [False]
    qtbot.waitUntil(lambda: closed == [True], timeout=1000)  # stopped within a second
    released.set()
    assert window.document.map_data is None
    assert not window.task_status.cancel_button.isVisible()


def test_bad_file_shows_its_message(qtbot, window, tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2\n3\n")
    with qtbot.waitSignal(window.document.failed, timeout=TIMEOUT):
        window.open_path(path)
    title, message, _ = window.last_error
    assert title == "Could not open ragged.csv"
    assert "line 3: expected 2 fields" in message
    assert window.document.corpus is None


@pytest.mark.parametrize("consent", [True, False])
def test_nonfinite_rows_need_consent(qtbot, window, tmp_path, consent):
    vectors = np.random.default_rng(0).normal(size=(20, 4)).astype(np.float32)
    vectors[5, 2] = np.nan
    path = tmp_path / "nan.npy"
    np.save(path, vectors)
    asked = []
    window.confirm_drop_nonfinite = lambda error: asked.append(error.n_rows) or consent
    if consent:
        _open(qtbot, window, path)
        assert window.document.corpus.n_rows == 19
        assert window.document.corpus.provenance["dropped_nonfinite_rows"] == 1
    else:
        window.open_path(path)
        qtbot.waitUntil(lambda: window.last_error is not None, timeout=TIMEOUT)
        assert "1 of 20 rows hold NaN" in window.last_error[1]
        assert window.document.corpus is None
    assert asked == [1]


def test_drop_a_file_onto_the_window(qtbot, window, csv_path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(csv_path))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(window.document.pipeline_finished, timeout=TIMEOUT):
        window.dropEvent(event)
    assert window.document.corpus.n_rows == 30


def test_recent_files_and_geometry_persist(qtbot, settings, csv_path):
    first = MainWindow(settings)
    qtbot.addWidget(first)
    first.show()
    with qtbot.waitSignal(first.document.pipeline_finished, timeout=TIMEOUT):
        first.open_path(csv_path)
    first.resize(1300, 800)
    qtbot.waitUntil(lambda: (first.width(), first.height()) == (1300, 800))
    size = (first.width(), first.height())
    first.close()
    second = MainWindow(settings)
    qtbot.addWidget(second)
    assert second.recent_menu.actions()[0].text() == str(csv_path.resolve())
    assert (second.width(), second.height()) == size
    second.close()


def test_choosing_the_label_column_recolours(qtbot, window, csv_path):
    _open(qtbot, window, csv_path)
    combo = window.dataset_panel.label_combo
    with qtbot.waitSignal(window.document.colors_changed, timeout=TIMEOUT):
        combo.setCurrentText("score")
        combo.activated.emit(combo.currentIndex())
    assert window.document.corpus.label_column == "score"
    assert window.plot_panel.color_combo.currentText() == "score"


def test_every_format_opens_in_the_window(qtbot, window, tmp_path, small_corpus_data):
    files = write_all(tmp_path / "in", small_corpus_data)
    for kind in FORMATS:
        _open(qtbot, window, files[kind])
        assert window.document.corpus.n_rows == 30, kind
        assert len(window.plot_panel.view.index) == 30, kind
        assert window.dataset_panel.model.rowCount() == 30, kind


def test_every_bad_input_shows_its_message(qtbot, window, tmp_path):
    window.confirm_drop_nonfinite = lambda error: False
    for path, phrase in bad_inputs(tmp_path).items():
        window.last_error = None
        window.open_path(path)
        qtbot.waitUntil(lambda: window.last_error is not None, timeout=TIMEOUT)
        assert phrase in window.last_error[1], (path.name, window.last_error)
        assert window.last_error[0] == f"Could not open {path.name}"
