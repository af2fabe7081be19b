"""What the exact kNN graph will cost, before running it (``knn_auto.auto_knn_task`` weighs it
against the approximate search's own projection; the Ray engine's ``auto`` too)."""

from __future__ import annotations

import time

import numpy as np

from embexplorer.core.analysis.neighbors import (
    FILL_COLUMNS,
    GRAPH_BLOCK,
    Scorer,
    knn_graph_task,
)

#: Rows of the small graph :func:`exact_graph_cost` runs to time the merges (3 blocks; a
#: tenth of the rows at most).
COST_SAMPLE_ROWS = 3 * GRAPH_BLOCK


def exact_graph_cost(vectors: np.ndarray, metric: str, k: int = 10) -> float:
    """Projected seconds of ``neighbors.knn_graph_task(vectors, k, metric)``.

    Two parts, each timed on the real rows. The products and the threshold passes: one block
    pair timed (the quickest of three), times the number of block pairs (N²/2 pairs of
    rows). The merges: after its first columns fill a row's list, every candidate that beats
    the list's worst is merged, and with neighbours met in no particular order that happens
    about keep·ln(N / F) times a row (the j-th column beats the worst of the best ``keep``
    with chance keep/j; F = the columns a list is filled from). At 384 dimensions the
    products dominate; at 50 the merges do (100k × 50: 8.4 s, of which the products 3.5 s).
    Their cost per entry is timed by running the graph on a random sample of
    ``COST_SAMPLE_ROWS`` rows and taking away what its products explain. Costs that sample's
    graph (0.1–0.5 s here); the merges' projection was 1.5× short at 1M × 50 (a million
    lists no longer fit the caches)."""
    return ExactGraphCost(vectors, metric, k).whole()


class ExactGraphCost:
    """:func:`exact_graph_cost` in two steps: :attr:`products` (a lower bound, timed in a few
    ms on construction), and :meth:`whole`, which times the merges on a sample's graph (0.1–0.5
    s) the first time it is asked for. ``auto`` asks only when the approximate search's
    projection exceeds the products."""

    def __init__(self, vectors: np.ndarray, metric: str, k: int = 10):
        began = time.perf_counter()
        self._vectors, self._metric, self._k = vectors, metric, k
        n = len(vectors)
        b = min(GRAPH_BLOCK, n // 2)
        scorer = Scorer(np.ascontiguousarray(vectors[: 2 * b]), metric)
        scorer.pair_scores(0, b, b, 2 * b)  # warm (BLAS threads, pages)
        timings = []
        for _ in range(3):  # the quickest of three: one pair is a few ms, and a busy moment
            start = time.perf_counter()  # would be multiplied by every pair of the graph
            rows_side, cols_side = scorer.pair_scores(0, b, b, 2 * b)
            np.flatnonzero(rows_side > 1e30)
            np.flatnonzero(cols_side > 1e30)
            timings.append(time.perf_counter() - start)
        self._per_pair = min(timings) / (b * b)
        #: projected seconds of the products and threshold passes alone
        self.products = self._per_pair * n * (n + 1) / 2
        self._whole: float | None = None
        #: seconds spent projecting so far
        self.spent_s = time.perf_counter() - began

    @property
    def known(self) -> float | None:
        """The whole projection if it was asked for, else None."""
        return self._whole

    def whole(self) -> float:
        """Projected seconds of the whole graph: the products plus the merges."""
        if self._whole is None:
            began = time.perf_counter()
            self._whole = self.products + self._merges()
            self.spent_s += time.perf_counter() - began
        return self._whole

    def _merges(self) -> float:
        vectors, n = self._vectors, len(self._vectors)
        m = min(COST_SAMPLE_ROWS, n // 10)  # a tenth at most: small graphs are quick anyway
        if m < 2 * FILL_COLUMNS:
            return 0.0
        rows = np.sort(np.random.default_rng(0).choice(n, size=m, replace=False))
        sample = np.ascontiguousarray(vectors[rows])
        start = time.perf_counter()
        for _ in knn_graph_task(sample, min(self._k, m - 1), self._metric):
            pass
        products = self._per_pair * m * (m + 1) / 2
        merged = max(0.0, time.perf_counter() - start - products)
        return merged * _merge_entries(n) / _merge_entries(m)


def _merge_entries(n: int) -> float:
    """Rows × ln(rows / fill columns): proportional to the graph's merged entries."""
    return n * np.log(max(n / FILL_COLUMNS, np.e))


def over_budget(seconds: float, budget: float | ExactGraphCost | None) -> bool:
    """Whether ``seconds`` exceed the budget: a number, or the exact graph's cost, whose
    merges are timed only when the products alone do not decide."""
    if budget is None:
        return False
    if isinstance(budget, int | float):
        return seconds > budget
    return seconds > budget.products and seconds > budget.whole()
