"""How faithful is the 2-D map to the neighbourhoods of the original space?

- Neighbour preservation of a point = |kNN in the original space ∩ kNN in 2-D| / k.
- Trustworthiness (Venna & Kaski, 2001; scikit-learn's ``trustworthiness``): penalises points
  that are 2-D neighbours without being original-space neighbours, by how far down the original
  ranking they are. Exact up to ``TRUST_MAX_ROWS`` rows; above that it is computed on a stated,
  seeded random sample of rows (both spaces restricted to the sample).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from embexplorer.core.analysis.neighbors import distances_to
from embexplorer.core.tasks import Progress, Task, chunk_ranges

TRUST_MAX_ROWS = 10_000
#: Rows whose map neighbours are looked up at a time (bounds the temporaries whatever N is).
MAP_QUERY_ROWS = 65536
#: Rows ranked at a time for trustworthiness (~20 MB of float64 distances per block).
TRUST_BLOCK = 256


@dataclass(frozen=True)
class Trustworthiness:
    value: float
    k: int
    metric: str
    rows_used: int
    rows_total: int
    seed: int | None  # the sampling seed; None when every row was used

    @property
    def sampled(self) -> bool:
        return self.rows_used < self.rows_total

    def describe(self) -> str:
        if not np.isfinite(self.value):
            return "trustworthiness not defined (it needs at least 3 rows)"
        where = (
            f"on a random sample of {self.rows_used:,} of {self.rows_total:,} rows "
            f"(seed {self.seed})"
            if self.sampled
            else f"on all {self.rows_total:,} rows"
        )
        return f"trustworthiness {self.value:.4f} (k = {self.k}, {self.metric}, {where})"


def knn_2d(coords: np.ndarray, k: int) -> np.ndarray:
    """Each point's k nearest other points on the map (Euclidean), with a k-d tree."""
    tree, k = _tree(coords), min(k, len(coords) - 1)
    out = np.empty((len(coords), k), dtype=np.intp)
    for lo, hi in chunk_ranges(len(coords), MAP_QUERY_ROWS):
        out[lo:hi] = _map_neighbours(tree, coords, lo, hi, k)
    return out


def preservation_task(original: np.ndarray, coords: np.ndarray) -> Task[np.ndarray]:
    """Neighbour preservation of every point, given its (n, k) original-space neighbours.

    The map's neighbours are found and compared ``MAP_QUERY_ROWS`` rows at a time, so the
    whole 2-D graph is never held (at 1M rows it would be ~0.3 GB of temporaries).
    """
    n, k = original.shape
    tree = _tree(coords)
    out = np.empty(n)
    for lo, hi in chunk_ranges(n, MAP_QUERY_ROWS):
        out[lo:hi] = neighbour_preservation(
            original[lo:hi], _map_neighbours(tree, coords, lo, hi, k)
        )
        yield Progress(hi / n, f"Neighbour preservation: {hi:,} of {n:,} rows")
    return out


def _tree(coords: np.ndarray):
    from scipy.spatial import cKDTree

    return cKDTree(np.asarray(coords, dtype=np.float64))


def _map_neighbours(tree, coords: np.ndarray, lo: int, hi: int, k: int) -> np.ndarray:
    """The k nearest other points on the map of rows lo..hi (the point itself left out)."""
    _, found = tree.query(coords[lo:hi], k=k + 1, workers=-1)
    found = np.asarray(found).reshape(hi - lo, k + 1)
    is_self = found == np.arange(lo, hi)[:, None]
    # drop the point itself; when duplicates hid it, drop the farthest instead
    drop = np.where(is_self.any(axis=1), is_self.argmax(axis=1), k)
    keep = np.ones_like(found, dtype=bool)
    keep[np.arange(hi - lo), drop] = False
    return found[keep].reshape(hi - lo, k)


def neighbour_preservation(original: np.ndarray, on_map: np.ndarray) -> np.ndarray:
    """|original ∩ on_map| / k per row, for two (n, k) neighbour index arrays."""
    k = original.shape[1]
    out = np.empty(len(original))
    for lo, hi in chunk_ranges(len(original), 65536):
        same = original[lo:hi, :, None] == on_map[lo:hi, None, :]
        out[lo:hi] = same.any(axis=2).sum(axis=1) / k
    return out


def trustworthiness_task(
    vectors: np.ndarray,
    coords: np.ndarray,
    k: int,
    metric: str,
    max_rows: int = TRUST_MAX_ROWS,
    seed: int = 0,
) -> Task[Trustworthiness]:
    n_total = len(vectors)
    if n_total > max_rows:
        rows = np.sort(np.random.default_rng(seed).choice(n_total, max_rows, replace=False))
        vectors, coords = vectors[rows], coords[rows]
    n = len(vectors)
    k = min(k, (n - 1) // 2)  # the normaliser 2n − 3k − 1 must stay positive
    if k < 1:  # fewer than 3 rows: trustworthiness is not defined
        return Trustworthiness(
            value=float("nan"), k=0, metric=metric, rows_used=n, rows_total=n_total, seed=None
        )
    embedded = knn_2d(coords, k)
    distances_from = distances_to(vectors, metric)  # the sample, converted once
    penalty = 0.0
    blocks = chunk_ranges(n, TRUST_BLOCK)
    for i, (lo, hi) in enumerate(blocks):
        d = distances_from(vectors[lo:hi])
        d[np.arange(hi - lo), np.arange(lo, hi)] = np.inf
        ordered = np.sort(d, axis=1)
        for r in range(hi - lo):
            # rank of each 2-D neighbour in the original ordering (1 = nearest)
            ranks = np.searchsorted(ordered[r], d[r, embedded[lo + r]], side="left") + 1
            penalty += np.sum(np.maximum(ranks - k, 0))
        yield Progress((i + 1) / len(blocks), f"Trustworthiness: {hi:,} of {n:,} rows")
    value = 1.0 - penalty * 2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0))
    return Trustworthiness(
        value=float(value),
        k=k,
        metric=metric,
        rows_used=n,
        rows_total=n_total,
        seed=seed if n < n_total else None,
    )
