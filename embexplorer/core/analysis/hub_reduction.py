"""Hubness reduction: re-rank each point's candidate neighbours by a secondary score.

Every method starts from the same candidate set (the k_c > k nearest neighbours of each point,
exact or approximate) and keeps the k best by its score; similarities are s = −distance, so
the formulas below hold for every metric (for cosine, s = cos − 1 and the constants cancel).

- ``mp``: mutual proximity (Schnitzer et al., 2012). Gaussian: each point's distances to the
  corpus are modelled as N(μ_x, σ_x²), estimated on a random sample of rows, and
  MP(x, y) = SF_x(d) · SF_y(d) with SF the survival function. Empirical: the share of sampled
  rows j with d(x, j) > d and d(y, j) > d.
- ``csls``: cross-domain similarity local scaling (Conneau et al., 2018):
  csls(x, y) = 2·s(x, y) − r(x) − r(y), r = mean similarity to the k nearest.
- ``isoftmax``: inverted softmax normalised over a bank of queries (Smith et al., 2017; DBNorm,
  "Balance Act", 2024): IS(x, y) = exp(β s(x, y)) / Σ_b exp(β s(b, y)); the bank is a sample of
  the corpus (each row left out of its own normaliser) or a separate set of query vectors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import erfc

from embexplorer.core.analysis.neighbors import Neighbors, distances_to
from embexplorer.core.memory import return_freed_memory
from embexplorer.core.tasks import Progress, Task, chunk_ranges

METHODS = ("mp", "csls", "isoftmax")
#: Rows of the corpus used to estimate each point's distance distribution (mutual proximity).
MP_SAMPLE = 512
#: Memory allowed for the empirical MP's sample-distance matrix.
MP_EMPIRICAL_BYTES = 96 << 20
#: Largest bank of queries for inverted softmax (a random sample beyond this).
BANK_SIZE = 2048
DEFAULT_BETA = 20.0
#: Rows per block of distance computations (bounds the float64 temporaries to ~35 MB each).
_BLOCK = 1024
#: Rows scored and ranked at a time (bounds the float64 score arrays to ~16 MB at 30 candidates).
SCORE_BLOCK = 65536


@dataclass(frozen=True, eq=False)
class ReducedNeighbors:
    """The re-ranked lists; ``scores`` are the method's score (larger is nearer)."""

    indices: np.ndarray
    scores: np.ndarray
    method: str
    params: dict[str, Any] = field(default_factory=dict)


def reduce_hubness_task(
    vectors: np.ndarray,
    candidates: Neighbors,
    k: int,
    method: str,
    *,
    seed: int = 0,
    mp_method: str = "gaussian",
    beta: float = DEFAULT_BETA,
    bank: np.ndarray | None = None,
) -> Task[ReducedNeighbors]:
    """Re-rank ``candidates`` (k_c ≥ k columns) with ``method`` and keep the best k.

    Each method first computes a few numbers per row (r, μ and σ, or log Z); the pairwise
    scores are then computed and ranked ``SCORE_BLOCK`` rows at a time, so memory beyond the
    candidates stays bounded whatever N is.
    """
    if method not in METHODS:
        raise ValueError(
            f"Unknown hubness reduction {method!r}; choose one of {', '.join(METHODS)}."
        )
    k = min(k, candidates.k)
    if method == "csls":
        yield Progress(0.3, "CSLS: local scaling")
        score_block, params = _csls_scorer(candidates, k), {"k": k}
    elif method == "mp":
        score_block = yield from _mp_scorer(vectors, candidates, seed, mp_method)
        params = {
            "variant": mp_method,
            "seed": seed,
            "sample": MP_SAMPLE if mp_method == "gaussian" else _empirical_sample(len(vectors)),
        }
    else:
        score_block = yield from _isoftmax_scorer(vectors, candidates, beta, bank, seed)
        params = {
            "beta": beta,
            "bank": "corpus" if bank is None else "queries",
            "bank_size": min(BANK_SIZE, len(vectors) if bank is None else len(bank)),
            "seed": seed,
        }
    n = len(candidates.indices)
    indices = np.empty((n, k), dtype=candidates.indices.dtype)
    kept = np.empty((n, k), dtype=np.float32)
    for lo, hi in chunk_ranges(n, SCORE_BLOCK):
        rows = candidates.indices[lo:hi]
        indices[lo:hi], kept[lo:hi] = _top_k(rows, score_block(lo, hi), k)
    del score_block  # and the per-row arrays it holds (μ and σ, r, log Z, MP's samples)
    return_freed_memory()
    yield Progress(1.0, f"Hubness reduction ({method}) done")
    return ReducedNeighbors(indices, kept, method, params)


def _top_k(indices: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    scores = np.where(indices >= 0, scores, -np.inf)
    order = np.lexsort((indices, -scores), axis=1)[:, :k]  # by score, ties by row
    return np.take_along_axis(indices, order, 1), np.take_along_axis(scores, order, 1)


def _similarities(candidates: Neighbors, lo: int, hi: int) -> np.ndarray:
    return -candidates.distances[lo:hi].astype(np.float64)


def csls_scores(indices: np.ndarray, sims: np.ndarray, k: int) -> np.ndarray:
    """2·s(x, y) − r(x) − r(y) for every candidate pair; r from each row's k nearest."""
    r = sims[:, :k].mean(axis=1)
    return 2.0 * sims - r[:, None] - r[indices]


def _csls_scorer(candidates: Neighbors, k: int):
    r = np.empty(len(candidates.indices))
    for lo, hi in chunk_ranges(len(r), SCORE_BLOCK):
        r[lo:hi] = _similarities(candidates, lo, hi)[:, :k].mean(axis=1)

    def score(lo: int, hi: int) -> np.ndarray:
        idx = np.maximum(candidates.indices[lo:hi], 0)
        return 2.0 * _similarities(candidates, lo, hi) - r[lo:hi, None] - r[idx]

    return score


def _sample_rows(n: int, size: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=min(size, n), replace=False))


def _empirical_sample(n: int) -> int:
    """Sampled rows per point for empirical MP: as many as MP_EMPIRICAL_BYTES allows."""
    return int(min(n, max(16, min(MP_SAMPLE, MP_EMPIRICAL_BYTES // (4 * max(n, 1))))))


def _mp_scorer(vectors, candidates: Neighbors, seed: int, variant: str) -> Task[Any]:
    if variant not in ("gaussian", "empirical"):
        raise ValueError("mp_method is 'gaussian' or 'empirical'.")
    n, metric = len(vectors), candidates.metric
    size = (
        MP_SAMPLE
        if variant == "gaussian"
        else max(16, min(MP_SAMPLE, MP_EMPIRICAL_BYTES // (4 * n)))
    )
    sample = _sample_rows(n, size, seed)
    distances_from = distances_to(vectors[sample], metric)
    mu, sigma = np.empty(n), np.empty(n)
    stored = np.empty((n, len(sample)), dtype=np.float32) if variant == "empirical" else None
    blocks = chunk_ranges(n, _BLOCK)
    for i, (lo, hi) in enumerate(blocks):
        d = distances_from(vectors[lo:hi])
        own = sample[None, :] == np.arange(lo, hi)[:, None]
        d_masked = np.ma.masked_array(d, own)  # a row's distance to itself is not a sample
        mu[lo:hi], sigma[lo:hi] = d_masked.mean(axis=1), d_masked.std(axis=1)
        if stored is not None:
            stored[lo:hi] = np.where(own, -np.inf, d)
        yield Progress(0.9 * (i + 1) / len(blocks), f"Mutual proximity: {hi:,} of {n:,} rows")
    sigma = np.where(sigma > 0, sigma, 1e-12)
    in_sample = np.zeros(n, dtype=np.int64)
    in_sample[sample] = 1

    def gaussian(lo: int, hi: int) -> np.ndarray:
        d_xy = candidates.distances[lo:hi].astype(np.float64)
        idx = np.maximum(candidates.indices[lo:hi], 0)
        sf_x = 0.5 * erfc((d_xy - mu[lo:hi, None]) / (sigma[lo:hi, None] * np.sqrt(2)))
        sf_y = 0.5 * erfc((d_xy - mu[idx]) / (sigma[idx] * np.sqrt(2)))
        return sf_x * sf_y

    def empirical(lo: int, hi: int) -> np.ndarray:
        # share of the sampled rows other than x and y that are farther from both than d(x, y)
        out = np.empty(candidates.indices[lo:hi].shape)
        for a, b in chunk_ranges(hi - lo, 256):
            d_xy = candidates.distances[lo + a : lo + b].astype(np.float64)
            idx = np.maximum(candidates.indices[lo + a : lo + b], 0)
            both = (stored[lo + a : lo + b, None, :] > d_xy[:, :, None]) & (
                stored[idx] > d_xy[:, :, None]
            )
            others = len(sample) - in_sample[lo + a : lo + b, None] - in_sample[idx]
            out[a:b] = both.sum(axis=2) / np.maximum(others, 1)
        return out

    return gaussian if variant == "gaussian" else empirical


def _logsumexp_rows(x: np.ndarray) -> np.ndarray:
    """log Σ exp over each row, overwriting ``x`` (scipy's logsumexp: 4.5× slower here)."""
    top = x.max(axis=1)
    top = np.where(np.isfinite(top), top, 0.0)  # a row of -inf gives log 0 = -inf
    x -= top[:, None]
    np.exp(x, out=x)
    with np.errstate(divide="ignore"):
        return np.log(x.sum(axis=1)) + top


def _isoftmax_scorer(
    vectors, candidates: Neighbors, beta: float, bank: np.ndarray | None, seed: int
) -> Task[Any]:
    """Scores β·s(x, y) − log Σ_b exp(β·s(b, y)): the log of the inverted softmax."""
    n, metric = len(vectors), candidates.metric
    if bank is None:
        bank_rows = _sample_rows(n, BANK_SIZE, seed)
        bank_vectors = vectors[bank_rows]
    else:
        bank_rows = None
        chosen = _sample_rows(len(bank), BANK_SIZE, seed)
        bank_vectors = np.asarray(bank, dtype=np.float32)[chosen]
    log_z = np.empty(n)
    distances_from = distances_to(bank_vectors, metric)
    blocks = chunk_ranges(n, _BLOCK)
    for i, (lo, hi) in enumerate(blocks):
        logits = distances_from(vectors[lo:hi])  # (rows y, bank b)
        logits *= -beta
        if bank_rows is not None:  # a row is not in its own normaliser
            inside = np.flatnonzero((bank_rows >= lo) & (bank_rows < hi))
            logits[bank_rows[inside] - lo, inside] = -np.inf
        log_z[lo:hi] = _logsumexp_rows(logits)
        yield Progress(0.9 * (i + 1) / len(blocks), f"Inverted softmax: {hi:,} of {n:,} rows")

    def score(lo: int, hi: int) -> np.ndarray:
        idx = np.maximum(candidates.indices[lo:hi], 0)
        return -beta * candidates.distances[lo:hi].astype(np.float64) - log_z[idx]

    return score
