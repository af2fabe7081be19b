"""Connects the analysis (document.analysis) to what shows it: the Analysis and Neighbours
panels and the map's overlays (neighbour lines, hubs, cluster labels, sizes by N_k)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject

from embexplorer.core.analysis.analysis_columns import N_K
from embexplorer.core.analysis.neighbors import ALL_METRICS
from embexplorer.gui.analysis_jobs import Inspection
from embexplorer.gui.analysis_panel import AnalysisPanel, allow_choices
from embexplorer.gui.document import Document
from embexplorer.gui.neighbors_panel import NeighborsPanel
from embexplorer.gui.plot.cluster_labels import cluster_centres
from embexplorer.gui.plot.panel import PlotPanel


class AnalysisViews(QObject):
    def __init__(
        self,
        document: Document,
        analysis_panel: AnalysisPanel,
        neighbors_panel: NeighborsPanel,
        plot_panel: PlotPanel,
        parent=None,
    ):
        super().__init__(parent)
        self.document, self.session = document, document.analysis
        self.panel, self.neighbors, self.plot = analysis_panel, neighbors_panel, plot_panel
        self.view = plot_panel.view
        session = self.session
        self._show_params(session.params)
        session.params_changed.connect(self._show_params)
        analysis_panel.params_changed.connect(session.set_params)
        analysis_panel.row_chosen.connect(document.set_focus)
        analysis_panel.cluster_chosen.connect(self.zoom_to_cluster)
        neighbors_panel.row_chosen.connect(document.set_focus)
        neighbors_panel.k_changed.connect(lambda k: session.inspect(document.focus_row, k))
        neighbors_panel.metric_changed.connect(
            lambda metric: session.set_params(session.params.replace(metric=metric))
        )
        document.results_changed.connect(self._on_results)
        document.columns_changed.connect(self._on_columns)
        document.focus_changed.connect(lambda row: session.inspect(row))
        document.map_changed.connect(self._on_map_changed)
        session.inspected.connect(self._on_inspected)
        document.embeddings.changed.connect(self._on_embeddings)
        for box in (plot_panel.size_by_nk, plot_panel.mark_hubs, plot_panel.cluster_labels):
            box.toggled.connect(lambda _: self._show_overlays())

    def _on_embeddings(self, workspace) -> None:
        """The metrics the embedding on the map allows (1-bit codes: Hamming only)."""
        current = None if workspace is None else workspace.current
        allowed = ALL_METRICS if current is None else current.metrics
        allow_choices(self.panel.metric_choice, allowed)
        allow_choices(self.neighbors.metric_choice, allowed)

    def _show_params(self, params) -> None:
        """Both panels show the session's parameters (the one copy; they only render it)."""
        self.panel.show_params(params)
        self.neighbors.show_metric(params.metric)

    def _on_results(self, result) -> None:
        corpus = self.document.corpus
        self.panel.show_result(result, corpus)
        doc = self.document
        self.plot.set_corpus(corpus, doc.shown_color_column, doc.extra_column_names())
        self._show_overlays()

    def _on_columns(self, corpus) -> None:
        """Another label column: the summary's k-NN accuracy (and the comparison's) by it."""
        self.session.use_columns(corpus)
        self.panel.show_result(self.session.result, corpus)

    def _on_map_changed(self, _map_data) -> None:
        self._show_overlays()
        self._on_inspected(self.session.inspection)  # its lines, drawn on the new layout

    def _show_overlays(self) -> None:
        map_data, result = self.session.map_data, self.session.result
        coords = None if map_data is None else map_data.index.coords
        hub = None if result is None else result.hubness
        ok = coords is not None and hub is not None and len(hub.k_occurrence) == len(coords)
        if self.plot.mark_hubs.isChecked() and ok:
            self.view.hub_overlay.show(coords, hub.hubs, hub.antihubs)
        else:
            self.view.hub_overlay.show(None, None, None)
        if coords is not None:
            sizes = None
            if self.plot.size_by_nk.isChecked() and ok:
                sizes = nk_sizes(self.session.derived_column(N_K), hub.k)
            self.view.set_sizes(sizes)
        clusters = None if result is None else result.clusters
        if self.plot.cluster_labels.isChecked() and coords is not None and clusters is not None:
            ids, centres = cluster_centres(coords, clusters.labels)
            sizes = clusters.sizes
            self.view.cluster_labels.show(
                centres, [clusters.label_text(int(c)) for c in ids], [sizes[int(c)] for c in ids]
            )
        else:
            self.view.cluster_labels.clear()

    def _on_inspected(self, inspection: Inspection | None) -> None:
        self.neighbors.show_inspection(inspection, self.document.corpus)
        map_data = self.session.map_data
        if inspection is None or map_data is None:
            self.view.neighbor_overlay.clear()
            self.view.reduced_overlay.clear()
            return
        coords = map_data.index.coords
        origin = coords[inspection.row]
        self.view.neighbor_overlay.show(origin, coords[inspection.neighbors.indices[0]])
        if inspection.reduced is not None:
            self.view.reduced_overlay.show(origin, coords[inspection.reduced])
        else:
            self.view.reduced_overlay.clear()

    def zoom_to_cluster(self, cluster: int) -> None:
        result, map_data = self.session.result, self.session.map_data
        clusters = None if result is None else result.clusters
        if clusters is None or map_data is None:
            return
        xy = map_data.index.coords[clusters.labels == cluster]
        if len(xy):
            lo, hi = np.percentile(xy, 2, axis=0), np.percentile(xy, 98, axis=0)
            pad = np.maximum((hi - lo) * 0.1, 1e-6)
            self.view.view_box.setRange(
                xRange=(float(lo[0] - pad[0]), float(hi[0] + pad[0])),
                yRange=(float(lo[1] - pad[1]), float(hi[1] + pad[1])),
                padding=0,
            )


def nk_sizes(n_k: np.ndarray, k: int, smallest: float = 3.0, largest: float = 22.0) -> np.ndarray:
    """Marker sizes growing with √N_k: an ordinary point (N_k = k) gets about the default 6."""
    scale = np.sqrt(n_k / max(k, 1))
    return np.clip(smallest + 3.0 * scale, smallest, largest)
