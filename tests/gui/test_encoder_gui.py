"""Embedding in the window: a text-only corpus is embedded and drawn; search by meaning."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt

from embexplorer.core.resources import demo_corpus_path
from embexplorer.core.tasks import Progress
from embexplorer.gui.main_window import MainWindow

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
def window(qtbot, tmp_path):
    w = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.show()
    yield w
    w.close()


@pytest.fixture
def texts_csv(tmp_path):
    path = tmp_path / "texts.csv"
    rows = [
        f'"{t}",{k}'
        for t, k in zip(TEXTS, ["music", "music", "money", "money", "cat", "cat"], strict=True)
    ]
    path.write_text("text,topic\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_text_only_corpus_is_embedded_and_drawn(qtbot, window, texts_csv):
    with qtbot.waitSignal(window.document.pipeline_finished, timeout=TIMEOUT):
        window.open_path(texts_csv)
    corpus = window.document.corpus
    assert corpus.vectors.shape == (6, 384)
    assert corpus.provenance["encoder"]["pooling"] == "mean"
    assert len(window.plot_panel.view.index) == 6
    v = corpus.vectors
    assert v[0] @ v[1] == pytest.approx(0.78, abs=0.01)  # the known value, through the GUI
    assert "1 entry" in window.encoder_panel.cache_label.text()


def test_run_from_the_encoder_panel_redraws(qtbot, window, texts_csv):
    with qtbot.waitSignal(window.document.pipeline_finished, timeout=TIMEOUT):
        window.open_path(texts_csv)
    before = window.plot_panel.view.index.coords.copy()
    panel = window.encoder_panel
    panel.normalize.setChecked(False)
    panel.pooling.setCurrentText("cls")
    with qtbot.waitSignal(window.document.pipeline_finished, timeout=TIMEOUT):
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    corpus = window.document.corpus
    assert corpus.provenance["encoder"]["pooling"] == "cls"
    assert not np.allclose(np.linalg.norm(corpus.vectors, axis=1), 1.0)
    assert not np.allclose(window.plot_panel.view.index.coords, before)
    assert panel.progress.text().startswith("6 of 6 texts")  # (the map came after it)


def test_cancel_embedding_from_the_panel(qtbot, window, texts_csv, monkeypatch):
    started, release, closed = threading.Event(), threading.Event(), []

    def slow_embed(corpus, config, cache=None):
        try:
            started.set()
            while not release.wait(0.01):
                yield Progress(0.1, "1 of 6 texts")
        finally:
            closed.append(True)

    monkeypatch.setattr("embexplorer.gui.document.embed_corpus_task", slow_embed)
    window.open_path(texts_csv)
    qtbot.waitUntil(started.is_set, timeout=TIMEOUT)
    panel = window.encoder_panel
    qtbot.waitUntil(panel.cancel_button.isEnabled, timeout=TIMEOUT)
    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: closed == [True], timeout=1000)
    release.set()
    assert window.document.corpus.vectors is None
    assert panel.run_button.isEnabled() and not panel.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: panel.progress.text() == "Stopped: no vectors were made.")


def test_a_refused_model_leaves_no_loading_caption(qtbot, window, texts_csv):
    """A max length beyond the model's positions is refused while the model loads; the panel
    once went on saying "Loading model.onnx"."""
    with qtbot.waitSignal(window.document.pipeline_finished, timeout=TIMEOUT):
        window.open_path(texts_csv)
    panel = window.encoder_panel
    panel.max_length.setValue(1000)
    with qtbot.waitSignal(window.runner.channel_busy, timeout=TIMEOUT):
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.progress.text() == "Stopped: no vectors were made.")
    assert "takes at most 512 tokens" in window.status_message.text()


def test_search_by_meaning(qtbot, window):
    with qtbot.waitSignal(window.document.pipeline_finished, timeout=TIMEOUT):
        window.open_path(demo_corpus_path())
    panel = window.query_panel
    panel.k.setValue(7)
    with qtbot.waitSignal(window.document.query_changed, timeout=TIMEOUT):
        qtbot.keyClicks(panel.field, "famous painters")
        qtbot.keyClick(panel.field, Qt.Key.Key_Return)
    corpus = window.document.corpus
    rows = panel.result_rows()
    assert len(rows) == 7 and panel.table.rowCount() == 7
    assert any("painter" in corpus.texts[r] for r in rows)
    overlay = window.plot_panel.view.query_overlay
    np.testing.assert_allclose(overlay.targets(), window.plot_panel.view.index.coords[rows])
    x, _ = overlay.origin.getData()
    assert len(x) == 1  # PCA can place the query: the star is drawn
    with qtbot.waitSignal(window.document.focus_changed, timeout=TIMEOUT):
        panel.table.selectRow(2)
    assert window.document.focus_row == rows[2]
    panel.clear()
    assert len(overlay.targets()) == 0


def test_query_on_foreign_vectors_explains(qtbot, window, tmp_path):
    path = tmp_path / "v.npy"
    np.save(path, np.random.default_rng(0).normal(size=(20, 5)).astype(np.float32))
    with qtbot.waitSignal(window.document.pipeline_finished, timeout=TIMEOUT):
        window.open_path(path)
    with qtbot.waitSignal(window.document.query_failed, timeout=TIMEOUT):
        window.query_panel.field.setText("anything")
        window.query_panel.search_button.click()
    assert "not made by embexplorer's encoder" in window.query_panel.status.text()


def test_a_model_named_by_the_data_file_runs_only_with_consent(qtbot, window, texts_csv, tmp_path):
    """A data file once made the window run the model its provenance named, without asking."""
    import shutil

    from embexplorer import cli
    from embexplorer.core.resources import default_tokenizer_path
    from embexplorer.gui.settings import trusted_models
    from tests.core import onnx_models

    model = onnx_models.embedding_model(tmp_path / "m.onnx", vocab=30522, dim=8)
    tokenizer = shutil.copy(default_tokenizer_path(), tmp_path / "tok.json")
    out = tmp_path / "embedded.parquet"
    args = ["embed", str(texts_csv), "--text-column", "text", "--model", str(model)]
    assert cli.main([*args, "--tokenizer", str(tokenizer), "-o", str(out), "--no-cache"]) == 0
    with qtbot.waitSignal(window.document.pipeline_finished, timeout=TIMEOUT):
        window.open_path(out)
    asked = []
    window.confirm_model = lambda error: asked.append(error) or False
    with qtbot.waitSignal(window.document.query_failed, timeout=TIMEOUT) as refused:
        window.document.query("a guitar", 3)
    assert "was not run" in refused.args[0] and len(asked) == 1
    assert str(model) in str(asked[0]) and window.document.query_result is None
    window.confirm_model = lambda error: asked.append(error) or True
    with qtbot.waitSignal(window.document.query_changed, timeout=TIMEOUT) as found:
        window.document.query("a guitar", 3)
    assert len(found.args[0].rows) == 3 and len(asked) == 2
    assert trusted_models(window.settings) == [asked[0].model_sha256]
    with qtbot.waitSignal(window.document.query_changed, timeout=TIMEOUT):
        window.document.query("stocks", 3)  # remembered: not asked again
    assert len(asked) == 2
