"""The analysis session's jobs: what runs on the worker (the stages in the order the window
shows them, the PCA preview, a point's inspection), and the values they hand to the GUI
thread. Qt-free apart from the picking index; the session (gui/analysis_session.py) submits
them and keeps the state."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from embexplorer.core.analysis.neighbors import ExactIndex, Neighbors
from embexplorer.core.analysis.params import AnalysisParams
from embexplorer.core.analysis.pipeline import STAGES, AnalysisResult, analysis_task, stale_stages
from embexplorer.core.corpus import Corpus
from embexplorer.core.tasks import Progress, Task
from embexplorer.gui.plot.point_index import PointIndex

#: Every reduction side by side is slow: it runs as a job of its own after the other stages,
#: so their results show at once.
LATE_STAGES = ("comparison",)
MAIN_STAGES = tuple(stage for stage in STAGES if stage not in LATE_STAGES)


def corpus_labels(corpus: Corpus | None) -> tuple[str, np.ndarray] | None:
    """(label column, values): what the k-NN accuracy of the comparison is measured by."""
    if corpus is None or corpus.label_column is None:
        return None
    return corpus.label_column, corpus.labels


@dataclass(frozen=True, eq=False)
class MapData:
    """A projection and the index used to draw and pick its points."""

    projection: object
    index: PointIndex


@dataclass(frozen=True, eq=False)
class Inspection:
    """One point's exact neighbours, its hubness-reduced list, and who lists it."""

    row: int
    neighbors: Neighbors  # one row, exact
    reduced: np.ndarray | None  # rows of the reduced list (analysis k), or None
    reduced_method: str | None
    listed_by: np.ndarray | None  # rows whose k-NN list holds this row (None: not loaded)
    graph_k: int
    #: how the neighbours were found: "exact", or the stored graph's description
    source: str = "exact"


def projection_then_index(vectors, params, previous, texts, rest: bool = False) -> Task[tuple]:
    """The projection stage (with ``rest``, every stale stage) and the new map, or None for
    the map when the projection on screen is still current."""
    stale = stale_stages(previous.cache, params) if previous is not None else ["projection"]
    if "projection" not in stale and not rest:
        return previous, None
    only = MAIN_STAGES if rest else ("projection",)
    result = yield from analysis_task(vectors, params, previous, texts=texts, only=only)
    if "projection" not in stale:
        return result, None
    yield Progress(None, "Indexing points for picking")
    return result, MapData(result.projection, PointIndex(result.projection.coords))


def _summary_accuracy(
    labels: tuple[str, np.ndarray] | None, result: AnalysisResult | None = None
) -> Task[None]:
    """The summary's k-NN accuracy by the label column, computed here, on the worker: the
    labels encoded (``encode_labels`` keeps its last result) and the accuracy of ``result``'s
    lists (``knn_accuracy`` keeps its last few). On the GUI thread, as the summary is drawn,
    they stalled the window ~100 ms at 200,000 rows."""
    if labels is not None:
        from embexplorer.core.analysis.analysis_columns import summary_fields
        from embexplorer.core.analysis.reduction_comparison import encode_labels

        yield Progress(None, "Encoding the labels")
        encode_labels(labels[1])
        if result is not None:
            summary_fields(result, labels)


def analysed_with_labels(rows, params, previous, texts, labels) -> Task[AnalysisResult]:
    """The main stages, then the summary's k-NN accuracy (see _summary_accuracy)."""
    result = yield from analysis_task(rows, params, previous, texts=texts, only=MAIN_STAGES)
    yield from _summary_accuracy(labels, result)
    return result


#: What a first start analyses with: UMAP when affordable (``auto``), k-means clusters.
DEFAULT_PARAMS = AnalysisParams(clusters="kmeans:10", projection="auto", compare_reductions=True)


def pca_preview(vectors) -> Task[MapData]:
    """The instant map shown while a non-linear layout is computed (not a cached stage)."""
    from embexplorer.core.analysis.projection import pca_task

    projection = yield from pca_task(vectors)
    yield Progress(None, "Indexing points for picking")
    return MapData(projection, PointIndex(projection.coords))


def before_layout_task(rows, params, previous, texts, preview, labels=None) -> Task[tuple]:
    """The stages that need no layout (and the summary's k-NN accuracy, see _summary_accuracy),
    then the preview's trustworthiness (to set beside the layout's when it comes)."""
    from embexplorer.core.analysis.quality import trustworthiness_task

    only = _before_layout(params)
    result = yield from analysis_task(rows, params, previous, texts=texts, only=only)
    yield from _summary_accuracy(labels, result)
    trust = None
    if params.quality and preview is not None:
        yield Progress(None, "Trustworthiness of the PCA preview")
        coords = preview.projection.coords
        trust = yield from trustworthiness_task(
            rows, coords, params.k, params.metric, seed=params.seed
        )
    return result, trust


def _before_layout(params: AnalysisParams) -> tuple[str, ...]:
    """The stages that need no layout: they run while the preview is on screen."""
    from embexplorer.core.analysis.pipeline import stage_dependencies

    return tuple(
        s
        for s in MAIN_STAGES
        if s != "projection" and "projection" not in stage_dependencies(s, params)
    )


def inspect_task(index: ExactIndex | None, vectors, metric, row, k, result) -> Task[tuple]:
    yield Progress(None, "Finding the exact neighbours")
    if index is None or index.metric != metric:
        index = ExactIndex(vectors, metric)
    found = index.query(vectors[[row]], k, exclude=np.array([row]))
    knn = result.knn if result is not None else None
    graph_k = result.params.k if result is not None else 0
    listed_by = (
        np.flatnonzero((knn.indices[:, :graph_k] == row).any(axis=1))
        if knn is not None
        else np.empty(0, dtype=np.intp)
    )
    reduction = result.reduction if result is not None else None
    reduced = None if reduction is None else reduction.neighbors.indices[row]
    method = None if reduction is None else reduced_title(reduction.neighbors)
    return Inspection(row, found, reduced, method, listed_by, graph_k), index


def stored_inspect_task(dataset, row: int) -> Task[Inspection]:
    """A row's neighbours from an analysed dataset's stored graph (that row's only)."""
    yield Progress(None, "Reading the stored neighbours")
    indices, distances = dataset.neighbors(row)
    label = dataset.neighbor_label()
    found = Neighbors(indices[None, :], distances[None, :], dataset.metric, method=label)
    return Inspection(row, found, None, None, None, dataset.graph_k, source=label)


def reduced_title(reduced) -> str:
    """The reduction and how its lists were made: exact, or from candidates (overlap)."""
    p = reduced.params
    name = reduced.method + (f" {p['variant']}" if p.get("variant") else "")
    if p.get("exact"):
        return f"{name}, exact"
    if p.get("overlap") is not None:
        return f"{name}, from {p['candidates']} candidates, overlap {p['overlap']:.2f}"
    return name
