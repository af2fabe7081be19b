"""Keyword labels at cluster centres, kept readable: after every zoom, labels are placed from
the largest cluster down and a label that would overlap one already placed is hidden."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF


def cluster_centres(coords: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cluster ids, mean 2-D position of each), noise (-1) left out; O(N) with bincount."""
    keep = labels >= 0
    ids, inverse = np.unique(labels[keep], return_inverse=True)
    counts = np.bincount(inverse)
    xs = np.bincount(inverse, weights=coords[keep, 0]) / counts
    ys = np.bincount(inverse, weights=coords[keep, 1]) / counts
    return ids, np.column_stack([xs, ys])


class ClusterLabels:
    def __init__(self, plot_item: pg.PlotItem, z: float = 30):
        self.plot_item = plot_item
        self.view_box = plot_item.getViewBox()
        self.z = z
        self.items: list[pg.TextItem] = []
        self.view_box.sigRangeChanged.connect(lambda *_: self.relayout())

    def show(self, centres: np.ndarray, texts: list[str], sizes: list[int]) -> None:
        """Labels at ``centres``; ``sizes`` give the placing priority (largest first)."""
        self.clear()
        for i in np.argsort(-np.asarray(sizes), kind="stable"):
            item = pg.TextItem(
                text=texts[i],
                color="#111111",
                anchor=(0.5, 0.5),
                fill=pg.mkBrush(255, 255, 255, 210),
                border=pg.mkPen("#888888"),
            )
            item.setZValue(self.z)
            item.setPos(float(centres[i, 0]), float(centres[i, 1]))
            self.plot_item.addItem(item, ignoreBounds=True)
            self.items.append(item)
        self.relayout()

    def clear(self) -> None:
        for item in self.items:
            self.plot_item.removeItem(item)
        self.items = []

    def relayout(self) -> None:
        placed: list[QRectF] = []
        for item in self.items:
            centre = self.view_box.mapViewToScene(item.pos())
            size = item.textItem.boundingRect().size()
            rect = QRectF(centre - QPointF(size.width() / 2, size.height() / 2), size)
            visible = not any(rect.intersects(other) for other in placed)
            item.setVisible(visible)
            if visible:
                placed.append(rect)

    def visible_texts(self) -> list[str]:
        return [item.textItem.toPlainText() for item in self.items if item.isVisible()]
