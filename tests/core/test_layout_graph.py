"""UMAP and t-SNE run on the analysis's own kNN graph (no second neighbour search), and the
``auto`` projection is UMAP up to a measured size, PCA above."""

from __future__ import annotations

import numpy as np
import pytest

from embexplorer.core.analysis import ann, projection
from embexplorer.core.analysis.params import AnalysisParams
from embexplorer.core.analysis.pipeline import analysis_task, stale_stages
from embexplorer.core.tasks import run_task


@pytest.fixture(scope="module")
def vectors():
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(4, 12)) * 4
    return (centres[rng.integers(0, 4, 240)] + rng.normal(size=(240, 12))).astype(np.float32)


@pytest.fixture
def searches(monkeypatch):
    """Every kNN search of the corpus (the graph's and any layout's own)."""
    calls = []
    original = ann.knn_task

    def counted(data, k, metric, method, **kwargs):
        calls.append((len(data), k, metric))
        return (yield from original(data, k, metric, method, **kwargs))

    monkeypatch.setattr(ann, "knn_task", counted)
    return calls


@pytest.mark.parametrize("method", ["umap", "tsne"])
def test_a_layout_uses_the_analysis_graph_and_searches_nothing_itself(vectors, searches, method):
    params = AnalysisParams(k=10, projection=method, quality=False)
    result = run_task(analysis_task(vectors, params, None))
    assert len(searches) == 1  # the graph's own search, none for the layout
    assert result.projection.method == method
    assert result.projection.params["graph"] == "the analysis's"
    assert np.isfinite(result.projection.coords).all()
    assert result.projection.coords.shape == (len(vectors), 2)
    if method == "tsne":  # a third of the graph's 20 columns
        width = result.knn.indices.shape[1]
        assert result.projection.params["neighbors"] == width
        assert result.projection.params["perplexity"] == pytest.approx(width / 3)


def test_a_graph_of_another_metric_is_not_reused(vectors, searches):
    """Dot-product neighbours are no layout's metric: the layout searches by cosine itself."""
    params = AnalysisParams(k=10, metric="dot", projection="umap", quality=False)
    result = run_task(analysis_task(vectors, params, None))
    assert [c[2] for c in searches] == ["dot", "cosine"]
    assert result.projection.params["graph"] == "its own"


def test_a_new_k_keeps_the_layout_a_new_search_method_does_not(vectors):
    params = AnalysisParams(k=10, projection="umap", quality=False, knn="exact")
    first = run_task(analysis_task(vectors, params, None))
    assert "projection" not in stale_stages(first.cache, params.replace(k=12))
    assert "knn" in stale_stages(first.cache, params.replace(k=12))
    assert "projection" in stale_stages(first.cache, params.replace(knn="approx"))
    assert "projection" in stale_stages(first.cache, params.replace(metric="euclidean"))


def test_auto_is_umap_up_to_the_limit_then_pca(vectors, monkeypatch):
    assert projection.resolve_projection("auto", projection.AUTO_LAYOUT_MAX_ROWS) == "umap"
    assert projection.resolve_projection("auto", projection.AUTO_LAYOUT_MAX_ROWS + 1) == "pca"
    assert projection.resolve_projection("tsne", 10**9) == "tsne"
    params = AnalysisParams(k=10, projection="auto", quality=False)
    assert run_task(analysis_task(vectors, params, None)).projection.method == "umap"
    monkeypatch.setattr(projection, "AUTO_LAYOUT_MAX_ROWS", len(vectors) - 1)
    assert run_task(analysis_task(vectors, params, None)).projection.method == "pca"
