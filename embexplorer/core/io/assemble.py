"""From parsed columns to a validated corpus: find the vectors, the ids, the text and labels.

Every tabular reader (CSV/TSV, Parquet, JSONL) ends here, so the rules for choosing columns and
the messages for bad vectors are the same whatever the format.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embexplorer.core.corpus import (
    Corpus,
    as_float32_vectors,
    guess_label_column,
    guess_text_column,
    nonfinite_rows,
    normalize_column,
)
from embexplorer.core.errors import InputError, NonFiniteRowsError
from embexplorer.core.io import ReadOptions
from embexplorer.core.io.encoding import file_sha256

#: Names preferred for a list-of-numbers column holding the vectors.
VECTOR_COLUMN_NAMES = ("vector", "vectors", "embedding", "embeddings", "emb", "features")
_NUMBERED = re.compile(r"^(.*?)(\d+)$")


class RowLocator:
    """Says where row ``i`` is in the file, for messages: a line of a text file or a row index."""

    def __init__(self, first_line: int | None = None, line_of_row: np.ndarray | None = None):
        self.first_line = first_line
        self.line_of_row = line_of_row

    def __call__(self, row: int) -> str:
        if self.line_of_row is not None:
            return f"line {int(self.line_of_row[row])}"
        if self.first_line is not None:
            return f"line {self.first_line + row}"
        return f"row index {row}"

    def many(self, rows: Sequence[int]) -> str:
        words = [self(int(r)) for r in rows]
        if len(words) == 1:
            return words[0]
        if all(w.startswith("line ") for w in words):
            return "lines " + ", ".join(w[5:] for w in words)
        return "row indices " + ", ".join(w[len("row index ") :] for w in words)


def numbered_column_group(names: Sequence[str]) -> list[str] | None:
    """The largest group of ≥ 2 columns named prefix + number (``dim_0``, ``dim_1``, …)."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for name in names:
        match = _NUMBERED.match(name)
        if match:
            groups.setdefault(match.group(1), []).append((int(match.group(2)), name))
    if not groups:
        return None
    best = max(groups.values(), key=len)
    return [name for _, name in sorted(best)] if len(best) >= 2 else None


def resolve_vector_request(request: str, names: Sequence[str], path: Path) -> list[str]:
    """Columns named by ``--vector-column``: one name, a comma-separated list, or a glob."""
    if request in names:
        return [request]
    if any(ch in request for ch in "*?["):
        matched = [n for n in names if fnmatch.fnmatchcase(n, request)]
        group = numbered_column_group(matched)
        matched = group if group and len(group) == len(matched) else matched
    else:
        matched = [part.strip() for part in request.split(",") if part.strip()]
    missing = [m for m in matched if m not in names]
    if not matched or missing:
        raise InputError(
            f"{path.name}: no column {', '.join(missing) or request!r} for the "
            f"vectors; columns are: {_list_names(names)}."
        )
    return matched


def _list_names(names: Sequence[str], limit: int = 12) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", … ({len(names)} in all)" if len(names) > limit else "")


def vectors_from_numeric_columns(
    columns: Mapping[str, np.ndarray], names: Sequence[str], path: Path, where: RowLocator
) -> np.ndarray:
    """Stack numeric columns into (N, D) float32; name the first cell that is not a number."""
    for name in names:
        col = columns[name]
        if col.dtype.kind not in "iuf":
            _raise_first_non_number(col, name, path, where)
    return np.ascontiguousarray(np.column_stack([columns[n] for n in names]), dtype=np.float32)


def _raise_first_non_number(col: np.ndarray, name: str, path: Path, where: RowLocator) -> None:
    for row, value in enumerate(col):
        if value is None or value == "":
            raise InputError(
                f"{path.name}, {where(row)}: column {name!r} has no value; "
                "every vector component must be a number."
            )
        try:
            float(value)
        except (TypeError, ValueError):
            raise InputError(
                f"{path.name}, {where(row)}: {value!r} in column {name!r} is not a number."
            ) from None
    raise InputError(f"{path.name}: column {name!r} is not numeric.")


def vectors_from_cells(
    cells: Sequence[Any], name: str, path: Path, where: RowLocator
) -> np.ndarray:
    """(N, D) float32 from cells that each hold a list of numbers (or its text, "[1, 2]")."""
    rows: list[Any] = []
    dim = None
    for row, cell in enumerate(cells):
        values = _cell_values(cell, name, path, where, row)
        if dim is None:
            dim = len(values)
            if dim == 0:
                raise InputError(f"{path.name}, {where(row)}: the vector in {name!r} is empty.")
        elif len(values) != dim:
            raise InputError(
                f"{path.name}, {where(row)}: the vector in {name!r} has "
                f"{len(values)} values, but earlier rows have {dim}."
            )
        rows.append(values)
    try:
        return np.ascontiguousarray(np.asarray(rows, dtype=np.float32))
    except (TypeError, ValueError):
        for row, values in enumerate(rows):
            _raise_if_not_numbers(values, name, path, where, row)
        raise


def _cell_values(cell: Any, name: str, path: Path, where: RowLocator, row: int) -> Any:
    if cell is None:
        raise InputError(f"{path.name}, {where(row)}: no vector in column {name!r}.")
    if isinstance(cell, str):
        parts = cell.strip().strip("[]()").replace(",", " ").replace(";", " ").split()
        try:
            return [float(p) for p in parts]
        except ValueError:
            bad = next(p for p in parts if not _is_number(p))
            raise InputError(
                f"{path.name}, {where(row)}: {bad!r} in the vector column {name!r} is not a number."
            ) from None
    if isinstance(cell, list | tuple | np.ndarray):
        return cell
    raise InputError(
        f"{path.name}, {where(row)}: column {name!r} holds {type(cell).__name__}, "
        "not a list of numbers."
    )


def _raise_if_not_numbers(values: Any, name: str, path: Path, where: RowLocator, row: int) -> None:
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise InputError(
                f"{path.name}, {where(row)}: {value!r} in the vector column "
                f"{name!r} is not a number."
            )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def looks_like_list_column(col: np.ndarray) -> bool:
    """Whether a string column holds lists of numbers written as text (``"[0.1, 0.2]"``)."""
    if col.dtype.kind != "O" or not len(col):
        return False
    sample = [v for v in col[:20] if v is not None]
    return bool(sample) and all(isinstance(v, str) and v.lstrip().startswith("[") for v in sample)


def finish_corpus(
    path: Path,
    columns: dict[str, Any],
    vectors: np.ndarray | None,
    options: ReadOptions,
    *,
    fmt: str,
    where: RowLocator,
    provenance: Mapping[str, Any] | None = None,
    partner: Path | None = None,
) -> Corpus:
    """Validate vectors (non-finite rows), pick ids / text / label columns, record provenance."""
    columns = {name: normalize_column(col) for name, col in columns.items()}
    n = len(vectors) if vectors is not None else len(next(iter(columns.values()), []))
    if n == 0:
        raise InputError(f"{path.name} holds no rows.")
    prov: dict[str, Any] = {
        **(provenance or {}),
        "source": str(path.resolve()),
        "format": fmt,
        "source_sha256": file_sha256(path),
    }
    if partner is not None:
        prov["metadata_source"] = str(partner.resolve())
        prov["metadata_sha256"] = file_sha256(partner)
    if vectors is not None:
        vectors = as_float32_vectors(vectors)
        bad = nonfinite_rows(vectors)
        if len(bad):
            vectors, columns = _handle_nonfinite(path, vectors, columns, bad, options, where)
            prov["dropped_nonfinite_rows"] = len(bad)
            n = len(vectors)
    text_col = _chosen(options.text_column, columns, path, "text") or guess_text_column(columns)
    label_col = _chosen(options.label_column, columns, path, "label") or guess_label_column(
        columns, exclude=text_col
    )
    return Corpus(
        ids=_ids(columns, n),
        columns=columns,
        vectors=vectors,
        text_column=text_col,
        label_column=label_col,
        provenance=prov,
    )


def _handle_nonfinite(
    path: Path,
    vectors: np.ndarray,
    columns: dict[str, np.ndarray],
    bad: np.ndarray,
    options: ReadOptions,
    where: RowLocator,
):
    if options.nonfinite != "drop":
        first = [int(r) for r in bad[:5]]
        raise NonFiniteRowsError(
            f"{path.name}: {len(bad):,} of {len(vectors):,} rows hold NaN or infinite values in "
            f"their vectors (first: {where.many(first)}). They are not loaded silently: drop "
            "those rows, or fix the file.",
            n_rows=len(bad),
            total_rows=len(vectors),
            first_rows=first,
        )
    if len(bad) == len(vectors):
        raise InputError(f"{path.name}: every row holds NaN or infinite values; nothing is left.")
    keep = np.ones(len(vectors), dtype=bool)
    keep[bad] = False
    return (np.ascontiguousarray(vectors[keep]), {name: col[keep] for name, col in columns.items()})


def _chosen(
    name: str | None, columns: Mapping[str, np.ndarray], path: Path, role: str
) -> str | None:
    if name is None:
        return None
    if name not in columns:
        raise InputError(
            f"{path.name}: there is no column {name!r} to use as the {role} "
            f"column; columns are: {_list_names(list(columns))}."
        )
    return name


def _ids(columns: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    for name, col in columns.items():
        if name.lower() == "id" and len(col) == n and len(set(col.tolist())) == n:
            return col
    return np.arange(n)
