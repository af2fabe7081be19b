"""Writers: tables with the corpus's rows, metadata and computed columns (atomic)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from embexplorer.core.corpus import Corpus
from embexplorer.core.io.atomic import atomic_path
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
        arrays[name] = pa.array(col)
    for name, col in (extra or {}).items():
        arrays[name] = pa.array(col)
    if include_vectors and corpus.vectors is not None:
        flat = pa.array(corpus.vectors.reshape(-1), type=pa.float32())
        arrays["vector"] = pa.FixedSizeListArray.from_arrays(flat, corpus.dim)
    return pa.table(arrays)


def write_parquet(path: str | Path, table: Any, provenance: Mapping[str, Any]) -> Path:
    """Write ``table`` to ``path`` atomically, with ``provenance`` in the file's metadata."""
    import pyarrow.parquet as pq

    path = Path(path)
    meta = dict(table.schema.metadata or {})
    meta[PROVENANCE_KEY] = json.dumps(provenance, default=str).encode()
    table = table.replace_schema_metadata(meta)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    return path
