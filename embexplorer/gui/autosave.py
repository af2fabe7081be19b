"""Autosave and recovery: after a crash or a kill, the work comes back.

The window's work (corpus reference, tags, selection, analysis parameters and results, focus,
colouring, view) is written as a session (``.embx``) into the user data folder every minute
when something changed, and soon after every tag change. The state is snapshotted on the GUI
thread (its parts are immutable values) and written on a thread of its own, atomically, so a
kill during the write leaves the previous autosave intact. A clean exit deletes the file; a
file whose process is gone belongs to a run that crashed or was killed, and the next start
offers to restore it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from embexplorer.core.errors import InputError
from embexplorer.core.state.recovery import autosave_path, data_dir, orphaned_autosaves
from embexplorer.core.state.session_file import SessionState, save_session, session_summary
from embexplorer.core.tasks import Progress, Task
from embexplorer.gui.worker import TaskRunner

#: How often the work is saved when it changed (ms).
INTERVAL_MS = 60_000
#: After a tag change, the save waits this long for more changes (ms).
TAG_DELAY_MS = 1_000
#: Recovered autosaves kept after they were restored (the newest).
KEEP_RECOVERED = 3


def _write_task(path: Path, state: SessionState) -> Task[Path]:
    yield Progress(None, "Autosaving")
    return save_session(path, state)


class Autosaver(QObject):
    """Writes the document's session to ``path`` in the background when it changed."""

    saved = Signal(object)  # Path
    failed = Signal(str)

    def __init__(self, document, view_range: Callable[[], list], parent: QObject | None = None):
        super().__init__(parent)
        self.document = document
        self.path = autosave_path()
        self._view_range = view_range
        self._runner = TaskRunner(self, max_threads=1)  # its own thread; not in the status bar
        self._written_key: tuple | None = None
        self._timer = QTimer(self, interval=INTERVAL_MS)
        self._timer.timeout.connect(self.save_if_changed)
        self._timer.start()
        self._soon = QTimer(self, singleShot=True, interval=TAG_DELAY_MS)
        self._soon.timeout.connect(self.save_if_changed)
        document.tags_changed.connect(lambda _: self._soon.start())

    def _key(self) -> tuple:
        """What the autosave holds: when none of it changed, nothing is written."""
        doc = self.document
        return (
            id(doc.corpus),
            id(doc.analysis.result),
            id(doc.selection.selection),
            id(doc.selection.tags),
            doc.focus_row,
            doc.color_column,
        )

    def save_if_changed(self) -> None:
        doc = self.document
        if doc.corpus is None or doc.source is None or self._runner.is_busy():
            return
        key = self._key()
        if key == self._written_key:
            return
        try:
            state = doc.session_state(self._view_range())
        except InputError:
            return
        self._runner.submit(
            "autosave",
            lambda: _write_task(self.path, state),
            lambda path: self._on_saved(key, path),
            title="Autosaving",
            on_error=lambda exc, _details: self.failed.emit(str(exc)),
        )

    def _on_saved(self, key: tuple, path: Path) -> None:
        self._written_key = key
        self.saved.emit(path)

    def finish(self) -> None:
        """A clean exit: wait for a write in progress, then remove the autosave."""
        self._timer.stop()
        self._soon.stop()
        self._runner.shutdown()
        self.path.unlink(missing_ok=True)


def recovery_candidate() -> tuple[Path, str] | None:
    """The newest autosave of a run that crashed or was killed, and how to describe it."""
    for path in orphaned_autosaves():
        when = dt.datetime.fromtimestamp(path.stat().st_mtime).strftime("%H:%M")
        try:
            summary = session_summary(path)
        except InputError:
            path.unlink(missing_ok=True)  # damaged: nothing to restore from it
            continue
        return path, f"Restore the work from {when} ({summary})?"
    return None


def take_for_recovery(path: Path) -> Path:
    """Move an orphaned autosave aside (so it is offered once) and return where it went."""
    folder = data_dir() / "autosave"
    target = folder / f"recovered-{dt.datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.embx"
    os.replace(path, target)
    kept = sorted(folder.glob("recovered-*.embx"), key=lambda p: p.stat().st_mtime)
    for old in kept[:-KEEP_RECOVERED]:
        old.unlink(missing_ok=True)
    return target


def discard_orphans() -> None:
    for path in orphaned_autosaves():
        path.unlink(missing_ok=True)
