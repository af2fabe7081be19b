"""Level of detail: every point is drawn, as markers or as an image, and stays pickable."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from embexplorer.gui.plot import scatter_view
from embexplorer.gui.plot.colormap import color_mapping
from embexplorer.gui.plot.point_index import PointIndex
from embexplorer.gui.plot.scatter_view import ScatterView


@pytest.fixture
def view(qtbot, monkeypatch):
    monkeypatch.setattr(scatter_view, "MARKERS_MAX", 500)
    monkeypatch.setattr(scatter_view, "MARKERS_IN_VIEW_MAX", 200)
    v = ScatterView()
    qtbot.addWidget(v)
    v.resize(600, 400)
    v.show()
    qtbot.waitExposed(v)
    return v


def _points(n, seed=0):
    coords = np.random.default_rng(seed).uniform(-1, 1, size=(n, 2)).astype(np.float32)
    labels = np.array(["a", "b", "c"], dtype=object)[np.arange(n) % 3]
    return PointIndex(coords), color_mapping(labels, "label")


def test_small_sets_are_all_markers(view):
    index, colors = _points(300)
    view.set_points(index, colors)
    x, _ = view._markers.getData()
    assert len(x) == 300 and view._markers.isVisible() and not view._image.isVisible()
    assert view.detail == "300 points, drawn as markers"


def test_large_sets_switch_between_image_and_markers(view, qtbot):
    index, colors = _points(5000)
    view.set_points(index, colors)
    assert view._image.isVisible() and not view._markers.isVisible()
    assert "drawn as an image" in view.detail
    image = view._image.image
    assert (image[..., 3] > 0).sum() > 0.5 * 5000  # a painted pixel for (nearly) every point
    with qtbot.waitSignal(view.detail_changed, timeout=5000):
        view.view_box.setRange(xRange=(0.0, 0.1), yRange=(0.0, 0.1), padding=0)
    assert view._markers.isVisible() and not view._image.isVisible()
    (x0, x1), (y0, y1) = view.view_box.viewRange()
    x, y = view._markers.getData()
    shown = set(zip(x.tolist(), y.tolist(), strict=True))
    for row in index.in_rect(x0, x1, y0, y1):
        assert tuple(index.coords[row].tolist()) in shown  # every point in view has a marker


def test_colours_follow_the_mapping(view):
    index, colors = _points(300)
    view.set_points(index, colors)
    drawn = view._markers.point_colors()
    for row in (0, 1, 2, 150):
        expected = colors.palette[colors.codes[row]]
        assert tuple(drawn[row][:3]) == tuple(int(c) for c in expected[:3])


def test_markers_are_painted_where_their_points_are_in_their_colour(view, qtbot):
    """The marker layer's own painting (one drawPixmapFragments call from an atlas): each
    point's disc lands on its pixel, in its colour, at its size; nothing between them."""
    from embexplorer.gui.plot.colormap import color_mapping

    coords = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]], dtype=np.float32)
    labels = np.array(["a", "b", "c", "d"], dtype=object)
    colors = color_mapping(labels, "label")
    view.resize(400, 400)
    view.set_points(PointIndex(coords), colors)
    view.set_sizes(np.array([6.0, 6.0, 6.0, 20.0]))
    qtbot.waitUntil(lambda: view._markers.isVisible())
    image = view.grab().toImage()
    ratio = image.devicePixelRatio()

    def pixel(x: float, y: float) -> tuple[int, int, int]:
        scene = view.view_box.mapViewToScene(QPointF(x, y))
        pos = view.mapFromScene(scene)
        c = image.pixelColor(round(pos.x() * ratio), round(pos.y() * ratio))
        return c.red(), c.green(), c.blue()

    def over_white(row: int) -> tuple[int, ...]:  # the markers' colours are translucent
        *rgb, alpha = colors.palette[colors.codes[row]].astype(float)
        return tuple(round(c * alpha / 255 + 255 * (1 - alpha / 255)) for c in rgb)

    for row, (x, y) in enumerate(coords.tolist()):
        got, expected = np.array(pixel(x, y)), np.array(over_white(row))
        assert np.abs(got - expected).max() <= 2, f"point {row}: {got} != {expected}"
    assert pixel(5.0, 5.0) == (255, 255, 255)  # the background between the points
    px, _ = view.view_box.viewPixelSize()
    big = over_white(3)
    reach = np.array(pixel(10.0 + 7 * px, 10.0))
    assert np.abs(reach - np.array(big)).max() <= 2  # the 20-pixel disc reaches 7 pixels out
    assert pixel(0.0 + 7 * px, 0.0) == (255, 255, 255)  # the 6-pixel one does not


def test_points_are_pickable_in_image_mode(view):
    index, colors = _points(5000)
    view.set_points(index, colors)
    assert view._image.isVisible()
    for row in (0, 1234, 4999):
        x, y = index.coords[row]
        scene = view.view_box.mapViewToScene(QPointF(float(x), float(y)))
        picked = view.row_at(scene)
        px, py = view.view_box.viewPixelSize()
        assert picked >= 0
        assert abs(index.coords[picked, 0] - x) <= 6 * px
        assert abs(index.coords[picked, 1] - y) <= 6 * py


def test_clearing_the_map(view):
    index, colors = _points(300)
    view.set_points(index, colors)
    view.set_points(None)
    x, _ = view._markers.getData()
    assert len(x) == 0 and view.detail == ""


def test_wrong_number_of_colours_is_refused(view):
    index, _ = _points(10)
    view.set_points(index)
    _, other = _points(11)
    with pytest.raises(ValueError, match="11 colours for 10 points"):
        view.set_colors(other)


def test_hover_card_describes_the_point_under_the_mouse(view):
    index, colors = _points(300)
    view.set_points(index, colors)
    view.tooltip_text = lambda row: f"this is row {row}"
    x, y = index.coords[42]
    scene = view.view_box.mapViewToScene(QPointF(float(x), float(y)))
    row = view.row_at(scene)
    view._on_mouse_moved(scene)
    assert view.hover_card.isVisible() and view.hover_card.text() == f"this is row {row}"
    assert view.viewport().rect().contains(view.hover_card.geometry())
    empty = view.view_box.mapViewToScene(QPointF(5.0, 5.0))  # far from every point
    view._on_mouse_moved(empty)
    assert not view.hover_card.isVisible()
