"""The analysis pipeline: cached stages, recomputed only when what they depend on changes.

The dependency graph is data (``STAGES``): each stage names the parameters it reads and the
stages it uses. Changing k recomputes kNN, hubness, reduction and quality, not the projection;
changing the projection recomputes the projection, quality (and clusters on the layout), not
the kNN graph (Orange's ``owtsne`` invalidation chain, written as a table).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from embexplorer.core.analysis.params import AnalysisParams, check_params
from embexplorer.core.tasks import Progress, Task, scaled

if TYPE_CHECKING:  # the stage values; imported lazily at run time (heavy, and cycles)
    from embexplorer.core.analysis.clusters import Clustering
    from embexplorer.core.analysis.hubness import Hubness
    from embexplorer.core.analysis.neighbors import Neighbors
    from embexplorer.core.analysis.projection import Projection
    from embexplorer.core.analysis.reduction_comparison import ReductionTable
    from embexplorer.core.analysis.stages import Quality, Reduction


#: stage -> (parameters it reads, stages it uses). Order is a valid computation order.
STAGES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "knn": (("k", "metric", "knn", "seed"), ()),
    "projection": (("projection", "seed", "metric"), ()),  # + knn for a non-linear layout
    "hubness": ((), ("knn",)),
    "reduction": (
        ("reduction", "mp_method", "ls_method", "beta", "reduction_search", "k", "seed"),
        ("knn",),
    ),
    "clusters": (("clusters", "cluster_space", "seed"), ()),  # + projection when on the layout
    "quality": (("quality", "k", "metric"), ("knn", "projection")),
    # every reduction side by side (slow: the window runs it after the rest, on its own)
    "comparison": (("compare_reductions", "reduction_search", "k", "seed"), ("knn",)),
}


def stage_dependencies(stage: str, params: AnalysisParams) -> tuple[str, ...]:
    uses = STAGES[stage][1]
    if stage == "clusters" and params.cluster_space == "layout":
        uses = (*uses, "projection")
    if stage == "projection" and params.projection != "pca":
        uses = (*uses, "knn")  # UMAP and t-SNE run on the analysis's graph: no second search
    return uses


def stage_key(stage: str, params: AnalysisParams) -> tuple:
    names = STAGES[stage][0]
    if stage == "projection" and params.projection == "pca":
        names = ("projection",)  # PCA depends on neither the seed nor the metric
    return tuple((name, getattr(params, name)) for name in names)


def stale_stages(cache: dict[str, tuple[tuple, Any]], params: AnalysisParams) -> list[str]:
    """Stages whose cached result is missing, made with other parameters, or built on a stage
    that is itself stale."""
    stale: list[str] = []
    for stage in STAGES:
        cached = cache.get(stage)
        if (
            cached is None
            or cached[0] != stage_key(stage, params)
            or any(
                dep in stale and not _unaffected(stage, dep, cache, params)
                for dep in stage_dependencies(stage, params)
            )
        ):
            stale.append(stage)
    return stale


#: (stage, stage it uses) -> the parameters of the used stage that matter to it; a change of
#: any other of them leaves it current. A layout uses the graph's first neighbours (15 for
#: UMAP), the same whatever k is: a new k does not cost a new layout.
PARTIAL_USES: dict[tuple[str, str], tuple[str, ...]] = {
    ("projection", "knn"): ("metric", "knn", "seed"),
}


def _unaffected(stage: str, dep: str, cache: dict, params: AnalysisParams) -> bool:
    """Whether ``stage`` stays current although ``dep`` is recomputed (see PARTIAL_USES)."""
    names = PARTIAL_USES.get((stage, dep))
    if names is None or dep not in cache:
        return False
    old, new = dict(cache[dep][0]), dict(stage_key(dep, params))
    return all(old.get(name) == new.get(name) for name in names)


def _check_metric_fits(vectors: Any, metric: str) -> None:
    """Hamming distance is for 1-bit codes, and 1-bit codes have no other distance."""
    from embexplorer.core.embedding.variants import SignRows
    from embexplorer.core.errors import InputError

    binary = isinstance(vectors, SignRows)
    if binary != (metric == "hamming"):
        raise InputError(
            "1-bit codes are compared by Hamming distance only."
            if binary
            else "Hamming distance is for 1-bit codes; choose cosine, Euclidean or dot product."
        )


@dataclass(frozen=True, eq=False)
class AnalysisResult:
    """Everything computed for one corpus, plus the per-stage cache it came from."""

    params: AnalysisParams
    cache: dict[str, tuple[tuple, Any]] = field(default_factory=dict)
    recomputed: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)

    def get(self, stage: str) -> Any:
        """A stage's value by name (for code that loops over ``STAGES``); else use the typed
        properties below."""
        entry = self.cache.get(stage)
        return None if entry is None else entry[1]

    @property
    def projection(self) -> Projection | None:
        return self.get("projection")

    @property
    def knn(self) -> Neighbors | None:
        """The kNN graph: ``stages.candidate_count(k)`` columns; the first k are the lists."""
        return self.get("knn")

    @property
    def hubness(self) -> Hubness | None:
        return self.get("hubness")

    @property
    def reduction(self) -> Reduction | None:
        return self.get("reduction")

    @property
    def clusters(self) -> Clustering | None:
        return self.get("clusters")

    @property
    def quality(self) -> Quality | None:
        return self.get("quality")

    @property
    def comparison(self) -> ReductionTable | None:
        """Every reduction's skewness, antihubs and k-NN accuracy (when asked for)."""
        return self.get("comparison")


def analysis_task(
    vectors: np.ndarray,
    params: AnalysisParams,
    previous: AnalysisResult | None,
    texts: np.ndarray | None = None,
    bank: np.ndarray | None = None,
    only: tuple[str, ...] | None = None,
    labels: tuple[str, np.ndarray] | None = None,
    knn_search: Any = None,
) -> Task[AnalysisResult]:
    """Compute the stale stages (reusing the rest from ``previous``) on the worker thread.

    ``only`` limits the run to some stages (e.g. the projection first, so the map appears
    before the slower stages). ``labels``: (column name, values) for the k-NN accuracy of
    the comparison of reductions. ``knn_search``: another kNN search with
    ``ann.knn_task``'s signature (the Ray engine's); every other stage is the same.
    """
    import time

    from embexplorer.core.analysis import stages
    from embexplorer.core.memory import return_freed_memory

    check_params(params, len(vectors))
    _check_metric_fits(vectors, params.metric)
    cache = dict(previous.cache) if previous is not None else {}
    stale = stale_stages(cache, params)
    todo = [s for s in stale if only is None or s in only]
    for stage in stale:
        if stage not in todo:  # stale but left for a later run: it must not look fresh then
            cache.pop(stage, None)
    timings: dict[str, float] = {}
    for i, stage in enumerate(todo):
        start = time.perf_counter()
        run = stages.RUNNERS[stage]
        results = {name: entry[1] for name, entry in cache.items()}
        value = yield from scaled(
            run(
                vectors,
                params,
                results,
                texts=texts,
                bank=bank,
                labels=labels,
                knn_search=knn_search,
            ),
            i / len(todo),
            (i + 1) / len(todo),
        )
        cache[stage] = (stage_key(stage, params), value)
        return_freed_memory()  # each stage's temporaries, before the next stage's arrays
        timings[stage] = time.perf_counter() - start
    yield Progress(1.0, "Analysis done" if todo else "Analysis: nothing to recompute")
    return AnalysisResult(params=params, cache=cache, recomputed=tuple(todo), timings=timings)
