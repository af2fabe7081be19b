"""A folder written as one output (an analysed dataset's Parquet shards and its summary): built
as a new folder beside the destination, then renamed into place, so a reader sees the old
folder or the new one, never a half-written one.

A folder already at the destination is replaced only when it holds what such an output holds
(Parquet files and JSON), never a folder of the user's other files.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from embexplorer.core.errors import InputError

#: What an output folder may hold for it to be replaced.
REPLACEABLE_SUFFIXES = (".parquet", ".json")


def check_folder_target(out: Path, inputs: Iterable[str | Path | None] = ()) -> None:
    """Refuse, before any work, a destination folder that cannot be (re)written: a file in
    the way, a folder of other files, a missing or read-only parent, or an input inside it."""
    if out.exists() and not out.is_dir():
        raise InputError(f"Cannot write the folder {out}: a file of that name is in the way.")
    if out.is_dir():
        others = [p.name for p in out.iterdir() if p.suffix.lower() not in REPLACEABLE_SUFFIXES]
        if others:
            raise InputError(
                f"{out} holds other files ({', '.join(sorted(others)[:3])}); write the "
                "analysis to a new or empty folder."
            )
    parent = out.resolve().parent
    if not parent.is_dir():
        raise InputError(f"Cannot write {out}: the folder {parent} does not exist.")
    for source in inputs:
        if source is not None and Path(source).resolve().is_relative_to(out.resolve()):
            raise InputError(
                f"Cannot write {out}: it holds the input {Path(source).name}, which would be "
                "destroyed. Choose another output folder."
            )
    with contextlib.suppress(OSError):
        probe = parent / f".embexplorer-check.{secrets.token_hex(4)}"
        probe.mkdir()
        probe.rmdir()
        return
    raise InputError(f"Cannot write to {parent}: no permission to create a folder there.")


@contextlib.contextmanager
def replace_folder(out: Path) -> Iterator[Path]:
    """A new empty folder beside ``out``; when the block succeeds it replaces ``out``."""
    token = secrets.token_hex(4)
    temp = out.parent / f".{out.name}.{token}.part"
    temp.mkdir()
    try:
        yield temp
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    old = out.parent / f".{out.name}.{token}.old"
    if out.exists():
        out.rename(old)  # two renames: the old folder stays whole until the new one is in
    temp.rename(out)
    shutil.rmtree(old, ignore_errors=True)
