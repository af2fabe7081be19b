"""Non-linear 2-D layouts: t-SNE (openTSNE) and UMAP (umap-learn), seeded and cancellable.

Both are given our own kNN graph (exact or approximate, with progress, cancellable between
blocks) and a PCA start, so the libraries' own neighbour searches and spectral initialisation
never run. Only their optimisers run, reporting through their hooks: openTSNE's callbacks
(returning True stops it) in a helper thread (it releases the GIL), and umap-learn's epoch
loop, whose tqdm is replaced by an iterator that reports each epoch and raises between two
epochs on cancel (see ``_umap_epochs``), in a child process kept for the session
(``LAYOUT_CHILD``): umap-learn compiles its numba code on the first run in a process (~20 s
here, reported as such), and numba's compiler and umap-learn's fuzzy graph hold the GIL for
up to 200 ms at a time, which froze the window that long when they ran in ours. Later runs
reuse the child and its compiled code. Cancel takes effect at the next iteration or epoch.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from embexplorer.core.analysis.projection import Projection, top_components_task
from embexplorer.core.child_process import ResidentChild
from embexplorer.core.tasks import Cancelled, Progress, Task, call_in_thread_task, scaled

TSNE_PCA_DIMS = 50
TSNE_ITERATIONS = (250, 500)  # early exaggeration, then the main phase (openTSNE's defaults)


def _layout_metric(metric: str) -> str:
    """The libraries' metric: ±1 rows of 1-bit codes rank by Hamming as by Euclidean."""
    return "euclidean" if metric in ("euclidean", "hamming") else "cosine"


def reusable_graph(graph: Any, metric: str, k: int) -> Any:
    """The analysis's kNN graph cut to ``k`` columns when a layout can use it (it was searched
    in the layout's own metric and holds at least ``k`` neighbours per row), else None."""
    if graph is None or graph.indices.shape[1] < k:
        return None
    if graph.metric != metric or metric not in ("cosine", "euclidean", "hamming"):
        return None
    from embexplorer.core.analysis.neighbors import Neighbors

    return Neighbors(graph.indices[:, :k], graph.distances[:, :k], graph.metric, graph.method)


def _neighbours(data: Any, k: int, metric: str, seed: int, graph: Any = None) -> Task[Any]:
    """The analysis's graph when it fits (no second neighbour search), else our kNN graph
    (exact or approximate, with progress and Cancel) for the layouts; 1-bit codes by Hamming
    distance (popcount), their PCA-reduced rows by Euclidean."""
    reused = reusable_graph(graph, metric, k)
    if reused is not None:
        return reused
    from embexplorer.core.analysis.ann import knn_task

    graph_metric = "hamming" if metric == "hamming" and hasattr(data, "codes") else None
    return (yield from knn_task(data, k, graph_metric or _layout_metric(metric), "auto", seed=seed))


def _pca_layout(data: np.ndarray, spread: float) -> Task[np.ndarray]:
    """The first two principal components, scaled so the x axis has std ``spread``."""
    from embexplorer.core.analysis.projection import apply_linear_map, fit_pca_task

    mean, components, _ = yield from fit_pca_task(data, 2)
    coords = apply_linear_map(data, mean, components, 2).astype(np.float64)
    return coords / max(float(coords[:, 0].std()), 1e-12) * spread


def tsne_task(
    vectors: np.ndarray,
    seed: int = 0,
    perplexity: float = 30.0,
    metric: str = "cosine",
    graph: Any = None,
) -> Task[Projection]:
    """t-SNE: openTSNE's optimiser on a kNN graph (3·perplexity neighbours), started from the
    PCA layout. With the analysis's ``graph`` (same metric), its neighbours in the original
    space are used and the perplexity is a third of its width when that is less; without it,
    PCA to 50 dims and our own search there. Only the optimisation runs inside openTSNE, which
    stops at its next callback (every 5 iterations) after Cancel."""
    n = len(vectors)
    perplexity = float(min(perplexity, max(1.0, (n - 1) / 3.0)))
    width = 0 if graph is None else graph.indices.shape[1]
    reused = reusable_graph(graph, metric, width) if width else None
    data = vectors
    if reused is not None:
        perplexity = float(min(perplexity, max(1.0, width / 3.0)))
    elif vectors.shape[1] > TSNE_PCA_DIMS:
        data = yield from scaled(top_components_task(vectors, TSNE_PCA_DIMS), 0.0, 0.1, "t-SNE: ")
    k = int(min(n - 1, max(1, round(3 * perplexity))))
    if reused is not None:
        knn = reusable_graph(reused, metric, k)
    else:
        knn = yield from scaled(_neighbours(data, k, metric, seed), 0.1, 0.4, "t-SNE: ")
    initial = yield from _pca_layout(data, spread=1e-4)  # openTSNE's recommended scale
    total = sum(TSNE_ITERATIONS)

    def fit(report) -> np.ndarray:
        from openTSNE import TSNE, affinity
        from openTSNE.nearest_neighbors import PrecomputedNeighbors

        report(None, "t-SNE: affinities from the neighbour graph")
        affinities = affinity.PerplexityBasedNN(
            perplexity=perplexity,
            k_neighbors=k,
            knn_index=PrecomputedNeighbors(
                np.asarray(knn.indices, dtype=np.int64), np.asarray(knn.distances, dtype=np.float64)
            ),
            n_jobs=os.cpu_count() or 1,
            random_state=seed,
        )
        phase = {"offset": 0, "last": 0}

        def callback(iteration: int, error: float, embedding: Any) -> bool:
            if iteration < phase["last"]:  # the main phase restarts the count
                phase["offset"] = TSNE_ITERATIONS[0]
            phase["last"] = iteration
            done = phase["offset"] + iteration
            return report(min(done / total, 1.0), f"t-SNE iteration {done} of {total}")

        tsne = TSNE(
            n_jobs=os.cpu_count() or 1,
            random_state=seed,
            early_exaggeration_iter=TSNE_ITERATIONS[0],
            n_iter=TSNE_ITERATIONS[1],
            callbacks=callback,
            callbacks_every_iters=5,
            verbose=False,
        )
        return np.asarray(tsne.fit(affinities=affinities, initialization=initial))

    coords = yield from scaled(call_in_thread_task(fit, "t-SNE: optimising"), 0.4, 1.0)
    return Projection(
        coords=coords.astype(np.float32),
        method="tsne",
        params={
            "seed": seed,
            "perplexity": perplexity,
            "neighbors": k,
            "knn_method": knn.method,
            "graph": "the analysis's" if reused is not None else "its own",
            "pca_dims": TSNE_PCA_DIMS if data is not vectors else None,
            "iterations": list(TSNE_ITERATIONS),
        },
    )


def _umap_epochs(iterable, report=None, **tqdm_kwds):
    """Stands in for tqdm in umap-learn's epoch loops: reports each epoch, stops on cancel.

    umap-learn runs its epochs as ``for n in tqdm(range(n_epochs), **tqdm_kwds)``. Stopping it
    by raising from tqdm's output stream left tqdm's global lock held (tqdm's ``refresh`` does
    not release it on an exception), and every later UMAP in the process hung. This raises
    between two epochs instead, outside any lock. Calls without ``report`` get tqdm itself.
    """
    if report is None:
        return _UMAP_TQDM[0](iterable, **tqdm_kwds)
    return _reported_epochs(iterable, report)


def _reported_epochs(iterable, report):
    total = len(iterable)
    for n, item in enumerate(iterable):
        yield item
        if report((n + 1) / max(total, 1), f"UMAP epoch {n + 1} of {total}"):
            raise Cancelled("UMAP cancelled")


_UMAP_TQDM: list = []  # umap-learn's own tqdm, once replaced by _umap_epochs


def _install_epoch_hook() -> None:
    import umap.layouts

    if umap.layouts.tqdm is not _umap_epochs:
        _UMAP_TQDM[:] = [umap.layouts.tqdm]
        umap.layouts.tqdm = _umap_epochs


#: umap-learn's small-data limit: below it, it measures every pair of rows itself
UMAP_SMALL_DATA = 4096
#: The process the UMAP optimiser runs in, kept for the session: its numba code compiles
#: once (~20 s), and neither the compiler nor the optimiser holds our GIL (issue 11 part 8)
LAYOUT_CHILD = ResidentChild("embexplorer layouts")


def umap_fit(
    report,
    indices: np.ndarray,
    distances: np.ndarray,
    initial: np.ndarray,
    rows: np.ndarray | None,
    n: int,
    n_neighbors: int,
    min_dist: float,
    metric: str,
    seed: int,
) -> np.ndarray:
    """umap-learn's fuzzy graph and optimiser on our graph from our start (in LAYOUT_CHILD).

    ``rows``: the vectors below UMAP_SMALL_DATA rows, else None (a stand-in of ``n`` rows)."""
    import warnings

    with warnings.catch_warnings():  # "Tensorflow not installed; ParametricUMAP …"
        warnings.simplefilter("ignore", ImportWarning)
        import umap

    _install_epoch_hook()
    report(None, "UMAP: fuzzy graph (the first run compiles numba code)")
    model = umap.UMAP(
        n_neighbors=n_neighbors,
        min_dist=min_dist,
        metric=_layout_metric(metric),
        random_state=seed,
        n_jobs=1,
        init=initial,
        precomputed_knn=(indices, distances),
        verbose=False,
        tqdm_kwds={"report": report},  # read by _umap_epochs
    )
    data = rows if rows is not None else np.ones((n, 1), dtype=np.float32)
    with warnings.catch_warnings():  # no search index: transform() is not needed here
        warnings.simplefilter("ignore", UserWarning)
        coords = np.asarray(model.fit_transform(np.ascontiguousarray(data, np.float32)))
    # umap-learn places a row with no neighbour in its graph at NaN; it stays at its start
    cut_off = ~np.isfinite(coords).all(axis=1)
    coords[cut_off] = initial[cut_off]
    return coords


def umap_task(
    vectors: np.ndarray,
    seed: int = 0,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    metric: str = "cosine",
    graph: Any = None,
) -> Task[Projection]:
    """UMAP: our kNN graph (the analysis's ``graph`` when it has the metric and the width, so
    no second search) and a PCA start, umap-learn's optimiser. Only the fuzzy graph and the
    epochs run inside umap-learn; Cancel stops it at the next epoch."""
    n = len(vectors)
    n_neighbors = int(min(n_neighbors, max(2, n - 1)))
    reused = reusable_graph(graph, metric, n_neighbors - 1)
    knn = yield from scaled(
        _neighbours(vectors, n_neighbors - 1, metric, seed, graph), 0.0, 0.3, "UMAP: "
    )
    # umap-learn's convention: each row's own index first, at distance 0
    indices = np.column_stack([np.arange(n), knn.indices]).astype(np.int64)
    distances = np.column_stack([np.zeros(n), knn.distances]).astype(np.float32)
    initial = yield from _pca_layout(vectors, spread=3.0)

    # umap-learn reads the rows themselves only below its small-data limit (4,096 rows, where
    # it ignores the graph and measures every pair); above, only their number: the child then
    # gets a one-column stand-in, not 150 MB of vectors per 100,000 rows through a pipe
    rows = np.ascontiguousarray(vectors, np.float32) if n < UMAP_SMALL_DATA else None
    fit_args = (indices, distances, initial, rows, n, n_neighbors, min_dist, metric, seed)
    coords = yield from scaled(
        LAYOUT_CHILD.task(umap_fit, *fit_args, message="UMAP: optimising"), 0.3, 1.0
    )
    yield Progress(1.0, "UMAP done")
    return Projection(
        coords=coords.astype(np.float32),
        method="umap",
        params={
            "seed": seed,
            "n_neighbors": n_neighbors,
            "min_dist": min_dist,
            "knn_method": knn.method,
            "graph": "the analysis's" if reused is not None else "its own",
        },
    )
