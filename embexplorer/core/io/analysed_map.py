"""Open an analysed dataset: read what the map needs up front, and its rows as a corpus.

x and y become the map's (N, 2) positions; N_k and the cluster numbers (``MAP_NUMBERS``) and
the few-valued text columns (a first row group's worth decides: at most ``MAX_CATEGORIES``
distinct values) are read shard by shard into arrays made once, the text columns as
:class:`~embexplorer.core.categories.CategoricalColumn` codes with one shared string per
category (10M rows of 40 topics: 20 MB of codes and 80 MB of pointers, not 10M strings). The
other columns become :class:`~embexplorer.core.io.analysed_dataset.LazyColumn` s, read by row.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from embexplorer.core.categories import CategoricalColumn
from embexplorer.core.corpus import MAX_CATEGORIES, Corpus, guess_label_column, guess_text_column
from embexplorer.core.errors import InputError
from embexplorer.core.io.analysed_dataset import GRAPH_COLUMNS, AnalysedDataset, LazyColumn
from embexplorer.core.tasks import Progress, Task

#: The numeric columns read up front: what the map draws and colours by default.
MAP_NUMBERS = ("k_occurrence", "cluster")


@dataclass(frozen=True)
class MapColumns:
    """What the map needs, read up front: (N, 2) float32 positions and the light columns."""

    coords: np.ndarray
    columns: dict[str, np.ndarray]


def _kinds(dataset: AnalysedDataset) -> tuple[list[str], list[str]]:
    """(numeric columns, few-valued text columns): the columns read up front. The numbers
    the map shows (N_k, the clusters); other numbers (scores, metadata) are read when
    asked for (colouring by one reads that column)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text_column = dataset.summary.get("text_column")
    numeric, strings = [], []
    for f in dataset.schema:
        if f.name in ("x", "y", *GRAPH_COLUMNS) or f.name in (text_column, dataset.id_column()):
            continue
        if pa.types.is_integer(f.type) or pa.types.is_floating(f.type):
            if f.name in MAP_NUMBERS:
                numeric.append(f.name)
        elif (
            pa.types.is_string(f.type)
            or pa.types.is_large_string(f.type)
            or pa.types.is_dictionary(f.type)
        ):
            strings.append(f.name)
    if not strings or not dataset.n_rows:
        return numeric, []
    first = dataset.read_group(0, strings)
    few = [n for n in strings if len(pc.unique(first.column(n))) <= MAX_CATEGORIES]
    return numeric, few


def read_map_task(dataset: AnalysedDataset) -> Task[MapColumns]:
    """Read x, y and the light columns shard by shard into arrays made once (nothing the size
    of the dataset is built twice)."""
    import pyarrow.parquet as pq

    numeric, categories = _kinds(dataset)
    n = dataset.n_rows
    coords = np.empty((n, 2), dtype=np.float32)
    numbers = {name: None for name in numeric}
    codes = {name: np.empty(n, dtype=np.int32) for name in categories}
    known: dict[str, dict[str, int]] = {name: {} for name in categories}
    lo = 0
    for i, file in enumerate(dataset.files):
        yield Progress(i / len(dataset.files), f"Reading the map: {file.name}")
        try:
            handle = pq.ParquetFile(file, read_dictionary=categories)
            table = handle.read(columns=["x", "y", *numeric, *categories])
        except Exception as exc:
            raise InputError(f"{file.name}: cannot be read ({exc}).") from exc
        hi = lo + table.num_rows
        coords[lo:hi, 0] = table.column("x").to_numpy()
        coords[lo:hi, 1] = table.column("y").to_numpy()
        for name in numeric:
            numbers[name] = _put(numbers[name], table.column(name).to_numpy(), lo, hi, n)
        for name in categories:
            _put_codes(codes[name], known[name], table.column(name), lo)
        lo = hi
    if not np.isfinite(coords).all():
        bad = int((~np.isfinite(coords).all(axis=1)).sum())
        raise InputError(f"{dataset.path.name}: {bad:,} rows have no finite x, y position.")
    columns: dict[str, np.ndarray] = {}
    for f in dataset.schema.names:
        if f in numbers:
            columns[f] = numbers[f]
        elif f in codes:
            columns[f] = CategoricalColumn(codes[f], list(known[f]))
    yield Progress(1.0, f"Read the map of {n:,} rows")
    return MapColumns(coords, columns)


def _put(out: np.ndarray | None, values: np.ndarray, lo: int, hi: int, n: int) -> np.ndarray:
    """``values`` into rows lo:hi of ``out`` (made on the first call), in 4 bytes a value
    where they fit (N_k, cluster numbers, float32 scores: 10M rows, 40 MB a column, not 80)."""
    values = _compact(values)
    if out is None:
        out = np.empty(n, dtype=values.dtype)
    elif np.result_type(out.dtype, values.dtype) != out.dtype:  # a wider shard, or nulls
        out = out.astype(np.result_type(out.dtype, values.dtype))
    out[lo:hi] = values
    return out


def _compact(values: np.ndarray) -> np.ndarray:
    if values.dtype == np.float64:
        return values.astype(np.float32)
    if values.dtype.kind in "iu" and values.itemsize > 4 and len(values):
        info = np.iinfo(np.int32)
        if info.min <= values.min() and values.max() <= info.max:
            return values.astype(np.int32)
    return values


def _put_codes(out: np.ndarray, known: dict[str, int], column, lo: int) -> None:
    """Codes of a dictionary column into ``out``, with one numbering over every chunk."""
    for chunk in column.chunks:
        names = chunk.dictionary.to_pylist()
        remap = np.array([known.setdefault(str(v), len(known)) for v in names] + [-1], np.int32)
        indices = chunk.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        out[lo : lo + len(chunk)] = remap[indices]
        lo += len(chunk)


def analysed_corpus(dataset: AnalysedDataset, map_columns: MapColumns) -> Corpus:
    """The rows as a corpus: the light columns in memory, the rest read by row."""
    import pyarrow as pa

    columns: dict[str, Any] = {}
    for f in dataset.schema:
        if f.name in ("x", "y", *GRAPH_COLUMNS):
            continue
        if f.name in map_columns.columns:
            columns[f.name] = map_columns.columns[f.name]
        elif pa.types.is_list(f.type) or pa.types.is_fixed_size_list(f.type):
            continue  # vectors or lists: not a column to show
        else:
            numeric = pa.types.is_integer(f.type) or pa.types.is_floating(f.type)
            dtype = f.type.to_pandas_dtype() if numeric else object
            columns[f.name] = LazyColumn(dataset, f.name, dtype)
    id_name = dataset.id_column()
    ids = columns[id_name] if id_name else np.arange(dataset.n_rows)
    text = dataset.summary.get("text_column")
    label = dataset.summary.get("label_column")
    if "text_column" not in dataset.summary:  # no summary: guess, reading one row group
        text = guess_text_column({k: v for k, v in columns.items() if k != id_name})
        in_memory = {k: v for k, v in columns.items() if isinstance(v, CategoricalColumn)}
        label = guess_label_column(in_memory)
    provenance = {
        **dataset.provenance,
        "source": str(dataset.path),
        "format": "analysed dataset",
        "neighbors": dataset.neighbor_label(),
    }
    return Corpus(
        ids=ids,
        columns=columns,
        text_column=text if text in columns else None,
        label_column=label if label in columns else None,
        provenance=provenance,
    )


def open_analysed_task(path: str | Path) -> Task[tuple[AnalysedDataset, Corpus, np.ndarray]]:
    """Open an analysed dataset: (the dataset, its rows as a corpus, the (N, 2) positions)."""
    yield Progress(None, f"Opening {Path(path).name}")
    dataset = AnalysedDataset.open(path)
    map_columns = yield from read_map_task(dataset)
    corpus = analysed_corpus(dataset, map_columns)
    if corpus.text_column is not None and corpus.n_rows:
        # pyarrow's first conversion of strings imports pandas (~0.2 s): here, on the worker,
        # not on the first hover or click
        corpus.texts[0]
    return dataset, corpus, map_columns.coords
