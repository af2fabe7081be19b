"""The window on an analysed dataset (a folder of shards): the stored map and neighbours, the
features that need vectors off with the reason, the selection exported streamed."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PySide6.QtCore import QSettings, Qt

from embexplorer.benchmarks.bigmap import write_analysed_dataset
from embexplorer.gui.document import NO_VECTORS_REASON
from embexplorer.gui.export_dialog import ExportRequest
from embexplorer.gui.main_window import MainWindow
from tests.gui.conftest import TIMEOUT


@pytest.fixture
def analysed_window(qtbot, tmp_path):
    folder = tmp_path / "analysed"
    write_analysed_dataset(folder, 2000, shards=3, row_group_rows=200)
    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitSignal(window.document.colors_changed, timeout=TIMEOUT):
        window.open_path(folder)
    yield window, folder
    window.close()


def test_the_map_is_the_stored_positions(analysed_window):
    window, folder = analysed_window
    doc = window.document
    table = pa.concat_tables(pq.read_table(p) for p in sorted(folder.glob("*.parquet")))
    coords = doc.map_data.projection.coords
    np.testing.assert_array_equal(coords[:, 0], table["x"].to_numpy())
    assert doc.stored is not None and doc.corpus.n_rows == 2000
    assert doc.colors.column == "category" and len(doc.colors.codes) == 2000
    assert window.plot_panel.view.index is doc.map_data.index


def test_a_clicked_row_lists_its_stored_neighbours(analysed_window, qtbot):
    window, folder = analysed_window
    doc = window.document
    with qtbot.waitSignal(doc.analysis.inspected, timeout=TIMEOUT):
        doc.set_focus(1234)
    stored = pq.read_table(sorted(folder.glob("*.parquet"))[1])  # rows 666 … 1332
    expected = stored["neighbors"][1234 - 666].as_py()
    assert window.neighbors_panel.shown_rows()[0] == expected
    assert "precomputed, approximate" in window.neighbors_panel.raw_title.text()
    assert "N_k = " in window.neighbors_panel.listed_by.text()
    panel = window.neighbors_panel
    assert not panel.k.isEnabled() and panel.metric_choice.currentData() == "euclidean"
    # the texts of the listed rows were read from their row groups only
    reads = doc.stored.row_group_reads
    doc.describe_row(int(expected[0]))  # the hover card of a listed row: already read
    assert doc.stored.row_group_reads == reads


def test_hovering_reads_the_id_and_text_of_one_row_group(analysed_window):
    window, folder = analysed_window
    doc = window.document
    reads = doc.stored.row_group_reads
    card = doc.describe_row(1999)  # the last row group of the last shard: not read yet
    table = pq.read_table(sorted(folder.glob("*.parquet"))[-1])
    assert card.splitlines()[0] == table["id"][-1].as_py()
    assert card.splitlines()[-1] == table["text"][-1].as_py()
    assert doc.stored.row_group_reads == reads + 2  # its id and text columns, nothing else


def test_features_that_need_vectors_are_off_and_say_why(analysed_window, qtbot):
    window, _ = analysed_window
    for panel in (window.analysis_panel, window.encoder_panel, window.query_panel):
        assert not panel.isEnabled()
        assert panel.toolTip() == NO_VECTORS_REASON
    with qtbot.waitSignal(window.document.query_failed, timeout=TIMEOUT) as failed:
        window.document.query("anything")
    assert failed.args == [NO_VECTORS_REASON]
    with qtbot.waitSignal(window.document.failed, timeout=TIMEOUT) as failed:
        window.document.embed()
    assert failed.args[1] == NO_VECTORS_REASON


def test_a_lasso_exports_its_rows_streamed(analysed_window, qtbot, tmp_path):
    window, folder = analysed_window
    doc = window.document
    coords = doc.map_data.projection.coords
    (x0, y0), (x1, y1) = coords.min(axis=0), coords.max(axis=0)
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    polygon = np.array([[x0, y0], [xm, y0], [xm, ym], [x0, ym]], dtype=float)
    with qtbot.waitSignal(doc.selection.changed, timeout=TIMEOUT):
        window.selection_views._on_lasso(polygon, Qt.KeyboardModifier.NoModifier)
    rows = doc.selection.selection.rows
    inside = np.flatnonzero((coords[:, 0] <= xm) & (coords[:, 1] <= ym))
    assert len(rows) > 0 and set(rows) <= set(inside)
    doc.selection.tag("keep")
    assert doc.column_values("tags")[rows[0]] == "keep"
    out = tmp_path / "lasso.parquet"
    with qtbot.waitSignal(
        window.runner.finished, check_params_cb=lambda channel: channel == "export", timeout=TIMEOUT
    ):
        window.curation.start_export(ExportRequest(out, "parquet", True, ()), overwrite=False)
    written = pq.read_table(out)
    table = pa.concat_tables(pq.read_table(p) for p in sorted(folder.glob("*.parquet")))
    assert written["id"].to_pylist() == table["id"].take(pa.array(rows)).to_pylist()
    assert written["neighbors"].to_pylist() == table["neighbors"].take(pa.array(rows)).to_pylist()
    assert set(written["tags"].to_pylist()) == {"keep"}


def test_a_chart_filter_keeps_the_rows_of_a_category(analysed_window, qtbot):
    from embexplorer.core.state.filters import ColumnFilter, Filters

    window, folder = analysed_window
    doc = window.document
    wanted = Filters((ColumnFilter("category", values=frozenset(["topic 3"])),))
    if window.runner.is_busy("charts"):  # a filter is a click on a chart: wait for the charts
        with qtbot.waitSignal(
            window.runner.channel_busy,
            check_params_cb=lambda channel, running: channel == "charts" and not running,
            timeout=TIMEOUT,
        ):
            pass
    with qtbot.waitSignal(doc.filters_changed, timeout=TIMEOUT):
        doc.set_filters(wanted)
    table = pa.concat_tables(pq.read_table(p) for p in sorted(folder.glob("*.parquet")))
    expected = np.array(table["category"].to_pylist()) == "topic 3"
    np.testing.assert_array_equal(doc.filter_mask, expected)
