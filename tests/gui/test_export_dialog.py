"""The export dialog offers only what can be written: without vectors, the vector formats and
the vectors column are disabled, with a tooltip that says why (issue 9 item 7)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from embexplorer.core.corpus import Corpus
from embexplorer.core.errors import InputError
from embexplorer.core.state.export_frame import GROUPS
from embexplorer.core.tasks import run_task
from embexplorer.gui.curation import export_rows_task
from embexplorer.gui.export_dialog import ExportDialog, ExportRequest

NOTE = "analysed.parquet has no vectors (columns: id, text, neighbors, x, y)"


def _dialog(qtbot, tmp_path, available, no_vectors=None):
    dialog = ExportDialog(None, 0, 30, available, str(tmp_path), no_vectors=no_vectors)
    qtbot.addWidget(dialog)
    return dialog


def _enabled(dialog, fmt):
    return dialog.format.model().item(dialog.format.findData(fmt)).isEnabled()


def test_without_vectors_the_vector_formats_are_disabled(qtbot, tmp_path):
    dialog = _dialog(qtbot, tmp_path, {"ids", "metadata", "text", "xy"}, NOTE)
    for fmt in ("npy", "projector"):
        assert not _enabled(dialog, fmt)
        tip = dialog.format.itemData(dialog.format.findData(fmt), Qt.ItemDataRole.ToolTipRole)
        assert tip.startswith(NOTE) and "choose Parquet, CSV, TSV or JSON Lines" in tip
    assert all(_enabled(dialog, fmt) for fmt in ("parquet", "csv", "tsv", "jsonl"))
    vectors = dialog.groups["vectors"]
    assert not vectors.isEnabled() and not vectors.isChecked()
    assert vectors.toolTip() == NOTE + "."
    assert dialog.request().format == "parquet" and "vectors" not in dialog.request().groups


def test_with_vectors_every_format_is_offered(qtbot, tmp_path):
    dialog = _dialog(qtbot, tmp_path, set(GROUPS))
    assert all(_enabled(dialog, dialog.format.itemData(i)) for i in range(dialog.format.count()))
    assert dialog.groups["vectors"].toolTip() == ""


def test_the_window_refuses_a_vector_export_without_vectors(tmp_path):
    """A request made without the dialog (a script, an old setting) is refused on the worker."""
    corpus = Corpus(
        ids=np.arange(4),
        columns={"text": np.array(list("abcd"), dtype=object)},
        provenance={"source": str(tmp_path / "texts.csv")},
    )
    snapshot = {"corpus": corpus, "rows": np.arange(4), "result": None, "tags": None, "note": ""}
    request = ExportRequest(tmp_path / "v.npy", "npy", False, ("ids",))
    with pytest.raises(InputError, match=r"texts\.csv has no vectors \(columns: text\)"):
        run_task(export_rows_task(snapshot, request, overwrite=False))
    assert list(tmp_path.iterdir()) == []
