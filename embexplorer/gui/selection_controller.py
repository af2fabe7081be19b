"""Connects the selection to what makes and shows it: clicks, rectangle and lasso on the map,
legend entries, the mode chooser; the faded unselected points, the count, the table."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication

from embexplorer.core.state.selection import points_in_polygon, simplify_polygon
from embexplorer.core.tasks import Progress, Task
from embexplorer.gui.selection_state import SelectionState, mode_for

#: Lassos around more candidate points than this are resolved on the worker thread.
LASSO_ON_WORKER = 200_000


def lasso_rows_task(
    coords: np.ndarray, candidates: np.ndarray, polygon: np.ndarray
) -> Task[np.ndarray]:
    yield Progress(None, f"Lasso: testing {len(candidates):,} points")
    inside = points_in_polygon(coords[candidates], simplify_polygon(polygon))
    return candidates[inside]


class SelectionViews(QObject):
    def __init__(self, window, parent=None):
        super().__init__(parent)
        self.main_window = window
        self.state: SelectionState = window.document.selection
        self.view = window.plot_panel.view
        box = self.view.getPlotItem().getViewBox()
        self.view.picked.connect(self._on_pick)
        box.rectangle_drawn.connect(self._on_rectangle)
        box.lasso_drawn.connect(self._on_lasso)
        window.plot_panel.legend.entry_clicked.connect(self._on_legend)
        window.plot_panel.mode_combo.currentIndexChanged.connect(
            lambda _: setattr(
                self.state, "default_mode", window.plot_panel.mode_combo.currentData()
            )
        )
        self.state.changed.connect(self._on_changed)

    def _mode(self, modifiers) -> str:
        return mode_for(modifiers, self.state.default_mode)

    def _on_pick(self, row: int, modifiers) -> None:
        mode = self._mode(modifiers)
        if row >= 0:
            self.state.apply([row], mode)
        elif mode == "replace":
            self.state.clear()  # a click on empty space

    def _on_rectangle(self, rect, modifiers) -> None:
        index = self.view.index
        if index is not None:
            self.state.apply(index.in_rect(*rect), self._mode(modifiers))

    def _on_lasso(self, polygon: np.ndarray, modifiers) -> None:
        index = self.view.index
        if index is None:
            return
        (x0, y0), (x1, y1) = polygon.min(axis=0), polygon.max(axis=0)
        candidates = index.in_rect(x0, x1, y0, y1)
        mode = self._mode(modifiers)
        coords = index.coords
        if len(candidates) <= LASSO_ON_WORKER:
            inside = points_in_polygon(coords[candidates], simplify_polygon(polygon))
            self.state.apply(candidates[inside], mode)
        else:
            self.main_window.runner.submit(
                "select",
                lambda: lasso_rows_task(coords, candidates, polygon),
                lambda rows: self.state.apply(rows, mode),
                title="Lasso",
            )

    def _on_legend(self, code: int) -> None:
        colors = self.view.colors
        rows = np.flatnonzero(colors.codes == code)
        self.state.apply(rows, self._mode(QApplication.keyboardModifiers()))

    def _on_changed(self, selection) -> None:
        n = selection.n_rows
        self.main_window.map_views.update_mask()
        self.main_window.plot_panel.show_selection_count(len(selection), n)
        self.main_window.dataset_panel.set_selection_rows(selection.rows)
        self.main_window.update_selection_actions()
