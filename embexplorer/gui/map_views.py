"""The main map drawn from the document: new layouts (gliding from the one before), colours,
the focused point, which points are drawn in full (the selection and the charts' filter), and
the status line saying what the map is once the analysis is done."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject

from embexplorer.gui.analysis_jobs import MapData
from embexplorer.gui.plot.transition import MapTransition


class MapViews(QObject):
    def __init__(self, main_window):
        super().__init__(main_window)
        self.main_window = main_window
        doc, view = main_window.document, main_window.plot_panel.view
        self.transition = MapTransition(view, self)
        doc.map_changed.connect(self._on_map_changed)
        doc.colors_changed.connect(self._on_colors_changed)
        doc.focus_changed.connect(self._on_focus_changed)
        doc.pipeline_finished.connect(self._on_pipeline_finished)
        view.point_clicked.connect(doc.set_focus)

    # -- which points are drawn in full ---------------------------------------------------------
    def mask(self) -> np.ndarray | None:
        """The points the map draws in full: the selected ones that pass the charts' filter
        (None: all of them)."""
        doc = self.main_window.document
        selection, passing = doc.selection.selection, doc.filter_mask
        mask = selection.to_mask() if len(selection) else None
        if passing is not None and len(passing) == selection.n_rows:
            mask = passing if mask is None else mask & passing
        return mask

    def update_mask(self) -> None:
        view = self.main_window.plot_panel.view
        n = self.main_window.document.selection.selection.n_rows
        if view.index is not None and len(view.index) == n:
            view.set_selection(self.mask())

    # -- document → map -------------------------------------------------------------------------
    def _on_map_changed(self, map_data: MapData | None) -> None:
        window = self.main_window
        view = window.plot_panel.view
        before = view.index
        self.transition.stop()
        view.set_points(None if map_data is None else map_data.index, window.document.colors)
        if map_data is None:
            return
        if before is not None and before is not map_data.index:  # a new layout of these rows
            self.transition.start(before.coords, map_data.index.coords)
        # a new layout of the same rows: the selection and the focused point stay marked
        focus = window.document.focus_row
        self.update_mask()
        if focus >= 0:
            view.set_highlight([focus])

    def _on_colors_changed(self, colors) -> None:
        window = self.main_window
        if window.document.map_data is not None:
            window.plot_panel.view.set_colors(colors)
        window.plot_panel.legend.set_mapping(colors)
        window.plot_panel.view.refit_if_fitted()  # the legend's new size
        window.plot_panel.show_color_column(window.document.shown_color_column)

    def _on_focus_changed(self, row: int) -> None:
        window = self.main_window
        window.plot_panel.view.set_highlight([] if row < 0 else [row])
        if not window.dataset_panel.select_row(row):
            window.status_message.setText(f"Row {row} is hidden by the table's search filter.")

    def _on_pipeline_finished(self) -> None:
        window = self.main_window
        corpus = window.document.corpus
        window.status_message.setText(
            f"{corpus.summary()}; all {corpus.n_rows:,} points drawn{self._layout_note()}."
        )

    def _layout_note(self) -> str:
        """What the map is: PCA's share of the variance, or the layout's trustworthiness beside
        the PCA preview's; and why a large corpus stayed on PCA."""
        from embexplorer.core.analysis.projection import AUTO_LAYOUT_MAX_ROWS

        document = self.main_window.document
        analysis = document.analysis
        projection, result = document.map_data.projection, analysis.result
        if projection.method == "pca":
            ratio = projection.params.get("explained_variance_ratio", [])
            note = f", PCA explains {sum(ratio):.0%} of the variance" if ratio else ""
            if result is not None and result.params.projection == "auto":
                note += (
                    f" (above {AUTO_LAYOUT_MAX_ROWS:,} rows UMAP is not started by itself: "
                    "choose it under Projection)"
                )
            return note
        if document.stored is not None:  # an analysed dataset: the layout it was written with
            return f"; stored layout, neighbours {document.stored.neighbor_label()}"
        name = {"umap": "UMAP", "tsne": "t-SNE"}.get(projection.method, projection.method)
        quality = None if result is None else result.quality
        note = f"; {name} layout on the kNN graph"
        if quality is not None:
            note += f", trustworthiness {quality.trustworthiness.value:.3f}"
            if analysis.preview_trust is not None:
                note += f" (PCA: {analysis.preview_trust.value:.3f})"
        return note
