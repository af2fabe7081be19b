"""``--knn auto``: the exact or the approximate kNN graph, whichever is projected to take less
time (issue 11; how the approximate path weighs itself is in :mod:`ann`, the exact graph's
projection in :mod:`knn_cost`)."""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from embexplorer.core.analysis.ann import ivf_knn_task
from embexplorer.core.analysis.knn_cost import ExactGraphCost
from embexplorer.core.analysis.neighbors import Neighbors, knn_graph_task
from embexplorer.core.tasks import Task

#: ``auto`` searches exactly, without weighing costs, up to this many rows when the rows ×
#: rows × dimensions are at most AUTO_EXACT_WORK (20,000 × 500 dimensions): weighing costs
#: 0.1–0.2 s, a tenth of such a graph (0.8–1.1 s here at 20k × 50 and × 384) ...
AUTO_EXACT_MIN, AUTO_EXACT_WORK = 20_000, 2e11
#: ... or when the exact graph is projected to take at most this long: the approximate path's
#: fixed costs (training the lists, adding every row, the exact neighbours of its recall
#: sample, tuning) took 0.5–2 s at 20,000 rows here, as much as the whole exact graph, so it
#: can win back at most a fraction of a second, and lose as much (measured, bench knn
#: --auto-sizes: diffuse 20k × 384, exact 2.3 s, auto 4.6 s when it built the index first).
AUTO_EXACT_SURE_S = 3.0


def auto_knn_task(vectors: np.ndarray, k: int, metric: str, seed: int = 0) -> Task[Neighbors]:
    """The exact or the approximate graph, whichever is projected to take less time; its
    ``params["auto"]`` holds the projections and ``deciding_s``, the seconds spent before the
    chosen search (costing the exact graph; with the exact graph chosen, the approximate
    index built and dropped too).

    The exact graph's merges are timed (0.1–0.5 s) only when the approximate search is not
    projected below its products alone; then ``exact_at_least_s`` (the products) stands for
    ``exact_projected_s``. At 100k × 50 clustered, where the approximate graph takes 2 s, that
    timing alone was a tenth of it."""
    if exact_is_sure(vectors):
        return (yield from knn_graph_task(vectors, k, metric))
    start = time.perf_counter()
    cost = ExactGraphCost(vectors, metric, k)
    choice: dict = {}
    if cost.products > AUTO_EXACT_SURE_S or cost.whole() > AUTO_EXACT_SURE_S:
        approx = yield from ivf_knn_task(vectors, k, metric, seed=seed, budget_s=cost)
        if isinstance(approx, Neighbors):
            projection = approx.params.pop("projection")
            approx.params["auto"] = {
                **_exact_figures(cost),
                "deciding_s": round(cost.spent_s, 3),
                **projection,
            }
            return approx
        choice.update(approx)  # the projection that stopped it
    choice.update(_exact_figures(cost))
    choice["deciding_s"] = round(time.perf_counter() - start, 3)
    exact = yield from knn_graph_task(vectors, k, metric)
    return dataclasses.replace(exact, params={"auto": choice})


def _exact_figures(cost: ExactGraphCost) -> dict:
    if cost.known is None:
        return {"exact_at_least_s": round(cost.products, 3)}
    return {"exact_projected_s": round(cost.known, 3)}


def exact_is_sure(vectors: np.ndarray) -> bool:
    """Small enough that ``auto`` searches exactly without weighing costs."""
    n, d = vectors.shape[0], vectors.shape[1]
    return n <= AUTO_EXACT_MIN and float(n) * n * d <= AUTO_EXACT_WORK
