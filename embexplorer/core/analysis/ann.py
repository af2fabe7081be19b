"""Approximate kNN graphs for large N (faiss IVF), and the exact/approximate choice.

Chosen by measuring on a 2-core machine (``embexplorer bench knn``): for the whole kNN graph
of 100k × 384 vectors, faiss IVF took 13 s at recall@10 = 1.00, hnswlib 15 s (0.99),
pynndescent 38 s (0.88). The inverted lists hold 4-bit scalar-quantised codes (D/2 bytes per
vector: about 0.2 GB at 1M × 384 instead of a 1.5 GB copy); the wide candidate set they return
is re-ranked exactly from the original vectors (at 200k × 384, 2k + 20 candidates held 100 %
of the exact 30 nearest), and recall@k is measured on a random sample of exact queries.

``auto`` chooses by cost, not row count (issue 11). The exact graph's cost is predictable:
timed block pairs of the real data times the number of pairs, plus the merges timed on a
sample's graph (:mod:`knn_cost`). The approximate cost is not: visiting enough lists for 98 %
of the neighbours took 1 list per query on clustered 384-d vectors but 256 on diffuse 50-d
ones (GloVe-like; 188 s against 10 s exact at 100k rows). So ``auto`` trains the lists (cheap
next to either search) and finds the exact neighbours of a quarter of the recall sample; the
ranks of those neighbours' lists bound the lists per query from below before any row is added
(:func:`list_ranks`); after adding, tuning starts there and projects the whole search from
the sample's timed search and re-ranking; once that projection exceeds the exact graph's, it
drops the index and searches exactly. All of that work is lost when the exact graph wins, so
it is kept small: 0.6 s of a 7 s exact graph at 100k × 50, 1.4 s of 15.5 s at 100k × 384.

faiss-cpu's wheel bundles an OpenBLAS that does not recognise recent CPUs and falls back to
generic kernels (10× slower here for the centroid distances); :func:`_import_faiss` names the
right kernel family before faiss loads it (only for faiss's copy; numpy's is separate).
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from embexplorer.core.analysis.knn_cost import ExactGraphCost, over_budget
from embexplorer.core.analysis.neighbors import (
    ExactIndex,
    Neighbors,
    check_metric,
    knn_graph_task,
)
from embexplorer.core.memory import return_freed_memory
from embexplorer.core.tasks import Progress, Task, chunk_ranges

RECALL_SAMPLE = 1000
#: ... of which this many decide ``auto``'s choice (tuning included) before the exact
#: neighbours of the rest are found
DECIDE_SAMPLE = 250
SEARCH_BLOCK = 4096
RERANK_BLOCK = 256
#: Rows used to train the lists (bounds the memory of training whatever N is) ...
TRAIN_SAMPLE_MAX = 65_536
#: ... and per list, with this many k-means iterations: training was the approximate path's
#: largest fixed cost (3–9 s of a 26 s exact graph at 100k × 384 with faiss's defaults of
#: 39–256 points a list and 25 iterations, all of it lost when the exact graph turns out
#: cheaper). 20 points a list and 6 iterations take about 0.6 s there (10 iterations: 0.9 s)
#: and hold the neighbours as well: the lists per query needed (:func:`_least_nprobe`) are
#: the same, 1 at 20k × 384 and 2 at 100k × 50 on clustered vectors. Fewer did not: 16 points
#: a list needed 2 at 20k × 384, and 4 iterations 4 at 100k × 50 (searches 1.5–2× longer).
TRAIN_PER_LIST, TRAIN_ITERATIONS = 20, 6
#: nprobe grows until the candidates hold this share of the exact neighbours of a sample.
TARGET_CANDIDATE_RECALL = 0.98
#: ... unless doubling nprobe gains less than this share (then the codes, not nprobe, limit it).
NPROBE_MIN_GAIN = 0.002
#: With a budget, each try first searches this many of the sampled rows, and stops there when
#: they project the whole search over the budget by this factor (at 100k × 50 GloVe-like, the
#: try at 128 lists took 0.09 s of the 0.7 s spent deciding on a 7 s exact graph).
EARLY_QUERIES, EARLY_MARGIN = 64, 1.5


def _import_faiss():
    if "faiss" not in sys.modules and sys.platform.startswith("linux"):
        try:
            with open("/proc/cpuinfo") as fh:
                flags = fh.read().split("flags")[1].split("\n")[0].split()
        except (OSError, IndexError):
            flags = []
        if "avx512f" in flags:
            os.environ.setdefault("OPENBLAS_CORETYPE", "SkylakeX")
        elif "avx2" in flags:
            os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")
    import faiss

    faiss.omp_set_num_threads(os.cpu_count() or 1)
    return faiss


def knn_task(
    vectors: np.ndarray, k: int, metric: str = "cosine", method: str = "auto", seed: int = 0
) -> Task[Neighbors]:
    """The kNN graph, exact or approximate (``auto``: whichever is projected to be faster,
    see the module's docstring; the choice and its figures are in the result's ``params``)."""
    check_metric(metric)
    if method not in ("exact", "approx", "auto"):
        raise ValueError("The kNN method is exact, approx or auto.")
    codes = getattr(vectors, "codes", None)
    if metric == "hamming" and codes is not None:  # 1-bit codes: exact popcount search, always
        from embexplorer.core.analysis.hamming import hamming_knn_task

        return (yield from hamming_knn_task(codes.bits, k))
    if method == "exact":
        return (yield from knn_graph_task(vectors, k, metric))
    if method == "approx":
        return (yield from ivf_knn_task(vectors, k, metric, seed=seed))
    from embexplorer.core.analysis.knn_auto import auto_knn_task

    return (yield from auto_knn_task(vectors, k, metric, seed=seed))


@dataclass(frozen=True, eq=False)
class IvfPlan:
    """A built IVF index and what searching it needs: shared by the local search below and
    the Ray engine's (``embexplorer.engine.knn``), which searches shards of rows in parallel
    with the same :func:`search_rows`."""

    index: Any
    k: int
    keep: int  # candidates re-ranked per row
    nlist: int
    nprobe: int
    sample: np.ndarray  # rows whose exact neighbours measure recall
    truth: np.ndarray
    #: auto's projected seconds of the search (tuning's figures), empty when not tuned
    projection: dict = dataclasses.field(default_factory=dict)


def ivf_knn_task(
    vectors: np.ndarray,
    k: int,
    metric: str = "cosine",
    seed: int = 0,
    nprobe: int | None = None,
    budget_s: float | ExactGraphCost | None = None,
) -> Task[Neighbors | dict]:
    """Approximate kNN graph: faiss IVF-SQ4 candidates, exact re-ranking, measured recall.

    ``nprobe`` (lists visited per query) is tuned unless given: starting at 1, it doubles until
    the candidates of a random sample of rows hold 98 % of their exact k nearest neighbours
    (or stop gaining). With ``budget_s`` (``auto``), tuning also projects the whole search
    from the sample's; once the projection exceeds the budget the search is not run, and the
    projection (a dict) is returned instead of the graph.
    """
    plan = yield from build_ivf_task(vectors, k, metric, seed, nprobe, budget_s)
    if isinstance(plan, dict):  # over the budget: the caller searches exactly
        return plan
    n = len(vectors)
    indices = np.empty((n, plan.k), dtype=np.int32)  # half the memory of int64 at 1M rows
    distances = np.empty((n, plan.k), dtype=np.float32)
    inv_norms = inverse_norms(vectors) if metric == "cosine" else None
    for lo, hi in chunk_ranges(n, SEARCH_BLOCK):
        indices[lo:hi], distances[lo:hi] = search_rows(plan, vectors, lo, hi, metric, inv_norms)
        yield Progress(0.15 + 0.85 * hi / n, f"Approximate kNN: {hi:,} of {n:,} rows")
    plan.index.reset()  # the codes' memory, before the next stage's arrays
    return_freed_memory()
    graph = ivf_neighbors(plan, vectors, indices, distances, metric)
    if budget_s is not None:
        graph.params["projection"] = plan.projection
    return graph


def build_ivf_task(
    vectors: np.ndarray,
    k: int,
    metric: str,
    seed: int = 0,
    nprobe: int | None = None,
    budget_s: float | ExactGraphCost | None = None,
) -> Task[IvfPlan | dict]:
    """Train the lists on a sample, add every row, find the exact neighbours of the recall
    sample and tune ``nprobe`` (progress 0 to 0.15). With ``budget_s``: the projection of the
    search (a dict) instead, once it exceeds the budget (see ivf_knn_task)."""
    faiss = _import_faiss()
    n = len(vectors)
    k = min(k, n - 1)
    # about 4·√N lists, as many as 39 points a list of the largest sample allow
    nlist = int(np.clip(min(4 * np.sqrt(n), min(n, TRAIN_SAMPLE_MAX) / 39), 1, 65536))
    trained = min(n, TRAIN_SAMPLE_MAX, TRAIN_PER_LIST * nlist)
    train_rows = np.sort(np.random.default_rng(seed).choice(n, size=trained, replace=False))
    yield Progress(0.0, f"Approximate kNN: training {nlist} lists")
    index = _train_index(faiss, vectors[train_rows], metric, nlist, seed)
    keep = min(n - 1, 2 * k + 20)  # coarse 4-bit codes: re-rank a wide candidate set
    sample = _sample(n, seed)
    yield Progress(0.0, "Approximate kNN: exact neighbours of a sample, for recall")
    exact = ExactIndex(vectors, metric)
    truth = np.empty((len(sample), k), dtype=np.intp)
    # with a budget (auto), a quarter of the sample decides, and the rest's exact neighbours
    # (0.45 s of a 7 s exact graph at 100k × 50) are found only once the index is kept
    first = np.zeros(len(sample), dtype=bool)
    first[:: max(1, len(sample) // DECIDE_SAMPLE) if budget_s is not None else 1] = True
    truth[first] = exact.query(vectors[sample[first]], k, exclude=sample[first]).indices
    least, rerank_s = 1, 0.0
    if nprobe is None:
        inv_norms = inverse_norms(vectors) if metric == "cosine" else None
        rerank_s = _timed_rerank(vectors, sample[first], truth[first], keep, metric, inv_norms)
        rerank_s *= n / first.sum()
        least = _least_nprobe(index, vectors, sample[first], truth[first], metric)
    assigned = yield from _reserve_lists(faiss, index, vectors, metric)
    for lo, hi in chunk_ranges(n, SEARCH_BLOCK):  # with the lists already found: no 2nd pass
        block = _prepared(vectors[lo:hi], metric)
        index.add_core(hi - lo, faiss.swig_ptr(block), None, faiss.swig_ptr(assigned[lo:hi]))
        yield Progress(0.05 + 0.05 * hi / n, f"Approximate kNN: indexing {hi:,} of {n:,} rows")
    del assigned
    projection: dict = {}

    def tune(rows: np.ndarray, start: int) -> Task[int | None]:
        return _tune_nprobe(
            index, vectors, sample[rows], truth[rows], keep, metric, nlist, rerank_s, budget_s,
            projection, start=start,
        )  # fmt: skip

    decides = nprobe is None and not first.all()  # auto: the quarter decides first
    if decides and (yield from tune(first, least)) is None:
        return _dropped(index, projection)
    if not first.all():
        yield Progress(0.14, "Approximate kNN: exact neighbours of a sample, for recall")
        truth[~first] = exact.query(vectors[sample[~first]], k, exclude=sample[~first]).indices
    if nprobe is None:  # tuned on the whole sample: a quarter's 98 % is too rough a measure
        if not first.all():
            least = _least_nprobe(index, vectors, sample, truth, metric)
        nprobe = yield from tune(np.ones_like(first), least)
        if nprobe is None:  # over the budget after all (close cases only)
            return _dropped(index, projection)
        if budget_s is not None:
            projection["least_nprobe"] = least
    index.nprobe = nprobe
    return IvfPlan(index, k, keep, nlist, nprobe, sample, truth, projection)


def _dropped(index, projection: dict) -> dict:
    """The index emptied (its codes' memory returned) and the projection that dropped it."""
    index.reset()
    return_freed_memory()
    return projection


def _least_nprobe(index, vectors, sample, truth, metric) -> int:
    """The fewest lists per query that tuning can end at, from where the sample's exact
    neighbours lie (:func:`list_ranks`), before any row is added.

    A search visiting p lists can find only the neighbours whose list is among the p nearest
    to their query (the 4-bit codes can lose more), so the share held that way is an upper
    bound of what tuning measures, and the first p (doubling from 1, stopping as tuning does)
    where it reaches the target is a lower bound of the tuned nprobe. Measured at 100k rows:
    equal to tuning's share up to 16 lists, within 0.005 to 64 (bench knn's vector families).
    """
    ranks = list_ranks(index, vectors, sample, truth, metric)
    nprobe, previous, held_before = 1, 1, -1.0
    while True:
        held = float((ranks < nprobe).mean())
        if held - held_before < NPROBE_MIN_GAIN:
            return previous
        if held >= TARGET_CANDIDATE_RECALL or nprobe >= index.nlist:
            return nprobe
        previous, held_before, nprobe = nprobe, held, min(2 * nprobe, index.nlist)


def list_ranks(index, vectors, sample, truth, metric) -> np.ndarray:
    """For each sampled row's exact neighbour (``truth``, rows × k), how many lists lie nearer
    to the row than the neighbour's own list: a search visiting p lists per query can find
    those with a rank below p."""
    nlist = index.nlist
    centroids = index.quantizer.reconstruct_n(0, nlist)
    to_queries = _centroid_scores(centroids, _prepared(vectors[sample], metric), metric)
    rows = truth.ravel()
    own = _centroid_scores(centroids, _prepared(vectors[rows], metric), metric).argmax(axis=1)
    own_score = np.take_along_axis(to_queries, own.reshape(truth.shape), axis=1)
    ranks = np.empty(truth.shape, dtype=np.int64)
    for i in range(len(sample)):  # rows × k × nlist comparisons, one row at a time
        ranks[i] = (to_queries[i][None, :] > own_score[i][:, None]).sum(axis=1)
    return ranks


def _centroid_scores(centroids: np.ndarray, rows: np.ndarray, metric: str) -> np.ndarray:
    """Larger is nearer, in the quantizer's own metric (rows as :func:`_prepared` gives)."""
    scores = rows @ centroids.T
    if metric == "euclidean":  # nearest in L2: largest 2·x·c − |c|²
        scores *= 2.0
        scores -= np.einsum("ij,ij->i", centroids, centroids)[None, :]
    return scores


def search_rows(
    plan: IvfPlan, vectors: np.ndarray, lo: int, hi: int, metric: str, inv_norms
) -> tuple[np.ndarray, np.ndarray]:
    """(indices int32, distances float32) of rows lo:hi: the index's candidates, re-ranked
    exactly (by distance, ties by row)."""
    _, found = plan.index.search(_prepared(vectors[lo:hi], metric), plan.keep + 1)
    found = _without_self(found, lo, plan.keep)
    indices = np.empty((hi - lo, plan.k), dtype=np.int32)
    distances = np.empty((hi - lo, plan.k), dtype=np.float32)
    for a, b in chunk_ranges(hi - lo, RERANK_BLOCK):
        rows = found[a:b]
        d_exact = _rerank_distances(vectors, vectors[lo + a : lo + b], rows, metric, inv_norms)
        order = np.lexsort((rows, d_exact), axis=1)[:, : plan.k]
        indices[a:b] = np.take_along_axis(rows, order, 1)
        distances[a:b] = np.take_along_axis(d_exact, order, 1)
    return indices, distances


def ivf_neighbors(
    plan: IvfPlan, vectors: np.ndarray, indices: np.ndarray, distances: np.ndarray, metric: str
) -> Neighbors:
    """The graph with its recall measured on the plan's sample of exact queries.

    A row whose visited lists held fewer than k other rows (an outlier alone in its list) has
    missing neighbours (-1 at distance inf): they are searched exactly here, so the graph is
    always full. Left missing, UMAP cut such rows off and placed them at NaN, and the analysis
    failed on them (50,000 clustered rows: 5 such rows)."""
    completed = _complete_missing(vectors, indices, distances, metric)
    truth, sample = plan.truth, plan.sample
    recall = float((indices[sample][:, :, None] == truth[:, None, :]).any(axis=2).mean())
    return Neighbors(
        indices,
        distances,
        metric,
        method="faiss IVF-SQ4",
        recall=recall,
        params={
            "nlist": plan.nlist,
            "nprobe": plan.nprobe,
            "candidates": plan.keep,
            "recall_sample": len(sample),
            "completed_exactly": completed,
        },
    )


def _complete_missing(
    vectors: np.ndarray, indices: np.ndarray, distances: np.ndarray, metric: str
) -> int:
    """Fill, in place, the lists of rows with missing neighbours by exact search (one pass
    over the vectors per block of such rows); returns how many rows."""
    rows = np.flatnonzero((indices < 0).any(axis=1))
    if not len(rows):
        return 0
    index = ExactIndex(vectors, metric)
    for lo, hi in chunk_ranges(len(rows), SEARCH_BLOCK):
        part = rows[lo:hi]
        found = index.query(vectors[part], indices.shape[1], exclude=part)
        indices[part], distances[part] = found.indices, found.distances
    return len(rows)


def _reserve_lists(faiss, index, vectors: np.ndarray, metric: str) -> Task[np.ndarray]:
    """Find every row's list and give every inverted list its final capacity before adding.

    faiss grows each list's storage by doubling, which can leave up to as much slack again as
    the codes themselves (~0.2 GB at 1M rows); sizing each list once to its final length and
    back to zero keeps the capacity and avoids that. Returns each row's list (int64, 8 bytes
    a row), so adding need not search the centroids a second time.
    """
    assigned = np.empty(len(vectors), dtype=np.int64)
    for lo, hi in chunk_ranges(len(vectors), SEARCH_BLOCK):
        _, nearest = index.quantizer.search(_prepared(vectors[lo:hi], metric), 1)
        assigned[lo:hi] = nearest[:, 0]
        yield Progress(0.05 * hi / len(vectors), "Approximate kNN: sizing the lists")
    counts = np.bincount(assigned, minlength=index.nlist)
    lists = faiss.downcast_InvertedLists(index.invlists)
    for list_no, count in enumerate(counts):
        if count:
            lists.resize(list_no, int(count))
            lists.resize(list_no, 0)
    return assigned


def _sample(n: int, seed: int) -> np.ndarray:
    return np.sort(
        np.random.default_rng(seed + 1).choice(n, size=min(RECALL_SAMPLE, n), replace=False)
    )


def _tune_nprobe(
    index,
    vectors,
    sample,
    truth,
    keep,
    metric,
    nlist,
    rerank_s: float = 0.0,
    budget_s: float | ExactGraphCost | None = None,
    projection: dict | None = None,
    start: int = 1,
) -> Task[int | None]:
    """The fewest lists per query whose candidates hold 98 % of a sample's exact neighbours.

    Starts at ``start`` lists (the fewest that :func:`_least_nprobe` allows) and doubles (each
    try is one search of the sampled rows). Stops
    early when doubling gains under 0.2 % of the neighbours: what is still missing then is
    lost to the 4-bit codes, not to the lists left unvisited, and visiting more only costs.

    Each try's search is timed and projected to every row (plus ``rerank_s``, the projected
    re-ranking) into ``projection``; None when that exceeds ``budget_s``, since visiting more
    lists only costs more, or when the next try would (foreseen from the last two), or when
    the try's first EARLY_QUERIES rows exceed it by EARLY_MARGIN.
    """
    queries = _prepared(vectors[sample], metric)
    nprobe, previous, held_before = start, start, -1.0
    scale = len(vectors) / len(queries)
    projected: dict[int, float] = {}
    while True:
        index.nprobe = nprobe
        start = time.perf_counter()
        if budget_s is not None and len(queries) > EARLY_QUERIES:
            _, head = index.search(queries[:EARLY_QUERIES], keep + 1)
            early = (time.perf_counter() - start) * len(vectors) / EARLY_QUERIES + rerank_s
            if over_budget(
                early / EARLY_MARGIN, budget_s
            ):  # far over: the rest need not be searched
                if projection is not None:
                    projection.update(approx_projected_s=round(early, 3), nprobe=nprobe)
                return None
            found = np.concatenate([head, index.search(queries[EARLY_QUERIES:], keep + 1)[1]])
        else:
            _, found = index.search(queries, keep + 1)
        projected[nprobe] = (time.perf_counter() - start) * scale + rerank_s
        held = (found[:, :, None] == truth[:, None, :]).any(axis=1).mean()
        yield Progress(0.12, f"Approximate kNN: {nprobe} lists per query hold {held:.1%}")
        gained_little = held - held_before < NPROBE_MIN_GAIN
        chosen = previous if gained_little else nprobe
        if projection is not None:
            projection.update(approx_projected_s=round(projected[chosen], 3), nprobe=chosen)
        if over_budget(projected[chosen], budget_s):
            return None
        if gained_little:
            return previous
        if held >= TARGET_CANDIDATE_RECALL or nprobe >= nlist:
            return nprobe
        following = min(2 * nprobe, nlist)
        if budget_s is not None and nprobe > previous:  # the next try's cost, foreseen
            # a search costs the centroids plus the lists visited: linear in nprobe, so the
            # last two tries foretell the next; over the budget, it need not be run
            slope = (projected[nprobe] - projected[previous]) / (nprobe - previous)
            foreseen = projected[nprobe] + max(slope, 0.0) * (following - nprobe)
            if over_budget(foreseen, budget_s):
                if projection is not None:
                    projection.update(approx_projected_s=round(foreseen, 3), nprobe=following)
                return None
        previous, held_before = nprobe, held
        nprobe = following


def _timed_rerank(vectors, sample, truth, keep, metric, inv_norms) -> float:
    """Seconds to re-rank ``keep`` candidates of each sampled row (as the search does)."""
    rows = np.resize(truth, (len(sample), keep))  # any rows of the right shape
    start = time.perf_counter()
    for a, b in chunk_ranges(len(sample), RERANK_BLOCK):
        d = _rerank_distances(vectors, vectors[sample[a:b]], rows[a:b], metric, inv_norms)
        order = np.lexsort((rows[a:b], d), axis=1)
        np.take_along_axis(rows[a:b], order, 1)
    return time.perf_counter() - start


def inverse_norms(vectors: np.ndarray) -> np.ndarray:
    out = np.empty(len(vectors), dtype=np.float32)
    for lo, hi in chunk_ranges(len(vectors), 8192):
        norms = np.linalg.norm(vectors[lo:hi], axis=1)
        out[lo:hi] = 1.0 / np.where(norms > 0, norms, 1.0)
    return out


def _rerank_distances(vectors, queries, rows, metric, inv_norms) -> np.ndarray:
    """The candidates' true distances (float32 from the original vectors; -1 rows → inf)."""
    valid = rows >= 0
    v = vectors[np.where(valid, rows, 0)]
    q = np.asarray(queries, dtype=np.float32)
    if metric == "euclidean":
        d = np.sqrt(((v - q[:, None, :]) ** 2).sum(axis=2))
    else:
        dots = np.einsum("ij,ikj->ik", q, v)
        if metric == "dot":
            d = -dots
        else:
            q_inv = 1.0 / np.maximum(np.linalg.norm(q, axis=1), 1e-30)
            d = 1.0 - dots * q_inv[:, None] * inv_norms[np.where(valid, rows, 0)]
    return np.where(valid, d, np.inf).astype(np.float32)


def _prepared(block: np.ndarray, metric: str) -> np.ndarray:
    block = np.ascontiguousarray(block, dtype=np.float32)
    if metric == "cosine":
        norms = np.linalg.norm(block, axis=1, keepdims=True)
        block = block / np.where(norms > 0, norms, 1.0)
    return block


def _train_index(faiss, sample: np.ndarray, metric: str, nlist: int, seed: int):
    d = sample.shape[1]
    faiss_metric = faiss.METRIC_L2 if metric == "euclidean" else faiss.METRIC_INNER_PRODUCT
    quantizer = faiss.IndexFlatL2(d) if metric == "euclidean" else faiss.IndexFlatIP(d)
    index = faiss.IndexIVFScalarQuantizer(
        quantizer, d, nlist, faiss.ScalarQuantizer.QT_4bit, faiss_metric
    )
    index.cp.seed = seed
    index.cp.niter = TRAIN_ITERATIONS
    # faiss prints a warning to the terminal on every run below 39 points a list (the sample
    # holds TRAIN_PER_LIST a list, fewer in a corpus smaller than that)
    index.cp.min_points_per_centroid = min(39, max(1, len(sample) // nlist))
    if metric == "cosine":  # normalise the sample (our own copy) in place: no second copy
        norms = np.sqrt(np.einsum("ij,ij->i", sample, sample))  # no squared copy of it
        sample /= np.maximum(norms, 1e-30)[:, None]
    index.train(np.ascontiguousarray(sample, dtype=np.float32))
    return index


def _without_self(found: np.ndarray, lo: int, keep: int) -> np.ndarray:
    """Drop each row's own index (or, if absent, its last candidate); -1 stays as missing."""
    n_rows = len(found)
    own = found == np.arange(lo, lo + n_rows)[:, None]
    drop = np.where(own.any(axis=1), own.argmax(axis=1), found.shape[1] - 1)
    mask = np.ones_like(found, dtype=bool)
    mask[np.arange(n_rows), drop] = False
    return found[mask].reshape(n_rows, keep).astype(np.intp)
