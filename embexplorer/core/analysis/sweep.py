"""The exact kNN graphs of a stability sweep's variants in one pass over the products.

A sweep asks for the exact graph of the full-precision vectors, of every truncation
``truncate:D`` (the first D dimensions) and of the ``int8`` copy. Searched one by one, each
costs a matrix product of its own (together more than three full-precision searches) and a
fold of every score into the running top k. Instead:

- **One pass of products serves every truncation and the full precision.** The product of two
  row blocks over the first D dimensions is the product over the first D′ < D plus the product
  over D′…D; the pass adds the segments up one after the other and, at each D of the sweep,
  folds that truncation's scores (cosine: scaled by its own prefix norms). BLAS adds each
  segment into the product itself (``sgemm``, β = 1); blocks of ``SWEEP_BLOCK`` rows keep the
  accumulated product in the caches.
- **int8 without products of its own** (cosine): a de-quantised row x̂ lies within angle θ_x of
  its row x (θ computed per row), so cos(x̂, ŷ) > w implies cos(x, y) > w − θ_x − θ_y (the
  triangle inequality of angles; cos is 1-Lipschitz in the angle). Only the pairs whose
  full-precision cosine passes that test (each pair's own θ_x + θ_y) against the int8 list's
  running k-th best are scored
  in the int8 space; no other pair can enter the list. For dot and Euclidean the int8 graph is
  searched on its own (``knn_graph_task``).

Every list equals the variant's own exact search (``knn_graph_task`` on the variant's rows);
the tests check it against scikit-learn's brute force. The seconds given for a variant are its
share of the pass: the products of its own dimensions and its own fold (int8: all the
products, as its own search would need, and its own scoring).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from embexplorer.core.analysis.neighbors import (
    CANDIDATE_MARGIN,
    Neighbors,
    _finish_block,
    _fold,
    _merge,
    _normalised_in_place,
    score_term,
)
from embexplorer.core.embedding.variants import Int8Codes
from embexplorer.core.tasks import Progress, Task, chunk_ranges

#: Square blocks of the pass: the accumulated 1024² float32 product (4 MB) stays in the caches
#: while each segment is added (measured: 2048-row blocks make the thin products much slower).
SWEEP_BLOCK = 1024
#: Added to the int8 test's bound: float32 products and norms are off by a few ulps.
FLOAT32_SLACK = 1e-4
#: Above this largest angle between a row and its int8 row (a zero vector has θ = π), the int8
#: test adds each pair's own angles (one more pass over the block) rather than the largest.
MAX_SHARED_THETA = 0.05
FULL = "float32"
#: Up to this many rows the folds stay in numpy: loading the compiled filter (numba) costs more
#: than it saves on a small corpus.
NUMPY_MAX_ROWS = 5000
#: Hits one call of the compiled filter records per side (more: the block is folded by numpy).
HITS_CAPACITY = 1 << 16


@dataclass
class _Lists:
    """One variant's running best ``keep`` per row, and the seconds spent on it."""

    best_s: np.ndarray
    best_i: np.ndarray
    seconds: float = 0.0

    @classmethod
    def empty(cls, n: int, keep: int) -> _Lists:
        return cls(np.full((n, keep), -np.inf, np.float32), np.full((n, keep), -1, np.intp))


def sweep_graphs_task(
    vectors: np.ndarray,
    dims: Sequence[int],
    k: int,
    metric: str,
    int8: Int8Codes | None = None,
) -> Task[dict[str, tuple[Neighbors, float]]]:
    """The exact k-NN graphs of the vectors (``"float32"``), of ``truncate:D`` for each D below
    their width, and of ``int8`` (when given and the metric is cosine), in one pass.

    Returns ``{name: (graph, seconds)}``, names as ``str(VariantSpec)``.
    """
    n, full = vectors.shape
    dims = sorted({int(d) for d in dims if 1 <= d < full})
    with_int8 = int8 is not None and metric == "cosine"
    k = min(k, n - 1)
    keep = min(k + (CANDIDATE_MARGIN if metric == "euclidean" else 0), n - 1)
    bounds = [*dims, full]
    names = {**{d: f"truncate:{d}" for d in dims}, full: FULL}

    yield Progress(0.0, f"Sweep of {len(bounds) + with_int8} variants: norms")
    started = time.perf_counter()
    prefix_sq = _prefix_squared_norms(vectors, bounds)
    terms = {d: score_term(prefix_sq[:, b], metric) for b, d in enumerate(bounds)}
    del prefix_sq
    lists = {name: _Lists.empty(n, keep) for name in names.values()}
    folder = _Folder(metric, n)
    if with_int8:
        unit8 = _Int8Filter(int8, vectors, terms[full])
        lists["int8"] = _Lists.empty(n, keep)
    setup = (time.perf_counter() - started) / len(lists)
    for state in lists.values():
        state.seconds += setup

    indices = {name: np.empty((n, k), np.intp) for name in lists}
    distances = {name: np.empty((n, k), np.float32) for name in lists}
    blocks = chunk_ranges(n, SWEEP_BLOCK)
    total, done = len(blocks) * (len(blocks) + 1) // 2, 0
    segments = list(zip([0, *bounds[:-1]], bounds, strict=True))
    products = _SegmentProducts(segments)
    for bi, (lo_i, hi_i) in enumerate(blocks):
        if with_int8:
            unit8.start_row_block(lo_i, hi_i)
        products.start_row_block(vectors[lo_i:hi_i])
        for lo_j, hi_j in blocks[bi:]:
            pair = (lo_i, hi_i, lo_j, hi_j)
            product_s = 0.0
            for stop, product, seconds in products.pair(vectors[lo_j:hi_j]):
                product_s += seconds
                t0 = time.perf_counter()
                state = lists[names[stop]]
                folder.fold(state, product, terms[stop], pair)
                state.seconds += product_s + time.perf_counter() - t0
            if with_int8:  # the product now holds the full-precision dot products
                t0 = time.perf_counter()
                unit8.fold(lists["int8"], product, terms[full], pair, folder)
                lists["int8"].seconds += product_s + time.perf_counter() - t0
        done += len(blocks) - bi
        for name, state in lists.items():  # block bi has met every other block: finish its rows
            t0 = time.perf_counter()
            d = full if name in (FULL, "int8") else int(name.split(":")[1])
            rows = unit8.rows if name == "int8" else vectors[:, :d]
            idx, dist = _finish_block(rows, lo_i, hi_i, state.best_s, state.best_i, k, metric)
            indices[name][lo_i:hi_i], distances[name][lo_i:hi_i] = idx, dist
            state.seconds += time.perf_counter() - t0
        yield Progress(done / total, f"Sweep of {len(lists)} variants: {hi_i:,} of {n:,} rows")

    return {
        name: (Neighbors(indices[name], distances[name], metric), state.seconds)
        for name, state in lists.items()
    }


class _SegmentProducts:
    """The products of two row blocks over the first D dimensions, for each D of the sweep in
    turn, added up segment after segment by BLAS itself (``sgemm`` with β = 1 into one buffer:
    measured, numpy's ``product += a @ b.T`` moved three times the product through memory per
    segment and made the thin products half again as slow as one full product)."""

    def __init__(self, segments: Sequence[tuple[int, int]]):
        from scipy.linalg.blas import sgemm

        self.sgemm, self.segments = sgemm, segments
        self.buffers: dict[tuple[int, int], np.ndarray] = {}
        self.row_parts: list[np.ndarray] = []

    def start_row_block(self, rows: np.ndarray) -> None:
        # each segment of the row block as a contiguous (seg, m) Fortran array, once per block
        self.row_parts = [np.ascontiguousarray(rows[:, a:b]).T for a, b in self.segments]

    def pair(self, cols: np.ndarray):
        """Yield (D, product (m, p) C-ordered, seconds) for each segment's end D."""
        m, p = self.row_parts[0].shape[1], len(cols)
        product = self.buffers.get((m, p))
        if product is None:
            product = self.buffers[(m, p)] = np.empty((m, p), dtype=np.float32)
        parts = zip(self.segments, self.row_parts, strict=True)
        for first, ((start, stop), rows_t) in enumerate(parts):
            t0 = time.perf_counter()
            cols_t = np.ascontiguousarray(cols[:, start:stop]).T
            # productᵀ (p, m), Fortran-ordered = the C-ordered product: cols · rowsᵀ
            self.sgemm(
                1.0, cols_t, rows_t, trans_a=1, beta=0.0 if first == 0 else 1.0,
                c=product.T, overwrite_c=1,
            )  # fmt: skip
            yield stop, product, time.perf_counter() - t0


# -- per-dimension terms and first guesses ------------------------------------------------------
def _prefix_squared_norms(vectors: np.ndarray, bounds: Sequence[int]) -> np.ndarray:
    """‖x[:D]‖² of every row for every D in ``bounds``: (n, len(bounds)) float64."""
    out = np.empty((len(vectors), len(bounds)), dtype=np.float64)
    starts = [0, *bounds[:-1]]
    for lo, hi in chunk_ranges(len(vectors), 8192):
        block = vectors[lo:hi, : bounds[-1]].astype(np.float64)
        out[lo:hi] = np.cumsum(np.add.reduceat(block * block, starts, axis=1), axis=1)
    return out


def _scores(product, metric, term, pair) -> tuple[np.ndarray, np.ndarray]:
    """Rows i's scores against rows j and rows j's against rows i (both i × j), in new arrays
    (the product goes on accumulating); self pairs are −inf."""
    lo_i, hi_i, lo_j, hi_j = pair
    if metric == "cosine":
        rows_side = product * term[lo_i:hi_i, None]
        rows_side *= term[None, lo_j:hi_j]
        cols_side = rows_side
    elif metric == "euclidean":
        rows_side = 2.0 * product + term[None, lo_j:hi_j]
        cols_side = 2.0 * product + term[lo_i:hi_i, None]
    else:
        rows_side = cols_side = product.copy()
    if lo_i == lo_j:
        np.fill_diagonal(rows_side, -np.inf)
        np.fill_diagonal(cols_side, -np.inf)
    return rows_side, cols_side


def _fold_pair(state: _Lists, rows_side, cols_side, pair) -> None:
    """Fold the block into the lists of rows i and (off the diagonal) of rows j."""
    lo_i, hi_i, lo_j, hi_j = pair
    _fold(state.best_s[lo_i:hi_i], state.best_i[lo_i:hi_i], rows_side, lo_j, axis=1)
    if lo_i != lo_j:
        _fold(state.best_s[lo_j:hi_j], state.best_i[lo_j:hi_j], cols_side, lo_i, axis=0)


class _Folder:
    """Folds a block's scores into lists: numpy (``neighbors._fold``), or for cosine and dot on
    larger corpora a compiled filter that reads each product once, scales it to the score and
    records the entries that beat either side's running k-th best (numpy's way takes six
    passes over the block: two products, two comparisons, two searches for the hits)."""

    def __init__(self, metric: str, n: int):
        self.metric = metric
        self.ones = np.ones(n, dtype=np.float32) if metric == "dot" else None
        self.kernel = _filter_kernel() if metric != "euclidean" and n > NUMPY_MAX_ROWS else None
        if self.kernel is not None:
            self.hits_i = (np.empty(HITS_CAPACITY, np.intp), np.empty(HITS_CAPACITY, np.intp))
            self.hits_j = (np.empty(HITS_CAPACITY, np.intp), np.empty(HITS_CAPACITY, np.intp))
            self.scores_i = np.empty(HITS_CAPACITY, np.float32)
            self.scores_j = np.empty(HITS_CAPACITY, np.float32)

    def fold(self, state: _Lists, product: np.ndarray, term, pair) -> None:
        lo_i, hi_i, lo_j, hi_j = pair
        i, j = slice(lo_i, hi_i), slice(lo_j, hi_j)
        worst_i, worst_j = state.best_s[i].min(axis=1), state.best_s[j].min(axis=1)
        hits = self.hits(product, term, pair, worst_i, worst_j)
        if hits is None:  # lists not full yet, too many hits, Euclidean or a small corpus
            rows_side, cols_side = _scores(product, self.metric, term, pair)
            _fold_pair(state, rows_side, cols_side, pair)
            return
        (q_i, c_i, s_i), (q_j, c_j, s_j) = hits
        keep = state.best_s.shape[1]
        if len(q_i):
            _merge(state.best_s[i], state.best_i[i], q_i, s_i, c_i + lo_j, keep)
        if len(q_j):
            _merge(state.best_s[j], state.best_i[j], q_j, s_j, c_j + lo_i, keep)

    def hits(self, product, term, pair, need_i, need_j, slack=None):
        """The entries of the block whose score beats ``need_i`` (rows i) or ``need_j`` (rows j,
        off the diagonal): (query, candidate, score) per side, queries ascending and relative
        to their block; None where the compiled filter cannot be used.

        ``slack`` (one value per row, default none) is added to an entry's score for the test of
        the other side's row: entry (a, b) is a hit for row a when score + slack[b] > need_i[a]
        (the int8 test's per-pair bound)."""
        if self.kernel is None or np.isneginf(need_i).any() or np.isneginf(need_j).any():
            return None
        lo_i, hi_i, lo_j, hi_j = pair
        term = self.ones if term is None else term
        n_i, n_j = self.kernel(
            product,
            term[lo_i:hi_i],
            term[lo_j:hi_j],
            None if slack is None else slack[lo_i:hi_i],
            None if slack is None else slack[lo_j:hi_j],
            need_i.astype(np.float32, copy=False),
            need_j.astype(np.float32, copy=False),
            lo_i == lo_j,
            *self.hits_i,
            self.scores_i,
            *self.hits_j,
            self.scores_j,
        )
        if n_i > HITS_CAPACITY or n_j > HITS_CAPACITY:
            return None
        order = np.argsort(self.hits_j[0][:n_j], kind="stable")
        return (
            (self.hits_i[0][:n_i].copy(), self.hits_i[1][:n_i].copy(), self.scores_i[:n_i].copy()),
            (self.hits_j[0][order], self.hits_j[1][order], self.scores_j[order]),
        )


_KERNEL = None


def _filter_kernel():
    """Compile (once, cached on disk) the filter of :class:`_Folder`: one pass over the product,
    hits recorded as they come (a branch rarely taken; measured: a branch-free counting pass
    followed by rescans of the rows and columns with hits was three times slower, the column
    rescans striding through memory). Two builds of the same loop: without the per-row slack
    (the folds) and with it (the int8 test); measured, the slack's loads double a fold's time."""
    global _KERNEL
    if _KERNEL is None:
        plain, slacked = _build_filter(False), _build_filter(True)

        def block_hits(product, t_i, t_j, slack_i, slack_j, *rest):
            if slack_i is None:
                return plain(product, t_i, t_j, t_i, t_j, *rest)
            return slacked(product, t_i, t_j, slack_i, slack_j, *rest)

        _KERNEL = block_hits
    return _KERNEL


def _build_filter(with_slack: bool):
    """The filter loop; ``with_slack`` is a constant of the compiled code (its branches go)."""
    import numba

    @numba.njit(cache=True, boundscheck=False, nogil=True)
    def block_hits(
        product, t_i, t_j, slack_i, slack_j, need_i, need_j, diagonal, qi, ci, si, qj, cj, sj
    ):
        m, p = product.shape
        cap = len(qi)
        n_i = 0
        n_j = 0
        for a in range(m):
            scale, bar = t_i[a], need_i[a]
            slack_a = slack_i[a] if with_slack else 0.0
            for b in range(p):
                if diagonal and a == b:
                    continue
                score = product[a, b] * scale * t_j[b]
                if (score + slack_j[b] if with_slack else score) > bar:
                    if n_i < cap:
                        qi[n_i], ci[n_i], si[n_i] = a, b, score
                    n_i += 1
                if not diagonal and (score + slack_a if with_slack else score) > need_j[b]:
                    if n_j < cap:
                        qj[n_j], cj[n_j], sj[n_j] = b, a, score
                    n_j += 1
        return n_i, n_j

    return block_hits


# -- int8 (cosine) --------------------------------------------------------------------------------
class _Int8Filter:
    """Exact int8 cosine lists from the full-precision cosines of each block.

    θ_x is the angle between a row and its de-quantised row; a pair can enter row x's list
    only if its full-precision cosine exceeds (x's current k-th int8 cosine) − θ_x − θ_y.
    Those pairs are scored in the int8 space; no other pair can change the list. A row whose
    list is not full yet (its first block) is scored against the whole block.
    """

    def __init__(self, codes: Int8Codes, vectors: np.ndarray, inverse_norms: np.ndarray):
        self.rows = codes.rows()
        theta = np.empty(len(vectors), dtype=np.float64)
        for lo, hi in chunk_ranges(len(vectors), 8192):
            x = vectors[lo:hi].astype(np.float64) * inverse_norms[lo:hi, None]
            x_hat = self._unit(lo, hi).astype(np.float64)
            cos = np.einsum("ij,ij->i", x, x_hat)
            zero = ~(np.abs(x).sum(axis=1) > 0) | ~(np.abs(x_hat).sum(axis=1) > 0)
            theta[lo:hi] = np.where(zero, np.pi, np.arccos(np.clip(cos, -1.0, 1.0)))
        self.theta = theta.astype(np.float32)
        self.theta_max = float(theta.max())
        self._block_i = np.empty((0, vectors.shape[1]), np.float32)

    def _unit(self, lo: int, hi: int) -> np.ndarray:
        return _normalised(self.rows[lo:hi])

    def start_row_block(self, lo: int, hi: int) -> None:
        self._block_i = self._unit(lo, hi)

    def fold(self, state: _Lists, product: np.ndarray, term, pair, folder: _Folder) -> None:
        """Fold into the int8 lists the pairs of the block that may enter them; ``product``
        holds the block's full-precision dot products, ``term`` the inverse norms."""
        lo_i, hi_i, lo_j, hi_j = pair
        i, j = slice(lo_i, hi_i), slice(lo_j, hi_j)
        worst_i, worst_j = state.best_s[i].min(axis=1), state.best_s[j].min(axis=1)
        need_i = worst_i - self.theta[i] - FLOAT32_SLACK
        need_j = worst_j - self.theta[j] - FLOAT32_SLACK
        hits = folder.hits(product, term, pair, need_i, need_j, slack=self.theta)
        if hits is None:
            hits = self._hits(state, product, term, pair, (worst_i, worst_j), (need_i, need_j))
        unit_j = self._rows_of_j(hits, lo_j, lo_i == lo_j)
        for side, ((q, cand, _), rows, worst, offset) in enumerate(
            [(hits[0], i, worst_i, lo_j), (hits[1], j, worst_j, lo_i)]
        ):
            if not len(q):
                continue
            if side == 0:
                a, b = self._block_i[q], unit_j(cand)
            else:
                a, b = unit_j(q), self._block_i[cand]
            scores = np.einsum("ij,ij->i", a, b)
            better = scores > worst[q]
            if better.any():
                best_s, best_i = state.best_s[rows], state.best_i[rows]  # views
                keep = best_s.shape[1]
                _merge(best_s, best_i, q[better], scores[better], cand[better] + offset, keep)

    def _rows_of_j(self, hits, lo_j: int, diagonal: bool):
        """A function giving the unit int8 rows ``lo_j + rows`` of block j for the hits: on the
        diagonal from the row block already decoded; else only the distinct rows of block j the
        hits name are decoded, once for both sides (decoding all of block j for every pair cost
        more than the test itself)."""
        if diagonal:
            return lambda rows: self._block_i[rows]
        needed = np.unique(np.concatenate([hits[0][1], hits[1][0]]))
        decoded = _normalised(self.rows[lo_j + needed]) if len(needed) else None
        return lambda rows: decoded[np.searchsorted(needed, rows)]

    def _hits(self, state: _Lists, product, term, pair, worst, need):
        """numpy's way to :meth:`_Folder.hits`; a side whose lists are not full yet is scored
        against the whole block here instead (and has no hits)."""
        lo_i, hi_i, lo_j, hi_j = pair
        cosines, _ = _scores(product, "cosine", term, pair)
        block_j = self._block_i if lo_i == lo_j else self._unit(lo_j, hi_j)
        empty = (np.empty(0, np.intp), np.empty(0, np.intp), None)
        out = []
        sides = [(slice(lo_i, hi_i), slice(lo_j, hi_j), self._block_i, block_j, cosines, lo_j)]
        sides.append(
            (slice(lo_j, hi_j), slice(lo_i, hi_i), block_j, self._block_i, cosines.T, lo_i)
        )
        for side, (rows, cols, unit_rows, unit_cols, c, offset) in enumerate(sides):
            if side == 1 and lo_i == lo_j:
                out.append(empty)
            elif np.isneginf(worst[side]).any():  # a list not full yet: score the whole block
                s = unit_rows @ unit_cols.T
                if lo_i == lo_j:
                    np.fill_diagonal(s, -np.inf)
                _fold(state.best_s[rows], state.best_i[rows], s, offset, axis=1)
                out.append(empty)
            else:
                if self.theta_max > MAX_SHARED_THETA:
                    hit = (c + self.theta[None, cols]) > need[side][:, None]
                else:
                    hit = c > (need[side] - self.theta_max)[:, None]
                q, cand = np.nonzero(hit)  # queries ascending
                out.append((q, cand, None))
        return out


def _normalised(x: np.ndarray) -> np.ndarray:
    """Rows of ``x`` (a new float32 array, decoded) scaled to unit length; zero rows stay."""
    x = np.asarray(x, dtype=np.float32)
    _normalised_in_place(x, "cosine")
    return x
