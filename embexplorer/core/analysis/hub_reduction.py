"""Hubness reduction: re-rank each point's neighbours by a method's score and keep the best k.

The methods and their formulas are in :mod:`hub_scores` (mutual proximity, CSLS, local scaling,
DisSimLocal, inverted softmax). This module decides which pairs are scored:

- **exact** (full re-ranking): every other row is a candidate. Each block of rows gets its
  distances to all rows, their scores and its best k, so memory stays at one block of
  ``BLOCK_BYTES`` arrays (plus one float32 copy of the vectors). The default up to
  ``exact_limit`` rows. Both it and the exact kNN graph grow as N², so their ratio does not
  depend on N (2.5–6.4× the graph: ``bench knn`` at 20,000 × 384 on 2 cores took 8.5–22 s
  against the graph's 3.4 s); 20,000 rows is where the slowest method still takes well under
  half a minute, while the candidates then keep ≥ 0.99 of the exact lists in 0.5–9 s.
- **candidates**: each row's C nearest neighbours (the kNN graph's columns, or a wider graph
  computed here). C is chosen on a random sample of rows re-ranked in full: the smallest C
  whose lists hold ``TARGET_OVERLAP`` (0.99) of the full re-ranking's members. The overlap
  then measured on that sample is reported with the result, as recall is for approximate kNN.

Ties go by score, then by the original distance, and only then by row (when both are equal):
never by row index alone, which would favour the first rows of the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from embexplorer.core.analysis import hub_scores as hs
from embexplorer.core.analysis.neighbors import MAX_GRAPH_K, Neighbors, distances_to
from embexplorer.core.memory import return_freed_memory
from embexplorer.core.tasks import Progress, Task, chunk_ranges, scaled

METHODS = ("mp", "csls", "ls", "dsl", "isoftmax")
#: Each method's variants, the first the default.
VARIANTS: dict[str, tuple[str, ...]] = {
    "mp": ("gaussian", "empirical"),
    "ls": ("standard", "nicdm"),
}
SEARCHES = ("auto", "exact", "candidates")
#: Methods that need a distance ≥ 0 (not the dot product's −x·y).
NEEDS_DISTANCE = ("ls", "dsl")
#: Up to these many rows, ``auto`` re-ranks over every row (measured: module docstring).
EXACT_MAX = 20_000
#: Empirical MP counts over a sample for each pair: full re-ranking costs N²·sample.
EXACT_MAX_EMPIRICAL = 1_024
#: C is chosen to hold this share of the sample's exact members: well above the 0.95 asked,
#: because the few far members a method brings in are what reduces hubness (at 0.95, 5,000
#: clustered rows kept 0.977 of the exact MP lists and the raw skewness, 0.36 for 0.24).
TARGET_OVERLAP = 0.99
#: Rows re-ranked in full to choose C and measure the overlap (empirical MP: fewer).
OVERLAP_SAMPLE, OVERLAP_SAMPLE_EMPIRICAL = 256, 48


@dataclass(frozen=True, eq=False)
class ReducedNeighbors:
    """The re-ranked lists; ``scores`` are the method's score (larger is nearer);
    ``params`` its provenance (method, variant, β, samples, candidates, exactness, overlap)."""

    indices: np.ndarray
    scores: np.ndarray
    method: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def exact(self) -> bool:
        return bool(self.params.get("exact", False))


def check_method(method: str, variant: str | None, metric: str) -> str:
    """The variant to use (its default when None); ValueError names what is wrong."""
    if method not in METHODS:
        raise ValueError(
            f"Unknown hubness reduction {method!r}; choose one of {', '.join(METHODS)}."
        )
    allowed = VARIANTS.get(method, ("",))
    variant = allowed[0] if variant is None or method not in VARIANTS else variant
    if variant not in allowed:
        raise ValueError(f"The {method} variant is one of {', '.join(allowed)}; got {variant!r}.")
    if method in NEEDS_DISTANCE and metric == "dot":
        raise ValueError(
            f"{method} scales distances ≥ 0; the dot product has none: choose cosine or Euclidean."
        )
    return variant


def exact_limit(method: str, variant: str) -> int:
    return EXACT_MAX_EMPIRICAL if (method, variant) == ("mp", "empirical") else EXACT_MAX


def reduce_hubness_task(
    vectors: Any,
    candidates: Neighbors,
    k: int,
    method: str,
    *,
    variant: str | None = None,
    seed: int = 0,
    beta: float | None = None,
    bank: np.ndarray | None = None,
    search: str = "auto",
) -> Task[ReducedNeighbors]:
    """Hubness-reduced k nearest neighbours of every row (see the module docstring).

    ``candidates`` is the kNN graph (≥ k columns; its first k give the local statistics).
    ``search``: ``exact``, ``candidates`` or ``auto`` (exact up to :func:`exact_limit`).
    """
    variant = check_method(method, variant, candidates.metric)
    if search not in SEARCHES:
        raise ValueError(f"search is one of {', '.join(SEARCHES)}; got {search!r}.")
    n, k = len(vectors), min(k, candidates.k)
    full = search == "exact" or (search == "auto" and n <= exact_limit(method, variant))
    scorer, info = yield from scaled(
        _scorer_task(vectors, candidates, k, method, variant, seed, beta, bank, full), 0, 0.4
    )
    info = {"method": method, "variant": variant or None, "k": k, "seed": seed, **info}
    if full:
        indices, scores = yield from scaled(_full_task(vectors, scorer, candidates, k), 0.4, 1)
        info.update(exact=True, search="exact", candidates=n - 1, overlap=1.0)
    else:
        indices, scores, found = yield from scaled(
            _candidates_task(vectors, scorer, candidates, k, method, variant, seed), 0.4, 1
        )
        info.update(exact=False, search="candidates", **found)
    del scorer  # and the per-row arrays it holds
    return_freed_memory()
    yield Progress(1.0, f"Hubness reduction ({method}) done")
    return ReducedNeighbors(indices, scores.astype(np.float32), method, info)


def _scorer_task(vectors, knn, k, method, variant, seed, beta, bank, full) -> Task[Any]:
    n, metric = len(vectors), knn.metric
    if method == "csls":
        return hs.csls(knn, k), {}
    if method == "ls":
        return hs.local_scaling(knn, k, variant), {}
    if method == "dsl":
        return (yield from hs.dissim_local_task(vectors, knn, k)), {}
    if method == "isoftmax":
        return (yield from hs.isoftmax_task(vectors, knn, beta, bank, full, seed))
    if variant == "empirical":
        sample = hs.sample_rows(n, hs.EMPIRICAL_SAMPLE, seed)
        return hs.empirical_mp(vectors, metric, sample), {"sample": len(sample)}
    every = full or metric != "euclidean" or n <= hs.FULL_STATS_MAX
    targets = None if every else hs.sample_rows(n, hs.MP_SAMPLE, seed)
    mu, sigma = yield from hs.moments_task(vectors, metric, targets)
    return hs.gaussian_mp(mu, sigma), {"sample": n - 1 if targets is None else len(targets)}


# -- full re-ranking -----------------------------------------------------------------------------
class _FullRanker:
    """Scores rows against every row, a block at a time.

    The distances of a block come from one float32 product. Only the pairs within the
    scorer's reach of each row's threshold (the k-th best score among its graph candidates,
    which the k-th best over all rows can only beat) are scored, in float64; the others
    cannot be among the best k. Scorers without a reach score every pair.
    """

    def __init__(self, vectors, scorer: hs.Scorer, knn: Neighbors):
        self.vectors, self.scorer, self.knn, self.n = vectors, scorer, knn, len(vectors)
        self.distances_from = distances_to(hs.rows_of(vectors, slice(None)), knn.metric, np.float32)
        self.block = max(1, hs.block_rows(self.n, width=4) // 2)
        if scorer.reach is None:  # every pair scored, slowly (empirical MP): a cancel waits
            self.block = min(self.block, 8)  # for one block only
        self.columns = np.arange(self.n)
        typical = np.abs(knn.distances[:, -1])
        typical = typical[np.isfinite(typical)]
        #: float32's error in a distance is ~1e-6 of the vectors' scale: 100× that, spare
        self.scale = float(typical.mean()) if len(typical) else 1.0

    def rank(self, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(indices, scores, float32 distances to all rows) of ``rows``' best k."""
        d32 = self.distances_from(hs.rows_of(self.vectors, rows))
        d32[np.arange(len(rows)), rows] = np.inf
        reach = None
        if self.scorer.reach is not None:
            reach = self.scorer.reach(rows, self._threshold(rows, k))
        within = None
        if reach is not None and np.isfinite(reach).all():
            within = d32 <= (reach + 1e-4 * (np.abs(reach) + self.scale))[:, None]
            within[np.arange(len(rows)), rows] = False
        if within is None or within.mean() > 0.25:  # scoring every pair is then faster
            d = d32.astype(np.float64)
            scores = self.scorer(rows, d, self.columns)
            scores[np.arange(len(rows)), rows] = -np.inf
            indices, kept = top_k(scores, d, self.columns, k)
            return indices, kept, d32
        r, c = np.nonzero(within)
        d = d32[r, c].astype(np.float64)
        scores = self.scorer(rows[r], d[:, None], c[:, None])[:, 0]
        indices, kept = flat_top_k(r, c, d, scores, len(rows), k)
        return indices, kept, d32

    def _threshold(self, rows: np.ndarray, k: int) -> np.ndarray:
        """The k-th best score of each row among its graph candidates (-inf: fewer than k)."""
        cols = self.knn.indices[rows]
        valid = cols >= 0
        d = self.knn.distances[rows].astype(np.float64)
        scores = np.where(valid, self.scorer(rows, d, np.maximum(cols, 0)), -np.inf)
        kk = min(k, scores.shape[1])
        return np.nan_to_num(-np.partition(-scores, kk - 1, axis=1)[:, kk - 1], nan=-np.inf)


def flat_top_k(r, c, d, scores, m: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """top_k for scored pairs (row r, column c): each of the m rows' best k (-1 beyond)."""
    order = np.lexsort((c, d, -scores, r))
    r, c, scores = r[order], c[order], scores[order]
    starts = np.searchsorted(r, np.arange(m))
    position = np.arange(len(r)) - starts[r]
    keep = position < k
    indices = np.full((m, k), -1, dtype=np.intp)
    kept = np.full((m, k), -np.inf)
    indices[r[keep], position[keep]] = c[keep]
    kept[r[keep], position[keep]] = scores[keep]
    return indices, kept


def _full_task(vectors, scorer, knn: Neighbors, k: int) -> Task[tuple[np.ndarray, np.ndarray]]:
    ranker = _FullRanker(vectors, scorer, knn)
    n = ranker.n
    indices, scores = np.empty((n, k), dtype=np.intp), np.empty((n, k))
    blocks = chunk_ranges(n, ranker.block)
    for i, (lo, hi) in enumerate(blocks):
        indices[lo:hi], scores[lo:hi], _ = ranker.rank(np.arange(lo, hi), k)
        yield Progress((i + 1) / len(blocks), f"Hubness reduction over all rows: {hi:,} of {n:,}")
    return indices, scores


def top_k(
    scores: np.ndarray, d: np.ndarray, cols: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's k best columns by score, ties by distance, then row: (rows, scores).

    ``cols`` names the column entries ((m, c) or (c,)); -inf scores are never preferred."""
    m, c = scores.shape
    kk = min(k, c)
    kth = -np.partition(-scores, kk - 1, axis=1)[:, kk - 1]
    r, j = np.nonzero(scores >= kth[:, None])  # every entry that can be among the best
    named = cols[r, j] if cols.ndim == 2 else cols[j]
    order = np.lexsort((named, d[r, j], -scores[r, j], r))
    r, j, named = r[order], j[order], named[order]
    starts = np.searchsorted(r, np.arange(m))
    keep = np.arange(len(r)) - starts[r] < kk
    return named[keep].reshape(m, kk), scores[r[keep], j[keep]].reshape(m, kk)


# -- candidate lists ----------------------------------------------------------------------------
def _candidates_task(vectors, scorer, knn: Neighbors, k, method, variant, seed) -> Task[Any]:
    """Re-rank C candidates per row; C chosen, and the overlap measured, on a sample."""
    n = len(vectors)
    size = OVERLAP_SAMPLE_EMPIRICAL if variant == "empirical" else OVERLAP_SAMPLE
    sample = hs.sample_rows(n, size, seed + 2)
    ranker = _FullRanker(vectors, scorer, knn)
    reference, ranks = np.empty((len(sample), k), dtype=np.intp), np.empty((len(sample), k))
    for lo, hi in chunk_ranges(len(sample), min(64, ranker.block)):
        reference[lo:hi], _, d = ranker.rank(sample[lo:hi], k)
        d_members = np.take_along_axis(d, reference[lo:hi], axis=1)
        for j in range(k):  # each member's position in its row's distance order
            ranks[lo:hi, j] = (d < d_members[:, j : j + 1]).sum(axis=1)
        yield Progress(0.3 * hi / len(sample), "Hubness reduction: choosing candidates")
    del ranker
    wanted = needed_candidates(ranks, k, n)
    if wanted > knn.k:
        from embexplorer.core.analysis.ann import knn_task

        how = "exact" if knn.method == "exact" else "approx"
        knn = yield from scaled(knn_task(vectors, wanted, knn.metric, how, seed=seed), 0.3, 0.7)
    width = min(wanted, knn.k)
    both_ways = _ReverseLists(knn, width)
    indices, scores = np.empty((n, k), dtype=np.intp), np.empty((n, k))
    blocks = chunk_ranges(n, hs.block_rows(width * 8))
    for i, (lo, hi) in enumerate(blocks):
        indices[lo:hi], scores[lo:hi] = both_ways.rank(scorer, lo, hi, k)
        yield Progress(0.7 + 0.3 * (i + 1) / len(blocks), f"Hubness reduction: {hi:,} of {n:,}")
    overlap = list_overlap(indices[sample], reference)
    found = {
        "candidates": width,
        "candidates_rule": "its nearest and the rows that list it among theirs",
        "overlap": overlap,
        "overlap_sample": len(sample),
    }
    return indices, scores, found


class _ReverseLists:
    """Each row's candidates: its ``width`` nearest, and every row that has it among its own
    ``width`` nearest (the scores are symmetric or nearly: a far point that a method brings
    into x's list is near enough to x in its own list; without these, a point in nobody's
    list could never be chosen, and the antihubs that the method removes would stay)."""

    def __init__(self, knn: Neighbors, width: int):
        self.knn, self.width, n = knn, width, len(knn.indices)
        targets = knn.indices[:, :width].ravel()
        order = np.argsort(targets, kind="stable")
        self.target = targets[order]
        self.source = order // width
        self.distance = knn.distances[:, :width].ravel()[order]
        self.start = np.searchsorted(self.target, np.arange(n + 1))

    def rank(self, scorer, lo: int, hi: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        width, n = self.width, len(self.knn.indices)
        forward = self.knn.indices[lo:hi, :width]
        a, b = self.start[lo], self.start[hi]
        r = np.concatenate([np.repeat(np.arange(hi - lo), width), self.target[a:b] - lo])
        c = np.concatenate([forward.ravel(), self.source[a:b]])
        d = np.concatenate([self.knn.distances[lo:hi, :width].ravel(), self.distance[a:b]])
        keep = c >= 0
        _, first = np.unique(r[keep] * n + c[keep], return_index=True)  # each pair once
        r, c, d = r[keep][first], c[keep][first], d[keep][first].astype(np.float64)
        scores = scorer(lo + r, d[:, None], c[:, None])[:, 0]
        return flat_top_k(r, c, d, scores, hi - lo, k)


def needed_candidates(ranks: np.ndarray, k: int, n: int) -> int:
    """The smallest C ≥ k whose nearest-C lists hold TARGET_OVERLAP of the members (ranks are
    the members' positions in their row's distance order), at most the graph's limit."""
    flat = np.sort(ranks.ravel())
    at = int(np.ceil(TARGET_OVERLAP * len(flat))) - 1
    return int(min(max(k, flat[max(at, 0)] + 1), MAX_GRAPH_K, n - 1))


def list_overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Mean share of each row's list in ``a`` that is also in its list in ``b``."""
    shared = [len(np.intersect1d(x[x >= 0], y)) for x, y in zip(a, b, strict=True)]
    return float(np.mean(shared) / b.shape[1]) if len(shared) else 1.0
