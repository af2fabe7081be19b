"""Parquet reader: a list / fixed-size-list column of floats holds the vectors.

Columns are chosen by their Arrow type, never by how their values look as text: a list of
integers (an analysis's ``neighbors``) is taken as the vectors only when the user names it, and
lists of numbers stored as strings, nested lists and records are never embedded as text; when
no vectors are found they are named, with what to do (:func:`_why_not_vectors`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from embexplorer.core.corpus import Corpus
from embexplorer.core.errors import InputError
from embexplorer.core.io import ReadOptions
from embexplorer.core.io.assemble import (
    RowLocator,
    finish_corpus,
    is_number,
    is_vector_name,
    numbered_column_group,
    pick_float_list_column,
    resolve_vector_request,
    vectors_from_cells,
    vectors_from_numeric_columns,
)
from embexplorer.core.io.limits import parse_json
from embexplorer.core.io.parquet_budget import read_bounded_rows, read_bounded_table

#: Key of the file-level metadata where embexplorer stores provenance in files it writes.
PROVENANCE_KEY = b"embexplorer.provenance"


def read_parquet(path: Path, options: ReadOptions) -> Corpus:
    table = read_bounded_table(path)  # refused before it is decoded when it would not fit
    return corpus_from_table(table, path, options)


def read_parquet_rows(path: Path, options: ReadOptions, start: int, stop: int) -> Corpus:
    """Rows ``start`` to ``stop`` (excluded) of a Parquet file, read like :func:`read_parquet`:
    a work unit of the distributed engine. Only the row groups holding them are decoded, and
    the file is not hashed (each of a big file's hundreds of units would hash all of it)."""
    table = read_bounded_rows(path, start, stop)
    return corpus_from_table(table, path, options, hash_source=False)


def corpus_from_table(
    table: Any, path: Path, options: ReadOptions, *, hash_source: bool = True
) -> Corpus:
    """A corpus from a decoded table of ``path``: the vectors found by their Arrow type."""
    if table.num_rows == 0:
        raise InputError(f"{path.name} holds no rows.")
    where = RowLocator()
    if options.vector_column is not None:
        vector_names = resolve_vector_request(options.vector_column, table.column_names, path)
        unusable: dict[str, str] = {}
    else:
        vector_names, unusable = _choose_vector_columns(table)
    vectors = _vectors(table, vector_names, path, where) if vector_names else None
    taken = set(vector_names or ())
    provenance = _stored_provenance(table.schema.metadata)
    if vector_names and len(vector_names) == 1:  # which column (files can hold several)
        provenance["vector_column"] = vector_names[0]
    columns = {n: _column_to_numpy(table.column(n)) for n in table.column_names if n not in taken}
    return finish_corpus(
        path,
        columns,
        vectors,
        options,
        fmt="parquet",
        where=where,
        provenance=provenance,
        unusable_vectors=unusable,
        hash_source=hash_source,
    )


def _is_list_type(t: Any) -> bool:
    import pyarrow as pa

    return pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t)


def _is_string_type(t: Any) -> bool:
    import pyarrow as pa

    return pa.types.is_string(t) or pa.types.is_large_string(t)


def _is_numeric_type(t: Any) -> bool:
    import pyarrow as pa

    return pa.types.is_floating(t) or pa.types.is_integer(t)


def _list_kind(t: Any) -> str | None:
    """What a list column holds: ``"floats"``, ``"integers"``, ``"text"``, ``"nested"``
    (lists of lists or of records) or ``"other"``; ``None`` when it is not a list column."""
    import pyarrow as pa

    if not _is_list_type(t):
        return None
    value = t.value_type
    if pa.types.is_floating(value):
        return "floats"
    if pa.types.is_integer(value):
        return "integers"
    if _is_string_type(value):
        return "text"
    if _is_list_type(value) or pa.types.is_struct(value):
        return "nested"
    return "other"


def _choose_vector_columns(table: Any) -> tuple[list[str] | None, dict[str, str]]:
    """The columns to take as the vectors unasked, and those that look like vectors but are
    not taken (with why and what to do)."""
    schema = table.schema
    float_lists = [f.name for f in schema if _list_kind(f.type) == "floats"]
    chosen = pick_float_list_column(float_lists)
    if chosen is not None:
        return [chosen], {}
    group = numbered_column_group(table.column_names)
    if group and all(_is_numeric_type(schema.field(n).type) for n in group):
        return group, {}
    unusable = {}
    for f in schema:
        why = _why_not_vectors(f.name, f.type, table)
        if why is not None:
            unusable[f.name] = why
    return None, unusable


def _why_not_vectors(name: str, t: Any, table: Any) -> str | None:
    """Why a column that may hold vectors is not taken unasked; ``None`` if it does not."""
    import pyarrow as pa

    kind, shown = _list_kind(t), _type_name(t)
    if kind == "integers" and is_vector_name(name):
        return (
            f"holds lists of integers ({shown}); integer lists are taken as the vectors only "
            f"when named (--vector-column {name})"
        )
    if kind == "text" and _strings_are_numbers(table.column(name)):
        return (
            f"holds lists of numbers written as text ({shown}); to read them as the vectors, "
            f"name the column (--vector-column {name})"
        )
    if kind == "nested" and (is_vector_name(name) or _has_numeric_leaves(t)):
        return (
            f"holds nested lists ({shown}), not one list of numbers per row; store each "
            "vector as a flat list of floats"
        )
    if pa.types.is_struct(t) and (is_vector_name(name) or all(_is_numeric_type(f.type) for f in t)):
        return (
            f"holds records ({shown}), not a list of numbers; store each vector as one "
            "list of floats"
        )
    return None


def _strings_are_numbers(column: Any) -> bool:
    """Whether the first 20 lists of a list<string> column hold only numbers."""
    values = [v for cell in column.slice(0, 20).to_pylist() if cell is not None for v in cell]
    return bool(values) and all(isinstance(v, str) and is_number(v) for v in values)


def _has_numeric_leaves(t: Any) -> bool:
    import pyarrow as pa

    while _is_list_type(t):
        t = t.value_type
    if pa.types.is_struct(t):
        return all(_has_numeric_leaves(f.type) for f in t)
    return _is_numeric_type(t)


def _type_name(t: Any) -> str:
    """A short name for an Arrow type: ``list<string>``, ``list<list<double>>``."""
    import pyarrow as pa

    if pa.types.is_fixed_size_list(t):
        return f"fixed_size_list<{_type_name(t.value_type)}>[{t.list_size}]"
    if _is_list_type(t):
        return f"list<{_type_name(t.value_type)}>"
    if pa.types.is_struct(t):
        return "struct<" + ", ".join(f"{f.name}: {_type_name(f.type)}" for f in t) + ">"
    return str(t)


def _vectors(table: Any, names: list[str], path: Path, where: RowLocator) -> np.ndarray:
    if len(names) == 1:
        name = names[0]
        t = table.schema.field(name).type
        if _is_list_type(t) or _is_struct_type(t):
            return list_column_to_vectors(table.column(name), name, path)
        if _is_string_type(t):  # lists written as text, "[0.1, 0.2]"
            return vectors_from_cells(table.column(name).to_pylist(), name, path, where)
    numeric = {n: table.column(n).to_numpy(zero_copy_only=False) for n in names}
    return vectors_from_numeric_columns(numeric, names, path, where)


def _is_struct_type(t: Any) -> bool:
    import pyarrow as pa

    return pa.types.is_struct(t)


def list_column_to_vectors(column: Any, name: str, path: Path) -> np.ndarray:
    """(N, D) numbers from a (fixed-size) list column, without a Python loop (the corpus
    makes them float32: :func:`~.assemble.finish_corpus`).

    Lists of numbers written as text (``list<string>``) are read as numbers, since the user
    named the column; lists of lists and records are refused with what they hold.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    kind = _list_kind(arr.type)
    if kind is None or kind == "nested":
        raise InputError(
            f"{path.name}: column {name!r} holds {_type_name(arr.type)}, not one list of "
            "numbers per row; store each vector as a flat list of floats."
        )
    if kind == "other":
        raise InputError(
            f"{path.name}: the vector column {name!r} holds lists of "
            f"{_type_name(arr.type.value_type)}, not numbers."
        )
    if arr.null_count:
        row = int(np.flatnonzero(arr.is_null().to_numpy(zero_copy_only=False))[0])
        raise InputError(f"{path.name}, row index {row}: no vector in column {name!r}.")
    lengths = pc.list_value_length(arr).to_numpy(zero_copy_only=False)
    if len(lengths) and (lengths != lengths[0]).any():
        row = int(np.flatnonzero(lengths != lengths[0])[0])
        raise InputError(
            f"{path.name}, row index {row}: the vector in {name!r} has "
            f"{lengths[row]} values, but earlier rows have {lengths[0]}."
        )
    if len(lengths) and lengths[0] == 0:
        raise InputError(f"{path.name}: the vectors in {name!r} are empty.")
    flat = pc.list_flatten(arr)
    if flat.null_count:
        raise InputError(
            f"{path.name}: the vector column {name!r} has missing values inside its lists."
        )
    if kind == "text":
        flat = _strings_to_floats(flat, lengths, name, path)
    return flat.to_numpy(zero_copy_only=False).reshape(len(arr), -1)


def _strings_to_floats(flat: Any, lengths: np.ndarray, name: str, path: Path) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        return pc.cast(pc.utf8_trim_whitespace(flat), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    for index, text in enumerate(flat.to_pylist()):
        if not is_number(text):
            row = int(np.searchsorted(np.cumsum(lengths), index, side="right"))
            raise InputError(
                f"{path.name}, row index {row}: {text!r} in the vector column {name!r} is "
                "not a number."
            )
    raise InputError(f"{path.name}: the vector column {name!r} holds text that is not numbers.")


def _column_to_numpy(column: Any) -> np.ndarray:
    import pyarrow as pa

    t = column.type
    if pa.types.is_dictionary(t):
        column = column.cast(t.value_type)
    if _is_list_type(column.type) or pa.types.is_struct(column.type):
        return np.array(
            [None if v is None else json.dumps(v, default=str) for v in column.to_pylist()],
            dtype=object,
        )
    return column.to_numpy(zero_copy_only=False)


def _stored_provenance(metadata: dict[bytes, bytes] | None) -> dict[str, Any]:
    if not metadata or PROVENANCE_KEY not in metadata:
        return {}
    try:
        stored = parse_json(metadata[PROVENANCE_KEY], "provenance")
    except InputError:
        return {}
    if not isinstance(stored, dict):
        return {}
    # The file was written from another source: keep where it came from under its own name.
    if "source" in stored:
        stored["derived_from"] = {
            k: stored.pop(k) for k in ("source", "source_sha256", "format") if k in stored
        }
    return stored
