"""``embexplorer analyze PATH -o OUT.parquet``: every row with its metadata plus x, y, and a JSON
summary beside it (rows, dims, timings, provenance)."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from embexplorer import __version__
from embexplorer.cli.common import (
    TerminalProgress,
    add_read_options,
    read_options,
    run_reporting_errors,
)
from embexplorer.core.corpus import Corpus
from embexplorer.core.errors import InputError
from embexplorer.core.io import read_corpus
from embexplorer.core.io.atomic import write_text_atomic
from embexplorer.core.io.writers import corpus_table, write_parquet
from embexplorer.core.projection import projection_task
from embexplorer.core.tasks import run_task


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="embexplorer analyze", description=__doc__)
    p.add_argument("path", type=Path, help="the corpus file")
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="OUT.parquet",
        help="where to write the rows (Parquet); OUT.json gets the summary",
    )
    p.add_argument(
        "--projection", choices=["pca"], default="pca", help="the 2-D layout (default pca)"
    )
    p.add_argument(
        "--include-vectors", action="store_true", help="also write the vectors (a 'vector' column)"
    )
    add_read_options(p)
    return p


def main(argv: Sequence[str]) -> int:
    args = parser().parse_args(argv)
    return run_reporting_errors(lambda: analyze(args))


def analyze(args: argparse.Namespace) -> int:
    out: Path = args.output
    if out.suffix.lower() != ".parquet":
        raise InputError(f"{out.name}: the output must be a .parquet file.")
    if out.exists() and args.path.exists() and out.resolve() == args.path.resolve():
        raise InputError(f"{out.name}: the output would overwrite the input.")
    timings: dict[str, float] = {}
    progress = TerminalProgress()
    start = time.perf_counter()
    corpus = read_corpus(args.path, read_options(args))
    timings["read_s"] = time.perf_counter() - start
    if corpus.vectors is None:
        corpus = _embed(corpus, progress, timings)
    start = time.perf_counter()
    projection = run_task(projection_task(corpus.vectors, args.projection), progress)
    progress.done()
    timings["projection_s"] = time.perf_counter() - start
    start = time.perf_counter()
    table = corpus_table(
        corpus,
        {"x": projection.coords[:, 0], "y": projection.coords[:, 1]},
        include_vectors=args.include_vectors,
    )
    write_parquet(out, table, _summary(corpus, projection, timings)["provenance"])
    timings["write_s"] = time.perf_counter() - start
    summary = _summary(corpus, projection, timings)
    json_path = out.with_suffix(".json")
    write_text_atomic(json_path, json.dumps(summary, indent=2, default=str))
    print(f"wrote {out} ({corpus.n_rows:,} rows) and {json_path.name}")
    return 0


def _embed(corpus: Corpus, progress: TerminalProgress, timings: dict[str, float]) -> Corpus:
    if corpus.text_column is None:
        raise InputError(
            "The corpus has no vectors and no text column to embed; name the text "
            "column with --text-column."
        )
    from embexplorer.core.encoder import TextEncoder, default_config

    start = time.perf_counter()
    encoder = TextEncoder(default_config())
    vectors = run_task(encoder.encode_task(list(corpus.texts)), progress)
    progress.done()
    timings["embed_s"] = time.perf_counter() - start
    return corpus.with_vectors(vectors, encoder.provenance())


def _summary(corpus: Corpus, projection, timings: dict[str, float]) -> dict[str, Any]:
    return {
        "rows": corpus.n_rows,
        "dims": corpus.dim,
        "columns": list(corpus.columns),
        "text_column": corpus.text_column,
        "label_column": corpus.label_column,
        "timings": {k: round(v, 4) for k, v in timings.items()},
        "provenance": {
            **corpus.provenance,
            "projection": {"method": projection.method, **projection.params},
            "app": f"embexplorer {__version__}",
        },
    }
