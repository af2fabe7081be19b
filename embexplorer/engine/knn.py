"""The kNN graph on a Ray cluster: exact (block pairs of the symmetric product as tasks) or
approximate (one IVF index, shards of rows searched in parallel, exact re-ranking).

Exact: the rows are cut into task blocks, each a whole number of the local engine's
``GRAPH_BLOCK`` blocks (:func:`task_blocks_for`: about 8 tasks per worker slot, 8,192 to
131,072 rows). One task takes a pair of task blocks (I, J ≥ I) and folds their sub-pairs with
the local engine's own kernel (``neighbors.fold_pair``), in the local order, into the best
lists of I's rows (from J) and of J's rows (from I). The driver merges each row's lists as
tasks finish (``neighbors.select_best``: by score, ties by row, so the order tasks finish in
does not matter) and finishes a block's rows once every pair that holds it is in. A task sent
after others were merged starts from their bounds (each row's worst kept score), so most of
its candidates take the kernel's cheap threshold path, as in the local search.

The vectors go to the object store once (``ray.put``), one object per task block; a task
fetches its two blocks and reads them there without a copy, so a node holds the blocks its
tasks use, not the whole matrix. Each task uses the driver's BLAS thread count (see
``neighbors``: the float32 scores, and so the graph, are identical to the local engine's only
with the same threads).

Approximate: the index is built and ``nprobe`` tuned on the driver with the local code
(``ann.build_ivf_task``: trained on a sample, recall measured on a sample of exact queries);
search actors each load the index once and search shards of rows with ``ann.search_rows``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from embexplorer.core.analysis import neighbors
from embexplorer.core.analysis.neighbors import (
    CANDIDATE_MARGIN,
    MAX_GRAPH_K,
    Neighbors,
    Scorer,
    _check_k,
    _squared_norms,
    check_metric,
    finish_rows,
    fold_pair,
    score_term,
    select_best,
)
from embexplorer.core.tasks import Progress, Task, chunk_ranges

#: Rows per side of a task's block pair, in local graph blocks: at least ``TASK_BLOCKS``, at
#: most ``MAX_TASK_BLOCKS`` (128k rows: two blocks of 384 dims are 0.4 GB), else as large as
#: leaves about ``TASKS_PER_SLOT`` tasks per worker slot. Larger tasks mean fewer lists for
#: the driver to merge (its work is N²·k / task rows) and fewer bytes sent to it.
TASK_BLOCKS, MAX_TASK_BLOCKS, TASKS_PER_SLOT = 4, 64, 8
#: Tasks in flight per worker slot: enough to keep every slot busy, few enough that finished
#: results wait in the object store only briefly.
IN_FLIGHT_PER_SLOT = 2
#: Rows per shard an IVF search actor takes at a time.
SEARCH_SHARD = 16_384


def blas_threads() -> int:
    """The BLAS threads this process uses (what the local engine's products run with)."""
    from threadpoolctl import threadpool_info

    counts = [p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"]
    return max(counts) if counts else 1


def task_threads(ray: Any, wanted: int) -> int:
    """``wanted`` threads per task, or fewer if no node has that many CPUs (then the scores
    may differ from the local engine's in their last bit)."""
    largest = max(
        (int(node["Resources"].get("CPU", 0)) for node in ray.nodes() if node.get("Alive")),
        default=1,
    )
    return max(1, min(wanted, largest))


def ray_knn_task(
    ray: Any,
    vectors: np.ndarray,
    k: int,
    metric: str = "cosine",
    method: str = "auto",
    seed: int = 0,
    threads: int | None = None,
) -> Task[Neighbors]:
    """The kNN graph on Ray: exact or approximate; ``auto`` weighs their projected costs as
    the local ``knn_auto.auto_knn_task`` does, both divided among the cluster's CPUs (the exact
    graph's block pairs and the approximate search's shards both spread over every slot)."""
    from embexplorer.core.analysis.knn_auto import AUTO_EXACT_SURE_S, exact_is_sure
    from embexplorer.core.analysis.knn_cost import exact_graph_cost

    if method == "exact" or (method == "auto" and exact_is_sure(vectors)):
        return (yield from exact_knn_task(ray, vectors, k, metric, threads=threads))
    budget = None
    if method == "auto":
        share = max(1, int(ray.cluster_resources().get("CPU", 1)) // max(1, blas_threads()))
        budget = exact_graph_cost(vectors, metric, k)  # both spread alike: compared whole
        if budget / share <= AUTO_EXACT_SURE_S:
            return (yield from exact_knn_task(ray, vectors, k, metric, threads=threads))
    graph = yield from ivf_knn_task(
        ray, vectors, k, metric, seed=seed, threads=threads, budget_s=budget
    )
    if isinstance(graph, dict):  # the approximate search was projected to cost more
        return (yield from exact_knn_task(ray, vectors, k, metric, threads=threads))
    return graph


def exact_knn_task(
    ray: Any,
    vectors: np.ndarray,
    k: int,
    metric: str = "cosine",
    threads: int | None = None,
    task_blocks: int | None = None,
    stats: dict[str, Any] | None = None,
) -> Task[Neighbors]:
    """The exact k nearest neighbours of every row (itself excluded), identical to
    ``neighbors.knn_graph_task``'s. ``task_blocks``: local graph blocks per side of a task
    (its sub-blocks are the local engine's blocks, read here: the workers never see a block
    size changed in this process); by default :func:`task_blocks_for` the cluster.
    ``stats``, if given, receives the tasks' shape and the driver's merge time."""
    import time

    check_metric(metric)
    graph_block = neighbors.GRAPH_BLOCK
    n = len(vectors)
    k = _check_k(k, n, MAX_GRAPH_K, exclude_self=True)
    keep = min(k + (CANDIDATE_MARGIN if metric == "euclidean" else 0), n - 1)
    threads = task_threads(ray, threads or blas_threads())
    slots = max(1, int(ray.cluster_resources().get("CPU", 1)) // threads)
    task_blocks = task_blocks or task_blocks_for(n, slots, graph_block)
    graph = _GraphMerge(vectors, chunk_ranges(n, task_blocks * graph_block), k, keep, metric)
    refs = _put_blocks(ray, vectors, graph.blocks, metric)
    pairs = graph.pairs()
    pair_task = ray.remote(num_cpus=threads, max_retries=3)(_pair_lists)  # pure: safe to rerun
    yield Progress(0.0, f"Exact {k}-NN of {n:,} rows ({metric}) on Ray: {len(pairs)} tasks")

    def submit(pair: tuple[int, int]):
        rows, cols = graph.blocks[pair[0]], graph.blocks[pair[1]]
        bounds = (graph.bound(rows), graph.bound(cols))
        sizes = (graph_block, threads)
        data = (refs[pair[0]], refs[pair[1]] if pair[1] != pair[0] else None)
        return pair_task.remote(*data, metric, keep, rows, cols, bounds, sizes)

    merge_s = 0.0
    for done, (pair, lists) in enumerate(
        _as_completed(ray, pairs, submit, slots * IN_FLIGHT_PER_SLOT), start=1
    ):
        start = time.perf_counter()
        graph.take(pair, lists)
        merge_s += time.perf_counter() - start
        yield Progress(done / len(pairs), f"Exact {k}-NN on Ray: {done} of {len(pairs)} tasks")
    if stats is not None:
        stats.update(
            tasks=len(pairs),
            task_rows=task_blocks * graph_block,
            threads=threads,
            slots=slots,
            driver_merge_s=merge_s,
        )
    return Neighbors(graph.indices, graph.distances, metric)


def task_blocks_for(n: int, slots: int, graph_block: int) -> int:
    """Graph blocks per side of a task: about ``TASKS_PER_SLOT`` tasks per slot, within
    [``TASK_BLOCKS``, ``MAX_TASK_BLOCKS``]. The pairs of b blocks number b(b+1)/2."""
    per_side = n / (graph_block * np.sqrt(2 * TASKS_PER_SLOT * slots))
    return int(np.clip(per_side, TASK_BLOCKS, MAX_TASK_BLOCKS))


class _GraphMerge:
    """The driver's side: every row's best lists, merged from the tasks' as they come, and
    each block's rows finished once every pair that holds the block is in."""

    def __init__(self, vectors, blocks: list[tuple[int, int]], k: int, keep: int, metric: str):
        n = len(vectors)
        self.vectors, self.blocks, self.k, self.keep, self.metric = vectors, blocks, k, keep, metric
        self.best_s = np.full((n, keep), -np.inf, dtype=np.float32)
        self.best_i = np.full((n, keep), -1, dtype=np.intp)
        self.waiting = [len(blocks)] * len(blocks)  # pairs still to come, per block
        self.indices = np.empty((n, k), dtype=np.intp)
        self.distances = np.empty((n, k), dtype=np.float32)

    def pairs(self) -> list[tuple[int, int]]:
        """Every block pair (i, j ≥ i) of the symmetric product, row by row."""
        count = len(self.blocks)
        return [(bi, bj) for bi in range(count) for bj in range(bi, count)]

    def bound(self, block: tuple[int, int]) -> np.ndarray:
        """The worst score each row of ``block`` holds now (-inf while its list is not full)."""
        return self.best_s[block[0] : block[1]].min(axis=1)

    def take(self, pair: tuple[int, int], lists: list) -> None:
        sides = pair if pair[0] != pair[1] else pair[:1]
        for side, (s, i) in zip(sides, lists, strict=True):
            lo, hi = self.blocks[side]
            self.best_s[lo:hi], self.best_i[lo:hi] = select_best(
                np.concatenate([self.best_s[lo:hi], s], axis=1),
                np.concatenate([self.best_i[lo:hi], i], axis=1),
                self.keep,
            )
            self.waiting[side] -= 1
            if not self.waiting[side]:
                self.indices[lo:hi], self.distances[lo:hi] = finish_rows(
                    self.vectors, lo, hi, self.best_s, self.best_i, self.k, self.metric
                )


def _as_completed(ray: Any, items: list, submit, in_flight: int) -> Iterator[tuple[Any, Any]]:
    """(item, result) as tasks finish, with at most ``in_flight`` running (back pressure: the
    results wait in the object store only until the driver takes them)."""
    pending: dict[Any, Any] = {}
    queue = iter(items)
    for item in queue:
        pending[submit(item)] = item
        if len(pending) >= in_flight:
            break
    while pending:
        [ready], _ = ray.wait(list(pending), num_returns=1)
        item = pending.pop(ready)
        for nxt in queue:
            pending[submit(nxt)] = nxt
            break
        yield item, ray.get(ready)


def _put_blocks(ray: Any, vectors: np.ndarray, blocks: list, metric: str) -> list:
    """One object per task block: its vectors and their score terms (1/‖x‖, −‖x‖²), put in
    the object store once. A task fetches its two blocks only, so a node holds the blocks its
    tasks use, not the whole matrix."""
    refs = []
    for lo, hi in blocks:
        rows = np.ascontiguousarray(vectors[lo:hi])
        term = None if metric == "dot" else score_term(_squared_norms(rows), metric)
        refs.append(ray.put((lo, rows, term)))
    return refs


class _TwoBlocks(Scorer):
    """The local scorer over a task's two blocks (global row numbers, as in the whole
    matrix): the same products on the same rows."""

    def __init__(self, metric: str, *blocks):
        check_metric(metric)
        self.metric, self.blocks = metric, [b for b in blocks if b is not None]

    def _where(self, lo: int, hi: int, part: int) -> np.ndarray:
        for start, rows, term in self.blocks:
            if start <= lo and hi <= start + len(rows):
                return (rows, term)[part][lo - start : hi - start]
        raise IndexError(f"rows {lo}:{hi} are in neither block of this task")

    def rows(self, lo: int, hi: int) -> np.ndarray:
        return self._where(lo, hi, 0)

    def terms(self, lo: int, hi: int) -> np.ndarray:
        return self._where(lo, hi, 1)


def _pair_lists(
    block_i: tuple,
    block_j: tuple | None,
    metric: str,
    keep: int,
    rows: tuple[int, int],
    cols: tuple[int, int],
    bounds: tuple[np.ndarray, np.ndarray],
    sizes: tuple[int, int],
) -> list[tuple[np.ndarray, np.ndarray]]:
    """One task: the best ``keep`` of rows ``rows`` among rows ``cols``, and (when the blocks
    differ) of ``cols`` among ``rows``, with the local kernel on its ``GRAPH_BLOCK``
    sub-blocks, met in the local order. ``bounds``: per row of each block, the worst score
    its merged list held when the task was sent (-inf: not full); a candidate below it cannot
    make the final list, so the lists start full of placeholders just below it and most
    candidates take the kernel's cheap threshold path. ``sizes``: (graph block, BLAS threads).
    """
    from threadpoolctl import threadpool_limits

    graph_block, threads = sizes
    scorer = _TwoBlocks(metric, block_i, block_j)
    lists = [_seeded_lists(bounds[0], keep)]
    if rows != cols:
        lists.append(_seeded_lists(bounds[1], keep))
    (rs, ri), (cs, ci) = lists[0], lists[-1]
    sub_rows, sub_cols = _sub_blocks(rows, graph_block), _sub_blocks(cols, graph_block)
    with threadpool_limits(threads, user_api="blas"):
        for a, sub_i in enumerate(sub_rows):
            for sub_j in sub_rows[a:] if rows == cols else sub_cols:
                fold_pair(scorer, sub_i, sub_j, rs, ri, cs, ci, origin=(rows[0], cols[0]))
    return lists


def _sub_blocks(block: tuple[int, int], size: int) -> list[tuple[int, int]]:
    return [(lo + block[0], hi + block[0]) for lo, hi in chunk_ranges(block[1] - block[0], size)]


def _seeded_lists(bound: np.ndarray, keep: int) -> tuple[np.ndarray, np.ndarray]:
    """Best lists of placeholders (row -1) scoring just below ``bound``: a candidate equal to
    the bound still enters (it may win its tie by row); one below it never could."""
    floor = np.nextafter(bound.astype(np.float32), np.float32(-np.inf))
    scores = np.repeat(floor[:, None], keep, axis=1)
    return scores, np.full(scores.shape, -1, dtype=np.intp)


def ivf_knn_task(
    ray: Any,
    vectors: np.ndarray,
    k: int,
    metric: str = "cosine",
    seed: int = 0,
    threads: int | None = None,
    budget_s: float | None = None,
) -> Task[Neighbors | dict]:
    """Approximate kNN graph: the local IVF-SQ4 index, searched by shards on Ray actors. With
    ``budget_s``: the projection instead, when the search would cost more (ann.ivf_knn_task)."""
    from embexplorer.core.analysis.ann import _import_faiss, build_ivf_task, ivf_neighbors

    faiss = _import_faiss()
    plan = yield from build_ivf_task(vectors, k, metric, seed, budget_s=budget_s)
    if isinstance(plan, dict):
        return plan
    threads = task_threads(ray, threads or 1)
    index_ref = ray.put(faiss.serialize_index(plan.index))
    plan_ref = ray.put(_plan_without_index(plan))
    vectors_ref = ray.put(vectors)
    slots = max(1, int(ray.cluster_resources().get("CPU", 1)) // threads)
    # a search is a pure function of its shard: an actor lost with its node restarts and retries
    searcher = ray.remote(num_cpus=threads, max_restarts=2, max_task_retries=2)(_IvfSearcher)
    actors = [
        searcher.remote(index_ref, plan_ref, vectors_ref, metric, threads) for _ in range(slots)
    ]
    n = len(vectors)
    shards = chunk_ranges(n, SEARCH_SHARD)
    indices = np.empty((n, plan.k), dtype=np.int32)
    distances = np.empty((n, plan.k), dtype=np.float32)
    pending = {
        actors[i % len(actors)].search.remote(lo, hi): (lo, hi) for i, (lo, hi) in enumerate(shards)
    }
    done = 0
    while pending:
        [ready], _ = ray.wait(list(pending), num_returns=1)
        lo, hi = pending.pop(ready)
        indices[lo:hi], distances[lo:hi] = ray.get(ready)
        done += hi - lo
        yield Progress(0.15 + 0.85 * done / n, f"Approximate kNN on Ray: {done:,} of {n:,} rows")
    for actor in actors:
        ray.kill(actor)
    return ivf_neighbors(plan, vectors, indices, distances, metric)


def _plan_without_index(plan):
    import dataclasses

    return dataclasses.replace(plan, index=None)


class _IvfSearcher:
    """A Ray actor holding one copy of the index; searches shards of rows."""

    def __init__(self, index_bytes, plan, vectors, metric: str, threads: int):
        import dataclasses

        from embexplorer.core.analysis.ann import _import_faiss, inverse_norms

        faiss = _import_faiss()
        faiss.omp_set_num_threads(threads)  # not every core of the node: its share
        index = faiss.deserialize_index(np.asarray(index_bytes))
        index.nprobe = plan.nprobe
        self.plan = dataclasses.replace(plan, index=index)
        self.vectors, self.metric = vectors, metric
        self.inv_norms = inverse_norms(vectors) if metric == "cosine" else None

    def search(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        from embexplorer.core.analysis.ann import search_rows

        return search_rows(self.plan, self.vectors, lo, hi, self.metric, self.inv_norms)
