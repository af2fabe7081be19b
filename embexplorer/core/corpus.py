"""The corpus: rows with ids, optional texts, metadata columns, optional vectors, provenance."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from embexplorer.core.errors import InputError

#: Column names that, case-insensitively, are taken as the text column when none is chosen.
TEXT_COLUMN_NAMES = (
    "text",
    "sentence",
    "document",
    "content",
    "body",
    "extract",
    "abstract",
    "summary",
    "passage",
    "description",
    "title",
)
#: Column names that, case-insensitively, are taken as the label column when none is chosen.
LABEL_COLUMN_NAMES = (
    "label",
    "labels",
    "topic",
    "category",
    "class",
    "cluster",
    "group",
    "tag",
    "target",
    "y",
)
#: A string column with at most this many distinct values is categorical (can colour a plot).
MAX_CATEGORIES = 256


def normalize_column(values: Any) -> np.ndarray:
    """A 1-D numpy array for a metadata column: numeric stays numeric, the rest becomes str.

    Missing values become ``NaN`` in float columns and ``None`` in object (string) columns.
    Booleans become their strings, since they are categories, not magnitudes.
    """
    arr = np.asarray(values)
    if arr.ndim != 1:
        arr = np.asarray(list(values), dtype=object)
        if arr.ndim != 1:
            raise InputError("A metadata column must be one-dimensional.")
    if arr.dtype.kind in "iuf":
        return arr
    if arr.dtype.kind in "US":
        return arr.astype(object)
    out = np.empty(len(arr), dtype=object)
    for i, value in enumerate(arr):
        out[i] = None if value is None or value is np.nan else str(value)
    return out


def column_kind(values: np.ndarray) -> str:
    """``"numeric"``, ``"categorical"`` (few distinct strings) or ``"text"``."""
    if values.dtype.kind in "iuf":
        return "numeric"
    n_unique = len(_unique_strings(values, MAX_CATEGORIES + 1))
    return "categorical" if n_unique <= MAX_CATEGORIES else "text"


def _unique_strings(values: np.ndarray, stop_after: int) -> set:
    seen: set = set()
    for value in values:
        seen.add(value)
        if len(seen) >= stop_after:
            break
    return seen


@dataclass(frozen=True, eq=False)
class Corpus:
    """An immutable corpus value.

    Parameters
    ----------
    ids
        Row ids, unique, shape ``(N,)``.
    columns
        Metadata columns by name, each shape ``(N,)`` (see :func:`normalize_column`).
    vectors
        ``(N, D)`` float32, C-contiguous, finite; ``None`` for a text-only corpus.
    text_column, label_column
        Which metadata column holds the texts / the labels, if any.
    provenance
        Where the rows and vectors came from (source file and hash, encoder, dropped rows).
    """

    ids: np.ndarray
    columns: Mapping[str, np.ndarray] = field(default_factory=dict)
    vectors: np.ndarray | None = None
    text_column: str | None = None
    label_column: str | None = None
    provenance: Mapping[str, Any] = field(default_factory=dict)
    corpus_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __post_init__(self) -> None:
        n = len(self.ids)
        for name, col in self.columns.items():
            if col.ndim != 1 or len(col) != n:
                raise InputError(f"Column {name!r} has {len(col)} rows but the corpus has {n}.")
        if self.vectors is not None:
            _check_vectors(self.vectors, n)
        for role, name in (("text", self.text_column), ("label", self.label_column)):
            if name is not None and name not in self.columns:
                raise InputError(
                    f"There is no column {name!r} to use as the {role} column; "
                    f"columns: {', '.join(self.columns) or 'none'}."
                )
        # ids read by row from files (an analysed dataset, core/io/analysed_dataset.py) were
        # checked when they were written; scanning 10M of them here would cost seconds
        if n and isinstance(self.ids, np.ndarray) and _distinct_count(self.ids) != n:
            raise InputError("Row ids must be unique.")

    @property
    def n_rows(self) -> int:
        return len(self.ids)

    @property
    def dim(self) -> int | None:
        return None if self.vectors is None else int(self.vectors.shape[1])

    @property
    def texts(self) -> np.ndarray | None:
        return None if self.text_column is None else self.columns[self.text_column]

    @property
    def labels(self) -> np.ndarray | None:
        return None if self.label_column is None else self.columns[self.label_column]

    def replace(self, **changes: Any) -> Corpus:
        """A copy with ``changes`` applied (same ``corpus_id`` unless rows change)."""
        return dataclasses.replace(self, **changes)

    def with_vectors(self, vectors: np.ndarray, provenance: Mapping[str, Any]) -> Corpus:
        """A copy holding ``vectors``, with ``provenance`` merged into the corpus's."""
        return self.replace(vectors=vectors, provenance={**self.provenance, **provenance})

    def take(self, rows: np.ndarray) -> Corpus:
        """A new corpus (new id) holding only ``rows``, in that order."""
        rows = np.asarray(rows, dtype=np.intp)
        vectors = None if self.vectors is None else np.ascontiguousarray(self.vectors[rows])
        return Corpus(
            ids=self.ids[rows],
            columns={k: v[rows] for k, v in self.columns.items()},
            vectors=vectors,
            text_column=self.text_column,
            label_column=self.label_column,
            provenance=dict(self.provenance),
        )

    def summary(self) -> str:
        dims = "no vectors" if self.vectors is None else f"{self.dim} dims"
        return f"{self.n_rows:,} rows, {dims}, {len(self.columns)} columns"


def _check_vectors(vectors: np.ndarray, n: int) -> None:
    if vectors.ndim != 2:
        raise InputError(f"Vectors must be a 2-D array (rows × dims), got {vectors.ndim}-D.")
    if vectors.shape[0] != n:
        raise InputError(f"There are {vectors.shape[0]} vectors but {n} rows.")
    if vectors.dtype != np.float32 or not vectors.flags.c_contiguous:
        raise InputError("Vectors must be C-contiguous float32 (use as_float32_vectors).")


def as_float32_vectors(array: np.ndarray) -> np.ndarray:
    """``array`` as C-contiguous float32, without a copy when it already is (memmaps stay)."""
    if array.dtype == np.float32 and array.flags.c_contiguous:
        return array
    return np.ascontiguousarray(array, dtype=np.float32)


def nonfinite_rows(vectors: np.ndarray, chunk_rows: int = 65536) -> np.ndarray:
    """Indices of rows holding NaN or ±inf, checked in chunks (memory bounded for memmaps)."""
    bad = [
        lo + np.flatnonzero(~np.isfinite(vectors[lo : lo + chunk_rows]).all(axis=1))
        for lo in range(0, len(vectors), chunk_rows)
    ]
    return np.concatenate(bad) if bad else np.empty(0, dtype=np.intp)


def guess_text_column(columns: Mapping[str, np.ndarray]) -> str | None:
    """The column that most likely holds the texts: by name, else the longest strings.

    A column of lists or records written as JSON (how readers keep Parquet list and struct
    columns, and nested JSON values) is data, never text to embed, whatever its name.
    """
    columns = {k: v for k, v in columns.items() if not holds_json_containers(v)}
    by_name = _by_name(columns, TEXT_COLUMN_NAMES, kinds="O")
    if by_name is not None:
        return by_name
    best, best_len = None, 20.0  # shorter strings are labels, not texts
    for name, col in columns.items():
        if col.dtype.kind != "O" or not len(col):
            continue
        sample = [v for v in col[:500] if isinstance(v, str)]
        mean_len = float(np.mean([len(v) for v in sample])) if sample else 0.0
        if mean_len > best_len:
            best, best_len = name, mean_len
    return best


def holds_json_containers(values: np.ndarray) -> bool:
    """Whether a string column holds JSON arrays or objects (``"[1, 2]"``, ``'{"a": 1}'``),
    judged on its first 20 values."""
    if values.dtype.kind != "O":
        return False
    sample = [v for v in values[:20] if v is not None]
    return bool(sample) and all(_is_json_container(v) for v in sample)


def _is_json_container(value: object) -> bool:
    if not isinstance(value, str):
        return False
    text = value.strip()
    if text[:1] not in ("[", "{") or text[-1:] not in ("]", "}"):
        return False
    try:
        return isinstance(json.loads(text), list | dict)
    except (ValueError, RecursionError):
        return False


def describe_columns(columns: Mapping[str, np.ndarray], limit: int = 12) -> str:
    """The columns and what each holds, for messages: ``"id (integers), tags (lists)"``."""
    parts = [f"{name} ({_holds(col)})" for name, col in list(columns.items())[:limit]]
    more = f", … ({len(columns)} in all)" if len(columns) > limit else ""
    return ", ".join(parts) + more if parts else "none"


def _holds(values: np.ndarray) -> str:
    if values.dtype.kind in "iu":
        return "integers"
    if values.dtype.kind == "f":
        return "numbers"
    if holds_json_containers(values):
        return "lists or records"
    return "categories" if column_kind(values) == "categorical" else "text"


def guess_label_column(columns: Mapping[str, np.ndarray], exclude: str | None = None) -> str | None:
    """The column that most likely holds category labels."""
    candidates = {k: v for k, v in columns.items() if k != exclude}
    by_name = _by_name(candidates, LABEL_COLUMN_NAMES, kinds="OiuU")
    if by_name is not None:
        return by_name
    for name, col in candidates.items():
        if col.dtype.kind == "O" and 2 <= len(_unique_strings(col, 51)) <= 50:
            return name
    for name, col in candidates.items():  # whole numbers of a few values: classes (a digit)
        if isinstance(col, np.ndarray) and col.dtype.kind in "iu" and len(col):
            sample = col[:: max(1, len(col) // 20_000)]
            if 2 <= len(np.unique(sample)) <= 50 and len(np.unique(sample)) < len(sample) / 2:
                return name
    return None


def _by_name(columns: Mapping[str, np.ndarray], names: tuple[str, ...], kinds: str) -> str | None:
    lowered = {k.lower(): k for k in columns}
    for wanted in names:
        key = lowered.get(wanted)
        if key is not None and columns[key].dtype.kind in kinds:
            return key
    return None


def _distinct_count(ids: np.ndarray) -> int:
    """How many distinct ids: text by hashing (a set), not numpy's unique, which sorts
    Python objects in one call holding the GIL (200,000 ids: ~60 ms, every time a corpus is
    made, on whichever thread)."""
    if ids.dtype.kind == "O":
        return len(set(ids.tolist()))
    return len(np.unique(ids))
