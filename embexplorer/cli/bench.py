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


def bench_bigmap(args: argparse.Namespace) -> None:
    """A synthetic analysed dataset of ``--rows`` opened in the window: each step's time."""
    import tempfile
    from pathlib import Path

    from embexplorer.benchmarks import bigmap

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="embx-bigmap-"))
    if not any(folder.glob("*.parquet")):
        start = time.perf_counter()
        files = bigmap.write_analysed_dataset(
            folder, args.rows, shards=max(1, args.rows // 1_000_000)
        )
        size = sum(f.stat().st_size for f in files) / 1e9
        print(
            f"bigmap: wrote {args.rows:,} rows in {len(files)} shards ({size:.2f} GB) "
            f"in {time.perf_counter() - start:.1f} s: {folder}"
        )
    shot = Path(args.screenshot) if args.screenshot else None
    f = bigmap.run(folder, steps=args.steps, shot=shot)
    print(f"bigmap: {f['rows']:,} rows in {folder}")
    print(
        f"  open to first painted map {f['open_s']:6.2f} s, "
        f"peak RSS {f['peak_rss_open_mb']:,.0f} MB"
        f" (before opening: {f['rss_before_mb']:,.0f} MB)"
    )
    print(
        f"  frame while panning: median {f['frame_median_ms']:.1f} ms, max "
        f"{f['frame_max_ms']:.1f} ms ({args.steps} frames; {f['detail']})"
    )
    print(
        f"  click a point → {f['neighbours_listed']} neighbours listed: "
        f"{f['click_s'] * 1000:.0f} ms"
    )
    print(
        f"  lasso {f['lasso_rows']:,} rows ({f['lasso_rows'] / f['rows']:.1%}): "
        f"{f['lasso_s'] * 1000:.0f} ms; tagged in {f['tag_s'] * 1000:.0f} ms; "
        f"streamed export to Parquet (with the tags): {f['export_s']:.2f} s"
    )
    print(f"  filter by one category: {f['filter_rows']:,} rows in {f['filter_s'] * 1000:.0f} ms")
    print(
        f"  peak RSS: {f['peak_rss_click_mb']:,.0f} MB after the click, "
        f"{f['peak_rss_export_mb']:,.0f} MB after the export, "
        f"{f['peak_rss_mb']:,.0f} MB over the whole run"
    )


def bench_cluster(args: argparse.Namespace) -> None:
    """The Ray engine beside the local one (needs the cluster extra)."""
    skip = {part.strip() for part in args.skip.split(",") if part.strip()}
    if "embed" not in skip:
        from embexplorer.benchmarks import cluster

        cluster.bench_embed(args.cluster_n, args.cluster_repeats)
    if "knn" not in skip:
        from embexplorer.benchmarks import cluster_knn

        print(f"cluster, exact kNN graph: {args.exact_n:,} × 384, k = 10, cosine, 2 CPUs")
        print(cluster_knn.format_rows(cluster_knn.knn_rows(n=args.exact_n)))


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


def bench_knn(args: argparse.Namespace) -> None:
    from embexplorer.benchmarks import knn

    def line(fig: dict, ref: float | None = None) -> str:
        ratio = "" if ref is None else f", {fig['seconds'] / ref:.2f}× the first"
        recall = f", recall@10 {fig['recall']:.3f}" if "recall" in fig else ""
        return (
            f"    {fig['name']:52s} {fig['seconds']:8.1f} s{recall}, peak extra "
            f"{fig['extra_mb']:6.0f} MB{ratio}"
        )

    print(
        f"knn: whole 10-NN graph, cosine, synthetic unit vectors ({knn.D} dims), "
        f"{os.cpu_count()} cores, each in its own process"
    )
    if args.only_reductions:
        _bench_reductions(args, knn)
        return
    if args.auto_sizes:
        _bench_auto_choice(args, knn)
        return
    if not args.skip_exact:
        _bench_exact(args, knn, line)
    n = args.approx_n
    runs = {
        "ours": "embexplorer approx (faiss IVF-SQ4 + exact re-rank)",
        "hnswlib": "hnswlib (M=16, ef_construction=100, ef=40)",
        "pynndescent": "pynndescent",
        "hnswlib-tuned": "hnswlib (M=32, ef_construction=200, ef=200)",
        "pynndescent-tuned": "pynndescent (n_neighbors=40)",
    }
    chosen = [r.strip() for r in args.approx_runs.split(",")] if args.approx_runs else list(runs)
    print(f"  approximate, {n:,} rows (build + query of every row):")
    for key in chosen:
        print(line(knn.measure(runs[key], n)))
    if not args.skip_reductions:
        _bench_reductions(args, knn)


def _bench_auto_choice(args: argparse.Namespace, knn) -> None:
    """``--knn auto`` against the exact and the approximate graph (issue 11: never more than
    10 % slower than the better), on clustered and on diffuse (GloVe-like) vectors, each run
    in its own process; above ``--auto-exact-max`` rows the exact graph is only projected. Then
    the low-dimension exact search against faiss's flat indexes."""
    sizes = [int(v) for v in args.auto_sizes.split(",") if v.strip()]
    dims = [int(v) for v in args.auto_dims.split(",") if v.strip()]
    print("  auto against both searches (seconds; * = projected, not run):")
    for family in args.auto_families.split(","):
        for n in sizes:
            for d in dims:
                if n <= args.auto_exact_max:
                    exact = knn.measure_choice("exact", family, n, d)["seconds"]
                    exact_txt = f"{exact:7.1f}"
                else:
                    exact = knn.measure_choice("projected", family, n, d)["projected_s"]
                    exact_txt = f"{exact:6.0f}*"
                approx = knn.measure_choice("approx", family, n, d)["seconds"]
                auto = knn.measure_choice("auto", family, n, d)
                best = min(exact, approx)
                why = auto["auto"] or {}
                print(
                    f"    {family:9s} {n:>9,} × {d:<3d} exact {exact_txt} | approx "
                    f"{approx:7.1f} | auto {auto['seconds']:7.1f} ({auto['chose']}), "
                    f"{auto['seconds'] / best:.2f}× the better (projected exact "
                    f"{why.get('exact_projected_s', 0):.1f} s, approx "
                    f"{why.get('approx_projected_s', float('nan')):.1f} s)"
                )
    if args.skip_low_dim:
        return
    n, d = args.low_dim_n, 50
    ours = knn.measure_choice("exact", "diffuse", n, d)["seconds"]
    print(f"  exact at low dimension, {n:,} × {d} (diffuse): embexplorer {ours:.1f} s")
    for method in ("faiss-ip", "faiss-l2"):
        fig = knn.measure_choice(method, "diffuse", n, d)
        print(
            f"    faiss {method[6:].upper()} flat: {fig['seconds']:.1f} s, "
            f"{fig['seconds'] / ours:.2f}× ours"
        )


def _bench_reductions(args: argparse.Namespace, knn) -> None:
    """Each reduction, exact and from candidates, at each size: time, peak memory, overlap of
    the candidate lists with the exact lists (every row), skewness after."""
    import tempfile

    from embexplorer.core.analysis.hub_reduction import exact_limit

    for n in [int(v) for v in args.reduction_sizes.split(",") if v.strip()]:
        with tempfile.TemporaryDirectory(prefix="embx-bench-") as folder:
            graph = knn.graph_figures(n, folder)
            recall = "" if graph["recall"] is None else f", recall {graph['recall']:.3f}"
            print(
                f"  hubness reductions, {n:,} rows × {knn.D}, k = {knn.K}, cosine; graph "
                f"{graph['method']}{recall} in {graph['seconds']:.1f} s, skewness "
                f"{graph['skewness']:.3f}:"
            )
            for method, variant in _chosen_reductions(args, knn):
                name = method + (f" ({variant})" if variant else "")
                for search in ("exact", "candidates"):
                    limit = args.reduction_exact_max
                    if variant == "empirical":  # N² pairs × 1,024 sample rows each
                        limit = min(limit, 4 * exact_limit(method, variant))
                    if search == "exact" and n > limit:
                        print(f"    {name:22s} exact      not run (N² work; limit {limit:,} rows)")
                        continue
                    fig = knn.reduction_figures(n, method, variant, search, folder)
                    print(_reduction_line(name, search, fig), flush=True)


def _chosen_reductions(args: argparse.Namespace, knn) -> list[tuple[str, str | None]]:
    if not args.reduction_methods:
        return list(knn.REDUCTIONS)
    wanted = {tuple(m.strip().split(":")) for m in args.reduction_methods.split(",")}
    return [(m, v) for m, v in knn.REDUCTIONS if (m,) in wanted or (m, v) in wanted]


def _reduction_line(name: str, search: str, fig: dict) -> str:
    if search == "exact":
        how = "every row"
    else:
        overlap = fig.get("overlap")
        whole = "n/a" if overlap is None else f"{overlap:.3f}"
        how = (
            f"{fig['candidates']} candidates, overlap with exact {whole} (all rows), "
            f"{fig['sample_overlap']:.3f} (its sample)"
        )
    return (
        f"    {name:22s} {search:10s} {fig['seconds']:8.1f} s, peak extra "
        f"{fig['extra_mb']:6.0f} MB, skewness after {fig['skewness']:.3f}; {how}"
    )


def _bench_exact(args: argparse.Namespace, knn, line) -> None:
    n = args.exact_n
    print(f"  exact, {n:,} rows:")
    ours = knn.measure("embexplorer exact (blocked, symmetric)", n)
    print(line(ours))
    fixed = knn.fixed_blas_env()
    faiss_fixed = knn.measure("faiss IndexFlatIP", n, fixed)
    faiss_fixed["name"] += f" ({fixed.get('OPENBLAS_CORETYPE', 'default')} kernels)"
    print(line(faiss_fixed))
    faiss_plain = knn.measure("faiss IndexFlatIP", n, {"OPENBLAS_CORETYPE": ""})
    faiss_plain["name"] += " (as installed)"
    print(line(faiss_plain))
    print(
        f"    ratio embexplorer / faiss: {ours['seconds'] / faiss_fixed['seconds']:.2f}× "
        f"(BLAS fixed), {ours['seconds'] / faiss_plain['seconds']:.2f}× (as installed)"
    )
    if not args.skip_sklearn:
        print(line(knn.measure("scikit-learn brute NearestNeighbors", n)))


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
        stall = plot.bench_analysis_stall(app, args.analysis_stall_n)
        print(
            f"GUI-thread stall during the whole analysis of {stall.rows:,} × 384 in the window "
            f"(open to last stage): longest gap between 5 ms ticks {stall.longest_ms:.0f} ms, "
            f"{stall.over_target} gaps over 50 ms, {stall.wall_s:.0f} s (target: ≤ 50 ms)"
        )
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
