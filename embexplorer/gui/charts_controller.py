"""Links the metadata charts to the document: charts computed on the worker for each corpus,
filters asked for by the charts kept in the document, and every view drawn from them (the
charts' bars, the map's faded points, the table's rows)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject

from embexplorer.core.state.filters import column_charts


class ChartsController(QObject):
    def __init__(self, main_window):
        super().__init__(main_window)
        self.main_window = main_window
        doc, panel = main_window.document, main_window.charts_panel
        doc.corpus_changed.connect(lambda _: self._recompute())
        doc.colors_changed.connect(lambda _: self._after_colors())
        #: an analysed dataset's charts wait for its map (10M rows: they would slow it down)
        self._waiting = False
        doc.columns_changed.connect(lambda _: self._recompute())
        doc.tags_changed.connect(lambda _: self._recompute())
        doc.filters_changed.connect(lambda _: self._redraw())
        doc.selection.changed.connect(lambda _: self._redraw())
        panel.filters_requested.connect(doc.set_filters)

    def _recompute(self) -> None:
        doc, panel = self.main_window.document, self.main_window.charts_panel
        panel.set_charts([])  # the old charts are of other rows or columns
        if doc.corpus is None:
            return
        self._waiting = doc.stored is not None and doc.colors is None
        if self._waiting:
            return
        columns = doc.chart_columns()
        self.main_window.runner.submit(
            "charts",
            lambda: _charts_task(columns),
            self._on_charts,
            title="Charts of the columns",
        )

    def _after_colors(self) -> None:
        if self._waiting:
            self._recompute()

    def _on_charts(self, charts) -> None:
        doc = self.main_window.document
        if doc.corpus is None or any(len(c.codes) != doc.corpus.n_rows for c in charts):
            return  # a late result for another corpus
        self.main_window.charts_panel.set_charts(charts)
        doc.set_filters(doc.filters)  # the filter holds on the new columns (or passes them)

    def _redraw(self) -> None:
        window = self.main_window
        doc = window.document
        n = 0 if doc.corpus is None else doc.corpus.n_rows
        selection = doc.selection.selection
        selected = selection.to_mask() if len(selection) and selection.n_rows == n else None
        window.charts_panel.show_state(doc.filters, doc.filter_mask, selected, n)
        window.dataset_panel.set_filter_rows(
            None if doc.filter_mask is None else np.flatnonzero(doc.filter_mask)
        )
        window.map_views.update_mask()


def _charts_task(columns):
    from embexplorer.core.tasks import Progress

    yield Progress(None, "Charts of the columns")
    return column_charts(columns)
