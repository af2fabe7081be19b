"""The kNN graph on Ray equals the local engine's: exact (indices and distances, with exact
ties from duplicated rows and coarse values), and approximate (the same index and re-ranking,
searched by shards; recall measured and reported)."""

from __future__ import annotations

import numpy as np
import pytest

from embexplorer.core.analysis import neighbors
from embexplorer.core.analysis.ann import ivf_knn_task
from embexplorer.core.analysis.neighbors import knn_graph_task
from embexplorer.core.tasks import run_task
from embexplorer.engine import knn as ray_knn


def tied_vectors(seed: int = 1) -> np.ndarray:
    """340 rows of halves (products are exact in float32), 190 of them duplicates: many
    neighbours tie exactly, at the k-th place too."""
    rng = np.random.default_rng(seed)
    base = np.round(rng.standard_normal((150, 8)) * 2) / 2
    rows = np.concatenate([base, base[:60], base[:30], base[100:150], base[:50]])
    return rows.astype(np.float32)


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 64 rows: 340 rows make 6 blocks, 3 task blocks of 2, 6 tasks."""
    monkeypatch.setattr(neighbors, "GRAPH_BLOCK", 64)


@pytest.mark.parametrize("metric", ["cosine", "euclidean", "dot"])
@pytest.mark.parametrize("k", [3, 20])
def test_exact_graph_is_the_local_one(ray_cluster, small_blocks, metric, k):
    x = tied_vectors()
    local = run_task(knn_graph_task(x, k, metric))
    remote = run_task(ray_knn.exact_knn_task(ray_cluster, x, k, metric, task_blocks=2))
    np.testing.assert_array_equal(remote.indices, local.indices)
    np.testing.assert_array_equal(remote.distances, local.distances)


def test_exact_ties_go_to_the_lower_row_whatever_the_order(ray_cluster, small_blocks):
    """Dot products of halves are exact: the reference is a sort by (−x·y, row) of every
    pair, which both engines must match, including which of equal rows make the cut."""
    x = tied_vectors()
    scores = x.astype(np.float64) @ x.T.astype(np.float64)
    np.fill_diagonal(scores, -np.inf)
    rows = np.broadcast_to(np.arange(len(x)), scores.shape)
    expected = np.lexsort((rows, -scores), axis=1)[:, :5]
    highest = np.sort(scores, axis=1)[:, ::-1]
    assert (highest[:, 4] == highest[:, 5]).sum() > 50  # ties across the cut: a real test
    for graph in (
        run_task(knn_graph_task(x, 5, "dot")),
        run_task(ray_knn.exact_knn_task(ray_cluster, x, 5, "dot", task_blocks=2)),
    ):
        np.testing.assert_array_equal(graph.indices, expected)


def test_every_block_pair_is_one_task_when_blocks_are_single(ray_cluster, small_blocks):
    """21 tasks, most sent after others were merged: they start from the merged lists'
    bounds (placeholders just below them), and the graph is still the local one."""
    x = tied_vectors()
    task = ray_knn.exact_knn_task(ray_cluster, x, 4, "dot", task_blocks=1)
    steps, graph = _progress(task)
    assert "21 tasks" in steps[0].message  # 6 blocks: 6·7/2 pairs of the symmetric product
    np.testing.assert_array_equal(graph.indices, run_task(knn_graph_task(x, 4, "dot")).indices)


def _progress(task):
    steps = []
    try:
        while True:
            steps.append(next(task))
    except StopIteration as stop:
        return steps, stop.value


def clustered(n=1500, d=24, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(30, d)).astype(np.float32)
    return centres[rng.integers(0, 30, n)] + 0.7 * rng.normal(size=(n, d)).astype(np.float32)


def test_approximate_graph_reports_recall_and_matches_the_local_search(ray_cluster, monkeypatch):
    monkeypatch.setattr(ray_knn, "SEARCH_SHARD", 400)  # 4 shards over the actors
    x = clustered()
    remote = run_task(ray_knn.ivf_knn_task(ray_cluster, x, 10, "cosine"))
    local = run_task(ivf_knn_task(x, 10, "cosine"))
    exact = run_task(knn_graph_task(x, 10, "cosine"))
    true_recall = (remote.indices[:, :, None] == exact.indices[:, None, :]).any(axis=2).mean()
    assert remote.method == "faiss IVF-SQ4" and remote.recall is not None
    assert remote.recall >= 0.95 and true_recall >= 0.95
    assert remote.recall == pytest.approx(true_recall, abs=0.03)  # the sample tells the truth
    assert remote.recall == local.recall and remote.params == local.params
    np.testing.assert_array_equal(remote.indices, local.indices)
    np.testing.assert_array_equal(remote.distances, local.distances)
