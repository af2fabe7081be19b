"""Exact nearest neighbours in the original space, in blocks at BLAS speed.

Definitions (DESIGN.md): cosine distance = 1 − cos; ``dot`` ranks by −x·y (and shows −x·y);
Euclidean is the true L2 distance. A point is never its own neighbour.

How: queries are taken ``QUERY_BLOCK`` at a time and scored against ``CORPUS_BLOCK`` rows at a
time with one float32 matrix product (memory stays bounded whatever N is). The first block
seeds each query's best ``k + margin`` with one ``argpartition``; later blocks only compare
against the running worst of those and merge the few entries that beat it.

Where float32 decides: single queries (``ExactIndex``) and the Euclidean graph recompute their
survivors' distances in float64 and order by those (ties by row), so float32 rounding never
decides them. The cosine and dot graphs are ordered by their float32 scores (BLAS precision,
~1e-7): pairs closer than that may swap at the k-th place (1 and 3 lists of 100,000 differed
from a float64 reference, at gaps below 2.2e-7), a price kept for the graph's speed.

Ties: every selection of a row's best candidates (:func:`select_best`) orders them by score,
then by row number, so the graph does not depend on the order the blocks are met in: the Ray
engine (``embexplorer.engine.knn``) folds the same block pairs in another order and merges
their lists, and gets the same graph. Equal float32 scores also need the same BLAS: OpenBLAS
rounds a product differently with another number of threads (4 % of a 2048² block's scores
differ in the last bit between 1 and 2 threads here), so the engine runs each block with the
driver's thread count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from embexplorer.core.tasks import Progress, Task, chunk_ranges

METRICS = ("cosine", "euclidean", "dot")
#: Also accepted internally: "hamming", for the ±1 rows of 1-bit codes (variants.SignRows),
#: ranked by s·t = D − 2·Hamming and shown as the number of differing bits.
ALL_METRICS = (*METRICS, "hamming")
QUERY_BLOCK = 1024
CORPUS_BLOCK = 4096
#: Square blocks of the symmetric all-pairs search (fits the caches; measured fastest).
GRAPH_BLOCK = 2048
#: Extra candidates kept by the float32 ranking and re-ranked exactly in float64.
CANDIDATE_MARGIN = 8
#: Columns an empty best list is first filled from; the rest of the block is compared with
#: the worst kept (selecting from a whole 2048-wide block costs ~10× more).
FILL_COLUMNS = 256
#: The most columns of a whole kNN graph, and the largest k for one inspected point. The
#: analysis lets users choose k ≤ 100 (pipeline.MAX_K) and keeps up to k + 50 candidates for
#: hubness reduction (stages.candidate_count), so the graph must allow 150.
MAX_GRAPH_K, MAX_QUERY_K = 150, 1000


@dataclass(frozen=True, eq=False)
class Neighbors:
    """``indices[i]`` are the rows nearest to query i, nearest first; ``distances`` alike.

    ``method`` is "exact" or the approximate index used; ``recall`` its measured recall@k on a
    sample of exact queries (None when exact).
    """

    indices: np.ndarray
    distances: np.ndarray
    metric: str
    method: str = "exact"
    recall: float | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def k(self) -> int:
        return int(self.indices.shape[1])


def check_metric(metric: str) -> None:
    if metric not in ALL_METRICS:
        raise ValueError(f"Unknown metric {metric!r}; choose one of {', '.join(METRICS)}.")


class Scorer:
    """Float32 similarity of query blocks to corpus blocks; larger is nearer."""

    def __init__(self, vectors: np.ndarray, metric: str, column_term: np.ndarray | None = None):
        check_metric(metric)
        self.vectors, self.metric = vectors, metric
        self.column_term = column_term
        if column_term is None and metric not in ("dot", "hamming"):
            self.column_term = score_term(_squared_norms(vectors), metric)

    def prepare(self, queries: np.ndarray) -> np.ndarray:
        q = np.asarray(queries, dtype=np.float32)
        if self.metric == "cosine":
            norms = np.linalg.norm(q, axis=1, keepdims=True)
            return q / np.where(norms > 0, norms, 1.0)
        return 2.0 * q if self.metric == "euclidean" else q

    def pair_scores(self, lo_i: int, hi_i: int, lo_j: int, hi_j: int):
        """Scores of rows i against rows j, and of rows j against rows i (as an i × j block).

        One product X_i·X_jᵀ serves both; for cosine and dot the two sides are the same array.
        """
        x_i, x_j = self.rows(lo_i, hi_i), self.rows(lo_j, hi_j)
        if self.metric == "cosine":  # normalise the two small blocks, not the product
            a = x_i * self.terms(lo_i, hi_i)[:, None]
            b = a if lo_i == lo_j else x_j * self.terms(lo_j, hi_j)[:, None]
            g = a @ b.T
            return g, g
        g = x_i @ x_j.T
        if self.metric in ("dot", "hamming"):
            return g, g
        rows_side = 2.0 * g + self.terms(lo_j, hi_j)[None, :]
        g *= 2.0
        g += self.terms(lo_i, hi_i)[:, None]
        return rows_side, g

    def rows(self, lo: int, hi: int) -> np.ndarray:
        """Vectors of rows lo:hi (a Ray task's scorer holds only its two blocks)."""
        return self.vectors[lo:hi]

    def terms(self, lo: int, hi: int) -> np.ndarray:
        return self.column_term[lo:hi]

    def scores(self, prepared: np.ndarray, lo: int, hi: int) -> np.ndarray:
        s = prepared @ self.vectors[lo:hi].T
        if self.metric == "cosine":
            s *= self.column_term[lo:hi]
        elif self.metric == "euclidean":
            s += self.column_term[lo:hi]
        return s


def score_term(squared_norms: np.ndarray, metric: str) -> np.ndarray | None:
    """What turns a product of rows into a score, per row: 1/‖x‖ (cosine), −‖x‖² (Euclidean:
    ‖q − c‖² = ‖q‖² − 2q·c + ‖c‖², ranked by 2q·c − ‖c‖²), nothing (dot); float32."""
    if metric == "cosine":
        sq = squared_norms
        return (1.0 / np.sqrt(np.where(sq > 0, sq, 1.0))).astype(np.float32)
    if metric == "euclidean":
        return (-squared_norms).astype(np.float32)
    return None


def _squared_norms(vectors: np.ndarray, chunk: int = 8192) -> np.ndarray:
    out = np.empty(len(vectors), dtype=np.float64)
    for lo, hi in chunk_ranges(len(vectors), chunk):
        block = vectors[lo:hi].astype(np.float64)
        out[lo:hi] = np.einsum("ij,ij->i", block, block)
    return out


def _top_candidates(
    scorer: Scorer, prepared: np.ndarray, self_rows: np.ndarray | None, keep: int
) -> np.ndarray:
    """Rows of the ``keep`` highest scores per query (unordered; -1 where fewer exist)."""
    n, m = len(scorer.vectors), len(prepared)
    best_s = np.full((m, keep), -np.inf, dtype=np.float32)
    best_i = np.full((m, keep), -1, dtype=np.intp)
    worst = np.full(m, -np.inf, dtype=np.float32)
    for lo, hi in chunk_ranges(n, CORPUS_BLOCK):
        s = scorer.scores(prepared, lo, hi)
        if self_rows is not None:
            inside = np.flatnonzero((self_rows >= lo) & (self_rows < hi))
            s[inside, self_rows[inside] - lo] = -np.inf
        if np.isneginf(worst).any():  # not full yet: merge the whole block
            all_s = np.concatenate([best_s, s], axis=1)
            all_i = np.concatenate([best_i, np.broadcast_to(np.arange(lo, hi), s.shape)], axis=1)
            part = np.argpartition(all_s, all_s.shape[1] - keep, axis=1)[:, -keep:]
            best_s = np.take_along_axis(all_s, part, axis=1)
            best_i = np.take_along_axis(all_i, part, axis=1)
        else:
            rows, cols = np.nonzero(s > worst[:, None])
            if not len(rows):
                continue
            _merge(best_s, best_i, rows, s[rows, cols], cols + lo, keep)
        worst = best_s.min(axis=1)
    return best_i


def _merge(best_s, best_i, rows, cand_s, cand_i, keep) -> None:
    """In place: fold candidates into each row's best ``keep`` (``rows`` ascending).

    Each touched row gets its current best plus its candidates in one padded row of a small
    matrix; one ``argpartition`` picks the new best. No sorting.
    """
    bounds = np.flatnonzero(np.diff(rows)) + 1
    starts = np.concatenate([[0], bounds])
    counts = np.diff(np.concatenate([starts, [len(rows)]]))
    touched = rows[starts]
    width = keep + int(counts.max())
    pad_s = np.full((len(touched), width), -np.inf, dtype=np.float32)
    pad_i = np.full((len(touched), width), -1, dtype=np.intp)
    pad_s[:, :keep] = best_s[touched]
    pad_i[:, :keep] = best_i[touched]
    which = np.repeat(np.arange(len(touched)), counts)
    slot = np.arange(len(rows)) - np.repeat(starts, counts) + keep
    pad_s[which, slot] = cand_s
    pad_i[which, slot] = cand_i
    best_s[touched], best_i[touched] = select_best(pad_s, pad_i, keep)


def select_best(scores: np.ndarray, rows: np.ndarray, keep: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the ``keep`` highest scores and their rows (unordered): the highest scores,
    and among equal scores at the cut the lowest row numbers, so the choice is the same
    whatever order the candidates come in.

    One ``argpartition`` picks them; only the rows where a tie straddles the cut (some equal
    scores kept, some not: duplicated vectors) are redone with a sort by (score, row).
    """
    width = scores.shape[1]
    if width <= keep:
        return scores.copy(), rows.copy()
    part = np.argpartition(scores, width - keep, axis=1)[:, -keep:]
    best_s = np.take_along_axis(scores, part, axis=1)
    best_i = np.take_along_axis(rows, part, axis=1)
    cut = best_s.min(axis=1)[:, None]
    straddles = np.flatnonzero((scores == cut).sum(axis=1) > (best_s == cut).sum(axis=1))
    if len(straddles):
        s, r = scores[straddles], rows[straddles]
        order = np.lexsort((r, -s), axis=1)[:, :keep]
        best_s[straddles] = np.take_along_axis(s, order, axis=1)
        best_i[straddles] = np.take_along_axis(r, order, axis=1)
    return best_s, best_i


def exact_distances(
    vectors: np.ndarray, queries: np.ndarray, rows: np.ndarray, metric: str
) -> np.ndarray:
    """Float64 distances from each query i to ``vectors[rows[i]]``, as shown to users.

    Entries where ``rows`` is -1 (no candidate) are +inf. Works 64 queries at a time, so the
    gathered float64 vectors stay small (~8 MB at 40 candidates × 384 dims).
    """
    out = np.empty(rows.shape, dtype=np.float64)
    for lo, hi in chunk_ranges(len(rows), 64):
        out[lo:hi] = _exact_block(vectors, queries[lo:hi], rows[lo:hi], metric)
    return out


def _exact_block(vectors, queries, rows, metric) -> np.ndarray:
    valid = rows >= 0
    q = np.asarray(queries, dtype=np.float64)[:, None, :]
    v = vectors[np.where(valid, rows, 0)].astype(np.float64)
    if metric == "euclidean":
        d = np.sqrt(((v - q) ** 2).sum(axis=2))
    else:
        dots = np.einsum("ikd,ijd->ik", v, q)
        if metric == "dot":
            d = -dots
        elif metric == "hamming":  # ±1 rows: s·t = D − 2·Hamming
            d = (v.shape[2] - dots) / 2.0
        else:
            norms = np.sqrt(np.einsum("ikd,ikd->ik", v, v)) * np.linalg.norm(q, axis=2)
            d = 1.0 - dots / np.where(norms > 0, norms, 1.0)
    return np.where(valid, d, np.inf)


def distances_to(
    targets: np.ndarray, metric: str, dtype: type = np.float64
) -> Callable[[np.ndarray], np.ndarray]:
    """``f(rows)``: the distances (DESIGN.md) of ``rows`` to every one of ``targets``, in
    ``dtype`` (float64; float32 for passes over every pair, one BLAS product at twice the
    speed, whose float64 work is limited to the pairs that matter).

    For many blocks of rows against the same targets (a sample, a bank of queries): the
    targets are converted (and for cosine normalised) once, and each block's distances are
    formed in place in its one product, so a call holds ~1 block-sized array, not ~6.
    """
    check_metric(metric)
    t = np.array(targets, dtype=dtype)
    t_sq = _normalised_in_place(t, metric)

    def distances(rows: np.ndarray) -> np.ndarray:
        a = np.array(rows, dtype=dtype)
        a_sq = _normalised_in_place(a, metric)
        d = a @ t.T
        if metric == "dot":
            return np.negative(d, out=d)
        if metric == "hamming":  # ±1 rows: s·t = D − 2·Hamming
            return np.multiply(np.subtract(t.shape[1], d, out=d), 0.5, out=d)
        if metric == "cosine":
            return np.subtract(1.0, d, out=d)
        d *= -2.0
        d += a_sq[:, None]
        d += t_sq[None, :]
        return np.sqrt(np.maximum(d, 0.0, out=d), out=d)

    return distances


def _normalised_in_place(x: np.ndarray, metric: str) -> np.ndarray:
    """Squared row norms of ``x``; for cosine, ``x``'s rows are scaled to unit length."""
    sq = np.einsum("ij,ij->i", x, x)
    if metric == "cosine":
        x /= np.where(sq > 0, np.sqrt(sq), 1.0)[:, None]
    return sq


def _finish(vectors, queries, candidates, k, metric) -> tuple[np.ndarray, np.ndarray]:
    d = exact_distances(vectors, queries, candidates, metric)
    order = np.lexsort((candidates, d), axis=1)[:, :k]  # by distance, ties by row
    return np.take_along_axis(candidates, order, 1), np.take_along_axis(d, order, 1)


def _check_k(k: int, n: int, limit: int, exclude_self: bool) -> int:
    if not 1 <= k <= limit:
        raise ValueError(f"k must be between 1 and {limit}; got {k}.")
    available = n - (1 if exclude_self else 0)
    if available < 1:
        raise ValueError("There are not enough rows to have neighbours.")
    return min(k, available)


def knn_graph_task(vectors: np.ndarray, k: int, metric: str = "cosine") -> Task[Neighbors]:
    """The exact k nearest neighbours of every row (itself excluded), blocked, with progress.

    The Gram matrix X·Xᵀ is symmetric, so each block pair (i, j ≥ i) is computed once and feeds
    the lists of both row blocks: half the matrix products of a one-sided search.
    """
    n = len(vectors)
    k = _check_k(k, n, MAX_GRAPH_K, exclude_self=True)
    check_metric(metric)
    keep = min(k + (CANDIDATE_MARGIN if metric == "euclidean" else 0), n - 1)
    scorer = Scorer(vectors, metric)
    best_s = np.full((n, keep), -np.inf, dtype=np.float32)
    best_i = np.full((n, keep), -1, dtype=np.intp)
    indices = np.empty((n, k), dtype=np.intp)
    distances = np.empty((n, k), dtype=np.float32)
    blocks = chunk_ranges(n, GRAPH_BLOCK)
    total_pairs, done_pairs = len(blocks) * (len(blocks) + 1) // 2, 0
    yield Progress(0.0, f"Exact {k}-NN of {n:,} rows ({metric})")
    for bi, (lo_i, hi_i) in enumerate(blocks):
        for lo_j, hi_j in blocks[bi:]:
            fold_pair(scorer, (lo_i, hi_i), (lo_j, hi_j), best_s, best_i, best_s, best_i)
        # block bi has now met every other block: finish its rows
        done_pairs += len(blocks) - bi
        idx, d = _finish_block(vectors, lo_i, hi_i, best_s, best_i, k, metric)
        indices[lo_i:hi_i], distances[lo_i:hi_i] = idx, d
        yield Progress(done_pairs / total_pairs, f"Exact {k}-NN: {hi_i:,} of {n:,} rows")
    return Neighbors(indices, distances, metric)


def fold_pair(
    scorer: Scorer,
    rows: tuple[int, int],
    cols: tuple[int, int],
    rows_s: np.ndarray,
    rows_i: np.ndarray,
    cols_s: np.ndarray,
    cols_i: np.ndarray,
    origin: tuple[int, int] = (0, 0),
) -> None:
    """In place: one block pair of the symmetric product, folded both ways: rows ``rows``
    (lo, hi) meet rows ``cols``; the first side's candidates go into ``rows_s``/``rows_i``, the
    other's into ``cols_s``/``cols_i`` (the same arrays when they hold every row). ``origin``:
    the global rows of those arrays' first rows (a Ray task holds only its two blocks' lists).

    Each side must meet the other blocks in ascending order (the fast path of :func:`_fold`
    drops a candidate that only equals the worst kept, which is right only if it comes later).
    """
    (lo_i, hi_i), (lo_j, hi_j) = rows, cols
    rows_side, cols_side = scorer.pair_scores(lo_i, hi_i, lo_j, hi_j)
    if lo_i == lo_j:
        np.fill_diagonal(rows_side, -np.inf)
    a, b = lo_i - origin[0], hi_i - origin[0]
    _fold(rows_s[a:b], rows_i[a:b], rows_side, lo_j, axis=1)
    if lo_i != lo_j:
        a, b = lo_j - origin[1], hi_j - origin[1]
        _fold(cols_s[a:b], cols_i[a:b], cols_side, lo_i, axis=0)


def finish_rows(vectors, lo, hi, best_s, best_i, k, metric):
    """(indices, distances) of rows lo:hi, nearest first, from their best candidates."""
    return _finish_block(vectors, lo, hi, best_s, best_i, k, metric)


def _finish_block(vectors, lo, hi, best_s, best_i, k, metric):
    """Final order and distances of rows lo:hi. Cosine and dot: from the float32 scores (BLAS
    precision, ~1e-6). Euclidean: recomputed in float64, since ‖q‖² − 2q·c + ‖c‖² cancels badly
    for near neighbours."""
    candidates = best_i[lo:hi]
    if metric == "euclidean":
        return _finish(vectors, vectors[lo:hi], candidates, k, metric)
    scores = best_s[lo:hi].astype(np.float64)
    d = 1.0 - scores if metric == "cosine" else -scores
    if metric == "hamming":
        d = (vectors.shape[1] - scores) / 2.0
    d = np.where(candidates >= 0, d, np.inf)
    order = np.lexsort((candidates, d), axis=1)[:, :k]
    return np.take_along_axis(candidates, order, 1), np.take_along_axis(d, order, 1)


def _fold(best_s: np.ndarray, best_i: np.ndarray, s: np.ndarray, offset: int, axis: int) -> None:
    """In place: fold a score block into the best lists of its queries.

    ``axis=1``: queries are the rows of ``s``; ``axis=0``: queries are its columns (the
    transposed side of a symmetric block, used without copying the transpose).
    """
    keep = best_s.shape[1]
    worst = best_s.min(axis=1)
    if np.isneginf(worst).any():  # lists not full yet: take the best of the first columns
        s_q = s if axis == 1 else s.T
        head = min(s_q.shape[1], max(FILL_COLUMNS, 2 * keep + 1))
        columns = np.broadcast_to(np.arange(offset, offset + head), (len(s_q), head))
        cand_s, cand_i = select_best(s_q[:, :head], columns, keep)
        q_rows = np.repeat(np.arange(len(best_s)), cand_s.shape[1])
        _merge(best_s, best_i, q_rows, cand_s.ravel(), cand_i.ravel(), keep)
        if head < s_q.shape[1]:  # the rest against the lists' new worst: few pass it
            rest = s[:, head:] if axis == 1 else s[head:]
            _fold(best_s, best_i, rest, offset + head, axis)
        return
    hits = s > (worst[:, None] if axis == 1 else worst[None, :])
    flat = np.flatnonzero(hits)
    if not len(flat):
        return
    r, c = np.divmod(flat, s.shape[1])
    values = s.ravel()[flat] if s.flags.c_contiguous else s[r, c]
    q_rows, cand = (r, c) if axis == 1 else (c, r)
    order = np.argsort(q_rows, kind="stable") if axis == 0 else slice(None)
    _merge(best_s, best_i, q_rows[order], values[order], cand[order] + offset, keep)


class ExactIndex:
    """Exact search for a few queries at a time (an inspected point, a typed query).

    Building it computes every row's norm once; each query then costs one pass of BLAS over
    the vectors. ``exclude[i]`` (optional) is a row never returned for query i.
    """

    def __init__(self, vectors: np.ndarray, metric: str = "cosine"):
        self.vectors, self.metric = vectors, metric
        self._scorer = Scorer(vectors, metric)

    def query(self, queries: np.ndarray, k: int, exclude: np.ndarray | None = None) -> Neighbors:
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        n = len(self.vectors)
        k = _check_k(k, n, MAX_QUERY_K, exclude_self=exclude is not None)
        keep = min(k + CANDIDATE_MARGIN, n - (1 if exclude is not None else 0))
        self_rows = None if exclude is None else np.asarray(exclude, dtype=np.intp)
        prepared = self._scorer.prepare(queries)
        candidates = _top_candidates(self._scorer, prepared, self_rows, keep)
        indices, distances = _finish(self.vectors, queries, candidates, k, self.metric)
        return Neighbors(indices, distances.astype(np.float32), self.metric)


def query_neighbors(
    vectors: np.ndarray,
    queries: np.ndarray,
    k: int,
    metric: str = "cosine",
    exclude: np.ndarray | None = None,
) -> Neighbors:
    """Exact k nearest rows for a few queries (k up to ``MAX_QUERY_K``); see ExactIndex."""
    return ExactIndex(vectors, metric).query(queries, k, exclude)
