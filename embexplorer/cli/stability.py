"""``embexplorer stability PATH -o OUT.json``: how far an embedding can be shrunk. For each
variant (the first D dimensions, int8 and 1-bit codes): the recall@k of its exact kNN against
the full-precision exact kNN, the skewness of N_k, bytes per vector and the kNN time."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from embexplorer import __version__
from embexplorer.cli.common import (
    TerminalProgress,
    add_read_options,
    read_options,
    run_reporting_errors,
)
from embexplorer.core.analysis.neighbors import METRICS
from embexplorer.core.errors import InputError


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="embexplorer stability",
        description="Recall@k, hubness (skewness of N_k), bytes per vector and kNN time of "
        "Matryoshka truncations and int8 / 1-bit codes of PATH's vectors.",
    )
    p.add_argument("path", type=Path, help="the corpus file with vectors")
    p.add_argument(
        "--dims", default="32,64,128,256", help="comma-separated dimensions (default 32,64,128,256)"
    )
    p.add_argument("--quantize", default="int8,binary", help="int8, binary, both (default) or none")
    p.add_argument("-k", type=int, default=10, help="neighbours per point, 1–100 (default 10)")
    p.add_argument("--metric", choices=list(METRICS), default="cosine")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="OUT.json")
    add_read_options(p)
    return p


def main(argv: Sequence[str]) -> int:
    args = parser().parse_args(argv)
    return run_reporting_errors(lambda: stability(args))


def _numbers(text: str, what: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise InputError(
            f"{what} must be whole numbers separated by commas; got {text!r}."
        ) from None
    if any(v < 1 for v in values):
        raise InputError(f"{what} must be at least 1; got {text!r}.")
    return values


def stability(args: argparse.Namespace) -> int:
    from embexplorer.core.analysis.compare import stability_task
    from embexplorer.core.analysis.params import MAX_K
    from embexplorer.core.embedding.variants import parse_variant
    from embexplorer.core.io import read_corpus
    from embexplorer.core.io.atomic import check_writable, write_text_atomic
    from embexplorer.core.tasks import run_task

    out: Path = args.output
    if out.suffix.lower() != ".json":
        raise InputError(f"{out.name}: the output must be a .json file.")
    check_writable([out], inputs=[args.path])
    dims = _numbers(args.dims, "--dims")
    quantize = [q.strip() for q in args.quantize.split(",") if q.strip() and q.strip() != "none"]
    for q in quantize:
        if parse_variant(q).kind == "truncate":
            raise InputError("--quantize takes int8 and binary; truncations go in --dims.")
    if not 1 <= args.k <= MAX_K:
        raise InputError(f"-k must be between 1 and {MAX_K}; got {args.k}.")
    corpus = read_corpus(args.path, read_options(args))
    if corpus.vectors is None:
        raise InputError(f"{args.path.name} holds no vectors; embed it first (embexplorer embed).")
    if corpus.n_rows <= args.k:
        raise InputError(
            f"k = {args.k} is too large for {corpus.n_rows} rows; choose k ≤ {corpus.n_rows - 1}."
        )
    progress = TerminalProgress()
    rows = run_task(stability_task(corpus.vectors, args.metric, args.k, dims, quantize), progress)
    progress.done()
    report = {
        "k": args.k,
        "metric": args.metric,
        "rows": corpus.n_rows,
        "dims": corpus.dim,
        "variants": [r.as_dict() for r in rows],
        "provenance": {"source": str(args.path), "app": f"embexplorer {__version__}"},
    }
    write_text_atomic(out, json.dumps(report, indent=2))
    for r in rows:
        print(
            f"{r.variant:>14}  recall@{args.k} {r.recall:.3f}  skewness {r.skewness:6.2f}  "
            f"{r.bytes_per_vector:>6,} B/vector  kNN {r.knn_seconds:.2f} s"
        )
    print(f"wrote {out}")
    return 0
