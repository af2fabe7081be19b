"""Selections as values; lasso and rectangle masks against brute force."""

from __future__ import annotations

import numpy as np
import pytest

from embexplorer.core.state.selection import (
    Selection,
    SelectionHistory,
    points_in_polygon,
    rows_where,
    simplify_polygon,
)


def _sel(rows, n=10):
    return Selection.of(rows, n, "c")


def test_algebra():
    a, b = _sel([1, 2, 3]), _sel([3, 4])
    assert (a | b).rows.tolist() == [1, 2, 3, 4]
    assert (a & b).rows.tolist() == [3]
    assert (a - b).rows.tolist() == [1, 2]
    assert (a ^ b).rows.tolist() == [1, 2, 4]
    assert (~a).rows.tolist() == [0, 4, 5, 6, 7, 8, 9]
    assert a.to_mask().tolist() == [False, True, True, True] + [False] * 6
    assert Selection.from_mask(a.to_mask(), "c") == a
    assert _sel([3, 1, 1]).rows.tolist() == [1, 3]


@pytest.mark.parametrize(
    "mode,expected",
    [("replace", [3, 4]), ("add", [1, 2, 3, 4]), ("subtract", [1, 2]), ("intersect", [3])],
)
def test_modes(mode, expected):
    assert _sel([1, 2, 3]).combine(_sel([3, 4]), mode).rows.tolist() == expected


def test_other_corpus_and_bad_rows_are_refused():
    with pytest.raises(ValueError, match="different corpora"):
        _sel([1]) | Selection.of([1], 10, "other")
    with pytest.raises(IndexError):
        Selection.of([10], 10)
    with pytest.raises(ValueError, match="Unknown selection mode"):
        _sel([1]).combine(_sel([2]), "xor")


def test_history():
    history, s0, s1 = SelectionHistory(), _sel([]), _sel([1])
    history.push(s0)
    assert history.undo(s1) == s0 and history.redo(s0) == s1
    assert history.undo(s0) is not None and history.undo(s0) is None


def _brute_inside(px, py, polygon):
    """Ray casting, one point at a time (the textbook loop)."""
    inside = False
    n = len(polygon)
    for i in range(n):
        (ax, ay), (bx, by) = polygon[i], polygon[(i + 1) % n]
        if (ay > py) != (by > py) and px < ax + (py - ay) * (bx - ax) / (by - ay):
            inside = not inside
    return inside


def test_lasso_mask_matches_brute_force():
    rng = np.random.default_rng(0)
    points = rng.uniform(-1, 1, size=(2000, 2))
    angles = np.sort(rng.uniform(0, 2 * np.pi, 40))
    radii = rng.uniform(0.3, 0.9, 40)  # a star-shaped, non-convex lasso
    polygon = np.column_stack([radii * np.cos(angles), radii * np.sin(angles)])
    mask = points_in_polygon(points, polygon)
    expected = [_brute_inside(x, y, polygon) for x, y in points]
    assert mask.tolist() == expected
    assert 0 < mask.sum() < len(points)


def test_rectangle_is_a_polygon_too():
    points = np.array([[0.5, 0.5], [1.5, 0.5], [0.2, 0.9]])
    square = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=float)
    assert points_in_polygon(points, square).tolist() == [True, False, True]
    assert not points_in_polygon(points, square[:2]).any()


def test_simplified_lasso_keeps_the_shape():
    t = np.linspace(0, 2 * np.pi, 5000, endpoint=False)
    circle = np.column_stack([np.cos(t), np.sin(t)])
    small = simplify_polygon(circle, 256)
    assert len(small) <= 256
    points = np.random.default_rng(1).uniform(-1, 1, (3000, 2))
    same = points_in_polygon(points, small) == points_in_polygon(points, circle)
    assert same.mean() > 0.99


def test_rows_where():
    text = np.array(["a", "b", None, "a"], dtype=object)
    assert rows_where(text, "==", "a").tolist() == [0, 3]
    assert rows_where(text, "contains", "B").tolist() == [1]
    numbers = np.array([1.0, 5.0, np.nan, 3.0])
    assert rows_where(numbers, ">", "2").tolist() == [1, 3]
    with pytest.raises(ValueError, match="not a number"):
        rows_where(numbers, "<", "x")
    with pytest.raises(ValueError, match="needs a numeric column"):
        rows_where(text, "<", "a")
