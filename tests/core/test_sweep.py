"""The sweep's shared pass: each variant's graph equals its own exact search (scikit-learn brute
force on the variant's rows, tie-aware), across block boundaries, for every metric."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from embexplorer.core.analysis import sweep
from embexplorer.core.analysis.neighbors import knn_graph_task
from embexplorer.core.embedding.variants import quantize_int8, truncate
from embexplorer.core.tasks import Progress, run_task

K = 7


def _data(zero_row: bool) -> np.ndarray:
    rng = np.random.default_rng(11)
    centres = rng.normal(size=(12, 40)).astype(np.float32)
    x = centres[rng.integers(0, 12, 1500)] + 0.8 * rng.normal(size=(1500, 40)).astype(np.float32)
    if zero_row:
        x[17] = 0.0  # θ = π for int8: each pair's own angle decides (the loose test)
    return x


def _reference_distances(rows: np.ndarray, metric: str) -> np.ndarray:
    """Sorted float64 distances of each row's K nearest others (brute force; −x·y for dot)."""
    data = np.asarray(rows, dtype=np.float64)
    if metric == "dot":
        d = -(data @ data.T)
        np.fill_diagonal(d, np.inf)
        return np.sort(d, axis=1)[:, :K]
    nn = NearestNeighbors(n_neighbors=K + 1, metric=metric, algorithm="brute").fit(data)
    dist, idx = nn.kneighbors(data)
    # a row is never its own neighbour; a zero row may tie with itself at cosine distance 1
    own = idx == np.arange(len(data))[:, None]
    first_own = own.argmax(axis=1)
    keep = np.ones_like(own)
    keep[np.arange(len(data)), np.where(own.any(axis=1), first_own, K)] = False
    return dist[keep].reshape(len(data), K)


def _listed_distances(rows: np.ndarray, indices: np.ndarray, metric: str) -> np.ndarray:
    data = np.asarray(rows, dtype=np.float64)
    q, v = data[:, None, :], data[indices]
    if metric == "euclidean":
        return np.sqrt(((v - q) ** 2).sum(axis=2))
    dots = (v * q).sum(axis=2)
    if metric == "dot":
        return -dots
    norms = np.linalg.norm(v, axis=2) * np.linalg.norm(q, axis=2)
    return 1.0 - dots / np.where(norms > 0, norms, 1.0)


@pytest.mark.parametrize("metric", ["cosine", "euclidean", "dot"])
@pytest.mark.parametrize("zero_row", [False, True])
@pytest.mark.parametrize("fold", ["numpy", "compiled", "overflowing"])
def test_each_variant_equals_its_own_exact_search(monkeypatch, metric, zero_row, fold):
    monkeypatch.setattr(sweep, "SWEEP_BLOCK", 400)  # 4 row blocks, the last one short
    monkeypatch.setattr(sweep, "NUMPY_MAX_ROWS", 10**9 if fold == "numpy" else 0)
    capacity = 10 if fold == "overflowing" else sweep.HITS_CAPACITY  # past it: numpy folds
    monkeypatch.setattr(sweep, "HITS_CAPACITY", capacity)
    calls = []
    if fold != "numpy":
        kernel = sweep._filter_kernel()

        def counted(*args):
            calls.append(kernel(*args))
            return calls[-1]

        monkeypatch.setattr(sweep, "_KERNEL", counted)
    x = _data(zero_row)
    codes = quantize_int8(x)
    graphs = run_task(sweep.sweep_graphs_task(x, (5, 16, 32, 40, 64), K, metric, codes))
    names = ["truncate:5", "truncate:16", "truncate:32", "float32"]
    assert list(graphs) == names + (["int8"] if metric == "cosine" else [])
    for name, (graph, seconds) in graphs.items():
        if name == "int8":
            rows = np.asarray(codes.rows())
        else:
            rows = x if name == "float32" else truncate(x, int(name.split(":")[1]), metric)
        assert graph.indices.shape == (len(x), K) and seconds > 0
        assert not (graph.indices == np.arange(len(x))[:, None]).any()
        assert all(len(set(r)) == K for r in graph.indices)  # no row listed twice
        listed = _listed_distances(rows, graph.indices, metric)
        np.testing.assert_allclose(listed, _reference_distances(rows, metric), atol=2e-5)
        np.testing.assert_allclose(graph.distances, listed, atol=2e-5)
        # and the same lists as the variant's own search, up to ties
        alone = run_task(knn_graph_task(rows, K, metric))
        assert (graph.indices == alone.indices).mean() > 0.99
    if fold != "numpy" and metric != "euclidean":  # the compiled filter ran (or overflowed)
        within = [max(c) <= capacity for c in calls]
        assert within and (all(within) if fold == "compiled" else not any(within))


def test_int8_scores_only_a_sliver_of_the_pairs(monkeypatch):
    """The full-precision cosines decide which pairs int8 must score: after each row's first
    block, a small share of the pairs."""
    monkeypatch.setattr(sweep, "SWEEP_BLOCK", 250)
    x = _data(False)
    scored = []
    original = np.einsum

    def counting(spec, *operands):
        a, b = operands  # pairs scored: rows times other rows (not a row's own norm)
        if spec == "ij,ij->i" and a is not b and len(a) != len(x):
            scored.append(len(a))
        return original(spec, *operands)

    monkeypatch.setattr(sweep.np, "einsum", counting)
    run_task(sweep.sweep_graphs_task(x, (), K, "cosine", quantize_int8(x)))
    monkeypatch.undo()
    assert 0 < sum(scored) < 0.02 * len(x) ** 2


def test_the_sweep_reports_progress_and_stops_when_asked(monkeypatch):
    monkeypatch.setattr(sweep, "SWEEP_BLOCK", 400)
    x = _data(False)
    task = sweep.sweep_graphs_task(x, (8, 16), K, "cosine", quantize_int8(x))
    first = next(task)
    assert isinstance(first, Progress) and first.fraction == 0.0
    fractions = [next(task).fraction for _ in range(3)]
    assert fractions == sorted(fractions) and fractions[-1] < 1.0
    task.close()  # what Cancel does between blocks: no error, nothing left running
