"""The points of a map glide from one layout to the next (PCA preview → UMAP, say).

Only the drawing moves: the map's own coordinates are the new layout from the first frame
(picking, selection and overlays use them), and the markers are drawn along the way, eased,
for a short while. Maps drawn as an image (more than ``MAX_POINTS`` points) switch at once:
redrawing an image of every point each frame would stall the window.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEasingCurve, QObject, QVariantAnimation

from embexplorer.gui.plot.scatter_view import MARKERS_MAX

#: Up to this many points a new layout is animated (all of them are drawn as markers).
MAX_POINTS = MARKERS_MAX
DURATION_MS = 600


class MapTransition(QObject):
    """Animates a view's markers from old coordinates to the map's new ones."""

    def __init__(self, view, parent: QObject | None = None):
        super().__init__(parent)
        self.view = view
        self._start: np.ndarray | None = None
        self._end: np.ndarray | None = None
        self._animation = QVariantAnimation(self)
        self._animation.setStartValue(0.0)
        self._animation.setEndValue(1.0)
        self._animation.setEasingCurve(QEasingCurve.Type.InOutCubic)
        self._animation.valueChanged.connect(self._frame)
        self._animation.finished.connect(self._end_transition)

    @property
    def running(self) -> bool:
        return self._animation.state() == QVariantAnimation.State.Running

    def start(self, start: np.ndarray, end: np.ndarray, duration_ms: int = DURATION_MS) -> bool:
        """Glide from ``start`` to ``end`` (both (N, 2), the same rows); False when not
        animated (too many points, another number of rows, or no time)."""
        self.stop()
        if len(start) != len(end) or len(end) > MAX_POINTS or duration_ms <= 0:
            return False
        self._start = np.asarray(start, dtype=np.float32)
        self._end = np.asarray(end, dtype=np.float32)
        self._animation.setDuration(duration_ms)
        self._animation.start()
        return True

    def stop(self) -> None:
        """Jump to the end (a new map, or another transition, arrived)."""
        if self.running:
            self._animation.stop()
            self._end_transition()

    def _frame(self, t) -> None:
        if self._start is None or self._end is None:
            return
        t = float(t)
        self.view.draw_at(self._start + (self._end - self._start) * np.float32(t))

    def _end_transition(self) -> None:
        self._start = self._end = None
        self.view.draw_at(None)
