"""Benchmarks of the comparison's work (``embexplorer bench compare``), each beside its reference.

Every configuration runs in a fresh process (knn.measure) on the same synthetic unit vectors, so
its wall time and peak memory beyond the vectors are its own:

- exact 10-NN of 1-bit codes (Hamming, popcount) vs faiss ``IndexBinaryFlat``;
- exact 10-NN on int8 codes (inner product on the de-quantised values) vs faiss
  ``IndexScalarQuantizer`` with 8-bit codes (``QT_8bit``, exhaustive);
- a whole stability sweep (5 truncations + int8 + binary, and the full-precision reference)
  vs one float exact 10-NN graph (cosine);
- the memory of a workspace holding A and its binary copy, with the binary copy's kNN graph
  (measured once the libraries and the compiled kernel are loaded; what they take is printed
  apart: it is code, the same at any N, not the workspace's data).
"""

from __future__ import annotations

import numpy as np

from embexplorer.benchmarks.knn import K, _reset_peak, _rss_mb, _status_mb, synthetic_vectors

SWEEP_DIMS = (32, 64, 128, 192, 256)


def _ours_binary(x):
    from embexplorer.core.analysis.hamming import hamming_knn_task
    from embexplorer.core.embedding.variants import binarize
    from embexplorer.core.tasks import run_task

    codes = binarize(x)
    return run_task(hamming_knn_task(codes.bits, K)).distances


def _faiss_binary(x):
    import faiss

    from embexplorer.core.embedding.variants import binarize

    bits = binarize(x).bits
    index = faiss.IndexBinaryFlat(x.shape[1])
    index.add(bits)
    distances, _ = index.search(bits, K + 1)
    return distances[:, 1:]


def _ours_int8(x):
    from embexplorer.core.analysis.neighbors import knn_graph_task
    from embexplorer.core.embedding.variants import quantize_int8
    from embexplorer.core.tasks import run_task

    codes = quantize_int8(x)
    return run_task(knn_graph_task(codes.rows(), K, "dot")).indices


def _faiss_int8(x):
    import faiss

    index = faiss.IndexScalarQuantizer(
        x.shape[1], faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    index.train(x)
    index.add(x)
    _, found = index.search(x, K + 1)
    return found[:, 1:]


def _ours_float(x):
    from embexplorer.core.analysis.neighbors import knn_graph_task
    from embexplorer.core.tasks import run_task

    return run_task(knn_graph_task(x, K, "cosine")).indices


def _ours_sweep(x):
    from embexplorer.core.analysis.compare import stability_task
    from embexplorer.core.tasks import run_task

    rows = run_task(stability_task(x, "cosine", K, SWEEP_DIMS, ("int8", "binary")))
    return {r.variant: (r.knn_seconds, r.recall, r.skewness) for r in rows}


def _workspace_with_binary(x):
    """A workspace holding A and its binary copy, and the binary copy's 10-NN graph."""
    from embexplorer.core.analysis.hamming import hamming_knn_task
    from embexplorer.core.corpus import Corpus
    from embexplorer.core.state.embedding_sources import derived_embedding_task
    from embexplorer.core.state.workspace import Workspace
    from embexplorer.core.tasks import run_task

    corpus = Corpus(ids=np.arange(len(x)), vectors=x)
    workspace = Workspace.of(corpus)
    binary = run_task(derived_embedding_task(workspace, workspace.active, "binary"))
    workspace = workspace.with_embedding(binary)
    graph = run_task(hamming_knn_task(binary.rows.codes.bits, K))
    return {
        "codes_mb": binary.rows.codes.bits.nbytes / 1e6,
        "graph_mb": (graph.indices.nbytes + graph.distances.nbytes) / 1e6,
    }


def _warm_workspace() -> None:
    """Load the libraries the workspace runner uses, and the compiled Hamming kernel, on a small
    corpus: what they take is the program's code (the same at any N), not the workspace's data,
    and is reported on its own line."""
    _workspace_with_binary(synthetic_vectors(6000))


RUNNERS = {
    "embexplorer binary exact (popcount, symmetric)": _ours_binary,
    "faiss IndexBinaryFlat": _faiss_binary,
    "embexplorer int8 exact (blocked, de-quantised per block)": _ours_int8,
    "faiss IndexScalarQuantizer QT_8bit": _faiss_int8,
    "embexplorer float32 exact (cosine)": _ours_float,
    "embexplorer stability sweep (5 dims + int8 + binary)": _ours_sweep,
    "workspace: A + its binary copy + its graph": _workspace_with_binary,
}
#: Warm-ups run in the child before the baseline is taken (see _warm_workspace).
WARMUPS = {"workspace: A + its binary copy + its graph": _warm_workspace}


def _child(name: str, n: int, env: dict[str, str]) -> dict:
    import os
    import time

    os.environ.update(env)
    x = synthetic_vectors(n)
    vectors_mb = x.nbytes / 1e6
    before_warmup = _rss_mb()
    if name in WARMUPS:
        WARMUPS[name]()
        _trim_heap()
    _reset_peak()
    baseline = _rss_mb()
    start = time.perf_counter()
    result = RUNNERS[name](x)
    seconds = time.perf_counter() - start
    peak = _status_mb("VmHWM")
    out = {
        "name": name,
        "n": n,
        "seconds": seconds,
        "extra_mb": max(0.0, peak - baseline),
        "vectors_mb": vectors_mb,
        "libraries_mb": baseline - before_warmup,
    }
    if isinstance(result, dict):
        out["details"] = result
    else:  # the lists or distances, to check ours against the reference
        out["array"] = np.asarray(result)
    return out


def _trim_heap() -> None:
    """Give the memory the warm-up freed back to the system (glibc keeps it for reuse
    otherwise, and the run would then seem to need less than it does)."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if name:
        ctypes.CDLL(name).malloc_trim(0)


def measure(name: str, n: int, env: dict[str, str] | None = None) -> dict:
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(_child, (name, n, env or {}))
