"""The workspace without a window: one corpus, several embeddings, one selection, and the
places further embeddings come from."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from embexplorer.core.analysis.compare import compare_task
from embexplorer.core.analysis.params import AnalysisParams
from embexplorer.core.analysis.pipeline import analysis_task
from embexplorer.core.errors import InputError
from embexplorer.core.io import read_corpus
from embexplorer.core.state.embedding_sources import (
    align_rows,
    column_embedding_task,
    derived_embedding_task,
    file_embedding_task,
    vector_columns,
)
from embexplorer.core.state.selection import Selection
from embexplorer.core.state.workspace import OVERLAP, TAGS, Workspace
from embexplorer.core.tasks import run_task


@pytest.fixture
def two_models(tmp_path):
    """A Parquet file with two vector columns (8 and 5 dims) over 60 rows with ids."""
    rng = np.random.default_rng(3)
    a = rng.normal(size=(60, 8)).astype(np.float32)
    b = np.hstack([a[:, :3], rng.normal(size=(60, 2))]).astype(np.float32)
    table = pa.table(
        {
            "id": [f"r{i}" for i in range(60)],
            "topic": ["x", "y", "z"] * 20,
            "model_a": pa.array(list(a), type=pa.list_(pa.float32())),
            "model_b": pa.array(list(b), type=pa.list_(pa.float32())),
        }
    )
    path = tmp_path / "two.parquet"
    pq.write_table(table, path)
    return path, a, b


@pytest.fixture
def workspace(two_models):
    path = two_models[0]
    return Workspace.of(read_corpus(path), path)


def test_a_file_with_two_vector_columns_gives_two_embeddings(workspace, two_models):
    path, a, b = two_models
    assert vector_columns(path) == ["model_a", "model_b"]
    assert list(workspace.embeddings) == ["model_a"] and workspace.active == "model_a"
    np.testing.assert_array_equal(workspace.current.vectors, a)
    second = run_task(column_embedding_task(workspace, "model_b"))
    grown = workspace.with_embedding(second)
    assert list(grown.embeddings) == ["model_a", "model_b"] and grown.active == "model_a"
    np.testing.assert_array_equal(grown.embeddings["model_b"].vectors, b)
    assert list(workspace.embeddings) == ["model_a"]  # values: the old workspace is unchanged


def test_transitions_keep_one_selection_and_check_lengths(workspace):
    selected = workspace.with_selection(Selection.of([1, 2], 60, workspace.corpus.corpus_id))
    tagged = selected.with_tags(np.array(["a"] * 60, dtype=object)).with_focus(5)
    assert tagged.selection.rows.tolist() == [1, 2] and tagged.focus == 5
    assert TAGS in tagged.extra_column_names() and tagged.column_values(TAGS)[0] == "a"
    with pytest.raises(InputError, match="3 tags for 60 rows"):
        tagged.with_tags(np.array(["a"] * 3, dtype=object))
    with pytest.raises(InputError, match="Row 60 is not one of the 60 rows"):
        tagged.with_focus(60)
    assert "topic: x" in tagged.with_color("topic").describe_row(0)


@pytest.mark.parametrize(
    ("spec", "kind", "nbytes"),
    [("truncate:4", "float32", 16), ("int8", "int8", 8), ("binary", "binary", 1)],
)
def test_derived_embeddings(workspace, spec, kind, nbytes):
    derived = run_task(derived_embedding_task(workspace, "model_a", spec))
    assert derived.kind == kind and derived.bytes_per_vector == nbytes
    assert derived.name == f"model_a · {spec}" and derived.origin["parent"] == "model_a"
    assert derived.params.metric == ("hamming" if kind == "binary" else "cosine")
    grown = workspace.with_embedding(derived, activate=True)
    assert grown.current is derived and grown.unique_name(derived.name) == f"{derived.name} (2)"


def test_a_binary_embedding_is_analysed_by_hamming_distance(workspace):
    binary = run_task(derived_embedding_task(workspace, "model_a", "binary"))
    result = run_task(analysis_task(binary.rows, binary.params.replace(k=5), None))
    bits = np.unpackbits(binary.rows.codes.bits, axis=1, count=8).astype(np.int64)
    d = (bits[:, None, :] != bits[None, :, :]).sum(axis=2)
    np.fill_diagonal(d, 99)
    np.testing.assert_array_equal(result.knn.distances[:, :5], np.sort(d, axis=1)[:, :5])
    assert result.projection.coords.shape == (60, 2) and result.quality is not None
    with pytest.raises(InputError, match="1-bit codes are compared by Hamming distance only"):
        run_task(analysis_task(binary.rows, binary.params.replace(metric="cosine"), None))


def test_a_comparison_adds_the_overlap_column(workspace):
    second = run_task(column_embedding_task(workspace, "model_b"))
    ws = workspace.with_embedding(second).showing("model_a", "model_b")
    comparison = run_task(compare_task(ws.current.rows, "cosine", ws.second.rows, "cosine", k=5))
    ws = ws.with_comparison(comparison)
    assert OVERLAP in ws.extra_column_names()
    np.testing.assert_array_equal(ws.column_values(OVERLAP), comparison.overlap)
    assert ws.showing("model_b", "model_a").comparison is None  # another pair: recomputed


def test_a_second_file_is_aligned_by_id(workspace, two_models, tmp_path):
    _, _, b = two_models
    order = np.random.default_rng(0).permutation(60)
    other = tmp_path / "other.parquet"
    pq.write_table(
        pa.table(
            {
                "key": [f"r{i}" for i in order],
                "vec": pa.array(list(b[order]), type=pa.list_(pa.float32())),
            }
        ),
        other,
    )
    embedding = run_task(file_embedding_task(workspace, other, id_column="key"))
    np.testing.assert_array_equal(embedding.vectors, b)  # back in the corpus's row order
    assert embedding.origin["aligned_by"] == "id column key"
    by_order = run_task(file_embedding_task(workspace, other, by_row_order=True))
    np.testing.assert_array_equal(by_order.vectors, b[order])


def test_ids_that_do_not_match_are_refused_with_counts_and_examples():
    ids = np.array(["a", "b", "c", "d"])
    with pytest.raises(InputError, match=r"2 ids appear more than once .* 'a', 'b'"):
        align_rows(ids, np.array(["a", "a", "b", "b"]), "key", "o.csv")
    with pytest.raises(
        InputError,
        match=r"1 of the corpus's ids are not in it \(e.g. 'd'\); 2 of its ids are not in the "
        r"corpus \(e.g. 'x', 'y'\)",
    ):
        align_rows(ids, np.array(["c", "a", "b", "x", "y"]), None, "o.csv")
    assert align_rows(ids, ids, None, "o.csv") is None
    assert align_rows(ids, np.array(["d", "c", "b", "a"]), None, "o.csv").tolist() == [3, 2, 1, 0]


def test_removing_the_active_embedding_moves_to_the_next(workspace):
    second = run_task(column_embedding_task(workspace, "model_b"))
    ws = workspace.with_embedding(second).showing("model_a", "model_b")
    smaller = ws.without_embedding("model_a")
    assert smaller.active == "model_b" and smaller.other is None
    params = AnalysisParams(k=3)
    assert ws.with_params("model_b", params).embeddings["model_b"].params == params
