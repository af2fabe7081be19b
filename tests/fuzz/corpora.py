"""Valid files of every format, written from known data, so that a read can be checked.

A :class:`Table` is what a file should read back as (vectors, texts, a numeric column,
labels); :func:`tables` makes odd-but-valid ones (unicode and control characters in texts,
float32 extremes and subnormals in the vectors, NaN and huge values in a metadata column, one
row, one dimension). Each ``write_*`` function writes a table in one format, with the
format's own variations drawn by Hypothesis (line endings, a byte-order mark, quoting, list
types, row groups, dtypes and byte orders), using the format's own library rather than
embexplorer's writers, so a reader's bug cannot be hidden by a matching writer's.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

#: Text cells start with a letter, so no reader may take them for numbers or missing values.
TEXT_PREFIX = "t"
LABELS = ("alpha", "beta", "γάμμα", "🙂 smile", "a,b", 'say "hi"')


@dataclass(frozen=True)
class Table:
    vectors: np.ndarray  # (N, D) float32, finite
    texts: list[str]
    scores: list[float]
    labels: list[str]

    @property
    def n(self) -> int:
        return len(self.vectors)


def _texts(n: int, plain: bool) -> st.SearchStrategy[list[str]]:
    """Texts of any unicode (control characters, quotes, separators and line breaks
    included), or, when ``plain``, without tab and line breaks (what the Projector's
    metadata, split on tabs and lines, can hold)."""
    exclude = "\t\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029" if plain else ""
    chars = st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters=exclude)
    return st.lists(
        st.text(chars, max_size=12).map(lambda s: TEXT_PREFIX + s), min_size=n, max_size=n
    )


@st.composite
def tables(draw, max_rows: int = 12, max_dim: int = 6, min_dim: int = 1, plain: bool = False):
    n = draw(st.integers(1, max_rows))
    d = draw(st.integers(min_dim, max_dim))
    finite32 = st.floats(width=32, allow_nan=False, allow_infinity=False)
    vectors = draw(hnp.arrays(np.float32, (n, d), elements=finite32))
    scores = draw(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=n, max_size=n))
    labels = draw(st.lists(st.sampled_from(LABELS), min_size=n, max_size=n))
    return Table(vectors, draw(_texts(n, plain)), scores, labels)


# -- CSV and TSV ----------------------------------------------------------------------------------
@st.composite
def delimited_files(draw, sep: str = ",", table: Table | None = None) -> tuple[bytes, Table]:
    """A CSV/TSV with a header: text, label, score and ``dim_0…`` (or one ``embedding``
    column of JSON lists), columns in any order, any quoting and line ending."""
    table = table or draw(tables(min_dim=2))
    as_list = draw(st.booleans())
    vector_cols = ["embedding"] if as_list else [f"dim_{j}" for j in range(table.vectors.shape[1])]
    names = draw(st.permutations(["text", "label", "score", *vector_cols]))
    quote_all = draw(st.booleans())
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [_csv_row(names, sep, quote_all)]
    for i in range(table.n):
        cells = {
            "text": table.texts[i],
            "label": table.labels[i],
            "score": repr(table.scores[i]),
            "embedding": json.dumps([float(x) for x in table.vectors[i]]),
            **{f"dim_{j}": repr(float(x)) for j, x in enumerate(table.vectors[i])},
        }
        lines.append(_csv_row([cells[name] for name in names], sep, quote_all))
    text = newline.join(lines) + newline
    if not draw(st.booleans()):
        text = text.removesuffix(newline)
    bom = b"\xef\xbb\xbf" if draw(st.booleans()) else b""
    return bom + text.encode("utf-8"), table


def _csv_row(cells: list[str], sep: str, quote_all: bool) -> str:
    """One row as RFC 4180 writes it: a cell holding the separator, a quote or a line break
    (CR or LF: Python's csv module leaves a lone CR unquoted) is quoted, quotes doubled."""
    special = (sep, '"', "\r", "\n")
    return sep.join(
        '"' + c.replace('"', '""') + '"' if quote_all or any(ch in c for ch in special) else c
        for c in cells
    )


def projector_files(table: Table, multi_column: bool) -> dict[str, bytes]:
    vectors = "".join("\t".join(repr(float(x)) for x in row) + "\n" for row in table.vectors)
    if multi_column:
        pairs = zip(table.texts, table.labels, strict=True)
        rows = ["text\tlabel"] + [f"{text}\t{label}" for text, label in pairs]
    else:
        rows = list(table.texts)
    return {
        "vectors.tsv": vectors.encode("utf-8"),
        "metadata.tsv": ("\n".join(rows) + "\n").encode("utf-8"),
    }


# -- JSON Lines -----------------------------------------------------------------------------------
@st.composite
def jsonl_files(draw, table: Table | None = None) -> tuple[bytes, Table]:
    table = table or draw(tables())
    ascii_only = draw(st.booleans())
    blank = draw(st.sampled_from(["", "\n", "   \n"]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    lines = []
    for i in range(table.n):
        record = {
            "text": table.texts[i],
            "label": table.labels[i],
            "score": table.scores[i],
            "embedding": [float(x) for x in table.vectors[i]],
        }
        keys = draw(st.permutations(list(record)))
        lines.append(json.dumps({k: record[k] for k in keys}, ensure_ascii=ascii_only))
    text = (newline + blank).join(lines) + newline
    bom = b"\xef\xbb\xbf" if draw(st.booleans()) else b""
    return bom + text.encode("utf-8"), table


# -- Parquet --------------------------------------------------------------------------------------
@st.composite
def parquet_files(draw, table: Table | None = None) -> tuple[bytes, Table]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = table or draw(tables(min_dim=2))
    v = table.vectors
    layout = draw(st.sampled_from(["fixed", "list", "large_list", "list64", "columns"]))
    columns = {
        "text": pa.array(table.texts, type=draw(st.sampled_from([pa.string(), pa.large_string()]))),
        "label": pa.array(table.labels).dictionary_encode()
        if draw(st.booleans())
        else pa.array(table.labels),
        "score": pa.array(table.scores, type=pa.float64()),
    }
    if layout == "fixed":
        flat = pa.array(v.reshape(-1))
        columns["embedding"] = pa.FixedSizeListArray.from_arrays(flat, v.shape[1])
    elif layout == "columns":
        columns.update({f"dim_{j}": pa.array(v[:, j]) for j in range(v.shape[1])})
    else:
        kind = {"list": pa.list_(pa.float32()), "large_list": pa.large_list(pa.float32())}
        value_type = kind.get(layout, pa.list_(pa.float64()))
        columns["embedding"] = pa.array([list(map(float, row)) for row in v], type=value_type)
    names = draw(st.permutations(list(columns)))
    arrow = pa.table({name: columns[name] for name in names})
    out = io.BytesIO()
    pq.write_table(
        arrow,
        out,
        row_group_size=draw(st.integers(1, max(1, table.n))),
        compression=draw(st.sampled_from(["none", "snappy", "zstd", "gzip"])),
        use_dictionary=draw(st.booleans()),
    )
    return out.getvalue(), table


# -- NumPy ----------------------------------------------------------------------------------------
_NPY_DTYPES = ["<f4", ">f4", "<f8", ">f8", "<f2", "<i1", "<i4", ">i8", "<u2", "<u8"]


@st.composite
def npy_arrays(draw, max_rows: int = 12, max_dim: int = 6) -> np.ndarray:
    """A 2-D array of any numeric dtype and byte order (values anywhere in that dtype's
    range, so float64 values beyond float32's range are among them), C or Fortran order."""
    dtype = np.dtype(draw(st.sampled_from(_NPY_DTYPES)))
    shape = (draw(st.integers(1, max_rows)), draw(st.integers(1, max_dim)))
    elements = (
        st.floats(width=8 * dtype.itemsize, allow_nan=False, allow_infinity=False)
        if dtype.kind == "f"
        else None
    )
    array = draw(hnp.arrays(dtype, shape, elements=elements))
    return np.asfortranarray(array) if draw(st.booleans()) else array


def npy_bytes(array: np.ndarray, version: tuple[int, int] | None = None) -> bytes:
    out = io.BytesIO()
    np.lib.format.write_array(out, array, version=version, allow_pickle=False)
    return out.getvalue()


@st.composite
def npy_files(draw) -> tuple[bytes, np.ndarray]:
    array = draw(npy_arrays())
    version = draw(st.sampled_from([None, (1, 0), (2, 0), (3, 0)]))
    return npy_bytes(array, version), array


@st.composite
def npz_files(draw) -> tuple[bytes, np.ndarray, str]:
    """An .npz of vectors (under any of the usual names) and 1-D columns of as many rows."""
    vectors = draw(npy_arrays())
    key = draw(st.sampled_from(["vectors", "embeddings", "X", "arr_0"]))
    n = len(vectors)
    members = {key: vectors}
    if draw(st.booleans()):
        members["label"] = np.array(draw(st.lists(st.sampled_from(LABELS), min_size=n, max_size=n)))
    if draw(st.booleans()):
        members["score"] = draw(hnp.arrays(np.float64, n))
    compression = draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as zf:
        for name, array in members.items():
            entry = zipfile.ZipInfo(f"{name}.npy", date_time=(2024, 1, 1, 0, 0, 0))
            zf.writestr(entry, npy_bytes(array), compress_type=compression)
    return out.getvalue(), vectors, key


def expected_vectors(array: np.ndarray) -> np.ndarray | None:
    """``array`` as the float32 vectors a reader must return; ``None`` when a value is beyond
    float32's range (the reader must then refuse the file, naming the row)."""
    with np.errstate(over="ignore"):
        out = np.ascontiguousarray(array, dtype=np.float32)
    return out if np.isfinite(out).all() else None
