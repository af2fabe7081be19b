"""``embexplorer bench knn``: exact and approximate kNN graphs, ``--knn auto`` against both, the
hubness reductions (each in its own process; embexplorer.benchmarks.knn)."""

from __future__ import annotations

import argparse
import os


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
    repeats = max(1, args.auto_repeats)
    print(f"  auto against both searches (seconds, median of {repeats}; * = projected, not run):")
    for family in args.auto_families.split(","):
        for n in sizes:
            for d in dims:
                auto = _median_run(knn, "auto", family, n, d, repeats)
                why = auto["auto"] or {}
                if n <= args.auto_exact_max:
                    exact = _median_run(knn, "exact", family, n, d, repeats)["seconds"]
                    exact_txt = f"{exact:7.1f} "
                elif auto["chose"] == "exact":  # auto's own exact run, less its deciding
                    exact = auto["seconds"] - why.get("deciding_s", 0.0)
                    exact_txt = f"{exact:7.1f}a"
                else:
                    exact = why.get("exact_projected_s")
                    if exact is None:
                        exact = knn.measure_choice("projected", family, n, d)["projected_s"]
                    exact_txt = f"{exact:7.0f}*"
                if args.auto_approx_max is None or n <= args.auto_approx_max:
                    approx = _median_run(knn, "approx", family, n, d, repeats)["seconds"]
                    approx_txt = f"{approx:7.1f} "
                elif auto["chose"] != "exact":  # auto's own approximate run
                    approx = auto["seconds"] - why.get("deciding_s", 0.0)
                    approx_txt = f"{approx:7.1f}a"
                else:  # the projection that stopped it: its search and re-ranking only
                    approx = why.get("approx_projected_s", float("nan"))
                    approx_txt = f"{approx:7.0f}*"
                best = min(exact, approx)
                print(
                    f"    {family:9s} {n:>9,} × {d:<3d} exact {exact_txt}| approx "
                    f"{approx_txt}| auto {auto['seconds']:7.1f} ({auto['chose']}), "
                    f"{auto['seconds'] / best:.2f}× the better (projected exact "
                    f"{_exact_projection(why)}, approx "
                    f"{why.get('approx_projected_s', float('nan')):.1f} s; deciding "
                    f"{why.get('deciding_s', 0.0):.1f} s, "
                    f"{why.get('deciding_s', 0.0) / best:.0%} of the better)",
                    flush=True,
                )
    if args.auto_approx_max is not None or any(n > args.auto_exact_max for n in sizes):
        print("    (a = auto's own run of that search, less the time it spent deciding)")
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


def _exact_projection(why: dict) -> str:
    """The exact graph's projection as auto recorded it: whole, or its products alone (a
    lower bound) when those decided."""
    if "exact_projected_s" in why:
        return f"{why['exact_projected_s']:.1f} s"
    if "exact_at_least_s" in why:
        return f"≥ {why['exact_at_least_s']:.1f} s"
    return "– s"  # small enough to be searched exactly without weighing


def _median_run(knn, method: str, family: str, n: int, d: int, repeats: int) -> dict:
    """The run of median time among ``repeats`` (each in its own process)."""
    runs = sorted(
        (knn.measure_choice(method, family, n, d) for _ in range(repeats)),
        key=lambda run: run["seconds"],
    )
    return runs[len(runs) // 2]


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
