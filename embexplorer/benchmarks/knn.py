"""kNN, hubness and reduction benchmarks (``embexplorer bench knn``).

Every configuration runs in a fresh process on the same synthetic data (clustered unit vectors,
seeded), so its wall time and its peak memory beyond the vectors are its own.

- exact: the whole 10-NN graph (cosine) with our blocked search, faiss ``IndexFlatIP`` (as
  installed, and with its OpenBLAS told the CPU's kernel family) and scikit-learn's brute
  ``NearestNeighbors``.
- approximate: the whole graph with our faiss IVF-SQ4 path, hnswlib and pynndescent; recall@10
  of each against exact search on the same 1,000 random rows.
- hubness reductions (``reduction_figures``): each method, exact (re-ranked over every row)
  and from candidates, on the graph the app would use (exact up to 30,000 rows, else faiss
  IVF): time, peak memory, overlap of the candidate lists with the exact ones (every row),
  skewness after.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable

import numpy as np

from embexplorer.core.analysis.reduction_comparison import TABLE_METHODS

K = 10
D = 384


def synthetic_vectors(n: int, d: int = D, seed: int = 0) -> np.ndarray:
    """Unit vectors around 1,000 random centres (embedding-like, with real neighbourhoods)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(1000, d)).astype(np.float32)
    out = np.empty((n, d), dtype=np.float32)
    for lo in range(0, n, 65536):
        hi = min(lo + 65536, n)
        block = centres[rng.integers(0, 1000, hi - lo)] + 0.8 * rng.normal(
            size=(hi - lo, d)
        ).astype(np.float32)
        out[lo:hi] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def diffuse_vectors(n: int, d: int = D, seed: int = 0) -> np.ndarray:
    """GloVe-like vectors: a decaying spectrum (variance ∝ 1/i), rotated, with 50 weak
    centres: no tight clusters, so an IVF index must visit many lists (256 of 1,264 at
    100k × 50 for 98 % of the neighbours, against 1–2 on ``synthetic_vectors``)."""
    rng = np.random.default_rng(seed)
    scale = (np.arange(1, d + 1) ** -0.5).astype(np.float32)
    rotation = np.linalg.qr(rng.normal(size=(d, d)))[0].astype(np.float32)
    centres = rng.normal(size=(50, d)).astype(np.float32) * scale
    out = np.empty((n, d), dtype=np.float32)
    for lo in range(0, n, 65536):
        hi = min(lo + 65536, n)
        block = rng.normal(size=(hi - lo, d)).astype(np.float32) * scale
        block += 0.5 * centres[rng.integers(0, 50, hi - lo)]
        out[lo:hi] = block @ rotation
    return out


FAMILIES = {"clustered": synthetic_vectors, "diffuse": diffuse_vectors}


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def _rss_mb() -> float:
    return _status_mb("VmRSS")


def _reset_peak() -> None:
    """Reset the kernel's high-water mark (VmHWM), so the peak excludes the data generation."""
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def _truth(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
    from embexplorer.core.analysis.neighbors import ExactIndex

    return ExactIndex(x, "cosine").query(x[rows], K, exclude=rows).indices


def _recall(indices: np.ndarray, truth: np.ndarray, rows: np.ndarray) -> float:
    return float((indices[rows][:, :, None] == truth[:, None, :]).any(axis=2).mean())


def _ours_exact(x):
    from embexplorer.core.analysis.neighbors import knn_graph_task
    from embexplorer.core.tasks import run_task

    return run_task(knn_graph_task(x, K, "cosine")).indices


def _faiss_flat(x):
    import faiss

    faiss.omp_set_num_threads(os.cpu_count() or 1)
    index = faiss.IndexFlatIP(x.shape[1])
    index.add(x)
    _, found = index.search(x, K + 1)
    return found[:, 1:]


def _sklearn_brute(x):
    from sklearn.neighbors import NearestNeighbors

    # n_jobs stays None: the brute force is BLAS (threaded), and a pool worker cannot fork
    return (
        NearestNeighbors(n_neighbors=K, metric="cosine", algorithm="brute")
        .fit(x)
        .kneighbors(return_distance=False)
    )


def _ours_approx(x):
    from embexplorer.core.analysis.ann import ivf_knn_task
    from embexplorer.core.tasks import run_task

    return run_task(ivf_knn_task(x, K, "cosine")).indices


def _hnswlib(x, m: int = 16, ef_construction: int = 100, ef: int = 40):
    import hnswlib

    index = hnswlib.Index(space="ip", dim=x.shape[1])
    index.init_index(max_elements=len(x), ef_construction=ef_construction, M=m)
    index.set_num_threads(os.cpu_count() or 1)
    index.add_items(x)
    index.set_ef(ef)
    found, _ = index.knn_query(x, k=K + 1)
    return found[:, 1:]


def _hnswlib_tuned(x):
    """hnswlib with a denser graph and a wider search, for recall ≥ 0.95 on hard data."""
    return _hnswlib(x, m=32, ef_construction=200, ef=200)


def _pynndescent(x, n_neighbors: int = K + 1):
    import pynndescent

    index = pynndescent.NNDescent(
        x, metric="cosine", n_neighbors=n_neighbors, random_state=0, n_jobs=-1, low_memory=True
    )
    found, _ = index.neighbor_graph
    return found[:, 1 : K + 1]


def _pynndescent_tuned(x):
    """pynndescent building a 40-NN graph (more candidates per round), keeping the first 10."""
    return _pynndescent(x, n_neighbors=40)


RUNNERS: dict[str, Callable] = {
    "embexplorer exact (blocked, symmetric)": _ours_exact,
    "faiss IndexFlatIP": _faiss_flat,
    "scikit-learn brute NearestNeighbors": _sklearn_brute,
    "embexplorer approx (faiss IVF-SQ4 + exact re-rank)": _ours_approx,
    "hnswlib (M=16, ef_construction=100, ef=40)": _hnswlib,
    "pynndescent": _pynndescent,
    "hnswlib (M=32, ef_construction=200, ef=200)": _hnswlib_tuned,
    "pynndescent (n_neighbors=40)": _pynndescent_tuned,
}


def _child(name: str, n: int, env: dict[str, str]) -> dict:
    os.environ.update(env)
    x = synthetic_vectors(n)
    rows = np.sort(np.random.default_rng(1).choice(n, 1000, replace=False))
    _reset_peak()
    baseline = _rss_mb()
    start = time.perf_counter()
    result = RUNNERS[name](x)
    seconds = time.perf_counter() - start
    peak = _status_mb("VmHWM")
    out = {"name": name, "n": n, "seconds": seconds, "extra_mb": max(0.0, peak - baseline)}
    if isinstance(result, dict):
        out["stages"] = result
    else:
        out["recall"] = _recall(np.asarray(result), _truth(x, rows), rows)
    return out


def measure(name: str, n: int, env: dict[str, str] | None = None) -> dict:
    """One configuration in a fresh process (spawned, so environment changes apply to it)."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(_child, (name, n, env or {}))


def fixed_blas_env() -> dict[str, str]:
    """OPENBLAS_CORETYPE for this CPU (what core.ann sets before importing faiss)."""
    try:
        with open("/proc/cpuinfo") as fh:
            flags = fh.read().split("flags")[1].split("\n")[0].split()
    except (OSError, IndexError):
        return {}
    if "avx512f" in flags:
        return {"OPENBLAS_CORETYPE": "SkylakeX"}
    return {"OPENBLAS_CORETYPE": "Haswell"} if "avx2" in flags else {}


#: The reductions benchmarked, as (method, variant): those of the window's comparison table.
REDUCTIONS = TABLE_METHODS


def _graph_child(n: int, folder: str) -> dict:
    """The candidate graph of ``synthetic_vectors(n)`` (as the app builds it), saved."""
    from embexplorer.core.analysis.ann import knn_task
    from embexplorer.core.analysis.hubness import hubness
    from embexplorer.core.analysis.stages import candidate_count
    from embexplorer.core.tasks import run_task

    x = synthetic_vectors(n)
    start = time.perf_counter()
    graph = run_task(knn_task(x, candidate_count(K, n), "cosine", "auto"))
    seconds = time.perf_counter() - start
    np.savez(
        os.path.join(folder, f"graph-{n}.npz"), indices=graph.indices, distances=graph.distances
    )
    return {
        "seconds": seconds,
        "method": graph.method,
        "recall": graph.recall,
        "skewness": hubness(graph.indices[:, :K], n).skewness,
    }


def _reduction_child(method: str, variant: str | None, search: str, n: int, folder: str) -> dict:
    from embexplorer.core.analysis.hub_reduction import list_overlap, reduce_hubness_task
    from embexplorer.core.analysis.hubness import hubness
    from embexplorer.core.analysis.neighbors import Neighbors
    from embexplorer.core.tasks import run_task

    x = synthetic_vectors(n)
    with np.load(os.path.join(folder, f"graph-{n}.npz")) as saved:
        graph = Neighbors(saved["indices"], saved["distances"], "cosine", "exact")
    _reset_peak()
    baseline = _rss_mb()
    start = time.perf_counter()
    task = reduce_hubness_task(x, graph, K, method, variant=variant, search=search)
    reduced = run_task(task)
    out = {
        "seconds": time.perf_counter() - start,
        "extra_mb": max(0.0, _status_mb("VmHWM") - baseline),
        "skewness": hubness(reduced.indices, n).skewness,
        "candidates": reduced.params["candidates"],
        "sample_overlap": reduced.params["overlap"],
    }
    exact_file = os.path.join(folder, f"exact-{n}-{method}-{variant}.npy")
    if search == "exact":
        np.save(exact_file, reduced.indices)
    elif os.path.exists(exact_file):
        out["overlap"] = list_overlap(reduced.indices, np.load(exact_file))
    return out


def reduction_figures(n: int, method: str, variant: str | None, search: str, folder: str):
    """One reduction's figures, in a fresh process (exact before candidates: the candidates'
    overlap over every row is measured against the exact run's saved lists)."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(_reduction_child, (method, variant, search, n, folder))


def graph_figures(n: int, folder: str) -> dict:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(_graph_child, (n, folder))


def _choice_child(method: str, family: str, n: int, d: int) -> dict:
    """One search of the cosine 10-NN graph (``exact``, ``approx``, ``auto``, ``projected``:
    the exact graph's projected cost only, ``faiss-ip`` / ``faiss-l2``: faiss's flat indexes)
    on ``n`` × ``d`` vectors of a family, timed."""
    from embexplorer.core.analysis.ann import _import_faiss, knn_task
    from embexplorer.core.analysis.knn_cost import exact_graph_cost
    from embexplorer.core.tasks import run_task

    x = FAMILIES[family](n, d)
    start = time.perf_counter()
    out: dict = {"method": method, "family": family, "n": n, "d": d}
    if method == "projected":
        out["projected_s"] = exact_graph_cost(x, "cosine")
    elif method.startswith("faiss"):
        faiss = _import_faiss()
        if method == "faiss-ip":
            index = faiss.IndexFlatIP(d)
            x /= np.linalg.norm(x, axis=1, keepdims=True)
        else:
            index = faiss.IndexFlatL2(d)
        index.add(x)
        index.search(x, K + 1)
    else:
        graph = run_task(knn_task(x, K, "cosine", method))
        out["chose"] = graph.method
        out["auto"] = graph.params.get("auto")
    out["seconds"] = time.perf_counter() - start
    return out


def measure_choice(method: str, family: str, n: int, d: int) -> dict:
    """:func:`_choice_child` in a fresh process."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(_choice_child, (method, family, n, d))
