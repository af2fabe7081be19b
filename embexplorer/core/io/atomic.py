"""Atomic file writes: write temporary files in the destination folder, then rename them.

A failure at any point (disk full, exception in the writer, killed process) leaves every
destination as it was: the old file, or no file. Several files written together (an export and
its provenance) are renamed only once all of them are complete.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from embexplorer.core.errors import InputError


@contextlib.contextmanager
def atomic_paths(destinations: Sequence[str | Path]) -> Iterator[list[Path]]:
    """Temporary paths beside ``destinations``, renamed over them when the block succeeds."""
    targets = [Path(d) for d in destinations]
    temps: list[Path] = []
    try:
        for target in targets:
            temps.append(_temporary_beside(target))
        yield temps
        for temp, target in zip(temps, targets, strict=True):
            _fsync(temp)
            os.chmod(temp, _mode_for(target))
        for temp, target in zip(temps, targets, strict=True):
            os.replace(temp, target)
    except OSError as exc:
        where = targets[len(temps) - 1] if temps else targets[0]
        raise InputError(
            f"Writing {where} failed: {exc.strerror or exc}. Nothing was changed."
        ) from exc
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_path(destination: str | Path) -> Iterator[Path]:
    """One temporary path beside ``destination``; see :func:`atomic_paths`."""
    with atomic_paths([destination]) as temps:
        yield temps[0]


def _temporary_beside(target: Path) -> Path:
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"Cannot write {target}: the folder {folder} does not exist.")
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise InputError(f"Cannot write to {folder}: {exc.strerror or exc}.") from exc
    os.close(fd)
    return Path(name)


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
