"""Hubness numbers on hand-computed graphs, and the reductions against direct formulas."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import erfc, logsumexp
from scipy.stats import skew
from sklearn.metrics import pairwise_distances as sk_pairwise

from embexplorer.core.analysis.hub_reduction import csls_scores, reduce_hubness_task
from embexplorer.core.analysis.hubness import hubness, k_occurrence, robin_hood, skewness
from embexplorer.core.analysis.neighbors import knn_graph_task
from embexplorer.core.tasks import run_task

# A hand-made 2-NN graph of 5 points: point 0 is in everyone's list, 4 in nobody's.
GRAPH = np.array([[1, 2], [0, 2], [0, 1], [0, 1], [0, 3]])


def test_k_occurrence_hubs_and_antihubs_by_hand():
    h = hubness(GRAPH)
    assert h.k_occurrence.tolist() == [4, 3, 2, 1, 0]
    assert h.hubs.tolist() == [False] * 5  # 4 is not > 2k = 4
    assert h.antihubs.tolist() == [False, False, False, False, True]
    big = hubness(np.array([[1], [0], [0], [0], [0], [0]]))  # k = 1: point 0 occurs 5 times
    assert big.hubs.tolist() == [True, False, False, False, False, False]


def test_k_occurrence_counted_in_chunks_equals_one_bincount(monkeypatch):
    import embexplorer.core.analysis.hubness as hubness_module

    rng = np.random.default_rng(5)
    graph = rng.integers(-1, 50, size=(103, 4))  # -1 = missing neighbour, not counted
    expected = np.bincount(graph[graph >= 0], minlength=60)
    monkeypatch.setattr(hubness_module, "_CHUNK", 10)  # 11 chunks, the last one partial
    np.testing.assert_array_equal(k_occurrence(graph, 60), expected)
    np.testing.assert_array_equal(
        k_occurrence(graph[:, :2], 60), np.bincount(graph[:, :2][graph[:, :2] >= 0], minlength=60)
    )


def test_skewness_is_the_population_skewness():
    n_k = k_occurrence(GRAPH, 5)
    # by hand: mean 2, deviations (2, 1, 0, -1, -2): m3 = 0 -> skewness 0
    assert skewness(n_k) == pytest.approx(0.0)
    rng = np.random.default_rng(0)
    for values in (rng.poisson(3, 100), rng.exponential(size=50), np.array([0, 0, 9])):
        assert skewness(values) == pytest.approx(skew(values, bias=True))
    assert skewness(np.array([2, 2, 2])) == 0.0


def test_robin_hood_by_hand():
    # N_k = (4, 3, 2, 1, 0), mean 2: Σ|N_k − 2| = 6, Σ N_k = 10 -> 6 / 20
    assert robin_hood(k_occurrence(GRAPH, 5)) == pytest.approx(0.3)
    assert robin_hood(np.array([2, 2, 2])) == 0.0
    assert robin_hood(np.array([6, 0, 0])) == pytest.approx(2 / 3)


def pairwise_distances(a, b, metric):
    """The reference distances (scikit-learn's, in float64), independent of our code."""
    return sk_pairwise(a.astype(np.float64), b.astype(np.float64), metric=metric)


def _tiny(n=40, d=6, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)).astype(np.float32)


def test_csls_against_the_direct_formula():
    x = _tiny()
    k = 4
    cand = run_task(knn_graph_task(x, len(x) - 1, "cosine"))  # every point is a candidate
    reduced = run_task(reduce_hubness_task(x, cand, k, "csls"))
    cos = 1 - pairwise_distances(x, x, "cosine")
    np.fill_diagonal(cos, -np.inf)
    r = np.sort(cos, axis=1)[:, ::-1][:, :k].mean(axis=1)  # mean similarity to the k nearest
    direct = 2 * cos - r[:, None] - r[None, :]
    expected = np.argsort(-direct, axis=1, kind="stable")[:, :k]
    np.testing.assert_array_equal(reduced.indices, expected)
    np.testing.assert_allclose(reduced.scores, np.take_along_axis(direct, expected, 1), atol=1e-5)


def test_csls_scores_helper():
    idx = np.array([[1], [0]])
    sims = np.array([[0.5], [0.5]])
    np.testing.assert_allclose(csls_scores(idx, sims, 1), [[0.0], [0.0]])


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_inverted_softmax_against_the_direct_formula(monkeypatch, metric):
    x = _tiny(seed=1)
    beta, k = 5.0, 3
    cand = run_task(knn_graph_task(x, len(x) - 1, metric))
    reduced = run_task(reduce_hubness_task(x, cand, k, "isoftmax", beta=beta))
    s = -pairwise_distances(x, x, metric)
    logits = beta * s
    np.fill_diagonal(logits, -np.inf)  # a row is not in its own normaliser
    log_z = logsumexp(logits, axis=0)  # over the bank b, for each column y
    direct = beta * s - log_z[None, :]
    np.fill_diagonal(direct, -np.inf)
    expected = np.argsort(-direct, axis=1, kind="stable")[:, :k]
    np.testing.assert_array_equal(reduced.indices, expected)
    np.testing.assert_allclose(
        reduced.scores, np.take_along_axis(direct, expected, 1), rtol=1e-5, atol=1e-5
    )


def test_inverted_softmax_with_a_separate_bank():
    x, bank = _tiny(seed=2), _tiny(n=15, seed=3)
    cand = run_task(knn_graph_task(x, len(x) - 1, "cosine"))
    reduced = run_task(reduce_hubness_task(x, cand, 3, "isoftmax", beta=10, bank=bank))
    log_z = logsumexp(-10 * pairwise_distances(bank, x, "cosine"), axis=0)
    direct = -10 * pairwise_distances(x, x, "cosine") - log_z[None, :]
    np.fill_diagonal(direct, -np.inf)
    np.testing.assert_array_equal(
        reduced.indices, np.argsort(-direct, axis=1, kind="stable")[:, :3]
    )
    assert reduced.params["bank"] == "queries"


def test_gaussian_mutual_proximity_against_the_formula():
    x = _tiny(seed=4)
    cand = run_task(knn_graph_task(x, len(x) - 1, "euclidean"))
    reduced = run_task(reduce_hubness_task(x, cand, 3, "mp"))
    d = pairwise_distances(x, x, "euclidean")
    off = ~np.eye(len(x), dtype=bool)
    mu = np.array([d[i][off[i]].mean() for i in range(len(x))])
    sd = np.array([d[i][off[i]].std() for i in range(len(x))])
    sf = 0.5 * erfc((d - mu[:, None]) / (sd[:, None] * np.sqrt(2)))  # sf[i, j] = SF_i(d_ij)
    mp = sf * sf.T
    np.fill_diagonal(mp, -np.inf)
    np.testing.assert_array_equal(reduced.indices, np.argsort(-mp, axis=1, kind="stable")[:, :3])


def test_empirical_mutual_proximity_against_the_formula():
    x = _tiny(n=30, seed=5)
    cand = run_task(knn_graph_task(x, len(x) - 1, "euclidean"))
    reduced = run_task(reduce_hubness_task(x, cand, 3, "mp", mp_method="empirical"))
    d = pairwise_distances(x, x, "euclidean")
    n = len(x)
    mp = np.full((n, n), -np.inf)
    for i in range(n):  # MP(i, j) = |{t ∉ {i, j}: d(i,t) > d(i,j) and d(j,t) > d(i,j)}| / (n − 2)
        for j in range(n):
            if i != j:
                farther = [
                    t
                    for t in range(n)
                    if t not in (i, j) and d[i, t] > d[i, j] and d[j, t] > d[i, j]
                ]
                mp[i, j] = len(farther) / (n - 2)
    np.testing.assert_allclose(
        reduced.scores, np.take_along_axis(mp, reduced.indices, 1), atol=1e-6
    )
    np.testing.assert_array_equal(reduced.indices, np.argsort(-mp, axis=1, kind="stable")[:, :3])


def test_reduction_lowers_hubness_on_hubby_data():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(600, 60)).astype(np.float32)  # high dimension: strong hubness
    cand = run_task(knn_graph_task(x, 30, "euclidean"))
    before = hubness(cand.indices[:, :10]).skewness
    for method in ("mp", "csls", "isoftmax"):
        reduced = run_task(reduce_hubness_task(x, cand, 10, method, beta=1.0))
        assert hubness(reduced.indices, len(x)).skewness < before, method


def test_unknown_method():
    x = _tiny()
    cand = run_task(knn_graph_task(x, 5))
    with pytest.raises(ValueError, match="choose one of mp, csls, isoftmax"):
        run_task(reduce_hubness_task(x, cand, 3, "magic"))


def test_row_logsumexp_equals_scipy_including_rows_of_minus_infinity():
    from embexplorer.core.analysis.hub_reduction import _logsumexp_rows

    x = np.random.default_rng(9).normal(scale=30, size=(6, 50))
    x[1, :10] = -np.inf
    x[4] = -np.inf
    expected = logsumexp(x, axis=1)
    np.testing.assert_allclose(_logsumexp_rows(x.copy()), expected, rtol=1e-12)
    assert _logsumexp_rows(x.copy())[4] == -np.inf
