"""A settings file can never stop the app: damaged, foreign or old files are set aside with a
note, a layout from another version is discarded, and --reset-settings starts afresh."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from embexplorer.cli.gui import parser
from embexplorer.gui.main_window import MainWindow
from embexplorer.gui.settings import SCHEMA_VERSION, WINDOW_STATE_VERSION, reset_settings
from tests.files import write_csv


def _window(qtbot, path: Path) -> MainWindow:
    window = MainWindow(QSettings(str(path), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def _saved_by_a_window(qtbot, path: Path) -> bytes:
    """The bytes of a settings file as this version writes it."""
    _window(qtbot, path).close()
    return path.read_bytes()


def _backups(path: Path, tag: str = "bad") -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.{tag}-*"))


def _binary_garbage(_: bytes) -> bytes:
    return np.random.default_rng(9).integers(0, 256, 400, dtype=np.uint8).tobytes()


def _truncated(good: bytes) -> bytes:
    return good[: len(good) // 2]  # cut inside the saved layout


def _foreign(_: bytes) -> bytes:  # another program's keys, and values of the wrong kind
    return b"[General]\nrecentFiles=5\ngeometry=a string\n[Palette]\ncolour=blue\n"


def _wrong_kind(_: bytes) -> bytes:  # ours, but the layout is text, not bytes
    return f"[General]\nschemaVersion={SCHEMA_VERSION}\ngeometry=a string\n".encode()


def _old(good: bytes) -> bytes:  # what embexplorer wrote before settings had a version
    return good.replace(f"schemaVersion={SCHEMA_VERSION}\n".encode(), b"")


def _newer(good: bytes) -> bytes:
    return good.replace(f"schemaVersion={SCHEMA_VERSION}".encode(), b"schemaVersion=99")


BAD_FILES = {
    "binary garbage": (_binary_garbage, "is not a text file"),
    "truncated": (_truncated, "damaged"),
    "foreign": (_foreign, "has no settings version"),
    "wrong kind": (
        _wrong_kind,
        "holds a geometry value that embexplorer never writes ('a string')",
    ),
    "old": (_old, "written by an older embexplorer or by another program"),
    "newer": (_newer, "written for settings version 99"),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_a_bad_settings_file_is_set_aside_with_a_note(qtbot, tmp_path, kind):
    make, reason = BAD_FILES[kind]
    path = tmp_path / "embexplorer.ini"
    bad = make(_saved_by_a_window(qtbot, path))
    path.write_bytes(bad)

    window = _window(qtbot, path)

    note = window.settings_note
    assert str(path) in note and reason in note and "fresh settings" in note
    assert window.settings_note_label.isVisible() and window.settings_note_label.text() == note
    assert not window.status_message.isVisible()  # the note is shown in its place
    [backup] = _backups(path)
    assert backup.name in note and backup.read_bytes() == bad
    window.close()
    assert _window(qtbot, path).settings_note == ""  # the fresh file is good


def test_the_note_gives_way_to_the_status_after_a_while(qtbot, tmp_path):
    path = tmp_path / "embexplorer.ini"
    path.write_bytes(_foreign(b""))
    window = _window(qtbot, path)
    window._settings_note_timer.setInterval(0)
    window._settings_note_timer.start()
    qtbot.waitUntil(lambda: window.status_message.isVisible())
    assert not window.settings_note_label.isVisible()


def test_a_good_or_empty_file_gives_no_note(qtbot, tmp_path):
    path = tmp_path / "embexplorer.ini"
    _saved_by_a_window(qtbot, path)
    assert _window(qtbot, path).settings_note == ""
    empty = tmp_path / "empty.ini"
    empty.write_bytes(b"")
    assert _window(qtbot, empty).settings_note == ""
    assert _backups(path) == _backups(empty) == []


def test_a_layout_from_another_window_version_is_discarded(qtbot, tmp_path):
    path = tmp_path / "embexplorer.ini"
    first = _window(qtbot, path)
    first.close()
    settings = QSettings(str(path), QSettings.Format.IniFormat)
    settings.setValue("windowState", first.saveState(WINDOW_STATE_VERSION + 1))
    settings.sync()
    del settings

    window = _window(qtbot, path)

    assert "window layout is from another version" in window.settings_note
    assert window.settings_note_label.isVisible()
    assert not window.settings.contains("windowState")  # not offered again
    assert _backups(path) == []  # the rest of the file is good: kept


def test_a_file_that_cannot_be_moved_aside_still_opens_the_window(qtbot, tmp_path, monkeypatch):
    path = tmp_path / "embexplorer.ini"
    path.write_bytes(_foreign(b""))

    def refuse(self, target):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "rename", refuse)
    window = _window(qtbot, path)

    assert "could not be moved aside (Permission denied)" in window.settings_note
    assert Path(window.settings.fileName()) != path
    window.close()
    assert path.read_bytes() == _foreign(b"")  # left as it was


def test_reset_settings_keeps_the_old_file_beside_it(qtbot, tmp_path):
    path = tmp_path / "embexplorer.ini"
    good = _saved_by_a_window(qtbot, path)
    note = reset_settings(QSettings(str(path), QSettings.Format.IniFormat))
    [backup] = _backups(path, "bak")
    assert str(backup) in note and backup.read_bytes() == good and not path.exists()
    assert "no saved settings" in reset_settings(QSettings(str(path), QSettings.Format.IniFormat))


def test_reset_settings_is_in_the_help():
    assert "--reset-settings" in parser().format_help()


def _screenshot(tmp_path: Path, corpus: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    shot = tmp_path / "s.png"
    return subprocess.run(
        [sys.executable, "-m", "embexplorer", str(corpus), "--screenshot", str(shot), *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_screenshot_with_bad_settings_or_a_reset_says_so_on_stderr(tmp_path, small_corpus_data):
    corpus = write_csv(tmp_path / "corpus.csv", small_corpus_data)
    path = tmp_path / "config" / "embexplorer" / "embexplorer.ini"
    path.parent.mkdir(parents=True)
    path.write_bytes(_binary_garbage(b""))

    done = _screenshot(tmp_path, corpus, "--reset-settings")

    assert done.returncode == 0, done.stderr
    assert (tmp_path / "s.png").exists()
    [backup] = _backups(path, "bak")
    assert f"Settings reset: the old settings were kept as {backup}" in done.stderr
    assert backup.read_bytes() == _binary_garbage(b"")
    path.write_bytes(_foreign(b""))

    done = _screenshot(tmp_path, corpus)

    assert done.returncode == 0, done.stderr
    [backup] = _backups(path)
    assert f"{path} has no settings version" in done.stderr and backup.name in done.stderr
