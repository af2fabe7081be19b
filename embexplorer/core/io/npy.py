"""``.npy`` (memory-mapped when large) and ``.npz`` readers. Never unpickles.

Both check what a header declares before anything is allocated (:mod:`.limits`): an ``.npy``
header against the bytes that follow it, an ``.npz`` member's inflated size against the
archive's budget. An ``.npz`` is read member by member, and only the members used (the
vectors and the 1-D columns of as many rows) are inflated.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from embexplorer.core.corpus import Corpus
from embexplorer.core.errors import InputError
from embexplorer.core.io import ReadOptions
from embexplorer.core.io.assemble import NEIGHBOR_LIST_COLUMNS, RowLocator, finish_corpus
from embexplorer.core.io.limits import (
    NpyHeader,
    check_npy_data_size,
    inflate_budget,
    read_npy_data,
    read_npy_header,
    read_zip_npy,
    zip_member_errors,
)

#: Files larger than this are memory-mapped rather than read into memory.
MMAP_THRESHOLD_BYTES = 64 << 20
_VECTOR_KEYS = ("vectors", "embeddings", "vector", "embedding", "X", "x", "data", "arr_0")


def read_npy(path: Path, options: ReadOptions) -> Corpus:
    size = path.stat().st_size
    with open(path, "rb") as fh:
        header = read_npy_header(fh, path.name)
        check_npy_data_size(header, size - header.data_offset, path.name)
        _check_vector_header(header, path.name)
        mmap = size > MMAP_THRESHOLD_BYTES
        # The header is read once, here: np.load would parse it again, its own way.
        try:
            array = _memory_mapped(path, header) if mmap else read_npy_data(fh, header)
        except EOFError as exc:  # the file shrank since its size was checked
            raise InputError(f"{path.name} is truncated: {exc}.") from exc
    return finish_corpus(
        path,
        {},
        array,
        options,
        fmt="npy",
        where=RowLocator(),
        provenance={"memory_mapped": mmap and array.dtype == np.float32},
    )


def _memory_mapped(path: Path, header: NpyHeader) -> np.ndarray:
    return np.memmap(
        path,
        dtype=header.dtype,
        mode="r",
        offset=header.data_offset,
        shape=header.shape,
        order="F" if header.fortran_order else "C",
    )


def _check_vector_header(header: NpyHeader, what: str) -> None:
    """Refuse what cannot be vectors from the header alone, before the data is read."""
    shape, dtype = header.shape, header.dtype
    if dtype.kind not in "iuf":
        raise InputError(f"{what} holds {dtype} values; vectors must be numbers.")
    if len(shape) != 2:
        raise InputError(
            f"{what} has shape {shape}; vectors must be a 2-D array (rows × dimensions)."
        )
    if shape[0] == 0:
        raise InputError(f"{what} holds no rows (shape {shape}).")
    if shape[1] == 0:
        raise InputError(f"{what} has rows of 0 dimensions.")


def read_npz(path: Path, options: ReadOptions) -> Corpus:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        # NotImplementedError: a directory entry claims a zip version Python cannot read
        raise InputError(f"{path.name} is not a valid .npz file: {exc}") from exc
    with archive:
        members = _array_members(archive, path)
        headers = {key: _member_header(archive, name, path) for key, name in members.items()}
        key = _vector_key(headers, options.vector_column, path)
        _check_vector_header(headers[key], f"{path.name}[{key!r}]")
        n = headers[key].shape[0]
        budget = inflate_budget(path.stat().st_size)
        arrays: dict[str, np.ndarray] = {}
        for name in [key, *(k for k, h in headers.items() if k != key and len(h.shape) == 1)]:
            if headers[name].shape[0] != n:
                raise InputError(
                    f"{path.name}: column {name!r} has {headers[name].shape[0]} rows but the "
                    f"vectors {key!r} have {n}."
                )
            arrays[name] = read_zip_npy(archive, members[name], budget, path.name)
            budget -= arrays[name].nbytes
            _check_text(arrays[name], name, path)
    vectors = arrays.pop(key)
    return finish_corpus(
        path,
        arrays,
        vectors,
        options,
        fmt="npz",
        where=RowLocator(),
        provenance={"vector_key": key},
    )


def _check_text(column: np.ndarray, name: str, path: Path) -> None:
    """Refuse a text column holding a code point beyond Unicode's last (U+10FFFF): numpy
    stores any 32-bit number there, and turning it into a Python string fails ("SystemError:
    invalid maximum character passed to PyUnicode_New")."""
    if column.dtype.kind != "U" or not column.dtype.itemsize:
        return
    codes = column.view(np.uint32)
    bad = np.flatnonzero(codes > 0x10FFFF)
    if len(bad):
        row = int(bad[0]) // (column.dtype.itemsize // 4)
        raise InputError(
            f"{path.name}: column {name!r}, row index {row}: holds a character code "
            f"({int(codes[bad[0]]):#x}) beyond Unicode's last (0x10ffff); the file is corrupt."
        )


def _array_members(archive: zipfile.ZipFile, path: Path) -> dict[str, str]:
    """``{array name: member name}`` for the ``.npy`` members; other members are ignored."""
    names = archive.namelist()
    if "manifest.json" in names or path.suffix.lower() == ".embx":
        raise InputError(
            f"{path.name} is an embexplorer session file, not a corpus; open it in the "
            "window (File › Open Session…)."
        )
    members = {name.removesuffix(".npy"): name for name in names if name.endswith(".npy")}
    if not members:
        shown = ", ".join(names[:8]) + (f", … ({len(names)} in all)" if len(names) > 8 else "")
        raise InputError(
            f"{path.name} holds no .npy arrays, so it is not a NumPy .npz archive "
            f"(its members: {shown or 'none'})."
        )
    return members


def _member_header(archive: zipfile.ZipFile, name: str, path: Path) -> NpyHeader:
    """The member's ``.npy`` header, checked against the member's declared size; only the
    header is inflated (a few kB), so members that are not used are never checked further."""
    info = archive.getinfo(name)
    what = f"{path.name}: array {name.removesuffix('.npy')!r}"
    with zip_member_errors(path.name, name), archive.open(info) as fh:
        header = read_npy_header(fh, what)
    check_npy_data_size(header, info.file_size - header.data_offset, what)
    return header


def _vector_key(headers: dict[str, NpyHeader], requested: str | None, path: Path) -> str:
    if requested is not None:
        if requested not in headers:
            raise InputError(
                f"{path.name} has no array {requested!r}; arrays are: {', '.join(headers)}."
            )
        return requested
    two_d = [
        k
        for k, h in headers.items()
        if len(h.shape) == 2 and h.dtype.kind in "iuf" and k.lower() not in NEIGHBOR_LIST_COLUMNS
    ]
    if len(two_d) == 1:
        return two_d[0]
    for key in _VECTOR_KEYS:
        if key in two_d:
            return key
    if not two_d:
        raise InputError(
            f"{path.name} holds no 2-D numeric array to use as the vectors; arrays: "
            + ", ".join(f"{k} {h.shape} {h.dtype}" for k, h in headers.items())
            + "."
        )
    raise InputError(
        f"{path.name} holds several 2-D arrays ({', '.join(two_d)}); choose one "
        "as the vectors (--vector-column)."
    )
