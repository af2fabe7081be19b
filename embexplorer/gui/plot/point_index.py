"""Find points near a position, and points in a rectangle, with numpy (no Qt, no per-point
objects). Points are kept sorted by x, so a query looks only at an x-window of them. Above
DIRECT_MAX points the index also holds a :class:`DensityIndex` for the density layer (built
here, on the worker, so no frame pays for it)."""

from __future__ import annotations

import numpy as np

from embexplorer.gui.plot.density import DENSITY_DEFAULT_MIN, DIRECT_MAX, DensityIndex


class PointIndex:
    """Points sorted by x. Building costs one argsort; run it off the GUI thread for big N."""

    def __init__(self, coords: np.ndarray):
        self.coords = np.asarray(coords, dtype=np.float32)
        self.order = np.argsort(self.coords[:, 0], kind="stable")
        self.xs = self.coords[self.order, 0]
        # y in the same order: a rectangle query compares a contiguous slice, not a gather of
        # scattered rows (at 1M points in view: ~1 ms instead of ~20 ms a frame)
        self.ys = self.coords[self.order, 1]
        self.density = DensityIndex(self.coords) if len(self.coords) > DIRECT_MAX else None
        if len(self.coords) >= DENSITY_DEFAULT_MIN:
            # the density layer smooths with scipy.ndimage: import it here, on the worker, not
            # in the first frame (~0.4 s on the GUI thread)
            import scipy.ndimage  # noqa: F401

    def __len__(self) -> int:
        return len(self.coords)

    def in_rect(self, x0: float, x1: float, y0: float, y1: float) -> np.ndarray:
        """Row indices (ascending, i.e. drawing order) of the points inside the rectangle."""
        lo, hi = np.searchsorted(self.xs, x0, "left"), np.searchsorted(self.xs, x1, "right")
        y = self.ys[lo:hi]
        return np.sort(self.order[lo:hi][(y >= y0) & (y <= y1)])

    def in_x_window(self, x0: float, x1: float) -> np.ndarray:
        """Row indices (unordered) of the points with x0 <= x <= x1: a superset of a
        rectangle's, for work that needs no exact rectangle (counting on a grid)."""
        lo, hi = np.searchsorted(self.xs, x0, "left"), np.searchsorted(self.xs, x1, "right")
        return self.order[lo:hi]

    def count_in_rect(self, x0: float, x1: float, y0: float, y1: float) -> int:
        lo, hi = np.searchsorted(self.xs, x0, side="left"), np.searchsorted(self.xs, x1, "right")
        y = self.ys[lo:hi]
        return int(np.count_nonzero((y >= y0) & (y <= y1)))

    def nearest(self, x: float, y: float, rx: float, ry: float) -> int:
        """The point nearest (x, y) within the ellipse of radii (rx, ry), or -1.

        ``rx``/``ry`` are the pick tolerance in data units per axis (a few pixels' worth), so the
        distance is measured in screen pixels even when the axes have different scales. On a
        tie the point drawn last (highest row, on top) wins.
        """
        if not len(self.xs) or rx <= 0 or ry <= 0:
            return -1
        lo, hi = np.searchsorted(self.xs, x - rx, "left"), np.searchsorted(self.xs, x + rx, "right")
        rows = self.order[lo:hi]
        if not len(rows):
            return -1
        d2 = ((self.coords[rows, 0] - x) / rx) ** 2 + ((self.coords[rows, 1] - y) / ry) ** 2
        inside = d2 <= 1.0
        if not inside.any():
            return -1
        rows, d2 = rows[inside], d2[inside]
        best = np.flatnonzero(d2 == d2.min())
        return int(rows[best].max())
