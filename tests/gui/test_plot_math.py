"""The numpy side of the map: colours, picking and rasterising (no Qt needed)."""

from __future__ import annotations

import numpy as np
import pytest

from embexplorer.gui.plot.colormap import MAX_CATEGORY_COLORS, N_LEVELS, color_mapping
from embexplorer.gui.plot.point_index import PointIndex
from embexplorer.gui.plot.raster import rasterize


def test_categories_most_frequent_first():
    values = np.array(["b", "a", "b", None, "c", "b", "a"], dtype=object)
    m = color_mapping(values, "label")
    assert m.kind == "categorical"
    assert m.entries == [("b", 3), ("a", 2), ("c", 1), ("(missing)", 1)]
    assert len(m.palette) == 4
    assert m.codes.tolist() == [0, 1, 0, 3, 2, 0, 1]


def test_many_categories_share_other():
    values = np.array([f"v{i:03d}" for i in range(50)] * 2, dtype=object)
    m = color_mapping(values, "x")
    assert len(m.entries) == MAX_CATEGORY_COLORS + 1
    assert m.entries[-1] == ("30 other values", 60)
    assert m.codes.max() == MAX_CATEGORY_COLORS


def test_few_integers_are_categories_many_are_numeric():
    assert color_mapping(np.array([0, 1, 2, 1])).kind == "categorical"
    assert color_mapping(np.arange(100)).kind == "numeric"


def test_numeric_scale_and_missing():
    values = np.array([0.0, 5.0, 10.0, np.nan])
    m = color_mapping(values, "score")
    assert m.kind == "numeric" and m.value_range == (0.0, 10.0)
    assert m.codes.tolist() == [0, 128, N_LEVELS - 1, N_LEVELS]
    assert m.entries == [("(missing)", 1)]
    assert (m.rgba()[0] != m.rgba()[2]).any()


def _brute_nearest(coords, x, y, rx, ry):
    d2 = ((coords[:, 0] - x) / rx) ** 2 + ((coords[:, 1] - y) / ry) ** 2
    inside = np.flatnonzero(d2 <= 1)
    if not len(inside):
        return -1
    best = inside[d2[inside] == d2[inside].min()]
    return int(best.max())


def test_nearest_matches_brute_force():
    rng = np.random.default_rng(3)
    coords = rng.normal(size=(5000, 2)).astype(np.float32)
    index = PointIndex(coords)
    for x, y in rng.normal(size=(200, 2)):
        for rx, ry in ((0.05, 0.05), (0.02, 0.2)):
            assert index.nearest(x, y, rx, ry) == _brute_nearest(coords, x, y, rx, ry)


def test_nearest_prefers_the_point_on_top():
    index = PointIndex(np.array([[0, 0], [0, 0], [5, 5]], dtype=np.float32))
    assert index.nearest(0, 0, 1, 1) == 1
    assert index.nearest(2.5, 2.5, 1, 1) == -1


def test_in_rect_matches_mask():
    rng = np.random.default_rng(4)
    coords = rng.uniform(-1, 1, size=(3000, 2)).astype(np.float32)
    index = PointIndex(coords)
    rows = index.in_rect(-0.3, 0.5, -0.1, 0.7)
    mask = (
        (coords[:, 0] >= -0.3)
        & (coords[:, 0] <= 0.5)
        & (coords[:, 1] >= -0.1)
        & (coords[:, 1] <= 0.7)
    )
    np.testing.assert_array_equal(rows, np.flatnonzero(mask))
    assert index.count_in_rect(-0.3, 0.5, -0.1, 0.7) == mask.sum()


def test_raster_paints_every_point_in_range():
    coords = np.array([[0.5, 0.5], [9.5, 0.5], [9.5, 9.5], [20, 20]], dtype=np.float32)
    palette = np.array([[255, 0, 0, 255], [0, 0, 255, 255]], dtype=np.uint8)
    image = rasterize(
        coords, np.array([0, 1, 0, 1]), palette, (0, 10), (0, 10), (10, 10), point_px=1
    )
    assert image.shape == (10, 10, 4)
    assert tuple(image[0, 0]) == (255, 0, 0, 255)  # row 0 is the bottom (y = 0)
    assert tuple(image[0, 9]) == (0, 0, 255, 255)
    assert tuple(image[9, 9]) == (255, 0, 0, 255)
    assert (image[..., 3] > 0).sum() == 3  # the point outside the range is not drawn


def test_raster_later_rows_on_top_and_points_grow():
    coords = np.array([[5.5, 5.5], [5.5, 5.5]], dtype=np.float32)
    palette = np.array([[255, 0, 0, 255], [0, 255, 0, 255]], dtype=np.uint8)
    image = rasterize(coords, np.array([0, 1]), palette, (0, 10), (0, 10), (10, 10), point_px=3)
    assert tuple(image[5, 5]) == (0, 255, 0, 255)
    assert (image[..., 3] > 0).sum() == 9


@pytest.mark.parametrize("n", [1, 1000])
def test_raster_handles_degenerate_ranges(n):
    coords = np.zeros((n, 2), dtype=np.float32)
    image = rasterize(
        coords,
        np.zeros(n, dtype=int),
        np.array([[1, 2, 3, 4]], dtype=np.uint8),
        (0, 0),
        (0, 0),
        (4, 4),
    )
    assert image.shape == (4, 4, 4)


@pytest.mark.parametrize("n", [60, 5000])  # few points are splatted, many grow the image
def test_raster_matches_brute_force(n):
    rng = np.random.default_rng(n)
    width, height = 50, 40
    coords = rng.uniform(0, 1, size=(n, 2)).astype(np.float32)
    codes = rng.integers(0, 5, size=n)
    palette = np.column_stack([np.arange(5) * 40 + 10, np.zeros((5, 2)), np.full(5, 255)])
    image = rasterize(coords, codes, palette.astype(np.uint8), (0, 1), (0, 1), (width, height))
    ix = np.floor(coords[:, 0] * width).astype(int)
    iy = np.floor(coords[:, 1] * height).astype(int)
    centre = np.zeros((height, width), dtype=bool)
    centre[iy, ix] = True
    painted = np.zeros_like(centre)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            shifted = np.zeros_like(centre)
            shifted[max(0, dy) : height + min(0, dy), max(0, dx) : width + min(0, dx)] = centre[
                max(0, -dy) : height - max(0, dy), max(0, -dx) : width - max(0, dx)
            ]
            painted |= shifted
    np.testing.assert_array_equal(image[..., 3] > 0, painted)
    last = {}
    for row in range(n):
        last[(iy[row], ix[row])] = codes[row]
    for (y, x), code in last.items():
        assert image[y, x, 0] == palette[code, 0]
