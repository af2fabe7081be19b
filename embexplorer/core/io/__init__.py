"""Readers (and writers) as plain functions in a registry, shared by the GUI and the CLI.

``read_corpus(path, options)`` picks a reader by the file's extension and content (or by
``options.format``) and returns a validated :class:`~embexplorer.core.corpus.Corpus`; every
problem with the file is an :class:`~embexplorer.core.errors.InputError` whose message names
the file and, where it can, the line.
"""

from __future__ import annotations

import errno
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from embexplorer.core.corpus import Corpus
from embexplorer.core.errors import InputError
from embexplorer.core.tasks import Progress, Task


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """Explicit choices that override auto-detection.

    ``vector_column`` names a column holding lists of numbers, a comma-separated list of
    numeric columns, or a glob such as ``dim_*``. ``nonfinite`` says what to do with vectors
    holding NaN/inf: ``"refuse"`` (the default: an error that says how many rows) or ``"drop"``
    (only ever set by the user's explicit choice).
    """

    text_column: str | None = None
    label_column: str | None = None
    vector_column: str | None = None
    format: str | None = None
    nonfinite: Literal["refuse", "drop"] = "refuse"


@dataclass(frozen=True, slots=True)
class Reader:
    name: str
    extensions: tuple[str, ...]
    read: Callable[[Path, ReadOptions], Corpus]
    description: str


def _readers() -> list[Reader]:
    # Imported here so that `import embexplorer.core.io` stays cheap (pyarrow loads lazily).
    from embexplorer.core.io import delimited, jsonl, npy, parquet

    return [
        Reader("npy", (".npy",), npy.read_npy, "NumPy array (.npy)"),
        Reader("npz", (".npz",), npy.read_npz, "NumPy archive (.npz)"),
        Reader("csv", (".csv",), delimited.read_csv, "CSV"),
        Reader(
            "tsv",
            (".tsv", ".tab"),
            delimited.read_tsv,
            "TSV, or the Embedding Projector's vectors.tsv + metadata.tsv pair",
        ),
        Reader("parquet", (".parquet", ".pq"), parquet.read_parquet, "Parquet"),
        Reader("jsonl", (".jsonl", ".ndjson"), jsonl.read_jsonl, "JSON Lines (.jsonl)"),
    ]


def reader_names() -> list[str]:
    """The formats ``--format`` / ``ReadOptions.format`` accept."""
    return [reader.name for reader in _readers()]


def supported_extensions() -> list[str]:
    return [ext for reader in _readers() for ext in reader.extensions]


def file_dialog_filter() -> str:
    """A Qt-style file filter listing every supported format."""
    readers = _readers()
    everything = " ".join(f"*{e}" for r in readers for e in r.extensions)
    parts = [f"All supported ({everything})"]
    parts += [f"{r.description} ({' '.join('*' + e for e in r.extensions)})" for r in readers]
    return ";;".join(parts)


def get_reader(path: Path, format: str | None = None) -> Reader:
    """The reader for ``path``: by ``format`` when given, else by extension, else by content."""
    readers = _readers()
    if format:
        for reader in readers:
            if reader.name == format.lower():
                return reader
        names = ", ".join(r.name for r in readers)
        raise InputError(f"Unknown format {format!r}; known formats: {names}.")
    suffix = path.suffix.lower()
    for reader in readers:
        if suffix in reader.extensions:
            return reader
    sniffed = _sniff(path)
    if sniffed is not None:
        return next(r for r in readers if r.name == sniffed)
    raise InputError(
        f"{path.name}: cannot tell the file's format from its name or content. "
        f"Supported: {', '.join(supported_extensions())}."
    )


def _sniff(path: Path) -> str | None:
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if head.startswith(b"PK\x03\x04"):
        return "npz"
    if head.startswith(b"PAR1"):
        return "parquet"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"{"):
        return "jsonl"
    first_line = text.split(b"\n", 1)[0]
    if b"\t" in first_line:
        return "tsv"
    if b"," in first_line:
        return "csv"
    return None


def read_corpus(path: str | Path, options: ReadOptions | None = None) -> Corpus:
    """Read ``path`` into a corpus, or raise :class:`InputError` with a message for the user."""
    from embexplorer.core.io.atomic import check_written_together

    path = Path(path)
    options = options or ReadOptions()
    check_regular_file(path)
    # a file whose group write (analyze's OUT.parquet + OUT.json, an export and its
    # provenance) was killed half-way may not match its partners
    check_written_together([path])
    reader = get_reader(path, options.format)
    try:
        return reader.read(path, options)
    except InputError:
        raise
    except (OSError, MemoryError) as exc:
        raise InputError(f"{path.name}: could not be read: {exc}") from exc


def check_regular_file(path: Path) -> None:
    """Refuse, before anything opens it, a path that is not a non-empty regular file.

    A FIFO or a device (``/dev/zero``) is never opened, since reading one can block forever
    or never end; a symbolic link loop and a missing file are told apart.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file.") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(f"{path} is a symbolic link loop; it points back to itself.") from None
        raise InputError(f"{path}: cannot be read: {exc.strerror}.") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{path} is a folder; open a file inside it.")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(
            f"{path} is not a regular file (it is {_file_kind(info.st_mode)}); "
            "embexplorer reads data files only."
        )
    if info.st_size == 0:
        raise InputError(f"{path.name} is empty (0 bytes).")


def _file_kind(mode: int) -> str:
    kinds = (
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "a special file")


def load_task(path: str | Path, options: ReadOptions | None = None) -> Task[Corpus]:
    """:func:`read_corpus` as a task, for the worker thread."""
    yield Progress(None, f"Reading {Path(path).name}…")
    corpus = read_corpus(path, options)
    yield Progress(1.0, f"Read {corpus.summary()}")
    return corpus
