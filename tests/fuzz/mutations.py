"""Ways to damage a valid file: blind byte edits, and edits that know the format.

Byte edits (:func:`mutated_bytes`) flip bits, truncate, cut, repeat and insert tokens that
mean something to some parser (quotes, separators, brackets, ``NaN``, ``1e999``, a BOM, a NUL).
They mostly test the outer checks; the format-aware edits reach further in: a CSV cell or
header edited (:func:`edited_table`), a JSON value swapped for another type
(:func:`edited_jsonl`, :func:`hostile_json`), an ``.npy`` header that lies
(:func:`edited_npy_header`), and zip members dropped, renamed, repeated, replaced, lying about
their size or inflating like a bomb (:func:`edited_zip`).
"""

from __future__ import annotations

import csv
import decimal
import io
import json
import struct
import warnings
import zipfile
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


class Blob(bytes):
    """Bytes that a strategy takes as an argument: shown by their size, since Hypothesis
    shows a strategy with its arguments (and warns when that is long)."""

    def __repr__(self) -> str:
        return f"<{len(self):,} bytes>"


#: Byte strings that mean something to at least one of the parsers.
TOKENS = [
    b'"',
    b",",
    b"\t",
    b"\n",
    b"\r",
    b"\r\n",
    b"\x00",
    b"\xff",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"[",
    b"]",
    b"{",
    b"}",
    b":",
    b"\\",
    b"NaN",
    b"nan",
    b"Infinity",
    b"-inf",
    b"1e999",
    b"3.5e38",
    b"-",
    b"true",
    b"null",
    b"9" * 60,
    "…ü".encode(),
    b"[" * 300,
    b"PK\x03\x04",
    b"\x93NUMPY",
    b"PAR1",
]


@st.composite
def mutated_bytes(draw, data: bytes, max_edits: int = 3) -> bytes:
    """``data`` with 1 to ``max_edits`` blind edits."""
    for _ in range(draw(st.integers(1, max_edits))):
        size = len(data)
        at = draw(st.integers(0, max(size, 1) * 4)) % (size + 1)
        kind = draw(st.sampled_from(["flip", "truncate", "cut", "repeat", "insert", "replace"]))
        if kind == "flip" and size:
            at = min(at, size - 1)
            data = data[:at] + bytes([data[at] ^ (1 << draw(st.integers(0, 7)))]) + data[at + 1 :]
        elif kind == "truncate":
            data = data[:at]
        elif kind == "cut":
            data = data[:at] + data[at + draw(st.integers(1, 64)) :]
        elif kind == "repeat":
            data = data[:at] + data[at : at + draw(st.integers(1, 64))] + data[at:]
        else:
            token = draw(st.sampled_from(TOKENS) | st.binary(min_size=1, max_size=8))
            end = at + (len(token) if kind == "replace" else 0)
            data = data[:at] + token + data[end:]
    return data


# -- text tables ----------------------------------------------------------------------------------
#: Cell values that are valid text but odd, or hostile, for a reader.
HOSTILE_CELLS = [
    "",
    " ",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e999",
    "3.5e38",
    "-3.5e38",
    "1e-50",
    "0x10",
    "1_000",
    "١٢",
    "true",
    "NULL",
    "[1, 2]",
    "[[1, 2]]",
    '["1", "2"]',
    "[1e999]",
    "[nan, 1]",
    "[]",
    "9" * 5000,
    " 1 ",
    "1,5",
    '"',
    "\x00",
]
cell_values = st.one_of(
    st.sampled_from(HOSTILE_CELLS),
    st.text(max_size=8),
    st.floats().map(repr),
    st.integers().map(str),
)


@st.composite
def edited_table(draw, data: bytes, sep: str) -> bytes:
    """A delimited file with cells, header names, rows or columns edited."""
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    for _ in range(draw(st.integers(1, 3))):
        if not rows:
            break
        r = draw(st.integers(0, len(rows) - 1))
        row = rows[r]
        c = draw(st.integers(0, len(row))) if row else 0
        kind = draw(st.sampled_from(["cell", "cell", "header", "drop cell", "add cell", "rows"]))
        if kind == "cell" and c < len(row):
            row[c] = draw(cell_values)
        elif kind == "header" and rows[0]:
            c = min(c, len(rows[0]) - 1)
            rows[0][c] = draw(st.sampled_from(["", " ", "text", "dim_0", "id", "vector", "🙂"]))
        elif kind == "drop cell" and c < len(row):
            del row[c]
        elif kind == "add cell":
            row.insert(c, draw(cell_values))
        else:
            action = draw(st.sampled_from(["drop", "repeat", "empty"]))
            if action == "drop":
                del rows[r]
            elif action == "repeat":
                rows.insert(r, list(row))
            else:
                rows[r] = []
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_NONE]))
    try:
        text = _csv_text(rows, sep, quoting)
    except csv.Error:  # QUOTE_NONE cannot write a record of one empty field
        text = _csv_text(rows, sep, csv.QUOTE_MINIMAL)
    return text.encode("utf-8", errors="surrogatepass")


def _csv_text(rows: list[list[str]], sep: str, quoting: int) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=sep, quoting=quoting, escapechar="\\").writerows(rows)
    return out.getvalue()


# -- JSON -----------------------------------------------------------------------------------------
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**18, max_value=10**40),
    st.floats(),  # NaN and ±Infinity too: json.dumps writes them and json.loads reads them
    st.text(max_size=10),
    st.sampled_from(["1.5", "[1, 2]", "", "nan", "/dev/zero", "/", ".", "\x00"]),
)
hostile_json = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)


def json_text(value: Any) -> str:
    return json.dumps(value, allow_nan=True)


#: Raw JSON texts that ``json.dumps`` never writes: deep nesting, huge integers, broken text.
raw_json = st.one_of(
    st.integers(1, 400).map(lambda n: "[" * n + "]" * n),
    st.integers(1, 400).map(lambda n: '{"a":' * n + "1" + "}" * n),
    st.integers(1, 6000).map(lambda n: "1" * n),
    st.integers(1, 400).map(lambda n: "1." + "5" * n + "e" + "9" * (n % 7)),
    st.sampled_from(["", "{", "}", "[1,]", "{'a': 1}", "\ufeff{}", "NaN", "-", "1e999"]),
)


@st.composite
def edited_jsonl(draw, data: bytes) -> bytes:
    """A JSON Lines file with one to three values, fields or lines swapped for others."""
    lines = data.decode("utf-8-sig").splitlines()
    for _ in range(draw(st.integers(1, 3))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        try:
            record = json.loads(lines[i])
        except ValueError:
            record = None
        kind = draw(st.sampled_from(["value", "value", "item", "delete", "line", "raw"]))
        if isinstance(record, dict) and record and kind in ("value", "item", "delete"):
            key = draw(st.sampled_from(sorted(record)))
            if kind == "delete":
                del record[key]
            elif kind == "item" and isinstance(record[key], list) and record[key]:
                j = draw(st.integers(0, len(record[key]) - 1))
                record[key][j] = draw(hostile_json)
            else:
                record[key] = draw(hostile_json)
            lines[i] = json_text(record)
        elif kind == "line":
            lines[i] = json_text(draw(hostile_json))
        elif isinstance(record, dict) and record:
            key = json.dumps(draw(st.sampled_from(sorted(record))))
            lines[i] = "{" + key + ": " + draw(raw_json) + "}"
    return ("\n".join(lines) + "\n").encode("utf-8", errors="surrogatepass")


# -- .npy headers ---------------------------------------------------------------------------------
_DESCRS = [
    "<f4",
    ">f8",
    "<f2",
    "<i8",
    "|b1",
    "<c8",
    "|O",
    "<U3",
    "|V8",
    "<M8[s]",
    "<f16",
    "garbage",
    [("a", "<f4")],
]
_DIMS = st.one_of(st.integers(-2, 40), st.sampled_from([2**31, 2**40, 10**12, 2**63 - 1, 2**64]))


@st.composite
def edited_npy_header(draw, data: bytes) -> bytes:
    """An ``.npy`` whose header is rewritten (shape, dtype, order or its raw text) over the
    same data: a header that lies about what follows it."""
    fmt, fh = np.lib.format, io.BytesIO(data)
    try:
        version = fmt.read_magic(fh)
        reader = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # numpy's fallback for odd headers warns
            shape, fortran_order, dtype = reader(fh)
    except Exception:
        return data
    offset = fh.tell()
    fields = {"descr": fmt.dtype_to_descr(dtype), "fortran_order": fortran_order, "shape": shape}
    kind = draw(st.sampled_from(["shape", "descr", "order", "raw", "length"]))
    if kind == "shape":
        fields["shape"] = tuple(draw(st.lists(_DIMS, max_size=4)))
    elif kind == "descr":
        fields["descr"] = draw(st.sampled_from(_DESCRS))
    elif kind == "order":
        fields["fortran_order"] = draw(st.sampled_from([True, False, 1, "x", None]))
    text = repr(fields)
    if kind == "raw":
        text = draw(
            st.sampled_from(
                [
                    "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}",
                    "{'descr': '<f4', 'fortran_order': False}",
                    "{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3]}",
                    "{'descr': '<f4', 'fortran_order': False, 'shape': (2.5, 3)}",
                    "{'descr': __import__('os').getcwd(), 'fortran_order': False, 'shape': (1,)}",
                    "[1, 2, 3]",
                    "{" * 500,
                    "",
                ]
            )
        )
    body = text.encode("latin1", errors="replace") + b"\n"
    magic = data[:8]
    if kind == "length":
        declared = draw(st.sampled_from([0, 1, 65535, len(body) + 7]))
        return magic + struct.pack("<H", declared) + body + data[offset:]
    width = "<H" if magic[6:7] == b"\x01" else "<I"
    return magic + struct.pack(width, len(body)) + body + data[offset:]


# -- zip archives (.npz and sessions) -------------------------------------------------------------
def fixed_date(name: str) -> zipfile.ZipInfo:
    """A member's entry dated 2024-01-01 rather than now, so that archives are reproducible."""
    return zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))


def zip_members(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(info.filename, zf.read(info)) for info in zf.infolist()]


def write_zip(members: list[tuple[str, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """An archive of ``members``, byte for byte the same on every run (fixed dates)."""
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name": a hostile archive may repeat one
        with zipfile.ZipFile(out, "w", compression) as zf:
            for name, data in members:
                zf.writestr(fixed_date(name), data, compress_type=compression)
    return out.getvalue()


def _lie_about_size(data: bytes, index: int, size: int) -> bytes:
    """Set the uncompressed size the central directory declares for member ``index``."""
    start = -1
    for _ in range(index + 1):
        start = data.find(b"PK\x01\x02", start + 1)
        if start < 0:
            return data
    return data[: start + 24] + struct.pack("<I", size % 2**32) + data[start + 28 :]


@st.composite
def edited_zip(draw, data: bytes, array_names: list[str], npy_edit=None) -> bytes:
    """A zip archive with members dropped, renamed, repeated, added, replaced by another
    array or an edited ``.npy``, made to inflate like a bomb, or lying about their size."""
    members = zip_members(data)
    lie = None
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, max(len(members) - 1, 0)))
        kind = draw(
            st.sampled_from(
                ["drop", "rename", "repeat", "add", "array", "npy", "bomb", "lie", "bytes"]
            )
        )
        if not members:
            kind = "add"
        name, payload = members[i] if members else ("", b"")
        if kind == "drop":
            del members[i]
        elif kind == "rename":
            new = draw(st.sampled_from([*array_names, "../x.npy", "/abs.npy", "a\\b.npy", "x"]))
            members[i] = (new, payload)
        elif kind == "repeat":
            members.insert(i, members[i])
        elif kind == "add":
            extra = draw(st.sampled_from([*array_names, "README.txt", "dir/"]))
            members.append((extra, draw(st.sampled_from([b"hi", b"", *(p for _, p in members)]))))
        elif kind == "array":
            members[i] = (name, _npy(draw(any_arrays)))
        elif kind == "npy" and npy_edit is not None:
            members[i] = (name, draw(npy_edit(Blob(payload))))
        elif kind == "bomb":
            members[i] = (name, payload[:128] + bytes(draw(st.sampled_from([2 << 20, 9 << 20]))))
        elif kind == "lie":
            lie = (i, draw(st.sampled_from([0, 1, 2**31, 2**32 - 1])))
        else:
            members[i] = (name, draw(mutated_bytes(Blob(payload))))
    compression = draw(st.sampled_from([zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED]))
    out = write_zip(members, compression)
    return _lie_about_size(out, *lie) if lie else out


def _npy(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.save(out, array, allow_pickle=False)
    return out.getvalue()


#: Arrays of any simple dtype and shape, to stand in for a member that should hold another.
any_arrays = hnp.arrays(
    st.one_of(
        hnp.integer_dtypes(),
        hnp.unsigned_integer_dtypes(),
        hnp.floating_dtypes(),
        hnp.boolean_dtypes(),
        hnp.unicode_string_dtypes(max_len=3),
        hnp.complex_number_dtypes(),
        hnp.datetime64_dtypes(),
    ),
    hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=60),
)


# -- Parquet columns of other types ---------------------------------------------------------------
def _retyped_columns(table) -> dict[str, Any]:
    """The vectors (and texts) of ``table`` stored in the types a file may wrongly use."""
    import pyarrow as pa

    v = table.vectors
    rows = [list(map(float, row)) for row in v]
    n = len(rows)
    half = [row[: max(1, len(row) // 2)] if i % 2 else row for i, row in enumerate(rows)]
    return {
        "strings": pa.array([[str(x) for x in row] for row in rows]),
        "words": pa.array([["a"] * len(row) for row in rows]),
        "nested": pa.array([[row] for row in rows]),
        "struct": pa.array([{"x": row[0], "y": row[-1]} for row in rows]),
        "ints": pa.array([[int(x) % 100 for x in row] for row in rows]),
        "bools": pa.array([[x > 0 for x in row] for row in rows]),
        "halves": pa.array([np.clip(row, -6e4, 6e4).astype(np.float16) for row in rows]),
        "ragged": pa.array(half),
        "null row": pa.array([None, *rows[1:]], pa.list_(pa.float64())),
        "null item": pa.array([[None, *rows[0][1:]], *rows[1:]], pa.list_(pa.float64())),
        "empty": pa.array([[] for _ in rows], pa.list_(pa.float32())),
        "text lists": pa.array([json.dumps(row) for row in rows]),
        "binary": pa.array([np.asarray(row, np.float32).tobytes() for row in rows]),
        "dictionary": pa.array([str(row) for row in rows]).dictionary_encode(),
        "timestamps": pa.array(list(range(n)), pa.timestamp("s")),
        "decimals": pa.array([decimal.Decimal(i).scaleb(-3) for i in range(n)]),
        "all null": pa.nulls(n),
        "map": pa.array([[("k", row[0])] for row in rows], pa.map_(pa.string(), pa.float64())),
    }


@st.composite
def retyped_parquet(draw, table) -> bytes:
    """A Parquet file whose vectors (and maybe texts) are stored in another type, under a
    name that says vectors or not, maybe beside a text column."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    choices = _retyped_columns(table)
    columns = {}
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(sorted(choices)))
        name = draw(st.sampled_from(["embedding", "vector", "neighbors", "text", "x", "dim_0"]))
        columns[name] = choices[kind]
    if draw(st.booleans()):
        columns.setdefault("text", pa.array(table.texts))
    out = io.BytesIO()
    pq.write_table(pa.table(columns), out)
    return out.getvalue()


# -- Parquet that decodes to far more than its size --------------------------------------------
@st.composite
def parquet_bombs(draw) -> bytes:
    """A small Parquet file of many equal values (numbers, vectors or one long text): run-length
    and dictionary encoding store them in a few kB, however many rows they fill."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = draw(st.sampled_from([1 << 16, 1 << 18, 1 << 20]))
    kind = draw(st.sampled_from(["number", "vector", "text", "texts in lists"]))
    zeros = pa.array(np.zeros(rows, dtype=np.int32))
    if kind == "number":
        column = pa.array(np.zeros(rows))
    elif kind == "vector":
        flat = pa.array(np.zeros(rows * 8, dtype=np.float32))
        column = pa.FixedSizeListArray.from_arrays(flat, 8)
    elif kind == "text":
        column = pa.array(["x" * draw(st.sampled_from([10, 1000]))]).take(zeros)
    else:
        column = pa.array([["x" * 200] * 4]).take(zeros)
    out = io.BytesIO()
    pq.write_table(
        pa.table({"text" if kind == "text" else "embedding": column}),
        out,
        compression=draw(st.sampled_from(["zstd", "none"])),
    )
    return out.getvalue()
