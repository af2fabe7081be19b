"""Density contours over the map (numpy / scipy only, no Qt): structure where markers pile up.

Past a few thousand points, markers (and the level-of-detail raster) cover each other: a dense
core and its fringe look equally solid. The density layer draws contour lines of the smoothed
point density in view on top of the points, as Embedding Atlas does:

1. count the points in view on a grid of 4-pixel cells: one ``bincount`` of the
   points in view when they are few (up to ``DIRECT_MAX``); for more, from
   :class:`DensityIndex`, an integral image of counts over the whole map built once off the GUI
   thread (with the :class:`PointIndex`), read at the view's cell edges: a frame's cost then
   grows with the view's cells, not with the points;
2. smooth the counts with a Gaussian of about 1 % of the view's size (scipy, separable), and
   interpolate them to 2-pixel cells;
3. band the density at halving levels below its maximum in view (½, ¼, …, 1/64 of it), so
   each line marks twice the density of the one outside it, whatever the scale;
4. drop the rings of regions too small to need them (under ``MIN_REGION_PX`` across): a
   map of 1,000 small islands drew six rings around each, which hid more than it showed;
   their markers show them, the lines are for the larger structure;
5. draw the pixels where the band changes, darker for denser bands.

The result is an RGBA image at grid resolution that the view stretches over the view range;
at 1M points a frame costs a few passes over ~250k cells (``embexplorer bench plot``).
"""

from __future__ import annotations

import numpy as np

#: Above this many points the density layer is on unless the user turned it off.
DENSITY_DEFAULT_MIN = 5_000
#: Density levels: the maximum in view times 2^-1, 2^-2, …, 2^-LEVELS.
LEVELS = 6
#: The density is counted and smoothed on cells of COUNT_CELLS × CELL_PX pixels, then
#: interpolated to cells of CELL_PX pixels for the lines (smoothing is the costly step).
CELL_PX = 2
COUNT_CELLS = 2
#: The smoothing's standard deviation, as a share of the view's larger side (in pixels) ...
SMOOTH_SHARE = 0.008
#: ... and at least this many pixels.
SMOOTH_MIN_PX = 4.0
#: Up to this many points (in view) are counted directly, each frame.
DIRECT_MAX = 200_000
#: DensityIndex's grid: cells per side over the points' extent (its integral: 8 MB).
INDEX_GRID = 1024
#: A region (at any level) narrower than about this many pixels across gets no line.
MIN_REGION_PX = 24
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
    counts = counts.reshape(height, width)
    return smoothed(counts, sigma_cells) if sigma_cells > 0 else counts


class DensityIndex:
    """Counts of the points on an INDEX_GRID² grid over their extent, as an integral image,
    so the count in any rectangle is four lookups (bilinear between cell edges: the points of
    a cell are taken as spread evenly over it)."""

    def __init__(self, coords: np.ndarray, grid: int = INDEX_GRID):
        lo, hi = column_extent(coords)
        # grid - 1 cells span the points: the last cell holds the maximum (ranges are [x0, x1))
        self.lo, self.cell = lo, np.maximum(hi - lo, 1e-12) / (grid - 1)
        top = lo + grid * self.cell
        counts = density_grid(coords, (lo[0], top[0]), (lo[1], top[1]), (grid, grid), 0)
        self.integral = np.zeros((grid + 1, grid + 1))
        np.cumsum(np.cumsum(counts, axis=0, dtype=np.float64), axis=1, out=self.integral[1:, 1:])

    def counts(
        self, x_range: tuple[float, float], y_range: tuple[float, float], shape: tuple[int, int]
    ) -> np.ndarray:
        """(H, W) float32 counts of the cells of ``shape`` tiling the view."""
        height, width = shape
        gx = (np.linspace(*x_range, width + 1) - self.lo[0]) / self.cell[0]
        gy = (np.linspace(*y_range, height + 1) - self.lo[1]) / self.cell[1]
        rows = _interpolate(self.integral, gy, axis=0)  # (H + 1, grid + 1)
        edges = _interpolate(rows, gx, axis=1)  # (H + 1, W + 1)
        counts = edges[1:, 1:] - edges[:-1, 1:] - edges[1:, :-1] + edges[:-1, :-1]
        return np.maximum(counts, 0).astype(np.float32)


def column_extent(coords: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(min, max) of each column, float64: column by column, since numpy's ``min(axis=0)`` of
    an (N, 2) array takes ~90 ms at 1M rows (one strided pass per column: ~1 ms)."""
    lo = np.array([coords[:, j].min() for j in range(coords.shape[1])], dtype=np.float64)
    hi = np.array([coords[:, j].max() for j in range(coords.shape[1])], dtype=np.float64)
    return lo, hi


def _interpolate(table: np.ndarray, at: np.ndarray, axis: int) -> np.ndarray:
    """``table`` read at fractional positions ``at`` along ``axis`` (linear, clamped)."""
    last = table.shape[axis] - 1
    at = np.clip(at, 0, last)
    below = np.minimum(at.astype(np.intp), last - 1)
    frac = at - below
    if axis == 0:
        return table[below] * (1 - frac)[:, None] + table[below + 1] * frac[:, None]
    return table[:, below] * (1 - frac) + table[:, below + 1] * frac


def smoothed(counts: np.ndarray, sigma_cells: float) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    return gaussian_filter(counts, sigma_cells, mode="constant", truncate=3.0)


def contour_bands(density: np.ndarray, levels: int = LEVELS) -> np.ndarray:
    """(H, W) int8: for each cell, how many of the halving levels its density reaches."""
    peak = float(density.max()) if density.size else 0.0
    if peak <= 0:
        return np.zeros(density.shape, dtype=np.int8)
    thresholds = peak * 0.5 ** np.arange(levels, 0, -1, dtype=np.float32)  # ascending
    return np.searchsorted(thresholds, density, side="right").astype(np.int8)


def without_small_regions(bands: np.ndarray, min_cells: float) -> np.ndarray:
    """``bands`` with every connected region of fewer than ``min_cells`` cells at a level
    lowered to the level below (with whatever it holds): no line is drawn around it."""
    from scipy.ndimage import label

    out = bands.copy()
    for level in range(1, int(out.max(initial=0)) + 1):
        regions, count = label(out >= level)
        if not count:
            break
        small = np.bincount(regions.ravel(), minlength=count + 1) < min_cells
        small[0] = False  # the cells below the level
        if small.any():
            out[small[regions]] = level - 1
    return out


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
    words = lut.view(np.uint32)[:, 0]  # one 4-byte gather per cell, not four
    return words[edge].view(np.uint8).reshape(*bands.shape, 4)


def upsample2(grid: np.ndarray) -> np.ndarray:
    """``grid`` on cells half the size (bilinear, cell centres kept): (H, W) → (2H, 2W)."""
    padded = np.pad(grid, 1, mode="edge")
    near, far = 0.75 * padded, 0.25 * padded
    rows = np.empty((2 * grid.shape[0], padded.shape[1]), dtype=grid.dtype)
    rows[0::2] = near[1:-1] + far[:-2]
    rows[1::2] = near[1:-1] + far[2:]
    near, far = 0.75 * rows, 0.25 * rows
    out = np.empty((rows.shape[0], 2 * grid.shape[1]), dtype=grid.dtype)
    out[:, 0::2] = near[:, 1:-1] + far[:, :-2]
    out[:, 1::2] = near[:, 1:-1] + far[:, 2:]
    return out


def density_contours(
    coords: np.ndarray,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    size: tuple[int, int],
    cell_px: int = CELL_PX,
    index: DensityIndex | None = None,
) -> np.ndarray:
    """The contour image for a view of ``size`` (width, height) screen pixels: from the
    points ``coords`` (those in view, or all), or from ``index`` when given. Its cells are
    ``cell_px`` pixels; the density is counted and smoothed on cells twice that size."""
    count_px = cell_px * COUNT_CELLS
    width, height = max(1, int(size[0]) // count_px), max(1, int(size[1]) // count_px)
    sigma = max(SMOOTH_MIN_PX, SMOOTH_SHARE * max(size)) / count_px
    if index is not None:
        density = smoothed(index.counts(x_range, y_range, (height, width)), sigma)
    else:
        density = density_grid(coords, x_range, y_range, (height, width), sigma)
    bands = contour_bands(upsample2(density))
    return contour_image(without_small_regions(bands, (MIN_REGION_PX / cell_px) ** 2))


def draw_over(image: np.ndarray, lines: np.ndarray) -> None:
    """In place: ``lines`` (a coarser grid over the same view) composited over the RGBA
    ``image`` ("over", straight alpha), each pixel taking its nearest cell; only the pixels
    under a line are read and written (a few % of them)."""
    if not (image.flags.c_contiguous and lines.flags.c_contiguous):
        raise ValueError("draw_over works in place on C-contiguous RGBA images")
    height, width = image.shape[:2]
    line_words = lines.view(np.uint32)[..., 0]
    cell_rows, cell_cols = np.nonzero(line_words)
    row_start, row_span = _pixel_spans(lines.shape[0], height)
    col_start, col_span = _pixel_spans(lines.shape[1], width)
    cells, pixels = [], []
    for dy in range(int(row_span.max(initial=0))):
        for dx in range(int(col_span.max(initial=0))):
            ok = (dy < row_span[cell_rows]) & (dx < col_span[cell_cols])
            rows, cols = cell_rows[ok], cell_cols[ok]
            cells.append(rows * lines.shape[1] + cols)
            pixels.append((row_start[rows] + dy) * width + col_start[cols] + dx)
    if not cells:
        return
    cells, pixels = np.concatenate(cells), np.concatenate(pixels)
    words = image.reshape(-1, 4).view(np.uint32)[:, 0]  # a view: writes land in image
    source = line_words.reshape(-1)[cells].view(np.uint8).reshape(-1, 4)
    target = words[pixels].view(np.uint8).reshape(-1, 4)
    words[pixels] = _over(source, target).view(np.uint32)[:, 0]


def _pixel_spans(cells: int, pixels: int) -> tuple[np.ndarray, np.ndarray]:
    """First pixel and number of pixels of each cell, pixel p belonging to cell
    p * cells // pixels (the nearest-cell rule an image stretched over the view follows)."""
    owner = np.arange(pixels) * cells // pixels
    start = np.searchsorted(owner, np.arange(cells), side="left")
    end = np.searchsorted(owner, np.arange(cells), side="right")
    return start, end - start


def _over(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """RGBA ``source`` over ``target`` (straight alpha, uint8 rows)."""
    source, target = source.astype(np.float32), target.astype(np.float32)
    a_s, a_t = source[:, 3:] / 255, target[:, 3:] / 255
    alpha = a_s + a_t * (1 - a_s)
    rgb = (source[:, :3] * a_s + target[:, :3] * a_t * (1 - a_s)) / np.maximum(alpha, 1e-6)
    return np.hstack([rgb, alpha * 255]).round().astype(np.uint8)
