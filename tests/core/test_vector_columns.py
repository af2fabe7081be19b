"""Which column holds the vectors (reliability report defect 7, issue 9 item 7): never a list
of integers unasked (an analysis's ``neighbors``), never lists of number strings, nested lists
or records embedded as text; when no vectors are found, the columns that look like them are
named with what to do."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from embexplorer.core.corpus import describe_columns, guess_text_column
from embexplorer.core.errors import InputError
from embexplorer.core.io import ReadOptions, read_corpus

VECTORS = np.random.default_rng(1).standard_normal((40, 8)).astype(np.float32)


def _fails(path, match, options=None):
    with pytest.raises(InputError, match=match) as info:
        read_corpus(path, options)
    return str(info.value)


@pytest.fixture
def vec_as_strings(tmp_path):
    """The report's reproduction: 8-dim vectors stored as list<string>, in a column "vector"."""
    path = tmp_path / "vec_as_strings.parquet"
    pq.write_table(pa.table({"vector": pa.array([[str(x) for x in r] for r in VECTORS])}), path)
    return path


def test_numbers_as_strings_are_named_not_embedded(vec_as_strings):
    # Was: "vector" taken as the text column, and 384-dim embeddings of number strings.
    _fails(
        vec_as_strings,
        r"vec_as_strings.parquet: no column holds the vectors as one list of floats per row. "
        r"Column 'vector' holds lists of numbers written as text \(list<string>\); to read "
        r"them as the vectors, name the column \(--vector-column vector\)",
    )


def test_numbers_as_strings_are_read_when_named(vec_as_strings):
    corpus = read_corpus(vec_as_strings, ReadOptions(vector_column="vector"))
    np.testing.assert_array_equal(corpus.vectors, VECTORS)


def test_named_string_lists_that_are_not_numbers(tmp_path):
    path = tmp_path / "s.parquet"
    pq.write_table(pa.table({"vector": [["0.5", "x"], ["1", "2"]]}), path)
    _fails(
        path,
        r"row index 0: 'x' in the vector column 'vector' is not a number",
        ReadOptions(vector_column="vector"),
    )


def test_string_vectors_next_to_texts_are_not_passed_over(tmp_path):
    path = tmp_path / "t.parquet"
    table = pa.table(
        {
            "text": [f"a sentence about rivers, number {i}" for i in range(40)],
            "embedding": pa.array([[str(x) for x in r] for r in VECTORS]),
        }
    )
    pq.write_table(table, path)
    message = _fails(path, r"Column 'embedding' holds lists of numbers written as text")
    assert "To embed the texts in 'text' instead, name that column (--text-column)" in message
    corpus = read_corpus(path, ReadOptions(text_column="text"))
    assert corpus.vectors is None and corpus.text_column == "text"


def test_nested_lists_are_named(tmp_path):
    path = tmp_path / "n.parquet"
    nested = pa.array([[[float(x) for x in r[:4]], [float(x) for x in r[4:]]] for r in VECTORS])
    pq.write_table(pa.table({"vector": nested}), path)
    _fails(path, r"Column 'vector' holds nested lists \(list<list<double>>\), not one list")
    _fails(
        path,
        r"column 'vector' holds list<list<double>>, not one list of numbers per row",
        ReadOptions(vector_column="vector"),
    )


def test_records_are_named(tmp_path):
    path = tmp_path / "r.parquet"
    records = [{"a": float(r[0]), "b": float(r[1])} for r in VECTORS]
    pq.write_table(pa.table({"features": records}), path)
    _fails(path, r"Column 'features' holds records \(struct<a: double, b: double>\)")


def test_lists_and_records_are_never_the_text(tmp_path):
    path = tmp_path / "m.parquet"
    n = len(VECTORS)
    table = pa.table(
        {
            "title": [{"en": f"a long title in English, number {i}", "id": i} for i in range(n)],
            "tags": [[f"a rather long tag {i}", "another long tag"] for i in range(n)],
            "embedding": pa.FixedSizeListArray.from_arrays(pa.array(VECTORS.ravel()), 8),
        }
    )
    pq.write_table(table, path)
    corpus = read_corpus(path)
    assert corpus.dim == 8 and corpus.text_column is None
    assert json.loads(corpus.columns["tags"][0]) == ["a rather long tag 0", "another long tag"]


def test_guess_text_column_skips_json_dumps():
    columns = {
        "text": np.array(['["a", "list"]', '{"a": 1}'], dtype=object),
        "note": np.array(["[Verse 1] a song that starts with a bracket", "x" * 30], dtype=object),
    }
    assert guess_text_column(columns) == "note"


def test_integer_lists_are_vectors_only_when_named(tmp_path):
    path = tmp_path / "i.parquet"
    pq.write_table(pa.table({"embedding": [[1, 2], [3, 4]], "t": ["a", "b"]}), path)
    _fails(
        path,
        r"'embedding' holds lists of integers \(list<int64>\); integer lists are "
        r"taken as the vectors only when named \(--vector-column embedding\)",
    )
    corpus = read_corpus(path, ReadOptions(vector_column="embedding"))
    np.testing.assert_array_equal(corpus.vectors, [[1, 2], [3, 4]])


def test_float_lists_are_preferred_to_neighbor_lists(tmp_path):
    path = tmp_path / "f.parquet"
    table = pa.table(
        {
            "neighbors": [[1, 0]] * 40,
            "neighbor_distances": [[0.5, 0.25]] * 40,
            "v": pa.FixedSizeListArray.from_arrays(pa.array(VECTORS.ravel()), 8),
        }
    )
    pq.write_table(table, path)
    np.testing.assert_array_equal(read_corpus(path).vectors, VECTORS)


@pytest.fixture
def analyze_output(tmp_path):
    """What `embexplorer analyze` writes for an .npy: neighbors, distances, x, y, no vectors."""
    from embexplorer.cli import main

    source, out = tmp_path / "v.npy", tmp_path / "a.parquet"
    np.save(source, VECTORS)
    assert main(["analyze", str(source), "--projection", "pca", "-o", str(out)]) == 0
    return out


def test_analyze_output_has_no_vectors(analyze_output):
    # Issue 9: opening it (and exporting it to .npy) took the neighbour lists as the vectors.
    names = pq.read_schema(analyze_output).names
    assert {"neighbors", "neighbor_distances", "x", "y"} <= set(names)
    corpus = read_corpus(analyze_output)
    assert corpus.vectors is None and corpus.text_column is None
    assert "neighbors" in corpus.columns
    assert "neighbors (lists or records)" in describe_columns(corpus.columns)
    assert "x (numbers)" in describe_columns(corpus.columns)


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "parquet"])
def test_analyze_output_exported_has_no_vectors(analyze_output, tmp_path, fmt):
    from embexplorer.cli import main

    out = tmp_path / f"e.{fmt}"
    assert main(["export", str(analyze_output), "-o", str(out)]) == 0
    corpus = read_corpus(out)
    assert corpus.vectors is None
    assert {"neighbors", "neighbor_distances"} <= set(corpus.columns)


def test_analyze_output_neighbors_when_named(analyze_output):
    corpus = read_corpus(analyze_output, ReadOptions(vector_column="neighbors"))
    assert corpus.dim == 10 and corpus.vectors.max() < len(VECTORS)


def test_npz_neighbors_array_is_not_the_vectors(tmp_path):
    path = tmp_path / "n.npz"
    np.savez(path, neighbors=np.zeros((40, 5), np.int64), embeddings=VECTORS)
    np.testing.assert_array_equal(read_corpus(path).vectors, VECTORS)
    path = tmp_path / "only.npz"
    np.savez(path, neighbors=np.zeros((40, 5), np.int64))
    _fails(path, r"no 2-D numeric array to use as the vectors; arrays: neighbors \(40, 5\) int64")


def test_jsonl_integer_lists_and_strings(tmp_path):
    path = tmp_path / "i.jsonl"
    path.write_text('{"embedding": [1, 2], "t": "a"}\n{"embedding": [3, 4], "t": "b"}\n')
    _fails(path, r"'embedding' holds lists of integers; .*--vector-column embedding")
    np.testing.assert_array_equal(
        read_corpus(path, ReadOptions(vector_column="embedding")).vectors, [[1, 2], [3, 4]]
    )
    path = tmp_path / "s.jsonl"
    path.write_text('{"v": ["0.5", "1"]}\n{"v": ["2", "3"]}\n')
    _fails(path, r"Column 'v' holds lists of numbers written as text \(strings\)")


def test_jsonl_neighbors_are_not_the_vectors(tmp_path):
    path = tmp_path / "n.jsonl"
    rows = [{"neighbors": [1, 2], "neighbor_distances": [0.5, 0.7], "text": "t"}] * 3
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert read_corpus(path).vectors is None


def test_csv_list_of_words_is_not_the_vectors(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text('name,tags,d0,d1\na,"[""news"", ""sport""]",1,2\nb,"[""x""]",3,4\n')
    corpus = read_corpus(path)
    np.testing.assert_array_equal(corpus.vectors, [[1, 2], [3, 4]])
    assert "tags" in corpus.columns
