"""CSV and TSV readers, and the TensorFlow Embedding Projector's ``vectors.tsv`` +
``metadata.tsv`` pair (opening either file finds its partner in the same folder)."""

from __future__ import annotations

import contextlib
import csv
import io
from pathlib import Path

import numpy as np

from embexplorer.core.corpus import Corpus
from embexplorer.core.errors import InputError
from embexplorer.core.io import ReadOptions
from embexplorer.core.io.assemble import (
    VECTOR_COLUMN_NAMES,
    RowLocator,
    finish_corpus,
    looks_like_list_column,
    numbered_column_group,
    resolve_vector_request,
    vectors_from_cells,
    vectors_from_numeric_columns,
)
from embexplorer.core.io.atomic import check_written_together
from embexplorer.core.io.encoding import check_utf8

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
            return path, (partner if partner.exists() else None)
        if stem.lower().endswith(meta_suffix):
            partner = folder / f"{stem[: len(stem) - len(meta_suffix)]}{vec_suffix}{path.suffix}"
            if partner.exists() and _is_headerless_numeric(partner, "\t"):
                return partner, path
    return None


def _first_line(path: Path) -> str:
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        for line in fh:
            if line.strip():
                return line.rstrip("\r\n")
    return ""


def _is_headerless_numeric(path: Path, sep: str) -> bool:
    fields = next(csv.reader(io.StringIO(_first_line(path)), delimiter=sep), [])
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
        columns = {k: v for k, v in columns.items() if k not in (vector_names or ())}
    return finish_corpus(
        path,
        columns,
        vectors,
        options,
        fmt=fmt,
        where=where,
        provenance={"delimiter": sep, "header": not headerless},
    )


def read_delimited_columns(path: Path, sep: str, *, headerless: bool) -> dict[str, np.ndarray]:
    """Parse with pyarrow (fast); on a malformed row, report its line number."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    read_opts = pacsv.ReadOptions(autogenerate_column_names=headerless)
    parse_opts = pacsv.ParseOptions(delimiter=sep)
    try:
        table = pacsv.read_csv(path, read_options=read_opts, parse_options=parse_opts)
    except pa.ArrowInvalid as exc:
        raise _located_parse_error(path, sep, headerless, exc) from exc
    if table.num_rows == 0:
        raise InputError(f"{path.name} has a header row but no data rows.")
    names = [f"{i}" for i in range(table.num_columns)] if headerless else table.column_names
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise InputError(f"{path.name}: the header names some columns twice: {', '.join(dupes)}.")
    return {
        name: col.to_numpy(zero_copy_only=False)
        for name, col in zip(names, table.columns, strict=True)
    }


def _located_parse_error(path: Path, sep: str, headerless: bool, exc: Exception) -> InputError:
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
            read_options=pacsv.ReadOptions(use_threads=False, autogenerate_column_names=headerless),
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
    # A list column named like vectors, else numbered numeric columns (dim_0, dim_1, …), else
    # any list column: an export's "neighbors" list must not be taken for its vectors.
    list_columns = [n for n in names if looks_like_list_column(columns[n])]
    preferred = [n for n in list_columns if n.lower() in VECTOR_COLUMN_NAMES]
    if preferred:
        return [preferred[0]]
    group = numbered_column_group(names)
    if group and sum(columns[n].dtype.kind in "iuf" for n in group) * 2 >= len(group):
        return group
    return [list_columns[0]] if list_columns else None


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
