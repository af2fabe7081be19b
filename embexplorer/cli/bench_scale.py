"""``embexplorer bench bigmap`` and ``bench cluster``: the benches of scale, run only when named (a
10M-row dataset on disk; the Ray engine beside the local one)."""

from __future__ import annotations

import argparse
import os
import time


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
