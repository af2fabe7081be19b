"""Leftovers of killed writers: ``.NAME.<random>.part`` temporaries and ``.NAME.<random>.bak``
backups (``core/io/atomic.py``), removed by the next write to NAME once they are stale.

Stale means no live writer can own the file. Each writer holds a lock (``flock``) on its
temporaries from the moment they exist until it ends, and the kernel drops the lock when the
process dies, so an unlocked temporary untouched for :data:`UNLOCKED_STALE_AFTER_S` is a dead
writer's, while a concurrent writer's files are never touched, however slow it is. Backups
carry no lock (they live for the milliseconds of a group's renames, unless a failure kept one
and said so), and where there are no locks (Windows) age alone decides: untouched for
:data:`STALE_AFTER_S`.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import time
from collections.abc import Iterable
from pathlib import Path

try:  # POSIX; elsewhere leftovers are recognised by their age alone
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

#: A leftover temporary or backup untouched for this long belongs to a writer that died.
STALE_AFTER_S = 3600.0
#: The same for a temporary that no live writer locks (the lock is taken as it is created).
UNLOCKED_STALE_AFTER_S = 60.0


def remove_stale_leftovers(destinations: Iterable[str | Path]) -> list[Path]:
    """Remove the temporaries and backups that killed writers left for ``destinations``.

    Only files that match a destination's own pattern and are stale (see above) are removed.
    Returns them.
    """
    by_folder: dict[Path, list[re.Pattern[str]]] = {}
    for target in (Path(d) for d in destinations):
        pattern = re.compile(rf"\.{re.escape(target.name)}\.[A-Za-z0-9_]{{8}}\.(part|bak)")
        by_folder.setdefault(_folder_of(target), []).append(pattern)
    removed: list[Path] = []
    now = time.time()
    for folder, patterns in by_folder.items():
        try:
            names = [e.name for e in os.scandir(folder) if e.name.startswith(".")]
        except OSError:
            continue
        for name in names:
            path = folder / name
            if any(p.fullmatch(name) for p in patterns) and _is_stale(path, now):
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed.append(path)
    return removed


def _is_stale(path: Path, now: float) -> bool:
    try:
        info = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISREG(info.st_mode):
        return False
    # a hard-link backup keeps the old file's mtime; the link itself updates ctime
    age = now - max(info.st_mtime, info.st_ctime)
    if age >= STALE_AFTER_S:
        return not _locked(path)
    lockable = fcntl is not None and path.name.endswith(".part")
    return lockable and age >= UNLOCKED_STALE_AFTER_S and not _locked(path)


def _locked(path: Path) -> bool:
    """Whether a live writer holds the lock on ``path``."""
    if fcntl is None:
        return False
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
    except OSError:
        return True  # cannot tell: leave it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # also releases a lock we took
    return False


def lock_while_open(fd: int) -> bool:
    """Lock a new temporary for as long as ``fd`` stays open; False where locks do not exist."""
    if fcntl is None:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a file we just created: uncontended
    except OSError:  # a file system without locks: age alone will decide
        return False
    return True


def _folder_of(target: Path) -> Path:
    return target.parent if str(target.parent) else Path(".")
