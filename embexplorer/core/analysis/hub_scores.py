"""The hubness reductions' scores: each method's per-point numbers and its score of a pair.

A scorer is ``score(rows, d, cols) -> (m, c)``: the score of query rows ``rows`` (m,) against
the rows ``cols`` ((m, c), or (c,) shared by all), given their original distances ``d``
((m, c), float64, DESIGN.md's distances); larger is nearer. The same scorer serves the full
re-ranking (every row a candidate) and the re-ranking of candidate lists, so the two differ
only in which pairs they score. Formulas (d the distance, s a similarity, k the analysis k):

- mutual proximity (Schnitzer et al., 2012), Gaussian: MP(x, y) = SF_x(d)·SF_y(d), SF the
  survival function of N(μ, σ²) fitted to each point's distances to the others (population σ,
  as scikit-hubness); the score is log MP. μ and σ over every other row: in closed form for
  cosine, dot and Hamming (sums of the rows and of their outer products: O(N·D²)), by a pass
  over every pair for Euclidean. (Estimated on a sample they moved near neighbours' log SF far
  enough to keep the raw lists: 0.955 overlap with the exact lists at 5,000 rows, no
  reduction.) Empirical: the share of the points j ≠ x, y with d(x, j) > d and d(y, j) > d,
  counted on a fixed random sample of ``EMPIRICAL_SAMPLE`` rows (every row when
  N is smaller: then it is the exact count). The sample never shrinks with N: the rows'
  distances to it are kept while they fit in ``EMPIRICAL_STORE_BYTES``, else computed when
  needed. Its counts tie often; the ties go by distance (hub_reduction), never by row.
- CSLS (Conneau et al., 2018): 2·s − r_x − r_y, s = −d, r = mean s to the k nearest.
- local scaling (Schnitzer et al., 2012), standard: LS = exp(−d² / (σ_x σ_y)), σ = the distance
  to the k-th nearest neighbour; the score is its logarithm −d² / (σ_x σ_y) (same order, no
  underflow). NICDM: d / √(μ_x μ_y), μ = the mean distance to the k nearest; score −that.
- DisSimLocal (Hara et al., 2016): ‖x − y‖² − ‖x − c_x‖² − ‖y − c_y‖², c = the centroid of a
  point's k nearest neighbours, in the space the metric sees (unit vectors for cosine, where
  ‖x − y‖² = 2d; ±1 rows for Hamming, where ‖x − y‖² = 4d); score −that.
- inverted softmax (Smith et al., 2017): IS(x, y) = exp(β s) / Σ_b exp(β s(b, y)) over a bank
  of queries b (the corpus, each row left out of its own normaliser, or separate queries),
  with s a similarity: cos for cosine, −d² for Euclidean, x·y for dot, −Hamming. β, unless
  given: ln B / g, g the median over rows of (s to its nearest neighbour − median s to the
  bank): the temperature at which a row's nearest neighbour weighs as much in its normaliser
  as the B bank rows at the typical similarity, so the same rule fits every metric and scale.
  The score is log IS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import log_ndtr, ndtri_exp

from embexplorer.core.analysis.neighbors import Neighbors, distances_to
from embexplorer.core.tasks import Progress, Task, chunk_ranges


@dataclass(frozen=True, eq=False)
class Scorer:
    """``score(rows, d, cols)`` (module docstring); ``reach(rows, t)``: the largest distance
    at which a pair of each row can still score ≥ t (its score falls as d grows, and is
    bounded by the most favourable per-point number of any y), so that a full re-ranking need
    not score the pairs beyond; None when there is no such bound."""

    score: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
    reach: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None

    def __call__(self, rows: np.ndarray, d: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return self.score(rows, d, cols)


def _root(x: np.ndarray) -> np.ndarray:
    return np.sqrt(np.maximum(x, 0.0))


#: Gaussian MP's μ and σ over every row up to this many (Euclidean: a pass over every pair;
#: other metrics: always, in closed form); above, over a sample of MP_SAMPLE rows.
FULL_STATS_MAX = 200_000
MP_SAMPLE = 2048
#: Rows against which empirical MP counts (fixed: the count's resolution never drops with N).
EMPIRICAL_SAMPLE = 1024
#: Memory for every row's float32 distances to the empirical sample (up to 131,072 rows;
#: beyond, computed when needed: at 100,000 rows that took 678 s of the 10-NN lists' 700 s).
EMPIRICAL_STORE_BYTES = 512 << 20
#: Inverted softmax normalises over the whole bank up to this many rows (one pass over every
#: pair, about two exact kNN graphs: a sampled normaliser misses the few nearest terms that
#: dominate it, and changed 30 % of the lists in a measurement at 3,000 rows); above, over a
#: random sample of BANK_SIZE rows.
FULL_BANK_MAX = 200_000
BANK_SIZE = 2048
#: Rows per block of distance computations (bounds the float64 temporaries).
BLOCK_BYTES = 64 << 20


def rows_of(vectors: Any, rows: np.ndarray | slice) -> np.ndarray:
    """Float32 rows of ``vectors`` (an array or decoded codes)."""
    return np.asarray(vectors[rows], dtype=np.float32)


def block_rows(n_columns: int, width: int = 8) -> int:
    """Rows per block so that a (rows, n_columns) float64 array stays within BLOCK_BYTES."""
    return int(max(16, min(4096, BLOCK_BYTES // (width * max(n_columns, 1)))))


def sample_rows(n: int, size: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=min(size, n), replace=False))


def _gather(stat: np.ndarray, cols: np.ndarray) -> np.ndarray:
    return stat[cols] if cols.ndim == 2 else stat[cols][None, :]


# -- mutual proximity ---------------------------------------------------------------------------
def moments_task(vectors, metric: str, targets: np.ndarray | None) -> Task[Any]:
    """(μ, σ) of each row's distances to ``targets`` (rows; None: every row), itself left out."""
    n = len(vectors)
    if targets is None and metric != "euclidean":
        return (yield from _closed_form_moments(vectors, metric))
    target_rows = np.arange(n) if targets is None else targets
    distances_from = distances_to(rows_of(vectors, target_rows), metric, np.float32)
    mu, sigma = np.empty(n), np.empty(n)
    blocks = chunk_ranges(n, block_rows(len(target_rows)) // 2)
    for i, (lo, hi) in enumerate(blocks):
        d = distances_from(rows_of(vectors, slice(lo, hi))).astype(np.float64)
        own = target_rows[None, :] == np.arange(lo, hi)[:, None]
        count = len(target_rows) - own.sum(axis=1)
        d[own] = 0.0
        mu[lo:hi] = d.sum(axis=1) / np.maximum(count, 1)
        d -= mu[lo:hi, None]
        d[own] = 0.0
        sigma[lo:hi] = np.sqrt(np.einsum("ij,ij->i", d, d) / np.maximum(count, 1))
        yield Progress((i + 1) / len(blocks), f"Mutual proximity: {hi:,} of {n:,} rows")
    return mu, np.where(sigma > 0, sigma, 1e-12)


def _closed_form_moments(vectors, metric: str) -> Task[Any]:
    """μ, σ of every row's distances to all others when d is affine in x·j (cosine on unit
    rows, dot, Hamming on ±1 rows): from S = Σ j and M = Σ j jᵀ, Σ_j d and Σ_j d² are
    affine in x·S and xᵀ M x."""
    n, dim = len(vectors), vectors.shape[1]
    total, second = np.zeros(dim), np.zeros((dim, dim))
    blocks = chunk_ranges(n, max(16, block_rows(dim) // 4))
    for lo, hi in blocks:
        v = _unit_rows(rows_of(vectors, slice(lo, hi)), metric)
        total += v.sum(axis=0)
        second += v.T @ v
    yield Progress(0.5, "Mutual proximity: sums of the rows")
    mu, sigma = np.empty(n), np.empty(n)
    for lo, hi in blocks:
        v = _unit_rows(rows_of(vectors, slice(lo, hi)), metric)
        a, q, own = v @ total, np.einsum("ij,ij->i", v @ second, v), np.einsum("ij,ij->i", v, v)
        if metric == "cosine":  # d = 1 − x·j; d(x, x) = 1 − ‖x‖² (0, or 1 for a zero row)
            s1, s2, d_self = n - a, n - 2 * a + q, 1.0 - own
        elif metric == "dot":  # d = −x·j
            s1, s2, d_self = -a, q, -own
        else:  # Hamming on ±1 rows: d = (D − x·j) / 2
            s1, s2, d_self = (n * dim - a) / 2, (n * dim**2 - 2 * dim * a + q) / 4, (dim - own) / 2
        mu[lo:hi] = (s1 - d_self) / (n - 1)
        sigma[lo:hi] = np.sqrt(np.maximum((s2 - d_self**2) / (n - 1) - mu[lo:hi] ** 2, 0.0))
    yield Progress(1.0, "Mutual proximity: μ and σ")
    return mu, np.where(sigma > 0, sigma, 1e-12)


def _unit_rows(x: np.ndarray, metric: str) -> np.ndarray:
    x = x.astype(np.float64)
    if metric == "cosine":
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        x /= np.where(norms > 0, norms, 1.0)
    return x


def gaussian_mp(mu: np.ndarray, sigma: np.ndarray) -> Scorer:
    """log MP = log SF_x(d) + log SF_y(d), in log space: near neighbours have SF within 1e-16
    of 1, where a product rounds to 1.0 and every such pair would tie (the lists would be the
    raw ones, whatever μ and σ say)."""

    def score(rows, d, cols):
        z_x = (d - mu[rows, None]) / sigma[rows, None]
        return log_ndtr(-z_x) + log_ndtr(-(d - _gather(mu, cols)) / _gather(sigma, cols))

    def reach(rows, t):  # log MP ≤ log SF_x(d) = log Φ(−z_x)
        return mu[rows] - sigma[rows] * ndtri_exp(np.minimum(t, 0.0))

    return Scorer(score, reach)


def empirical_mp(vectors, metric: str, sample: np.ndarray) -> Scorer:
    distances_from = distances_to(rows_of(vectors, sample), metric)
    in_sample = np.zeros(len(vectors), dtype=np.int64)
    in_sample[sample] = 1

    def compute(rows: np.ndarray) -> np.ndarray:
        d = distances_from(rows_of(vectors, rows))
        d[rows[:, None] == sample[None, :]] = -np.inf  # a row is not its own sample point
        return d

    stored = None
    if len(vectors) * len(sample) * 4 <= EMPIRICAL_STORE_BYTES:  # every row's, once
        stored = np.empty((len(vectors), len(sample)), dtype=np.float32)
        for lo, hi in chunk_ranges(len(vectors), block_rows(len(sample))):
            stored[lo:hi] = compute(np.arange(lo, hi))

    def to_sample(rows: np.ndarray) -> np.ndarray:
        return stored[rows] if stored is not None else compute(rows)

    def score(rows, d, cols):
        out = np.empty(d.shape)
        if cols.ndim == 1:  # rows against the same columns: each column's sample distances once
            dx = to_sample(rows)
            for lo, hi in chunk_ranges(len(cols), 2048):
                dy = to_sample(cols[lo:hi])
                for a in range(len(rows)):
                    dd = d[a, lo:hi, None]
                    out[a, lo:hi] = ((dx[a][None, :] > dd) & (dy > dd)).sum(axis=1)
        else:
            for a, b in chunk_ranges(len(rows), max(1, 2048 // max(cols.shape[1], 1))):
                once, where = np.unique(rows[a:b], return_inverse=True)  # pairs share rows
                dx = to_sample(once)[where]
                dy = to_sample(cols[a:b].ravel()).reshape(*cols[a:b].shape, -1)
                dd = d[a:b, :, None]
                out[a:b] = ((dx[:, None, :] > dd) & (dy > dd)).sum(axis=2)
        others = len(sample) - in_sample[rows][:, None] - _gather(in_sample, cols)
        return out / np.maximum(others, 1)

    return Scorer(score)


# -- from the k nearest neighbours ---------------------------------------------------------------
def csls(knn: Neighbors, k: int) -> Scorer:
    r = -knn.distances[:, :k].astype(np.float64).mean(axis=1)

    def score(rows, d, cols):
        return -2.0 * d - r[rows, None] - _gather(r, cols)

    return Scorer(score, lambda rows, t: -(t + r[rows] + r.min()) / 2.0)


def local_scaling(knn: Neighbors, k: int, variant: str) -> Scorer:
    d_k = knn.distances[:, :k].astype(np.float64)
    if variant == "nicdm":
        mu = np.maximum(d_k.mean(axis=1), 1e-12)
        return Scorer(
            lambda rows, d, cols: -d / np.sqrt(mu[rows, None] * _gather(mu, cols)),
            lambda rows, t: -t * np.sqrt(mu[rows] * mu.max()),
        )
    sigma = np.maximum(d_k[:, -1], 1e-12)
    return Scorer(
        lambda rows, d, cols: -(d**2) / (sigma[rows, None] * _gather(sigma, cols)),
        lambda rows, t: _root(-t * sigma[rows] * sigma.max()),
    )


def dissim_local_task(vectors, knn: Neighbors, k: int) -> Task[Scorer]:
    """DisSimLocal's ‖x − c_x‖² per row, c_x the centroid of its k nearest (metric's space)."""
    n, metric = len(vectors), knn.metric
    spread = np.empty(n)
    blocks = chunk_ranges(n, max(16, block_rows(k * vectors.shape[1]) // 2))
    for i, (lo, hi) in enumerate(blocks):
        x = _dsl_space(rows_of(vectors, slice(lo, hi)), metric)
        nn = knn.indices[lo:hi, :k]
        centroid = _dsl_space(rows_of(vectors, nn.ravel()), metric).reshape(*nn.shape, -1)
        diff = x - centroid.mean(axis=1)
        spread[lo:hi] = np.einsum("ij,ij->i", diff, diff)
        yield Progress((i + 1) / len(blocks), f"DisSimLocal: {hi:,} of {n:,} rows")
    factor = {"cosine": 2.0, "hamming": 4.0}.get(metric)

    def score(rows, d, cols):
        squared = d * factor if factor is not None else d**2
        return -(squared - spread[rows, None] - _gather(spread, cols))

    def reach(rows, t):
        squared = -t + spread[rows] + spread.max()
        return squared / factor if factor is not None else _root(squared)

    return Scorer(score, reach)


def _dsl_space(x: np.ndarray, metric: str) -> np.ndarray:
    x = x.astype(np.float64)
    if metric == "cosine":
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        x /= np.where(norms > 0, norms, 1.0)
    return x


# -- inverted softmax -----------------------------------------------------------------------------
def similarity(d: np.ndarray, metric: str) -> np.ndarray:
    """Inverted softmax's similarity from a distance: cos, −d² (Euclidean), x·y, −Hamming."""
    if metric == "cosine":
        return 1.0 - d
    return -(d**2) if metric == "euclidean" else -d


def _logsumexp_rows(x: np.ndarray) -> np.ndarray:
    """log Σ exp over each row, overwriting ``x`` (scipy's logsumexp: 4.5× slower here)."""
    top = x.max(axis=1)
    top = np.where(np.isfinite(top), top, 0.0)  # a row of -inf gives log 0 = -inf
    x -= top[:, None]
    np.exp(x, out=x)
    with np.errstate(divide="ignore"):
        return np.log(x.sum(axis=1)) + top


def auto_beta(vectors, knn: Neighbors, bank_vectors: np.ndarray, seed: int) -> float:
    """ln B / the median gap between a row's nearest-neighbour similarity and its median
    similarity to the bank (on up to 512 rows): the documented rule of the module."""
    metric = knn.metric
    rows = sample_rows(len(vectors), 512, seed + 1)
    to_bank = similarity(distances_to(bank_vectors, metric)(rows_of(vectors, rows)), metric)
    nearest = similarity(knn.distances[rows, 0].astype(np.float64), metric)
    gap = float(np.median(nearest - np.median(to_bank, axis=1)))
    return float(np.log(max(len(bank_vectors), 2)) / gap) if gap > 0 else 1.0


def isoftmax_task(
    vectors, knn: Neighbors, beta: float | None, bank: np.ndarray | None, full: bool, seed: int
) -> Task[tuple[Scorer, dict[str, Any]]]:
    """The scorer and its provenance (β, how chosen, the bank and its size)."""
    n, metric = len(vectors), knn.metric
    source = vectors if bank is None else np.asarray(bank, dtype=np.float32)
    whole = full or len(source) <= FULL_BANK_MAX
    chosen = np.arange(len(source)) if whole else sample_rows(len(source), BANK_SIZE, seed)
    bank_vectors = rows_of(source, chosen)
    rule = "given" if beta is not None else "auto"
    if beta is None:
        some = sample_rows(len(bank_vectors), BANK_SIZE, seed)
        beta = auto_beta(vectors, knn, bank_vectors[some], seed)
    log_z = np.empty(n)
    distances_from = distances_to(bank_vectors, metric, np.float32)
    blocks = chunk_ranges(n, block_rows(len(chosen)) // 2)
    for i, (lo, hi) in enumerate(blocks):
        d = distances_from(rows_of(vectors, slice(lo, hi))).astype(np.float64)
        logits = similarity(d, metric)
        logits *= beta
        if bank is None:  # a row is not in its own normaliser
            inside = np.flatnonzero((chosen >= lo) & (chosen < hi))
            logits[chosen[inside] - lo, inside] = -np.inf
        log_z[lo:hi] = _logsumexp_rows(logits)
        yield Progress((i + 1) / len(blocks), f"Inverted softmax: {hi:,} of {n:,} rows")

    def score(rows, d, cols):
        return beta * similarity(d, metric) - _gather(log_z, cols)

    def reach(rows, t):  # the distance whose similarity is (t + min log Z) / β
        s = (t + log_z[np.isfinite(log_z)].min(initial=0.0)) / beta
        if metric == "cosine":
            return 1.0 - s
        return _root(-s) if metric == "euclidean" else -s

    info = {
        "beta": beta,
        "beta_rule": rule,
        "bank": "corpus" if bank is None else "queries",
        "bank_size": len(chosen),
    }
    return Scorer(score, reach), info
