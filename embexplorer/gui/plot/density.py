"""Density contours over the map (numpy / scipy only, no Qt): structure where markers pile up.

Past a few thousand points, markers (and the level-of-detail raster) cover each other: a dense
core and its fringe look equally solid. The density layer draws contour lines of the smoothed
point density in view on top of the points, as Embedding Atlas does:

1. count the points in view on a grid of ``cell_px`` screen pixels (one ``bincount``);
2. smooth the counts with a Gaussian of about 1 % of the view's size (scipy, separable);
3. band the density at halving levels below its maximum in view (½, ¼, …, 1/64 of it), so
   each line marks twice the density of the one outside it, whatever the scale;
4. draw the pixels where the band changes, darker for denser bands.

The result is an RGBA image at grid resolution that the view stretches over the view range;
its cost is one pass over the points and a few over ~250k cells (``embexplorer bench plot``).
"""

from __future__ import annotations

import numpy as np

#: Above this many points the density layer is on unless the user turned it off.
DENSITY_DEFAULT_MIN = 5_000
#: Density levels: the maximum in view times 2^-1, 2^-2, …, 2^-LEVELS.
LEVELS = 6
CELL_PX = 2
#: The smoothing's standard deviation, as a share of the view's larger side (in pixels) ...
SMOOTH_SHARE = 0.008
#: ... and at least this many pixels.
SMOOTH_MIN_PX = 4.0
LINE_RGB = (25, 25, 35)
LINE_ALPHA = (50, 170)  # the outermost and innermost line


def density_grid(
    coords: np.ndarray,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    shape: tuple[int, int],
    sigma_cells: float,
) -> np.ndarray:
    """(H, W) float32 smoothed counts of the points in range; row 0 is at ``y_range[0]``."""
    from scipy.ndimage import gaussian_filter

    height, width = shape
    (x0, x1), (y0, y1) = x_range, y_range
    sx = np.float32(width / (x1 - x0)) if x1 > x0 else np.float32(0)
    sy = np.float32(height / (y1 - y0)) if y1 > y0 else np.float32(0)
    fx = (coords[:, 0] - np.float32(x0)) * sx
    fy = (coords[:, 1] - np.float32(y0)) * sy
    inside = (fx >= 0) & (fx < width) & (fy >= 0) & (fy < height)
    if not inside.all():
        fx, fy = fx[inside], fy[inside]
    flat = fy.astype(np.int32) * np.int32(width) + fx.astype(np.int32)
    counts = np.bincount(flat, minlength=height * width).astype(np.float32)
    return gaussian_filter(counts.reshape(height, width), sigma_cells, mode="constant")


def contour_bands(density: np.ndarray, levels: int = LEVELS) -> np.ndarray:
    """(H, W) int8: for each cell, how many of the halving levels its density reaches."""
    peak = float(density.max()) if density.size else 0.0
    if peak <= 0:
        return np.zeros(density.shape, dtype=np.int8)
    thresholds = peak * 0.5 ** np.arange(levels, 0, -1, dtype=np.float32)  # ascending
    return np.searchsorted(thresholds, density, side="right").astype(np.int8)


def contour_image(bands: np.ndarray, levels: int = LEVELS) -> np.ndarray:
    """(H, W, 4) uint8: the cells where the band changes (to the right or above), drawn in
    the line colour of the denser side; every other cell transparent."""
    edge = np.zeros(bands.shape, dtype=np.int8)
    right = np.maximum(bands[:, 1:], bands[:, :-1])
    np.copyto(edge[:, :-1], right, where=bands[:, 1:] != bands[:, :-1])
    up = np.maximum(bands[1:], bands[:-1])
    np.copyto(edge[:-1], np.maximum(edge[:-1], up), where=bands[1:] != bands[:-1])
    lut = np.zeros((levels + 1, 4), dtype=np.uint8)
    lut[1:, :3] = LINE_RGB
    lut[1:, 3] = np.linspace(*LINE_ALPHA, levels).round()
    return lut[edge]


def density_contours(
    coords: np.ndarray,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    size: tuple[int, int],
    cell_px: int = CELL_PX,
) -> np.ndarray:
    """The contour image for a view of ``size`` (width, height) screen pixels."""
    width, height = max(1, int(size[0]) // cell_px), max(1, int(size[1]) // cell_px)
    sigma_px = max(SMOOTH_MIN_PX, SMOOTH_SHARE * max(size))
    density = density_grid(coords, x_range, y_range, (height, width), sigma_px / cell_px)
    return contour_image(contour_bands(density))
