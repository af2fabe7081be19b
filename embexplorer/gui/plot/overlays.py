"""Overlays on the map, each its own graphics items so toggling one never rebuilds the scatter."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg


class NeighborOverlay:
    """An origin marker, lines from it to its neighbours, and rings around the neighbours."""

    def __init__(self, plot_item: pg.PlotItem, color: str, z: float = 20):
        self.lines = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(color, width=1.2))
        self.rings = pg.ScatterPlotItem(
            pxMode=True, size=11, brush=None, pen=pg.mkPen(color, width=2)
        )
        self.origin = pg.ScatterPlotItem(
            pxMode=True, size=20, symbol="star", brush=pg.mkBrush(color), pen=pg.mkPen("#222")
        )
        for offset, item in enumerate((self.lines, self.rings, self.origin)):
            item.setZValue(z + offset)
            plot_item.addItem(item, ignoreBounds=True)
        self.clear()

    def show(self, origin: np.ndarray | None, targets: np.ndarray) -> None:
        """``origin`` (x, y) or None (then no marker and no lines); ``targets`` (k, 2)."""
        targets = np.asarray(targets, dtype=np.float64).reshape(-1, 2)
        self.rings.setData(x=targets[:, 0], y=targets[:, 1])
        if origin is None or not len(targets):
            self.lines.setData(x=[], y=[])
            self.origin.setData(x=[], y=[])
            if origin is not None:
                self.origin.setData(x=[float(origin[0])], y=[float(origin[1])])
            return
        pairs = np.empty((2 * len(targets), 2))
        pairs[0::2] = np.asarray(origin, dtype=np.float64)
        pairs[1::2] = targets
        self.lines.setData(x=pairs[:, 0], y=pairs[:, 1])
        self.origin.setData(x=[float(origin[0])], y=[float(origin[1])])

    def clear(self) -> None:
        for item in (self.lines, self.rings, self.origin):
            item.setData(x=[], y=[])

    def targets(self) -> np.ndarray:
        x, y = self.rings.getData()
        return np.column_stack([x, y]) if x is not None else np.empty((0, 2))
