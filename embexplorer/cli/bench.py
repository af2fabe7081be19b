"""``embexplorer bench [plot|encoder|all]``: figures beside their references, in one run.

plot: pushing data to the map and rendering frames while panning at 10k / 100k / 1M points
(with the density layer off, then on; on at 1M: target ≤ 80 ms a frame),
beside a plain pyqtgraph ScatterPlotItem; the longest GUI-thread stall while a PCA of
100k × 384 runs on the worker.
encoder: texts/s and peak memory of the encoder beside a plain onnxruntime loop, for short
sentences and ~100-token paragraphs; the time to embed the whole demo corpus.
bigmap (only when named): a synthetic analysed dataset of --rows rows written to --dir (unless
it holds one), then opened in the window: time to the first painted map and peak memory, frames
while panning, a click's stored neighbours, a lasso of 1 %, tagging it, its streamed export, a
category filter.
cluster (only when named; the cluster extra): the Ray engine beside the local one: embed of
20,000 texts at the same parallelism, the exact kNN graph of 100,000 × 384.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Sequence

import numpy as np

from embexplorer.cli.bench_knn import bench_knn
from embexplorer.cli.bench_scale import bench_bigmap, bench_cluster


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="embexplorer bench",
        allow_abbrev=False,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "what",
        nargs="?",
        choices=["plot", "encoder", "knn", "export", "compare", "bigmap", "cluster", "all"],
        default="all",
    )
    p.add_argument("--binary-n", type=int, default=1_000_000, help="compare: rows of 1-bit codes")
    p.add_argument("--int8-n", type=int, default=100_000, help="compare: rows of int8 codes")
    p.add_argument(
        "--sweep-n", type=int, default=100_000, help="compare: rows for the stability sweep"
    )
    p.add_argument(
        "--memory-n", type=int, default=1_000_000, help="compare: rows for the memory check"
    )
    p.add_argument(
        "--skip",
        default="",
        metavar="PARTS",
        help="compare: comma-separated parts to skip (binary, int8, sweep, memory); "
        "cluster: embed, knn",
    )
    p.add_argument(
        "--cluster-n", type=int, default=20_000, help="cluster: texts to embed (default 20000)"
    )
    p.add_argument(
        "--cluster-repeats", type=int, default=1, help="cluster: runs per embed configuration"
    )
    p.add_argument("--export-n", type=int, default=100_000, help="export: rows to write")
    p.add_argument("--exact-n", type=int, default=100_000, help="knn: rows for the exact graph")
    p.add_argument(
        "--auto-sizes",
        metavar="N,N",
        help="knn: only the auto choice against both searches at these row counts "
        "(e.g. 20000,100000,1000000), then exact at low dimension against faiss",
    )
    p.add_argument("--auto-dims", default="50,384", help="knn: dimensions for --auto-sizes")
    p.add_argument(
        "--auto-families",
        default="clustered,diffuse",
        help="knn: data for --auto-sizes: clustered (embedding-like) and/or diffuse (GloVe-like)",
    )
    p.add_argument(
        "--skip-low-dim", action="store_true", help="knn: skip the faiss comparison at 50 dims"
    )
    p.add_argument(
        "--auto-exact-max",
        type=int,
        default=200_000,
        help="knn: above this many rows the exact graph is projected, not run",
    )
    p.add_argument(
        "--auto-approx-max",
        type=int,
        default=None,
        help="knn: above this many rows the approximate graph is not run apart: auto's own run "
        "(when it chose it) or its projection stands for it",
    )
    p.add_argument(
        "--auto-repeats",
        type=int,
        default=1,
        help="knn: runs of each search for --auto-sizes (their median is shown)",
    )
    p.add_argument(
        "--low-dim-n",
        type=int,
        default=100_000,
        help="knn: rows for the faiss comparison at 50 dims",
    )
    p.add_argument(
        "--approx-n",
        type=int,
        default=1_000_000,
        help="knn: rows for the approximate graph and the reductions",
    )
    p.add_argument("--skip-exact", action="store_true", help="knn: skip the exact section")
    p.add_argument(
        "--skip-reductions", action="store_true", help="knn: skip hubness and reductions"
    )
    p.add_argument(
        "--only-reductions", action="store_true", help="knn: only hubness and reductions"
    )
    p.add_argument(
        "--reduction-sizes",
        default="20000,100000",
        metavar="N,N",
        help="knn: rows for the hubness reductions (each exact and from candidates)",
    )
    p.add_argument(
        "--reduction-methods",
        metavar="M[:V],…",
        help="knn: only these reductions, e.g. mp:empirical,csls (default: all)",
    )
    p.add_argument(
        "--reduction-exact-max",
        type=int,
        default=100_000,
        help="knn: largest size at which the reductions also run exact (N² work)",
    )
    p.add_argument(
        "--approx-runs",
        metavar="NAMES",
        help="knn: comma-separated subset of the approximate runs (ours, hnswlib, "
        "pynndescent, hnswlib-tuned, pynndescent-tuned)",
    )
    p.add_argument(
        "--skip-sklearn", action="store_true", help="knn: skip scikit-learn's brute force (slowest)"
    )
    p.add_argument(
        "--sizes",
        default="10000,100000,1000000",
        help="plot: comma-separated numbers of points (default 10000,100000,1000000)",
    )
    p.add_argument("--steps", type=int, default=20, help="plot: frames per pan measurement")
    p.add_argument("--no-reference", action="store_true", help="plot: skip the reference")
    p.add_argument("--no-stall", action="store_true", help="plot: skip the PCA stall check")
    p.add_argument(
        "--analysis-stall-n",
        type=int,
        default=200_000,
        metavar="N",
        help="plot: rows of the whole-analysis stall check in the main window (0: skip)",
    )
    p.add_argument(
        "--profile-stall",
        action="store_true",
        help="plot: print the GUI thread's profile of the whole-analysis stall check",
    )
    p.add_argument(
        "--onscreen",
        action="store_true",
        help="plot: render on the current display, not Qt's offscreen platform",
    )
    p.add_argument("--rows", type=int, default=10_000_000, help="bigmap: rows of the dataset")
    p.add_argument(
        "--dir", help="bigmap: the dataset's folder (written when it holds no dataset yet)"
    )
    p.add_argument("--screenshot", help="bigmap: save the window with the map here (PNG)")
    p.add_argument("--repeats", type=int, default=3, help="encoder: runs per configuration")
    p.add_argument(
        "--quick",
        action="store_true",
        help="encoder: 100 texts per workload, one repeat, no full demo corpus",
    )
    return p


def main(argv: Sequence[str]) -> int:
    args = parser().parse_args(argv)
    if args.what in ("plot", "all"):
        bench_plot(args)
    if args.what in ("encoder", "all"):
        bench_encoder(args)
    if args.what in ("knn", "all"):
        bench_knn(args)
    if args.what in ("export", "all"):
        bench_export(args)
    if args.what in ("compare", "all"):
        bench_compare(args)
    if args.what == "bigmap":  # writes ~1.5 GB at 10M rows: only when asked for
        bench_bigmap(args)
    if args.what == "cluster":  # needs Ray (the cluster extra); ~30 min: only when asked for
        bench_cluster(args)
    return 0


def bench_compare(args: argparse.Namespace) -> None:
    from embexplorer.benchmarks import compare
    from embexplorer.benchmarks.knn import fixed_blas_env

    env = fixed_blas_env()
    skip = {part.strip() for part in args.skip.split(",") if part.strip()}
    print(
        "compare: synthetic unit vectors (384 dims), k = 10, "
        f"{os.cpu_count()} cores, each run in its own process"
    )

    def pair(title: str, ours: str, theirs: str, n: int, same) -> None:
        a, b = compare.measure(ours, n, env), compare.measure(theirs, n, env)
        print(f"  {title}, {n:,} rows:")
        for fig in (a, b):
            seconds, extra = fig["seconds"], fig["extra_mb"]
            print(f"    {fig['name']:58s} {seconds:8.1f} s, peak extra {extra:6.0f} MB")
        ratio = a["seconds"] / b["seconds"]
        print(f"    ratio {ratio:.2f}× the reference; {same(a['array'], b['array'])}")

    if "binary" not in skip:
        pair(
            "exact 10-NN of 1-bit codes (Hamming)",
            "embexplorer binary exact (popcount, symmetric)",
            "faiss IndexBinaryFlat",
            args.binary_n,
            _same_distances,
        )
    if "int8" not in skip:
        pair(
            "exact 10-NN on int8 codes (inner product of the de-quantised values)",
            "embexplorer int8 exact (blocked, de-quantised per block)",
            "faiss IndexScalarQuantizer QT_8bit",
            args.int8_n,
            _lists_agree,
        )
    if "sweep" not in skip:
        _bench_sweep(compare, args.sweep_n, env)
    if "memory" not in skip:
        _bench_workspace_memory(compare, args.memory_n, env)


def _same_distances(a: np.ndarray, b: np.ndarray) -> str:
    if np.array_equal(a, b):
        return "identical distances"
    return f"distances differ in {(a != b).any(axis=1).mean():.2%} of rows"


def _lists_agree(a: np.ndarray, b: np.ndarray) -> str:
    agree = (a[:, :, None] == b[:, None, :]).any(axis=2).mean()
    return f"the lists agree on {agree:.4f} of the neighbours"


def _bench_sweep(compare, n: int, env: dict[str, str]) -> None:
    one = compare.measure("embexplorer float32 exact (cosine)", n, env)
    sweep = compare.measure("embexplorer stability sweep (5 dims + int8 + binary)", n, env)
    ratio = sweep["seconds"] / one["seconds"]
    print(f"  stability sweep, {n:,} rows:")
    print(f"    one float32 exact 10-NN graph {one['seconds']:8.1f} s")
    print(
        f"    whole sweep                   {sweep['seconds']:8.1f} s ({ratio:.2f}× one graph), "
        f"peak extra {sweep['extra_mb']:.0f} MB"
    )
    for variant, (seconds, recall, skewness) in sweep["details"].items():
        print(
            f"      {variant:14s} {seconds:7.1f} s  recall@10 {recall:.3f}  skewness {skewness:.2f}"
        )


def _bench_workspace_memory(compare, n: int, env: dict[str, str]) -> None:
    fig = compare.measure("workspace: A + its binary copy + its graph", n, env)
    d, vectors, extra = fig["details"], fig["vectors_mb"], fig["extra_mb"]
    other = extra - d["codes_mb"] - d["graph_mb"]
    budget = 0.10 * vectors + d["graph_mb"]
    verdict = "within" if extra <= budget else "OVER"
    print(f"  memory of a workspace holding A and its binary copy, {n:,} rows:")
    print(
        f"    vectors {vectors:.0f} MB; peak beyond them {extra:.0f} MB = codes "
        f"{d['codes_mb']:.0f} MB ({d['codes_mb'] / vectors:.1%} of the vectors) + graph "
        f"{d['graph_mb']:.0f} MB + {other:.0f} MB other; {fig['seconds']:.1f} s"
    )
    print(
        f"    budget (10 % of the vectors for the codes + the graph) {budget:.0f} MB: {verdict}; "
        f"the libraries and compiled kernel, loaded first, took {fig['libraries_mb']:.0f} MB"
    )


def bench_export(args: argparse.Namespace) -> None:
    from embexplorer.benchmarks import export

    print(
        f"export: {args.export_n:,} rows (id, topic, score, a 12-word text, 384-dim vectors); "
        "written, then read back"
    )
    for fmt, write_s, size_mb, read_s, same in export.run(args.export_n):
        print(
            f"    {fmt:10s} write {write_s:6.2f} s  {size_mb:8.1f} MB  read back {read_s:6.2f} s"
            f"  vectors identical: {'yes' if same else 'NO'}"
        )


def bench_plot(args: argparse.Namespace) -> None:
    if not args.onscreen:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    from embexplorer.benchmarks import plot

    app = QApplication.instance() or QApplication(["embexplorer-bench"])
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    print(
        f"plot, {plot.VIEW_SIZE[0]}×{plot.VIEW_SIZE[1]}, platform {app.platformName()}; "
        f"pan = {args.steps} frames"
    )
    for n in sizes:
        coords, labels = plot.synthetic_points(n)
        ours = plot.bench_scatter_view(app, coords, labels, args.steps)
        print(
            f"N={n:>9,} embexplorer: {plot.summarize(ours)} "
            f"(index on worker {ours.index_s * 1000:.0f} ms)"
        )
        dense = plot.bench_scatter_view(app, coords, labels, args.steps, density=True)
        target = " (target: frame ≤ 80 ms)" if n >= 1_000_000 else ""
        print(f"N={n:>9,} with density: {plot.summarize(dense)}{target}")
        if not args.no_reference:
            steps = args.steps if n <= 200_000 else max(4, args.steps // 4)
            ref = plot.bench_reference(app, coords, labels, steps)
            ratio = statistics.median(ref.frame_ms) / statistics.median(ours.frame_ms)
            print(f"N={n:>9,} reference:   {plot.summarize(ref)}")
            print(f"             frame median ratio reference / embexplorer = {ratio:.1f}×")
    for n in (20_000, 90_000):  # all markers of a small map; the most markers a zoom shows
        figures = plot.bench_marker_sets(app, n)
        (ours_set, ours_paint), (ref_set, ref_paint) = figures["embexplorer"], figures["pyqtgraph"]
        print(
            f"markers N={n:>7,}: set {ours_set:6.1f} ms + paint {ours_paint:5.1f} ms "
            f"(pyqtgraph ScatterPlotItem {ref_set:6.1f} + {ref_paint:5.1f} ms), "
            f"{(ref_set + ref_paint) / (ours_set + ours_paint):.1f}× faster"
        )
    if args.analysis_stall_n:
        stall = plot.bench_analysis_stall(app, args.analysis_stall_n, profile=args.profile_stall)
        print(
            f"GUI-thread stall during the whole analysis of {stall.rows:,} × 384 in the window "
            f"(open to last stage): longest gap between 5 ms ticks {stall.longest_ms:.0f} ms, "
            f"{stall.over_target} gaps over 50 ms, {stall.wall_s:.0f} s (target: ≤ 50 ms)"
        )
        for gap, said in stall.long_gaps:
            print(f"  gap {gap:5.0f} ms while: {said}")
        if args.profile_stall:
            print(stall.profile)
    if not args.no_stall:
        stall_ms, wall_s = plot.bench_pca_stall(app)
        print(
            f"GUI-thread stall while PCA 100,000 × 384 runs on the worker: longest gap "
            f"between 5 ms ticks {stall_ms:.0f} ms (PCA + index took {wall_s:.2f} s)"
        )


def bench_encoder(args: argparse.Namespace) -> None:
    from embexplorer.benchmarks import encoder

    repeats = 1 if args.quick else args.repeats
    print(
        f"encoder: all-MiniLM-L6-v2 int8 on CPU ({os.cpu_count()} cores); median of "
        f"{repeats} runs, each configuration in its own process"
    )
    for name, texts in encoder.workloads().items():
        texts = texts[:100] if args.quick else texts
        ref, ref_vectors = encoder.measure("reference", texts, repeats)
        ours, our_vectors = encoder.measure("ours", texts, repeats)
        same = float(((ref_vectors * our_vectors).sum(axis=1)).min())
        print(f"  {name}, {len(texts)} texts:")
        for fig in (ref, ours):
            print(f"    {fig.name:48s} {fig.texts_per_s:7.1f} texts/s, peak {fig.peak_mb:5.0f} MB")
        print(
            f"    ratio embexplorer / reference = {ours.texts_per_s / ref.texts_per_s:.2f}×; "
            f"same vectors (min cosine {same:.6f})"
        )
    if not args.quick:
        from embexplorer.core.embedding.encoder import TextEncoder, default_config
        from embexplorer.core.io import read_corpus
        from embexplorer.core.resources import demo_corpus_path

        texts = list(read_corpus(demo_corpus_path()).texts)
        enc = TextEncoder(default_config())
        start = time.perf_counter()
        enc.encode(texts)
        seconds = time.perf_counter() - start
        print(
            f"  whole demo corpus: {len(texts):,} texts in {seconds:.1f} s "
            f"({len(texts) / seconds:.1f} texts/s)"
        )
