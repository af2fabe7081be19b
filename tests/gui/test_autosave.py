"""Autosave and recovery: after a kill -9, the next start restores the tags and selection."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from embexplorer.core.state.recovery import data_dir, orphaned_autosaves
from embexplorer.core.state.session_file import load_session
from embexplorer.gui.main_window import MainWindow
from tests.files import write_csv

TIMEOUT = 60_000


def test_a_tag_change_is_autosaved_and_a_clean_exit_removes_it(qtbot, opened_window):
    window = opened_window
    window.document.selection.apply([2, 3])
    with qtbot.waitSignal(window.autosaver.saved, timeout=TIMEOUT) as saved:
        window.document.selection.tag("keep")
    state = load_session(saved.args[0])
    assert state.selection.tolist() == [2, 3]
    assert state.tags[2] == state.tags[3] == "keep" and state.tags[0] == ""
    assert state.analysis.params == window.document.analysis.params
    window.close()
    assert not saved.args[0].exists()  # a clean exit leaves nothing to recover


# The first run: open the corpus, select and tag, wait until the autosave is written, say so,
# then keep running until it is killed.
_FIRST_RUN = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    from embexplorer.gui.main_window import MainWindow

    app = QApplication([])
    window = MainWindow(QSettings(sys.argv[2], QSettings.Format.IniFormat))
    window.show()

    def work():
        window.document.selection.apply([4, 5, 6])
        window.document.selection.tag("chosen")

    def saved(path):
        from embexplorer.core.state.session_file import load_session

        if load_session(path).tags is not None:  # the save after the tag change
            print("saved", path, flush=True)

    window.document.pipeline_finished.connect(work)
    window.autosaver.saved.connect(saved)
    window.open_path(sys.argv[1])
    app.exec()
    """
)


def test_after_kill_9_the_next_start_restores_tags_and_selection(
    qtbot, tmp_path, small_corpus_data
):
    corpus = write_csv(tmp_path / "corpus.csv", small_corpus_data)
    env = {**os.environ, "EMBEXPLORER_DATA_DIR": str(data_dir())}
    first = subprocess.Popen(
        [sys.executable, "-c", _FIRST_RUN, str(corpus), str(tmp_path / "first.ini")],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = first.stdout.readline()  # blocks until the autosave is on disk
        assert line.startswith("saved "), line
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
        first.stdout.close()
    assert len(orphaned_autosaves()) == 1
    window = MainWindow(QSettings(str(tmp_path / "second.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    asked = []
    window.confirm_recovery = lambda question: asked.append(question) or True
    with qtbot.waitSignal(window.document.session_restored, timeout=TIMEOUT):
        assert window.offer_recovery()
    assert "Restore the work from" in asked[0] and "corpus.csv, 3 tagged rows" in asked[0]
    assert window.document.selection.selection.rows.tolist() == [4, 5, 6]
    tags = window.document.selection.tags
    assert list(tags[[4, 5, 6]]) == ["chosen"] * 3 and set(tags[:4]) == {""}
    np.testing.assert_array_equal(window.document.corpus.vectors, small_corpus_data["vectors"])
    assert orphaned_autosaves() == []  # offered once
    window.close()


def test_a_damaged_autosave_is_never_offered(qtbot, tmp_path):
    orphan = data_dir() / "autosave" / "autosave-999999999.embx"
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"not a session")  # damaged: never offered
    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.confirm_recovery = lambda question: pytest.fail("a damaged autosave was offered")
    assert not window.offer_recovery()
    assert not orphan.exists()
    window.close()
