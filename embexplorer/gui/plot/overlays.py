"""Overlays on the map, each its own graphics items so toggling one never rebuilds the scatter."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt


class PassiveScatter(pg.ScatterPlotItem):
    """A scatter that leaves clicks to the view (which picks with its PointIndex).

    pyqtgraph's own click handling (``pointsAt``) makes a ``SpotItem`` for every point on the
    first click; each refers back to the points' numpy array, which holds it: a cycle the
    garbage collector cannot see through, so every array that was clicked once stays in
    memory for good (20,000 objects per click on a 20,000-point map)."""

    def mouseClickEvent(self, ev) -> None:
        ev.ignore()


class NeighborOverlay:
    """An origin marker, lines from it to its neighbours, and rings around the neighbours."""

    def __init__(
        self,
        plot_item: pg.PlotItem,
        color: str,
        z: float = 20,
        dashed: bool = False,
        star: bool = True,
    ):
        style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
        self.lines = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(color, width=1.2, style=style))
        self.rings = PassiveScatter(pxMode=True, size=11, brush=None, pen=pg.mkPen(color, width=2))
        self.origin = PassiveScatter(
            pxMode=True,
            size=20 if star else 14,
            symbol="star" if star else "o",
            brush=pg.mkBrush(color) if star else None,
            pen=pg.mkPen("#222", width=2),
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


class HubOverlay:
    """Hubs ringed in red, antihubs marked with a small grey cross."""

    def __init__(self, plot_item: pg.PlotItem, z: float = 12):
        self.hubs = PassiveScatter(
            pxMode=True, size=13, brush=None, pen=pg.mkPen("#d62728", width=2)
        )
        self.antihubs = PassiveScatter(
            pxMode=True, size=7, symbol="x", brush=pg.mkBrush("#555555"), pen=None
        )
        for item in (self.hubs, self.antihubs):
            item.setZValue(z)
            plot_item.addItem(item, ignoreBounds=True)

    def show(
        self, coords: np.ndarray | None, hubs: np.ndarray | None, antihubs: np.ndarray | None
    ) -> None:
        for item, mask in ((self.hubs, hubs), (self.antihubs, antihubs)):
            if coords is None or mask is None:
                item.setData(x=[], y=[])
            else:
                xy = coords[mask]
                item.setData(x=xy[:, 0], y=xy[:, 1])

    def counts(self) -> tuple[int, int]:
        return len(self.hubs.data), len(self.antihubs.data)
