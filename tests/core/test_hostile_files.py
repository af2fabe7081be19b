"""Hostile and odd files (reliability report, defects 3, 11, 12, 13 and 16): a clear message
naming the file, with the numbers, and memory bounded; never a traceback."""

from __future__ import annotations

import io
import tracemalloc
import zipfile

import numpy as np
import pytest

from embexplorer.core.errors import InputError
from embexplorer.core.io import limits, read_corpus


def _fails(path, match, options=None):
    with pytest.raises(InputError, match=match) as info:
        read_corpus(path, options)
    return str(info.value)


def _npy_bytes(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.save(out, array)
    return out.getvalue()


def _npy_header(shape: tuple[int, ...], descr: str = "<f4") -> bytes:
    out = io.BytesIO()
    header = {"descr": descr, "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(out, header)
    return out.getvalue()


# -- .npz and .npy (defects 3 and 13) -----------------------------------------------------------
def test_npz_with_a_member_that_is_not_npy(tmp_path):
    # The report's reproduction: was AttributeError: 'bytes' object has no attribute 'ndim'.
    path = tmp_path / "x.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("vectors.npy", _npy_bytes(np.ones((5, 3), np.float32)))
        zf.writestr("README.txt", "hi")
    corpus = read_corpus(path)
    assert corpus.n_rows == 5 and corpus.dim == 3 and corpus.columns == {}


def test_zip_with_no_npy_member(tmp_path):
    path = tmp_path / "notes.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("README.txt", "hi")
    _fails(path, r"notes.npz holds no .npy arrays.*members: README.txt")


@pytest.mark.parametrize("name", ["work.embx", "work.npz"])
def test_a_session_file_is_not_a_corpus(tmp_path, name):
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", '{"format_version": 1}')
        zf.writestr("arrays/knn/indices.npy", _npy_bytes(np.zeros((3, 2), np.int64)))
    _fails(path, rf"{name} is an embexplorer session file.*open it in the window")


def _npz_bomb(path, rows: int) -> None:
    """Vectors of ``rows`` × 8 float32 zeros, streamed: the file is ~1000× smaller."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("label.npy", _npy_bytes(np.array(["a"] * 3)))
        with zf.open("vectors.npy", "w", force_zip64=True) as fh:
            fh.write(_npy_header((rows, 8)))
            for _ in range(rows * 32 >> 20):
                fh.write(bytes(1 << 20))


def test_npz_bomb_is_refused_by_ratio_before_inflating(tmp_path):
    path = tmp_path / "bomb.npz"
    _npz_bomb(path, rows=(80 << 20) // 32)  # 80 MiB of vectors in a ~80 kB file
    tracemalloc.start()
    try:
        _fails(path, r"bomb.npz: member 'vectors.npy' would inflate from .* to 80.0 MiB .*bomb")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20


def test_npz_member_over_the_budget_is_refused_before_inflating(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "INFLATE_FLOOR_BYTES", 4 << 20)
    path = tmp_path / "bomb.npz"
    _npz_bomb(path, rows=(8 << 20) // 32)
    tracemalloc.start()
    try:
        _fails(path, r"'vectors.npy' would inflate to 8.0 MiB .*more than the 4.0 MiB allowed")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 << 20


def test_unused_npz_members_are_not_inflated(tmp_path):
    path = tmp_path / "extra.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("vectors.npy", _npy_bytes(np.ones((5, 3), np.float32)))
        with zf.open("unused.npy", "w") as fh:  # 2-D, so never a column: only its header is read
            fh.write(_npy_header(((80 << 20) // 40, 10)))
            for _ in range(80):
                fh.write(bytes(1 << 20))
    tracemalloc.start()
    try:
        corpus = read_corpus(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert corpus.dim == 3 and peak < 4 << 20


def test_npz_column_member_with_a_lying_header(tmp_path):
    path = tmp_path / "lie.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("vectors.npy", _npy_bytes(np.ones((5, 3), np.float32)))
        zf.writestr("score.npy", _npy_header((5,), "<f8") + bytes(8))
    _fails(path, r"lie.npz: array 'score': its header declares shape \(5,\) of float64 \(40 bytes")


def test_npy_header_claiming_more_than_the_file_holds(tmp_path):
    path = tmp_path / "lie.npy"
    path.write_bytes(_npy_header((10**6, 10**5)) + bytes(100))
    tracemalloc.start()
    try:
        _fails(
            path,
            r"lie.npy: its header declares shape \(1000000, 100000\) of float32 "
            r"\(372.5 GiB, 400,000,000,000 bytes\) but only 100 bytes of data follow",
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20


def test_truncated_npy(tmp_path):
    path = tmp_path / "cut.npy"
    path.write_bytes(_npy_bytes(np.ones((100, 4), np.float32))[:-10])
    _fails(path, r"cut.npy: its header declares shape \(100, 4\) .* but only 1,590 bytes")


# -- JSON Lines (defects 13 and 16) -------------------------------------------------------------
def test_jsonl_nested_100k_deep(tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_text('{"v": [1.5]}\n{"v": [2.5], "m": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    _fails(path, r"deep.jsonl, line 2: JSON nested 100,001 levels deep; .* up to 200 levels")


def test_jsonl_5000_digit_integer(tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_text('{"v": [1.5], "n": ' + "9" * 5000 + "}\n")
    _fails(path, r"big.jsonl, line 1: an integer of 5,000 digits")


def test_jsonl_integers_beyond_int64_are_kept_as_text(tmp_path):
    path = tmp_path / "ids.jsonl"
    path.write_text('{"v": [1.5], "n": ' + "9" * 30 + '}\n{"v": [2.5], "n": 1}\n')
    assert list(read_corpus(path).columns["n"]) == ["9" * 30, "1"]


def test_jsonl_integer_too_large_for_a_vector(tmp_path):
    path = tmp_path / "v.jsonl"
    path.write_text('{"v": [1.5, 2]}\n{"v": [1.5, ' + "9" * 400 + "]}\n")
    _fails(path, r"v.jsonl, line 2: an integer of 400 digits in the vector column 'v'")


def test_booleans_inside_jsonl_vectors_are_refused(tmp_path):
    # Were read as 1.0 / 0.0 without a word (CSV refuses `true`).
    path = tmp_path / "b.jsonl"
    path.write_text('{"v": [0.5, 1.0]}\n{"v": [0.5, 0.25]}\n{"v": [true, 0.25]}\n')
    _fails(path, r"b.jsonl, line 3: true \(a boolean\) in the vector column 'v' is not a number")


# -- CSV (defects 11, 12 and 16) ----------------------------------------------------------------
def test_csv_text_cell_over_1_mb(tmp_path):
    # The report's reproduction: was pyarrow's "straddling object straddles two block
    # boundaries (try to increase block size?)".
    import csv

    path = tmp_path / "long.csv"
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "text", "dim_0", "dim_1"])
        for i in range(50):
            writer.writerow([i, "lorem ipsum " * 200_000 if i == 10 else f"t{i}", i, i + 1])
    corpus = read_corpus(path)
    assert len(corpus.texts[10]) == 2_400_000 and corpus.texts[11] == "t11"
    np.testing.assert_array_equal(corpus.vectors[10], [10, 11])


def test_csv_row_over_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_TABLE_ROW_BYTES", 1 << 20)
    path = tmp_path / "long.csv"
    path.write_text("id,text\n1,short\n2," + "x" * (2 << 20) + "\n")
    _fails(path, r"long.csv: a row is longer than 1.0 MiB")


def test_headerless_giant_first_line_is_not_read_whole(tmp_path, monkeypatch):
    # Was "Empty CSV file" after 3.8 GB RSS for a 200 MB line.
    monkeypatch.setattr(limits, "MAX_FIRST_LINE_BYTES", 64 << 10)
    path = tmp_path / "line.csv"
    path.write_text(",".join(["0.5"] * (1 << 21)))  # 8 MiB, no line break
    tracemalloc.start()
    try:
        _fails(path, r"line.csv: line 1 is longer than 64.0 KiB with no line break")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20  # the UTF-8 check reads 1 MiB pieces; the line is never read whole


def test_empty_header_names(tmp_path):
    # Was "the header names some columns twice: ."
    path = tmp_path / "h.csv"
    path.write_text("a,,,d\n1,2,3,4\n")
    _fails(path, r"h.csv: the header row leaves 2 columns without a name \(columns 2, 3 of 4\)")


def test_wide_csv_reads_every_column(tmp_path):
    rng = np.random.default_rng(0)
    vectors = rng.random((5, 3000)).round(4)
    path = tmp_path / "wide.csv"
    header = "id," + ",".join(f"dim_{j}" for j in range(3000))
    rows = [f"{i}," + ",".join(map(str, row)) for i, row in enumerate(vectors)]
    path.write_text("\n".join([header, *rows]) + "\n")
    corpus = read_corpus(path)
    np.testing.assert_allclose(corpus.vectors, vectors, rtol=1e-6)
    assert corpus.columns["id"].dtype.kind == "i"


def test_wide_csv_with_a_late_non_number_still_names_it(tmp_path, monkeypatch):
    from embexplorer.core.io import delimited

    monkeypatch.setattr(delimited, "_TYPE_SAMPLE_BYTES", 200)  # types judged on the 1st row
    path = tmp_path / "wide.csv"
    header = ",".join(f"dim_{j}" for j in range(1200))
    ok = ",".join(["0.5"] * 1200)
    bad = ",".join(["0.5"] * 1199 + ["oops"])
    path.write_text("\n".join([header, ok, ok, bad]) + "\n")
    _fails(path, r"wide.csv, line 4: 'oops' in column 'dim_1199' is not a number")
