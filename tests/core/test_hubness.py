"""Hubness numbers on hand-computed graphs, and the reductions against direct formulas
(over every row: each list must be the formula's best k, ties by distance)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import erfc, logsumexp
from scipy.stats import skew
from sklearn.metrics import pairwise_distances as sk_pairwise

from embexplorer.core.analysis.hub_reduction import reduce_hubness_task
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


def _best(score, d, k):
    """Each row's k best columns by score (larger first), ties by distance: a direct sort."""
    score = np.array(score, dtype=np.float64)
    np.fill_diagonal(score, -np.inf)
    order = np.array([np.lexsort((d[i], -score[i])) for i in range(len(score))])
    return order[:, :k]


def _reduced(x, metric, k, method, **kwargs):
    graph = run_task(knn_graph_task(x, min(len(x) - 1, k + 10), metric))
    return run_task(reduce_hubness_task(x, graph, k, method, **kwargs))


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_csls_against_the_direct_formula(metric):
    x, k = _tiny(), 4
    d = pairwise_distances(x, x, metric)
    reduced = _reduced(x, metric, k, "csls")
    s = -d
    np.fill_diagonal(s, -np.inf)
    r = np.sort(s, axis=1)[:, ::-1][:, :k].mean(axis=1)  # mean similarity to the k nearest
    direct = 2 * s - r[:, None] - r[None, :]
    expected = _best(direct, d, k)
    np.testing.assert_array_equal(reduced.indices, expected)
    np.testing.assert_allclose(reduced.scores, np.take_along_axis(direct, expected, 1), atol=1e-5)
    assert reduced.exact and reduced.params["candidates"] == len(x) - 1


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_local_scaling_both_variants_against_their_formulas(metric):
    x, k = _tiny(n=50, seed=11), 5
    d = pairwise_distances(x, x, metric)
    off = np.where(np.eye(len(x), dtype=bool), np.inf, d)
    nearest = np.sort(off, axis=1)[:, :k]
    sigma, mu = nearest[:, -1], nearest.mean(axis=1)  # k-th distance; mean of the k nearest
    standard = np.exp(-(d**2) / (sigma[:, None] * sigma[None, :]))
    nicdm = d / np.sqrt(mu[:, None] * mu[None, :])
    ls = _reduced(x, metric, k, "ls", variant="standard")
    np.testing.assert_array_equal(ls.indices, _best(standard, d, k))
    np.testing.assert_allclose(  # scores are log LS
        np.exp(ls.scores), np.take_along_axis(standard, ls.indices, 1), rtol=1e-4
    )
    ni = _reduced(x, metric, k, "ls", variant="nicdm")
    np.testing.assert_array_equal(ni.indices, _best(-nicdm, d, k))
    assert (ls.params["variant"], ni.params["variant"]) == ("standard", "nicdm")


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_dissimlocal_against_its_formula(metric):
    x, k = _tiny(n=50, seed=12), 5
    d = pairwise_distances(x, x, metric)
    v = x.astype(np.float64)
    if metric == "cosine":  # DisSimLocal works in the space the metric sees: unit vectors
        v /= np.linalg.norm(v, axis=1, keepdims=True)
    off = np.where(np.eye(len(x), dtype=bool), np.inf, d)
    centroid = v[np.argsort(off, axis=1)[:, :k]].mean(axis=1)
    spread = ((v - centroid) ** 2).sum(axis=1)
    squared = ((v[:, None, :] - v[None, :, :]) ** 2).sum(axis=2)
    dsl = squared - spread[:, None] - spread[None, :]
    reduced = _reduced(x, metric, k, "dsl")
    np.testing.assert_array_equal(reduced.indices, _best(-dsl, d, k))
    np.testing.assert_allclose(
        -reduced.scores, np.take_along_axis(dsl, reduced.indices, 1), rtol=1e-4, atol=1e-4
    )


def test_local_scaling_refuses_the_dot_product():
    x = _tiny()
    graph = run_task(knn_graph_task(x, 10, "dot"))
    with pytest.raises(ValueError, match="dot product has none"):
        run_task(reduce_hubness_task(x, graph, 3, "ls"))


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_inverted_softmax_on_similarities_against_the_direct_formula(metric):
    x = _tiny(seed=1)
    beta, k = 5.0, 3
    reduced = _reduced(x, metric, k, "isoftmax", beta=beta)
    d = pairwise_distances(x, x, metric)
    s = 1 - d if metric == "cosine" else -(d**2)  # cos; −squared distance
    logits = beta * s
    np.fill_diagonal(logits, -np.inf)  # a row is not in its own normaliser
    log_z = logsumexp(logits, axis=0)  # over the bank b, for each column y
    direct = beta * s - log_z[None, :]
    expected = _best(direct, d, k)
    np.testing.assert_array_equal(reduced.indices, expected)
    np.testing.assert_allclose(
        reduced.scores, np.take_along_axis(direct, expected, 1), rtol=1e-5, atol=1e-4
    )
    assert reduced.params["beta"] == beta and reduced.params["beta_rule"] == "given"
    assert reduced.params["bank_size"] == len(x)


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_inverted_softmax_beta_rule(metric):
    """β = ln B / median over rows of (s to the nearest − median s to the bank)."""
    x = _tiny(n=80, seed=13)
    reduced = _reduced(x, metric, 3, "isoftmax")
    d = pairwise_distances(x, x, metric)
    s = 1 - d if metric == "cosine" else -(d**2)
    np.fill_diagonal(s, -np.inf)
    gap = np.median(s.max(axis=1) - np.median(np.where(np.isinf(s), s.max(), s), axis=1))
    assert reduced.params["beta_rule"] == "auto"
    # the rule's rows and bank are the whole of this small corpus (each row's own entry is
    # its similarity to itself there, which moves the median by half a rank at most)
    assert reduced.params["beta"] == pytest.approx(np.log(len(x)) / gap, rel=0.05)


def test_inverted_softmax_with_a_separate_bank():
    x, bank = _tiny(seed=2), _tiny(n=15, seed=3)
    reduced = _reduced(x, "cosine", 3, "isoftmax", beta=10, bank=bank)
    log_z = logsumexp(10 * (1 - pairwise_distances(bank, x, "cosine")), axis=0)
    d = pairwise_distances(x, x, "cosine")
    direct = 10 * (1 - d) - log_z[None, :]
    np.testing.assert_array_equal(reduced.indices, _best(direct, d, 3))
    assert reduced.params["bank"] == "queries" and reduced.params["bank_size"] == 15


@pytest.mark.parametrize("metric", ["cosine", "euclidean", "dot"])
def test_gaussian_mutual_proximity_against_the_formula(metric):
    """μ, σ over every other row (closed form for cosine and dot, a pass for Euclidean)."""
    x = _tiny(seed=4)
    reduced = _reduced(x, metric, 3, "mp")
    d = -(x.astype(np.float64) @ x.T.astype(np.float64))
    if metric != "dot":
        d = pairwise_distances(x, x, metric)
    off = ~np.eye(len(x), dtype=bool)
    mu = np.array([d[i][off[i]].mean() for i in range(len(x))])
    sd = np.array([d[i][off[i]].std() for i in range(len(x))])
    sf = 0.5 * erfc((d - mu[:, None]) / (sd[:, None] * np.sqrt(2)))  # sf[i, j] = SF_i(d_ij)
    mp = sf * sf.T
    np.testing.assert_array_equal(reduced.indices, _best(mp, d, 3))
    np.testing.assert_allclose(  # scores are log MP
        reduced.scores, np.log(np.take_along_axis(mp, reduced.indices, 1)), rtol=1e-5
    )
    assert reduced.params["sample"] == len(x) - 1  # every other row


def test_mutual_proximity_ranks_near_neighbours_whose_survival_rounds_to_one():
    """Tight clusters put near neighbours 10σ below μ: SF_x·SF_y is 1.0 in floating point for
    all of them, so a product would keep the raw order; log SF keeps MP's."""
    from scipy.special import log_ndtr

    rng = np.random.default_rng(5)
    centres = rng.normal(size=(200, 256))  # pairs of near rows, far from all the others
    x = (centres[np.repeat(np.arange(200), 3)] + 0.05 * rng.normal(size=(600, 256))).astype(
        np.float32
    )
    reduced = _reduced(x, "cosine", 5, "mp")
    d = pairwise_distances(x, x, "cosine")
    off = ~np.eye(len(x), dtype=bool)
    mu = np.array([d[i][off[i]].mean() for i in range(len(x))])
    sd = np.array([d[i][off[i]].std() for i in range(len(x))])
    log_sf = log_ndtr(-(d - mu[:, None]) / sd[:, None])
    assert (np.exp(log_sf + log_sf.T)[off] == 1.0).sum() >= 1000  # the product saturates
    np.testing.assert_array_equal(reduced.indices, _best(log_sf + log_sf.T, d, 5))


def test_empirical_mutual_proximity_against_the_formula():
    x = _tiny(n=30, seed=5)
    reduced = _reduced(x, "euclidean", 3, "mp", variant="empirical")
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
    np.testing.assert_array_equal(reduced.indices, _best(mp, d, 3))


def test_ties_go_by_distance_not_by_row():
    """Equal scores (empirical MP's counts tie often): the nearer row wins, wherever it is."""
    from embexplorer.core.analysis.hub_reduction import top_k

    scores = np.array([[0.5, 0.5, 0.5, 0.1]])
    d = np.array([[0.9, 0.2, 0.4, 0.1]])
    indices, kept = top_k(scores, d, np.array([7, 3, 5, 1]), 2)
    np.testing.assert_array_equal(indices, [[3, 5]])
    np.testing.assert_array_equal(kept, [[0.5, 0.5]])


def test_empirical_mutual_proximity_ignores_row_order():
    """The issue's reproduction, small: on i.i.d. rows the row number means nothing, so the
    reduced N_k must not depend on it (it did: ties went to the lowest rows, Spearman −0.26,
    mean N_k 14.6 in the first tenth of the rows and 3.0 in the last)."""
    from scipy.stats import spearmanr

    rng = np.random.default_rng(42)
    x = rng.standard_normal((3000, 50), dtype=np.float32)
    k = 10
    reduced = _reduced(x, "euclidean", k, "mp", variant="empirical", search="candidates")
    n_k = hubness(reduced.indices, len(x)).k_occurrence
    rho = spearmanr(n_k, np.arange(len(x))).statistic
    assert abs(rho) < 0.06  # ~3.3 standard errors (1/√(N−1)) for independent ranks
    tenth = len(x) // 10
    assert abs(n_k[:tenth].mean() - n_k[-tenth:].mean()) < 1.0
    # and the same data in another row order gives the same hubness, point for point closely
    order = rng.permutation(len(x))
    again = _reduced(x[order], "euclidean", k, "mp", variant="empirical", search="candidates")
    n_k_again = np.empty_like(n_k)
    n_k_again[order] = hubness(again.indices, len(x)).k_occurrence
    assert abs(skew(n_k_again) - skew(n_k)) < 0.1
    assert spearmanr(n_k, n_k_again).statistic > 0.8


def test_candidates_keep_the_measured_overlap_with_the_exact_lists():
    rng = np.random.default_rng(8)
    x = rng.normal(size=(1500, 40)).astype(np.float32)
    graph = run_task(knn_graph_task(x, 20, "cosine"))
    exact = run_task(reduce_hubness_task(x, graph, 10, "mp", search="exact"))
    near = run_task(reduce_hubness_task(x, graph, 10, "mp", search="candidates"))
    p = near.params
    assert not near.exact and p["search"] == "candidates"
    assert p["overlap"] >= 0.95 and p["overlap_sample"] == 256
    assert 10 <= p["candidates"] <= 150
    # measured on a sample; over every row it holds up (μ, σ from 2,048 sampled rows there)
    from embexplorer.core.analysis.hub_reduction import list_overlap

    assert list_overlap(near.indices, exact.indices) >= 0.9


def test_candidates_widen_the_graph_when_its_columns_are_too_few():
    """CSLS keeps antihubs when restricted to the graph's few columns; the candidates are
    widened until the lists hold 95 % of the exact ones."""
    rng = np.random.default_rng(9)
    x = rng.normal(size=(1200, 60)).astype(np.float32)
    graph = run_task(knn_graph_task(x, 12, "euclidean"))
    near = run_task(reduce_hubness_task(x, graph, 10, "csls", search="candidates"))
    exact = run_task(reduce_hubness_task(x, graph, 10, "csls", search="exact"))
    assert near.params["candidates"] > graph.k
    assert near.params["overlap"] >= 0.95
    before = hubness(exact.indices, len(x)).antihubs.sum()
    assert abs(int(hubness(near.indices, len(x)).antihubs.sum()) - int(before)) <= 0.2 * before + 5


def test_auto_is_exact_up_to_the_limit(monkeypatch):
    from embexplorer.core.analysis import hub_reduction

    x = _tiny(n=60)
    graph = run_task(knn_graph_task(x, 15, "cosine"))
    assert run_task(reduce_hubness_task(x, graph, 5, "csls")).exact
    monkeypatch.setattr(hub_reduction, "EXACT_MAX", 50)
    assert not run_task(reduce_hubness_task(x, graph, 5, "csls")).exact


def test_reduction_lowers_hubness_on_hubby_data():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(600, 60)).astype(np.float32)  # high dimension: strong hubness
    cand = run_task(knn_graph_task(x, 30, "euclidean"))
    before = hubness(cand.indices[:, :10]).skewness
    for method, variant in (
        ("mp", "gaussian"),
        ("mp", "empirical"),
        ("ls", "standard"),
        ("isoftmax", None),
    ):
        reduced = run_task(reduce_hubness_task(x, cand, 10, method, variant=variant))
        assert hubness(reduced.indices, len(x)).skewness < before, method


def test_unknown_method_and_variant():
    x = _tiny()
    cand = run_task(knn_graph_task(x, 5))
    with pytest.raises(ValueError, match="choose one of mp, csls, ls, dsl, isoftmax"):
        run_task(reduce_hubness_task(x, cand, 3, "magic"))
    with pytest.raises(ValueError, match="gaussian, empirical"):
        run_task(reduce_hubness_task(x, cand, 3, "mp", variant="normal"))


def test_row_logsumexp_equals_scipy_including_rows_of_minus_infinity():
    from embexplorer.core.analysis.hub_scores import _logsumexp_rows

    x = np.random.default_rng(9).normal(scale=30, size=(6, 50))
    x[1, :10] = -np.inf
    x[4] = -np.inf
    expected = logsumexp(x, axis=1)
    np.testing.assert_allclose(_logsumexp_rows(x.copy()), expected, rtol=1e-12)
    assert _logsumexp_rows(x.copy())[4] == -np.inf
