"""One runner per pipeline stage: (vectors, params, earlier results) -> task of the stage's value.

Kept apart from :mod:`pipeline` (which only decides *what* to recompute) so each runner stays a
few lines calling the module that does the work.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from embexplorer.core.analysis.hubness import Hubness, hubness
from embexplorer.core.analysis.params import AnalysisParams
from embexplorer.core.analysis.quality import Trustworthiness
from embexplorer.core.tasks import Progress, Task, scaled


def candidate_count(k: int, n: int) -> int:
    """Neighbours kept per point: k shown, the rest re-ranked by hubness reduction.

    k + 10 (at least 1.5·k, at most k + 50): on the demo corpus 20 and 30 candidates reduce
    hubness alike (k = 10), and each candidate costs 8 bytes per row (80 MB per 10 at 1M).
    """
    return max(1, min(n - 1, k + 50, max(k + 10, (3 * k + 1) // 2)))


@dataclass(frozen=True, eq=False)
class Reduction:
    neighbors: Any  # ReducedNeighbors
    hubness: Hubness


@dataclass(frozen=True, eq=False)
class Quality:
    preservation: np.ndarray  # per point, in [0, 1]
    trustworthiness: Trustworthiness


def run_projection(vectors, params: AnalysisParams, results, **_) -> Task[Any]:
    from embexplorer.core.analysis.projection import projection_task

    graph = results.get("knn") if params.projection != "pca" else None
    return (
        yield from projection_task(
            vectors, params.projection, seed=params.seed, metric=params.metric, graph=graph
        )
    )


def run_knn(vectors, params: AnalysisParams, results, knn_search=None, **_) -> Task[Any]:
    """``knn_search``: the search to use instead of ``ann.knn_task`` (same signature; the Ray
    engine's, which runs everything else through this same pipeline)."""
    from embexplorer.core.analysis.ann import knn_task

    search = knn_search or knn_task
    k_c = candidate_count(params.k, len(vectors))
    knn = yield from search(vectors, k_c, params.metric, params.knn, seed=params.seed)
    if params.metric == "cosine" and isinstance(vectors, np.ndarray):
        zero = _zero_rows(vectors)
        if zero:  # no direction: their cosine neighbours are ties; the summary says so
            knn = dataclasses.replace(knn, params={**knn.params, "zero_vectors": zero})
    return knn


def _zero_rows(vectors: np.ndarray, chunk: int = 65_536) -> int:
    return sum(
        int((~vectors[lo : lo + chunk].any(axis=1)).sum()) for lo in range(0, len(vectors), chunk)
    )


def run_hubness(vectors, params: AnalysisParams, results, **_) -> Task[Hubness]:
    yield Progress(None, "Hubness")
    return hubness(results["knn"].indices[:, : params.k], len(vectors))


def run_reduction(vectors, params: AnalysisParams, results, bank=None, **_) -> Task[Any]:
    if params.reduction == "none":
        return None
    from embexplorer.core.analysis.hub_reduction import reduce_hubness_task

    variants = {"mp": params.mp_method, "ls": params.ls_method}
    reduced = yield from reduce_hubness_task(
        vectors,
        results["knn"],
        params.k,
        params.reduction,
        variant=variants.get(params.reduction),
        seed=params.seed,
        beta=params.beta,
        bank=bank,
        search=params.reduction_search,
    )
    return Reduction(reduced, hubness(reduced.indices, len(vectors)))


def run_comparison(vectors, params: AnalysisParams, results, bank=None, labels=None, **_):
    """Every reduction side by side, with k-NN accuracy when ``labels`` = (column, values)."""
    if not params.compare_reductions:
        return None
    from embexplorer.core.analysis.reduction_comparison import reduction_table_task

    column, values = labels if labels is not None else (None, None)
    return (
        yield from reduction_table_task(
            vectors,
            results["knn"],
            min(params.k, results["knn"].k),
            values,
            column,
            seed=params.seed,
            bank=bank,
            search=params.reduction_search,
        )
    )


def run_clusters(vectors, params: AnalysisParams, results, texts=None, **_) -> Task[Any]:
    if not params.clusters:
        return None
    from embexplorer.core.analysis.clusters import cluster_task

    on_layout = params.cluster_space == "layout"
    data = results["projection"].coords if on_layout else vectors
    return (
        yield from cluster_task(
            data,
            params.clusters,
            seed=params.seed,
            texts=texts,
            pca_dims=None if on_layout else 50,
            space=params.cluster_space,
        )
    )


def run_quality(vectors, params: AnalysisParams, results, **_) -> Task[Any]:
    if not params.quality:
        return None
    from embexplorer.core.analysis.quality import preservation_task, trustworthiness_task

    coords = results["projection"].coords
    k = min(params.k, len(vectors) - 1)
    preserved = yield from scaled(preservation_task(results["knn"].indices[:, :k], coords), 0, 0.5)
    trust = yield from scaled(
        trustworthiness_task(vectors, coords, params.k, params.metric, seed=params.seed), 0.5, 1
    )
    return Quality(preserved, trust)


RUNNERS = {
    "projection": run_projection,
    "knn": run_knn,
    "hubness": run_hubness,
    "reduction": run_reduction,
    "clusters": run_clusters,
    "quality": run_quality,
    "comparison": run_comparison,
}
