"""Faithfulness of the map: trustworthiness equal to scikit-learn's; neighbour preservation."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.manifold import trustworthiness as sk_trustworthiness

from embexplorer.core.analysis.quality import knn_2d, neighbour_preservation, trustworthiness_task
from embexplorer.core.tasks import run_task


def _data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 10)).astype(np.float32)
    coords = (x[:, :2] + 0.3 * rng.normal(size=(n, 2))).astype(np.float32)
    return x, coords


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
@pytest.mark.parametrize("k", [5, 12])
def test_trustworthiness_equals_scikit_learn(metric, k):
    x, coords = _data()
    ours = run_task(trustworthiness_task(x, coords, k, metric))
    reference = sk_trustworthiness(
        x.astype(np.float64), coords.astype(np.float64), n_neighbors=k, metric=metric
    )
    assert ours.value == pytest.approx(reference, abs=1e-9)
    assert not ours.sampled and "on all 300 rows" in ours.describe()


def test_trustworthiness_on_a_stated_sample():
    x, coords = _data(500)
    ours = run_task(trustworthiness_task(x, coords, 5, "euclidean", max_rows=200, seed=3))
    rows = np.sort(np.random.default_rng(3).choice(500, 200, replace=False))
    reference = sk_trustworthiness(x[rows], coords[rows], n_neighbors=5)
    assert ours.value == pytest.approx(reference, abs=1e-9)
    assert ours.sampled and "random sample of 200 of 500 rows (seed 3)" in ours.describe()


def test_a_perfect_map_is_fully_trustworthy():
    rng = np.random.default_rng(1)
    coords = rng.normal(size=(100, 2)).astype(np.float32)
    assert run_task(trustworthiness_task(coords, coords, 5, "euclidean")).value == 1.0
    preserved = neighbour_preservation(knn_2d(coords, 5), knn_2d(coords, 5))
    assert np.all(preserved == 1.0)


def test_neighbour_preservation_by_hand():
    original = np.array([[1, 2, 3], [0, 2, 3]])
    on_map = np.array([[3, 4, 1], [5, 6, 7]])
    np.testing.assert_allclose(neighbour_preservation(original, on_map), [2 / 3, 0.0])


def test_map_neighbours_and_preservation_in_chunks(monkeypatch):
    from sklearn.neighbors import NearestNeighbors

    from embexplorer.core.analysis import quality

    rng = np.random.default_rng(7)
    coords = rng.normal(size=(230, 2)).astype(np.float32)
    original = np.argsort(rng.random((230, 230)), axis=1)[:, :6]
    reference = NearestNeighbors(n_neighbors=6).fit(coords).kneighbors(return_distance=False)
    expected = neighbour_preservation(original, reference)
    monkeypatch.setattr(quality, "MAP_QUERY_ROWS", 50)  # five chunks, the last one partial
    np.testing.assert_array_equal(knn_2d(coords, 6), reference)
    progress = []
    got = run_task(quality.preservation_task(original, coords), progress.append)
    np.testing.assert_array_equal(got, expected)
    assert len(progress) == 5 and progress[-1].fraction == 1.0


def test_knn_2d_excludes_self_even_with_duplicates():
    coords = np.array([[0, 0], [0, 0], [1, 0], [5, 5]], dtype=np.float32)
    found = knn_2d(coords, 2)
    assert all(i not in row for i, row in enumerate(found))
    assert found[0, 0] == 1 and found[1, 0] == 0


def test_trustworthiness_of_two_rows_is_undefined_not_a_number():
    x = np.array([[0, 1], [1, 0]], dtype=np.float32)
    result = run_task(trustworthiness_task(x, x, 5, "euclidean"))
    assert np.isnan(result.value) and "not defined" in result.describe()
