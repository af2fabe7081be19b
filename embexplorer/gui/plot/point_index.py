"""Find points near a position, and points in a rectangle, with numpy (no Qt, no per-point
objects). Points are kept sorted by x, so a query looks only at an x-window of them. Above
DIRECT_MAX points the index also holds a :class:`DensityIndex` for the density layer (built
here, on the worker, so no frame pays for it)."""

from __future__ import annotations

import numpy as np

from embexplorer.gui.plot.density import DENSITY_DEFAULT_MIN, DIRECT_MAX, DensityIndex
from embexplorer.gui.plot.raster import OVERVIEW_MIN, RasterOverview


class PointIndex:
    """Points sorted by x. Building costs one argsort; run it off the GUI thread for big N."""

    def __init__(self, coords: np.ndarray):
        self.coords = np.asarray(coords, dtype=np.float32)
        # the order of equal x does not matter (every query sorts or ties by row): past
        # OVERVIEW_MIN points, quicksort (10M points: 0.9 s, not 2.2 s)
        kind = "quicksort" if len(self.coords) >= OVERVIEW_MIN else "stable"
        self.order = np.argsort(self.coords[:, 0], kind=kind)
        if len(self.order) < 2**31:  # half the memory (10M points: 40 MB less)
            self.order = self.order.astype(np.int32)
        self.xs = self.coords[self.order, 0]
        # y in the same order: a rectangle query compares a contiguous slice, not a gather of
        # scattered rows (at 1M points in view: ~1 ms instead of ~20 ms a frame)
        self.ys = self.coords[self.order, 1]
        self.density = DensityIndex(self.coords) if len(self.coords) > DIRECT_MAX else None
        #: past OVERVIEW_MIN points, zoomed-out frames are drawn from this (raster.py)
        self.overview = RasterOverview(self.coords) if len(self.coords) >= OVERVIEW_MIN else None
        if len(self.coords) >= DENSITY_DEFAULT_MIN:
            # the density layer smooths with scipy.ndimage: import it here, on the worker, not
            # in the first frame (~0.4 s on the GUI thread)
            import scipy.ndimage  # noqa: F401

    def __len__(self) -> int:
        return len(self.coords)

    def in_rect(self, x0: float, x1: float, y0: float, y1: float) -> np.ndarray:
        """Row indices (ascending, i.e. drawing order) of the points inside the rectangle."""
        (x0, x1), (y0, y1) = _inward(x0, x1), _inward(y0, y1)
        lo, hi = np.searchsorted(self.xs, x0, "left"), np.searchsorted(self.xs, x1, "right")
        y = self.ys[lo:hi]
        return np.sort(self.order[lo:hi][(y >= y0) & (y <= y1)])

    def in_x_window(self, x0: float, x1: float) -> np.ndarray:
        """Row indices (unordered) of the points with x0 <= x <= x1: a superset of a
        rectangle's, for work that needs no exact rectangle (counting on a grid)."""
        x0, x1 = _inward(x0, x1)
        lo, hi = np.searchsorted(self.xs, x0, "left"), np.searchsorted(self.xs, x1, "right")
        return self.order[lo:hi]

    def count_in_rect(self, x0: float, x1: float, y0: float, y1: float) -> int:
        (x0, x1), (y0, y1) = _inward(x0, x1), _inward(y0, y1)
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


def _inward(lo: float, hi: float) -> tuple[np.float32, np.float32]:
    """``[lo, hi]`` as the float32 bounds holding the same float32 values: the smallest float32
    ≥ lo and the largest ≤ hi. Comparing float32 positions with them is exact and needs no
    float64 copy of the positions (searchsorted with a float64 bound converts all of them:
    ~0.1 s per call at 10M points)."""
    f_lo, f_hi = np.float32(lo), np.float32(hi)
    if f_lo < lo:
        f_lo = np.nextafter(f_lo, np.float32(np.inf))
    if f_hi > hi:
        f_hi = np.nextafter(f_hi, np.float32(-np.inf))
    return f_lo, f_hi
