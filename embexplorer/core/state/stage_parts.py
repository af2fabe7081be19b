"""An analysis stage's value as JSON fields and plain arrays, and back (for sessions).

Each stage's value is a frozen dataclass; a session stores its scalars and small dicts in the
manifest and its arrays as ``.npy`` members (never pickled). Which arrays and fields each
stage has, and their types, is checked by :mod:`session_schema` before anything is rebuilt.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from embexplorer.core.analysis.params import AnalysisParams
from embexplorer.core.analysis.pipeline import AnalysisResult, stage_key


def result_to_parts(result: AnalysisResult) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(``{"analysis_params": …, "stages": …}``, ``{"STAGE/PART": array}``) of a result."""
    info: dict[str, Any] = {"analysis_params": vars(result.params), "stages": {}}
    arrays: dict[str, np.ndarray] = {}
    for stage, (_, value) in result.cache.items():
        fields, parts = stage_to_parts(stage, value)
        info["stages"][stage] = fields
        arrays.update({f"{stage}/{name}": array for name, array in parts.items()})
    return info, arrays


def result_from_parts(info: dict[str, Any], arrays: dict[str, np.ndarray]) -> AnalysisResult:
    """The result that :func:`result_to_parts` stored (fields already checked)."""
    params = AnalysisParams(**info["analysis_params"])
    cache = {}
    for stage, fields in info["stages"].items():
        parts = {
            name.split("/", 1)[1]: array
            for name, array in arrays.items()
            if name.startswith(stage + "/")
        }
        cache[stage] = (stage_key(stage, params), stage_from_parts(stage, fields, parts))
    return AnalysisResult(params=params, cache=cache)


def stage_to_parts(stage: str, value: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    if value is None:
        return {"none": True}, {}
    if stage == "projection":
        arrays = {"coords": value.coords}
        if value.linear_map is not None:
            arrays["mean"], arrays["components"] = value.linear_map
        return {"method": value.method, "params": value.params}, arrays
    if stage == "knn":
        return (
            {
                "metric": value.metric,
                "method": value.method,
                "recall": value.recall,
                "params": value.params,
            },
            {"indices": value.indices, "distances": value.distances},
        )
    if stage == "hubness":
        return {"k": value.k}, {"k_occurrence": value.k_occurrence}
    if stage == "reduction":
        n = value.neighbors
        return (
            {"method": n.method, "params": n.params, "k": value.hubness.k},
            {"indices": n.indices, "scores": n.scores, "k_occurrence": value.hubness.k_occurrence},
        )
    if stage == "clusters":
        return (
            {
                "method": value.method,
                "params": value.params,
                "keywords": {str(c): w for c, w in value.keywords.items()},
            },
            {"labels": value.labels},
        )
    if stage == "quality":
        t = value.trustworthiness
        return (
            {
                "trust": {
                    "value": None if not np.isfinite(t.value) else t.value,
                    "k": t.k,
                    "metric": t.metric,
                    "rows_used": t.rows_used,
                    "rows_total": t.rows_total,
                    "seed": t.seed,
                }
            },
            {"preservation": value.preservation},
        )
    if stage == "comparison":
        return {"rows": value.rows, "label_column": value.label_column}, {}
    raise ValueError(stage)


def stage_from_parts(stage: str, info: dict[str, Any], arrays: dict[str, np.ndarray]) -> Any:
    from embexplorer.core.analysis.hub_reduction import ReducedNeighbors
    from embexplorer.core.analysis.hubness import hubness_from_occurrence
    from embexplorer.core.analysis.neighbors import Neighbors
    from embexplorer.core.analysis.projection import Projection
    from embexplorer.core.analysis.stages import Quality, Reduction

    if info.get("none"):
        return None
    if stage == "projection":
        linear = (arrays["mean"], arrays["components"]) if "mean" in arrays else None
        return Projection(arrays["coords"], info["method"], info["params"], linear)
    if stage == "knn":
        return Neighbors(
            arrays["indices"],
            arrays["distances"],
            info["metric"],
            info["method"],
            info["recall"],
            info["params"],
        )
    if stage == "hubness":
        return hubness_from_occurrence(arrays["k_occurrence"], info["k"])
    if stage == "reduction":
        reduced = ReducedNeighbors(
            arrays["indices"], arrays["scores"], info["method"], info["params"]
        )
        return Reduction(reduced, hubness_from_occurrence(arrays["k_occurrence"], info["k"]))
    if stage == "clusters":
        from embexplorer.core.analysis.clusters import Clustering

        keywords = {int(c): w for c, w in info["keywords"].items()}
        return Clustering(arrays["labels"], info["method"], info["params"], keywords)
    if stage == "quality":
        from embexplorer.core.analysis.quality import Trustworthiness

        t = dict(info["trust"])
        t["value"] = float("nan") if t["value"] is None else t["value"]
        return Quality(arrays["preservation"], Trustworthiness(**t))
    if stage == "comparison":
        from embexplorer.core.analysis.reduction_comparison import ReductionTable

        return ReductionTable([dict(row) for row in info["rows"]], info["label_column"])
    raise ValueError(stage)
