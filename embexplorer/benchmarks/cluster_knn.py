"""The distributed exact kNN graph against the local one (the kNN half of ``embexplorer bench
cluster``; issue 13's target: the Ray engine within 1.3× of the local engine on this machine).

Each side runs in a fresh process on the same synthetic vectors (``benchmarks.knn``'s
clustered unit vectors): the local blocked search (``neighbors.knn_graph_task``, BLAS on
every core), and the Ray engine (``engine.knn.exact_knn_task``) on a local cluster of
``num_cpus`` CPUs, whose start is timed apart (a cluster is started once, not per graph).
Peak driver memory is the process's high-water mark beyond the vectors (VmHWM, which counts
the object store's pages the driver wrote, ``ray.put`` of the vectors included). Both graphs'
digests are compared: the rows say whether they are identical.

Run: ``python -m embexplorer.benchmarks.cluster_knn [N]``.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import sys
import time

import numpy as np

from embexplorer.benchmarks.knn import _reset_peak, _rss_mb, _status_mb, synthetic_vectors


def knn_rows(n: int = 100_000, dim: int = 384, k: int = 10, num_cpus: int = 2) -> list[dict]:
    """Rows for a side-by-side table: the local exact graph, the Ray one, and their ratio."""
    local = _in_fresh_process(_local_child, n, dim, k, num_cpus)
    remote = _in_fresh_process(_ray_child, n, dim, k, num_cpus)
    identical = local.pop("digest") == remote.pop("digest")
    ratio = {
        "engine": "ray ÷ local",
        "rows": n,
        "dims": dim,
        "k": k,
        "seconds": round(remote["seconds"] / local["seconds"], 3),
        "identical": identical,
        "target": "≤ 1.3",
    }
    return [local, remote, ratio]


def _in_fresh_process(child, *args) -> dict:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(child, args)


def _digest(indices: np.ndarray, distances: np.ndarray) -> str:
    h = hashlib.sha256(np.ascontiguousarray(indices, dtype=np.int64).tobytes())
    h.update(np.ascontiguousarray(distances, dtype=np.float32).tobytes())
    return h.hexdigest()


def _local_child(n: int, dim: int, k: int, num_cpus: int) -> dict:
    from threadpoolctl import threadpool_limits

    from embexplorer.core.analysis.neighbors import knn_graph_task
    from embexplorer.core.tasks import run_task

    x = synthetic_vectors(n, dim)
    _reset_peak()
    baseline = _rss_mb()
    with threadpool_limits(num_cpus, user_api="blas"):
        start = time.perf_counter()
        graph = run_task(knn_graph_task(x, k, "cosine"))
        seconds = time.perf_counter() - start
    return {
        "engine": f"local ({num_cpus} BLAS threads)",
        "rows": n,
        "dims": dim,
        "k": k,
        "seconds": round(seconds, 2),
        "peak_driver_mb": round(max(0.0, _status_mb("VmHWM") - baseline), 1),
        "digest": _digest(graph.indices, graph.distances),
    }


def _ray_child(n: int, dim: int, k: int, num_cpus: int) -> dict:
    import ray
    from threadpoolctl import threadpool_limits

    from embexplorer.core.tasks import run_task
    from embexplorer.engine.knn import exact_knn_task

    x = synthetic_vectors(n, dim)
    start = time.perf_counter()
    ray.init(
        num_cpus=num_cpus, include_dashboard=False, log_to_driver=False, configure_logging=False
    )
    startup = time.perf_counter() - start
    try:
        ray.get(ray.remote(lambda: None).remote())  # one worker up, as a running cluster has
        _reset_peak()
        baseline = _rss_mb()
        stats: dict = {}
        with threadpool_limits(num_cpus, user_api="blas"):
            start = time.perf_counter()
            graph = run_task(exact_knn_task(ray, x, k, "cosine", stats=stats))
            seconds = time.perf_counter() - start
        peak = _status_mb("VmHWM") - baseline
    finally:
        ray.shutdown()
    return {
        "engine": f"ray ({num_cpus} CPUs)",
        "rows": n,
        "dims": dim,
        "k": k,
        "seconds": round(seconds, 2),
        "startup_s": round(startup, 2),
        "peak_driver_mb": round(max(0.0, peak), 1),
        "tasks": f"{stats['tasks']} of {stats['task_rows']}² rows, {stats['threads']} threads",
        "task_s": round(seconds * stats["slots"] / stats["tasks"], 3),
        "driver_merge_s": round(stats["driver_merge_s"], 2),
        "digest": _digest(graph.indices, graph.distances),
    }


def format_rows(rows: list[dict]) -> str:
    keys = list(dict.fromkeys(key for row in rows for key in row))
    widths = {key: max(len(key), *(len(str(row.get(key, ""))) for row in rows)) for key in keys}
    lines = ["  ".join(key.ljust(widths[key]) for key in keys)]
    lines += ["  ".join(str(row.get(key, "")).ljust(widths[key]) for key in keys) for row in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    print(format_rows(knn_rows(n=size)))
