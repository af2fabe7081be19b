"""kNN against scikit-learn's brute force and direct formulas; the definitions of DESIGN.md."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from embexplorer.core.analysis import neighbors
from embexplorer.core.analysis.neighbors import knn_graph_task, query_neighbors
from embexplorer.core.tasks import run_task


@pytest.fixture(params=[None, 64], ids=["default-blocks", "tiny-blocks"])
def blocks(request, monkeypatch):
    if request.param:
        monkeypatch.setattr(neighbors, "GRAPH_BLOCK", request.param)
        monkeypatch.setattr(neighbors, "CORPUS_BLOCK", request.param)
    return request.param


def _data(n=500, d=12, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(6, d)) * 3
    return (centres[rng.integers(0, 6, n)] + rng.normal(size=(n, d))).astype(np.float32)


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_graph_equals_scikit_learn(blocks, metric):
    x = _data()
    graph = run_task(knn_graph_task(x, 7, metric))
    ref = NearestNeighbors(n_neighbors=7, metric=metric, algorithm="brute").fit(
        x.astype(np.float64)
    )
    d_ref, i_ref = ref.kneighbors()  # without arguments: each point's neighbours, itself excluded
    np.testing.assert_array_equal(graph.indices, i_ref)
    np.testing.assert_allclose(graph.distances, d_ref, rtol=1e-5, atol=1e-5)


def test_dot_product_ranks_by_minus_x_dot_y(blocks):
    x = _data(seed=1)
    graph = run_task(knn_graph_task(x, 5, "dot"))
    scores = x.astype(np.float64) @ x.T.astype(np.float64)
    np.fill_diagonal(scores, -np.inf)
    expected = np.argsort(-scores, axis=1, kind="stable")[:, :5]
    np.testing.assert_array_equal(graph.indices, expected)
    np.testing.assert_allclose(graph.distances, -np.take_along_axis(scores, expected, 1), rtol=1e-5)


def test_distances_follow_the_definitions():
    x = np.array([[1, 0], [0, 1], [3, 4], [1, 1]], dtype=np.float32)
    cos = run_task(knn_graph_task(x, 1, "cosine"))
    assert cos.indices[0, 0] == 3 and cos.distances[0, 0] == pytest.approx(1 - 1 / np.sqrt(2))
    euc = run_task(knn_graph_task(x, 1, "euclidean"))
    assert euc.indices[0, 0] == 3 and euc.distances[0, 0] == pytest.approx(1.0)  # not squared
    dot = run_task(knn_graph_task(x, 1, "dot"))
    assert dot.indices[0, 0] == 2 and dot.distances[0, 0] == pytest.approx(-3.0)


def test_a_point_is_never_its_own_neighbour_but_its_duplicate_is():
    x = np.array([[1, 2], [1, 2], [5, 5], [9, 1]], dtype=np.float32)
    graph = run_task(knn_graph_task(x, 3, "euclidean"))
    assert all(i not in row for i, row in enumerate(graph.indices))
    assert graph.indices[0, 0] == 1 and graph.distances[0, 0] == 0.0


def test_k_limits():
    x = _data(20)
    # k ≤ 100 for users, plus up to 50 candidates kept for hubness reduction
    with pytest.raises(ValueError, match="between 1 and 150"):
        run_task(knn_graph_task(x, 151))
    assert run_task(knn_graph_task(x, 50)).k == 19  # at most n - 1
    with pytest.raises(ValueError, match="between 1 and 1000"):
        query_neighbors(x, x[:1], 1001)


def test_single_query_up_to_1000_matches_brute_force(blocks):
    x = _data(1500, seed=2)
    found = query_neighbors(x, x[[42]], 1000, "cosine", exclude=np.array([42]))
    ref = NearestNeighbors(n_neighbors=1000, metric="cosine", algorithm="brute").fit(
        np.delete(x, 42, axis=0).astype(np.float64)
    )
    d_ref, i_ref = ref.kneighbors(x[[42]].astype(np.float64))
    i_ref = np.where(i_ref >= 42, i_ref + 1, i_ref)  # back to the numbering with row 42
    assert 42 not in found.indices[0]
    np.testing.assert_array_equal(found.indices[0], i_ref[0])
    np.testing.assert_allclose(found.distances[0], d_ref[0], atol=1e-6)


def test_cancel_mid_knn(monkeypatch):
    monkeypatch.setattr(neighbors, "GRAPH_BLOCK", 50)
    x = _data(500)
    task = knn_graph_task(x, 5)
    next(task)
    progress = next(task)
    assert 0 < progress.fraction < 1
    task.close()
    with pytest.raises(StopIteration):
        next(task)


def test_unknown_metric():
    with pytest.raises(ValueError, match="choose one of cosine, euclidean, dot"):
        run_task(knn_graph_task(_data(10), 2, "manhattan"))


@pytest.mark.parametrize("metric", ["cosine", "euclidean", "dot"])
def test_distances_to_prepared_targets_equal_the_definitions(metric):
    from sklearn.metrics import pairwise_distances

    from embexplorer.core.analysis.neighbors import distances_to

    rng = np.random.default_rng(3)
    targets = rng.normal(size=(37, 9)).astype(np.float32)
    targets[5] = 0.0  # a zero vector: cosine distance 1 to everything, as scikit-learn says
    rows = rng.normal(size=(11, 9)).astype(np.float32)
    rows[2] = 0.0
    f = distances_to(targets, metric)
    for block in (rows, rows[:4], targets[:6]):
        a, b = block.astype(np.float64), targets.astype(np.float64)
        expected = -(a @ b.T) if metric == "dot" else pairwise_distances(a, b, metric=metric)
        np.testing.assert_allclose(f(block), expected, rtol=1e-10, atol=1e-12)
    assert targets[5].sum() == 0.0 and rows[2].sum() == 0.0  # the inputs are left alone


def test_ties_at_the_cut_go_to_the_lower_row(blocks):
    """Rows of halves with duplicates: exact dot products, many equal at the k-th place. The
    kept neighbours are the first by (−x·y, row), whatever order the blocks are met in (what
    lets the Ray engine merge block pairs in any order and get the same graph)."""
    rng = np.random.default_rng(1)
    base = np.round(rng.standard_normal((150, 8)) * 2) / 2
    x = np.concatenate([base, base[:60], base[:30], base[100:150]]).astype(np.float32)
    scores = x.astype(np.float64) @ x.T.astype(np.float64)
    np.fill_diagonal(scores, -np.inf)
    highest = np.sort(scores, axis=1)[:, ::-1]
    assert (highest[:, 4] == highest[:, 5]).sum() > 20
    rows = np.broadcast_to(np.arange(len(x)), scores.shape)
    expected = np.lexsort((rows, -scores), axis=1)[:, :5]
    np.testing.assert_array_equal(run_task(knn_graph_task(x, 5, "dot")).indices, expected)


def test_select_best_is_the_same_whatever_the_order():
    scores = np.array([[3, 1, 1, 1, 2, 1]], dtype=np.float32)
    rows = np.array([[9, 8, 2, 7, 4, 5]])
    for perm in ([0, 1, 2, 3, 4, 5], [5, 4, 3, 2, 1, 0], [3, 0, 5, 1, 4, 2]):
        s, i = neighbors.select_best(scores[:, perm], rows[:, perm], 3)
        assert sorted(zip(-s[0], i[0], strict=True)) == [(-3, 9), (-2, 4), (-1, 2)]
