from __future__ import annotations

import numpy as np
import pytest

from embexplorer.core.corpus import (
    Corpus,
    column_kind,
    guess_label_column,
    guess_text_column,
    nonfinite_rows,
    normalize_column,
)
from embexplorer.core.errors import InputError


def _corpus(n=4, **kw):
    return Corpus(
        ids=np.arange(n),
        columns={"label": np.array(list("abab")[:n], dtype=object)},
        vectors=np.ones((n, 3), dtype=np.float32),
        **kw,
    )


def test_invariants_hold():
    corpus = _corpus(label_column="label")
    assert corpus.n_rows == 4 and corpus.dim == 3
    assert list(corpus.labels) == ["a", "b", "a", "b"]


def test_column_length_must_match():
    with pytest.raises(InputError, match="Column 'x' has 3 rows but the corpus has 4"):
        Corpus(ids=np.arange(4), columns={"x": np.zeros(3)})


def test_vectors_must_be_float32_c_contiguous():
    with pytest.raises(InputError, match="float32"):
        Corpus(ids=np.arange(2), vectors=np.ones((2, 3)))
    with pytest.raises(InputError, match="float32"):
        Corpus(ids=np.arange(3), vectors=np.ones((3, 3), dtype=np.float32).T)


def test_vector_rows_must_match():
    with pytest.raises(InputError, match="3 vectors but 2 rows"):
        Corpus(ids=np.arange(2), vectors=np.ones((3, 2), dtype=np.float32))


def test_ids_unique():
    with pytest.raises(InputError, match="unique"):
        Corpus(ids=np.array(["a", "a"], dtype=object))


def test_role_columns_must_exist():
    with pytest.raises(InputError, match="no column 'nope' to use as the text column"):
        _corpus(text_column="nope")


def test_frozen_and_replace_keeps_id():
    corpus = _corpus()
    with pytest.raises(AttributeError):
        corpus.vectors = None
    again = corpus.replace(label_column="label")
    assert again.corpus_id == corpus.corpus_id and again.label_column == "label"


def test_take_reorders_everything():
    corpus = _corpus()
    vectors = np.arange(12, dtype=np.float32).reshape(4, 3)
    corpus = corpus.replace(vectors=vectors)
    part = corpus.take(np.array([3, 1]))
    assert list(part.ids) == [3, 1] and list(part.columns["label"]) == ["b", "b"]
    np.testing.assert_array_equal(part.vectors, vectors[[3, 1]])
    assert part.corpus_id != corpus.corpus_id


def test_normalize_column():
    assert normalize_column([1, 2]).dtype.kind == "i"
    col = normalize_column(["x", None, 3])
    assert col.dtype == object and list(col) == ["x", None, "3"]
    assert list(normalize_column(np.array([True, False]))) == ["True", "False"]


def test_column_kind():
    assert column_kind(np.array([1.0, 2.0])) == "numeric"
    assert column_kind(np.array(["a", "b"], dtype=object)) == "categorical"
    assert column_kind(np.array([str(i) for i in range(300)], dtype=object)) == "text"


def test_guess_columns():
    columns = {
        "Body": np.array(["a long sentence about things " * 3] * 3, dtype=object),
        "kind": np.array(["x", "y", "x"], dtype=object),
    }
    assert guess_text_column(columns) == "Body"
    assert guess_label_column(columns, exclude="Body") == "kind"


def test_nonfinite_rows_in_chunks():
    v = np.zeros((100, 2), dtype=np.float32)
    v[[0, 37, 99], 1] = np.nan
    np.testing.assert_array_equal(nonfinite_rows(v, chunk_rows=16), [0, 37, 99])


def test_a_column_of_a_few_whole_numbers_is_taken_as_the_labels():
    """A digits set's class column (10 whole numbers, whatever its name) is the label column;
    a running number, a year of many values and floats are not (issue 11: digits opened
    with no labels, coloured and named by anonymous clusters)."""
    rng = np.random.default_rng(0)
    digit = rng.integers(0, 10, 1797)
    columns = {"row": np.arange(1797), "year": rng.integers(1800, 2000, 1797), "digit": digit}
    assert guess_label_column(columns) == "digit"
    columns = {"row": np.arange(1797), "score": rng.normal(size=1797)}
    assert guess_label_column(columns) is None
    assert guess_label_column({"year": rng.integers(1800, 2000, 1797)}) is None
