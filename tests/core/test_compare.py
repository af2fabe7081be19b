"""Comparing embeddings of the same rows, and the stability sweep, against direct
computations (scikit-learn brute force, numpy Hamming, Python set intersections, scipy skew)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import skew
from sklearn.neighbors import NearestNeighbors

from embexplorer.core.analysis.compare import compare_task, overlap, stability_task
from embexplorer.core.embedding.variants import binarize, quantize_int8
from embexplorer.core.tasks import run_task


@pytest.fixture(scope="module")
def x():
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(6, 48)) * 3
    return (centres[rng.integers(0, 6, 400)] + rng.normal(size=(400, 48))).astype(np.float32)


def _sklearn_knn(data, k, metric):
    nn = NearestNeighbors(n_neighbors=k + 1, metric=metric, algorithm="brute")
    _, idx = nn.fit(data.astype(np.float64)).kneighbors(data.astype(np.float64))
    return idx[:, 1:]


def _set_overlap(a, b):
    return np.array([len(set(r) & set(s)) / a.shape[1] for r, s in zip(a, b, strict=True)])


def _tie_slack(data, k, metric):
    """The recall a correct graph may differ by: one entry for each row whose k-th and
    (k+1)-th distances tie to float32 precision (either may be listed)."""
    nn = NearestNeighbors(n_neighbors=k + 2, metric=metric, algorithm="brute")
    d, _ = nn.fit(data.astype(np.float64)).kneighbors(data.astype(np.float64))
    return np.count_nonzero(d[:, k + 1] - d[:, k] < 1e-6) / (len(data) * k)


def _n_k(indices, n):
    return np.bincount(indices.ravel(), minlength=n)


def test_overlap_is_the_share_of_common_neighbours():
    a = np.array([[1, 2, 3], [0, 2, 3], [4, 5, 6]])
    b = np.array([[3, 2, 9], [7, 8, 9], [6, 5, 4]])
    np.testing.assert_allclose(overlap(a, b), [2 / 3, 0, 1])


def test_compare_a_and_its_truncation(x):
    k = 8
    truncated = x[:, :12] / np.linalg.norm(x[:, :12], axis=1, keepdims=True)
    result = run_task(compare_task(x, "cosine", truncated, "cosine", k))
    ref_a, ref_b = _sklearn_knn(x, k, "cosine"), _sklearn_knn(truncated, k, "cosine")
    np.testing.assert_array_equal(result.knn_a.indices, ref_a)
    np.testing.assert_array_equal(result.knn_b.indices, ref_b)
    expected = _set_overlap(ref_a, ref_b)
    np.testing.assert_allclose(result.overlap, expected)
    assert result.mean_overlap == pytest.approx(expected.mean())
    assert result.median_overlap == pytest.approx(np.median(expected))
    nk_a, nk_b = _n_k(ref_a, len(x)), _n_k(ref_b, len(x))
    np.testing.assert_array_equal(result.hubness_a.k_occurrence, nk_a)
    assert result.hubness_b.skewness == pytest.approx(skew(nk_b))
    assert set(result.became_hubs) == set(np.flatnonzero((nk_b > 2 * k) & ~(nk_a > 2 * k)))
    order = result.most_changed()
    assert np.all(np.diff(result.overlap[order]) >= 0)
    summary = result.summary()
    assert summary["n_hubs_a"] == int((nk_a > 2 * k).sum()) and summary["k"] == k


def test_compare_with_binary_codes_uses_hamming(x):
    codes = binarize(x)
    result = run_task(compare_task(x, "euclidean", codes.rows(), "hamming", 5))
    unpacked = np.unpackbits(codes.bits, axis=1, count=48).astype(np.int64)
    d = (unpacked[:, None, :] != unpacked[None, :, :]).sum(axis=2)
    np.fill_diagonal(d, 10**9)
    rows = np.broadcast_to(np.arange(len(x)), d.shape)
    ref_b = np.lexsort((rows, d), axis=1)[:, :5]
    np.testing.assert_array_equal(result.knn_b.indices, ref_b)
    np.testing.assert_allclose(result.overlap, _set_overlap(_sklearn_knn(x, 5, "euclidean"), ref_b))
    assert result.metric_b == "hamming"


def test_stability_sweep_against_direct_computations(x):
    k = 6
    rows = run_task(
        stability_task(x, "cosine", k, dims=(8, 16, 48, 64), quantize=("int8", "binary"))
    )
    assert [r.variant for r in rows] == ["float32", "truncate:8", "truncate:16", "int8", "binary"]
    full = _sklearn_knn(x, k, "cosine")
    assert rows[0].recall == 1.0 and rows[0].bytes_per_vector == 48 * 4
    assert rows[0].skewness == pytest.approx(skew(_n_k(full, len(x))))
    for row, dims in zip(rows[1:3], (8, 16), strict=True):
        cut = x[:, :dims] / np.linalg.norm(x[:, :dims], axis=1, keepdims=True)
        ref = _sklearn_knn(cut, k, "cosine")
        slack = _tie_slack(cut, k, "cosine")
        assert row.recall == pytest.approx(_set_overlap(ref, full).mean(), abs=slack + 1e-12)
        if not slack:
            assert row.skewness == pytest.approx(skew(_n_k(ref, len(x))))
        assert row.bytes_per_vector == 4 * dims
    decoded = np.asarray(quantize_int8(x).rows())
    int8_ref = _sklearn_knn(decoded, k, "cosine")
    slack = _tie_slack(decoded, k, "cosine")
    assert rows[3].recall == pytest.approx(_set_overlap(int8_ref, full).mean(), abs=slack + 1e-12)
    assert rows[3].bytes_per_vector == 48 and rows[4].bytes_per_vector == 6
    assert 0 < rows[4].recall < rows[3].recall <= 1.0
    assert all(r.knn_seconds > 0 for r in rows)


def test_align_coords_undoes_a_rotation_scale_and_shift():
    from embexplorer.core.analysis.compare import align_coords

    rng = np.random.default_rng(3)
    a = rng.normal(size=(200, 2)).astype(np.float32)
    angle = 2.1
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    b = (a @ rotation.T * 4.0 + [10, -3]) @ np.diag([1, -1])  # rotated, scaled, moved, mirrored
    np.testing.assert_allclose(align_coords(b, a), a, atol=1e-4)
