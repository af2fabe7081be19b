"""Clusters, their keyword labels, and the child-process runner HDBSCAN uses."""

from __future__ import annotations

import time

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from embexplorer.core.analysis import clusters
from embexplorer.core.analysis.clusters import cluster_task, parse_spec
from embexplorer.core.analysis.keywords import class_tfidf_keywords
from embexplorer.core.child_process import child_process_task
from embexplorer.core.tasks import run_task

TOPICS = {
    0: "guitar music song band concert melody guitar rhythm",
    1: "stock market shares investors trading prices stock bank",
    2: "cat kitten pet fur whiskers cat purr sofa",
}


def _blobs(n_per=60, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.eye(3, 16) * 8
    truth = np.repeat(np.arange(3), n_per)
    x = (centres[truth] + rng.normal(size=(len(truth), 16))).astype(np.float32)
    texts = [TOPICS[t] + f" sample{i}" for i, t in enumerate(truth)]
    return x, truth, texts


def test_kmeans_finds_the_blobs_and_names_them():
    x, truth, texts = _blobs()
    result = run_task(cluster_task(x, "kmeans:3", seed=1, texts=texts))
    assert adjusted_rand_score(truth, result.labels) == 1.0
    names = {result.label_text(c) for c in result.sizes}
    assert any("guitar" in n for n in names) and any("stock" in n for n in names)
    assert any("cat" in n for n in names)
    assert sorted(result.sizes.values()) == [60, 60, 60]


@pytest.mark.parametrize("pca_dims", [None, 4])  # 4 < 16: each mini-batch projected as it goes
def test_minibatch_kmeans_is_used_for_large_inputs(monkeypatch, pca_dims):
    monkeypatch.setattr(clusters, "KMEANS_FULL_MAX", 50)
    monkeypatch.setattr(clusters, "MINIBATCH", 64)
    x, truth, _ = _blobs()
    task = cluster_task(x, "kmeans:3", seed=0, pca_dims=pca_dims)
    fractions = []
    try:
        while True:
            fractions.append(next(task).fraction)
    except StopIteration as stop:
        result = stop.value
    assert adjusted_rand_score(truth, result.labels) > 0.95
    assert len(fractions) > 5  # one step per mini-batch: cancellable between them
    assert result.params["pca_dims"] == pca_dims


def test_minibatch_passes_stop_once_enough_rows_were_seen(monkeypatch):
    monkeypatch.setattr(clusters, "KMEANS_FULL_MAX", 50)
    monkeypatch.setattr(clusters, "MINIBATCH", 64)
    x, truth, _ = _blobs()  # 180 rows: 3 mini-batches a pass
    for samples, passes in ((10_000, 5), (360, 2), (1, 1)):
        monkeypatch.setattr(clusters, "MINIBATCH_SAMPLES", samples)
        steps = []
        result = run_task(cluster_task(x, "kmeans:3", pca_dims=None), steps.append)
        assert sum("mini-batch" in p.message for p in steps) == 3 * passes
        assert adjusted_rand_score(truth, result.labels) > 0.95


def test_label_column_names_every_row():
    labels = np.array([2, -1, 0, 2, 0, 5])
    result = clusters.Clustering(labels, "kmeans", keywords={0: ["guitar", "music"], 2: ["cat"]})
    assert result.label_column().tolist() == [
        "cat",
        "noise",
        "guitar, music",
        "cat",
        "guitar, music",
        "cluster 5",
    ]


def test_hdbscan_runs_in_a_child_process():
    x, truth, _ = _blobs()
    result = run_task(cluster_task(x, "hdbscan:10", pca_dims=None))
    found = result.labels[result.labels >= 0]
    assert len(set(found)) == 3
    assert adjusted_rand_score(truth[result.labels >= 0], found) == 1.0


def test_c_tf_idf_prefers_words_specific_to_a_cluster():
    texts = [
        "apple banana common",
        "apple cherry common",
        "zebra lion common",
        "zebra tiger common",
    ]
    keywords = class_tfidf_keywords(texts, np.array([0, 0, 1, 1]), top_n=2)
    assert keywords[0][0] == "apple" and keywords[1][0] == "zebra"
    assert "common" not in keywords[0][:1]


def test_noise_gets_no_keywords():
    keywords = class_tfidf_keywords(["a b c word", "other words"], np.array([-1, 0]))
    assert set(keywords) == {0}


@pytest.mark.parametrize(
    "spec,error",
    [
        ("kmeans", "needs the number"),
        ("dbscan", "Unknown"),
        ("kmeans:x", "whole number"),
        ("kmeans:1", "at least 2"),
    ],
)
def test_bad_specs(spec, error):
    with pytest.raises(ValueError, match=error):
        parse_spec(spec)


def test_child_process_cancel_terminates_at_once():
    task = child_process_task(time.sleep, 60, message="sleeping")
    next(task)
    start = time.monotonic()
    task.close()
    assert time.monotonic() - start < 1.0


def test_child_process_errors_come_back():
    with pytest.raises(ZeroDivisionError):
        run_task(child_process_task(divmod, 1, 0))


def _word_blobs():
    """Three blobs of 41 rows: the centre (named) and 40 rows around it whose mean is 0."""
    rng = np.random.default_rng(4)
    centres = np.eye(3, 8) * 20
    rows, words, truth = [], [], []
    for c, centre in enumerate(centres):
        offsets = rng.normal(size=(40, 8)) * (1 + np.arange(40)[:, None] / 10)
        rows += [centre, *(centre + offsets - offsets.mean(axis=0))]
        words += [f"centre{c}", *[f"w{c}_{i}" for i in range(40)]]
        truth += [c] * 41
    return np.array(rows, dtype=np.float32), np.array(words, dtype=object), np.array(truth)


def test_short_labels_name_clusters_by_their_central_members():
    x, words, truth = _word_blobs()
    names = clusters.central_names(x, lambda r: r, truth, words, top_n=3)
    for c in range(3):
        distance = ((x[truth == c] - x[truth == c].mean(axis=0)) ** 2).sum(axis=1)
        want = list(words[truth == c][np.argsort(distance, kind="stable")[:3]])
        assert names[c] == want and want[0] == f"centre{c}"
    labels = truth.copy()
    labels[:5] = -1  # noise is not named, and its rows name nobody
    assert -1 not in clusters.central_names(x, lambda r: r, labels, words)


def test_cluster_task_names_word_clusters_from_the_words():
    x, words, truth = _word_blobs()
    result = run_task(cluster_task(x, "kmeans:3", seed=0, texts=words))
    assert adjusted_rand_score(truth, result.labels) == 1.0
    names = sorted(result.label_text(c) for c in result.sizes)
    assert [n.split(", ")[0] for n in names] == ["centre0", "centre1", "centre2"]


def test_naming_texts_and_short_labels():
    from embexplorer.core.corpus import Corpus

    words = np.array(["paris", "rome", "new york"], dtype=object)
    texts = np.array(["a long text about a city", "another long text on it", "and more"], object)
    ids = np.arange(3)
    both = Corpus(ids, {"t": texts, "w": words}, text_column="t", label_column="w")
    assert clusters.naming_texts(both) is texts
    assert clusters.naming_texts(both.replace(text_column=None)) is words
    digits = Corpus(ids, {"n": np.arange(3)}, label_column="n")
    assert clusters.naming_texts(digits) is digits.labels
    scores = Corpus(ids, {"s": np.linspace(0, 1, 3)}, label_column="s")
    assert clusters.naming_texts(scores) is None
    assert clusters.short_labels(words) and not clusters.short_labels(texts)


def test_repeated_labels_name_clusters_by_their_most_frequent():
    labels = np.array([0] * 10 + [1] * 10 + [-1] * 3)
    digits = np.array([0] * 9 + [6] + [2] * 5 + [1] * 3 + [7, 2] + [5] * 3, dtype=np.int64)
    names = clusters.frequent_names(labels, digits)
    # cluster 0: 90 % zeros (6 is under 25 %); cluster 1: 2 (60 %), 1 (30 %); noise unnamed
    assert names == {0: ["0"], 1: ["2", "1"]}
    assert clusters.repeated_labels(digits) and not clusters.repeated_labels(np.arange(23))


def test_cluster_task_names_digit_clusters_by_their_digit():
    x, _, truth = _word_blobs()
    result = run_task(cluster_task(x, "kmeans:3", seed=0, texts=truth * 3))
    names = sorted(result.label_text(c) for c in result.sizes)
    assert names == ["0", "3", "6"]
