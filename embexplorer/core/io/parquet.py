"""Parquet reader: a list / fixed-size-list column of floats holds the vectors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from embexplorer.core.corpus import Corpus
from embexplorer.core.errors import InputError
from embexplorer.core.io import ReadOptions
from embexplorer.core.io.assemble import (
    VECTOR_COLUMN_NAMES,
    RowLocator,
    finish_corpus,
    numbered_column_group,
    resolve_vector_request,
    vectors_from_numeric_columns,
)

#: Key of the file-level metadata where embexplorer stores provenance in files it writes.
PROVENANCE_KEY = b"embexplorer.provenance"


def read_parquet(path: Path, options: ReadOptions) -> Corpus:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{path.name} is not a readable Parquet file: {exc}") from exc
    if table.num_rows == 0:
        raise InputError(f"{path.name} holds no rows.")
    where = RowLocator()
    names = table.column_names
    vector_names = _choose_vector_columns(table, options.vector_column, path)
    if (
        vector_names
        and len(vector_names) == 1
        and _is_list_type(table.schema.field(vector_names[0]).type)
    ):
        vectors = list_column_to_vectors(table.column(vector_names[0]), vector_names[0], path)
    elif vector_names:
        numeric = {n: table.column(n).to_numpy(zero_copy_only=False) for n in vector_names}
        vectors = vectors_from_numeric_columns(numeric, vector_names, path, where)
    else:
        vectors = None
    columns = {n: _column_to_numpy(table.column(n)) for n in names if n not in (vector_names or ())}
    return finish_corpus(
        path,
        columns,
        vectors,
        options,
        fmt="parquet",
        where=where,
        provenance=_stored_provenance(table.schema.metadata),
    )


def _is_list_type(t: Any) -> bool:
    import pyarrow as pa

    return pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t)


def _choose_vector_columns(table: Any, request: str | None, path: Path) -> list[str] | None:
    import pyarrow as pa

    names = table.column_names
    if request is not None:
        return resolve_vector_request(request, names, path)
    lists = [
        f.name
        for f in table.schema
        if _is_list_type(f.type)
        and (pa.types.is_floating(f.type.value_type) or pa.types.is_integer(f.type.value_type))
    ]
    preferred = [n for n in lists if n.lower() in VECTOR_COLUMN_NAMES]
    if preferred or lists:
        return [(preferred or lists)[0]]
    group = numbered_column_group(names)
    if group and all(
        pa.types.is_floating(table.schema.field(n).type)
        or pa.types.is_integer(table.schema.field(n).type)
        for n in group
    ):
        return group
    return None


def list_column_to_vectors(column: Any, name: str, path: Path) -> np.ndarray:
    """(N, D) float32 from a (fixed-size) list column, without a Python loop."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if not _is_list_type(arr.type):
        raise InputError(f"{path.name}: column {name!r} holds {arr.type}, not lists of numbers.")
    value_type = arr.type.value_type
    if not (pa.types.is_floating(value_type) or pa.types.is_integer(value_type)):
        raise InputError(
            f"{path.name}: the vector column {name!r} holds lists of {value_type}, not numbers."
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
    values = flat.to_numpy(zero_copy_only=False)
    return np.ascontiguousarray(values.reshape(len(arr), -1), dtype=np.float32)


def _column_to_numpy(column: Any) -> np.ndarray:
    import pyarrow as pa

    t = column.type
    if pa.types.is_dictionary(t):
        column = column.cast(t.value_type)
    if _is_list_type(column.type) or pa.types.is_struct(column.type):
        return np.array(
            [None if v is None else json.dumps(v) for v in column.to_pylist()], dtype=object
        )
    return column.to_numpy(zero_copy_only=False)


def _stored_provenance(metadata: dict[bytes, bytes] | None) -> dict[str, Any]:
    if not metadata or PROVENANCE_KEY not in metadata:
        return {}
    try:
        stored = json.loads(metadata[PROVENANCE_KEY])
    except ValueError:
        return {}
    if not isinstance(stored, dict):
        return {}
    # The file was written from another source: keep where it came from under its own name.
    if "source" in stored:
        stored["derived_from"] = {
            k: stored.pop(k) for k in ("source", "source_sha256", "format") if k in stored
        }
    return stored
