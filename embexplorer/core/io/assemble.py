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
#: List columns an analysis writes (neighbour row numbers and distances, see
#: ``core/state/export_frame.py``): never taken as the vectors unless the user names them.
NEIGHBOR_LIST_COLUMNS = ("neighbors", "neighbor_distances", "reduced_neighbors", "distances")
#: The exact types a vector component may have in a parsed list; ``bool`` (a subclass of
#: ``int``) is not one of them, so ``true`` inside a vector is refused, as CSV refuses it.
_NUMBER_TYPES = frozenset({float, int})
# At most 18 digits of number: more would exceed Python's limit on converting text to int
# (a header cell of 5,000 digits did); the digits before them count as the prefix.
_NUMBERED = re.compile(r"^(.*?)(\d{1,18})$")
# What only a float written as text has: a decimal point, an exponent, nan or inf.
_FLOAT_MARK = re.compile(r"[.eE]|nan|inf", re.IGNORECASE)


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


def is_vector_name(name: str) -> bool:
    """Whether ``name`` is one of :data:`VECTOR_COLUMN_NAMES` (any case)."""
    return name.lower() in VECTOR_COLUMN_NAMES


def pick_float_list_column(names: Sequence[str]) -> str | None:
    """Of the columns holding lists of floats, the one to take as the vectors unasked: one
    named like vectors, else the first; never a neighbour list an analysis wrote."""
    usable = [n for n in names if n.lower() not in NEIGHBOR_LIST_COLUMNS]
    preferred = [n for n in usable if is_vector_name(n)]
    return (preferred or usable or [None])[0]


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
    known = set(names)
    missing = [m for m in matched if m not in known]
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
    """Stack numeric columns into (N, D) numbers (:func:`finish_corpus` makes them float32);
    name the first cell that is not a number."""
    for name in names:
        col = columns[name]
        if col.dtype.kind not in "iuf":
            _raise_first_non_number(col, name, path, where)
    return np.column_stack([columns[n] for n in names])


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
    """(N, D) float64 from cells that each hold a list of numbers (or its text, "[1, 2]");
    :func:`finish_corpus` makes them float32."""
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
        if isinstance(values, list | tuple) and not _NUMBER_TYPES.issuperset(map(type, values)):
            _raise_if_not_numbers(values, name, path, where, row)
        rows.append(values)
    try:
        return np.asarray(rows, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        for row, values in enumerate(rows):
            _raise_if_not_numbers(values, name, path, where, row)
        raise


def _cell_values(cell: Any, name: str, path: Path, where: RowLocator, row: int) -> Any:
    if cell is None:
        raise InputError(f"{path.name}, {where(row)}: no vector in column {name!r}.")
    if isinstance(cell, str):
        parts = _list_tokens(cell)
        try:
            return [float(p) for p in parts]
        except ValueError:
            bad = next(p for p in parts if not is_number(p))
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
        if isinstance(value, bool | np.bool_):
            raise InputError(
                f"{path.name}, {where(row)}: {str(value).lower()} (a boolean) in the vector "
                f"column {name!r} is not a number."
            )
        if not isinstance(value, int | float | np.number):
            raise InputError(
                f"{path.name}, {where(row)}: {value!r} in the vector column "
                f"{name!r} is not a number."
            )
        try:
            float(value)
        except OverflowError:
            raise InputError(
                f"{path.name}, {where(row)}: an integer of {len(str(abs(value))):,} digits in "
                f"the vector column {name!r} is too large for a vector component."
            ) from None


def is_number(text: str) -> bool:
    """Whether ``text`` reads as a float (``"1e-3"``, ``" 2 "``, ``"nan"``)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def text_list_kind(col: np.ndarray) -> str | None:
    """``"float"`` or ``"int"`` when a string column holds lists of numbers written as text
    (``"[0.5, 1e-3]"``; ``"[12, 7]"``, e.g. neighbour row numbers), else ``None``.

    Judged on the first 20 cells: mostly numbers, and any float among them, make ``"float"``
    (a stray word is then named by the vector check, with its line); a list of words
    (``'["news", "sport"]'``) or of lists is neither.
    """
    if col.dtype.kind != "O" or not len(col):
        return None
    sample = [v for v in col[:20] if v is not None]
    if not sample or not all(isinstance(v, str) and v.lstrip().startswith("[") for v in sample):
        return None
    tokens = [token for v in sample for token in _list_tokens(v)]
    numbers = [t for t in tokens if is_number(t)]
    if not numbers or 2 * len(numbers) < len(tokens) or any("[" in t for t in tokens):
        return None
    if any(_FLOAT_MARK.search(t) for t in numbers):
        return "float"
    return "int" if len(numbers) == len(tokens) else None


def _list_tokens(text: str) -> list[str]:
    return text.strip().strip("[]()").replace(",", " ").replace(";", " ").split()


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
    unusable_vectors: Mapping[str, str] | None = None,
    hash_source: bool = True,
) -> Corpus:
    """Validate vectors (non-finite rows), pick ids / text / label columns, record provenance.

    ``unusable_vectors`` names the columns that look like vectors but were not taken (lists of
    numbers written as text, nested lists, integer lists…), each with why and what to do. When
    no vectors were found, they are refused rather than silently passed over for a text
    column, unless the user chose the text column (see :func:`_refuse_unusable_vectors`).
    ``hash_source=False`` leaves out the file's SHA-256 (a part of a big file, read alone).
    """
    columns = {name: normalize_column(col) for name, col in columns.items()}
    n = len(vectors) if vectors is not None else len(next(iter(columns.values()), []))
    if n == 0:
        raise InputError(f"{path.name} holds no rows.")
    prov: dict[str, Any] = {
        **(provenance or {}),
        "source": str(path.resolve()),
        "format": fmt,
    }
    if hash_source:
        prov["source_sha256"] = file_sha256(path)
    if partner is not None:
        prov["metadata_source"] = str(partner.resolve())
        prov["metadata_sha256"] = file_sha256(partner)
    if vectors is not None:
        vectors = _float32_vectors(vectors, path, where)
        bad = nonfinite_rows(vectors)
        if len(bad):
            vectors, columns = _handle_nonfinite(path, vectors, columns, bad, options, where)
            prov["dropped_nonfinite_rows"] = len(bad)
            n = len(vectors)
    text_col = _chosen(options.text_column, columns, path, "text") or guess_text_column(columns)
    if vectors is None:
        _refuse_unusable_vectors(path, unusable_vectors or {}, text_col, options)
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


def _float32_vectors(vectors: np.ndarray, path: Path, where: RowLocator) -> np.ndarray:
    """``vectors`` as C-contiguous float32 (the type every stage works in).

    A finite value beyond float32's range (about ±3.4e38, in float64 data) would silently
    become infinite, and then be refused as "infinite" though the file holds none: it is
    refused as what it is, naming its rows.
    """
    with np.errstate(over="ignore"):
        narrowed = as_float32_vectors(vectors)
    if narrowed is vectors or vectors.dtype.kind != "f" or vectors.dtype.itemsize <= 4:
        return narrowed
    rows = nonfinite_rows(narrowed)
    overflowed = np.isinf(narrowed[rows]) & np.isfinite(np.asarray(vectors[rows]))
    in_row = overflowed.any(axis=1)
    if not in_row.any():
        return narrowed
    rows, overflowed = rows[in_row], overflowed[in_row]
    first = [int(r) for r in rows[:5]]
    value = float(np.asarray(vectors[rows[0]])[overflowed[0]][0])
    raise InputError(
        f"{path.name}, {where.many(first)}: {value:g} in the vectors is beyond the range of "
        f"float32 (±{float(np.finfo(np.float32).max):.4g}), the type embexplorer keeps "
        f"vectors in; {len(rows):,} of {len(vectors):,} rows hold such values. Scale the "
        "vectors down (e.g. normalise them) before loading."
    )


def _refuse_unusable_vectors(
    path: Path, unusable: Mapping[str, str], text_col: str | None, options: ReadOptions
) -> None:
    """Refuse a file whose vectors are there in a form that cannot be taken unasked.

    It is refused when a column named like vectors is among ``unusable``, or when there is
    no text column either; a file with texts and, say, a column of nested lists loads as a
    text corpus. Choosing the text column (or the vector column) says what the user wants.
    """
    if not unusable or options.text_column is not None or options.vector_column is not None:
        return
    if text_col is not None and not any(is_vector_name(name) for name in unusable):
        return
    reasons = " ".join(f"Column {name!r} {why}." for name, why in unusable.items())
    instead = (
        f" To embed the texts in {text_col!r} instead, name that column (--text-column)."
        if text_col is not None
        else ""
    )
    raise InputError(
        f"{path.name}: no column holds the vectors as one list of floats per row. "
        f"{reasons}{instead}"
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
    """The ``id`` column when every row has one and no two are equal, else the row numbers."""
    for name, col in columns.items():
        if name.lower() == "id" and len(col) == n and _distinct(col):
            return col
    return np.arange(n)


def _distinct(col: np.ndarray) -> bool:
    """No value missing (None or NaN: two NaNs count as equal ids, as ``Corpus`` counts them)
    and no two equal."""
    values = col.tolist()
    if any(v is None or v != v for v in values):
        return False
    return len(set(values)) == len(values)
