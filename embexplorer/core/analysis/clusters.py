"""Clusters of the corpus (k-means or HDBSCAN) and their keyword labels.

k-means runs on the vectors (PCA-reduced first when they have many dimensions) or on the 2-D
layout; beyond ``KMEANS_FULL_MAX`` rows it is mini-batch k-means driven batch by batch, so it
yields progress and stops on Cancel. HDBSCAN (scikit-learn) holds the GIL for seconds, so it
runs in a child process (see :mod:`child_process`). Labels: -1 is noise (HDBSCAN only).

Names come from whatever text the rows have (:func:`naming_texts`): the text column, else a
label column of strings or whole numbers. Texts are named by c-TF-IDF keywords
(:mod:`keywords`). Short labels (a word, a name: at most ``SHORT_LABEL_WORDS`` words in the
median row) give c-TF-IDF too few words. When they repeat (a class per row, as in a digits
set), a cluster is named by its most frequent labels ("0", or "2, 1" for a mixed one); when
nearly every row has its own (a word per row), by its most central members, those nearest its
centre in the space it was clustered in (a GloVe cluster of "paris, rome, berlin" rather than
"cluster 8").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from embexplorer.core.analysis.keywords import class_tfidf_keywords
from embexplorer.core.categories import distinct_values
from embexplorer.core.child_process import child_process_task
from embexplorer.core.tasks import Progress, Task, scaled

#: Rows whose median holds at most this many words are labels, named by central members.
SHORT_LABEL_WORDS = 3
#: How many names a cluster gets (label_text shows the first three).
NAMES_PER_CLUSTER = 5
#: Rows looked at per cluster when collecting distinct central names.
CENTRAL_CANDIDATES = 200
#: A repeated label names its cluster when it holds at least this share of the cluster's rows.
MIN_SHARE = 0.25
CHUNK_ROWS = 65_536
KMEANS_FULL_MAX = 20_000
MINIBATCH = 4096
MINIBATCH_EPOCHS = 5
#: ... but no more passes than needed to see about this many rows in all: the centres settle
#: long before (1M × 384, k = 20: 2 passes reach an inertia within 0.1 % of 5 passes, less
#: than the spread between two seeds, in 47 % of the time).
MINIBATCH_SAMPLES = 2_000_000


@dataclass(frozen=True, eq=False)
class Clustering:
    labels: np.ndarray
    method: str
    params: dict[str, Any] = field(default_factory=dict)
    keywords: dict[int, list[str]] = field(default_factory=dict)

    @property
    def sizes(self) -> dict[int, int]:
        ids, counts = np.unique(self.labels, return_counts=True)
        return {int(i): int(c) for i, c in zip(ids, counts, strict=True)}

    def label_text(self, cluster: int, words: int = 3) -> str:
        if cluster < 0:
            return "noise"
        found = self.keywords.get(cluster)
        return ", ".join(found[:words]) if found else f"cluster {cluster}"

    def label_column(self) -> np.ndarray:
        """Each row's cluster label text (one lookup per cluster, not per row: 1M rows fast)."""
        ids, inverse = np.unique(self.labels, return_inverse=True)
        names = np.array([self.label_text(int(c)) for c in ids], dtype=object)
        return names[inverse.ravel()]


CLUSTER_METHODS = ("kmeans", "hdbscan")


def parse_spec(spec: str) -> tuple[str, int | None]:
    """ "kmeans:K" or "hdbscan" (or "hdbscan:MIN_SIZE") → (method, number)."""
    method, _, number = spec.partition(":")
    method = method.strip().lower()
    if method not in CLUSTER_METHODS:
        raise ValueError(f"Unknown clustering {spec!r}; use kmeans:K or hdbscan.")
    if number and not number.isdigit():
        raise ValueError(f"{spec!r}: the number after ':' must be a whole number.")
    value = int(number) if number else None
    if method == "kmeans" and not value:
        raise ValueError("k-means needs the number of clusters, e.g. kmeans:10.")
    if value is not None and value < 2:
        raise ValueError(f"{spec!r}: the number must be at least 2.")
    return method, value


def cluster_task(
    data: np.ndarray,
    spec: str = "kmeans:10",
    *,
    seed: int = 0,
    pca_dims: int | None = 50,
    texts=None,
    space: str = "vectors",
) -> Task[Clustering]:
    """Cluster ``data`` (the vectors, or the 2-D coordinates when ``space == "layout"``)."""
    method, number = parse_spec(spec)
    transform = _identity
    if pca_dims is not None and data.shape[1] > pca_dims:
        transform = yield from scaled(_pca_map(data, pca_dims), 0.0, 0.2, "Clusters: ")
    if method == "kmeans":
        labels = yield from scaled(_kmeans(data, transform, number, seed), 0.2, 0.85, "Clusters: ")
    else:
        min_size = number or max(5, len(data) // 200)
        labels = yield from scaled(
            child_process_task(
                _hdbscan_labels,
                np.ascontiguousarray(transform(data), dtype=np.float64),
                min_size,
                message="HDBSCAN",
            ),
            0.2,
            0.85,
            "Clusters: ",
        )
        number = min_size
    keywords = {}
    if texts is not None and short_labels(texts) and repeated_labels(texts):
        yield Progress(0.9, "Clusters: naming by their most frequent labels")
        keywords = frequent_names(labels, texts)
    elif texts is not None and short_labels(texts):
        yield Progress(0.9, "Clusters: naming by their central members")
        keywords = central_names(data, transform, labels, texts)
    elif texts is not None:
        yield Progress(0.9, "Clusters: keywords (c-TF-IDF)")
        keywords = class_tfidf_keywords(texts, labels)
    params = {
        "spec": spec,
        "seed": seed,
        "space": space,
        "pca_dims": pca_dims if transform is not _identity else None,
        ("n_clusters" if method == "kmeans" else "min_cluster_size"): number,
    }
    return Clustering(labels=labels, method=method, params=params, keywords=keywords)


def naming_texts(corpus) -> np.ndarray | None:
    """The text clusters are named from: the corpus's texts, else its label column when that
    holds strings or whole numbers (a word column; a digit per row), else None (the clusters
    are numbered)."""
    if corpus.texts is not None:
        return corpus.texts
    labels = corpus.labels
    return labels if labels is not None and labels.dtype.kind in "OUiu" else None


def short_labels(texts, sample_rows: int = 2000) -> bool:
    """Whether the median of a regular sample of rows has at most SHORT_LABEL_WORDS words."""
    sample = texts[:: max(1, len(texts) // sample_rows)]
    words = [len(str(t).split()) for t in sample if t is not None and str(t).strip()]
    return bool(words) and float(np.median(words)) <= SHORT_LABEL_WORDS


def repeated_labels(texts, sample_rows: int = 20_000) -> bool:
    """Whether the labels repeat (a class per row, as in a digits set: at most half as many
    distinct values as rows in a regular sample), rather than name each row (a word)."""
    sample = texts[:: max(1, len(texts) // sample_rows)]
    return len({str(t) for t in sample}) <= len(sample) / 2


def frequent_names(
    labels: np.ndarray, texts, top_n: int = NAMES_PER_CLUSTER, min_share: float = MIN_SHARE
) -> dict[int, list[str]]:
    """Per cluster (noise excluded), its most frequent labels, most frequent first, those
    that hold at least ``min_share`` of its rows (and at least the first): a cluster of
    zeros is "0", one of twos and ones "2, 1"."""
    labels = np.asarray(labels)
    keys = np.array(["" if t is None else str(t) for t in texts], dtype=object)
    valid = (labels >= 0) & np.fromiter((k != "" for k in keys), bool, len(keys))
    if not valid.any():
        return {}
    values, key_index, _ = distinct_values(keys[valid])  # not np.unique: see there
    pair_ids, counts = np.unique(
        labels[valid].astype(np.int64) * len(values) + key_index.ravel(), return_counts=True
    )
    clusters, value_of = np.divmod(pair_ids, len(values))
    totals = np.bincount(labels[valid])
    names: dict[int, list[str]] = {}
    for c in np.unique(clusters):
        mine = np.flatnonzero(clusters == c)
        order = mine[np.argsort(-counts[mine], kind="stable")[:top_n]]
        share = counts[order] / totals[c]
        kept = order[(share >= min_share) | (np.arange(len(order)) == 0)]
        names[int(c)] = [str(values[v]) for v in value_of[kept]]
    return names


def central_names(
    data: np.ndarray, transform, labels: np.ndarray, texts, top_n: int = NAMES_PER_CLUSTER
) -> dict[int, list[str]]:
    """Per cluster (noise excluded), the distinct texts of the rows nearest its centroid in
    ``transform(data)``, nearest first. Two chunked passes; nothing of size N × D is held."""
    labels = np.asarray(labels)
    classes = np.unique(labels[labels >= 0])
    if not len(classes):
        return {}
    position = np.searchsorted(classes, labels)
    valid = labels >= 0
    sums = sum(
        _class_sums(
            transform(data[lo : lo + CHUNK_ROWS]),
            position[lo : lo + CHUNK_ROWS],
            valid[lo : lo + CHUNK_ROWS],
            len(classes),
        )
        for lo in range(0, len(data), CHUNK_ROWS)
    )
    centroids = sums / np.bincount(position[valid], minlength=len(classes))[:, None]
    distance = np.full(len(data), np.inf)
    for lo in range(0, len(data), CHUNK_ROWS):
        hi = lo + CHUNK_ROWS
        owner = np.where(valid[lo:hi], position[lo:hi], 0)
        gap = transform(data[lo:hi]) - centroids[owner]
        distance[lo:hi] = np.where(valid[lo:hi], np.einsum("ij,ij->i", gap, gap), np.inf)
    order = np.lexsort((distance, labels))
    sorted_labels = labels[order]
    starts = np.searchsorted(sorted_labels, classes, side="left")
    ends = np.searchsorted(sorted_labels, classes, side="right")
    return {
        int(c): _distinct_names(texts, order[lo : min(hi, lo + CENTRAL_CANDIDATES)], top_n)
        for c, lo, hi in zip(classes, starts, ends, strict=True)
    }


def _class_sums(block: np.ndarray, position: np.ndarray, valid: np.ndarray, n: int) -> np.ndarray:
    """(n, D) sums of the block's rows per class (a sparse one-hot product: no np.add.at)."""
    from scipy import sparse

    rows = np.flatnonzero(valid)
    onehot = sparse.csr_matrix((np.ones(len(rows)), (position[rows], rows)), shape=(n, len(block)))
    return np.asarray(onehot @ np.asarray(block, dtype=np.float64))


def _distinct_names(texts, rows: np.ndarray, top_n: int) -> list[str]:
    names: list[str] = []
    for row in rows:
        text = texts[row]
        name = "" if text is None else str(text).strip()
        if name and name not in names:
            names.append(name)
            if len(names) == top_n:
                break
    return names


def _identity(rows: np.ndarray) -> np.ndarray:
    return rows


def _pca_map(data: np.ndarray, dims: int) -> Task[Callable[[np.ndarray], np.ndarray]]:
    """PCA to ``dims`` dimensions (chunked, exact), for faster, less noisy clustering.

    Returns the map itself rather than the reduced copy: mini-batch k-means projects each
    batch as it goes, so at 1M rows no 0.2 GB copy of the reduced vectors is ever held. The
    map works in float32: clustering needs no more, and it halves the cost of each batch.
    """
    from embexplorer.core.analysis.projection import fit_pca_task

    mean, components, _ = yield from fit_pca_task(data, dims)
    mean, components = mean.astype(np.float32), components.astype(np.float32)
    return lambda rows: (np.asarray(rows, dtype=np.float32) - mean) @ components


def _kmeans(data: np.ndarray, transform, k: int, seed: int) -> Task[np.ndarray]:
    """Labels of k-means on ``transform(data)``; mini-batch beyond KMEANS_FULL_MAX rows."""
    from sklearn.cluster import KMeans, MiniBatchKMeans

    n = len(data)
    k = min(k, n)
    if n <= KMEANS_FULL_MAX:
        yield Progress(None, f"k-means, {k} clusters")
        model = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(transform(data))
        return model.labels_.astype(np.int64)
    model = MiniBatchKMeans(n_clusters=k, random_state=seed, batch_size=MINIBATCH, n_init=3)
    rng = np.random.default_rng(seed)
    epochs = int(np.clip(np.ceil(MINIBATCH_SAMPLES / n), 1, MINIBATCH_EPOCHS))
    steps = epochs * ((n + MINIBATCH - 1) // MINIBATCH)
    for epoch in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, MINIBATCH):
            model.partial_fit(transform(data[np.sort(order[start : start + MINIBATCH])]))
            done = epoch * (n // MINIBATCH + 1) + start // MINIBATCH + 1
            yield Progress(min(done / steps, 1.0), f"mini-batch k-means, epoch {epoch + 1}")
    labels = np.empty(n, dtype=np.int64)
    for start in range(0, n, 8 * MINIBATCH):
        labels[start : start + 8 * MINIBATCH] = model.predict(
            transform(data[start : start + 8 * MINIBATCH])
        )
    return labels


def _hdbscan_labels(features: np.ndarray, min_cluster_size: int) -> np.ndarray:
    from sklearn.cluster import HDBSCAN

    # the features are this child process's own copy: HDBSCAN may work in them (copy=False,
    # said outright: scikit-learn 1.9 warns that its default becomes True)
    model = HDBSCAN(min_cluster_size=min_cluster_size, copy=False)
    return model.fit_predict(features).astype(np.int64)
