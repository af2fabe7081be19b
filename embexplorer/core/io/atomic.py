"""Atomic file writes: write a temporary file in the same folder, then rename it into place.

A failure at any point (disk full, exception in the writer, killed process) leaves the
destination as it was: either the old file, or no file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from embexplorer.core.errors import InputError


@contextlib.contextmanager
def atomic_path(destination: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``destination``; rename it over ``destination`` on success."""
    destination = Path(destination)
    folder = destination.parent if str(destination.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"Cannot write {destination}: the folder {folder} does not exist.")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise InputError(f"Cannot write to {folder}: {exc.strerror or exc}.") from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        _fsync(tmp)
        os.chmod(tmp, _mode_for(destination))
        os.replace(tmp, destination)
    except OSError as exc:
        raise InputError(
            f"Writing {destination} failed: {exc.strerror or exc}. Nothing was changed."
        ) from exc
    finally:
        tmp.unlink(missing_ok=True)


def _mode_for(destination: Path) -> int:
    """Keep an existing file's permissions; a new file gets the usual 0o666 minus the umask."""
    try:
        return destination.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def write_text_atomic(destination: str | Path, text: str) -> Path:
    destination = Path(destination)
    with atomic_path(destination) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return destination
