"""The numpy side of the map: colours, picking and rasterising (no Qt needed)."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from embexplorer.gui.plot.colormap import (
    CATEGORY_HEX,
    HASHED_SLOTS,
    MAX_CATEGORY_COLORS,
    N_LEVELS,
    OTHER_RGBA,
    _hex_rgba,
    assign_slots,
    categorical_enough,
    cluster_mapping,
    color_mapping,
    default_color_column,
    natural_key,
    preferred_slot,
)
from embexplorer.gui.plot.point_index import PointIndex
from embexplorer.gui.plot.raster import rasterize


def test_categories_in_natural_order_not_by_count():
    values = np.array(["b", "a", "b", None, "c", "b", "a"], dtype=object)
    m = color_mapping(values, "label")
    assert m.kind == "categorical"
    assert m.entries == [("a", 2), ("b", 3), ("c", 1), ("(missing)", 1)]
    assert len(m.palette) == 4
    assert m.codes.tolist() == [1, 0, 1, 3, 2, 1, 0]


def test_natural_sort_numbers_by_value():
    words = ["item 10", "Item 1", "item 2", "beta", "Alpha", "-3", "20", "3"]
    assert sorted(words, key=natural_key) == [
        "-3", "3", "20", "Alpha", "beta", "Item 1", "item 2", "item 10"
    ]  # fmt: skip


def test_digits_legend_in_order_with_the_first_colours():
    digits = np.random.default_rng(0).permutation(np.repeat(np.arange(10), 7))
    m = color_mapping(digits, "label")
    assert [label for label, _ in m.entries] == [str(d) for d in range(10)]
    want = np.array([_hex_rgba(CATEGORY_HEX[d]) for d in range(10)], dtype=np.uint8)
    assert np.array_equal(m.palette, want)
    assert np.array_equal(m.rgba(), want[digits])
    # the same digits as strings, in another file, take the same colours
    as_text = color_mapping(np.array([str(d) for d in digits[::-1]], dtype=object), "digit")
    assert np.array_equal(as_text.palette, want)


def _rgba_of(mapping, category):
    return tuple(mapping.palette[[label for label, _ in mapping.entries].index(category)])


def test_a_category_keeps_its_colour_across_files():
    slot = zlib.crc32(b"History") % HASHED_SLOTS
    alone = [c for c in ("Science", "Art", "Sport", "Music") if preferred_slot(c) != slot]
    a = color_mapping(np.array(["History", *alone[:2]] * 3, dtype=object), "topic")
    b = color_mapping(np.array(["History", *alone[2:], "History"], dtype=object), "other")
    assert _rgba_of(a, "History") == _rgba_of(b, "History") == _hex_rgba(CATEGORY_HEX[slot])


def test_colliding_categories_get_distinct_colours():
    seen: dict[int, str] = {}
    for i in range(1000):  # two texts that hash to the same slot
        name = f"name{i}"
        slot = preferred_slot(name)
        if slot in seen:
            first, second = sorted([seen[slot], name], key=natural_key)
            break
        seen[slot] = name
    m = color_mapping(np.array([second, first, second], dtype=object), "x")
    assert _rgba_of(m, first) == _hex_rgba(CATEGORY_HEX[slot])
    assert _rgba_of(m, second) == _hex_rgba(CATEGORY_HEX[(slot + 1) % MAX_CATEGORY_COLORS])
    assert assign_slots([first, second]) == [slot, (slot + 1) % MAX_CATEGORY_COLORS]


def test_the_palette_has_40_distinct_colours_none_grey():
    rgb = np.array([_hex_rgba(code)[:3] for code in CATEGORY_HEX])
    assert len(rgb) == MAX_CATEGORY_COLORS == len({tuple(c) for c in rgb})
    assert (rgb.max(axis=1) - rgb.min(axis=1)).min() > 40  # coloured: never "other"'s grey


def test_many_categories_colour_the_most_frequent():
    values = np.array([f"v{i}" for i in range(45)] + [f"v{i}" for i in range(5, 45)], dtype=object)
    m = color_mapping(values, "x")
    assert len(m.entries) == MAX_CATEGORY_COLORS + 1
    assert m.entries[-1] == ("5 other values", 5)  # v0 … v4 appear once: no colour
    assert [label for label, _ in m.entries[:3]] == ["v5", "v6", "v7"]
    assert m.codes.max() == MAX_CATEGORY_COLORS
    assert (m.codes[:5] == MAX_CATEGORY_COLORS).all()


def test_categorical_enough():
    words = np.array([f"w{i}" for i in range(20_000)], dtype=object)
    assert not categorical_enough(words)  # a GloVe word column
    assert categorical_enough(np.arange(1000) % 10)  # digits
    assert not categorical_enough(np.arange(1000) % 50)  # too many integers: a number
    assert not categorical_enough(np.linspace(0, 1, 100))  # floats: a number
    even = np.array([f"c{i % 45}" for i in range(4500)], dtype=object)
    assert not categorical_enough(even)  # 40 of 45 even values cover 89 %
    tail = np.array([f"c{i % 40}" for i in range(4500)] + [f"r{i}" for i in range(40)], object)
    assert categorical_enough(tail)  # 40 values cover 99 %: a long tail of rare ones
    sparse = np.array(["a", "b"] + [None] * 8, dtype=object)
    assert not categorical_enough(sparse)  # mostly missing
    assert not categorical_enough(np.array(["a"] * 10, dtype=object))  # one value


def test_default_column_is_the_label_or_the_clusters():
    columns = {
        "topic": np.array(["x", "y"] * 50, dtype=object),
        "word": np.array([f"w{i}" for i in range(100)], dtype=object),
    }
    assert default_color_column(columns, "topic", "cluster") == "topic"
    assert default_color_column(columns, "word", "cluster") == "cluster"
    assert default_color_column(columns, None, "cluster") == "cluster"


def test_clusters_coloured_by_number_and_named():
    ids = np.array([2, 0, -1, 1, 0, 2, 2])
    m = cluster_mapping(ids, lambda c: "noise" if c < 0 else f"name {c}", "cluster")
    assert m.entries == [("noise", 1), ("name 0", 2), ("name 1", 1), ("name 2", 3)]
    assert tuple(m.palette[0]) == OTHER_RGBA
    for c in range(3):
        assert tuple(m.palette[c + 1]) == _hex_rgba(CATEGORY_HEX[c])
    assert np.array_equal(m.codes, ids + 1)


def test_few_integers_are_categories_many_are_numeric():
    assert color_mapping(np.array([0, 1, 2, 1])).kind == "categorical"
    assert color_mapping(np.arange(100)).kind == "numeric"


def test_numeric_scale_skips_a_far_outlier():
    values = np.append(np.linspace(0.0, 1.0, 1001), 1000.0)
    m = color_mapping(values, "score")
    p1, p99 = np.percentile(values, [1, 99])
    assert m.value_range == (pytest.approx(p1), pytest.approx(p99)) and m.clipped == (True, True)
    assert m.codes[-1] == N_LEVELS - 1 and m.codes[0] == 0
    assert m.codes[500] == round((0.5 - p1) / (p99 - p1) * (N_LEVELS - 1))


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


@pytest.mark.parametrize(
    ("lo", "hi", "view", "corner"),
    [
        ((0, 0), (10, 10), (1000, 600), (180, 300)),  # tall legend, wide view
        ((0, 0), (40, 10), (1000, 600), (180, 300)),  # a wide map
        ((0, 0), (10, 40), (800, 900), (180, 120)),  # a tall map, a short legend
        ((-5, 2), (5, 3), (700, 700), (300, 100)),
    ],
)
def test_fit_view_keeps_the_points_from_under_the_legend(lo, hi, view, corner):
    from embexplorer.gui.plot.scatter_view import beside_corner

    lo, hi = np.array(lo, float), np.array(hi, float)
    (x0, x1), (y0, y1) = beside_corner(lo, hi, view, corner)
    sx, sy = view[0] / (x1 - x0), view[1] / (y1 - y0)
    assert sx == pytest.approx(sy)  # one scale: the aspect stays locked
    assert x0 <= lo[0] and x1 >= hi[0] and y0 <= lo[1] and y1 >= hi[1]  # the box whole
    # the box's top-right corner in pixels (y down from the top) is clear of the legend
    right_px, top_px = (hi[0] - x0) * sx, (y1 - hi[1]) * sy
    assert right_px <= view[0] - corner[0] + 1e-6 or top_px >= corner[1] - 1e-6
    # and no smaller than need be: one of its sides touches the view or the corner
    whole = min(view[0] / (hi[0] - lo[0]), view[1] / (hi[1] - lo[1]))
    assert (
        sx >= min((view[0] - corner[0]) / (hi[0] - lo[0]), view[1] / (hi[1] - lo[1]), whole) - 1e-9
    )


def test_top_rows_is_a_stable_argsort_head():
    from embexplorer.gui.analysis_panel import top_rows

    rng = np.random.default_rng(5)
    for values in (rng.integers(0, 6, 1000), rng.integers(0, 1000, 50), np.zeros(3, int)):
        for m in (1, 20, 2000):
            expected = np.argsort(-values, kind="stable")[:m]
            np.testing.assert_array_equal(top_rows(values, m), expected)
    assert len(top_rows(np.array([], dtype=int), 20)) == 0
