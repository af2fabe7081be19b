"""Writers: tables with the corpus's rows, metadata and computed columns (atomic).

:func:`write_parquet` writes one file atomically; :func:`write_parquet_to` writes to a path as
it is, for a temporary of :func:`~embexplorer.core.io.atomic.atomic_paths` when the file is one
of a group (``analyze``'s OUT.parquet + OUT.json). A table of no rows still gets its schema.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from embexplorer.core.corpus import Corpus
from embexplorer.core.io.atomic import atomic_path, writing
from embexplorer.core.io.parquet import PROVENANCE_KEY


def corpus_table(
    corpus: Corpus, extra: Mapping[str, np.ndarray] | None = None, *, include_vectors: bool = False
) -> Any:
    """A pyarrow Table: metadata columns, then ``extra`` columns (x, y, …), then vectors."""
    import pyarrow as pa

    arrays: dict[str, Any] = {}
    if not any(name.lower() == "id" for name in corpus.columns):
        arrays["id"] = pa.array(corpus.ids)
    for name, col in corpus.columns.items():
        arrays[name] = arrow_column(col)
    for name, col in (extra or {}).items():
        arrays[name] = col if isinstance(col, pa.Array) else arrow_column(np.asarray(col))
    if include_vectors and corpus.vectors is not None:
        flat = pa.array(corpus.vectors.reshape(-1), type=pa.float32())
        arrays["vector"] = pa.FixedSizeListArray.from_arrays(flat, corpus.dim)
    return pa.table(arrays)


def arrow_column(values: np.ndarray) -> Any:
    """A column as pyarrow sees it; text columns stay text even with no value to show it (no
    rows, or all missing), so every batch and an empty table keep the same schema."""
    import pyarrow as pa

    array = pa.array(values)
    if pa.types.is_null(array.type) and values.dtype == object:
        return array.cast(pa.string())
    return array


def write_parquet(path: str | Path, table: Any, provenance: Mapping[str, Any]) -> Path:
    """Write ``table`` to ``path`` atomically, with ``provenance`` in the file's metadata."""
    path = Path(path)
    with atomic_path(path) as tmp:
        write_parquet_to(tmp, table, provenance)
    return path


#: Rows per Parquet row group in what analyze and embed write.
ROW_GROUP_ROWS = 65_536


def write_parquet_to(path: Path, table: Any, provenance: Mapping[str, Any]) -> None:
    """Write ``table`` with ``provenance`` straight to ``path`` (a temporary being written)."""
    import pyarrow.parquet as pq

    meta = dict(table.schema.metadata or {})
    meta[PROVENANCE_KEY] = json.dumps(provenance, default=str).encode()
    with writing(path):
        # row groups of 64k rows: the window reads an analysed dataset's texts by row group
        # (core/io/analysed_dataset.py), so a hovered row costs 64k rows' read, not 1M's
        pq.write_table(
            table.replace_schema_metadata(meta),
            path,
            compression="zstd",
            row_group_size=ROW_GROUP_ROWS,
        )
