from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA

from embexplorer.core.analysis.projection import pca_task, projection_task
from embexplorer.core.tasks import Progress, run_task


def _aligned(a, b):
    """Compare two 2-D embeddings up to the sign of each axis."""
    signs = np.sign((a * b).sum(axis=0))
    return a * signs, b


@pytest.mark.parametrize("chunk_rows", [7, 1000])
def test_pca_matches_scikit_learn(chunk_rows):
    rng = np.random.default_rng(1)
    x = (rng.normal(size=(300, 20)) * np.linspace(5, 0.1, 20)).astype(np.float32) + 3
    ours = run_task(pca_task(x, chunk_rows=chunk_rows))
    reference = PCA(n_components=2, svd_solver="full").fit(x.astype(np.float64))
    ref_coords = reference.transform(x.astype(np.float64))
    a, b = _aligned(ours.coords.astype(np.float64), ref_coords)
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(
        ours.params["explained_variance_ratio"], reference.explained_variance_ratio_, rtol=1e-6
    )
    assert ours.coords.dtype == np.float32 and ours.coords.shape == (300, 2)


def test_pca_is_deterministic_including_sign():
    x = np.random.default_rng(2).normal(size=(50, 6)).astype(np.float32)
    a = run_task(pca_task(x)).coords
    b = run_task(pca_task(x[::-1].copy())).coords[::-1]
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_pca_of_one_dimension_and_one_row():
    coords = run_task(pca_task(np.arange(5, dtype=np.float32)[:, None])).coords
    assert coords.shape == (5, 2) and np.all(coords[:, 1] == 0)
    np.testing.assert_allclose(np.abs(coords[:, 0]), [2, 1, 0, 1, 2], atol=1e-6)
    assert run_task(pca_task(np.ones((1, 4), dtype=np.float32))).coords.shape == (1, 2)


def test_pca_yields_progress_and_stops_when_closed():
    x = np.zeros((100, 3), dtype=np.float32)
    task = pca_task(x, chunk_rows=10)
    first = next(task)
    assert isinstance(first, Progress) and 0 < first.fraction < 1
    task.close()  # cancelled between chunks: no result, no error
    with pytest.raises(StopIteration):
        next(task)


def test_unknown_projection_says_what_exists():
    with pytest.raises(ValueError, match="choose one of auto, pca, tsne, umap"):
        run_task(projection_task(np.zeros((3, 3), dtype=np.float32), "mds"))


@pytest.mark.parametrize(("rows", "dims"), [(150, 6000), (1200, 4100)])
def test_wide_vectors_match_scikit_learn_without_a_dims_squared_matrix(rows, dims, monkeypatch):
    """200 × 16,384 once needed a 2 GB scatter matrix (100k columns: 75 GB). Wide vectors use a
    subspace iteration; the result must still be scikit-learn's exact PCA."""
    import tracemalloc

    from embexplorer.core.analysis import projection

    monkeypatch.setattr(projection, "WIDE_DIMS", 4000)
    rng = np.random.default_rng(3)
    scales = np.concatenate([[9.0, 5.0, 2.0], np.full(dims - 3, 0.3)])
    x = (rng.normal(size=(rows, dims)) * scales).astype(np.float32)
    tracemalloc.start()
    ours = run_task(pca_task(x, chunk_rows=512))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < dims * dims * 8 / 2  # the D × D float64 matrix would be twice this
    reference = PCA(n_components=2, svd_solver="full").fit(x.astype(np.float64))
    a, b = _aligned(ours.coords.astype(np.float64), reference.transform(x.astype(np.float64)))
    np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-3 * np.abs(b).max())
    np.testing.assert_allclose(
        ours.params["explained_variance_ratio"], reference.explained_variance_ratio_, rtol=1e-4
    )
