"""The map's markers: filled discs, one colour per palette code, sized in pixels, drawn from a
small atlas with one ``QPainter.drawPixmapFragments`` call.

Why not pyqtgraph's ``ScatterPlotItem``: giving it N points with per-point brushes and sizes
runs several Python loops over the points (a brush per point, a style key per point, an atlas
lookup per point). At 20,000–90,000 markers that took 0.1–0.5 s on the GUI thread for every
new set of markers (a colouring, a selection, a zoom that shows markers, each frame of the
glide between two layouts; issue 11 part 8). Here every per-point step is numpy: the atlas
has one disc per (colour, size) pair in use, found with ``np.unique``, and painting maps the
points to device pixels and fills the fragment array in a few vector operations.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph import Qt as pg_qt
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap

#: sizes are drawn to the nearest pixel, at most this many pixels across
MAX_MARKER_PX = 40


class MarkerLayer(pg.GraphicsObject):
    """Discs at data coordinates, sized in screen pixels (like ``pxMode=True``); passive: clicks
    and hovers are left to the view, which picks with its PointIndex."""

    def __init__(self) -> None:
        super().__init__()
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)
        self._xy = np.empty((0, 2), dtype=np.float64)
        #: per point: its palette code, and its diameter in pixels (whole)
        self.point_codes = np.empty(0, dtype=np.intp)
        self.point_px = np.empty(0, dtype=np.int32)
        self._palette = np.empty((0, 4), dtype=np.uint8)
        self._cell = np.empty(0, dtype=np.intp)  # per point: its disc in the atlas
        self._atlas: QPixmap | None = None
        self._atlas_rects = np.empty((0, 4), dtype=np.float64)  # per disc: x, y, w, h
        self._bounds = QRectF()
        self._dpr = 1.0  # the atlas is drawn at the screen's device pixel ratio
        self._used: tuple[np.ndarray, np.ndarray] = (np.empty(0, np.intp), np.empty(0, np.intp))
        self._fragments = pg_qt.internals.PrimitiveArray(QPainter.PixmapFragment, 10)

    # -- data ---------------------------------------------------------------------------------
    def set_points(
        self, xy: np.ndarray, codes: np.ndarray, palette: np.ndarray, sizes: np.ndarray | float
    ) -> None:
        """``xy`` (m × 2, data units), each point's palette ``codes``, the ``palette`` (RGBA
        uint8 rows) and the diameters in pixels (one for all, or one per point)."""
        self.prepareGeometryChange()
        self._xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        m = len(self._xy)
        self.point_codes = np.asarray(codes, dtype=np.intp).reshape(m)
        px = np.rint(np.broadcast_to(np.asarray(sizes, dtype=np.float64), (m,)))
        self.point_px = np.clip(px, 1, MAX_MARKER_PX).astype(np.int32)
        self._palette = np.asarray(palette, dtype=np.uint8).reshape(-1, 4)
        keys = self.point_codes * (MAX_MARKER_PX + 1) + self.point_px
        used, self._cell = np.unique(keys, return_inverse=True)
        self._used = (used // (MAX_MARKER_PX + 1), used % (MAX_MARKER_PX + 1))
        self._build_atlas(*self._used)
        if m:
            lo, hi = self._xy.min(axis=0), self._xy.max(axis=0)
            self._bounds = QRectF(lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1])
        else:
            self._bounds = QRectF()
        self.update()

    def clear(self) -> None:
        self.set_points(np.empty((0, 2)), np.empty(0, np.intp), self._palette, 1.0)

    def getData(self) -> tuple[np.ndarray, np.ndarray]:
        """The markers' x and y (as pyqtgraph's items give them)."""
        return self._xy[:, 0], self._xy[:, 1]

    def point_colors(self) -> np.ndarray:
        """Each marker's RGBA colour (m × 4 uint8)."""
        return self._palette[self.point_codes]

    def _build_atlas(self, codes: np.ndarray, px: np.ndarray) -> None:
        """One antialiased disc per (colour, size) pair in use, side by side in one pixmap."""
        if not len(codes):
            self._atlas, self._atlas_rects = None, np.empty((0, 4))
            return
        cell = int(px.max()) + 2
        cell += cell % 2  # even: centred on a pixel corner, the disc stays on the pixel grid
        dpr = self._dpr
        side = int(np.ceil(cell * dpr))
        image = QImage(side * len(codes), side, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.scale(side / cell, side / cell)
        painter.setPen(Qt.PenStyle.NoPen)
        for i, (code, d) in enumerate(zip(codes.tolist(), px.tolist(), strict=True)):
            painter.setBrush(QColor(*(int(c) for c in self._palette[code])))
            painter.drawEllipse(QRectF(i * cell + (cell - d) / 2, (cell - d) / 2, d, d))
        painter.end()
        self._atlas = QPixmap.fromImage(image)
        self._atlas_rects = np.column_stack(
            [np.arange(len(codes)) * side, np.zeros(len(codes)), np.full((len(codes), 2), side)]
        ).astype(np.float64)

    # -- painting -----------------------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        """The points' extent, padded by the largest disc (converted from pixels)."""
        if self._bounds.isNull() and not len(self._xy):
            return QRectF()
        px = float(self.point_px.max()) if len(self.point_px) else 0.0
        try:
            vx, vy = self.pixelVectors()
            pad_x, pad_y = px * vx.length(), px * vy.length()
        except Exception:  # not in a view yet
            pad_x = pad_y = 0.0
        return self._bounds.adjusted(-pad_x, -pad_y, pad_x, pad_y)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if self._atlas is None or not len(self._xy):
            return
        dpr = widget.devicePixelRatioF() if widget is not None else 1.0
        if dpr != self._dpr:  # another screen: sharp discs at its pixel ratio
            self._dpr = dpr
            self._build_atlas(*self._used)
        t = painter.transform()
        x = t.m11() * self._xy[:, 0] + t.m21() * self._xy[:, 1] + t.dx()
        y = t.m12() * self._xy[:, 0] + t.m22() * self._xy[:, 1] + t.dy()
        device = painter.device()
        w, h = device.width(), device.height()
        margin = MAX_MARKER_PX
        shown = (x > -margin) & (x < w + margin) & (y > -margin) & (y < h + margin)
        rows = np.flatnonzero(shown)
        self._fragments.resize(len(rows))
        if not len(rows):
            return
        frags = self._fragments.ndarray()
        # whole device pixels: the even-sided cells then sit on the pixel grid, unresampled
        frags[:, 0] = np.rint(x[rows] * self._dpr) / self._dpr
        frags[:, 1] = np.rint(y[rows] * self._dpr) / self._dpr
        frags[:, 2:6] = self._atlas_rects[self._cell[rows]]
        # scale x, scale y (the atlas is in device pixels), rotation, opacity
        frags[:, 6:10] = (1 / self._dpr, 1 / self._dpr, 0.0, 1.0)
        painter.resetTransform()
        painter.drawPixmapFragments(*self._fragments.drawargs(), self._atlas)
