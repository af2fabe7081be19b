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


def test_cancel_mid_umap_stops_at_the_next_epoch_and_keeps_the_child():
    from embexplorer.core.analysis import layouts

    task = projection_task(_blobs(3000), "umap", seed=0)
    while not next(task).message.startswith("UMAP epoch"):
        pass
    pid = layouts.LAYOUT_CHILD.pid
    task.close()  # umap-learn stops between two epochs: the child and its compiled code stay
    assert layouts.LAYOUT_CHILD.last_cancel == "stopped"
    assert layouts.LAYOUT_CHILD.pid == pid
    again = run_task(projection_task(_blobs(60), "umap", seed=0))
    assert again.coords.shape == (60, 2) and layouts.LAYOUT_CHILD.pid == pid


@pytest.mark.parametrize(
    ("method", "thread"),
    # openTSNE stops at its next callback (every 5 iterations)
    [("tsne", "t-SNE")],
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


def test_umap_runs_in_the_resident_child_and_lays_out_as_in_process():
    """umap-learn runs in a child process kept for the session (its numba compiler and fuzzy
    graph held our GIL for up to 200 ms at a time; issue 11 part 8). Above umap-learn's
    small-data limit the child gets a stand-in for the rows, which it reads only below it:
    the layout is the same as umap-learn's in this process on the real rows."""
    import os

    from embexplorer.core.analysis import layouts
    from embexplorer.core.analysis.ann import knn_task

    n = layouts.UMAP_SMALL_DATA + 100
    x = _blobs(n, seed=1)
    seen = []
    child = run_task(projection_task(x, "umap", seed=3), seen.append).coords
    pid = layouts.LAYOUT_CHILD.pid
    assert pid is not None and pid != os.getpid()
    assert any("UMAP epoch" in p.message for p in seen)  # the child's progress came back

    knn = run_task(knn_task(x, 14, "cosine", "exact"))
    indices = np.column_stack([np.arange(n), knn.indices]).astype(np.int64)
    distances = np.column_stack([np.zeros(n), knn.distances]).astype(np.float32)
    initial = run_task(layouts._pca_layout(x, spread=3.0))
    here = layouts.umap_fit(
        lambda *_: False, indices, distances, initial, x, n, 15, 0.1, "cosine", 3
    )
    np.testing.assert_array_equal(child, here)
    # the next run reuses the child (and its compiled code)
    run_task(projection_task(_blobs(60), "umap", seed=0))
    assert layouts.LAYOUT_CHILD.pid == pid


def _stubborn(report, seconds):  # a call that never looks at report: cancel must kill it
    import time

    report(None, "started")
    time.sleep(seconds)
    return "finished"


def _polite(report):  # stops at its next report after cancel, as umap-learn's epochs do
    from embexplorer.core.tasks import Cancelled

    report(None, "started")
    while not report(0.5, "working"):
        pass
    raise Cancelled("stopped")


def test_resident_child_cancel_stops_the_call_or_the_child():
    import time

    from embexplorer.core.child_process import STOP_GRACE_S, ResidentChild

    child = ResidentChild("test child")
    try:
        task = child.task(_polite, message="polite")
        while next(task).message != "started":
            pass
        pid = child.pid
        task.close()  # stopped at its next report: the child lives on for the next call
        assert child.last_cancel == "stopped" and child.pid == pid
        assert run_task(child.task(_divide, 6, 3)) == 2 and child.pid == pid
    finally:
        child.shutdown()
    child = ResidentChild("test child")
    try:
        task = child.task(_stubborn, 60, message="stubborn")
        while next(task).message != "started":
            pass
        pid = child.pid
        start = time.monotonic()
        task.close()  # ignores cancel: terminated after the grace period
        assert time.monotonic() - start < STOP_GRACE_S + 5
        assert child.last_cancel == "terminated" and child.pid is None
        assert run_task(child.task(_stubborn, 0, message="again")) == "finished"
        assert child.pid not in (None, pid)
    finally:
        child.shutdown()


def test_resident_child_errors_come_back():
    from embexplorer.core.child_process import ResidentChild

    child = ResidentChild("test child")
    try:
        with pytest.raises(ZeroDivisionError):
            run_task(child.task(_divide, 1, 0))
        assert run_task(child.task(_divide, 6, 3)) == 2  # and the child still serves
    finally:
        child.shutdown()


def _divide(report, a, b):
    return a // b
