"""One mapping from an analysis result to per-row columns and summary fields.

``analyze``, exports, sessions' summaries and the window all read results through here, so a
column is named and computed in one place: ``x``/``y``, ``neighbors`` (row numbers) with
``neighbor_distances``, ``reduced_neighbors``, ``k_occurrence`` with ``is_hub``/``is_antihub``,
``cluster`` with ``cluster_label``, and ``preservation``. The window shows some of them under
longer names (:data:`DISPLAY_NAMES`) to colour and size the map by.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from embexplorer.core.analysis.pipeline import AnalysisResult

#: Export column groups that come from the analysis, and the stage each needs.
RESULT_GROUPS = {
    "xy": "projection",
    "neighbors": "knn",
    "k_occurrence": "hubness",
    "cluster": "clusters",
    "preservation": "quality",
}
#: Names of the columns the window adds (colour by them, export them).
N_K, HUB, CLUSTER, PRESERVATION = (
    "N_k (k-occurrence)",
    "hub / antihub",
    "cluster",
    "neighbour preservation",
)
#: Every column the analysis can add for the window (display_column_names gives those present)
DISPLAY_COLUMNS = (N_K, HUB, CLUSTER, PRESERVATION)


def available_groups(result: AnalysisResult | None) -> set[str]:
    """The result groups this result can fill."""
    if result is None:
        return set()
    return {group for group, stage in RESULT_GROUPS.items() if result.get(stage) is not None}


def row_columns(
    result: AnalysisResult | None,
    rows: np.ndarray | slice = slice(None),
    groups: set[str] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(columns, list columns) of ``rows`` for the chosen result ``groups`` (all by default).

    List columns are (rows, width) arrays: neighbour lists (row numbers, nearest first) and
    their distances. Groups the analysis has not computed are left out.
    """
    columns: dict[str, np.ndarray] = {}
    lists: dict[str, np.ndarray] = {}
    if result is None:
        return columns, lists
    wanted = set(RESULT_GROUPS) if groups is None else groups
    if "xy" in wanted and (projection := result.projection) is not None:
        columns["x"], columns["y"] = projection.coords[rows, 0], projection.coords[rows, 1]
    if "neighbors" in wanted and (knn := result.knn) is not None:
        k = result.params.k
        lists["neighbors"] = knn.indices[rows, :k].astype(np.int64)
        lists["neighbor_distances"] = knn.distances[rows, :k].astype(np.float32)
        if (reduction := result.reduction) is not None:
            lists["reduced_neighbors"] = reduction.neighbors.indices[rows].astype(np.int64)
    if "k_occurrence" in wanted and (hub := result.hubness) is not None:
        columns["k_occurrence"] = hub.k_occurrence[rows].astype(np.int64)
        columns["is_hub"], columns["is_antihub"] = hub.hubs[rows], hub.antihubs[rows]
    if "cluster" in wanted and (clusters := result.clusters) is not None:
        columns["cluster"] = clusters.labels[rows]
        columns["cluster_label"] = clusters.label_column()[rows]
    if "preservation" in wanted and (quality := result.quality) is not None:
        columns["preservation"] = quality.preservation[rows]
    return columns, lists


def display_column_names(result: AnalysisResult | None) -> list[str]:
    """The columns the window offers to colour by: N_k, hub / antihub, cluster, preservation.
    Names only: the window asks often which exist, and building one (the hub / antihub column
    is a new array of N strings) is for when it is needed (:func:`display_column`)."""
    if result is None:
        return []
    names = [N_K, HUB] if result.hubness is not None else []
    names += [CLUSTER] if result.clusters is not None else []
    return names + ([PRESERVATION] if result.quality is not None else [])


def display_column(result: AnalysisResult | None, name: str) -> np.ndarray | None:
    """One of :func:`display_column_names`'s columns (None when the result has no such)."""
    return _DISPLAY[name](result) if name in display_column_names(result) else None


def _hub_kind(result: AnalysisResult) -> np.ndarray:
    hub = result.hubness
    kind = np.full(len(hub.k_occurrence), "ordinary", dtype=object)
    kind[hub.hubs], kind[hub.antihubs] = "hub", "antihub"
    return kind


_DISPLAY = {
    N_K: lambda result: result.hubness.k_occurrence,
    HUB: _hub_kind,
    CLUSTER: lambda result: result.clusters.label_column(),
    PRESERVATION: lambda result: result.quality.preservation,
}


def summary_fields(result: AnalysisResult, labels: Any = None) -> dict[str, Any]:
    """The numbers a summary states (JSON-ready: no NaN, plain Python types).

    ``labels`` (column name, values): also the k-NN accuracy of the lists before and after
    the hubness reduction (leave-one-out majority vote, core.reduction_comparison)."""
    p, knn, hub = result.params, result.knn, result.hubness
    out: dict[str, Any] = {"k": p.k, "metric": p.metric}
    if knn is not None:
        out["knn_method"] = knn.method
        if knn.recall is not None:
            out["recall"] = knn.recall
            out["recall_sample"] = knn.params.get("recall_sample")
        if knn.params.get("zero_vectors"):
            out["zero_vectors"] = int(knn.params["zero_vectors"])
        if "auto" in knn.params:  # why auto chose this search (projected seconds of both)
            out["knn_auto"] = knn.params["auto"]
    if hub is not None:
        out.update(
            skewness=hub.skewness,
            robin_hood=hub.robin_hood,
            n_hubs=int(hub.hubs.sum()),
            n_antihubs=int(hub.antihubs.sum()),
        )
    if (reduction := result.reduction) is not None:
        out.update(
            hubness_reduction=reduction.neighbors.method,
            skewness_reduced=reduction.hubness.skewness,
            robin_hood_reduced=reduction.hubness.robin_hood,
            n_hubs_reduced=int(reduction.hubness.hubs.sum()),
            n_antihubs_reduced=int(reduction.hubness.antihubs.sum()),
            reduction=reduction_provenance(reduction.neighbors),
        )
    if labels is not None and knn is not None:
        out["knn_accuracy"] = _accuracy(result, *labels)
    if (table := result.comparison) is not None:
        out["reduction_comparison"] = {"label_column": table.label_column, "methods": table.rows}
    if (quality := result.quality) is not None:
        trust = quality.trustworthiness
        out.update(
            trustworthiness=trust.value if np.isfinite(trust.value) else None,
            trustworthiness_rows=trust.rows_used,
            trustworthiness_sampled=trust.sampled,
            mean_preservation=float(quality.preservation.mean()),
        )
    if (clusters := result.clusters) is not None:
        out["clusters"] = {
            str(c): {"size": size, "keywords": clusters.keywords.get(c, [])}
            for c, size in clusters.sizes.items()
        }
    return out


def reduction_provenance(reduced: Any) -> dict[str, Any]:
    """How reduced lists were made: method, variant, k, exact or from candidates (how many,
    overlap with the full re-ranking and on how many rows), samples, β and its rule, bank."""
    info = {"method": reduced.method, **reduced.params}
    info.setdefault("exact", None)  # a session saved before exactness was recorded
    return {key: _plain(value) for key, value in info.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _accuracy(result: AnalysisResult, column: str, values: Any) -> dict[str, Any]:
    from embexplorer.core.analysis.reduction_comparison import encode_labels, knn_accuracy

    codes, classes = encode_labels(values)
    out: dict[str, Any] = {
        "label_column": column,
        "classes": len(classes),
        "labelled_rows": int((codes >= 0).sum()),
        "raw": knn_accuracy(result.knn.indices[:, : result.params.k], codes),
    }
    if (reduction := result.reduction) is not None:
        out["reduced"] = knn_accuracy(reduction.neighbors.indices, codes)
    return out


def analysis_provenance(result: AnalysisResult | None) -> dict[str, Any]:
    """How the result was made (parameters, kNN method, projection), for provenance files."""
    if result is None:
        return {}
    p = result.params
    info: dict[str, Any] = {
        "k": p.k,
        "metric": p.metric,
        "knn": p.knn,
        "seed": p.seed,
        "clusters": p.clusters,
        "reduction": p.reduction,
    }
    if p.reduction == "mp":
        info["mp_method"] = p.mp_method
    if p.reduction == "ls":
        info["ls_method"] = p.ls_method
    if p.reduction == "isoftmax":
        info["beta"] = p.beta  # None: chosen by the rule; the value used is in reduction_params
    if p.reduction != "none":
        info["reduction_search"] = p.reduction_search
    if (knn := result.knn) is not None:
        info["knn_method"] = knn.method
        if knn.recall is not None:
            info["knn_recall"] = knn.recall
        if "auto" in knn.params:
            info["knn_auto"] = knn.params["auto"]
    if (reduction := result.reduction) is not None:
        info["reduction_params"] = reduction_provenance(reduction.neighbors)
    if (projection := result.projection) is not None:
        info["projection"] = {"method": projection.method, **projection.params}
    return info


def comparison_columns(
    comparison: Any, rows: np.ndarray | slice = slice(None)
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(columns, list columns) of a comparison of embeddings A and B, for ``rows``: the
    overlap, N_k in each, and both neighbour lists (what ``embexplorer compare`` writes)."""
    columns = {
        "overlap": comparison.overlap[rows],
        "k_occurrence_a": comparison.hubness_a.k_occurrence[rows].astype(np.int64),
        "k_occurrence_b": comparison.hubness_b.k_occurrence[rows].astype(np.int64),
    }
    lists = {
        "neighbors_a": comparison.knn_a.indices[rows].astype(np.int64),
        "neighbors_b": comparison.knn_b.indices[rows].astype(np.int64),
    }
    return columns, lists


def comparison_provenance(comparison: Any, a: Any, b: Any) -> dict[str, Any]:
    """Both sides of a comparison (name, origin, kind, dims) and its summary numbers."""

    def side(embedding: Any) -> dict[str, Any]:
        return {
            "name": embedding.name,
            "origin": dict(embedding.origin),
            "kind": embedding.kind,
            "dims": embedding.dim,
        }

    summary = {k: v for k, v in comparison.summary().items() if k != "timings"}
    return {"a": side(a), "b": side(b), **summary}
