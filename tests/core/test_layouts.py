"""t-SNE and UMAP: seeded and reproducible, with progress, and cancellable mid-run."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from embexplorer.core.analysis.projection import projection_task
from embexplorer.core.tasks import run_task


def _blobs(n=150, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.eye(3, 20) * 10
    return (centres[np.arange(n) % 3] + rng.normal(size=(n, 20))).astype(np.float32)


@pytest.mark.parametrize("method", ["tsne", "umap"])
def test_layout_is_reproducible_for_a_seed(method):
    x = _blobs()
    seen = []
    a = run_task(projection_task(x, method, seed=3), seen.append)
    b = run_task(projection_task(x, method, seed=3))
    np.testing.assert_allclose(a.coords, b.coords, atol=1e-4)
    assert a.coords.shape == (150, 2) and a.params["seed"] == 3
    assert any(p.fraction is not None and 0 < p.fraction < 1 for p in seen)
    # the three blobs stay apart: a point's 5 nearest on the map come from its own blob
    from embexplorer.core.analysis.quality import knn_2d

    blob = np.arange(150) % 3
    assert (blob[knn_2d(a.coords, 5)] == blob[:, None]).mean() > 0.95


@pytest.mark.parametrize(
    ("method", "thread"),
    # openTSNE stops at its next callback (every 5 iterations), umap-learn at its next epoch
    [("tsne", "t-SNE"), ("umap", "UMAP")],
)
def test_cancel_mid_layout_stops_the_optimisation(method, thread):
    x = _blobs(400)
    task = projection_task(x, method, seed=0)
    started = None
    while True:  # past our kNN graph and the PCA start: cancel once the optimiser reports
        progress = next(task)
        helpers = [t for t in threading.enumerate() if t.name.startswith(thread)]
        if helpers and started is None:
            started = progress.fraction
        elif helpers and progress.fraction and progress.fraction > started + 0.02:
            break
    task.close()
    for helper in helpers:
        helper.join(timeout=1.0)
        assert not helper.is_alive(), f"{thread} still running a second after cancel"
    # and the next run is not stuck behind anything the cancelled one left (tqdm's lock did)
    again = run_task(projection_task(_blobs(60), method, seed=0))
    assert again.coords.shape == (60, 2)


def test_layouts_use_our_neighbour_graph():
    result = run_task(projection_task(_blobs(), "tsne", seed=1))
    assert result.params["knn_method"] == "exact" and result.params["neighbors"] == 90
    result = run_task(projection_task(_blobs(), "umap", seed=1))
    assert result.params["knn_method"] == "exact" and result.params["n_neighbors"] == 15


def test_umap_epochs_release_the_gil_and_lay_out_the_same(monkeypatch):
    """umap-learn's epoch function is compiled again with nogil=True (the window repaints
    during an epoch; issue 11 part 8): the same code, so the same seeded layout as with
    umap-learn's own compilation."""
    import warnings

    import numba

    with warnings.catch_warnings():  # "Tensorflow not installed; ParametricUMAP …"
        warnings.simplefilter("ignore")
        import umap.layouts

    from embexplorer.core.analysis import layouts

    x = np.random.default_rng(0).normal(size=(300, 8)).astype(np.float32)
    name = "_nb_optimize_layout_euclidean_single_epoch"
    shipped = numba.njit(
        umap.layouts._optimize_layout_euclidean_single_epoch, fastmath=True, parallel=False
    )
    with monkeypatch.context() as patch:  # umap-learn as shipped: the GIL held
        patch.setattr(umap.layouts, name, shipped)
        patch.setattr(layouts, "_release_the_gil_in_epochs", lambda module: None)
        before = run_task(projection_task(x, "umap", seed=3)).coords
        assert getattr(umap.layouts, name).targetoptions.get("nogil") is not True
    monkeypatch.setattr(umap.layouts, name, shipped)
    after = run_task(projection_task(x, "umap", seed=3)).coords
    assert getattr(umap.layouts, name).targetoptions["nogil"] is True
    np.testing.assert_array_equal(before, after)
