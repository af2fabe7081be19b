"""Atomic file writes: write temporary files in the destination folder, then rename them.

One file is written to a temporary name beside it (``.NAME.<random>.part``), flushed to
disk, then renamed over the destination: a reader sees the old file or the new one, never a
part of either, whatever happens (disk full, an exception, ``kill -9``).

Several files that belong together (an export and its provenance, the Projector's
``vectors.tsv`` + ``metadata.tsv``, ``analyze``'s ``OUT.parquet`` + ``OUT.json``) cannot be
renamed at once: no file system renames two files in one step, and writing the group into a
new folder that is renamed over the old one does not fit files the user named inside a folder
that holds other things. So a group is committed like a small journal:

1. every file is written to its temporary name and flushed; nothing visible has changed yet;
2. a marker ``.FIRST.incomplete`` that lists the group is written (atomically) and flushed;
3. each existing destination gets a backup (a hard link ``.NAME.<random>.bak``: no copy),
   then the temporaries are renamed over the destinations one by one;
4. the marker is removed, then the backups.

While the marker exists the group may be mixed (a new ``vectors.tsv`` beside an old
``metadata.tsv``), so a reader that opens files written together calls
:func:`check_written_together` and refuses them with a message; after a ``kill -9`` in step 3
the marker stays until the group is written again. A rename that fails in step 3 puts back the
destinations already replaced, from their backups, and the message says exactly what changed:
nothing, or which files are new and which are not.

Every write first removes what a killed writer left for the same destination, once it is
stale (``core/io/leftovers.py``); each writer locks its temporaries so that a concurrent
writer's files are never taken for leftovers.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import secrets
import stat
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from embexplorer.core.errors import InputError
from embexplorer.core.io.leftovers import lock_while_open, remove_stale_leftovers

_MARKER_SUFFIX = ".incomplete"
_MARKER_MAX_BYTES = 65_536


@contextlib.contextmanager
def atomic_paths(destinations: Sequence[str | Path]) -> Iterator[list[Path]]:
    """Temporary paths beside ``destinations``, renamed over them when the block succeeds.

    Wrap the writing of each temporary in :func:`writing` so that an error names the file
    that failed. Raises :class:`InputError` saying what was changed (normally nothing).
    """
    targets = [Path(d) for d in destinations]
    if len({_folder_of(t) for t in targets}) > 1:
        raise ValueError("Files written as a group must share one folder.")
    remove_stale_leftovers(targets)
    slots: list[_Slot] = []
    try:
        for target in targets:
            slots.append(_Slot.beside(target))
        try:
            yield [slot.temp for slot in slots]
        except OSError as exc:
            raise InputError(
                f"Writing {_blamed(exc, slots)} failed: {_reason(exc)}. Nothing was changed."
            ) from exc
        _flush(slots)
        if len(slots) == 1:
            _replace_one(slots[0])
        else:
            _replace_group(slots)
    finally:
        for slot in slots:
            slot.discard()


@contextlib.contextmanager
def atomic_path(destination: str | Path) -> Iterator[Path]:
    """One temporary path beside ``destination``; see :func:`atomic_paths`."""
    with atomic_paths([destination]) as temps:
        yield temps[0]


@contextlib.contextmanager
def writing(temp: Path) -> Iterator[None]:
    """Mark an ``OSError`` raised in the block as being about ``temp`` (pyarrow's and
    numpy's errors name no file), so that :func:`atomic_paths` blames the right file."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None:
            exc.filename = str(temp)
        raise


def write_text_atomic(destination: str | Path, text: str) -> Path:
    destination = Path(destination)
    with atomic_path(destination) as tmp, writing(tmp):
        tmp.write_text(text, encoding="utf-8")
    return destination


def check_writable(destinations: Iterable[str | Path], inputs: Iterable[str | Path] = ()) -> None:
    """Refuse, before any work, destinations that cannot be written: a missing folder, a
    folder in the way, something that is not a plain file, a folder without write access, or
    one of ``inputs`` (the files the work reads)."""
    targets = [Path(d) for d in destinations]
    sources = [Path(s) for s in inputs if s is not None]
    for target in targets:
        _check_target(target)
        for source in sources:
            if _same_file(target, source):
                also = "" if str(source) == str(target) else f" ({source})"
                raise InputError(
                    f"Cannot write {target}: it is the file being read{also}, and would be "
                    "destroyed. Choose another output name."
                )
    for folder in dict.fromkeys(_folder_of(t) for t in targets):
        try:
            fd, name = tempfile.mkstemp(prefix=".embexplorer-check.", suffix=".part", dir=folder)
        except OSError as exc:
            raise InputError(f"Cannot write to {folder}: {_reason(exc)}.") from exc
        os.close(fd)
        os.unlink(name)


def check_written_together(paths: Iterable[str | Path]) -> None:
    """Refuse files whose group write was interrupted: they may not belong together."""
    for path in paths:
        if path is None:
            continue
        found = interrupted_group(Path(path))
        if found is not None:
            marker, members, started = found
            others = ", ".join(m for m in members if m != Path(path).name) or "its partners"
            raise InputError(
                f"{Path(path).name} may not match {others}: writing them together was "
                f"interrupted ({started or 'time unknown'}), so some may be new and others "
                f"old. Write them again, or delete {marker} if you know they match."
            )


def interrupted_group(path: Path) -> tuple[Path, list[str], str] | None:
    """``(marker, member names, start time)`` of an interrupted group write naming ``path``."""
    folder = _folder_of(path)
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return None
    for entry in entries:
        if not (entry.name.startswith(".") and entry.name.endswith(_MARKER_SUFFIX)):
            continue
        record = _read_marker(Path(entry.path))
        if record is not None and path.name in record.get("files", []):
            return Path(entry.path), list(record["files"]), str(record.get("started", ""))
    return None


@dataclass
class _Slot:
    """One destination of a write: its temporary (locked while we live) and its backup."""

    target: Path
    temp: Path
    fd: int | None = None
    backup: Path | None = None
    existed: bool = False

    @classmethod
    def beside(cls, target: Path) -> _Slot:
        folder = _folder_of(target)
        if not folder.is_dir():
            raise InputError(f"Cannot write {target}: the folder {folder} does not exist.")
        try:
            fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
        except OSError as exc:
            raise InputError(f"Cannot write to {folder}: {_reason(exc)}.") from exc
        if not lock_while_open(fd):
            os.close(fd)  # no locks here (Windows), and an open file could not be renamed
            return cls(target, Path(name))
        return cls(target, Path(name), fd)

    def discard(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        self.temp.unlink(missing_ok=True)  # gone already when it was renamed


def _flush(slots: list[_Slot]) -> None:
    for slot in slots:
        try:
            _fsync(slot)
            os.chmod(slot.temp, _mode_for(slot.target))
        except OSError as exc:
            raise InputError(
                f"Writing {slot.target} failed: {_reason(exc)}. Nothing was changed."
            ) from exc


def _replace_one(slot: _Slot) -> None:
    try:
        os.replace(slot.temp, slot.target)
    except OSError as exc:
        raise InputError(
            f"Writing {slot.target} failed: {_reason(exc)}. Nothing was changed."
        ) from exc
    _sync_folder(_folder_of(slot.target))


def _replace_group(slots: list[_Slot]) -> None:
    marker = _write_marker(slots)
    for slot in slots:
        _back_up(slot)
    replaced: list[_Slot] = []
    try:
        for slot in slots:
            os.replace(slot.temp, slot.target)
            replaced.append(slot)
    except BaseException as exc:
        failed = slots[len(replaced)]
        not_restored = _put_back(replaced)
        stuck = [slot for slot, _ in not_restored]
        _finish(None if stuck else marker, [s for s in slots if s not in stuck])
        if not isinstance(exc, OSError):
            raise
        raise InputError(_failure_message(failed, exc, replaced, not_restored, slots)) from exc
    _sync_folder(_folder_of(marker))
    _finish(marker, slots)


def _write_marker(slots: list[_Slot]) -> Path:
    """The record that the group is being replaced, on disk before the first rename."""
    first = slots[0].target
    marker = first.with_name(f".{first.name}{_MARKER_SUFFIX}")
    record = {
        "files": [slot.target.name for slot in slots],
        "started": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "pid": os.getpid(),
    }
    temp: str | None = None
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{first.name}.", suffix=".part", dir=marker.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(record))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, marker)
    except OSError as exc:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
        raise InputError(f"Writing {marker} failed: {_reason(exc)}. Nothing was changed.") from exc
    _sync_folder(marker.parent)
    return marker


def _back_up(slot: _Slot) -> None:
    """A second name for the destination's current file, to put it back if the group fails.

    A hard link costs nothing; where links are not supported there is no backup, and a
    failure is then reported as a file that could not be put back."""
    slot.existed = slot.target.exists()
    if not slot.existed:
        return
    for _ in range(8):
        backup = slot.target.with_name(f".{slot.target.name}.{secrets.token_hex(4)}.bak")
        try:
            os.link(slot.target, backup)
        except FileExistsError:
            continue
        except OSError:
            return
        slot.backup = backup
        return


def _put_back(replaced: list[_Slot]) -> list[tuple[_Slot, str]]:
    """Undo the renames done so far; return the destinations that could not be put back."""
    failures: list[tuple[_Slot, str]] = []
    for slot in reversed(replaced):
        try:
            if slot.backup is not None:
                os.replace(slot.backup, slot.target)
                slot.backup = None
            elif not slot.existed:
                slot.target.unlink()
            else:
                failures.append((slot, "no backup could be made on this file system"))
        except OSError as exc:
            failures.append((slot, _reason(exc)))
    return failures


def _finish(marker: Path | None, slots: list[_Slot]) -> None:
    """Remove the marker (None: keep it, the group is mixed) and the backups of ``slots``."""
    if marker is not None:
        with contextlib.suppress(OSError):
            marker.unlink()
            _sync_folder(marker.parent)
    for slot in slots:
        if slot.backup is not None:
            with contextlib.suppress(OSError):
                slot.backup.unlink()
            slot.backup = None


def _failure_message(
    failed: _Slot,
    exc: OSError,
    replaced: list[_Slot],
    not_restored: list[tuple[_Slot, str]],
    slots: list[_Slot],
) -> str:
    head = f"Writing {failed.target} failed: {_reason(exc)}."
    if not not_restored:
        if replaced:
            names = ", ".join(s.target.name for s in replaced)
            return f"{head} Nothing was changed ({names} put back as before)."
        return f"{head} Nothing was changed."
    parts = [head]
    for slot, why in not_restored:
        kept = f"; the old file is kept as {slot.backup.name}" if slot.backup else ""
        parts.append(
            f"{slot.target.name} was already replaced and could not be put back ({why}{kept})."
        )
    stuck = [s for s, _ in not_restored]
    unchanged = [s.target.name for s in slots if s not in stuck]
    if unchanged:
        parts.append(f"Not changed: {', '.join(unchanged)}.")
    parts.append("embexplorer will not open these files together until they are written again.")
    return " ".join(parts)


def _blamed(exc: OSError, slots: list[_Slot]) -> str:
    """The destination an error is about: by the temporary it names, else all of them."""
    for name in (exc.filename, exc.filename2):
        for slot in slots:
            if name is not None and str(name) == str(slot.temp):
                return str(slot.target)
    if len(slots) == 1:
        return str(slots[0].target)
    return ", ".join(str(slot.target) for slot in slots)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _check_target(target: Path) -> None:
    folder = _folder_of(target)
    if not folder.exists():
        raise InputError(f"Cannot write {target}: the folder {folder} does not exist.")
    if not folder.is_dir():
        raise InputError(f"Cannot write {target}: {folder} is not a folder.")
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InputError(f"Cannot write {target}: {_reason(exc)}.") from exc
    if stat.S_ISDIR(mode):
        raise InputError(f"Cannot write {target}: a folder of that name is in the way.")
    if not stat.S_ISREG(mode):
        raise InputError(f"Cannot write {target}: it exists and is not a plain file.")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _folder_of(target: Path) -> Path:
    return target.parent if str(target.parent) else Path(".")


def _read_marker(path: Path) -> dict | None:
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        with open(path, encoding="utf-8") as fh:
            record = json.loads(fh.read(_MARKER_MAX_BYTES))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("files"), list):
        return None
    return record


def _mode_for(destination: Path) -> int:
    """Keep an existing file's permissions; a new file gets the usual 0o666 minus the umask."""
    try:
        return destination.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync(slot: _Slot) -> None:
    # any descriptor of the file flushes all of its data, unless a writer put a new file there
    if slot.fd is not None and os.fstat(slot.fd).st_ino == os.stat(slot.temp).st_ino:
        os.fsync(slot.fd)
        return
    with open(slot.temp, "rb") as fh:
        os.fsync(fh.fileno())


def _sync_folder(folder: Path) -> None:
    """Make the renames in ``folder`` durable (where the platform allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
