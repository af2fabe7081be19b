"""k-NN accuracy (leave-one-out majority vote) against scikit-learn's classifier, and labels."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import pairwise_distances
from sklearn.neighbors import KNeighborsClassifier

from embexplorer.core.analysis.neighbors import knn_graph_task
from embexplorer.core.analysis.reduction_comparison import encode_labels, knn_accuracy
from embexplorer.core.tasks import run_task


@pytest.mark.parametrize("k", [1, 4, 7])
def test_accuracy_equals_scikit_learns_leave_one_out_vote(k):
    rng = np.random.default_rng(k)
    centres = rng.normal(size=(3, 8)) * 1.5
    y = rng.integers(0, 3, 200)
    x = (centres[y] + rng.normal(size=(200, 8))).astype(np.float32)
    graph = run_task(knn_graph_task(x, k, "euclidean"))
    # leave-one-out: a row's distance to itself is made larger than any other, so it is not
    # its own neighbour; scikit-learn's vote gives ties to the smallest class, as ours
    d = pairwise_distances(x.astype(np.float64))
    np.fill_diagonal(d, d.max() * 10)
    classifier = KNeighborsClassifier(n_neighbors=k, metric="precomputed").fit(d, y)
    expected = (classifier.predict(d) == y).mean()
    assert knn_accuracy(graph.indices, y) == pytest.approx(expected)


def test_ties_go_to_the_smallest_label_and_unlabelled_rows_neither_count_nor_vote():
    codes = np.array([0, 1, 1, 0, -1])
    lists = np.array(
        [
            [1, 3],  # labels 1, 0: a tie, goes to 0 = its own: right
            [0, 2],  # 0, 1: tie -> 0, its own is 1: wrong
            [1, 4],  # 1 and an unlabelled row: 1, right
            [4, 4],  # no vote at all: wrong
            [0, 1],  # unlabelled itself: not scored
        ]
    )
    assert knn_accuracy(lists, codes) == pytest.approx(2 / 4)


def test_encode_labels_sorts_classes_and_marks_missing():
    codes, classes = encode_labels(np.array(["b", None, "a", "", float("nan"), "b"], dtype=object))
    assert classes == ["a", "b"]
    np.testing.assert_array_equal(codes, [1, -1, 0, -1, -1, 1])
    assert knn_accuracy(np.array([[1]]), np.array([-1, -1])) is None


def test_encode_labels_equals_the_per_row_definition_on_mixed_values():
    """The vectorised encoding (one test per distinct value) equals the row-by-row
    definition: missing = None, NaN or blank; classes = the sorted texts of the rest."""
    from embexplorer.core.analysis.reduction_comparison import _missing, encode_labels

    rng = np.random.default_rng(1)
    pool = np.array(["b", "a", None, float("nan"), " ", "", 3, 2.5, "a ", "z"], dtype=object)
    values = pool[rng.integers(0, len(pool), 5000)]
    text = ["" if _missing(v) else str(v) for v in values]
    classes = sorted({t for t in text if t})
    expected = np.array([classes.index(t) if t else -1 for t in text])
    codes, got_classes = encode_labels(values)
    assert got_classes == classes
    np.testing.assert_array_equal(codes, expected)
    assert encode_labels(values)[0] is codes  # the same array again: the kept result


def test_an_accuracy_is_computed_once_per_lists_and_labels(monkeypatch):
    """The worker computes the summary's accuracy; the GUI thread's summary finds it, also
    through a new slice of the same lists. Other lists or labels are computed afresh."""
    import embexplorer.core.analysis.reduction_comparison as rc

    computed = []
    real = rc._knn_accuracy
    monkeypatch.setattr(rc, "_knn_accuracy", lambda i, c: computed.append(1) or real(i, c))
    rng = np.random.default_rng(1)
    graph = rng.integers(0, 300, (300, 8))
    codes = rng.integers(-1, 3, 300)
    first = knn_accuracy(graph[:, :5], codes)
    assert knn_accuracy(graph[:, :5], codes) == first and len(computed) == 1
    assert knn_accuracy(graph[:, :6], codes) is not None and len(computed) == 2
    other = codes.copy()
    other[other == 1] = 2
    assert knn_accuracy(graph[:, :5], other) != first and len(computed) == 3
