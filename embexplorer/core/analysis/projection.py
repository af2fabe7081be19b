"""2-D projections of the vectors. PCA first: exact, deterministic, and fast enough to be instant.

Every projection is a task (a generator yielding :class:`~embexplorer.core.tasks.Progress`) that
returns a :class:`Projection`, so the GUI can run it on its worker and cancel it between chunks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from embexplorer.core.tasks import Progress, Task, chunk_ranges

#: Rows per chunk: bounds the float64 working copy to chunk × D × 8 bytes (~25 MB at D=384).
CHUNK_ROWS = 8192
#: Above this many dimensions the D × D scatter matrix (D² × 8 bytes: 128 MB here, 2 GB at
#: 16,384, 75 GB at 100,000) is not formed: the top components come from a chunked subspace
#: iteration that holds D × (c + 10) numbers.
WIDE_DIMS = 4096
#: Subspace iterations for wide vectors; each is one pass over the data. The error in a
#: component shrinks like (λ_{c+11} / λ_c)^iterations.
WIDE_ITERATIONS = 12


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
        return apply_linear_map(np.atleast_2d(vectors), mean, components, 2)


def fit_pca_task(
    vectors: np.ndarray, n_components: int, chunk_rows: int = CHUNK_ROWS
) -> Task[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(mean, components (D × c), explained variance ratios) of an exact, chunked PCA.

    Two passes over the data (mean, then the centred scatter matrix in float64) and an
    eigendecomposition of the D × D matrix. The sign of each component is fixed (its
    largest-magnitude loading positive), so results are deterministic.
    """
    n, d = vectors.shape
    chunks = chunk_ranges(n, chunk_rows)
    wide = d > WIDE_DIMS
    steps = len(chunks) * (1 + (WIDE_ITERATIONS + 1 if wide else 1)) + 1
    mean = np.zeros(d, dtype=np.float64)
    for i, (lo, hi) in enumerate(chunks):
        mean += vectors[lo:hi].sum(axis=0, dtype=np.float64)
        yield Progress((i + 1) / steps, "PCA: mean")
    mean /= max(n, 1)
    if wide:
        found = yield from _wide_components(vectors, mean, n_components, chunks, steps)
        return (mean, *found)
    scatter = np.zeros((d, d), dtype=np.float64)
    for i, (lo, hi) in enumerate(chunks):
        block = vectors[lo:hi].astype(np.float64)
        block -= mean  # in place: one float64 copy of the chunk, not two
        scatter += block.T @ block
        yield Progress((len(chunks) + i + 1) / steps, "PCA: covariance")
    components, explained = _top_components(scatter, n, k=n_components)
    return mean, components, explained


def _wide_components(
    vectors: np.ndarray, mean: np.ndarray, k: int, chunks: list, steps: int
) -> Task[tuple[np.ndarray, np.ndarray]]:
    """Top-k components of the centred data by subspace iteration (Halko et al. 2011, alg. 4.4),
    one chunked pass per iteration, never forming the D × D matrix. Seeded: deterministic."""
    d = len(mean)
    width = min(d, k + 10)
    basis = np.random.default_rng(0).standard_normal((d, width))
    total = 0.0  # trace of the scatter matrix: the total variance, for the explained ratios
    done = len(chunks)
    for iteration in range(WIDE_ITERATIONS + 1):
        basis, _ = np.linalg.qr(basis)
        product = np.zeros((d, width))
        small = np.zeros((width, width))
        for lo, hi in chunks:
            block = vectors[lo:hi].astype(np.float64)
            block -= mean
            projected = block @ basis
            if iteration == WIDE_ITERATIONS:
                small += projected.T @ projected
                total += float(np.einsum("ij,ij->", block, block))
            else:
                product += block.T @ projected
            done += 1
            yield Progress(done / steps, "PCA: wide vectors")
        if iteration < WIDE_ITERATIONS:
            basis = product
    eigvals, eigvecs = np.linalg.eigh(small)
    order = np.argsort(eigvals)[::-1][:k]
    components = _fix_signs(basis @ eigvecs[:, order])
    eigvals = np.clip(eigvals[order], 0.0, None)
    return components, (eigvals / total if total > 0 else np.zeros_like(eigvals))


def apply_linear_map(
    vectors: np.ndarray,
    mean: np.ndarray,
    components: np.ndarray,
    width: int,
    chunk_rows: int = CHUNK_ROWS,
) -> np.ndarray:
    """(vectors − mean) · components as float32, chunked, zero-padded to ``width`` columns."""
    out = np.zeros((len(vectors), width), dtype=np.float32)
    k = components.shape[1]  # fewer than width when the vectors have fewer dimensions
    for lo, hi in chunk_ranges(len(vectors), chunk_rows):
        block = vectors[lo:hi].astype(np.float64)
        block -= mean
        out[lo:hi, :k] = block @ components
    return out


def pca_task(vectors: np.ndarray, chunk_rows: int = CHUNK_ROWS) -> Task[Projection]:
    """Exact PCA to 2-D, chunked (memory bounded, works on memory-mapped arrays)."""
    mean, components, explained = yield from fit_pca_task(vectors, 2, chunk_rows)
    coords = apply_linear_map(vectors, mean, components, 2, chunk_rows)
    yield Progress(1.0, "PCA: done")
    return Projection(
        coords=coords,
        method="pca",
        params={"explained_variance_ratio": explained.tolist()},
        linear_map=(mean, components),
    )


def top_components_task(vectors: np.ndarray, dims: int) -> Task[np.ndarray]:
    """The vectors reduced to their top ``dims`` principal components (float32)."""
    mean, components, _ = yield from fit_pca_task(vectors, dims)
    return apply_linear_map(vectors, mean, components, min(dims, vectors.shape[1]))


def _top_components(scatter: np.ndarray, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    eigvals, eigvecs = np.linalg.eigh(scatter)
    order = np.argsort(eigvals)[::-1][:k]
    eigvals = np.clip(eigvals[order], 0.0, None)
    components = _fix_signs(eigvecs[:, order])
    total = float(np.clip(np.trace(scatter), 0.0, None))
    explained = eigvals / total if total > 0 else np.zeros_like(eigvals)
    return components, explained


def _fix_signs(components: np.ndarray) -> np.ndarray:
    """Each component's largest-magnitude loading made positive (a deterministic sign)."""
    signs = np.sign(components[np.abs(components).argmax(axis=0), range(components.shape[1])])
    return components * np.where(signs == 0, 1.0, signs)


PROJECTIONS = ("auto", "pca", "tsne", "umap")
#: ``auto`` is UMAP (on the analysis's kNN graph) up to this many rows, PCA above. Measured on
#: 2 cores, the machine busy: UMAP's optimiser took 28 s on 20,000 × 384 rows and 83 s on
#: 50,000 (it grows a little faster than the rows); past 100,000 the wait is minutes, too long
#: to start unasked: the user chooses UMAP then.
AUTO_LAYOUT_MAX_ROWS = 100_000


def resolve_projection(method: str, n_rows: int) -> str:
    """The layout ``method`` stands for on ``n_rows`` rows (``auto``: UMAP or PCA)."""
    if method != "auto":
        return method
    return "umap" if n_rows <= AUTO_LAYOUT_MAX_ROWS else "pca"


def projection_task(
    vectors: np.ndarray,
    method: str = "pca",
    seed: int = 0,
    metric: str = "cosine",
    graph=None,
) -> Task[Projection]:
    """Dispatch to the projection named ``method`` (auto, pca, tsne or umap); the non-linear
    layouts use ``graph`` (the analysis's kNN graph) when its metric fits."""
    method = resolve_projection(method, len(vectors))
    if method == "pca":
        return (yield from pca_task(vectors))
    if method in ("tsne", "umap"):
        from embexplorer.core.analysis import layouts

        run = layouts.tsne_task if method == "tsne" else layouts.umap_task
        return (yield from run(vectors, seed=seed, metric=metric, graph=graph))
    raise ValueError(f"Unknown projection {method!r}; choose one of {', '.join(PROJECTIONS)}.")
