"""The user data folder: error reports, crash logs and autosaved work, so nothing is lost.

- An unexpected exception (a bug, or MemoryError) becomes a short message for the user plus a
  report file here with the traceback and the versions; the message says where the report is.
- A crash of the interpreter itself (a segfault in a binding) cannot be caught: each GUI run
  points :mod:`faulthandler` at its own log file, removes it on a clean exit, and the next start
  names any log that a crashed run left behind.
- The window autosaves its work here as a session (``autosave-<pid>.embx``); a file whose
  process is gone belongs to a run that crashed or was killed, and the next start offers it.
"""

from __future__ import annotations

import datetime as _dt
import faulthandler
import os
import platform
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import IO

#: Error reports and crash logs kept; older ones are removed when a new one is written.
KEEP_REPORTS = 20


def data_dir() -> Path:
    """``$EMBEXPLORER_DATA_DIR``, else the platform's user data folder."""
    if env := os.environ.get("EMBEXPLORER_DATA_DIR"):
        return Path(env)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "embexplorer"


def _folder(name: str) -> Path:
    folder = data_dir() / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _stamp() -> str:
    return _dt.datetime.now().strftime("%Y%m%d-%H%M%S")


def _prune(folder: Path, pattern: str) -> None:
    files = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime)
    for old in files[:-KEEP_REPORTS]:
        old.unlink(missing_ok=True)


# -- unexpected exceptions ----------------------------------------------------------------------
def write_error_report(exc: BaseException, context: str = "") -> Path | None:
    """Write the traceback and versions to a new report file; its path, or None if impossible."""
    from embexplorer import __version__

    when = _dt.datetime.now().isoformat(timespec="seconds")
    lines = [
        f"embexplorer {__version__} error report, {when}",
        f"python {sys.version.split()[0]} on {platform.platform()}",
        f"command: {' '.join(sys.argv)}",
        f"context: {context}" if context else "",
        "",
        *traceback.format_exception(type(exc), exc, exc.__traceback__),
    ]
    try:
        folder = _folder("reports")
        handle, name = tempfile.mkstemp(prefix=f"error-{_stamp()}-", suffix=".txt", dir=folder)
        with os.fdopen(handle, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines))
        path = Path(name)
        _prune(folder, "error-*.txt")
    except OSError:
        return None
    return path


def unexpected_error_message(exc: BaseException, report: Path | None) -> str:
    """What the user reads about an exception that is not an InputError."""
    if isinstance(exc, MemoryError):
        what = "There was not enough memory for this step"
    else:
        what = f"Something went wrong inside embexplorer ({type(exc).__name__}: {exc}"[:300] + ")"
    where = f" A report was saved to {report}." if report else ""
    return f"{what}.{where}"


# -- crashes of the interpreter -----------------------------------------------------------------
@dataclass
class CrashLog:
    """This run's faulthandler log; :meth:`close` on a clean exit removes it."""

    path: Path
    _file: IO[str]

    def close(self) -> None:
        faulthandler.disable()
        self._file.close()
        self.path.unlink(missing_ok=True)


def start_crash_log() -> CrashLog | None:
    """Point faulthandler at a log of this run (None when the data folder is not writable)."""
    try:
        folder = _folder("crashes")
        path = folder / f"crash-{_stamp()}-{os.getpid()}.log"
        handle = open(path, "w", encoding="utf-8")  # noqa: SIM115 (open for the whole run)
    except OSError:
        return None
    faulthandler.enable(handle, all_threads=True)
    return CrashLog(path, handle)


def crashes_left_behind() -> list[Path]:
    """Logs of earlier runs that ended without a clean exit and recorded a fatal error.

    A run killed with SIGKILL leaves an empty log: nothing to show, so it is removed.
    """
    folder = data_dir() / "crashes"
    found = []
    for path in sorted(folder.glob("crash-*.log")) if folder.is_dir() else []:
        if process_alive(_pid_of(path)):
            continue
        try:
            empty = path.stat().st_size == 0
        except OSError:
            continue
        if empty:
            path.unlink(missing_ok=True)
        else:
            found.append(path)
    return found


def acknowledge_crash(path: Path) -> Path:
    """Keep a shown crash log as a report (so it is not shown again); the report's path."""
    target = _folder("reports") / path.name.replace(".log", ".txt")
    os.replace(path, target)
    return target


# -- autosaved work -----------------------------------------------------------------------------
def autosave_path(pid: int | None = None) -> Path:
    return _folder("autosave") / f"autosave-{os.getpid() if pid is None else pid}.embx"


def orphaned_autosaves() -> list[Path]:
    """Autosaves of runs that are gone (crashed or killed), newest first."""
    folder = data_dir() / "autosave"
    if not folder.is_dir():
        return []
    found = [p for p in folder.glob("autosave-*.embx") if not process_alive(_pid_of(p))]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def _pid_of(path: Path) -> int:
    try:
        return int(path.stem.rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return -1


def process_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate the process there
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)
        if handle:
            ctypes.windll.kernel32.CloseHandle(handle)
        return bool(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True
