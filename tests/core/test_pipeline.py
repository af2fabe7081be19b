"""Cached analysis stages: only what depends on a changed parameter is recomputed."""

from __future__ import annotations

import numpy as np
import pytest

from embexplorer.core.pipeline import AnalysisParams, analysis_task, stale_stages
from embexplorer.core.tasks import run_task

ALL = ["projection", "knn", "hubness", "reduction", "clusters", "quality"]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(4, 16)) * 4
    vectors = (centres[rng.integers(0, 4, 300)] + rng.normal(size=(300, 16))).astype(np.float32)
    texts = np.array([f"word{i % 4} common text" for i in range(300)], dtype=object)
    return vectors, texts


@pytest.fixture(scope="module")
def first(data):
    vectors, texts = data
    params = AnalysisParams(k=5, clusters="kmeans:4", reduction="csls")
    return run_task(analysis_task(vectors, params, None, texts=texts))


def test_first_run_computes_everything(first):
    assert list(first.recomputed) == ALL
    assert first.get("knn").k >= 5 and first.get("hubness").k == 5
    assert first.get("reduction").neighbors.indices.shape == (300, 5)
    assert set(first.get("clusters").sizes) == {0, 1, 2, 3}
    assert first.get("quality").preservation.shape == (300,)


def _recomputed(data, first, **changes):
    vectors, texts = data
    params = first.params.replace(**changes)
    return run_task(analysis_task(vectors, params, first, texts=texts)).recomputed


def test_changing_k_keeps_the_projection(data, first):
    assert _recomputed(data, first, k=7) == ("knn", "hubness", "reduction", "quality")


def test_changing_the_metric_keeps_a_pca_projection(data, first):
    assert "projection" not in _recomputed(data, first, metric="euclidean")


def test_changing_the_projection_keeps_the_knn_graph(data, first):
    assert stale_stages(first.cache, first.params.replace(projection="tsne")) == [
        "projection",
        "quality",
    ]


def test_clusters_on_the_layout_follow_the_projection(data, first):
    params = first.params.replace(cluster_space="layout", projection="tsne")
    assert stale_stages(first.cache, params) == ["projection", "clusters", "quality"]


def test_changing_only_the_reduction(data, first):
    assert _recomputed(data, first, reduction="mp") == ("reduction",)
    assert _recomputed(data, first, clusters="kmeans:3") == ("clusters",)


def test_nothing_changed_nothing_recomputed(data, first):
    assert _recomputed(data, first) == ()


def test_projection_first_then_the_rest_recomputes_what_depends_on_it(data, first):
    """The window runs the projection alone (so the map appears), then the other stages."""
    vectors, texts = data
    params = first.params.replace(projection="tsne")
    phase1 = run_task(analysis_task(vectors, params, first, texts=texts, only=("projection",)))
    assert phase1.recomputed == ("projection",)
    phase2 = run_task(analysis_task(vectors, params, phase1, texts=texts))
    assert phase2.recomputed == ("quality",)
    assert phase2.get("quality").trustworthiness != first.get("quality").trustworthiness
