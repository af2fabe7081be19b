"""What the fuzz tests (tests/fuzz) found in the readers, each kept as a plain regression test
built from the failing input Hypothesis reported (shrunk)."""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile

import numpy as np
import pytest

from embexplorer.core.errors import InputError
from embexplorer.core.io import read_corpus


def _npy(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.save(out, array)
    return out.getvalue()


# -- .npy headers ---------------------------------------------------------------------------------
def test_an_npy_header_length_is_checked_before_the_header_is_read(tmp_path):
    """A 72-byte file whose format-2.0 length field reads 662 MB made numpy allocate 662 MB
    before its own 10,000-byte header limit applied."""
    path = tmp_path / "h.npy"
    path.write_bytes(
        b"\x93NUMPY\x02\x00\x00\x00{'descr': '<f4', 'fortran_order': False, "
        b"'shape': (1, 1)}\n\x00\x00\x00\x00"
    )
    tracemalloc.start()
    try:
        with pytest.raises(
            InputError,
            match=r"h.npy is not a valid .npy file: its header "
            r"declares a length of 662,372,352 bytes",
        ):
            read_corpus(path)
        assert tracemalloc.get_traced_memory()[1] < 4 << 20
    finally:
        tracemalloc.stop()


def test_an_npy_header_numpy_reads_only_by_guessing_is_refused(tmp_path):
    """A line break inside a header made numpy read it through its Python 2 fallback, which
    printed a UserWarning (and, cut short, raised tokenize.TokenError)."""
    padded = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }\n" + " " * 58
    for text in (padded, padded[:-60]):
        body = text.encode("latin1") + b"\n"
        path = tmp_path / "g.npy"
        path.write_bytes(b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + body + bytes(4))
        with pytest.raises(InputError, match=r"g\.npy is not a valid \.npy file"):
            read_corpus(path)


def test_a_python2_npy_header_still_reads(tmp_path):
    """Python 2 wrote ``3L``; such files read as numpy reads them, without a warning."""
    body = b"{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }\n"
    path = tmp_path / "old.npy"
    data = np.arange(6, dtype=np.float32)
    path.write_bytes(b"\x93NUMPY\x01\x00" + len(body).to_bytes(2, "little") + body + data.tobytes())
    np.testing.assert_array_equal(read_corpus(path).vectors, data.reshape(2, 3))


@pytest.mark.parametrize("order", ["C", "F"])
def test_npy_files_of_either_order_read_without_numpy_parsing_again(tmp_path, order):
    array = np.asarray(np.arange(12, dtype=">f8").reshape(3, 4), order=order)
    path = tmp_path / "v.npy"
    np.save(path, array)
    np.testing.assert_array_equal(read_corpus(path).vectors, array.astype(np.float32))


# -- zip members ---------------------------------------------------------------------------------
def test_an_npz_with_a_broken_deflate_stream_is_refused(tmp_path):
    """A flipped byte in a compressed member raised zlib.error through read_corpus."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("vectors.npy", _npy(np.random.default_rng(0).random((50, 8), np.float32)))
    data = bytearray(out.getvalue())
    data[30 + len("vectors.npy")] ^= 0xFF  # the first byte of the DEFLATE stream
    path = tmp_path / "z.npz"
    path.write_bytes(bytes(data))
    with pytest.raises(
        InputError,
        match=r"z.npz: member 'vectors.npy' cannot be read "
        r"\(truncated or corrupt: Error -3 while decompressing",
    ):
        read_corpus(path)


def test_a_zip_member_placed_before_the_file_start_is_refused(tmp_path):
    """A member's offset that sends zipfile's seek before the file's start raised
    OSError(EINVAL): "could not be read: Invalid argument", as if the disk had failed."""
    from embexplorer.core.io.limits import read_zip_member

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("manifest.json", "{}")
    path = tmp_path / "s.embx"
    path.write_bytes(out.getvalue())
    with zipfile.ZipFile(path) as zf:
        zf.getinfo("manifest.json").header_offset = -(1 << 20)
        with pytest.raises(
            InputError,
            match=r"member 'manifest.json' cannot be read \("
            r"truncated or corrupt: \[Errno 22\]",
        ):
            read_zip_member(zf, "manifest.json", 1 << 20, "s.embx")


def test_a_session_array_of_dates_is_refused_as_not_numbers(tmp_path):
    """Any dtype numpy can store is read (as bytes) before it is judged, dates too."""
    from embexplorer.core.io.limits import read_zip_npy

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("arrays/selection.npy", _npy(np.array(["2020-01-01"], dtype="M8[D]")))
    with zipfile.ZipFile(out) as zf:
        array = read_zip_npy(zf, "arrays/selection.npy", 1 << 20, "s.embx")
    assert array.dtype.kind == "M" and array[0] == np.datetime64("2020-01-01")


# -- vectors beyond float32 ----------------------------------------------------------------------
def _write_parquet(path, values):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"vector": pa.array(values, pa.list_(pa.float64()))}), path)


@pytest.mark.parametrize(
    ("name", "write", "where", "value"),
    [
        (
            "v.npy",
            lambda p: np.save(p, np.array([[1.0, 2.0], [1e300, 1.0]])),
            "row index 1",
            "1e+300",
        ),
        (
            "v.npz",
            lambda p: np.savez(p, vectors=np.array([[3.4028235677973366e38, 1.0]])),
            "row index 0",
            "3.40282e+38",
        ),
        (
            "v.jsonl",
            lambda p: p.write_text('{"v": [1.5, 2.5]}\n{"v": [3.5e38, 1.0]}\n'),
            "line 2",
            "3.5e+38",
        ),
        (
            "v.csv",
            lambda p: p.write_text("text,dim_0,dim_1\na,1,1\nb,1,-3.5e38\n"),
            "line 3",
            "-3.5e+38",
        ),
        (
            "v.parquet",
            lambda p: _write_parquet(p, [[1.0, 2.0], [1e300, 1.0]]),
            "row index 1",
            "1e+300",
        ),
    ],
)
def test_vectors_beyond_float32_are_refused_by_name(tmp_path, name, write, where, value):
    """Float64 values over float32's 3.4e38 became infinite with a RuntimeWarning ("overflow
    encountered in cast") and were then refused as "NaN or infinite", which the file has not."""
    path = tmp_path / name
    write(path)
    with pytest.raises(InputError) as info:
        read_corpus(path)
    message = str(info.value)
    assert message.startswith(f"{name}, {where}: {value} in the vectors is beyond the range")
    assert "float32" in message and "NaN" not in message


def test_vectors_at_float32s_edge_still_load(tmp_path):
    edge = float(np.finfo(np.float32).max)
    path = tmp_path / "edge.jsonl"
    path.write_text(json.dumps({"v": [edge, -edge]}) + "\n" + json.dumps({"v": [1.0, 2.0]}) + "\n")
    np.testing.assert_array_equal(read_corpus(path).vectors[0], [edge, -edge])


# -- Parquet that decodes to far more than its size -----------------------------------------------
@pytest.fixture
def small_budget(monkeypatch):
    """Files may decode to 1 MiB (the real floor, 2 GiB, is too much for a test to reach)."""
    from embexplorer.core.io import limits

    monkeypatch.setattr(limits, "INFLATE_FLOOR_BYTES", 1 << 20)


def _parquet(path, **columns):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table(columns), path, compression="zstd")
    return path


def test_parquet_of_many_equal_numbers_is_refused_from_its_footer(tmp_path, small_budget):
    """A 228 kB file of 50 million zeros took 4.4 GB and 84 s to read (run-length encoding)."""
    path = _parquet(tmp_path / "zeros.parquet", x=np.zeros(1_000_000))
    assert path.stat().st_size < 20_000
    tracemalloc.start()
    try:
        with pytest.raises(
            InputError,
            match=r"zeros.parquet: its columns would decode to "
            r"11.4 MiB \(12,000,000 bytes\) in memory, from a file of .* KiB: "
            r"more than the 1.0 MiB allowed",
        ):
            read_corpus(path)
        assert tracemalloc.get_traced_memory()[1] < 1 << 20
    finally:
        tracemalloc.stop()


def test_parquet_of_one_long_text_repeated_is_refused_before_it_is_expanded(tmp_path, small_budget):
    """A 212 kB file of 2 million copies of one 1,000-character text took 5.9 GB (dictionary
    encoding); the texts are now read as a dictionary and measured before they expand."""
    import pyarrow as pa

    texts = pa.array(["y" * 1000]).take(pa.array(np.zeros(20_000, np.int32)))
    path = _parquet(tmp_path / "texts.parquet", text=texts)
    with pytest.raises(InputError, match=r"texts.parquet: its columns would expand to 39.2 MiB"):
        read_corpus(path)


def test_parquet_texts_read_as_dictionaries_come_back_as_texts(tmp_path):
    import pyarrow as pa

    path = _parquet(
        tmp_path / "t.parquet",
        text=pa.array(["a", "b", "a"]).dictionary_encode(),
        tags=pa.array([["x", "y"], [], ["x"]]),
        meta=pa.array([{"k": "v", "n": 1}] * 3),
        vector=pa.array([[0.5, 1.0], [1.5, 2.0], [2.5, 3.0]]),
    )
    corpus = read_corpus(path)
    assert corpus.texts.tolist() == ["a", "b", "a"] and corpus.text_column == "text"
    assert corpus.columns["tags"].tolist() == ['["x", "y"]', "[]", '["x"]']
    assert corpus.columns["meta"].tolist() == ['{"k": "v", "n": 1}'] * 3


# -- a group write killed half-way -----------------------------------------------------------------
def test_a_file_of_an_interrupted_group_write_is_refused(tmp_path):
    """analyze writes OUT.parquet + OUT.json as a group; killed between the two renames it
    left a parquet of k = 20 lists beside a summary saying k = 5, and the parquet reopened
    silently (only the Projector reader looked for the group's marker)."""
    from embexplorer.core.io.atomic import atomic_paths

    out, summary = tmp_path / "an.npy", tmp_path / "an.json"
    with atomic_paths([out, summary]) as (tmp_out, tmp_summary):
        tmp_out.write_bytes(_npy(np.ones((3, 2), np.float32)))
        tmp_summary.write_text("{}")
    assert read_corpus(out).n_rows == 3
    marker = tmp_path / ".an.npy.incomplete"  # what a kill -9 between the renames leaves
    marker.write_text(json.dumps({"files": ["an.npy", "an.json"], "started": "then"}))
    with pytest.raises(
        InputError,
        match=r"an.npy may not match an.json: writing them together "
        r"was interrupted \(then\).*delete \S*/\.an\.npy\.incomplete",
    ):
        read_corpus(out)


# -- CSV columns with no values ------------------------------------------------------------------
@pytest.mark.parametrize("cell", ["nan", "", "NA"])
def test_a_csv_column_of_only_missing_values_is_numbers(tmp_path, cell):
    """A score column holding only NaN came back as a column of None (Arrow's null type),
    which the window would take for text or categories."""
    path = tmp_path / "s.csv"
    path.write_text(f"text,label,score,dim_0,dim_1\nt,alpha,{cell},0.0,0.0\nu,beta,{cell},1,2\n")
    score = read_corpus(path).columns["score"]
    assert score.dtype == np.float64 and np.isnan(score).all()


# -- CSV with old Mac line endings -----------------------------------------------------------------
def test_a_csv_whose_lines_end_in_a_bare_cr_reads(tmp_path, monkeypatch):
    """A first line ended by a bare CR raised csv.Error ("new-line character seen in unquoted
    field") from the header check; a file of such lines longer than the first-line limit was
    refused as one endless line."""
    from embexplorer.core.io import limits

    path = tmp_path / "mac.csv"
    path.write_bytes(b"text,dim_0,dim_1\ra,1,2\rb,3,4\r")
    corpus = read_corpus(path)
    assert corpus.texts.tolist() == ["a", "b"] and corpus.vectors.tolist() == [[1, 2], [3, 4]]
    numbers = tmp_path / "numbers.csv"
    numbers.write_bytes(b"1,2\r3,4\r" * 50)
    monkeypatch.setattr(limits, "MAX_FIRST_LINE_BYTES", 64)
    assert read_corpus(numbers).vectors.shape == (100, 2)
    damaged = tmp_path / "cr.csv"  # the shrunk fuzz input
    damaged.write_bytes(
        b'\xef\xbb\xbf"text","label","score","embedding"\r\x0b"t","alpha","0.0","[0.0, 0.0]"'
    )
    assert read_corpus(damaged).n_rows == 1


# -- column names ----------------------------------------------------------------------------------
def test_a_column_named_by_a_5000_digit_number_is_a_name(tmp_path):
    """Grouping numbered columns (dim_0, dim_1, ...) converted the name's digits to an int:
    a 5,000-digit header cell raised ValueError ("Exceeds the limit (4300 digits)")."""
    path = tmp_path / "n.csv"
    path.write_text("9" * 5000 + ",dim_0,dim_1\nt,0.5,1.5\nu,2.5,3.5\n")
    corpus = read_corpus(path)
    assert corpus.vectors.tolist() == [[0.5, 1.5], [2.5, 3.5]] and "9" * 5000 in corpus.columns


# -- found by the first long run (zip versions, empty dtypes, invalid UTF-8, empty arrays) -------
def _claim_zip_version(data: bytes, version: int) -> bytes:
    """Set the 'version needed to extract' of the first central-directory entry."""
    at = data.find(b"PK\x01\x02") + 6
    return data[:at] + version.to_bytes(2, "little") + data[at + 2 :]


def test_a_zip_claiming_a_newer_zip_version_is_refused(tmp_path):
    """zipfile raises NotImplementedError ("zip file version 8.4") on opening such a file."""
    from embexplorer.core.state.session_file import load_session

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("vectors.npy", _npy(np.ones((3, 2), np.float32)))
    data = _claim_zip_version(out.getvalue(), 84)
    (tmp_path / "v.npz").write_bytes(data)
    with pytest.raises(InputError, match=r"v.npz is not a valid .npz file: zip file version 8.4"):
        read_corpus(tmp_path / "v.npz")
    (tmp_path / "s.embx").write_bytes(data)
    with pytest.raises(InputError, match=r"s.embx is not a readable session .*version 8.4"):
        load_session(tmp_path / "s.embx")


def test_an_npy_header_of_a_zero_size_dtype_cannot_claim_any_number_of_elements(tmp_path):
    """'<U0' takes no bytes, so 2**40 elements of it 'fit' in no data: numpy then raised
    ValueError ("array is too big") allocating them."""
    from embexplorer.core.io.limits import read_zip_npy

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<U0", "fortran_order": False, "shape": (2**40,)}
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("arrays/selection.npy", header.getvalue())
    with (
        zipfile.ZipFile(out) as zf,
        pytest.raises(
            InputError, match=r"declares shape \(1099511627776,\) of <U0 .* but only 0 bytes"
        ),
    ):
        read_zip_npy(zf, "arrays/selection.npy", 1 << 20, "s.embx")


def test_parquet_text_that_is_not_utf8_is_refused(tmp_path):
    """Parquet's readers do not check that text is UTF-8: converting it raised
    UnicodeDecodeError, or ArrowException ("Wrapping … failed")."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    offsets = pa.py_buffer(np.array([0, 2, 3], np.int32).tobytes())
    text = pa.Array.from_buffers(pa.string(), 2, [None, offsets, pa.py_buffer(b"t\xe5x")])
    table = pa.table({"text": text, "vector": [[0.5, 1.0], [1.5, 2.0]]})
    pq.write_table(table, tmp_path / "u.parquet")
    with pytest.raises(
        InputError,
        match=r"u.parquet: column 'text' is damaged or holds text "
        r"that is not UTF-8",
    ):
        read_corpus(tmp_path / "u.parquet")


def test_a_session_with_an_empty_stage_array_is_refused_without_a_warning(tmp_path):
    """An empty k_occurrence reached the hubness summary, which printed numpy's RuntimeWarning
    ("Mean of empty slice") before the session was refused."""
    from embexplorer.core.analysis.params import AnalysisParams
    from embexplorer.core.analysis.pipeline import analysis_task
    from embexplorer.core.state.session_file import (
        EmbeddingState,
        SessionState,
        load_session,
        save_session,
    )
    from embexplorer.core.tasks import run_task

    vectors = np.random.default_rng(0).standard_normal((20, 4)).astype(np.float32)
    result = run_task(analysis_task(vectors, AnalysisParams(k=3, quality=False), None))
    embedding = EmbeddingState("v", {"kind": "source"}, analysis=result)
    state = SessionState("/x.npy", "ab" * 32, embeddings=[embedding], active="v")
    path = save_session(tmp_path / "s.embx", state)
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members["arrays/e0/hubness/k_occurrence.npy"] = _npy(np.zeros(0, np.int64))
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(InputError, match="the array e0/hubness/k_occurrence is empty"):
        load_session(path)


# -- Parquet footers that pyarrow's accessors cannot take ------------------------------------------
def _flipped_footer_parquet(path):
    """A one-row list<float> Parquet file with one bit of its footer flipped: its definition
    level histogram then has 4 buckets where 3 are expected."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = io.BytesIO()
    pq.write_table(pa.table({"v": pa.array([[0.5, 1.5]], pa.list_(pa.float32()))}), out)
    data = bytearray(out.getvalue())
    footer = len(data) - 8 - int.from_bytes(data[-8:-4], "little")
    data[footer + 17] ^= 1
    path.write_bytes(bytes(data))
    return path


def test_a_parquet_footer_pyarrow_would_abort_on_is_refused(tmp_path):
    """The first check of a Parquet file's decoded size read its footer through
    RowGroupMetaData.column(i), whose C++ throws past Python on such a footer: the process
    aborted ("terminate called after throwing an instance of 'parquet::ParquetException'").
    Run in a child process, so that a regression fails this test rather than the run."""
    import subprocess
    import sys

    path = _flipped_footer_parquet(tmp_path / "flip.parquet")
    code = (
        "import sys\nfrom embexplorer.core.io import read_corpus\n"
        "from embexplorer.core.errors import InputError\n"
        f"try:\n    read_corpus({str(path)!r})\nexcept InputError as e:\n    print(e)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "flip.parquet is not a readable Parquet file: Definition level histogram" in done.stdout


def test_the_parquet_footer_reader_reads_what_pyarrow_reads(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from embexplorer.core.io.parquet_footer import read_footer

    table = pa.table(
        {
            "text": ["a", "bb", "ccc"],
            "v": pa.array([[0.5, 1.5], [2.5], []], pa.list_(pa.float64())),
            "code": pa.array([b"ab", b"cd", b"ef"], pa.binary(2)),
            "m": pa.array([[("k", 1)], [], [("j", 2)]], pa.map_(pa.string(), pa.int64())),
        }
    )
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=2)
    groups = read_footer(tmp_path / "t.parquet")
    metadata = pq.ParquetFile(tmp_path / "t.parquet").metadata
    assert [g.num_rows for g in groups] == [2, 1]
    for g, group in enumerate(groups):
        expected = metadata.row_group(g)
        for c, chunk in enumerate(group.chunks):
            column = expected.column(c)
            assert chunk.path == column.path_in_schema
            assert chunk.physical_type == column.physical_type
            assert chunk.num_values == column.num_values
            assert chunk.uncompressed_bytes == column.total_uncompressed_size
    assert [c.type_length for c in groups[0].chunks] == [0, 0, 2, 0, 0]


@pytest.mark.parametrize("cut", [1, 9, 40, 200])
def test_a_truncated_parquet_footer_is_refused(tmp_path, cut):
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = io.BytesIO()
    pq.write_table(pa.table({"v": [[0.5, 1.5]]}), out)
    data = out.getvalue()
    path = tmp_path / "cut.parquet"
    path.write_bytes(data[:-cut])
    with pytest.raises(InputError, match=r"cut\.parquet is not a "):
        read_corpus(path)


# -- found by the third long run -------------------------------------------------------------------
def test_a_parquet_chunk_naming_a_column_the_schema_lacks_is_refused(tmp_path):
    """The footer names each column twice (the schema, each chunk's path): a chunk path the
    schema lacks made pyarrow raise KeyError when asked to read it as a dictionary."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = io.BytesIO()
    pq.write_table(pa.table({"label": ["a", "b"], "vector": [[0.5, 1.0], [1.5, 2.0]]}), out)
    data = out.getvalue()
    footer = len(data) - 8 - int.from_bytes(data[-8:-4], "little")
    at = data.index(b"label", data.index(b"label", footer) + 1)  # the chunk's path
    path = tmp_path / "k.parquet"
    path.write_bytes(data[:at] + b"labem" + data[at + 5 :])
    with pytest.raises(
        InputError,
        match=r"k.parquet is not a readable Parquet file: its footer "
        r"names a column 'labem' that its schema does not have",
    ):
        read_corpus(path)


def test_an_npy_of_numpy_1_bytes_alias_reads_without_a_deprecation_warning(tmp_path):
    """'|a3' (numpy 1's name for bytes, 'S3') made numpy 2 raise a DeprecationWarning while
    parsing the header; it is read as 'S3'."""
    from embexplorer.core.io.limits import read_npy_header

    def npy(shape: bytes) -> bytes:
        body = b"{'descr': '|a3', 'fortran_order': False, 'shape': " + shape + b", }\n"
        return b"\x93NUMPY\x01\x00" + len(body).to_bytes(2, "little") + body + b"abcdef"

    assert read_npy_header(io.BytesIO(npy(b"(2,)")), "b.npy").dtype == np.dtype("S3")
    path = tmp_path / "b.npy"
    path.write_bytes(npy(b"(1, 2)"))
    with pytest.raises(InputError, match=r"b.npy holds \|S3 values; vectors must be numbers"):
        read_corpus(path)


def test_an_npy_shape_numpy_cannot_make_is_refused_even_when_empty(tmp_path):
    """(0, 2**62) holds no data, so it fits any file, but numpy refuses to make it
    (ValueError: "array is too big")."""
    from embexplorer.core.io.limits import read_zip_npy

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<i8", "fortran_order": False, "shape": (0, 2**62)}
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("arrays/knn/indices.npy", header.getvalue())
    with (
        zipfile.ZipFile(out) as zf,
        pytest.raises(InputError, match=r"declares an impossible shape \(0, 4611686018427387904\)"),
    ):
        read_zip_npy(zf, "arrays/knn/indices.npy", 1 << 20, "s.embx")


def _utf8_flagged(data: bytes, signature: bytes, flags_at: int, name_at: int) -> bytes:
    """Flag the first entry after ``signature`` as UTF-8-named and put an invalid byte in
    its name (0xCC starts a 2-byte sequence; 'b' cannot continue it)."""
    at = data.index(signature)
    flags = int.from_bytes(data[at + flags_at : at + flags_at + 2], "little") | 0x800
    out = bytearray(data)
    out[at + flags_at : at + flags_at + 2] = flags.to_bytes(2, "little")
    out[at + name_at] = 0xCC
    return bytes(out)


def test_zip_names_flagged_utf8_that_are_not_are_refused(tmp_path):
    """zipfile raised UnicodeDecodeError: from the local header when a member was opened
    (found by the fourth long run, in a session), and from the directory on opening."""
    from embexplorer.core.io.limits import read_zip_member
    from embexplorer.core.state.session_file import load_session

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("ab.json", "{}")
    local = _utf8_flagged(out.getvalue(), b"PK\x03\x04", 6, 30)
    with (
        zipfile.ZipFile(io.BytesIO(local)) as zf,
        pytest.raises(
            InputError,
            match=r"s.embx: member 'ab.json' cannot be read \(truncated or corrupt: "
            r"'utf-8' codec",
        ),
    ):
        read_zip_member(zf, "ab.json", 1 << 20, "s.embx")
    (tmp_path / "d.embx").write_bytes(_utf8_flagged(out.getvalue(), b"PK\x01\x02", 8, 46))
    with pytest.raises(
        InputError,
        match=r"d.embx is not a readable session \(the file is "
        r"truncated or corrupt: 'utf-8' codec",
    ):
        load_session(tmp_path / "d.embx")


def test_an_npz_text_column_beyond_unicode_is_refused(tmp_path):
    """numpy stores any 32-bit number in a '<U' array: one over U+10FFFF raised SystemError
    ("invalid maximum character passed to PyUnicode_New") when the column was looked at
    (found by the fifth long run)."""
    label = np.array(["ab", "cd"])
    label.view(np.uint32)[3] = 0x110000
    path = tmp_path / "t.npz"
    np.savez(path, vectors=np.ones((2, 3), np.float32), label=label)
    with pytest.raises(
        InputError,
        match=r"t.npz: column 'label', row index 1: holds a "
        r"character code \(0x110000\) beyond Unicode's last",
    ):
        read_corpus(path)


# -- found by the sixth long run -------------------------------------------------------------------
def test_an_id_column_with_missing_values_is_not_taken_as_ids(tmp_path):
    """Two NaN ids passed the reader's check (NaN != NaN) and then failed the corpus's, with
    "Row ids must be unique." naming no file. Such a column is kept as a column; rows are
    numbered, as for repeated ids."""
    path = tmp_path / "t.tsv"
    lines = ["text\tdim_0\tdim_1\tid"] + [f"t\t0.5\t{i}\t{i}.0" for i in range(5)]
    path.write_text("\n".join([*lines, "t\t0.5\t7\tnan", "t\t0.5\t8\tnan"]) + "\n")
    corpus = read_corpus(path)
    np.testing.assert_array_equal(corpus.ids, np.arange(7))
    assert np.isnan(corpus.columns["id"][5:]).all()


def test_a_row_saying_block_size_is_not_taken_for_a_row_longer_than_a_block(tmp_path):
    """pyarrow's error for a row of the wrong width quotes the row; a row holding the words
    "block size" made the reader grow its blocks to 256 MiB (269 MB for a 388-byte file) and
    then call the row too long."""
    path = tmp_path / "t.csv"
    path.write_text("[[[[\n" + '"t","block size"\n')
    with pytest.raises(InputError, match=r"t.csv, line 2: expected 1 fields .* found 2"):
        read_corpus(path)
