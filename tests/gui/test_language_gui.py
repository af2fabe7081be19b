"""The window says when the model does not read the texts' language, with the choice of
another model (issue 11, part 7); English texts get no notice."""

from __future__ import annotations

import csv

import pyarrow.parquet as pq
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFileDialog

from embexplorer.core.resources import demo_corpus_path
from embexplorer.gui.encoder_panel import CUSTOM_MODEL
from embexplorer.gui.main_window import MainWindow
from tests.core.language_texts import FRENCH

TIMEOUT = 60_000


@pytest.fixture
def window(qtbot, tmp_path):
    w = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.show()
    yield w
    w.close()


def texts_csv(path, texts):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["text"], *([t] for t in texts)])
    return path


def test_french_texts_get_a_notice_and_the_choice_of_another_model(
    qtbot, window, tmp_path, monkeypatch
):
    views, panel = window.encoder_views, window.encoder_panel
    with qtbot.waitSignal(views.language_checked, timeout=TIMEOUT) as checked:
        window.open_path(texts_csv(tmp_path / "fr.csv", FRENCH))
    warning = checked.args[0]
    assert "100% are in French, which all-MiniLM-L6-v2 does not read well" in warning
    assert panel.language_note.text() == warning and panel.language_note.isVisible()
    assert panel.other_model_button.isVisible()  # the Encoder tab was brought to the front
    assert window.status_message.text() == warning

    export = tmp_path / "multilingual"
    (export / "onnx").mkdir(parents=True)
    (export / "tokenizer.json").write_text("{}")
    model = export / "onnx" / "model.onnx"
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", lambda *a, **k: (str(model), "ONNX model (*.onnx)")
    )
    qtbot.mouseClick(panel.other_model_button, Qt.MouseButton.LeftButton)
    assert panel.model_combo.currentText() == CUSTOM_MODEL
    assert panel.model_path.text() == str(model) and panel.model_path.isEnabled()
    assert panel.tokenizer_path.text() == str(export / "tokenizer.json")  # found beside it


def test_english_texts_get_no_notice_and_a_new_corpus_clears_it(qtbot, window, tmp_path):
    views, panel = window.encoder_views, window.encoder_panel
    with qtbot.waitSignal(views.language_checked, timeout=TIMEOUT):
        window.open_path(texts_csv(tmp_path / "fr.csv", FRENCH))
    assert panel.language_note.text()
    english = pq.read_table(demo_corpus_path(), columns=["text"]).column("text").to_pylist()
    with qtbot.waitSignal(views.language_checked, timeout=TIMEOUT) as checked:
        window.open_path(texts_csv(tmp_path / "en.csv", english[:12]))
    assert checked.args[0] is None
    assert panel.language_note.text() == "" and not panel.other_model_button.isVisible()
