"""The exact graph's projected cost (what ``--knn auto`` weighs)."""

from __future__ import annotations

import numpy as np
import pytest

from embexplorer.core.analysis import knn_cost, neighbors


def test_exact_graph_cost_adds_the_merges_timed_on_a_sample(monkeypatch):
    """The projection is the timed block pair times the pairs of rows, plus what the sample's
    graph took beyond its own pairs, scaled by rows × ln(rows / fill columns) (a fake clock
    stands in for the timings, so the arithmetic is checked, not this machine's speed)."""
    n, b, m = 100_000, neighbors.GRAPH_BLOCK, knn_cost.COST_SAMPLE_ROWS
    pair = 2e-9 * b * b  # the quickest of three timed pairs counts
    ticks = [0.0]  # the projection begins
    ticks += [0.0, 3 * pair, 1.0, 1.0 + pair, 2.0, 2.0 + 2 * pair, 2.5]  # 3 pairs; done
    ticks += [4.0, 5.0, 5.0 + 2e-9 * m * (m + 1) / 2 + 0.3, 6.0]  # the merges' sample graph
    clock = iter(ticks)
    monkeypatch.setattr(knn_cost.time, "perf_counter", lambda: next(clock, ticks[-1]))
    x = np.random.default_rng(0).normal(size=(n, 4)).astype(np.float32)
    got = knn_cost.exact_graph_cost(x, "cosine", 10)
    fill = neighbors.FILL_COLUMNS
    merges = 0.3 * (n * np.log(n / fill)) / (m * np.log(m / fill))
    assert got == pytest.approx(2e-9 * n * (n + 1) / 2 + merges, rel=1e-9)
    assert merges > 3.0  # at 50 dims and fewer the merges are most of the graph's time


def test_the_merges_are_timed_only_when_the_whole_is_asked_for(monkeypatch):
    """``auto`` first weighs the approximate search against the products alone (a few ms);
    the sample's graph (0.1–0.5 s) runs only when that does not decide, and only once."""
    runs = []

    def graph(sample, k, metric):
        runs.append(len(sample))
        yield from ()

    monkeypatch.setattr(knn_cost, "knn_graph_task", graph)
    x = np.random.default_rng(0).normal(size=(100_000, 4)).astype(np.float32)
    cost = knn_cost.ExactGraphCost(x, "cosine", 10)
    assert cost.products > 0 and cost.known is None and runs == []
    whole = cost.whole()
    assert cost.whole() == whole == cost.known >= cost.products
    assert runs == [knn_cost.COST_SAMPLE_ROWS]
