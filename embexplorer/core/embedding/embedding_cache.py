"""On-disk cache of embeddings: ``.npy`` + a small JSON, keyed by model hash + settings + texts.

Reopening a corpus that was embedded before is instant. The cache is only an optimisation, so
it must never lose results or return wrong ones:

- **Every entry is verified before it is used.** Its JSON holds the vectors' shape, dtype and
  SHA-256. The ``.npy`` header must agree with it, with the number of texts and with the model's
  output size, and the file's size must fit the header before anything is allocated; then the
  bytes must match the checksum and every value must be finite. A damaged entry is deleted and
  reported (:attr:`CacheLookup.damage`), and the caller computes the vectors again. Entries
  written before the checksum existed count as misses and are overwritten.
- **Storing an entry never raises.** A full disk, a file size limit, a read-only folder or a file
  where the folder should be: :meth:`EmbeddingCache.put` says why, and the caller keeps the
  vectors it has.
- **A killed writer leaves the old state or a complete entry.** The old JSON is removed first,
  then the ``.npy`` is written, then the JSON that holds its checksum, each through a temporary
  ``.<name>.<random>.part`` file renamed into place. A reader takes a pair only when the JSON
  is there and its checksum matches, so it never takes a half-written pair as valid.
- **Temporary files are counted and cleaned.** :meth:`~EmbeddingCache.size_bytes` counts them,
  :meth:`~EmbeddingCache.clear` removes them, and the first lookup or store removes those left
  by a killed writer. A temporary file counts as stale when untouched for an hour: a live
  writer is writing it, or renames it a moment after it stops.

No pickle: the header is parsed by numpy's header reader and the data read into a new array.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from embexplorer.core.errors import InputError
from embexplorer.core.io.atomic import atomic_path, write_text_atomic

#: the entry format; older entries (no ``format``) carry no checksum and are recomputed
FORMAT = 2
_DTYPE = np.dtype("<f4")
_KEY = re.compile(r"[0-9a-f]{40}")
_ENTRY_FILE = re.compile(r"(?P<key>[0-9a-f]{40})\.(npy|json)")
#: the atomic writer's temporary name for an entry file: ``.<key>.npy.<random>.part``
_TEMP_FILE = re.compile(r"\.[0-9a-f]{40}\.(npy|json)\..+\.part")
_STALE_TEMP_SECONDS = 3600
#: an entry's JSON holds a few hundred bytes of provenance; anything much larger is not ours
_MAX_DESCRIPTION_BYTES = 1 << 20


def default_cache_dir() -> Path:
    """``$EMBEXPLORER_CACHE_DIR``, else the platform's user cache folder."""
    if env := os.environ.get("EMBEXPLORER_CACHE_DIR"):
        return Path(env)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "embexplorer" / "embeddings"


def texts_sha256(texts: Sequence[str | None]) -> str:
    """A hash of the texts in order (length-prefixed, so boundaries are part of it)."""
    digest = hashlib.sha256()
    for text in texts:
        data = ("" if text is None else str(text)).encode("utf-8")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def cache_key(model_sha256: str, settings: Mapping[str, Any], texts_hash: str) -> str:
    blob = json.dumps(
        {"model": model_sha256, "settings": dict(settings), "texts": texts_hash}, sort_keys=True
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:40]


class DamagedEntry(Exception):
    """A cache entry failed a check; the message says which, for the user."""


@dataclass(frozen=True, slots=True)
class CacheLookup:
    """The cached vectors, or None; when an entry was there but damaged, why it was discarded."""

    vectors: np.ndarray | None
    damage: str | None = None


class EmbeddingCache:
    """The entries in one folder (``$EMBEXPLORER_CACHE_DIR`` or the user's cache folder)."""

    def __init__(self, folder: Path | None = None):
        self.folder = Path(folder) if folder is not None else default_cache_dir()
        self._swept = False

    def _paths(self, key: str) -> tuple[Path, Path]:
        if not _KEY.fullmatch(key):
            raise ValueError(f"not a cache key: {key!r}")
        return self.folder / f"{key}.npy", self.folder / f"{key}.json"

    # -- reading ------------------------------------------------------------------------------
    def lookup(self, key: str, n_rows: int, dim: int | None = None) -> CacheLookup:
        """The verified vectors for ``key`` (``n_rows`` × ``dim`` when ``dim`` is known).

        A damaged entry is deleted, and the lookup says what was wrong with it.
        """
        self._remove_stale_temp_files()
        vectors_path, description_path = self._paths(key)
        if not (description_path.exists() and vectors_path.exists()):
            return CacheLookup(None)  # no entry, or a writer has not finished it
        try:
            description = _read_description(description_path)
            if description is None:
                return CacheLookup(None)
            vectors = _read_vectors(vectors_path, description, n_rows, dim)
        except DamagedEntry as exc:
            self._discard(key)
            return CacheLookup(None, str(exc))
        return CacheLookup(vectors)

    def get(self, key: str, n_rows: int, dim: int | None = None) -> np.ndarray | None:
        """The verified vectors for ``key``, or None; see :meth:`lookup`."""
        return self.lookup(key, n_rows, dim).vectors

    # -- writing ------------------------------------------------------------------------------
    def put(self, key: str, vectors: np.ndarray, meta: Mapping[str, Any]) -> str | None:
        """Store ``vectors``; None when stored, else why not.

        Never raises for a failed write: the cache is an optimisation, and the caller still has
        the vectors. What a failed write left is removed.
        """
        vectors = np.ascontiguousarray(vectors, dtype=_DTYPE)
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be 2-D, not {vectors.ndim}-D")
        if not np.isfinite(vectors).all():
            return "the vectors hold NaN or infinite values"
        self._remove_stale_temp_files()
        try:
            self._write(key, vectors, meta)
        except (OSError, InputError) as exc:
            self._discard(key)
            return _why_not_written(exc)
        return None

    def _write(self, key: str, vectors: np.ndarray, meta: Mapping[str, Any]) -> None:
        vectors_path, description_path = self._paths(key)
        self._make_folder()
        # The old description must not outlive the vectors it describes.
        description_path.unlink(missing_ok=True)
        with atomic_path(vectors_path) as tmp, open(tmp, "wb") as fh:
            _write_npy(fh, vectors)
        description = {
            "format": FORMAT,
            "shape": list(vectors.shape),
            "dtype": _DTYPE.str,
            "sha256": hashlib.sha256(vectors).hexdigest(),
            "meta": dict(meta),
        }
        write_text_atomic(description_path, json.dumps(description, default=str, indent=1))

    def _make_folder(self) -> None:
        if self.folder.is_dir():
            return
        if self.folder.exists():
            raise InputError(f"{self.folder} is a file, not a folder")
        self.folder.mkdir(parents=True, exist_ok=True)

    def _discard(self, key: str) -> None:
        """Delete an entry's files, description first (best effort: a reader skips the rest)."""
        vectors_path, description_path = self._paths(key)
        for path in (description_path, vectors_path):
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)

    # -- housekeeping -------------------------------------------------------------------------
    def _files(self) -> Iterator[tuple[Path, os.stat_result, bool]]:
        """(path, stat, is a temporary file) for every file of the cache in its folder."""
        try:
            paths = list(self.folder.iterdir()) if self.folder.is_dir() else []
        except OSError:  # unreadable: as good as empty
            paths = []
        for path in paths:
            is_temp = bool(_TEMP_FILE.fullmatch(path.name))
            if not (is_temp or _ENTRY_FILE.fullmatch(path.name)):
                continue
            try:
                stat = path.lstat()
            except OSError:  # deleted meanwhile
                continue
            yield path, stat, is_temp

    def _remove_stale_temp_files(self) -> None:
        """Once per cache object: remove temporary files a killed writer left behind."""
        if self._swept:
            return
        self._swept = True
        cutoff = time.time() - _STALE_TEMP_SECONDS
        for path, stat, is_temp in list(self._files()):
            if is_temp and stat.st_mtime < cutoff:
                with contextlib.suppress(OSError):
                    path.unlink()

    def size_bytes(self) -> int:
        """Bytes used by the entries and by any temporary files."""
        return sum(stat.st_size for _, stat, _ in self._files())

    def entries(self) -> int:
        """Complete entries (both files present)."""
        suffixes: dict[str, set[str]] = {}
        for path, _, is_temp in self._files():
            if not is_temp:
                suffixes.setdefault(path.stem, set()).add(path.suffix)
        return sum(1 for found in suffixes.values() if found == {".npy", ".json"})

    def clear(self) -> int:
        """Delete every entry and temporary file; return how many bytes were freed."""
        freed = 0
        for path, stat, _ in list(self._files()):
            try:
                path.unlink()
            except OSError:  # removed meanwhile, or not ours to remove: the size still shows it
                continue
            freed += stat.st_size
        return freed


def _why_not_written(exc: OSError | InputError) -> str:
    if isinstance(exc, InputError):
        return str(exc).rstrip(".")
    where = f" ({exc.filename})" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"


def _write_npy(fh: BinaryIO, vectors: np.ndarray) -> None:
    """An ``.npy`` file, written with ``write`` so a short write raises with its errno."""
    header = np.lib.format.header_data_from_array_1_0(vectors)
    np.lib.format.write_array_header_1_0(fh, header)
    fh.write(_bytes_of(vectors))


def _read_description(path: Path) -> dict[str, Any] | None:
    """An entry's JSON, checked field by field; None for an entry of an older format."""
    try:
        size = path.stat().st_size
        if size > _MAX_DESCRIPTION_BYTES:
            raise DamagedEntry(f"its description is {size:,} bytes")
        description = json.loads(path.read_bytes())
    except OSError as exc:
        raise DamagedEntry(f"its description cannot be read: {exc.strerror or exc}") from exc
    except (ValueError, RecursionError) as exc:
        raise DamagedEntry("its description is not valid JSON") from exc
    if not isinstance(description, dict):
        raise DamagedEntry("its description is not a JSON object")
    written_by = description.get("format")
    if written_by is None or (type(written_by) is int and written_by > FORMAT):
        return None  # an older entry without a checksum, or a newer embexplorer's: recompute
    if written_by != FORMAT:
        raise DamagedEntry(f"its description has format {description['format']!r}")
    shape, checksum = description.get("shape"), description.get("sha256")
    if not (
        isinstance(shape, list)
        and len(shape) == 2
        and all(type(n) is int and n >= 0 for n in shape)
    ):
        raise DamagedEntry(f"its description gives the shape as {shape!r}")
    if description.get("dtype") != _DTYPE.str:
        raise DamagedEntry(f"its description gives the dtype as {description.get('dtype')!r}")
    if not (isinstance(checksum, str) and re.fullmatch(r"[0-9a-f]{64}", checksum)):
        raise DamagedEntry("its description has no SHA-256 of the vectors")
    return description


def _read_vectors(
    path: Path, description: Mapping[str, Any], n_rows: int, dim: int | None
) -> np.ndarray:
    """The ``.npy`` file's vectors, once everything about them checks out."""
    rows, cols = description["shape"]
    if rows != n_rows:
        raise DamagedEntry(f"it holds {rows:,} vectors for {n_rows:,} texts")
    if dim is not None and cols != dim:
        raise DamagedEntry(f"it holds {cols}-dimensional vectors; the model makes {dim}")
    try:
        with open(path, "rb", buffering=0) as fh:
            _check_header(fh, (rows, cols))
            vectors = np.empty((rows, cols), dtype=_DTYPE)
            _read_exactly(fh, _bytes_of(vectors))
    except OSError as exc:
        raise DamagedEntry(f"its vectors cannot be read: {exc.strerror or exc}") from exc
    if hashlib.sha256(vectors).hexdigest() != description["sha256"]:
        raise DamagedEntry("its vectors do not match their checksum")
    finite = np.isfinite(vectors).all(axis=1)
    if not finite.all():
        raise DamagedEntry(f"row {int(np.argmin(finite)):,} holds NaN or infinite values")
    return vectors


def _check_header(fh: BinaryIO, shape: tuple[int, int]) -> None:
    """The ``.npy`` header must describe ``shape`` float32 rows, and the file's size must fit."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(fh)
        read_header = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}
        if version not in read_header:
            raise ValueError(f"version {version}")
        found, fortran_order, dtype = read_header[version](fh)
    except ValueError as exc:
        raise DamagedEntry(f"its .npy header is not valid ({exc})") from exc
    if dtype != _DTYPE or fortran_order:
        raise DamagedEntry(f"its .npy holds {dtype} values, not float32")
    if tuple(found) != shape:
        raise DamagedEntry(f"its .npy holds shape {tuple(found)}; its description says {shape}")
    expected = fh.tell() + shape[0] * shape[1] * _DTYPE.itemsize
    actual = os.fstat(fh.fileno()).st_size
    if actual != expected:
        raise DamagedEntry(f"its .npy is {actual:,} bytes; its header needs {expected:,}")


def _bytes_of(vectors: np.ndarray) -> memoryview:
    """The bytes of a C-contiguous array, without a copy (also when it has 0 rows)."""
    return vectors.reshape(-1).view(np.uint8).data


def _read_exactly(fh: BinaryIO, buffer: memoryview) -> None:
    done = 0
    while done < len(buffer):
        n = fh.readinto(buffer[done:])
        if not n:
            raise DamagedEntry("its .npy ended early")
        done += n
