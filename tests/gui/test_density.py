"""The density layer: counts on the view's grid, halving levels, contour lines (numpy only)
and the map's toggle (on by default above DENSITY_DEFAULT_MIN points)."""

from __future__ import annotations

import numpy as np
import pytest

from embexplorer.gui.plot import density as density_module
from embexplorer.gui.plot.density import (
    LEVELS,
    LINE_RGB,
    DensityIndex,
    column_extent,
    contour_bands,
    contour_image,
    density_contours,
    density_grid,
    draw_over,
    smoothed,
    upsample2,
)
from embexplorer.gui.plot.point_index import PointIndex
from embexplorer.gui.plot.scatter_view import ScatterView


def test_grid_counts_match_histogram2d():
    coords = np.random.default_rng(0).normal(size=(5000, 2)).astype(np.float32)
    grid = density_grid(coords, (-2.0, 3.0), (-1.5, 2.5), (40, 50), sigma_cells=0)
    want, _, _ = np.histogram2d(
        coords[:, 1], coords[:, 0], bins=(40, 50), range=((-1.5, 2.5), (-2.0, 3.0))
    )
    assert np.array_equal(grid, want.astype(np.float32))


def test_smoothing_keeps_the_mass_of_points_away_from_the_edges():
    coords = np.random.default_rng(1).normal(0, 0.3, size=(2000, 2)).astype(np.float32)
    grid = density_grid(coords, (-5.0, 5.0), (-5.0, 5.0), (100, 100), sigma_cells=3)
    assert grid.sum() == pytest.approx(2000, rel=1e-4)
    assert np.unravel_index(grid.argmax(), grid.shape) in {(49, 49), (49, 50), (50, 49), (50, 50)}


def test_index_counts_match_histogram2d_on_its_cells():
    coords = np.random.default_rng(5).normal(size=(20_000, 2)).astype(np.float32)
    index = DensityIndex(coords, grid=64)
    x0, y0 = index.lo
    x1, y1 = index.lo + 64 * index.cell
    counts = index.counts((x0, x1), (y0, y1), (16, 32))  # each view cell: 4 × 2 index cells
    want, _, _ = np.histogram2d(
        coords[:, 1], coords[:, 0], bins=(16, 32), range=((y0, y1), (x0, x1))
    )
    assert counts.sum() == pytest.approx(20_000)
    assert np.abs(counts - want).max() < 1e-3 * want.max() + 1e-6


def test_index_density_close_to_the_direct_count_in_any_view():
    coords = np.random.default_rng(6).normal(size=(50_000, 2)).astype(np.float32)
    index = DensityIndex(coords)
    view = ((-1.3, 0.9), (-0.7, 1.1))
    direct = density_grid(coords, *view, (90, 110), sigma_cells=3)
    from_index = smoothed(index.counts(*view, (90, 110)), 3)
    assert np.abs(from_index - direct).max() < 0.05 * direct.max()


def test_column_extent():
    coords = np.random.default_rng(7).normal(size=(1000, 2)).astype(np.float32)
    lo, hi = column_extent(coords)
    assert lo.tolist() == coords.min(axis=0).tolist() and hi.tolist() == coords.max(axis=0).tolist()


def test_upsampling_is_bilinear_between_cell_centres():
    i, j = np.mgrid[0:6, 0:8].astype(np.float64)
    up = upsample2(3 * i + 2 * j)  # a plane, sampled at cell centres
    fi, fj = np.mgrid[0:12, 0:16] / 2 - 0.25  # the centres of the half-size cells
    assert np.allclose(up[1:-1, 1:-1], (3 * fi + 2 * fj)[1:-1, 1:-1])
    assert upsample2(np.full((3, 4), 7.0)).tolist() == np.full((6, 8), 7.0).tolist()


def test_bands_count_the_halving_levels_reached():
    density = np.array([[64.0, 32.0, 31.9, 16.0, 1.0, 0.99, 0.0]], dtype=np.float32)
    # thresholds 1, 2, 4, 8, 16, 32 (the peak 64 times 2^-6 … 2^-1)
    assert contour_bands(density, levels=6).tolist() == [[6, 6, 5, 5, 1, 0, 0]]
    assert not contour_bands(np.zeros((3, 3), dtype=np.float32)).any()


def test_lines_lie_on_band_changes_only():
    yy, xx = np.mgrid[0:30, 0:30]
    bands = ((yy - 15) ** 2 + (xx - 15) ** 2 <= 64).astype(np.int8) * 2  # a disc of band 2
    image = contour_image(bands, levels=LEVELS)
    drawn = image[..., 3] > 0
    neighbour_differs = np.zeros_like(drawn)
    neighbour_differs[:, :-1] |= bands[:, 1:] != bands[:, :-1]
    neighbour_differs[:-1] |= bands[1:] != bands[:-1]
    assert np.array_equal(drawn, neighbour_differs) and drawn.any()
    assert not drawn[15, 15] and not drawn[0, 0]


def test_denser_lines_are_darker():
    rng = np.random.default_rng(2)
    coords = np.vstack([rng.normal(0, 0.5, (20_000, 2)), rng.normal(4, 0.5, (2000, 2))])
    image = density_contours(coords.astype(np.float32), (-3.0, 7.0), (-3.0, 7.0), (200, 200))
    alphas = np.unique(image[..., 3])
    assert len(alphas) > 3  # several levels drawn
    centre, other = image[30:90, 30:90, 3], image[:, :, 3]
    assert centre.max() == other.max()  # the innermost line circles the dense blob


def test_draw_over_composites_line_cells_onto_the_pixels_they_cover():
    image = np.zeros((4, 6, 4), dtype=np.uint8)
    image[:, :] = (200, 100, 0, 210)
    image[0, 0] = (0, 0, 0, 0)  # an empty pixel
    lines = np.zeros((2, 3, 4), dtype=np.uint8)  # each line cell covers 2 × 2 pixels
    lines[0, 0] = lines[1, 2] = (20, 20, 20, 128)
    before = image.copy()
    draw_over(image, lines)
    a_s, a_t = 128 / 255, 210 / 255
    alpha = a_s + a_t * (1 - a_s)
    want = (np.array([20, 20, 20]) * a_s + np.array([200, 100, 0]) * a_t * (1 - a_s)) / alpha
    assert image[1, 1].tolist() == [*np.round(want).astype(int).tolist(), round(alpha * 255)]
    assert image[0, 0].tolist() == [20, 20, 20, 128]  # over nothing: the line itself
    assert image[3, 5].tolist() == image[1, 1].tolist()
    untouched = np.ones((4, 6), dtype=bool)
    untouched[:2, :2] = untouched[2:, 4:] = False
    assert np.array_equal(image[untouched], before[untouched])


@pytest.fixture
def view(qtbot):
    v = ScatterView()
    qtbot.addWidget(v)
    v.resize(400, 300)
    v.show()
    qtbot.waitExposed(v)
    return v


def _index(n):
    return PointIndex(np.random.default_rng(3).normal(size=(n, 2)).astype(np.float32))


def test_density_layer_on_above_the_default_size_until_chosen(view, monkeypatch):
    monkeypatch.setattr(density_module, "DENSITY_DEFAULT_MIN", 500)
    monkeypatch.setattr("embexplorer.gui.plot.scatter_view.DENSITY_DEFAULT_MIN", 500)
    view.set_points(_index(100))
    assert not view.density_on and not view._contours.isVisible()
    view.set_points(_index(600))
    assert view.density_on and view._contours.isVisible()
    rect = view.view_box.boundingRect()  # 2-pixel cells, from counts on 4-pixel cells
    want = (int(rect.height()) // 4 * 2, int(rect.width()) // 4 * 2)
    assert view._contours.image.shape[:2] == want
    view.set_density(False)  # the user's choice holds for the next points
    view.set_points(_index(800))
    assert not view.density_on and not view._contours.isVisible()
    view.set_density(True)
    view.set_points(_index(100))
    assert view.density_on and view._contours.isVisible()


def test_large_maps_read_the_density_from_the_index(view, monkeypatch):
    monkeypatch.setattr("embexplorer.gui.plot.scatter_view.DENSITY_DIRECT_MAX", 1000)
    monkeypatch.setattr("embexplorer.gui.plot.point_index.DIRECT_MAX", 1000)
    monkeypatch.setattr("embexplorer.gui.plot.scatter_view.MARKERS_MAX", 1000)
    index = _index(6000)
    assert index.density is not None
    reads = []
    counts = index.density.counts
    monkeypatch.setattr(index.density, "counts", lambda *a: reads.append(a) or counts(*a))
    view.set_points(index)
    assert len(reads) == 1  # the frame read the index, not the points
    from_index = (view._contours.image[..., 3] > 0).sum()
    monkeypatch.setattr("embexplorer.gui.plot.scatter_view.DENSITY_DIRECT_MAX", 10**9)
    view.refresh()  # the same view, counted point by point
    assert len(reads) == 1
    direct = (view._contours.image[..., 3] > 0).sum()
    assert from_index > 0 and abs(from_index - direct) < 0.1 * direct  # the same lines


def test_raster_level_of_detail_draws_the_lines_into_its_image(view, monkeypatch):
    monkeypatch.setattr("embexplorer.gui.plot.scatter_view.MARKERS_MAX", 1000)
    monkeypatch.setattr("embexplorer.gui.plot.scatter_view.MARKERS_IN_VIEW_MAX", 1000)
    view.set_density(False)
    view.set_points(_index(6000))
    plain = view._image.image.copy()
    view.set_density(True)
    assert view._image.isVisible() and not view._contours.isVisible()  # one image, lines in it
    lined = view._image.image
    changed = (lined != plain).any(axis=2)
    assert changed.any() and (lined[changed][:, 3] >= plain[changed][:, 3]).all()  # lines add
    over_nothing = changed & (plain[..., 3] == 0)
    assert (lined[over_nothing][:, :3] == LINE_RGB).all() and over_nothing.any()


def test_panel_checkbox_follows_and_drives_the_layer(qtbot, monkeypatch):
    from embexplorer.gui.plot.panel import PlotPanel

    monkeypatch.setattr("embexplorer.gui.plot.scatter_view.DENSITY_DEFAULT_MIN", 500)
    panel = PlotPanel()
    qtbot.addWidget(panel)
    panel.view.set_points(_index(600))
    assert panel.density.isChecked()
    panel.density.click()
    assert not panel.view.density_on and not panel.view._contours.isVisible()


def test_small_regions_get_no_rings_large_ones_keep_theirs():
    """A map of many small islands drew six rings around each; regions narrower than
    MIN_REGION_PX get none now, while a large cluster keeps all of its levels."""
    from embexplorer.gui.plot.density import without_small_regions

    bands = np.zeros((40, 60), dtype=np.int8)
    bands[5:35, 5:35] = 1  # a large region, with a denser core
    bands[10:30, 10:30] = 2
    bands[15:25, 15:25] = 3
    bands[5:8, 45:48] = 2  # a small island (9 cells) and a smaller one (1 cell)
    bands[20, 50] = 1
    out = without_small_regions(bands, min_cells=50)
    assert out[5:8, 45:48].max() == 0 and out[20, 50] == 0  # no line around the islands
    np.testing.assert_array_equal(out[:, :40], bands[:, :40])  # the large region untouched
    # the core (100 cells) is kept at min_cells 50, dropped one level at 150
    out = without_small_regions(bands, min_cells=150)
    assert out[20, 20] == 2 and out[12, 12] == 2 and out[6, 6] == 1
