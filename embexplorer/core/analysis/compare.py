"""Compare embeddings of the same rows: which neighbourhoods break (DESIGN.md).

- For a pair A, B: the overlap of a point is |kNN_A ∩ kNN_B| / k, each graph exact in its own
  metric with the point itself excluded; with it the mean and median overlap, each point's N_k
  and hub status in A and in B, and the points ranked by how much their neighbourhood changed.
- A stability sweep of one embedding: for each variant (``truncate:D``, ``int8``, ``binary``)
  the recall of its exact kNN against the full-precision exact kNN (the mean overlap),
  the skewness of its N_k, its bytes per vector and the seconds its kNN took.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from embexplorer.core.analysis.hubness import Hubness, hubness
from embexplorer.core.analysis.neighbors import Neighbors
from embexplorer.core.embedding.variants import (
    VariantSpec,
    binarize,
    parse_variant,
    quantize_int8,
    truncate,
)
from embexplorer.core.tasks import Progress, Task, chunk_ranges, scaled

#: Rows whose lists are intersected at a time (bounds the N × k × k comparison).
OVERLAP_CHUNK = 65_536


def overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per row, the share of ``a``'s k neighbours that are also in ``b``'s (both (N, k))."""
    k = a.shape[1]
    out = np.empty(len(a), dtype=np.float64)
    for lo, hi in chunk_ranges(len(a), OVERLAP_CHUNK):
        common = (a[lo:hi, :, None] == b[lo:hi, None, :]).any(axis=2).sum(axis=1)
        out[lo:hi] = common / k
    return out


@dataclass(frozen=True, eq=False)
class Comparison:
    """Embeddings A and B of the same rows, compared at k."""

    k: int
    metric_a: str
    metric_b: str
    knn_a: Neighbors
    knn_b: Neighbors
    overlap: np.ndarray  # (N,) in [0, 1]
    hubness_a: Hubness
    hubness_b: Hubness
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def mean_overlap(self) -> float:
        return float(self.overlap.mean())

    @property
    def median_overlap(self) -> float:
        return float(np.median(self.overlap))

    def most_changed(self) -> np.ndarray:
        """Rows from the least overlap up; among equal overlaps, the largest change of N_k."""
        change = np.abs(self.hubness_b.k_occurrence - self.hubness_a.k_occurrence)
        return np.lexsort((np.arange(len(self.overlap)), -change, self.overlap))

    @property
    def became_hubs(self) -> np.ndarray:
        return np.flatnonzero(self.hubness_b.hubs & ~self.hubness_a.hubs)

    @property
    def stopped_being_hubs(self) -> np.ndarray:
        return np.flatnonzero(self.hubness_a.hubs & ~self.hubness_b.hubs)

    def summary(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "metric_a": self.metric_a,
            "metric_b": self.metric_b,
            "mean_overlap": self.mean_overlap,
            "median_overlap": self.median_overlap,
            "skewness_a": self.hubness_a.skewness,
            "skewness_b": self.hubness_b.skewness,
            "n_hubs_a": int(self.hubness_a.hubs.sum()),
            "n_hubs_b": int(self.hubness_b.hubs.sum()),
            "became_hubs": len(self.became_hubs),
            "stopped_being_hubs": len(self.stopped_being_hubs),
            "timings": dict(self.timings),
        }


def exact_knn_task(rows: Any, k: int, metric: str) -> Task[Neighbors]:
    """The exact kNN graph of float rows or a code view (1-bit codes: popcount search)."""
    from embexplorer.core.analysis.ann import knn_task

    return (yield from knn_task(rows, k, metric, "exact"))


def compare_task(
    rows_a: Any, metric_a: str, rows_b: Any, metric_b: str, k: int = 10
) -> Task[Comparison]:
    """Compare two embeddings of the same rows (each a float array or a code view)."""
    if len(rows_a) != len(rows_b):
        from embexplorer.core.errors import InputError

        raise InputError(f"A has {len(rows_a):,} rows and B {len(rows_b):,}; they must match.")
    timings: dict[str, float] = {}
    start = time.perf_counter()
    knn_a = yield from scaled(exact_knn_task(rows_a, k, metric_a), 0.0, 0.5, "A: ")
    timings["knn_a_s"] = time.perf_counter() - start
    start = time.perf_counter()
    knn_b = yield from scaled(exact_knn_task(rows_b, k, metric_b), 0.5, 0.95, "B: ")
    timings["knn_b_s"] = time.perf_counter() - start
    yield Progress(0.97, "Overlap of the neighbour lists")
    n, k = len(rows_a), knn_a.k
    return Comparison(
        k=k,
        metric_a=metric_a,
        metric_b=metric_b,
        knn_a=knn_a,
        knn_b=knn_b,
        overlap=overlap(knn_a.indices, knn_b.indices),
        hubness_a=hubness(knn_a.indices, n),
        hubness_b=hubness(knn_b.indices, n),
        timings=timings,
    )


# -- derived embeddings and the stability sweep ------------------------------------------------
def derive(vectors: np.ndarray, spec: VariantSpec, metric: str) -> tuple[Any, str]:
    """The rows of a variant (an array or a code view) and the metric its kNN uses."""
    if spec.kind == "truncate":
        return truncate(vectors, int(spec.dims or 0), metric), metric
    if spec.kind == "int8":
        return quantize_int8(vectors).rows(), metric
    return binarize(vectors).rows(), "hamming"


@dataclass(frozen=True)
class StabilityRow:
    variant: str
    dims: int
    recall: float
    skewness: float
    bytes_per_vector: int
    knn_seconds: float

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def stability_task(
    vectors: np.ndarray,
    metric: str = "cosine",
    k: int = 10,
    dims: Sequence[int] = (32, 64, 128, 256),
    quantize: Sequence[str] = ("int8", "binary"),
) -> Task[list[StabilityRow]]:
    """Recall@k, skewness, bytes per vector and kNN time of each variant, full precision first.

    Dimensions not below the vectors' are skipped (the full-precision row stands for them).
    The full precision, the truncations and (for cosine) int8 share one pass of products
    (:mod:`.sweep`); their seconds are their share of it: the products of their own dimensions
    and their own fold. 1-bit codes (and int8 for dot or Euclidean) are searched on their own.
    """
    from embexplorer.core.analysis.sweep import FULL, sweep_graphs_task

    n, dim = vectors.shape
    specs = [parse_variant(f"truncate:{d}") for d in sorted(set(dims)) if d < dim]
    specs += [parse_variant(q) for q in quantize]
    start = time.perf_counter()
    shared_int8 = metric == "cosine" and any(s.kind == "int8" for s in specs)
    int8 = quantize_int8(vectors) if shared_int8 else None
    quantize_s = time.perf_counter() - start
    truncations = [int(s.dims or 0) for s in specs if s.kind == "truncate"]
    graphs = yield from scaled(
        sweep_graphs_task(vectors, truncations, k, metric, int8), 0.0, 0.8, ""
    )
    full = graphs[FULL][0]
    alone = [s for s in specs if str(s) not in graphs]
    rows = []
    for spec in [None, *specs]:
        name = FULL if spec is None else str(spec)
        if name in graphs:
            knn, seconds = graphs[name]
            seconds += quantize_s if name == "int8" else 0.0
        else:
            step = alone.index(spec)
            start = time.perf_counter()
            data, variant_metric = derive(vectors, spec, metric)
            lo, hi = 0.8 + 0.2 * step / len(alone), 0.8 + 0.2 * (step + 1) / len(alone)
            knn = yield from scaled(exact_knn_task(data, k, variant_metric), lo, hi, f"{spec}: ")
            seconds = time.perf_counter() - start
        rows.append(
            StabilityRow(
                name,
                dim if spec is None else int(spec.dims or dim),
                float(overlap(knn.indices, full.indices).mean()),
                hubness(knn.indices, n).skewness,
                4 * dim if spec is None else spec.bytes_per_vector(dim),
                seconds,
            )
        )
    return rows


def align_coords(coords: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``coords`` rotated (or reflected), scaled and shifted onto ``reference`` (the same rows):
    the Procrustes fit, so that the same region of two maps holds the same items."""
    from scipy.linalg import orthogonal_procrustes

    a = reference.astype(np.float64)
    b = coords.astype(np.float64)
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    a0, b0 = a - mean_a, b - mean_b
    norm_b = float((b0**2).sum())
    if norm_b == 0.0:
        return np.broadcast_to(mean_a, coords.shape).astype(np.float32)
    rotation, scale = orthogonal_procrustes(b0, a0)
    return (b0 @ rotation * (scale / norm_b) + mean_a).astype(np.float32)
