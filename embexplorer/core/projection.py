"""2-D projections of the vectors. PCA first: exact, deterministic, and fast enough to be instant.

Every projection is a task (a generator yielding :class:`~embexplorer.core.tasks.Progress`) that
returns a :class:`Projection`, so the GUI can run it on its worker and cancel it between chunks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from embexplorer.core.tasks import Progress, Task, chunk_ranges

#: Rows per chunk: bounds the float64 working copy to chunk × D × 8 bytes (~200 MB at D=384).
CHUNK_ROWS = 65536


@dataclass(frozen=True, eq=False)
class Projection:
    """``coords`` is (N, 2) float32; ``params`` records everything needed to reproduce it."""

    coords: np.ndarray
    method: str
    params: dict[str, Any] = field(default_factory=dict)
    #: (mean, components) when the projection is linear (PCA): new vectors can be placed
    linear_map: tuple[np.ndarray, np.ndarray] | None = None

    def transform(self, vectors: np.ndarray) -> np.ndarray | None:
        """2-D positions of new vectors (a typed query), or None when the method cannot."""
        if self.linear_map is None:
            return None
        mean, components = self.linear_map
        out = np.zeros((len(vectors), 2), dtype=np.float32)
        out[:, : components.shape[1]] = (np.asarray(vectors, np.float64) - mean) @ components
        return out


def pca_task(vectors: np.ndarray, chunk_rows: int = CHUNK_ROWS) -> Task[Projection]:
    """Exact PCA to 2-D, computed in chunks (memory bounded, works on memory-mapped arrays).

    Two passes over the data (mean, then the centred scatter matrix in float64), an
    eigendecomposition of the D × D matrix, and a third pass projecting each chunk. The sign of
    each component is fixed (largest-magnitude loading positive) so results are deterministic.
    """
    n, d = vectors.shape
    chunks = chunk_ranges(n, chunk_rows)
    steps = 2 * len(chunks) + 1
    mean = np.zeros(d, dtype=np.float64)
    for i, (lo, hi) in enumerate(chunks):
        mean += vectors[lo:hi].sum(axis=0, dtype=np.float64)
        yield Progress((i + 1) / steps, "PCA: mean")
    mean /= max(n, 1)
    scatter = np.zeros((d, d), dtype=np.float64)
    for i, (lo, hi) in enumerate(chunks):
        block = vectors[lo:hi].astype(np.float64) - mean
        scatter += block.T @ block
        yield Progress((len(chunks) + i + 1) / steps, "PCA: covariance")
    components, explained = _top_components(scatter, n, k=2)
    coords = np.zeros((n, 2), dtype=np.float32)
    k = components.shape[1]  # 1 when the vectors have a single dimension
    for lo, hi in chunks:
        coords[lo:hi, :k] = (vectors[lo:hi].astype(np.float64) - mean) @ components
    yield Progress(1.0, "PCA: done")
    return Projection(
        coords=coords,
        method="pca",
        params={"explained_variance_ratio": explained.tolist()},
        linear_map=(mean, components),
    )


def _top_components(scatter: np.ndarray, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    eigvals, eigvecs = np.linalg.eigh(scatter)
    order = np.argsort(eigvals)[::-1][:k]
    eigvals = np.clip(eigvals[order], 0.0, None)
    components = eigvecs[:, order]
    signs = np.sign(components[np.abs(components).argmax(axis=0), range(components.shape[1])])
    components = components * np.where(signs == 0, 1.0, signs)
    total = float(np.clip(np.trace(scatter), 0.0, None))
    explained = eigvals / total if total > 0 else np.zeros_like(eigvals)
    return components, explained


def projection_task(vectors: np.ndarray, method: str = "pca", **params: Any) -> Task[Projection]:
    """Dispatch to the projection named ``method``."""
    if method == "pca":
        return (yield from pca_task(vectors, **params))
    raise ValueError(
        f"Unknown projection {method!r}; available: pca. (t-SNE and UMAP are not built yet.)"
    )
