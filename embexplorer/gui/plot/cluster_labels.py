"""Keyword labels at cluster centres, kept readable: after every zoom, labels are placed from
the largest cluster down; a label whose centre is in view is slid inside the plot's edges, and
one that would overlap a label already placed is hidden."""

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
        self.centres: list[QPointF] = []  # each label's cluster centre (view coordinates)
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
            centre = QPointF(float(centres[i, 0]), float(centres[i, 1]))
            item.setPos(centre)
            self.plot_item.addItem(item, ignoreBounds=True)
            self.items.append(item)
            self.centres.append(centre)
        self.relayout()

    def clear(self) -> None:
        for item in self.items:
            self.plot_item.removeItem(item)
        self.items, self.centres = [], []

    def relayout(self) -> None:
        area = self.view_box.sceneBoundingRect()
        placed: list[QRectF] = []
        for item, centre in zip(self.items, self.centres, strict=True):
            at = self.view_box.mapViewToScene(centre)
            size = item.textItem.boundingRect().size()
            rect = QRectF(at - QPointF(size.width() / 2, size.height() / 2), size)
            # slide a label that sticks out over an edge back inside (its cluster is in view)
            rect.moveLeft(min(max(rect.left(), area.left()), area.right() - rect.width()))
            rect.moveTop(min(max(rect.top(), area.top()), area.bottom() - rect.height()))
            visible = area.contains(at) and not any(rect.intersects(other) for other in placed)
            item.setVisible(visible)
            if visible:
                item.setPos(self.view_box.mapSceneToView(rect.center()))
                placed.append(rect)

    def visible_texts(self) -> list[str]:
        return [item.textItem.toPlainText() for item in self.items if item.isVisible()]
