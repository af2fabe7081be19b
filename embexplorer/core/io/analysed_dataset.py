"""An analysed dataset opened in place: what ``embexplorer analyze`` writes (one Parquet file, or
a folder of Parquet shards whose rows in file-name order are the global rows, plus the summary
JSON), however many rows, without its vectors.

Opening reads only what the map needs (core/io/analysed_map.py): x and y, N_k and the cluster
numbers, and the few-valued text columns as categories (cluster_label, a topic: one shared
string per category). Everything else (the texts, ids, other numbers) stays in the files and
is read by row (:class:`LazyColumn`): a Parquet row group holds a contiguous range of rows, so
one row's value costs one column of one row group, and a small LRU keeps the last few. A
clicked row's neighbours are its stored ``neighbors`` / ``neighbor_distances`` (read for that
row only), labelled as the summary describes them (:meth:`AnalysedDataset.neighbor_label`).
Qt-free: the window's Document renders from it; export streams it (core/io/analysed_export.py).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from embexplorer.core.errors import InputError

#: The columns that make a Parquet file an analysed dataset.
REQUIRED_COLUMNS = ("x", "y", "neighbors", "k_occurrence")
#: The stored kNN graph: read for one row at a time, never for all.
GRAPH_COLUMNS = ("neighbors", "neighbor_distances")
#: Columns of row groups kept in memory (a 64k-row column of short texts: ~5 MB as Python
#: strings): enough for a page of the table and a neighbour list spread over many groups.
CACHED_COLUMNS = 32
PARQUET_SUFFIXES = (".parquet", ".pq")
PROVENANCE_KEY = b"embexplorer.provenance"


def analysed_files(path: str | Path) -> list[Path] | None:
    """The Parquet files of an analysed dataset at ``path`` (a file, or a folder of shards in
    name order), or None when ``path`` is not one. Reads schemas only."""
    path = Path(path)
    if path.is_dir():
        files = sorted(
            p for p in path.iterdir() if p.is_file() and p.suffix.lower() in PARQUET_SUFFIXES
        )
    elif path.is_file() and path.suffix.lower() in PARQUET_SUFFIXES:
        files = [path]
    else:
        return None
    if not files:
        return None
    try:
        names = set(_schema(files[0]).names)
    except InputError:
        if path.is_dir():
            raise  # a folder of Parquet files: say which one is broken
        return None  # one file: its own reader says what is wrong
    return files if names.issuperset(REQUIRED_COLUMNS) else None


def is_analysed_dataset(path: str | Path) -> bool:
    return analysed_files(path) is not None


def _schema(path: Path):
    import pyarrow.parquet as pq

    try:
        return pq.read_schema(path)
    except Exception as exc:
        raise InputError(f"{path.name}: not a readable Parquet file ({exc}).") from exc


class AnalysedDataset:
    """The files of an analysed dataset, its row groups, and row access through a small LRU."""

    def __init__(self, path: Path, files: list[Path], summary: Mapping[str, Any]):
        import pyarrow.parquet as pq

        self.path, self.files, self.summary = path, files, dict(summary)
        self._handles = []
        starts, where, total = [], [], 0
        schema = None
        for file in files:
            try:
                handle = pq.ParquetFile(file)
            except Exception as exc:
                raise InputError(f"{file.name}: not a readable Parquet file ({exc}).") from exc
            if schema is None:
                schema = handle.schema_arrow
            elif not handle.schema_arrow.remove_metadata().equals(schema.remove_metadata()):
                raise InputError(
                    f"{file.name}: its columns differ from {files[0].name}'s; every shard of "
                    f"an analysed dataset has the same columns ({', '.join(schema.names)})."
                )
            meta = handle.metadata
            for g in range(meta.num_row_groups):
                starts.append(total)
                where.append((len(self._handles), g))
                total += meta.row_group(g).num_rows
            self._handles.append(handle)
        self.schema = schema
        self.n_rows = total
        self._starts = np.array([*starts, total], dtype=np.int64)
        self._where = where
        self.provenance = _provenance(schema)
        graph = schema.field("neighbors").type
        self.graph_k = int(getattr(graph, "list_size", 0) or self.summary.get("k") or 0)
        self._cache: OrderedDict[tuple[int, str], Any] = OrderedDict()
        self._lock = threading.Lock()
        #: row groups' columns read from disk since opening (tests count them)
        self.row_group_reads = 0

    @classmethod
    def open(cls, path: str | Path) -> AnalysedDataset:
        path = Path(path)
        files = analysed_files(path)
        if files is None:
            raise InputError(
                f"{path.name} is not an analysed dataset: it needs the columns "
                f"{', '.join(REQUIRED_COLUMNS)} (what embexplorer analyze writes)."
            )
        return cls(path, files, _read_summary(path))

    # -- what it holds ----------------------------------------------------------------------
    @property
    def n_row_groups(self) -> int:
        return len(self._where)

    @property
    def metric(self) -> str:
        analysis = self.provenance.get("analysis", {})
        return str(self.summary.get("metric") or analysis.get("metric") or "cosine")

    def neighbor_label(self) -> str:
        """How the stored neighbours were found, for people."""
        method = self.summary.get("knn_method") or self.provenance.get("analysis", {}).get(
            "knn_method"
        )
        if method == "exact":
            return "precomputed, exact"
        recall = self.summary.get("recall")
        measured = f"recall {float(recall):.3f}" if recall is not None else "recall not measured"
        return f"precomputed, approximate ({measured})"

    def id_column(self) -> str | None:
        return next((n for n in self.schema.names if n.lower() == "id"), None)

    # -- rows -------------------------------------------------------------------------------
    def _column(self, g: int, name: str):
        """Column ``name`` of row group ``g``: numpy (converted once: a table cell or a tooltip
        is then one lookup), or, for the graph's lists, the Arrow column."""
        key = (g, name)
        with self._lock:
            values = self._cache.get(key)
            if values is not None:
                self._cache.move_to_end(key)
                return values
            shard, index = self._where[g]
            try:
                table = self._handles[shard].read_row_group(index, columns=[name])
            except Exception as exc:
                file = self.files[shard].name
                raise InputError(f"{file}: row group {index} cannot be read ({exc}).") from exc
            self.row_group_reads += 1
            column = table.column(name)
            values = column if name in GRAPH_COLUMNS else column.to_numpy(zero_copy_only=False)
            self._cache[key] = values
            while len(self._cache) > CACHED_COLUMNS:
                self._cache.popitem(last=False)
            return values

    def _check_rows(self, rows: np.ndarray) -> None:
        if len(rows) and (rows.min() < 0 or rows.max() >= self.n_rows):
            bad = rows[(rows < 0) | (rows >= self.n_rows)][0]
            raise IndexError(f"row {bad} is not one of the {self.n_rows:,} rows")

    def take(self, rows, name: str) -> np.ndarray:
        """The values of column ``name`` at ``rows`` (in that order), read by row group."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        self._check_rows(rows)
        groups = np.searchsorted(self._starts, rows, side="right") - 1
        out: np.ndarray | None = None
        for g in np.unique(groups):
            at = np.flatnonzero(groups == g)
            local = rows[at] - self._starts[g]
            values = self._column(int(g), name)[local]
            if out is None:
                out = np.empty(len(rows), dtype=values.dtype)
            elif out.dtype != values.dtype:
                out = out.astype(object)
            out[at] = values
        return out if out is not None else np.empty(0, dtype=object)

    def neighbors(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """The stored neighbours of ``row`` (global rows, nearest first) and their distances."""
        rows = np.array([row], dtype=np.int64)
        self._check_rows(rows)
        g = int(np.searchsorted(self._starts, row, side="right") - 1)
        local = row - int(self._starts[g])
        indices = np.asarray(self._column(g, "neighbors")[local].values, dtype=np.int64)
        distances = np.asarray(self._column(g, "neighbor_distances")[local].values, np.float32)
        return indices, distances

    def shard_columns(self, name: str) -> Iterator[Any]:
        """Column ``name`` of each shard in turn, as Arrow."""
        for file, handle in zip(self.files, self._handles, strict=True):
            try:
                yield handle.read(columns=[name]).column(name)
            except Exception as exc:
                raise InputError(f"{file.name}: cannot be read ({exc}).") from exc

    def read_column(self, name: str) -> np.ndarray:
        """All of column ``name``, shard by shard (one column's reads, not the row groups')."""
        parts = [part.to_numpy() for part in self.shard_columns(name)]
        return np.concatenate(parts) if parts else np.empty(0)

    def iter_groups(self) -> Iterator[tuple[int, int, int]]:
        """``(group, first row, end row)`` of every row group, in row order."""
        for g in range(self.n_row_groups):
            yield g, int(self._starts[g]), int(self._starts[g + 1])

    def read_group(self, g: int, columns: list[str] | None = None):
        """Row group ``g`` with ``columns`` (all by default), straight from its file (not
        cached: export streams every group once)."""
        shard, index = self._where[g]
        try:
            return self._handles[shard].read_row_group(index, columns=columns)
        except Exception as exc:
            name = self.files[shard].name
            raise InputError(f"{name}: row group {index} cannot be read ({exc}).") from exc


def _provenance(schema) -> dict[str, Any]:
    raw = (schema.metadata or {}).get(PROVENANCE_KEY)
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _read_summary(path: Path) -> dict[str, Any]:
    """The summary JSON: OUT.json beside OUT.parquet, or the folder's ``*.json`` (or the one
    beside the folder)."""
    if path.is_dir():
        candidates = [*sorted(path.glob("*.json")), path.with_name(path.name + ".json")]
    else:
        candidates = [path.with_suffix(".json")]
    for candidate in candidates:
        if candidate.name.endswith(".provenance.json") or not candidate.is_file():
            continue
        try:
            value = json.loads(candidate.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(value, dict) and "rows" in value:
            return value
    return {}


class LazyColumn:
    """A column read by row from the files: indexing reads the row groups it needs; iterating
    streams them. ``np.asarray`` on it reads the whole column (what a full scan costs)."""

    ndim = 1

    def __init__(self, dataset: AnalysedDataset, name: str, dtype: np.dtype):
        self.dataset, self.name, self.dtype = dataset, name, np.dtype(dtype)

    def __len__(self) -> int:
        return self.dataset.n_rows

    @property
    def shape(self) -> tuple[int]:
        return (self.dataset.n_rows,)

    def __getitem__(self, key):
        if isinstance(key, int | np.integer):
            row = int(key) + (self.dataset.n_rows if key < 0 else 0)
            return self.dataset.take([row], self.name)[0]
        if isinstance(key, slice):
            return self.dataset.take(np.arange(*key.indices(len(self))), self.name)
        key = np.asarray(key)
        if key.dtype == bool:
            key = np.flatnonzero(key)
        return self.dataset.take(key, self.name)

    def index_of(self, text: str) -> int:
        """The first row whose value reads ``text``, or -1 (compared in Arrow, shard by shard)."""
        import pyarrow.compute as pc

        start = 0
        for column in self.dataset.shard_columns(self.name):
            found = pc.index(pc.cast(column, "string"), text).as_py()
            if found >= 0:
                return start + found
            start += len(column)
        return -1

    def __iter__(self) -> Iterator[Any]:
        for _, lo, hi in self.dataset.iter_groups():
            yield from self.dataset.take(np.arange(lo, hi), self.name)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        values = self.dataset.read_column(self.name)
        return values if dtype is None else values.astype(dtype)
