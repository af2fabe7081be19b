"""The analysis of the open corpus: parameters, cached stage results, and inspection of a point.

The map appears at once: a PCA projection runs first on its own. With a neighbour-preserving
layout (UMAP, t-SNE, or ``auto``: UMAP up to a size), that PCA is a preview: the kNN graph,
hubness and clusters follow, then the layout on that same graph, which replaces the preview
when ready (the window moves the points over). Changing a parameter recomputes only the stale
stages (core.pipeline). A clicked point's neighbours are always an exact single query in the
original space (even when the graph is approximate), up to k = 1000.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from embexplorer.core.analysis.analysis_columns import display_column, display_column_names
from embexplorer.core.analysis.clusters import naming_texts
from embexplorer.core.analysis.neighbors import ExactIndex
from embexplorer.core.analysis.params import AnalysisParams
from embexplorer.core.analysis.pipeline import AnalysisResult, analysis_task, stale_stages
from embexplorer.core.analysis.projection import resolve_projection
from embexplorer.core.corpus import Corpus
from embexplorer.gui.analysis_jobs import (
    DEFAULT_PARAMS,
    LATE_STAGES,
    Inspection,
    MapData,
    analysed_with_labels,
    before_layout_task,
    corpus_labels,
    inspect_task,
    pca_preview,
    projection_then_index,
    stored_inspect_task,
)
from embexplorer.gui.worker import TaskRunner, error_message


class AnalysisSession(QObject):
    """The analysis of one corpus. ``params`` is the one place the parameters live: the panels
    show them (``params_changed``), and after a Cancel or an error they fall back to those of
    the result on screen, so the controls never describe something that is not shown."""

    params_changed = Signal(object)  # AnalysisParams
    map_changed = Signal(object)  # MapData | None
    results_changed = Signal(object)  # AnalysisResult | None
    inspected = Signal(object)  # Inspection | None
    finished = Signal()  # every stage of the current parameters is done
    failed = Signal(str, str, str)

    def __init__(
        self, runner: TaskRunner, parent: QObject | None = None, channel: str = "analysis"
    ):
        super().__init__(parent)
        self.runner = runner
        #: the runner's channels of this session's jobs (a second map has its own)
        self.channel, self.inspect_channel = channel, f"{channel}: inspect"
        self.params = DEFAULT_PARAMS
        self.corpus: Corpus | None = None
        #: what is analysed: the corpus's vectors, or another embedding of its rows (float
        #: vectors or a code view, core.variants)
        self.rows = None
        self.result: AnalysisResult | None = None
        self.map_data: MapData | None = None
        self.inspection: Inspection | None = None
        self.inspect_k = 10
        #: the PCA preview's trustworthiness, set beside a non-linear layout's
        self.preview_trust = None
        self._exact_index: ExactIndex | None = None
        #: the clusters' names wait for the running job before they are made again
        self._rename_pending = False
        #: an analysed dataset's stored graph: the map and neighbours come from it, nothing
        #: is computed (core/io/analysed_dataset.py)
        self.stored = None
        runner.channel_busy.connect(self._on_channel_busy)

    def _set_params(self, params: AnalysisParams) -> None:
        if params != self.params:
            self.params = params
            self.params_changed.emit(params)

    def start(self, corpus: Corpus, rows=None, params: AnalysisParams | None = None) -> None:
        """A new corpus (or new vectors): forget everything, draw the map, then analyse.

        ``rows``: the embedding to analyse (default: the corpus's vectors); ``params``: its
        parameters (default: keep the current ones).
        """
        self.runner.cancel(self.channel)
        self.runner.cancel(self.inspect_channel)
        self.stored = None
        self.corpus, self.result, self.map_data = corpus, None, None
        self.rows = corpus.vectors if rows is None else rows
        self.inspection, self._exact_index, self.preview_trust = None, None, None
        if params is not None:
            self._set_params(params)
        if 2 <= corpus.n_rows <= self.params.k:  # a small corpus: as many neighbours as it has
            self._set_params(self.params.replace(k=corpus.n_rows - 1))
        self.map_changed.emit(None)
        self.results_changed.emit(None)
        self.inspected.emit(None)
        self._run()

    def restore(
        self,
        corpus: Corpus,
        result: AnalysisResult | None,
        map_data: MapData | None,
        rows=None,
        params: AnalysisParams | None = None,
    ) -> None:
        """A reopened session (or an embedding shown again): its results as they were,
        nothing recomputed; without a result, analysed with ``params``."""
        self.runner.cancel(self.channel)
        self.runner.cancel(self.inspect_channel)
        self.stored = None
        self.corpus, self.result, self.map_data = corpus, result, map_data
        self.rows = corpus.vectors if rows is None else rows
        if params is not None and result is None:
            self._set_params(params)
        self.inspection, self._exact_index = None, None
        if result is not None:
            self._set_params(result.params)
        self.map_changed.emit(map_data)
        self.results_changed.emit(result)
        self.inspected.emit(None)
        if result is None or map_data is None or stale_stages(result.cache, result.params):
            self._run()  # e.g. saved before its layout was ready
        else:
            self.finished.emit()

    def show_stored(self, corpus: Corpus, dataset, map_data: MapData) -> None:
        """An analysed dataset: its stored map and graph as they are; nothing is analysed."""
        self.runner.cancel(self.channel)
        self.runner.cancel(self.inspect_channel)
        self.corpus, self.rows, self.result, self.map_data = corpus, None, None, map_data
        self.stored, self.inspection, self._exact_index = dataset, None, None
        self.map_changed.emit(map_data)
        self.results_changed.emit(None)
        self.inspected.emit(None)
        self.finished.emit()

    def use_columns(self, corpus: Corpus) -> None:
        """The text or label column changed (same rows): later jobs read them from here, and a
        comparison whose accuracy was measured by another label column is measured again."""
        if self.corpus is None or corpus.n_rows != self.corpus.n_rows:
            return
        renamed = _naming_source(corpus) != _naming_source(self.corpus)
        self.corpus = corpus
        if renamed:
            self._rename_clusters()
        result = self.result
        table = None if result is None else result.comparison
        if table is None or table.label_column == corpus.label_column:
            return
        if not self.runner.is_busy(self.channel):  # else the running job's result comes next
            cache = {k: v for k, v in result.cache.items() if k != "comparison"}
            self.result = dataclasses.replace(result, cache=cache)
            self.results_changed.emit(self.result)
            self._compare(self.result)

    def _rename_clusters(self) -> None:
        """The clusters are named from other texts now: their stage runs again (seeded, the
        same clusters) with the new names, once the channel is free."""
        result = self.result
        if result is None or "clusters" not in result.cache:
            return
        if self.runner.is_busy(self.channel):
            self._rename_pending = True  # after the running job (_settle)
            return
        self._rename_pending = False
        cache = {k: v for k, v in result.cache.items() if k != "clusters"}
        self.result = dataclasses.replace(result, cache=cache)
        self._run()

    def set_params(self, params: AnalysisParams) -> None:
        if params != self.params:
            self._set_params(params)
            self._run()

    def _on_channel_busy(self, channel: str, running: bool) -> None:
        if channel == self.channel and not running:
            # the projection's job ends just before the rest is submitted: look once that
            # settled (a Cancel leaves the channel idle)
            QTimer.singleShot(0, self._settle)

    def _settle(self) -> None:
        """The analysis was cancelled: the controls go back to what is on screen. A renaming
        of the clusters asked for meanwhile runs now."""
        if not self.runner.is_busy(self.channel) and self.result is not None:
            self._set_params(self.result.params)
            if self._rename_pending:
                self._rename_clusters()

    def layout_method(self) -> str | None:
        """The layout the parameters ask for on this corpus (``auto`` resolved)."""
        if self.rows is None:
            return None
        return resolve_projection(self.params.projection, len(self.rows))

    def _run(self) -> None:
        corpus, params, previous, rows = self.corpus, self.params, self.result, self.rows
        if corpus is None or rows is None:
            return
        texts = naming_texts(corpus)
        if self.layout_method() != "pca":
            if self.map_data is None:
                self.runner.submit(
                    self.channel,
                    lambda: pca_preview(rows),
                    self._on_preview,
                    title="Projecting (PCA, while the layout is computed)",
                    on_error=self._on_error,
                )
            else:  # the map on screen stays until the new layout is ready
                self._run_before_layout(previous)
            return
        self.runner.submit(
            self.channel,
            lambda: projection_then_index(rows, params, previous, texts),
            self._on_projected,
            title="Projecting (PCA)",
            on_error=self._on_error,
        )

    def _on_preview(self, map_data: MapData) -> None:
        self.map_data = map_data
        self.map_changed.emit(map_data)
        self._run_before_layout(self.result)

    def _run_before_layout(self, previous: AnalysisResult | None) -> None:
        corpus, params, rows = self.corpus, self.params, self.rows
        preview = (
            self.map_data if self.map_data and self.map_data.projection.method == "pca" else None
        )
        self.runner.submit(
            self.channel,
            lambda: before_layout_task(
                rows, params, previous, naming_texts(corpus), preview, corpus_labels(corpus)
            ),
            self._on_graph_ready,
            title="Analysing (kNN, hubness, clusters)",
            on_error=self._on_error,
        )

    def _on_graph_ready(self, outcome) -> None:
        result, trust = outcome
        if trust is not None:
            self.preview_trust = trust
        self.result = result
        self.results_changed.emit(result)
        corpus, params, rows = self.corpus, self.params, self.rows
        method = self.layout_method()
        self.runner.submit(
            self.channel,
            lambda: projection_then_index(rows, params, result, naming_texts(corpus), rest=True),
            self._on_layout,
            title=f"Layout ({method.upper() if method == 'umap' else method}) on the kNN graph",
            on_error=self._on_error,
        )

    def _on_layout(self, outcome) -> None:
        result, map_data = outcome
        if map_data is not None:
            self.map_data = map_data
            self.map_changed.emit(map_data)
        self._on_analysed(result)

    def _on_projected(self, outcome) -> None:
        result, map_data = outcome
        if map_data is not None:  # a new layout is on screen: so is the result it belongs to
            self.result, self.map_data = result, map_data
            self.map_changed.emit(map_data)
            self.results_changed.emit(result)
        corpus, params, rows = self.corpus, self.params, self.rows
        texts = None if corpus is None else naming_texts(corpus)
        labels = corpus_labels(corpus)
        self.runner.submit(
            self.channel,
            lambda: analysed_with_labels(rows, params, result, texts, labels),
            self._on_analysed,
            title="Analysing (kNN, hubness, clusters)",
            on_error=self._on_error,
        )

    def _on_analysed(self, result: AnalysisResult) -> None:
        self.result = result
        self.results_changed.emit(result)
        if self.inspection is not None:
            self.inspect(self.inspection.row)
        late = [s for s in stale_stages(result.cache, result.params) if s in LATE_STAGES]
        if late and result.params.compare_reductions:
            self._compare(result)
        else:
            self.finished.emit()

    def _compare(self, result: AnalysisResult) -> None:
        """The comparison of reductions, on the worker, after everything else is shown."""
        rows, labels = self.rows, corpus_labels(self.corpus)
        self.runner.submit(
            self.channel,
            lambda: analysis_task(rows, result.params, result, labels=labels, only=LATE_STAGES),
            self._on_compared,
            title="Comparing hubness reductions",
            on_error=self._on_error,
        )

    def _on_compared(self, result: AnalysisResult) -> None:
        self.result = result
        self.results_changed.emit(result)
        self.finished.emit()

    def _on_error(self, exc: Exception, details: str) -> None:
        if self.result is not None:
            self._set_params(self.result.params)
        self.failed.emit("Analysis failed", error_message(exc), details)

    def _on_inspect_error(self, exc: Exception, details: str) -> None:
        self.failed.emit("Inspecting failed", error_message(exc), details)

    def inspect(self, row: int, k: int | None = None) -> None:
        """Find ``row``'s exact neighbours (k up to 1000) on the worker; -1 clears."""
        if k is not None:
            self.inspect_k = k
        if row >= 0 and self.stored is not None:
            dataset = self.stored
            self.runner.submit(
                self.inspect_channel,
                lambda: stored_inspect_task(dataset, row),
                self._on_inspected_stored,
                title="Inspecting",
                on_error=self._on_inspect_error,
            )
            return
        if row < 0 or self.corpus is None or self.rows is None:
            self.runner.cancel(self.inspect_channel)  # a point asked for before must not come back
            self.inspection = None
            self.inspected.emit(None)
            return
        vectors, metric, result = self.rows, self.params.metric, self.result
        index, k = self._exact_index, min(self.inspect_k, len(vectors) - 1)
        self.runner.submit(
            self.inspect_channel,
            lambda: inspect_task(index, vectors, metric, row, k, result),
            self._on_inspected,
            title="Inspecting",
            on_error=self._on_inspect_error,
        )

    def _on_inspected_stored(self, inspection: Inspection) -> None:
        self.inspection = inspection
        self.inspected.emit(inspection)

    def _on_inspected(self, outcome) -> None:
        self.inspection, self._exact_index = outcome
        self.inspected.emit(self.inspection)

    def derived_column_names(self) -> list[str]:
        """Columns the analysis adds: N_k, hub/antihub, cluster, neighbour preservation."""
        return display_column_names(self.result)

    def derived_column(self, name: str) -> np.ndarray | None:
        return display_column(self.result, name)


def _naming_source(corpus: Corpus) -> str | None:
    """The column clusters are named from (core.clusters.naming_texts)."""
    if corpus.text_column is not None:
        return corpus.text_column
    return corpus.label_column if naming_texts(corpus) is not None else None
