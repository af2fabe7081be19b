"""``embexplorer compare PATH --b SPEC [--a SPEC] -o OUT.parquet``: where two embeddings of the
same rows disagree. Every row with its metadata plus ``neighbors_a``, ``neighbors_b``,
``overlap``, ``k_occurrence_a``, ``k_occurrence_b``; OUT.json holds the summary."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embexplorer import __version__
from embexplorer.cli.common import (
    TerminalProgress,
    add_read_options,
    read_options,
    run_reporting_errors,
)
from embexplorer.core.analysis.neighbors import METRICS
from embexplorer.core.errors import InputError

SPEC_HELP = (
    "a vector column of PATH, file:OTHER_PATH (aligned by --id-column or the ids), or "
    "truncate:D, int8, binary (derived from A)"
)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="embexplorer compare",
        description="Compare two embeddings of the same rows: each row's neighbourhood overlap "
        "|kNN_A ∩ kNN_B| / k (each exact, in its own metric), N_k and hubs in each.",
    )
    p.add_argument("path", type=Path, help="the corpus file (its vectors are A by default)")
    p.add_argument("--b", required=True, metavar="SPEC", help=f"embedding B: {SPEC_HELP}")
    p.add_argument(
        "--a", metavar="SPEC", help=f"embedding A (default: PATH's vectors): {SPEC_HELP}"
    )
    p.add_argument("-k", type=int, default=10, help="neighbours per point, 1–100 (default 10)")
    p.add_argument(
        "--metric",
        choices=list(METRICS),
        default="cosine",
        help="for float vectors (1-bit codes use Hamming)",
    )
    p.add_argument(
        "--id-column", metavar="C", help="with file:OTHER_PATH: OTHER_PATH's column of ids"
    )
    p.add_argument("-o", "--output", type=Path, required=True, metavar="OUT.parquet")
    add_read_options(p)
    return p


def main(argv: Sequence[str]) -> int:
    args = parser().parse_args(argv)
    return run_reporting_errors(lambda: compare(args))


def compare(args: argparse.Namespace) -> int:
    from embexplorer.core.analysis.compare import compare_task
    from embexplorer.core.analysis.params import MAX_K
    from embexplorer.core.io import read_corpus
    from embexplorer.core.io.atomic import check_writable
    from embexplorer.core.state.embedding_sources import spec_embedding_task
    from embexplorer.core.state.workspace import Workspace
    from embexplorer.core.tasks import run_task

    out: Path = args.output
    if out.suffix.lower() != ".parquet":
        raise InputError(f"{out.name}: the output must be a .parquet file.")
    json_path = out.with_suffix(".json")
    check_writable([out, json_path], inputs=[args.path])
    if not 1 <= args.k <= MAX_K:
        raise InputError(f"-k must be between 1 and {MAX_K}; got {args.k}.")
    progress = TerminalProgress()
    start = time.perf_counter()
    corpus = read_corpus(args.path, read_options(args))
    workspace = Workspace.of(corpus, args.path)
    if workspace.current is None:
        raise InputError(f"{args.path.name} holds no vectors; embed it first (embexplorer embed).")
    base = workspace.current
    workspace = workspace.with_params(base.name, base.params.replace(metric=args.metric))
    sides = {}
    for side in ("a", "b"):
        spec = getattr(args, side)
        if spec is None:
            sides[side] = workspace.embeddings[base.name]
        else:
            made = run_task(
                spec_embedding_task(workspace, spec, base.name, args.id_column), progress
            )
            sides[side] = made.with_params(made.params.replace(metric=_metric(made, args.metric)))
    if corpus.n_rows <= args.k:
        raise InputError(
            f"k = {args.k} is too large for {corpus.n_rows} rows; choose k ≤ {corpus.n_rows - 1}."
        )
    timings = {"read_s": time.perf_counter() - start}
    a, b = sides["a"], sides["b"]
    result = run_task(
        compare_task(a.rows, a.params.metric, b.rows, b.params.metric, args.k), progress
    )
    progress.done()
    timings.update(result.timings)
    _write(out, json_path, corpus, result, _summary(args, a, b, result, timings))
    print(
        f"wrote {out} ({corpus.n_rows:,} rows) and {json_path.name}: mean overlap "
        f"{result.mean_overlap:.3f} at k = {result.k} ({a.name} vs {b.name})"
    )
    return 0


def _metric(embedding: Any, metric: str) -> str:
    return "hamming" if embedding.kind == "binary" else metric


def _summary(args, a, b, result, timings: dict[str, float]) -> dict[str, Any]:
    out = result.summary()
    out["timings"] = {key: round(value, 4) for key, value in timings.items()}
    out["a"] = {"name": a.name, "origin": dict(a.origin), "dims": a.dim, "kind": a.kind}
    out["b"] = {"name": b.name, "origin": dict(b.origin), "dims": b.dim, "kind": b.kind}
    out["provenance"] = {"source": str(args.path), "app": f"embexplorer {__version__}"}
    return out


def _write(out: Path, json_path: Path, corpus, result, summary: dict[str, Any]) -> None:
    """OUT.parquet and OUT.json, replaced together or not at all."""
    import pyarrow as pa

    from embexplorer.core.analysis.analysis_columns import comparison_columns
    from embexplorer.core.io.atomic import atomic_paths, writing
    from embexplorer.core.io.writers import corpus_table, write_parquet_to

    def fixed(matrix: np.ndarray):
        flat = pa.array(np.ascontiguousarray(matrix, dtype=np.int64).reshape(-1))
        return pa.FixedSizeListArray.from_arrays(flat, matrix.shape[1])

    scalars, lists = comparison_columns(result)
    columns: dict[str, Any] = {name: fixed(matrix) for name, matrix in lists.items()}
    columns.update(scalars)
    with atomic_paths([out, json_path]) as (parquet_temp, json_temp):
        table = corpus_table(corpus, columns, include_vectors=False)
        write_parquet_to(
            parquet_temp, table, {"comparison": {k: summary[k] for k in ("a", "b", "k")}}
        )
        with writing(json_temp):
            json_temp.write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
