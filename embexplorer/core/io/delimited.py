"""CSV and TSV readers, and the TensorFlow Embedding Projector's ``vectors.tsv`` +
``metadata.tsv`` pair (opening either file finds its partner in the same folder)."""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from embexplorer.core.corpus import Corpus
from embexplorer.core.errors import InputError
from embexplorer.core.io import ReadOptions, limits
from embexplorer.core.io.assemble import (
    RowLocator,
    finish_corpus,
    is_number,
    is_vector_name,
    numbered_column_group,
    pick_float_list_column,
    resolve_vector_request,
    text_list_kind,
    vectors_from_cells,
    vectors_from_numeric_columns,
)
from embexplorer.core.io.atomic import check_written_together
from embexplorer.core.io.encoding import check_utf8

#: pyarrow's own default block size; a row longer than a block makes the block grow.
_FIRST_BLOCK_BYTES = 1 << 20
_BLOCK_GROWTH = 16
#: How pyarrow's error for a row longer than a block begins.
_STRADDLING = "straddling object straddles two block boundaries"
#: Tables wider than this are given the types of their numeric columns, judged on their
#: first rows: pyarrow's own inference costs about 0.1 ms a column (a 5-row CSV of 100,000
#: columns: 5-10 s to infer, under 1 s typed).
_WIDE_TABLE_COLUMNS = 1000
#: How much of a wide table's start those types are judged on.
_TYPE_SAMPLE_BYTES = 8 << 20
_INTEGER = re.compile(r"\s*[-+]?\d+\s*")

#: (vectors stem suffix, metadata stem suffix) pairs the Projector's exports use.
_PAIR_SUFFIXES = (("vectors", "metadata"), ("vecs", "meta"), ("tensors", "metadata"))


def read_csv(path: Path, options: ReadOptions) -> Corpus:
    return _read_table_file(path, options, ",", fmt="csv")


def read_tsv(path: Path, options: ReadOptions) -> Corpus:
    pair = projector_pair(path)
    if pair is not None:
        return read_projector_pair(pair[0], pair[1], options)
    return _read_table_file(path, options, "\t", fmt="tsv")


def projector_pair(path: Path) -> tuple[Path, Path | None] | None:
    """``(vectors.tsv, metadata.tsv or None)`` if ``path`` is either half of a Projector pair."""
    stem, folder = path.stem, path.parent
    for vec_suffix, meta_suffix in _PAIR_SUFFIXES:
        if stem.lower().endswith(vec_suffix) and _is_headerless_numeric(path, "\t"):
            partner = folder / f"{stem[: len(stem) - len(vec_suffix)]}{meta_suffix}{path.suffix}"
            return path, (partner if partner.is_file() else None)
        if stem.lower().endswith(meta_suffix):
            partner = folder / f"{stem[: len(stem) - len(meta_suffix)]}{vec_suffix}{path.suffix}"
            if partner.is_file() and _is_headerless_numeric(partner, "\t"):
                return partner, path
    return None


def _first_line(path: Path) -> str:
    """The first line that is not blank (ended by LF, CRLF or a bare CR), read in pieces and
    never past :data:`~.limits.MAX_FIRST_LINE_BYTES` (a file with no line break is not read
    whole)."""
    limit = limits.MAX_FIRST_LINE_BYTES
    with open(path, "rb") as fh:
        number = 0
        while True:
            line = fh.readline(limit + 1)
            number += 1
            if b"\r" in line.rstrip(b"\r\n"):  # old Mac files end their lines with a bare CR
                line = line[: line.index(b"\r")]
            if len(line) > limit:
                raise InputError(
                    f"{path.name}: line {number} is longer than {limits.human_size(limit)} "
                    "with no line break. The first line of a table is its header or a row of "
                    "numbers; one this long means the file is not a CSV/TSV table (or is "
                    "damaged)."
                )
            if not line or line.strip():
                text = line.decode("utf-8", errors="replace").removeprefix("\ufeff")
                return text.rstrip("\r\n")


def _is_headerless_numeric(path: Path, sep: str) -> bool:
    # newline="": a line that ends in a bare CR (old Mac files) is a record's end, as in pyarrow
    rows = csv.reader(io.StringIO(_first_line(path), newline=""), delimiter=sep)
    try:
        fields = next(rows, [])
    except csv.Error:  # e.g. a NUL byte: not a row of numbers
        return False
    if not fields:
        return False
    try:
        [float(f) for f in fields]
    except ValueError:
        return False
    return True


def _read_table_file(path: Path, options: ReadOptions, sep: str, *, fmt: str) -> Corpus:
    check_utf8(path)
    headerless = _is_headerless_numeric(path, sep)
    columns = read_delimited_columns(path, sep, headerless=headerless)
    where = RowLocator(first_line=1 if headerless else 2)
    names = list(columns)
    if headerless:
        vectors = vectors_from_numeric_columns(columns, names, path, where)
        columns = {}
    else:
        vector_names = _choose_vector_columns(columns, options.vector_column, path)
        vectors = _vectors(columns, vector_names, path, where) if vector_names else None
        taken = set(vector_names or ())
        columns = {k: v for k, v in columns.items() if k not in taken}
    return finish_corpus(
        path,
        columns,
        vectors,
        options,
        fmt=fmt,
        where=where,
        provenance={"delimiter": sep, "header": not headerless},
        unusable_vectors=_unusable_vectors(columns) if vectors is None else None,
    )


def read_delimited_columns(path: Path, sep: str, *, headerless: bool) -> dict[str, np.ndarray]:
    """Parse with pyarrow (fast); on a malformed row, report its line number."""
    table = _parse_table(path, sep, headerless)
    if table.num_rows == 0:
        raise InputError(f"{path.name} has a header row but no data rows.")
    names = [f"{i}" for i in range(table.num_columns)] if headerless else table.column_names
    if not headerless:
        _check_header_names(names, path)
    counts = Counter(names)
    if len(counts) != len(names):
        dupes = sorted(n for n, count in counts.items() if count > 1)
        raise InputError(f"{path.name}: the header names some columns twice: {', '.join(dupes)}.")
    return {name: _column_values(col) for name, col in zip(names, table.columns, strict=True)}


def _column_values(column: Any) -> np.ndarray:
    """A parsed column as numpy. A column with no values at all (every cell empty, ``nan``
    or ``NA``) has no type in Arrow; it is numbers that are all missing, as a column that
    also held one number would be, rather than a column of ``None`` taken for text."""
    import pyarrow as pa

    if pa.types.is_null(column.type):
        return np.full(len(column), np.nan)
    return column.to_numpy(zero_copy_only=False)


def _check_header_names(names: list[str], path: Path) -> None:
    """Every column needs a name: an empty one cannot be chosen or told apart."""
    empty = [i + 1 for i, name in enumerate(names) if not name.strip()]
    if not empty:
        return
    which = ", ".join(str(i) for i in empty[:10]) + (", …" if len(empty) > 10 else "")
    plural = "s" if len(empty) > 1 else ""
    raise InputError(
        f"{path.name}: the header row leaves {len(empty)} column{plural} without a name "
        f"(column{plural} {which} of {len(names)}). Name every column in the first line "
        "(from pandas: save with index=False, or give the index a name)."
    )


def _parse_table(path: Path, sep: str, headerless: bool) -> Any:
    """The pyarrow table, the block size growing while a row straddles two blocks."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    block = _FIRST_BLOCK_BYTES
    types = _wide_table_types(path, sep, headerless)
    while True:
        try:
            return pacsv.read_csv(
                path,
                read_options=_read_options(headerless, block),
                parse_options=pacsv.ParseOptions(delimiter=sep),
                convert_options=pacsv.ConvertOptions(column_types=types or {}),
            )
        except pa.ArrowInvalid as exc:
            if types and "conversion error" in str(exc).lower():
                types = None  # a later row holds what the first rows did not: infer it all
                continue
            if not str(exc).startswith(_STRADDLING):  # (a row's text may say "block size")
                raise _located_parse_error(path, sep, headerless, block, exc) from exc
            if block >= limits.MAX_TABLE_ROW_BYTES:
                raise InputError(
                    f"{path.name}: a row is longer than "
                    f"{limits.human_size(limits.MAX_TABLE_ROW_BYTES)}, the most embexplorer "
                    "reads in one row (no encoder reads more than a few thousand characters of "
                    "a text). Is a quote left open?"
                ) from exc
            block = min(block * _BLOCK_GROWTH, limits.MAX_TABLE_ROW_BYTES)


def _wide_table_types(path: Path, sep: str, headerless: bool) -> dict[str, Any] | None:
    """For a table wider than :data:`_WIDE_TABLE_COLUMNS`, ``int64`` or ``float64`` for each
    column whose values in the first rows (at most :data:`_TYPE_SAMPLE_BYTES`) are all
    integers or all numbers; ``None`` for a narrower table, or when the first rows cannot be
    read apart. A later value that does not fit makes the caller infer every type."""
    import pyarrow as pa

    first = _first_line(path)
    if first.count(sep) < _WIDE_TABLE_COLUMNS:
        return None
    with open(path, "rb") as fh:
        head = fh.read(_TYPE_SAMPLE_BYTES)
    lines = head.decode("utf-8-sig", errors="replace").splitlines()[:-1]
    try:
        rows = list(csv.reader(lines, delimiter=sep))
    except csv.Error:
        return None
    rows = [row for row in rows if row]
    names = [f"f{i}" for i in range(len(rows[0]))] if headerless and rows else None
    if not headerless:
        names, rows = (rows[0], rows[1:]) if rows else (None, [])
    if not names or not rows or any(len(row) != len(names) for row in rows):
        return None
    types = {}
    for i, name in enumerate(names):
        values = [row[i] for row in rows]
        if all(_INTEGER.fullmatch(v) for v in values):
            types[name] = pa.int64()
        elif all(is_number(v) for v in values):
            types[name] = pa.float64()
    return types


def _read_options(headerless: bool, block_size: int, use_threads: bool = True) -> Any:
    import pyarrow.csv as pacsv

    return pacsv.ReadOptions(
        autogenerate_column_names=headerless, block_size=block_size, use_threads=use_threads
    )


def _located_parse_error(
    path: Path, sep: str, headerless: bool, block_size: int, exc: Exception
) -> InputError:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    bad: list = []

    def remember(row):
        bad.append(row)
        return "error"

    # Single-threaded, pyarrow knows each row's line number.
    with contextlib.suppress(pa.ArrowInvalid):
        pacsv.read_csv(
            path,
            read_options=_read_options(headerless, block_size, use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=sep, invalid_row_handler=remember),
        )
    if bad:
        row = bad[0]
        line = f"line {row.number}" if row.number is not None else "a line"
        return InputError(
            f"{path.name}, {line}: expected {row.expected_columns} fields "
            f"(as in the first line) but found {row.actual_columns}: "
            f"{row.text[:80]!r}."
        )
    return InputError(f"{path.name} could not be parsed: {exc}")


def _choose_vector_columns(
    columns: dict[str, np.ndarray], request: str | None, path: Path
) -> list[str] | None:
    names = list(columns)
    if request is not None:
        return resolve_vector_request(request, names, path)
    # A column of float lists named like vectors, else numbered numeric columns (dim_0, dim_1,
    # …), else any column of float lists: an export's "neighbors" (integers) and
    # "neighbor_distances" are never taken for its vectors.
    float_lists = [n for n in names if text_list_kind(columns[n]) == "float"]
    preferred = [n for n in float_lists if is_vector_name(n)]
    if preferred:
        return [preferred[0]]
    group = numbered_column_group(names)
    if group and sum(columns[n].dtype.kind in "iuf" for n in group) * 2 >= len(group):
        return group
    chosen = pick_float_list_column(float_lists)
    return [chosen] if chosen is not None else None


def _unusable_vectors(columns: dict[str, np.ndarray]) -> dict[str, str]:
    """Columns named like vectors that hold lists of integers: taken only when named."""
    return {
        name: (
            "holds lists of integers; integer lists are taken as the vectors only when named "
            f"(--vector-column {name})"
        )
        for name, col in columns.items()
        if is_vector_name(name) and text_list_kind(col) == "int"
    }


def _vectors(
    columns: dict[str, np.ndarray], names: list[str], path: Path, where: RowLocator
) -> np.ndarray:
    if len(names) == 1 and columns[names[0]].dtype.kind == "O":
        return vectors_from_cells(columns[names[0]], names[0], path, where)
    return vectors_from_numeric_columns(columns, names, path, where)


def read_projector_pair(
    vectors_path: Path, metadata_path: Path | None, options: ReadOptions
) -> Corpus:
    """The Projector's format: headerless tab-separated vectors, and metadata that has a header
    row only when it has more than one column."""
    check_written_together([vectors_path, metadata_path])  # not a half-replaced export
    check_utf8(vectors_path)
    raw = read_delimited_columns(vectors_path, "\t", headerless=True)
    vectors = vectors_from_numeric_columns(raw, list(raw), vectors_path, RowLocator(1))
    columns: dict[str, np.ndarray] = {}
    if metadata_path is not None:
        columns = read_projector_metadata(metadata_path)
        n_meta = len(next(iter(columns.values())))
        if n_meta != len(vectors):
            header = " plus a header row" if len(columns) > 1 else ""
            raise InputError(
                f"{metadata_path.name} has {n_meta:,} rows{header} but {vectors_path.name} has "
                f"{len(vectors):,}; every vector needs one metadata row. (The Projector's "
                "metadata has a header row only when it has more than one column.)"
            )
    return finish_corpus(
        vectors_path,
        columns,
        vectors,
        options,
        fmt="projector-tsv",
        where=RowLocator(1),
        partner=metadata_path,
    )


def read_projector_metadata(path: Path) -> dict[str, np.ndarray]:
    encoding = check_utf8(path)
    lines = path.read_text(encoding=encoding).split("\n")
    lines = [line.rstrip("\r") for line in lines]
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise InputError(f"{path.name} is empty.")
    if "\t" not in lines[0]:  # one column: no header
        return {"label": _infer_column(lines)}
    header = lines[0].split("\t")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if len(fields) != len(header):
            raise InputError(
                f"{path.name}, line {number}: expected {len(header)} fields (as in "
                f"the header) but found {len(fields)}."
            )
        rows.append(fields)
    if not rows:
        raise InputError(f"{path.name} has a header row but no data rows.")
    return {name: _infer_column([r[i] for r in rows]) for i, name in enumerate(header)}


def _infer_column(values: list[str]) -> np.ndarray:
    """Numbers when every non-empty value is one (empty cells are missing: NaN), else the
    strings as they are."""
    if any(v != "" for v in values):
        try:
            return np.array([np.nan if v == "" else v for v in values], dtype=np.float64)
        except ValueError:
            pass
    return np.array(values, dtype=object)
