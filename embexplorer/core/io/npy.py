"""``.npy`` (memory-mapped when large) and ``.npz`` readers. Never unpickles."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from embexplorer.core.corpus import Corpus
from embexplorer.core.errors import InputError
from embexplorer.core.io import ReadOptions
from embexplorer.core.io.assemble import RowLocator, finish_corpus

#: Files larger than this are memory-mapped rather than read into memory.
MMAP_THRESHOLD_BYTES = 64 << 20
_VECTOR_KEYS = ("vectors", "embeddings", "vector", "embedding", "X", "x", "data", "arr_0")

_PICKLE_HINT = (
    "embexplorer never unpickles files, since unpickling can run arbitrary code. "
    "Save the vectors as a numeric array, e.g. "
    "np.save(path, np.asarray(vectors, dtype=np.float32))."
)


def read_npy(path: Path, options: ReadOptions) -> Corpus:
    mmap = "r" if path.stat().st_size > MMAP_THRESHOLD_BYTES else None
    try:
        array = np.load(path, mmap_mode=mmap, allow_pickle=False)
    except ValueError as exc:
        if "allow_pickle" in str(exc) or "Object arrays" in str(exc):
            raise InputError(
                f"{path.name} holds Python objects, not numbers. " + _PICKLE_HINT
            ) from exc
        raise InputError(f"{path.name} is not a valid .npy file: {exc}") from exc
    except (OSError, EOFError) as exc:
        raise InputError(
            f"{path.name} is not a valid .npy file (truncated or corrupt?): {exc}"
        ) from exc
    vectors = _as_vectors(array, path.name)
    return finish_corpus(
        path,
        {},
        vectors,
        options,
        fmt="npy",
        where=RowLocator(),
        provenance={"memory_mapped": mmap is not None and array.dtype == np.float32},
    )


def _as_vectors(array: np.ndarray, what: str) -> np.ndarray:
    if array.dtype.kind not in "iuf":
        raise InputError(f"{what} holds {array.dtype} values; vectors must be numbers.")
    if array.ndim != 2:
        raise InputError(
            f"{what} has shape {array.shape}; vectors must be a 2-D array (rows × dimensions)."
        )
    if array.shape[0] == 0:
        raise InputError(f"{what} holds no rows (shape {array.shape}).")
    if array.shape[1] == 0:
        raise InputError(f"{what} has rows of 0 dimensions.")
    return array


def read_npz(path: Path, options: ReadOptions) -> Corpus:
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise InputError(f"{path.name} is not a valid .npz file: {exc}") from exc
    with archive:
        arrays = {}
        for key in archive.files:
            try:
                arrays[key] = archive[key]
            except ValueError as exc:
                raise InputError(
                    f"{path.name}: array {key!r} holds Python objects. " + _PICKLE_HINT
                ) from exc
    key = _vector_key(arrays, options.vector_column, path)
    vectors = _as_vectors(arrays.pop(key), f"{path.name}[{key!r}]")
    n = len(vectors)
    columns = {}
    for name, arr in arrays.items():
        if arr.ndim == 1 and len(arr) == n:
            columns[name] = arr
        elif arr.ndim == 1:
            raise InputError(
                f"{path.name}: column {name!r} has {len(arr)} rows but the vectors "
                f"{key!r} have {n}."
            )
    return finish_corpus(
        path,
        columns,
        vectors,
        options,
        fmt="npz",
        where=RowLocator(),
        provenance={"vector_key": key},
    )


def _vector_key(arrays: dict[str, np.ndarray], requested: str | None, path: Path) -> str:
    if requested is not None:
        if requested not in arrays:
            raise InputError(
                f"{path.name} has no array {requested!r}; arrays are: {', '.join(arrays)}."
            )
        return requested
    two_d = [k for k, a in arrays.items() if a.ndim == 2 and a.dtype.kind in "iuf"]
    if len(two_d) == 1:
        return two_d[0]
    for key in _VECTOR_KEYS:
        if key in two_d:
            return key
    if not two_d:
        raise InputError(
            f"{path.name} holds no 2-D numeric array to use as vectors; arrays: "
            + ", ".join(f"{k} {a.shape}" for k, a in arrays.items())
            + "."
        )
    raise InputError(
        f"{path.name} holds several 2-D arrays ({', '.join(two_d)}); choose one "
        "as the vectors (--vector-column)."
    )
