"""Non-linear 2-D layouts: t-SNE (openTSNE) and UMAP (umap-learn), seeded and cancellable.

Both run in a helper thread (both release the GIL in their heavy loops) and report through
their own hooks: openTSNE's callbacks (returning True stops it), umap-learn's epoch loop through
the progress stream it writes to (raising there stops it). Cancel therefore takes effect at the
next iteration / epoch; the neighbour search before the optimisation cannot be interrupted and
finishes in the background. umap-learn compiles its numba code on the first run in a process
(~20 s here); later runs in the same session reuse it.
"""

from __future__ import annotations

import os
import re
from typing import Any

import numpy as np

from embexplorer.core.projection import Projection, top_components_task
from embexplorer.core.tasks import Cancelled, Progress, Task, call_in_thread_task

TSNE_PCA_DIMS = 50
TSNE_ITERATIONS = (250, 500)  # early exaggeration, then the main phase (openTSNE's defaults)


def tsne_task(
    vectors: np.ndarray, seed: int = 0, perplexity: float = 30.0, metric: str = "cosine"
) -> Task[Projection]:
    n = len(vectors)
    data = vectors
    if vectors.shape[1] > TSNE_PCA_DIMS:
        data = yield from top_components_task(vectors, TSNE_PCA_DIMS)
    perplexity = float(min(perplexity, max(1.0, (n - 1) / 3.0)))
    total = sum(TSNE_ITERATIONS)

    def fit(report) -> np.ndarray:
        from openTSNE import TSNE

        phase = {"offset": 0, "last": 0}

        def callback(iteration: int, error: float, embedding: Any) -> bool:
            if iteration < phase["last"]:  # the main phase restarts the count
                phase["offset"] = TSNE_ITERATIONS[0]
            phase["last"] = iteration
            done = phase["offset"] + iteration
            return report(min(done / total, 1.0), f"t-SNE iteration {done} of {total}")

        tsne = TSNE(
            perplexity=perplexity,
            metric="euclidean" if metric == "euclidean" else "cosine",
            n_jobs=os.cpu_count() or 1,
            random_state=seed,
            early_exaggeration_iter=TSNE_ITERATIONS[0],
            n_iter=TSNE_ITERATIONS[1],
            callbacks=callback,
            callbacks_every_iters=5,
            verbose=False,
        )
        return np.asarray(tsne.fit(np.ascontiguousarray(data, dtype=np.float64)))

    coords = yield from call_in_thread_task(fit, "t-SNE: nearest neighbours and affinities")
    return Projection(
        coords=coords.astype(np.float32),
        method="tsne",
        params={
            "seed": seed,
            "perplexity": perplexity,
            "pca_dims": TSNE_PCA_DIMS if data is not vectors else None,
            "iterations": list(TSNE_ITERATIONS),
        },
    )


class _EpochStream:
    """The file umap-learn's tqdm writes to: turns "12/200" into progress, raises on cancel."""

    _COUNT = re.compile(r"(\d+)/(\d+)")

    def __init__(self, report):
        self.report = report

    def write(self, text: str) -> int:
        found = self._COUNT.findall(text)
        if found:
            done, total = map(int, found[-1])
            if self.report(done / max(total, 1), f"UMAP epoch {done} of {total}"):
                raise Cancelled("UMAP cancelled")
        return len(text)

    def flush(self) -> None:
        pass


def umap_task(
    vectors: np.ndarray,
    seed: int = 0,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    metric: str = "cosine",
) -> Task[Projection]:
    n = len(vectors)
    n_neighbors = int(min(n_neighbors, max(2, n - 1)))

    def fit(report) -> np.ndarray:
        import warnings

        with warnings.catch_warnings():  # "Tensorflow not installed; ParametricUMAP …"
            warnings.simplefilter("ignore", ImportWarning)
            import umap

        report(None, "UMAP: nearest neighbours (the first run compiles numba code)")
        model = umap.UMAP(
            n_neighbors=n_neighbors,
            min_dist=min_dist,
            metric="euclidean" if metric == "euclidean" else "cosine",
            random_state=seed,
            n_jobs=1,
            verbose=False,
            tqdm_kwds={
                "file": _EpochStream(report),
                "disable": False,
                "mininterval": 0.1,
                "ascii": True,
            },
        )
        return np.asarray(model.fit_transform(np.ascontiguousarray(vectors, np.float32)))

    coords = yield from call_in_thread_task(fit, "UMAP: preparing")
    yield Progress(1.0, "UMAP done")
    return Projection(
        coords=coords.astype(np.float32),
        method="umap",
        params={"seed": seed, "n_neighbors": n_neighbors, "min_dist": min_dist},
    )
