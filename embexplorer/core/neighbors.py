"""Nearest neighbours in the original space.

Definitions (DESIGN.md): cosine distance = 1 − cos; ``dot`` ranks by −x·y; Euclidean is the true
L2 distance. Exact search works in row blocks at BLAS speed, so memory stays bounded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from embexplorer.core.tasks import chunk_ranges

METRICS = ("cosine", "euclidean", "dot")
BLOCK_ROWS = 65536
#: Extra candidates kept by the float32 ranking, re-ranked exactly in float64.
CANDIDATE_MARGIN = 16


@dataclass(frozen=True, slots=True)
class Neighbors:
    """``indices[i]`` are the rows nearest to query i, nearest first; ``distances`` alike."""

    indices: np.ndarray
    distances: np.ndarray
    metric: str


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def query_neighbors(
    vectors: np.ndarray,
    queries: np.ndarray,
    k: int,
    metric: str = "cosine",
    exclude: np.ndarray | None = None,
) -> Neighbors:
    """Exact k nearest rows of ``vectors`` for each query (blocked over ``vectors``).

    Candidates are ranked with float32 BLAS, keeping a few more than k; their distances are
    then recomputed in float64 from the vectors themselves, and the final order (ties by row)
    comes from those. ``exclude[i]`` (optional) is a row never returned for query i.
    """
    if metric not in METRICS:
        raise ValueError(f"Unknown metric {metric!r}; choose one of {', '.join(METRICS)}.")
    queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
    n = len(vectors)
    k = int(min(k, n - (1 if exclude is not None else 0)))
    if k <= 0:
        empty = np.empty((len(queries), 0))
        return Neighbors(empty.astype(np.intp), empty.astype(np.float32), metric)
    keep = min(n, k + CANDIDATE_MARGIN)
    q = _unit(queries) if metric == "cosine" else queries
    cand_d = np.empty((len(q), 0), dtype=np.float32)
    cand_i = np.empty((len(q), 0), dtype=np.intp)
    for lo, hi in chunk_ranges(n, BLOCK_ROWS):
        d = _scores(q, vectors[lo:hi], metric)
        if exclude is not None:
            rows = np.asarray(exclude)
            inside = (rows >= lo) & (rows < hi)
            d[np.flatnonzero(inside), rows[inside] - lo] = np.inf
        cand_d = np.concatenate([cand_d, d], axis=1)
        cand_i = np.concatenate([cand_i, np.broadcast_to(np.arange(lo, hi), d.shape)], axis=1)
        if cand_d.shape[1] > keep:
            part = np.argpartition(cand_d, keep - 1, axis=1)[:, :keep]
            cand_d = np.take_along_axis(cand_d, part, axis=1)
            cand_i = np.take_along_axis(cand_i, part, axis=1)
    exact = exact_distances(vectors, queries, cand_i, metric)
    if exclude is not None:
        exact[cand_i == np.asarray(exclude)[:, None]] = np.inf
    order = np.lexsort((cand_i, exact), axis=1)[:, :k]  # by distance, ties by row
    return Neighbors(
        np.take_along_axis(cand_i, order, axis=1),
        np.take_along_axis(exact, order, axis=1).astype(np.float32),
        metric,
    )


def exact_distances(
    vectors: np.ndarray, queries: np.ndarray, rows: np.ndarray, metric: str
) -> np.ndarray:
    """Float64 distances from each query i to ``vectors[rows[i]]``, as shown to users."""
    q = queries.astype(np.float64)[:, None, :]
    v = vectors[rows].astype(np.float64)
    if metric == "euclidean":
        return np.sqrt(((v - q) ** 2).sum(axis=2))
    dots = (v * q).sum(axis=2)
    if metric == "dot":
        return -dots
    norms = np.linalg.norm(v, axis=2) * np.linalg.norm(q, axis=2)
    return 1.0 - dots / np.where(norms > 0, norms, 1.0)


def _scores(q: np.ndarray, block: np.ndarray, metric: str) -> np.ndarray:
    """Float32 ranking scores, smaller is nearer (squared L2 for Euclidean)."""
    if metric == "cosine":
        return 1.0 - q @ _unit(block).T
    dots = q @ block.T
    if metric == "dot":
        return -dots
    return (q * q).sum(axis=1)[:, None] + (block * block).sum(axis=1)[None, :] - 2.0 * dots
