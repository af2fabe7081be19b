"""Exact k nearest neighbours of 1-bit codes by Hamming distance (popcount), no float copy.

A binary embedding keeps one bit per dimension (``value > 0``), packed 8 to a byte. The
distance of two codes is the number of differing bits: ``popcount(a XOR b)`` summed over the
64-bit words of a code.

How: the rows are cut into blocks and every pair of blocks (I, J ≥ I) is visited once, its
distances feeding the lists of both blocks (the distance is symmetric: half the popcounts of a
one-sided search such as faiss's ``IndexBinaryFlat``). The pairs are scheduled in rounds of a
round-robin tournament, so the pairs of one round touch disjoint rows and run in parallel
without locks; between rounds the task yields progress and can be cancelled. Each row keeps its
best ``k`` in a small sorted array, ordered by distance and then row (a candidate is inserted
only when it beats the current k-th), so among equal distances the lowest rows are kept, as in
every other exact search here: the lists are exactly those of a stable sort, whatever the
schedule.

The kernels are compiled by numba (which umap-learn already requires), cached on disk.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from embexplorer.core.analysis.neighbors import MAX_GRAPH_K, Neighbors
from embexplorer.core.tasks import Progress, Task

#: Rows per block: a block of codes (48 bytes each at 384 bits) and its lists stay in cache.
BLOCK = 1024
#: Up to this many rows numpy's popcount is used: loading the compiled kernels (numba) takes
#: longer than the whole search of a small corpus.
NUMPY_MAX_ROWS = 5000


def _numba():
    import numba

    return numba


def _kernels():
    """Compile (once, cached on disk) and return the numba kernels."""
    global _KERNELS
    if _KERNELS is None:
        _KERNELS = _build_kernels()
    return _KERNELS


_KERNELS = None


def _build_kernels():
    numba = _numba()
    njit, prange = numba.njit, numba.prange
    m1 = np.uint64(0x5555555555555555)
    m2 = np.uint64(0x3333333333333333)
    m4 = np.uint64(0x0F0F0F0F0F0F0F0F)
    h01 = np.uint64(0x0101010101010101)
    zero, one, two, four, s56 = (np.uint64(v) for v in (0, 1, 2, 4, 56))

    @njit(inline="always", cache=True)
    def popcount(x):  # LLVM turns this idiom into the popcnt instruction
        x = x - ((x >> one) & m1)
        x = (x & m2) + ((x >> two) & m2)
        x = (x + (x >> four)) & m4
        return (x * h01) >> s56

    @njit(inline="always", cache=True)
    def better(d, j, d2, j2):  # by distance, ties by row: the order of every exact search
        return d < d2 or (d == d2 and j < j2)

    @njit(inline="always", cache=True)
    def insert(best_d, best_i, row, d, j):
        k = best_d.shape[1]
        p = k - 1
        while p > 0 and better(d, j, best_d[row, p - 1], best_i[row, p - 1]):
            best_d[row, p] = best_d[row, p - 1]
            best_i[row, p] = best_i[row, p - 1]
            p -= 1
        best_d[row, p] = d
        best_i[row, p] = j

    @njit(inline="always", cache=True)
    def pair(words, lo_i, hi_i, lo_j, hi_j, best_d, best_i):
        k = best_d.shape[1]
        w = words.shape[1]
        same = lo_i == lo_j
        for i in range(lo_i, hi_i):
            start = i + 1 if same else lo_j
            for j in range(start, hi_j):
                d = zero  # unsigned throughout: a mixed signed/unsigned sum would be a float
                for t in range(w):
                    d += popcount(words[i, t] ^ words[j, t])
                if better(d, j, best_d[i, k - 1], best_i[i, k - 1]):
                    insert(best_d, best_i, i, d, j)
                if better(d, i, best_d[j, k - 1], best_i[j, k - 1]):
                    insert(best_d, best_i, j, d, i)

    @njit(parallel=True, cache=True)
    def run_round(words, block, firsts, seconds, best_d, best_i):
        n = words.shape[0]
        for p in prange(firsts.shape[0]):
            lo_i, lo_j = firsts[p] * block, seconds[p] * block
            pair(words, lo_i, min(lo_i + block, n), lo_j, min(lo_j + block, n), best_d, best_i)

    return run_round


def tournament(blocks: int) -> Iterator[np.ndarray]:
    """Rounds of block pairs (I, J), I ≤ J, covering every pair once (the diagonal included),
    each round's pairs touching distinct blocks (the circle method of round-robin schedules).

    Each round is an (m, 2) int64 array, made when asked for: at 1M rows (977 blocks) the
    whole schedule as Python tuples took some 50 MB."""
    players = np.array(list(range(blocks)) + ([-1] if blocks % 2 else []), dtype=np.int64)
    m = len(players)
    half = m // 2
    for _ in range(m - 1):
        a, b = players[:half], players[::-1][:half]
        real = (a >= 0) & (b >= 0)
        pairs = np.column_stack([np.minimum(a, b)[real], np.maximum(a, b)[real]])
        if len(pairs):
            yield pairs
        players = np.concatenate([players[:1], players[-1:], players[1:-1]])
    # the diagonal (I, I): disjoint by construction, all in one round
    if blocks:
        yield np.column_stack([np.arange(blocks), np.arange(blocks)]).astype(np.int64)


def tournament_rounds(blocks: int) -> int:
    """How many rounds :func:`tournament` yields."""
    if blocks <= 1:
        return blocks
    m = blocks + blocks % 2
    return m - 1 + 1


def as_words(bits: np.ndarray) -> np.ndarray:
    """Packed codes (N, ⌈D/8⌉) uint8 as (N, ⌈D/64⌉) uint64 words, zero-padded (no copy when the
    width is already a multiple of 8 bytes)."""
    n, width = bits.shape
    pad = (-width) % 8
    if pad:
        bits = np.concatenate([bits, np.zeros((n, pad), dtype=np.uint8)], axis=1)
    return np.ascontiguousarray(bits).view(np.uint64)


def _numpy_knn_task(words: np.ndarray, k: int, block: int = 256) -> Task[Neighbors]:
    """The same lists with numpy's popcount (small corpora): each row's k smallest of
    distance·N + row, so ties go to the lower row as in the compiled search."""
    n = len(words)
    rows = np.arange(n, dtype=np.int64)
    indices = np.empty((n, k), dtype=np.intp)
    distances = np.empty((n, k), dtype=np.float32)
    for lo in range(0, n, block):
        hi = min(lo + block, n)
        d = np.bitwise_count(words[lo:hi, None, :] ^ words[None, :, :]).sum(axis=2, dtype=np.int64)
        d[np.arange(hi - lo), np.arange(lo, hi)] = np.iinfo(np.int64).max // (2 * n)
        key = d * n + rows
        part = np.argpartition(key, k - 1, axis=1)[:, :k]
        chosen = np.take_along_axis(key, part, axis=1)
        chosen.sort(axis=1)
        indices[lo:hi], distances[lo:hi] = chosen % n, chosen // n
        yield Progress(hi / n, f"Exact {k}-NN (Hamming): {hi:,} of {n:,} rows")
    return Neighbors(indices, distances, "hamming", "exact")


def hamming_knn_task(bits: np.ndarray, k: int, block: int = BLOCK) -> Task[Neighbors]:
    """The exact k nearest codes of every row (itself excluded) by Hamming distance.

    ``bits`` is (N, ⌈D/8⌉) uint8, one bit per dimension (``np.packbits``). Distances are the
    number of differing bits (float32 in the result, as in every graph).
    """
    n = len(bits)
    if not 1 <= k <= MAX_GRAPH_K:
        raise ValueError(f"k must be between 1 and {MAX_GRAPH_K}; got {k}.")
    if n < 2:
        raise ValueError("There are not enough rows to have neighbours.")
    k = min(k, n - 1)
    words = as_words(bits)
    yield Progress(0.0, f"Exact {k}-NN of {n:,} binary codes (Hamming)")
    if n <= NUMPY_MAX_ROWS:
        return (yield from _numpy_knn_task(words, k))
    run_round = _kernels()
    # The rows are kept in the result's own array (intp); the distances as uint32 (an unsigned
    # integer compare in the inner loop: float32 there was 40 % slower), float32 at the end.
    best_d = np.full((n, k), np.iinfo(np.uint32).max, dtype=np.uint32)
    best_i = np.full((n, k), np.iinfo(np.intp).max, dtype=np.intp)
    blocks = -(-n // block)
    total = tournament_rounds(blocks)
    for r, pairs in enumerate(tournament(blocks)):
        run_round(words, block, pairs[:, 0].copy(), pairs[:, 1].copy(), best_d, best_i)
        yield Progress((r + 1) / total, f"Exact {k}-NN (Hamming): round {r + 1:,} of {total:,}")
    return Neighbors(best_i, _as_float32_in_place(best_d), "hamming", "exact")


def _as_float32_in_place(counts: np.ndarray, chunk: int = 65_536) -> np.ndarray:
    """The uint32 distances as float32 in the same memory (whole numbers below 2**24 are exact),
    a chunk of rows at a time: no second (n, k) array."""
    out = counts.view(np.float32)
    for lo in range(0, len(counts), chunk):
        out[lo : lo + chunk] = counts[lo : lo + chunk].astype(np.float32)
    return out
