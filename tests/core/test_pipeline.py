"""Cached analysis stages: only what depends on a changed parameter is recomputed."""

from __future__ import annotations

import numpy as np
import pytest

from embexplorer.core.analysis.params import AnalysisParams
from embexplorer.core.analysis.pipeline import analysis_task, stale_stages
from embexplorer.core.tasks import run_task

ALL = ["knn", "projection", "hubness", "reduction", "clusters", "quality", "comparison"]


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
    assert first.knn.k >= 5 and first.hubness.k == 5
    assert first.reduction.neighbors.indices.shape == (300, 5)
    assert set(first.clusters.sizes) == {0, 1, 2, 3}
    assert first.quality.preservation.shape == (300,)


def _recomputed(data, first, **changes):
    vectors, texts = data
    params = first.params.replace(**changes)
    return run_task(analysis_task(vectors, params, first, texts=texts)).recomputed


def test_changing_k_keeps_the_projection(data, first):
    assert _recomputed(data, first, k=7) == (
        "knn",
        "hubness",
        "reduction",
        "quality",
        "comparison",
    )


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
    assert phase2.quality.trustworthiness != first.quality.trustworthiness


@pytest.mark.parametrize("k", [67, 100])
@pytest.mark.parametrize("reduction", ["none", "csls"])
def test_every_documented_k_works_with_the_exact_graph(data, k, reduction):
    """k = 67…100 once failed: the graph keeps k + 50 candidates, more than its old limit."""
    vectors, _ = data
    params = AnalysisParams(k=k, knn="exact", reduction=reduction, quality=False)
    result = run_task(analysis_task(vectors, params, None))
    assert result.hubness.k == k
    assert result.knn.k >= k
    assert result.hubness.k_occurrence.sum() == len(vectors) * k
    if reduction != "none":
        assert result.reduction.neighbors.indices.shape == (len(vectors), k)


@pytest.mark.parametrize(
    ("rows", "k", "message"),
    [
        (1, 1, "has 1 row: neighbours"),
        (2, 10, r"k = 10 is too large for 2 rows .* choose k ≤ 1"),
    ],
)
def test_too_few_rows_is_a_clear_error(rows, k, message):
    from embexplorer.core.errors import InputError

    vectors = np.ones((rows, 4), np.float32)
    with pytest.raises(InputError, match=message):
        run_task(analysis_task(vectors, AnalysisParams(k=k), None))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"k": 0}, "k must be between 1 and 100; got 0"),
        ({"k": 101}, "k must be between 1 and 100; got 101"),
        ({"k": 2.5}, "k must be a whole number"),
        ({"metric": "manhattan"}, "metric must be one of cosine, euclidean, dot"),
        ({"projection": "mds"}, "projection must be one of"),
        ({"reduction": "snn"}, "reduction must be one of"),
        ({"beta": -1.0}, "β must be a positive number"),
        ({"ls_method": "global"}, "ls_method must be one of standard, nicdm"),
        ({"reduction_search": "some"}, "reduction_search must be one of auto, exact, candidates"),
        ({"reduction": "ls", "metric": "dot"}, "Local scaling scales distances ≥ 0"),
        ({"clusters": "kmeans"}, "k-means needs the number of clusters"),
        ({"seed": -3}, "seed must be between"),
    ],
)
def test_parameters_out_of_range_are_named(changes, message):
    from embexplorer.core.analysis.params import check_params
    from embexplorer.core.errors import InputError

    with pytest.raises(InputError, match=message):
        check_params(AnalysisParams().replace(**changes), 50)


def test_all_zero_vectors_under_cosine_are_reported(data):
    """Zero vectors have no direction: their 'hubs' and 'antihubs' are ties, and the summary
    says how many there are (they were reported as hubs without a word)."""
    from embexplorer.core.analysis.analysis_columns import summary_fields

    vectors = data[0].copy()
    vectors[:40] = 0
    result = run_task(analysis_task(vectors, AnalysisParams(k=5, quality=False), None))
    assert summary_fields(result)["zero_vectors"] == 40
    euclidean = run_task(analysis_task(vectors, AnalysisParams(k=5, metric="euclidean"), None))
    assert "zero_vectors" not in summary_fields(euclidean)


def test_every_parameter_is_read_by_some_stage():
    """A parameter no stage lists would never invalidate the cache: stale results served."""
    import dataclasses

    from embexplorer.core.analysis.pipeline import STAGES

    read = {name for names, _ in STAGES.values() for name in names}
    assert {f.name for f in dataclasses.fields(AnalysisParams)} <= read


def test_the_comparison_stage_tables_every_reduction_with_accuracy(data):
    """Every method's skewness, antihubs and k-NN accuracy; the raw row from the graph."""
    from embexplorer.core.analysis.hubness import hubness
    from embexplorer.core.analysis.reduction_comparison import knn_accuracy

    vectors, _ = data
    labels = np.array([f"topic {i % 3}" for i in range(len(vectors))], dtype=object)
    params = AnalysisParams(k=5, compare_reductions=True, quality=False)
    result = run_task(analysis_task(vectors, params, None, labels=("topic", labels)))
    table = result.comparison
    assert table.label_column == "topic"
    methods = [(row["method"], row["variant"]) for row in table.rows]
    assert methods == [
        ("none", None),
        ("mp", "gaussian"),
        ("mp", "empirical"),
        ("csls", None),
        ("ls", "standard"),
        ("ls", "nicdm"),
        ("dsl", None),
        ("isoftmax", None),
    ]
    raw = table.rows[0]
    hub = hubness(result.knn.indices[:, :5], len(vectors))
    assert raw["skewness"] == pytest.approx(hub.skewness)
    assert raw["n_antihubs"] == int(hub.antihubs.sum())
    codes = np.array([i % 3 for i in range(len(vectors))])
    assert raw["accuracy"] == pytest.approx(knn_accuracy(result.knn.indices[:, :5], codes))
    assert all(row["exact"] for row in table.rows)  # 300 rows: every method re-ranks all
    # changing only the reduction leaves the table as it was
    again = run_task(analysis_task(vectors, params.replace(reduction="mp"), result))
    assert "comparison" not in again.recomputed


def test_summary_states_the_reduction_its_provenance_and_accuracy(data):
    from embexplorer.core.analysis.analysis_columns import analysis_provenance, summary_fields

    vectors, _ = data
    labels = np.array([["a", "b"][i % 2] for i in range(len(vectors))], dtype=object)
    params = AnalysisParams(k=5, reduction="isoftmax", quality=False)
    result = run_task(analysis_task(vectors, params, None))
    fields = summary_fields(result, ("label", labels))
    info = fields["reduction"]
    assert info["method"] == "isoftmax" and info["exact"] is True
    assert info["candidates"] == len(vectors) - 1 and info["overlap"] == 1.0
    assert info["beta_rule"] == "auto" and info["beta"] > 0
    assert info["bank"] == "corpus" and info["bank_size"] == len(vectors)
    accuracy = fields["knn_accuracy"]
    assert accuracy["label_column"] == "label" and accuracy["labelled_rows"] == len(vectors)
    assert 0 <= accuracy["raw"] <= 1 and 0 <= accuracy["reduced"] <= 1
    provenance = analysis_provenance(result)
    assert provenance["reduction_params"]["beta"] == info["beta"]
    assert provenance["reduction_search"] == "auto"
