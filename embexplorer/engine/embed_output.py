"""The output folder of ``embed --engine ray``: its record of the run, and which shards are done.

The record (``_embexplorer.json``; the leading ``_`` makes Parquet dataset readers skip it) is
written before any shard, so a rerun into the same folder knows what the shards there were made
with: another model, tokenizer, pooling, text column or shard size is refused (the folder would
mix two embeddings), and so is an input file that changed since. At the end it records the
shards, the rows, the time and the versions.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from embexplorer.core.errors import InputError
from embexplorer.core.io.atomic import write_text_atomic
from embexplorer.engine.shards import Unit

RECORD_NAME = "_embexplorer.json"
#: What a rerun must share with the run that wrote the folder's shards.
SETTINGS = (
    "model_sha256",
    "tokenizer_sha256",
    "pooling",
    "normalize",
    "max_length",
    "text_column",
    "rows_per_shard",
)


def input_identity(path: Path) -> dict[str, Any]:
    """How an input file is recognised on a rerun: its path, size and modification time (a
    hash would read every byte of a corpus too big for one machine)."""
    info = path.stat()
    return {"file": str(path.resolve()), "bytes": info.st_size, "mtime_ns": info.st_mtime_ns}


def prepare_output(out_dir: Path, settings: Mapping[str, Any], inputs: Iterable[Path]) -> None:
    """Create ``out_dir`` or check that a rerun into it matches what is there; refuses a folder
    holding other files, another embedding's shards, or shards of an input changed since."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir} is a file; --engine ray writes a folder of Parquet shards.")
    if not out_dir.parent.is_dir():
        raise InputError(f"Cannot write {out_dir}: the folder {out_dir.parent} does not exist.")
    try:
        out_dir.mkdir(exist_ok=True)
    except OSError as exc:
        raise InputError(f"Cannot create {out_dir}: {exc.strerror or exc}.") from exc
    previous = read_record(out_dir)
    if previous is None:
        strangers = [p.name for p in out_dir.iterdir() if not p.name.startswith(".")]
        if strangers:
            shown = ", ".join(sorted(strangers)[:5]) + (", …" if len(strangers) > 5 else "")
            raise InputError(
                f"{out_dir} holds files embexplorer did not write ({shown}); choose an empty "
                "or new folder."
            )
        return
    _check_same_settings(out_dir, previous.get("settings", {}), settings)
    _check_inputs_unchanged(out_dir, previous.get("inputs", []), inputs)


def _check_same_settings(out_dir: Path, before: Mapping[str, Any], now: Mapping[str, Any]) -> None:
    differ = [k for k in SETTINGS if before.get(k) != now.get(k)]
    if differ:
        said = "; ".join(f"{k} {before.get(k)!r} there, {now.get(k)!r} now" for k in differ)
        raise InputError(
            f"{out_dir} holds shards embedded with other settings ({said}); the folder would mix "
            "two embeddings. Use the same settings to finish that run, or write to a new folder."
        )


def _check_inputs_unchanged(out_dir: Path, before: list, inputs: Iterable[Path]) -> None:
    recorded = {entry.get("file"): entry for entry in before if isinstance(entry, dict)}
    for path in inputs:
        now = input_identity(path)
        old = recorded.get(now["file"])
        if old is not None and (old.get("bytes"), old.get("mtime_ns")) != (
            now["bytes"],
            now["mtime_ns"],
        ):
            raise InputError(
                f"{path.name} changed since its shards in {out_dir} were written (size or "
                "modification time differ); its old shards would not match it. Delete "
                f"{path.name}.*.parquet from {out_dir} and run again, or use a new folder."
            )


def read_record(out_dir: Path) -> dict[str, Any] | None:
    path = out_dir / RECORD_NAME
    if not path.exists():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path} cannot be read ({exc}); use a new folder.") from exc
    if not isinstance(record, dict):
        raise InputError(f"{path} is not a record embexplorer wrote; use a new folder.")
    return record


def write_record(out_dir: Path, record: Mapping[str, Any]) -> None:
    write_text_atomic(out_dir / RECORD_NAME, json.dumps(record, indent=2, default=str) + "\n")


def is_done(out_dir: Path, unit: Unit) -> bool:
    """Whether ``unit``'s shard is there, whole (written by rename) and of the right length."""
    path = out_dir / unit.output
    if not path.is_file():
        return False
    if unit.rows is None:
        return True
    from embexplorer.core.io.parquet_footer import read_footer

    try:
        return sum(g.num_rows for g in read_footer(path)) == unit.rows
    except (InputError, OSError):
        return False


def versions() -> dict[str, str]:
    """The versions that made the vectors (recorded in the run's provenance)."""
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for name in ("embexplorer", "ray", "onnxruntime", "tokenizers", "pyarrow", "numpy"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    found["host"] = platform.node() or os.uname().nodename
    return found
