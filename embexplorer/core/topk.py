"""Folding a block of scores into every row's running best-k list, compiled (numba).

The exact searches compute scores a block pair at a time (BLAS) and keep, per row, the
``keep`` highest scores seen so far. Doing that with numpy meant a partition of every fresh
block and a padded merge per touched row (about a third of a whole exact graph's time at
384 dims, more at fewer dims); here one pass over the block compares each score with its
row's current threshold and inserts the rare winner into a small sorted list.

A score of row r (row ``lo_i + r``) and column c (row ``lo_j + c``) is
``g[r, c] · row_mul[r] · col_mul[c] · mult + add``, where ``add`` is ``col_add[c]`` for the
rows side (queries are rows, candidates columns) and ``row_add[r]`` for the columns side:
that covers cosine on normalised or raw blocks, dot products, Hamming on ±1 rows and the
Euclidean ranking 2·q·c − ‖c‖². Lists are ordered by score, then by row (lower first), so the
kept set never depends on the order blocks arrive in.
"""

from __future__ import annotations

import numpy as np

_KERNEL = None


def _build():
    import numba

    njit, prange = numba.njit, numba.prange

    @njit(inline="always", cache=True)
    def better(v, j, v2, j2):
        return v > v2 or (v == v2 and j < j2)

    @njit(inline="always", cache=True)
    def insert(best_s, best_i, q, v, j):
        p = best_s.shape[1] - 1
        while p > 0 and better(v, j, best_s[q, p - 1], best_i[q, p - 1]):
            best_s[q, p] = best_s[q, p - 1]
            best_i[q, p] = best_i[q, p - 1]
            p -= 1
        best_s[q, p] = v
        best_i[q, p] = j

    @njit(parallel=True, cache=True, fastmath=True)
    def fold(g, mult, row_mul, col_mul, row_add, col_add, best_s, best_i, lo_i, lo_j, same):
        m, n = g.shape
        last = best_s.shape[1] - 1
        for r in prange(m):  # queries are the block's rows
            q = lo_i + r
            rm = row_mul[r] * mult
            bar_v = best_s[q, last]
            hits = 0  # a branch-free (vectorised) count first: most rows gain nothing
            for c in range(n):
                hits += np.float32(g[r, c] * rm * col_mul[c] + col_add[c]) >= bar_v
            if hits == 0:
                continue
            bar_j = best_i[q, last]
            for c in range(n):
                v = np.float32(g[r, c] * rm * col_mul[c] + col_add[c])
                if v >= bar_v and better(v, lo_j + c, bar_v, bar_j) and not (same and c == r):
                    insert(best_s, best_i, q, v, lo_j + c)
                    bar_v, bar_j = best_s[q, last], best_i[q, last]
        if same:
            return
        chunk = 256
        for start in prange((n + chunk - 1) // chunk):  # queries are the block's columns
            c0, c1 = start * chunk, min(start * chunk + chunk, n)
            top = np.full(c1 - c0, -np.inf, np.float32)
            for r in range(m):  # column maxima: elementwise along each row (vectorised)
                rm = row_mul[r] * mult
                ra = row_add[r]
                for c in range(c0, c1):
                    v = np.float32(g[r, c] * rm * col_mul[c] + ra)
                    top[c - c0] = v if v > top[c - c0] else top[c - c0]
            flagged = np.empty(c1 - c0, np.int64)  # columns that gain something
            bar_v = np.empty(c1 - c0, np.float32)
            bar_j = np.empty(c1 - c0, np.int64)
            count = 0
            for c in range(c0, c1):
                q = lo_j + c
                if top[c - c0] >= best_s[q, last]:
                    flagged[count] = c
                    bar_v[count], bar_j[count] = best_s[q, last], best_i[q, last]
                    count += 1
            for r in range(m if count else 0):  # row by row: the block is read in order
                rm = row_mul[r] * mult
                ra = row_add[r]
                for t in range(count):
                    c = flagged[t]
                    v = np.float32(g[r, c] * rm * col_mul[c] + ra)
                    if v >= bar_v[t] and better(v, lo_i + r, bar_v[t], bar_j[t]):
                        q = lo_j + c
                        insert(best_s, best_i, q, v, lo_i + r)
                        bar_v[t], bar_j[t] = best_s[q, last], best_i[q, last]

    return fold


def empty_lists(n: int, keep: int) -> tuple[np.ndarray, np.ndarray]:
    """Lists with nothing in them yet: scores −inf, rows past the end (lose every tie)."""
    return (
        np.full((n, keep), -np.inf, dtype=np.float32),
        np.full((n, keep), np.iinfo(np.int64).max, dtype=np.int64),
    )


def fold_block(
    g: np.ndarray,
    best_s: np.ndarray,
    best_i: np.ndarray,
    lo_i: int,
    lo_j: int,
    *,
    mult: float = 1.0,
    row_mul: np.ndarray | None = None,
    col_mul: np.ndarray | None = None,
    row_add: np.ndarray | None = None,
    col_add: np.ndarray | None = None,
) -> None:
    """In place: fold the scores of block rows ``lo_i…`` × rows ``lo_j…`` into both sides' lists
    (only the rows side, without the diagonal, when ``lo_i == lo_j``)."""
    global _KERNEL
    if _KERNEL is None:
        _KERNEL = _build()
    m, n = g.shape
    ones_m, ones_n = np.ones(m, np.float32), np.ones(n, np.float32)
    zeros_m, zeros_n = np.zeros(m, np.float32), np.zeros(n, np.float32)
    _KERNEL(
        np.ascontiguousarray(g, dtype=np.float32),
        np.float32(mult),
        ones_m if row_mul is None else np.ascontiguousarray(row_mul, dtype=np.float32),
        ones_n if col_mul is None else np.ascontiguousarray(col_mul, dtype=np.float32),
        zeros_m if row_add is None else np.ascontiguousarray(row_add, dtype=np.float32),
        zeros_n if col_add is None else np.ascontiguousarray(col_add, dtype=np.float32),
        best_s,
        best_i,
        lo_i,
        lo_j,
        lo_i == lo_j,
    )


def finished_rows(best_i: np.ndarray) -> np.ndarray:
    """The kept rows as intp, −1 where a list has no entry (fewer rows than ``keep``)."""
    out = best_i.astype(np.intp)
    out[best_i == np.iinfo(np.int64).max] = -1
    return out
