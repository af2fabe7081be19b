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

from embexplorer.core.hubness import Hubness, hubness
from embexplorer.core.neighbors import Neighbors
from embexplorer.core.tasks import Progress, Task, chunk_ranges, scaled
from embexplorer.core.variants import VariantSpec, binarize, parse_variant, quantize_int8, truncate

#: Rows whose lists are intersected at a time (bounds the N × k × k comparison).
OVERLAP_CHUNK = 65_536
#: Block of the shared truncations pass: the accumulated product (1024² float32, 4 MB) is
#: added to once per truncation, so it should stay in the caches.
TRUNCATION_BLOCK = 1024


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
    from embexplorer.core.ann import knn_task

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


def truncations_knn_task(
    vectors: np.ndarray, dims: Sequence[int], k: int, metric: str
) -> Task[dict[int, tuple[Neighbors, float]]]:
    """The exact kNN graph of the first D dimensions, for every D in ``dims`` at once.

    The product of two blocks over the first D dimensions is the product over the first D′ < D
    plus the product over D′…D, so one pass of products serves every truncation (the matrix
    work of one full-precision graph); each truncation then folds its own scores (cosine:
    normalised by its own row norms). Returns ``{D: (graph, seconds)}`` where the seconds are
    what that truncation alone would cost: the products of its first D dimensions and its fold.
    """
    from embexplorer.core.neighbors import CANDIDATE_MARGIN, _finish_block
    from embexplorer.core.topk import empty_lists, fold_block

    n, full = vectors.shape
    dims = sorted({int(d) for d in dims if 1 <= d <= full})
    keep = min(k + (CANDIDATE_MARGIN if metric == "euclidean" else 0), n - 1)
    k = min(k, n - 1)
    lists = {d: empty_lists(n, keep) for d in dims}
    terms = _truncation_terms(vectors, dims, metric)
    product_s = dict.fromkeys(dims, 0.0)  # the products of each segment (ending at d)
    fold_s = dict.fromkeys(dims, 0.0)
    out: dict[int, tuple[np.ndarray, np.ndarray]] = {
        d: (np.empty((n, k), np.intp), np.empty((n, k), np.float32)) for d in dims
    }
    blocks = chunk_ranges(n, TRUNCATION_BLOCK)
    total, done = len(blocks) * (len(blocks) + 1) // 2, 0
    yield Progress(0.0, f"Exact {k}-NN of {n:,} rows at {len(dims)} truncations ({metric})")
    for bi, (lo_i, hi_i) in enumerate(blocks):
        a = vectors[lo_i:hi_i]
        for lo_j, hi_j in blocks[bi:]:
            b = vectors[lo_j:hi_j]
            accumulated = np.zeros((hi_i - lo_i, hi_j - lo_j), dtype=np.float32)
            start = 0
            for d in dims:
                t0 = time.perf_counter()
                accumulated += a[:, start:d] @ b[:, start:d].T
                t1 = time.perf_counter()
                fold_block(accumulated, *lists[d], lo_i, lo_j, **terms[d](lo_i, hi_i, lo_j, hi_j))
                product_s[d] += t1 - t0
                fold_s[d] += time.perf_counter() - t1
                start = d
        for d in dims:  # block bi has met every other block: finish its rows
            best_s, best_i = lists[d]
            idx, dist = _finish_block(vectors[:, :d], lo_i, hi_i, best_s, best_i, k, metric)
            out[d][0][lo_i:hi_i], out[d][1][lo_i:hi_i] = idx, dist
        done += len(blocks) - bi
        yield Progress(done / total, f"Exact {k}-NN at {len(dims)} truncations: {hi_i:,} rows")
    cumulative, graphs = 0.0, {}
    for d in dims:
        cumulative += product_s[d]
        graphs[d] = (Neighbors(out[d][0], out[d][1], metric), cumulative + fold_s[d])
    return graphs


def _truncation_terms(vectors: np.ndarray, dims: list[int], metric: str) -> dict:
    """Per truncation, the fold's arguments for a block pair (norms over its first D dims)."""
    if metric in ("dot", "hamming"):
        return {d: (lambda *_: {}) for d in dims}
    squares = np.zeros((len(vectors), len(dims)), dtype=np.float64)
    for lo, hi in chunk_ranges(len(vectors), 65_536):
        block = vectors[lo:hi].astype(np.float64) ** 2
        start, running = 0, np.zeros(hi - lo)
        for i, d in enumerate(dims):
            running += block[:, start:d].sum(axis=1)
            squares[lo:hi, i] = running
            start = d
    terms = {}
    for i, d in enumerate(dims):
        sq = squares[:, i]
        if metric == "cosine":
            inv = (1.0 / np.sqrt(np.where(sq > 0, sq, 1.0))).astype(np.float32)
            terms[d] = lambda lo_i, hi_i, lo_j, hi_j, inv=inv: {
                "row_mul": inv[lo_i:hi_i],
                "col_mul": inv[lo_j:hi_j],
            }
        else:  # Euclidean: 2q·c − ‖c‖²
            neg = (-sq).astype(np.float32)
            terms[d] = lambda lo_i, hi_i, lo_j, hi_j, neg=neg: {
                "mult": 2.0,
                "row_add": neg[lo_i:hi_i],
                "col_add": neg[lo_j:hi_j],
            }
    return terms


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
    The full-precision graph and every truncation come from one shared pass of products
    (:func:`truncations_knn_task`); their seconds are what each would cost on its own.
    """
    n, dim = vectors.shape
    truncations = sorted({d for d in dims if d < dim})
    quantized = [parse_variant(q) for q in quantize]
    steps = 2 + len(quantized)
    graphs = yield from scaled(
        truncations_knn_task(vectors, [*truncations, dim], k, metric),
        0.0,
        2 / steps,
        "float32 and truncations: ",
    )
    full, seconds = graphs[dim]
    rows = [StabilityRow("float32", dim, 1.0, hubness(full.indices, n).skewness, 4 * dim, seconds)]
    for d in truncations:
        knn, seconds = graphs[d]
        rows.append(_stability_row(parse_variant(f"truncate:{d}"), dim, knn, full, n, seconds))
    for i, spec in enumerate(quantized, start=2):
        start = time.perf_counter()
        data, variant_metric = derive(vectors, spec, metric)
        knn = yield from scaled(
            exact_knn_task(data, k, variant_metric), i / steps, (i + 1) / steps, f"{spec}: "
        )
        rows.append(_stability_row(spec, dim, knn, full, n, time.perf_counter() - start))
    return rows


def _stability_row(
    spec: VariantSpec, dim: int, knn: Neighbors, full: Neighbors, n: int, seconds: float
) -> StabilityRow:
    return StabilityRow(
        str(spec),
        int(spec.dims or dim),
        float(overlap(knn.indices, full.indices).mean()),
        hubness(knn.indices, n).skewness,
        spec.bytes_per_vector(dim),
        seconds,
    )


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
