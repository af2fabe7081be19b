"""Approximate kNN: recall measured against exact search, and the exact/approximate choice."""

from __future__ import annotations

import numpy as np
import pytest

from embexplorer.core.analysis import ann, knn_auto
from embexplorer.core.analysis.ann import ivf_knn_task, knn_task
from embexplorer.core.analysis.neighbors import knn_graph_task
from embexplorer.core.tasks import run_task


def _clustered(n=3000, d=32, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(40, d)).astype(np.float32)
    x = centres[rng.integers(0, 40, n)] + 0.7 * rng.normal(size=(n, d)).astype(np.float32)
    return x


@pytest.mark.parametrize("metric", ["cosine", "euclidean", "dot"])
def test_approximate_graph_has_high_measured_recall(metric):
    x = _clustered()
    approx = run_task(ivf_knn_task(x, 10, metric))
    exact = run_task(knn_graph_task(x, 10, metric))
    true_recall = (approx.indices[:, :, None] == exact.indices[:, None, :]).any(axis=2).mean()
    assert true_recall > 0.95
    assert approx.recall == pytest.approx(true_recall, abs=0.03)  # the sample tells the truth
    assert approx.method == "faiss IVF-SQ4" and approx.params["nprobe"] >= 1
    assert all(i not in row for i, row in enumerate(approx.indices))
    same = approx.indices == exact.indices
    np.testing.assert_allclose(
        approx.distances[same], exact.distances[same], rtol=1e-4, atol=1e-5
    )  # distances are exact for the neighbours found


class _FakeIndex:
    """Stands in for a faiss index whose candidates hold a given share of the truth."""

    def __init__(self, truth, held_by_nprobe):
        self.truth, self.held_by_nprobe, self.nprobe, self.tried = truth, held_by_nprobe, 0, []

    def search(self, queries, width):
        self.tried.append(self.nprobe)
        found = np.full((len(self.truth), width), -1)
        cells = self.truth.size
        hit = np.arange(cells) < round(self.held_by_nprobe[self.nprobe] * cells)
        found[:, : self.truth.shape[1]] = np.where(hit.reshape(self.truth.shape), self.truth, -1)
        return None, found


@pytest.mark.parametrize(
    ("held", "nlist", "chosen", "tried"),
    [
        ({1: 0.5, 2: 0.9, 4: 0.985}, 100, 4, [1, 2, 4]),  # the fewest lists reaching 98 %
        ({1: 0.99}, 100, 1, [1]),
        ({1: 0.5, 2: 0.95, 4: 0.951}, 100, 2, [1, 2, 4]),  # stalls: the codes limit it
        ({1: 0.5, 2: 0.6, 3: 0.7}, 3, 3, [1, 2, 3]),  # every list, and no further
        ({4: 0.9, 8: 0.99}, 100, 8, [4, 8]),  # from the least that the ranks allow
    ],
)
def test_nprobe_tuning(held, nlist, chosen, tried):
    truth = np.arange(200).reshape(20, 10)
    index = _FakeIndex(truth, held)
    x = np.ones((200, 4), dtype=np.float32)
    start = min(held)
    task = ann._tune_nprobe(index, x, np.arange(20), truth, 12, "cosine", nlist, start=start)
    got = run_task(task)
    assert (got, index.tried) == (chosen, tried)


def test_tuning_stops_before_a_try_foreseen_over_the_budget(monkeypatch):
    """A search's time is linear in the lists visited: after tries at 1 and 2 lists (10 and
    2 ms projected to every row), 4 lists would cost 4 ms, over a 3 ms budget, so that try is
    not run and the projection that stopped it is reported (a fake clock stands in)."""
    clock = [0.0]
    monkeypatch.setattr(ann.time, "perf_counter", lambda: clock[0])

    class TimedIndex(_FakeIndex):
        def search(self, queries, width):
            clock[0] += 1e-4 * self.nprobe  # 10 rows a sampled query: 1 ms a list for all
            return super().search(queries, width)

    truth = np.arange(200).reshape(20, 10)
    index = TimedIndex(truth, {1: 0.5, 2: 0.9, 4: 0.985})
    x = np.ones((200, 4), dtype=np.float32)
    projection: dict = {}
    task = ann._tune_nprobe(
        index, x, np.arange(20), truth, 12, "cosine", 100, 0.0, 0.003, projection
    )
    assert run_task(task) is None
    assert index.tried == [1, 2]
    assert projection["nprobe"] == 4 and projection["approx_projected_s"] == pytest.approx(0.004)
    index = TimedIndex(truth, {1: 0.5, 2: 0.9, 4: 0.985})  # within a 5 ms budget: tuned
    task = ann._tune_nprobe(index, x, np.arange(20), truth, 12, "cosine", 100, 0.0, 0.005, {})
    assert run_task(task) == 4 and index.tried == [1, 2, 4]


@pytest.mark.parametrize("metric", ["cosine", "euclidean", "dot"])
def test_list_ranks_tell_what_a_search_of_p_lists_can_find(metric):
    """The ranks of the neighbours' lists, computed before any row is added, against an
    independent reference: faiss's uncompressed IVF index on the same lists, which finds,
    visiting p lists, exactly the true neighbours lying in them."""
    faiss = ann._import_faiss()
    x = _clustered(3000, 16, seed=2)
    nlist = 30
    index = ann._train_index(faiss, x[::5].copy(), metric, nlist, 0)
    sample = np.arange(0, 3000, 30)
    truth = run_task(knn_graph_task(x, 10, metric)).indices[sample]
    ranks = ann.list_ranks(index, x, sample, truth, metric)
    flat = faiss.IndexIVFFlat(index.quantizer, 16, nlist, index.metric_type)
    flat.train(ann._prepared(x[:100], metric))  # the quantizer is trained already: kept
    flat.add(ann._prepared(x, metric))
    for p in (1, 2, 4, 8):
        flat.nprobe = p
        _, found = flat.search(ann._prepared(x[sample], metric), 11)
        held = (found[:, :, None] == truth[:, None, :]).any(axis=1).mean()
        assert (ranks < p).mean() == pytest.approx(held, abs=1e-9), p
    assert (ranks < 1).mean() < 0.98 <= (ranks < nlist).mean()  # not trivially all or none


def test_least_nprobe_is_where_the_ranks_reach_the_target(monkeypatch):
    index = type("Index", (), {"nlist": 64})()
    ranks = np.zeros((160, 10), dtype=np.int64)
    ranks[:, 8] = 1
    ranks[:, 9] = np.arange(160) % 16  # held: 80.6 % in 1 list, 91.2 % in 2, ... 100 % in 16
    monkeypatch.setattr(ann, "list_ranks", lambda *args: ranks)
    assert ann._least_nprobe(index, None, None, None, "cosine") == 16
    ranks[:, 9] = 40  # 90 % in 2 lists and in 4: stops gaining, as the tuning stops
    assert ann._least_nprobe(index, None, None, None, "cosine") == 2


@pytest.mark.parametrize(
    ("rows", "dims", "sure"),
    [(5000, 4096, True), (20_000, 384, True), (20_000, 1024, False), (20_001, 8, False)],
)
def test_auto_weighs_costs_beyond_20k_rows_or_their_work(rows, dims, sure):
    assert knn_auto.exact_is_sure(np.empty((rows, dims), dtype=np.float32)) is sure


class _FixedCost:
    """Stands in for the exact graph's timed projection (timing-free): its products, then,
    when asked for, the whole."""

    def __init__(self, products, whole=None):
        self.products, self._whole, self.known, self.spent_s = products, whole, None, 0.0
        self.asked = 0

    def whole(self):
        self.asked += 1
        self.known = self.products if self._whole is None else self._whole
        return self.known


def test_auto_is_exact_below_the_threshold(monkeypatch):
    x = _clustered(500)
    assert run_task(knn_task(x, 5, "cosine", "auto")).method == "exact"
    monkeypatch.setattr(knn_auto, "AUTO_EXACT_MIN", 100)
    monkeypatch.setattr(knn_auto, "AUTO_EXACT_SURE_S", 0.0)
    monkeypatch.setattr(knn_auto, "ExactGraphCost", lambda vectors, metric, k: _FixedCost(1e9))
    graph = run_task(knn_task(x, 5, "cosine", "auto"))
    assert graph.method == "faiss IVF-SQ4"
    chosen = graph.params["auto"]
    assert chosen["nprobe"] == graph.params["nprobe"]
    # below the products alone: the merges are never timed, the products stand for the whole
    assert chosen["approx_projected_s"] <= chosen["exact_at_least_s"] == 1e9
    assert "exact_projected_s" not in chosen
    cost = _FixedCost(1e-9, 1e9)  # over the products, under the whole: asked for it, once
    monkeypatch.setattr(knn_auto, "ExactGraphCost", lambda vectors, metric, k: cost)
    graph = run_task(knn_task(x, 5, "cosine", "auto"))
    assert graph.method == "faiss IVF-SQ4" and cost.asked >= 1
    assert graph.params["auto"]["exact_projected_s"] == 1e9


def test_auto_searches_exactly_when_the_projected_approximate_search_costs_more(monkeypatch):
    """The approximate path stops at tuning once its projected search exceeds the exact
    graph's projected cost, and the exact graph (equal to scikit-learn's) is returned with
    the figures that decided it."""
    from sklearn.neighbors import NearestNeighbors

    x = _clustered(500)
    monkeypatch.setattr(knn_auto, "AUTO_EXACT_MIN", 100)
    monkeypatch.setattr(knn_auto, "AUTO_EXACT_SURE_S", 0.0)
    monkeypatch.setattr(knn_auto, "ExactGraphCost", lambda vectors, metric, k: _FixedCost(1e-9))
    graph = run_task(knn_task(x, 5, "cosine", "auto"))
    assert graph.method == "exact"
    chosen = graph.params["auto"]
    assert chosen["approx_projected_s"] > chosen["exact_projected_s"] == 0.0
    ref = NearestNeighbors(n_neighbors=6, metric="cosine").fit(x).kneighbors(x)[1][:, 1:]
    assert (graph.indices == ref).mean() > 0.99  # ties at the 5th place may swap


def test_unknown_method():
    with pytest.raises(ValueError, match="exact, approx or auto"):
        run_task(knn_task(_clustered(50), 3, "cosine", "fast"))


def test_a_tiny_corpus_searched_approximately_prints_nothing(capfd):
    """faiss printed "WARNING clustering 30 points to 1 centroids" on every such run."""
    x = np.random.default_rng(0).normal(size=(30, 8)).astype(np.float32)
    graph = run_task(ivf_knn_task(x, 5, "cosine"))
    assert graph.indices.shape == (30, 5)
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_rows_the_lists_left_short_are_completed_exactly(metric):
    """A row whose visited lists held fewer than k other rows came back with -1 neighbours at
    distance inf; UMAP then cut it off and placed it at NaN, and the analysis failed (50,000
    clustered rows, 5 such rows). Such rows are searched exactly: the graph is always full."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3000, 24)).astype(np.float32)
    exact = run_task(knn_graph_task(x, 10, metric))
    indices, distances = exact.indices.astype(np.int32), exact.distances.copy()
    short = np.array([0, 17, 2999])
    indices[short, 6:] = -1  # as the IVF search returns them: missing at the end
    distances[short, 6:] = np.inf
    indices[5, :] = -1  # and a row with no candidate at all
    distances[5, :] = np.inf
    assert ann._complete_missing(x, indices, distances, metric) == 4
    np.testing.assert_array_equal(indices, exact.indices)
    np.testing.assert_allclose(distances, exact.distances, atol=1e-5)


def test_a_try_far_over_the_budget_stops_after_its_first_rows(monkeypatch):
    """With a budget, a try first searches EARLY_QUERIES of the sampled rows; projected far
    over the budget from them, the rest are not searched (a fake clock: 1 ms a row)."""
    clock = [0.0]
    monkeypatch.setattr(ann.time, "perf_counter", lambda: clock[0])
    searched = []

    class Index:
        nprobe = 1

        def search(self, queries, width):
            searched.append(len(queries))
            clock[0] += 1e-3 * len(queries)
            return None, np.full((len(queries), width), -1)

    rows = 300
    truth = np.arange(rows * 10).reshape(rows, 10) % 1000
    x = np.ones((1000, 4), dtype=np.float32)
    projection: dict = {}
    budget = 1000 * 1e-3 / ann.EARLY_MARGIN / 1.01  # every row's search: 1 s, just over
    task = ann._tune_nprobe(
        Index(), x, np.arange(rows), truth, 12, "cosine", 64, 0.0, budget, projection, start=8
    )
    assert run_task(task) is None
    assert searched == [ann.EARLY_QUERIES]
    assert projection == {"approx_projected_s": pytest.approx(1.0), "nprobe": 8}
    searched.clear()  # within the margin: the try goes on, and over the budget it stops
    task = ann._tune_nprobe(
        Index(), x, np.arange(rows), truth, 12, "cosine", 64, 0.0, 0.9, {}, start=8
    )
    assert run_task(task) is None
    assert searched == [ann.EARLY_QUERIES, rows - ann.EARLY_QUERIES]
