"""Rectangle and lasso selection on the map: a ViewBox that pans in pointer mode, and in the
selection tools draws the shape while dragging and reports it in data coordinates."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtWidgets import QGraphicsRectItem

TOOLS = ("pointer", "rectangle", "lasso")
_PEN = pg.mkPen("#222222", width=1.5, style=Qt.PenStyle.DashLine)


class SelectViewBox(pg.ViewBox):
    #: (x0, x1, y0, y1) in data coordinates, keyboard modifiers
    rectangle_drawn = Signal(object, object)
    #: (M, 2) polygon in data coordinates, keyboard modifiers
    lasso_drawn = Signal(object, object)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tool = "pointer"
        self._rect_item = QGraphicsRectItem()
        self._rect_item.setPen(_PEN)
        self._rect_item.setBrush(pg.mkBrush(30, 30, 30, 25))
        self._rect_item.setZValue(1e6)
        self._rect_item.hide()
        self.addItem(self._rect_item, ignoreBounds=True)
        self._lasso_item = pg.PlotCurveItem(pen=_PEN)
        self._lasso_item.setZValue(1e6)
        self.addItem(self._lasso_item, ignoreBounds=True)
        self._lasso: list[tuple[float, float]] = []

    def set_tool(self, tool: str) -> None:
        if tool not in TOOLS:
            raise ValueError(f"Unknown tool {tool!r}")
        self.tool = tool

    def mouseDragEvent(self, ev, axis=None) -> None:
        if self.tool == "pointer" or ev.button() != Qt.MouseButton.LeftButton:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        here = self.mapToView(ev.pos())
        if self.tool == "rectangle":
            start = self.mapToView(ev.buttonDownPos())
            rect = QRectF(start, here).normalized()
            self._rect_item.setRect(rect)
            self._rect_item.show()
            if ev.isFinish():
                self._rect_item.hide()
                self.rectangle_drawn.emit(
                    (rect.left(), rect.right(), rect.top(), rect.bottom()), ev.modifiers()
                )
            return
        if ev.isStart():
            start = self.mapToView(ev.buttonDownPos())
            self._lasso = [(start.x(), start.y())]
        self._lasso.append((here.x(), here.y()))
        xy = np.array(self._lasso + self._lasso[:1])
        self._lasso_item.setData(x=xy[:, 0], y=xy[:, 1])
        if ev.isFinish():
            self._lasso_item.setData(x=[], y=[])
            polygon = np.array(self._lasso)
            self._lasso = []
            if len(polygon) >= 3:
                self.lasso_drawn.emit(polygon, ev.modifiers())

    def draw_for_test(self, points: list[QPointF], modifiers=Qt.KeyboardModifier.NoModifier):
        """Emit a lasso or rectangle from data points, as a drag would (tests, scripting)."""
        xy = np.array([(p.x(), p.y()) for p in points])
        if self.tool == "rectangle":
            (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
            self.rectangle_drawn.emit((x0, x1, y0, y1), modifiers)
        else:
            self.lasso_drawn.emit(xy, modifiers)
