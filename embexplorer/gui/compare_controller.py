"""Connects the embeddings of the corpus (document.embeddings) to what shows and changes them:
the Embeddings, Compare and Stability panels, the Encoder panel's "Add as a new embedding",
and the second map, linked to the main map (colours, selection, focus, hover, zoom)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QSplitter

from embexplorer.gui.compare_panel import ComparePanel
from embexplorer.gui.embeddings_panel import EmbeddingsPanel
from embexplorer.gui.encoder_panel import EncoderPanel
from embexplorer.gui.plot.panel import PlotPanel
from embexplorer.gui.second_map import SecondMap
from embexplorer.gui.stability_panel import StabilityPanel


def _vector_columns_task(path):
    from embexplorer.core.state.embedding_sources import vector_columns
    from embexplorer.core.tasks import Progress

    yield Progress(None, "Listing the file's vector columns")
    try:
        return vector_columns(path)
    except Exception:  # a format without columns to offer: nothing to list
        return []


class CompareViews(QObject):
    def __init__(
        self,
        document,
        panel: EmbeddingsPanel,
        compare: ComparePanel,
        stability: StabilityPanel,
        second: SecondMap,
        plot: PlotPanel,
        encoder: EncoderPanel,
        splitter: QSplitter,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.document, self.embeddings = document, document.embeddings
        self.panel, self.compare, self.stability = panel, compare, stability
        self.second, self.plot, self.splitter = second, plot, splitter
        self._columns: list[str] = []
        emb = self.embeddings
        emb.changed.connect(self._on_workspace)
        emb.second_map_changed.connect(self._on_second_map)
        emb.comparison_changed.connect(self._on_comparison)
        emb.stability_changed.connect(self._on_stability)
        panel.derive_requested.connect(emb.derive)
        panel.column_requested.connect(emb.add_column)
        panel.file_requested.connect(emb.add_file)
        panel.show_requested.connect(emb.show)
        panel.compare_requested.connect(emb.compare)
        panel.remove_requested.connect(emb.remove)
        second.close_requested.connect(lambda: emb.compare(None))
        compare.row_chosen.connect(document.set_focus)
        stability.run_requested.connect(emb.sweep)
        stability.variant_chosen.connect(emb.add_variant)
        encoder.add_requested.connect(emb.add_model)
        document.corpus_changed.connect(self._on_corpus)
        document.colors_changed.connect(self._on_colors)
        document.focus_changed.connect(self._on_focus)
        document.selection.changed.connect(self._on_selection)
        view = second.view
        view.point_clicked.connect(document.set_focus)
        view.picked.connect(self._on_pick)
        view.point_hovered.connect(lambda row: self._hover(plot.view, row))
        plot.view.point_hovered.connect(lambda row: self._hover(view, row))
        second.hide()

    # -- the workspace -------------------------------------------------------------------------
    def _on_corpus(self, _corpus) -> None:
        self._columns = []
        source = self.document.source
        if source is not None and self.document.stored is None:  # an analysed dataset: none
            self.document.runner.submit(
                "vector columns",
                lambda: _vector_columns_task(source),
                self._on_columns,
                title="Listing vector columns",
            )

    def _on_columns(self, columns: list[str]) -> None:
        self._columns = columns
        self.panel.show_workspace(self.embeddings.workspace, columns)

    def _on_workspace(self, workspace) -> None:
        self.panel.show_workspace(workspace, self._columns)
        comparing = workspace is not None and workspace.other is not None
        if comparing and self.second.isHidden():
            self.second.show()
            # the two plots equally wide (the main panel also holds the legend): their zoom is
            # linked, so equal widths give equal scales
            width = sum(self.splitter.sizes())
            legend = self.plot.legend.width() if self.plot.legend.isVisible() else 0
            main = min(width - 200, (width + legend) // 2)
            self.splitter.setSizes([main, width - main])
        elif not comparing and not self.second.isHidden():
            self.second.hide()
        self._show_title()

    def _show_title(self) -> None:
        ws = self.embeddings.workspace
        if ws is None or ws.other is None:
            self.second.show_title(None, None, None)
            return
        overlap = None if ws.comparison is None else ws.comparison.mean_overlap
        self.second.show_title(ws.other, ws.active, overlap)

    # -- the second map ------------------------------------------------------------------------
    def _on_second_map(self, map_data) -> None:
        view = self.second.view
        view.set_points(None if map_data is None else map_data.index, self.document.colors)
        if map_data is None:
            return
        box, main_box = view.getPlotItem().getViewBox(), self.plot.view.getPlotItem().getViewBox()
        box.setXLink(main_box)
        box.setYLink(main_box)
        self._on_selection(self.document.selection.selection)
        self._on_focus(self.document.focus_row)

    def _on_colors(self, colors) -> None:
        if self.second.view.index is not None:
            self.second.view.set_colors(colors)

    def _on_selection(self, selection) -> None:
        view = self.second.view
        if view.index is not None and len(view.index) == selection.n_rows:
            view.set_selection(selection.to_mask() if len(selection) else None)

    def _on_focus(self, row: int) -> None:
        if self.second.view.index is not None:
            self.second.view.set_highlight([] if row < 0 else [row])
        ws = self.embeddings.workspace
        self.compare.show_row(row, None if ws is None else ws.comparison, self.document.corpus)

    def _on_pick(self, row: int, modifiers) -> None:
        from embexplorer.gui.selection_state import mode_for

        state = self.document.selection
        mode = mode_for(modifiers, state.default_mode)
        if row >= 0:
            state.apply([row], mode)
        elif mode == "replace":
            state.clear()

    def _hover(self, other_view, row: int) -> None:
        """A point hovered on one map is ringed on the other (with the focused point)."""
        if other_view.index is None:
            return
        focus = self.document.focus_row
        rows = [r for r in (focus, row) if r >= 0]
        other_view.set_highlight(np.unique(rows).tolist() if rows else [])

    # -- the comparison and the sweep ------------------------------------------------------------
    def _on_comparison(self, comparison) -> None:
        ws = self.embeddings.workspace
        names = ("", "") if ws is None else (ws.active or "", ws.other or "")
        self.compare.show_comparison(comparison, names, self.document.corpus)
        self.compare.show_row(self.document.focus_row, comparison, self.document.corpus)
        self._show_title()
        doc = self.document
        if doc.corpus is not None:  # the colour choices gain (or lose) the overlap
            self.plot.set_corpus(doc.corpus, doc.shown_color_column, doc.extra_column_names())
        doc.comparison_changed()

    def _on_stability(self, outcome) -> None:
        if outcome is None:
            self.stability.show_rows(None, None, 10)
        else:
            name, k, rows = outcome
            self.stability.show_rows(rows, name, k)
