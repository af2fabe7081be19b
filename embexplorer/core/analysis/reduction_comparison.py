"""Does a hubness reduction help? Every method side by side, with k-NN accuracy when labelled.

For each method (and the raw lists) the table gives the skewness of N_k, the antihubs and hubs,
and, when the corpus has a label column, the k-NN classification accuracy: each labelled row's
label predicted by a majority vote of its k neighbours' labels, the row itself left out (its
lists never hold it), as the comparison studies of hubness reduction measure it (Feldbauer &
Flexer, 2019). A tie goes to the smallest label (scikit-learn's rule); unlabelled rows
(empty, None or NaN) are not scored and do not vote.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from embexplorer.core.analysis.hubness import hubness
from embexplorer.core.categories import distinct_values
from embexplorer.core.tasks import Progress, Task, chunk_ranges, scaled

#: (method, variant) rows of the table, after the raw lists.
TABLE_METHODS: tuple[tuple[str, str | None], ...] = (
    ("mp", "gaussian"),
    ("mp", "empirical"),
    ("csls", None),
    ("ls", "standard"),
    ("ls", "nicdm"),
    ("dsl", None),
    ("isoftmax", None),
)


def encode_labels(values: Any) -> tuple[np.ndarray, list[str]]:
    """(codes, classes): codes index the sorted classes; -1 where a row has no label.

    Vectorised over the rows: the per-value test runs once per distinct value (a Python
    loop over 200,000 rows took 0.44 s, on the GUI thread when the summary is drawn). The
    last result is kept for the same array (the summary asks up to three times)."""
    cached = _ENCODED.get("last")
    if cached is not None and cached[0] is values:
        return cached[1]
    raw = np.asarray(values, dtype=object)
    if not len(raw):
        return np.empty(0, dtype=np.int64), []
    keys = np.empty(len(raw), dtype=object)
    keys[:] = [str(v) for v in raw]
    _, inverse, _ = distinct_values(keys)  # not np.unique: see there
    first = np.full(inverse.max() + 1, len(raw), dtype=np.int64)
    np.minimum.at(first, inverse, np.arange(len(raw)))  # the first row of each value
    missing = np.array([_missing(raw[i]) for i in first], dtype=bool)
    texts = [str(raw[i]) for i in first]
    classes = sorted({t for t, gone in zip(texts, missing, strict=True) if not gone})
    lookup = {c: i for i, c in enumerate(classes)}
    per_unique = np.array(
        [-1 if gone else lookup[t] for t, gone in zip(texts, missing, strict=True)],
        dtype=np.int64,
    )
    result = (per_unique[inverse], classes)
    _ENCODED["last"] = (values, result)
    return result


#: the last encode_labels call: (its values, its result)
_ENCODED: dict[str, tuple] = {}


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(np.isnan(value))
    except (TypeError, ValueError):
        return str(value).strip() == ""


#: The last accuracies computed: (key, weak references to the arrays whose memory the key
#: names, accuracy). An entry counts only while those arrays live (an address may be reused
#: after), and holds no memory (the comparison of reductions computes one per method).
_ACCURACIES: list[tuple[tuple, tuple, float | None]] = []
_KEPT_ACCURACIES = 16


def _owner(array: np.ndarray) -> np.ndarray:
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def knn_accuracy(indices: np.ndarray, codes: np.ndarray) -> float | None:
    """Leave-one-out majority-vote accuracy of neighbour lists ``indices`` (rows, k); ties go
    to the smallest label. The last few are kept: the analysis computes it on the worker, and
    the summary drawn on the GUI thread then finds it (200,000 rows: ~25 ms a list, twice a
    summary, which was drawn up to four times an analysis)."""
    key = (
        indices.__array_interface__["data"][0],
        indices.shape,
        indices.strides,
        codes.__array_interface__["data"][0],
        codes.shape,
    )
    owners = (_owner(indices), _owner(codes))
    for known, refs, accuracy in list(_ACCURACIES):
        if known == key and all(r() is o for r, o in zip(refs, owners, strict=True)):
            return accuracy
    accuracy = _knn_accuracy(indices, codes)
    _ACCURACIES.append((key, tuple(weakref.ref(o) for o in owners), accuracy))
    del _ACCURACIES[:-_KEPT_ACCURACIES]
    return accuracy


def _knn_accuracy(indices: np.ndarray, codes: np.ndarray) -> float | None:
    labelled = codes >= 0
    if not labelled.any():
        return None
    n_classes = int(codes.max()) + 1
    correct = 0
    for lo, hi in chunk_ranges(len(indices), 16384):
        votes = np.where(indices[lo:hi] >= 0, codes[np.maximum(indices[lo:hi], 0)], -1)
        # each row's votes per label (column 0: no vote), one bincount over the block
        key = (np.arange(hi - lo) * (n_classes + 1))[:, None] + (votes + 1)
        counts = np.bincount(key.ravel(), minlength=(hi - lo) * (n_classes + 1))
        counts = counts.reshape(hi - lo, n_classes + 1)
        predicted = counts[:, 1:].argmax(axis=1)  # the first (smallest) label among ties
        voted = counts[:, 1:].any(axis=1)
        mine = labelled[lo:hi]
        correct += int((mine & voted & (predicted == codes[lo:hi])).sum())
    return correct / int(labelled.sum())


@dataclass(frozen=True, eq=False)
class ReductionTable:
    """One row per method: method, variant, skewness, n_antihubs, n_hubs, accuracy (or None),
    exact, candidates, overlap, seconds."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    label_column: str | None = None

    def best_by_accuracy(self) -> dict[str, Any] | None:
        scored = [r for r in self.rows if r.get("accuracy") is not None]
        return max(scored, key=lambda r: r["accuracy"]) if scored else None


def table_row(method: str, variant: str | None, indices, n, codes, **extra) -> dict[str, Any]:
    hub = hubness(indices, n)
    return {
        "method": method,
        "variant": variant,
        "skewness": hub.skewness,
        "n_antihubs": int(hub.antihubs.sum()),
        "n_hubs": int(hub.hubs.sum()),
        "accuracy": None if codes is None else knn_accuracy(indices, codes),
        **extra,
    }


def reduction_table_task(
    vectors: Any,
    knn: Any,
    k: int,
    labels: Any = None,
    label_column: str | None = None,
    *,
    seed: int = 0,
    bank: np.ndarray | None = None,
    search: str = "auto",
) -> Task[ReductionTable]:
    """The table for the kNN graph ``knn`` (its first k columns are the raw lists)."""
    import time

    from embexplorer.core.analysis.hub_reduction import NEEDS_DISTANCE, reduce_hubness_task

    n = len(vectors)
    codes = None if labels is None else encode_labels(labels)[0]
    rows = [table_row("none", None, knn.indices[:, :k], n, codes, exact=True)]
    methods = [
        (m, v) for m, v in TABLE_METHODS if not (m in NEEDS_DISTANCE and knn.metric == "dot")
    ]
    for i, (method, variant) in enumerate(methods):
        start = time.perf_counter()
        task = reduce_hubness_task(
            vectors, knn, k, method, variant=variant, seed=seed, bank=bank, search=search
        )
        reduced = yield from scaled(task, i / len(methods), (i + 1) / len(methods))
        p = reduced.params
        extra = {
            "exact": p["exact"],
            "candidates": p["candidates"],
            "overlap": p["overlap"],
            "beta": p.get("beta"),
            "seconds": round(time.perf_counter() - start, 3),
        }
        rows.append(table_row(method, variant, reduced.indices, n, codes, **extra))
    yield Progress(1.0, "Hubness reductions compared")
    return ReductionTable(rows, label_column if codes is not None else None)
