"""Draw many points as one image (numpy only): the level of detail for large views.

At 100k+ points, one ``ImageItem`` holding the rasterised points renders a frame far faster
than a ``ScatterPlotItem`` (measured by ``embexplorer bench``). Every point is still drawn: each
one paints its pixel, and a point size of ``s`` grows each painted pixel into an ``s × s``
square by filling only empty neighbours (so later rows stay on top, as in the scatter).

The work per frame is one pass over the points and a few passes over the pixels, on uint16
palette codes; colours are looked up at the end as packed RGBA words.

Past ``OVERVIEW_MIN`` points one pass over them is too slow for a frame (10M points: ~0.5 s), so
:class:`RasterOverview` keeps, built once off the GUI thread, the top-most row (the highest
row number: the one drawn last) of each cell of a fine grid over the points' extent. While a
screen pixel spans at least one cell, a frame takes the top-most row of the cells under each
pixel (a max over the grid: its cost grows with the cells in view, not with the points), then
colours and grows those pixels as above. Each point is still drawn, at its cell (less than a
pixel from its position). Zoomed in further, only the points in the view's x-range are drawn.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

_EMPTY = np.iinfo(np.uint16).max
#: From this many points, frames are drawn from a :class:`RasterOverview`.
OVERVIEW_MIN = 2_000_000
#: Its cells per side over the points' extent (int32 rows: 64 MB); a pixel spans at least one
#: cell up to a zoom of about 3.5× from the whole map on a 1200-pixel view.
OVERVIEW_GRID = 4096
#: Points placed per chunk when building it (bounds the temporaries to a few tens of MB).
_CHUNK = 1_000_000


def rasterize(
    coords: np.ndarray,
    codes: np.ndarray,
    palette: np.ndarray,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    size: tuple[int, int],
    point_px: int = 3,
) -> np.ndarray:
    """An (H, W, 4) uint8 RGBA image of the points; row 0 is at ``y_range[0]`` (the bottom)."""
    if len(palette) >= _EMPTY:
        raise ValueError(f"at most {_EMPTY - 1} colours can be rasterised")
    width, height = max(1, int(size[0])), max(1, int(size[1]))
    pixels = np.full(height * width, _EMPTY, dtype=np.uint16)
    ix, iy, inside = _pixel_positions(coords, x_range, y_range, width, height)
    flat = iy * np.int32(width) + ix
    codes = codes if inside is None else codes[inside]
    radius = point_px // 2
    if radius and len(flat) * 4 < pixels.size:  # few points: paint their neighbours directly
        _splat_neighbours(pixels, ix, iy, flat, codes, width, height, radius)
    # Fancy assignment writes in order, so where points share a pixel the later row wins.
    pixels[flat] = codes
    pixels = pixels.reshape(height, width)
    if radius and len(flat) * 4 >= pixels.size:  # many points: grow the image
        _grow(pixels, radius)
    return _colored(pixels, palette)


def _colored(pixels: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """(H, W) uint16 palette codes (``_EMPTY``: nothing) as an (H, W, 4) RGBA image."""
    height, width = pixels.shape
    lut = np.zeros(len(palette) + 1, dtype=np.uint32)
    lut[: len(palette)] = np.ascontiguousarray(palette, dtype=np.uint8).view(np.uint32)[:, 0]
    lut_index = np.minimum(pixels, len(palette))  # _EMPTY → the transparent last entry
    return lut[lut_index].view(np.uint8).reshape(height, width, 4)


def _pixel_positions(coords, x_range, y_range, width, height):
    """Pixel column and row of each point in range, and the mask of those points (None: all)."""
    (x0, x1), (y0, y1) = x_range, y_range
    sx = width / (x1 - x0) if x1 > x0 else 0.0
    sy = height / (y1 - y0) if y1 > y0 else 0.0
    fx = (coords[:, 0] - np.float32(x0)) * np.float32(sx)
    fy = (coords[:, 1] - np.float32(y0)) * np.float32(sy)
    inside = (fx >= 0) & (fx < width) & (fy >= 0) & (fy < height)
    if inside.all():
        inside = None
    else:
        fx, fy = fx[inside], fy[inside]
    # Non-negative, so truncation is floor.
    return fx.astype(np.int32), fy.astype(np.int32), inside


def _splat_neighbours(pixels, ix, iy, flat, codes, width, height, radius) -> None:
    """Paint the neighbours of each point (before the points themselves, which stay on top)."""
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            if dx == 0 and dy == 0:
                continue
            ok = (ix + dx >= 0) & (ix + dx < width) & (iy + dy >= 0) & (iy + dy < height)
            pixels[flat[ok] + (dy * width + dx)] = codes[ok]


def _grow(pixels: np.ndarray, radius: int) -> None:
    """In place: each painted pixel also paints its empty neighbours within ``radius``.

    Separable (along rows, then along columns): 4·radius masked copies instead of
    (2·radius + 1)² − 1.
    """
    for view in (pixels, pixels.T):
        source = view.copy()
        n = view.shape[1]
        for d in range(1, radius + 1):
            right, left = view[:, d:], view[:, : n - d]
            np.copyto(right, source[:, : n - d], where=right == _EMPTY)
            np.copyto(left, source[:, d:], where=left == _EMPTY)


class RasterOverview:
    """The top-most row in each cell of a ``grid``² grid over the points' extent (-1: empty),
    and coarser copies of it (each cell the top-most of 2 × 2 finer ones), so that a
    zoomed-out frame costs a pass over about as many cells as it has pixels, not over the
    points (module docstring)."""

    def __init__(self, coords: np.ndarray, grid: int = OVERVIEW_GRID, coarsest: int = 256):
        lo = np.array([coords[:, j].min() for j in range(2)], dtype=np.float64)
        hi = np.array([coords[:, j].max() for j in range(2)], dtype=np.float64)
        # grid - 1 cells span the points: the last cell holds the maximum
        self.lo, cell = lo, np.maximum(hi - lo, 1e-12) / (grid - 1)
        top = np.full(grid * grid, -1, dtype=np.int32)
        scale = (1.0 / cell).astype(np.float32)
        for start in range(0, len(coords), _CHUNK):
            block = coords[start : start + _CHUNK]
            ix = ((block[:, 0] - np.float32(lo[0])) * scale[0]).astype(np.int32)
            iy = ((block[:, 1] - np.float32(lo[1])) * scale[1]).astype(np.int32)
            np.clip(ix, 0, grid - 1, out=ix)
            np.clip(iy, 0, grid - 1, out=iy)
            # in row order, so a later row overwrites an earlier one in its cell
            top[iy * np.int32(grid) + ix] = np.arange(start, start + len(block), dtype=np.int32)
        #: (cell size, top-most rows), finest first
        self.levels = [(cell, top.reshape(grid, grid))]
        while grid >= 2 * coarsest:
            grid //= 2
            finer = self.levels[-1][1]
            self.levels.append((cell * 2, finer.reshape(grid, 2, grid, 2).max(axis=(1, 3))))
            cell = cell * 2

    @property
    def cell(self) -> np.ndarray:
        return self.levels[0][0]

    def covers(self, x_range, y_range, size: tuple[int, int]) -> bool:
        """Whether a pixel of this view spans at least one of the finest cells on both axes."""
        return self._level(x_range, y_range, size) is not None

    def _level(self, x_range, y_range, size):
        px = (x_range[1] - x_range[0]) / max(1, int(size[0]))
        py = (y_range[1] - y_range[0]) / max(1, int(size[1]))
        fitting = [level for level in self.levels if px >= level[0][0] and py >= level[0][1]]
        return fitting[-1] if fitting else None

    def rows(self, x_range, y_range, size: tuple[int, int]) -> np.ndarray:
        """(H, W) int32: the top-most row under each pixel of the view (-1: none); row 0 of
        the image is at ``y_range[0]``. Uses the coarsest grid whose cells fit in a pixel."""
        width, height = max(1, int(size[0])), max(1, int(size[1]))
        out = np.full((height, width), -1, dtype=np.int32)
        level = self._level(x_range, y_range, size)
        if level is None:
            raise ValueError("the view's pixels are smaller than the overview's cells")
        cell, top = level
        x = _pixels(x_range, width, self.lo[0], cell[0], top.shape[1])
        y = _pixels(y_range, height, self.lo[1], cell[1], top.shape[0])
        if x is None or y is None:
            return out
        (xs, x_pixels, x_cells), (ys, y_pixels, y_cells) = x, y
        block = top[y_cells, x_cells]  # along rows first: each reduce reads contiguous cells
        by_column = np.maximum.reduceat(block, xs, axis=1)
        out[y_pixels, x_pixels] = np.maximum.reduceat(by_column, ys, axis=0)
        return out


def _pixels(span, pixels: int, lo: float, cell: float, grid: int):
    """The pixels that span cells (a slice), the first cell of each (relative to the cells in
    view, for ``reduceat``: each pixel takes the cells up to the next one's, the last up to the
    end), and the cells in view (a slice); None when no pixel spans a cell."""
    edges = (span[0] + (span[1] - span[0]) * np.arange(pixels + 1) / pixels - lo) / cell
    edges = np.floor(edges).astype(np.int64)
    first, last = max(0, int(edges[0])), min(grid, int(edges[-1]) + 1)
    if first >= last:
        return None
    starts, ends = edges[:-1], edges[1:]
    spanning = np.flatnonzero((ends > first) & (starts < last))
    if not len(spanning):
        return None
    a, b = int(spanning[0]), int(spanning[-1]) + 1
    at = np.clip(starts[a:b], first, last - 1) - first
    return at, slice(a, b), slice(first, last)


def rasterize_rows(
    rows: np.ndarray, codes_of: Callable[[np.ndarray], np.ndarray], palette, point_px: int = 3
) -> np.ndarray:
    """An RGBA image of the top-most rows per pixel (:meth:`RasterOverview.rows`), coloured
    by ``codes_of(rows)`` and grown to ``point_px`` as :func:`rasterize` does."""
    if len(palette) >= _EMPTY:
        raise ValueError(f"at most {_EMPTY - 1} colours can be rasterised")
    pixels = np.full(rows.shape, _EMPTY, dtype=np.uint16)
    drawn = rows >= 0
    pixels[drawn] = codes_of(rows[drawn])
    if point_px // 2:
        _grow(pixels, point_px // 2)
    return _colored(pixels, palette)
