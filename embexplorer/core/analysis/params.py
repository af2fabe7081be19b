"""The analysis parameters: one frozen value, their ranges and choices, and their check.

Kept apart from :mod:`pipeline` (what to recompute) and :mod:`stages` (how each stage runs),
which both use them, so that neither imports the other.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AnalysisParams:
    k: int = 10
    metric: str = "cosine"
    knn: str = "auto"  # exact | approx | auto
    projection: str = "pca"
    seed: int = 0
    clusters: str | None = None  # "kmeans:K", "hdbscan[:MIN]" or None
    cluster_space: str = "vectors"  # vectors | layout
    reduction: str = "none"  # none | mp | csls | ls | dsl | isoftmax
    mp_method: str = "gaussian"
    ls_method: str = "standard"  # local scaling: standard | nicdm
    beta: float | None = None  # inverted softmax temperature; None: hub_scores' rule
    reduction_search: str = "auto"  # auto | exact | candidates (hub_reduction)
    compare_reductions: bool = False  # the table of every method (reduction_comparison)
    quality: bool = True

    def replace(self, **changes: Any) -> AnalysisParams:
        return dataclasses.replace(self, **changes)


#: The largest k a user may ask for (the kNN graph keeps up to ``stages.candidate_count(k)``
#: columns so that hubness reduction can re-rank; core.neighbors.MAX_GRAPH_K leaves room).
MAX_K = 100
KNN_METHODS = ("exact", "approx", "auto")
CLUSTER_SPACES = ("vectors", "layout")
REDUCTIONS = ("none", "mp", "csls", "ls", "dsl", "isoftmax")
MP_METHODS = ("gaussian", "empirical")
LS_METHODS = ("standard", "nicdm")
REDUCTION_SEARCHES = ("auto", "exact", "candidates")


def check_params(params: AnalysisParams, n_rows: int | None = None) -> None:
    """Raise :class:`InputError` naming the first parameter that is out of range.

    With ``n_rows``, also that the corpus is big enough: k neighbours need k + 1 rows.
    """
    from embexplorer.core.analysis.neighbors import ALL_METRICS
    from embexplorer.core.analysis.projection import PROJECTIONS
    from embexplorer.core.errors import InputError

    choices = {
        "metric": ALL_METRICS,
        "knn": KNN_METHODS,
        "projection": PROJECTIONS,
        "cluster_space": CLUSTER_SPACES,
        "reduction": REDUCTIONS,
        "mp_method": MP_METHODS,
        "ls_method": LS_METHODS,
        "reduction_search": REDUCTION_SEARCHES,
    }
    for name, allowed in choices.items():
        if getattr(params, name) not in allowed:
            raise InputError(
                f"{name} must be one of {', '.join(allowed)}; got {getattr(params, name)!r}."
            )
    for name in ("k", "seed"):
        if isinstance(getattr(params, name), bool) or not isinstance(getattr(params, name), int):
            raise InputError(f"{name} must be a whole number; got {getattr(params, name)!r}.")
    if not 1 <= params.k <= MAX_K:
        raise InputError(f"k must be between 1 and {MAX_K}; got {params.k}.")
    if not 0 <= params.seed < 2**32:
        raise InputError(f"The seed must be between 0 and 2³² − 1; got {params.seed}.")
    beta = params.beta
    if beta is not None and (
        isinstance(beta, bool) or not isinstance(beta, int | float) or not 0 < beta < float("inf")
    ):
        raise InputError(f"β must be a positive number (or none: chosen); got {beta!r}.")
    if not isinstance(params.compare_reductions, bool):
        raise InputError(
            f"compare_reductions must be true or false; got {params.compare_reductions!r}."
        )
    if params.reduction in ("ls", "dsl") and params.metric == "dot":
        name = "Local scaling" if params.reduction == "ls" else "DisSimLocal"
        raise InputError(
            f"{name} scales distances ≥ 0 and the dot product has none; choose cosine or Euclidean."
        )
    if params.clusters is not None:
        from embexplorer.core.analysis.clusters import parse_spec

        try:
            parse_spec(str(params.clusters))
        except ValueError as exc:
            raise InputError(str(exc)) from exc
    if n_rows is not None and n_rows < 2:
        raise InputError(
            f"The corpus has {n_rows} row{'s' if n_rows != 1 else ''}: neighbours, hubness and "
            "a map need at least 2 rows."
        )
    if n_rows is not None and params.k > n_rows - 1:
        raise InputError(
            f"k = {params.k} is too large for {n_rows} rows (each row has only {n_rows - 1} "
            f"other{'s' if n_rows != 2 else ''}); choose k ≤ {n_rows - 1}."
        )
