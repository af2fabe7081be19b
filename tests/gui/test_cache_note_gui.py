"""The window tells the user when the embedding cache could not store the vectors (they are
still drawn), and "Clear cache" sees the temporary files a crash left."""

from __future__ import annotations

import os
import time

import pytest
from PySide6.QtCore import QSettings

from embexplorer.gui.main_window import MainWindow

TIMEOUT = 60_000
KEY = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def texts_csv(tmp_path):
    path = tmp_path / "texts.csv"
    path.write_text("text\na river in spring\nthe city at night\nrivers and cities\n")
    return path


def _window(qtbot, tmp_path) -> MainWindow:
    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    return window


def test_a_cache_that_cannot_store_is_a_note_and_the_map_is_drawn(
    qtbot, tmp_path, monkeypatch, texts_csv
):
    (tmp_path / "cachefile").write_text("")
    monkeypatch.setenv("EMBEXPLORER_CACHE_DIR", str(tmp_path / "cachefile"))
    window = _window(qtbot, tmp_path)
    with qtbot.waitSignal(window.document.pipeline_finished, timeout=TIMEOUT):
        window.open_path(texts_csv)
    assert window.document.corpus.vectors.shape == (3, 384)
    assert len(window.plot_panel.view.index) == 3
    note = window.encoder_panel.cache_note
    assert not note.isHidden()
    assert note.text().startswith("Embedding cache: not saved: ")
    assert "is a file, not a folder" in note.text()
    window.close()


def test_clear_cache_is_offered_for_leftover_temporary_files(qtbot, tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    folder.mkdir()
    leftover = folder / f".{KEY}.npy.abc123.part"
    leftover.write_bytes(b"\0" * 50_000)
    then = time.time() - 7200
    os.utime(leftover, (then, then))
    monkeypatch.setenv("EMBEXPLORER_CACHE_DIR", str(folder))
    window = _window(qtbot, tmp_path)
    panel = window.encoder_panel
    assert "0 entries, 0.1 MB" in panel.cache_label.text()
    assert panel.clear_cache_button.isEnabled()
    window.close()
