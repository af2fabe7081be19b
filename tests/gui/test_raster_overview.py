"""The precomputed overview a 10M-point map is drawn from (numpy only): the same image as the
per-point raster up to a pixel, the top-most row on top, and exact float32 rectangle queries."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import binary_dilation

from embexplorer.gui.plot.point_index import PointIndex
from embexplorer.gui.plot.raster import RasterOverview, rasterize, rasterize_rows

PALETTE = np.array([[200, 0, 0, 255], [0, 200, 0, 255], [0, 0, 200, 255]], dtype=np.uint8)


def _points(n: int = 50_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    coords = (rng.normal(size=(n, 2)) * [3.0, 1.0]).astype(np.float32)
    return coords, (np.arange(n) % 3).astype(np.int32)


def test_the_overview_draws_what_the_points_draw_within_a_pixel():
    coords, codes = _points()
    overview = RasterOverview(coords, grid=512, coarsest=64)
    for x_range, y_range, size in (
        ((-12.0, 12.0), (-5.0, 5.0), (300, 200)),
        ((-20.0, 5.0), (-3.0, 8.0), (250, 90)),
        ((0.0, 30.0), (0.0, 20.0), (100, 100)),
    ):
        assert overview.covers(x_range, y_range, size)
        rows = overview.rows(x_range, y_range, size)
        ours = rasterize_rows(rows, codes.__getitem__, PALETTE, point_px=1)[..., 3] > 0
        exact = rasterize(coords, codes, PALETTE, x_range, y_range, size, point_px=1)[..., 3] > 0
        near = np.ones((3, 3), dtype=bool)
        # inside the view's edge pixels (a cell across the edge is drawn at the edge)
        inner = np.s_[1:-1, 1:-1]
        assert not (ours & ~binary_dilation(exact, near))[inner].any()  # nothing from nowhere
        assert not (exact & ~binary_dilation(ours, near))[inner].any()  # no point left out
        drawn = rows[rows >= 0]
        # each pixel's row lies in that pixel's neighbourhood of the view
        assert ((coords[drawn, 0] >= x_range[0] - 1) & (coords[drawn, 0] <= x_range[1] + 1)).all()


def test_the_highest_row_is_on_top_and_a_zoom_past_the_cells_is_refused():
    coords = np.array([[0.0, 0.0], [10.0, 10.0], [0.001, 0.001], [5.0, 5.0]], np.float32)
    overview = RasterOverview(coords, grid=256, coarsest=256)
    rows = overview.rows((-1.0, 11.0), (-1.0, 11.0), (12, 12))
    assert rows[1, 1] == 2  # rows 0 and 2 share a cell: the later is drawn
    assert sorted(rows[rows >= 0].tolist()) == [1, 2, 3]
    assert not overview.covers((0.0, 0.01), (0.0, 0.01), (100, 100))


def test_rectangle_queries_with_float64_bounds_are_exact():
    coords, _ = _points(20_000, seed=1)
    index = PointIndex(coords)
    rng = np.random.default_rng(2)
    for _ in range(20):
        x0, x1 = np.sort(rng.uniform(-6, 6, 2))
        y0, y1 = np.sort(rng.uniform(-2, 2, 2))
        inside = (
            (coords[:, 0] >= x0)
            & (coords[:, 0] <= x1)
            & (coords[:, 1] >= y0)
            & (coords[:, 1] <= y1)
        )
        assert index.count_in_rect(x0, x1, y0, y1) == inside.sum()
        np.testing.assert_array_equal(index.in_rect(x0, x1, y0, y1), np.flatnonzero(inside))
    # a bound between two float32 values keeps the point just inside it
    x = coords[0, 0]
    assert 0 in index.in_rect(np.float64(x) - 1e-12, np.float64(x) + 1e-12, -10.0, 10.0)
