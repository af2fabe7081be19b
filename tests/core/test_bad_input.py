"""Bad input: a clear, specific message, and nothing loaded half-way."""

from __future__ import annotations

import re

import numpy as np
import pytest

from embexplorer.core.errors import InputError, NonFiniteRowsError
from embexplorer.core.io import ReadOptions, read_corpus
from tests.files import write_projector_pair


def _fails(path, match, options=None):
    with pytest.raises(InputError, match=match) as info:
        read_corpus(path, options)
    assert path.name in str(info.value) or "no such file" in str(info.value)
    return info.value


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    _fails(path, "empty")


def test_header_only(tmp_path):
    path = tmp_path / "head.csv"
    path.write_text("a,b,c\n")
    _fails(path, "no data rows")


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_corpus(tmp_path / "nope.csv")


@pytest.mark.parametrize("sep,suffix", [(",", ".csv"), ("\t", ".tsv")])
def test_ragged_rows_name_the_line(tmp_path, sep, suffix):
    path = tmp_path / f"ragged{suffix}"
    rows = ["a", "b", "c"], ["1", "2", "3"], ["4", "5", "6"], ["7", "8"], ["9", "10", "11"]
    path.write_text("\n".join(sep.join(r) for r in rows) + "\n")
    _fails(path, r"line 4: expected 3 fields .* found 2")


def test_ragged_projector_vectors_name_the_line(tmp_path, small_corpus_data):
    vec, _ = write_projector_pair(tmp_path, small_corpus_data)
    lines = vec.read_text().splitlines()
    lines[6] = "\t".join(lines[6].split("\t")[:-1])
    vec.write_text("\n".join(lines) + "\n")
    _fails(vec, r"line 7: expected 8 fields")


def test_ragged_list_vectors(tmp_path):
    path = tmp_path / "v.jsonl"
    path.write_text('{"v": [1.5, 2]}\n{"v": [3, 4]}\n\n{"v": [5]}\n')
    _fails(path, r"line 4: the vector in 'v' has 1 values, but earlier rows have 2")


def test_ragged_parquet_lists(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "r.parquet"
    pq.write_table(pa.table({"emb": pa.array([[1.0, 2.0], [1.0]])}), path)
    _fails(path, r"row index 1: the vector in 'emb' has 1 values")


def test_non_numeric_vector_value_in_csv(tmp_path):
    path = tmp_path / "nn.csv"
    path.write_text("t,d0,d1\na,1,2\nb,3,oops\n")
    _fails(path, r"line 3: 'oops' in column 'd1' is not a number")


def test_non_numeric_vector_value_headerless(tmp_path, small_corpus_data):
    vec, _ = write_projector_pair(tmp_path, small_corpus_data)
    lines = vec.read_text().splitlines()
    fields = lines[9].split("\t")
    fields[2] = "abc"
    lines[9] = "\t".join(fields)
    vec.write_text("\n".join(lines) + "\n")
    _fails(vec, r"line 10: 'abc' in column '2' is not a number")


def test_non_numeric_in_list_column(tmp_path):
    path = tmp_path / "nl.csv"
    path.write_text('t,vec\na,"[1.5, 2]"\nb,"[3, x]"\n')
    _fails(path, r"line 3: 'x' in the vector column 'vec' is not a number")


def test_non_numeric_in_jsonl_list(tmp_path):
    path = tmp_path / "nl.jsonl"
    path.write_text('{"v": [1.5, 2]}\n{"v": [3, "x"]}\n')
    _fails(path, r"line 2: 'x' in the vector column 'v' is not a number")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nonfinite_rows_are_refused_with_a_count(tmp_path, bad):
    vectors = np.ones((10, 3), dtype=np.float32)
    vectors[[2, 7], 1] = bad
    path = tmp_path / "nan.npy"
    np.save(path, vectors)
    error = _fails(path, r"2 of 10 rows hold NaN or infinite values .*row indices 2, 7")
    assert isinstance(error, NonFiniteRowsError) and error.n_rows == 2


def test_nonfinite_rows_dropped_only_when_asked(tmp_path):
    path = tmp_path / "nan.csv"
    path.write_text("name,d0,d1\na,1,2\nb,nan,3\nc,5,6\n")
    _fails(path, r"1 of 3 rows .*line 3")
    corpus = read_corpus(path, ReadOptions(nonfinite="drop"))
    assert list(corpus.columns["name"]) == ["a", "c"]
    np.testing.assert_array_equal(corpus.vectors, [[1, 2], [5, 6]])
    assert corpus.provenance["dropped_nonfinite_rows"] == 1


def test_metadata_rows_differ_from_vector_rows(tmp_path, small_corpus_data):
    _, meta = write_projector_pair(tmp_path, small_corpus_data)
    lines = meta.read_text().splitlines()
    meta.write_text("\n".join(lines[:-2]) + "\n")
    with pytest.raises(
        InputError,
        match=r"metadata.tsv has 28 rows plus a header row but "
        r"vectors.tsv has 30",
    ):
        read_corpus(tmp_path / "vectors.tsv")


def test_npz_metadata_length_mismatch(tmp_path):
    path = tmp_path / "m.npz"
    np.savez(path, vectors=np.ones((4, 2)), label=np.array(["a", "b", "c"]))
    _fails(path, r"column 'label' has 3 rows but the vectors 'vectors' have 4")


def test_undecodable_text_names_the_line(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("name,d0\nok,1\ncafé,2\n".encode("latin-1"))
    error = _fails(path, r"not valid UTF-8 \(also tried UTF-8 with BOM\): byte 0xE9 on line 3")
    assert "Latin-1" in str(error)


def test_utf16_is_named(tmp_path):
    path = tmp_path / "u16.csv"
    path.write_bytes("name,d0\na,1\n".encode("utf-16"))
    _fails(path, "UTF-16")


def test_object_npy_is_refused_without_unpickling(tmp_path):
    path = tmp_path / "obj.npy"
    np.save(path, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    error = _fails(path, "holds Python objects")
    assert "never unpickles" in str(error)


def test_object_array_in_npz_is_refused(tmp_path):
    path = tmp_path / "obj.npz"
    np.savez(path, vectors=np.ones((2, 2)), meta=np.array([{"a": 1}, None], dtype=object))
    _fails(path, r"array 'meta' holds Python objects")


def test_one_dimensional_npy(tmp_path):
    path = tmp_path / "flat.npy"
    np.save(path, np.ones(5))
    _fails(path, r"shape \(5,\); vectors must be a 2-D array")


def test_corrupt_npy(tmp_path):
    path = tmp_path / "bad.npy"
    path.write_bytes(b"\x93NUMPY garbage")
    _fails(path, "not a valid .npy file")


def test_corrupt_parquet(tmp_path):
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    _fails(path, "not a readable Parquet file")


def test_invalid_json_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"a": 1}\n{"a": \n')
    _fails(path, r"line 2: not valid JSON")


def test_unknown_column_override(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("name,d0,d1\na,1,2\n")
    _fails(path, r"no column 'nope' to use as the text column", ReadOptions(text_column="nope"))
    _fails(path, r"no column 'zz' for the vectors", ReadOptions(vector_column="zz"))


def test_unknown_format(tmp_path):
    path = tmp_path / "data.xyz"
    path.write_bytes(b"\x00\x01\x02")
    with pytest.raises(InputError, match=re.escape("cannot tell the file's format")):
        read_corpus(path)
