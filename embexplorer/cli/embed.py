"""``embexplorer embed PATH --text-column C -o OUT.parquet``: embed a column of texts locally
(ONNX, no network) and write every row plus a ``vector`` column (or the vectors alone to .npy).
With ``--engine ray``, on a Ray cluster into a folder of Parquet shards (``cli/embed_ray.py``)."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from embexplorer.cli.common import (
    TerminalProgress,
    add_read_options,
    print_cache_warning,
    read_options,
    run_reporting_errors,
)
from embexplorer.cli.embed_ray import add_engine_options, embed_on_ray
from embexplorer.core.corpus import describe_columns
from embexplorer.core.embedding.embedding import embed_corpus_task
from embexplorer.core.embedding.embedding_cache import EmbeddingCache
from embexplorer.core.embedding.encoder import POOLINGS, EncoderConfig, default_config, model_name
from embexplorer.core.embedding.language import language_warning
from embexplorer.core.errors import InputError
from embexplorer.core.io import read_corpus
from embexplorer.core.io.atomic import atomic_path, check_writable
from embexplorer.core.io.writers import corpus_table, write_parquet
from embexplorer.core.tasks import run_task


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="embexplorer embed", description=__doc__)
    p.add_argument("path", type=Path, help="the corpus file (CSV, TSV, Parquet, JSONL, …)")
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="OUT",
        help="OUT.parquet (rows + 'vector' column) or OUT.npy (vectors only); with --engine "
        "ray, a folder of Parquet shards",
    )
    p.add_argument(
        "--model",
        type=Path,
        help="an ONNX sentence-embedding model (default: the bundled all-MiniLM-L6-v2 int8)",
    )
    p.add_argument("--tokenizer", type=Path, help="the model's tokenizer.json")
    p.add_argument("--pooling", choices=list(POOLINGS), default="mean")
    p.add_argument("--no-normalize", action="store_true", help="keep the vectors' lengths")
    p.add_argument("--max-length", type=int, default=256, help="tokens per text (default 256)")
    p.add_argument("--batch-size", type=int, default=0, help="texts per batch (default: auto)")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (default: auto)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, coreml or directml")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    add_read_options(p)
    add_engine_options(p)
    return p


def main(argv: Sequence[str]) -> int:
    args = parser().parse_args(argv)
    return run_reporting_errors(lambda: embed(args))


def embed(args: argparse.Namespace) -> int:
    if args.engine == "ray":
        return embed_on_ray(args)
    out: Path = args.output
    if out.suffix.lower() not in (".parquet", ".npy"):
        raise InputError(f"{out.name}: the output must end in .parquet or .npy.")
    if (args.model is None) != (args.tokenizer is None):
        raise InputError("Give both --model and --tokenizer, or neither (the default model).")
    check_writable([out], inputs=[args.path, args.model, args.tokenizer])  # before any work
    config = default_config(
        pooling=args.pooling,
        normalize=not args.no_normalize,
        max_length=args.max_length,
        batch_size=args.batch_size,
        threads=args.threads,
        device=args.device,
    )
    if args.model is not None:
        config = dataclasses.replace(config, model_path=args.model, tokenizer_path=args.tokenizer)
    corpus = read_corpus(args.path, read_options(args))
    if corpus.text_column is None:
        raise InputError(
            f"{args.path.name}: no text column found; name it with --text-column. "
            f"Columns: {describe_columns(corpus.columns)}."
        )
    warn_about_language(corpus.texts, config)
    progress = TerminalProgress()
    start = time.perf_counter()
    cache = None if args.no_cache else EmbeddingCache()
    corpus = run_task(embed_corpus_task(corpus, config, cache), progress)
    progress.done()
    print_cache_warning(corpus.provenance)
    seconds = time.perf_counter() - start
    if out.suffix.lower() == ".npy":
        with atomic_path(out) as tmp, open(tmp, "wb") as fh:
            np.save(fh, corpus.vectors)
    else:
        write_parquet(out, corpus_table(corpus, include_vectors=True), corpus.provenance)
    print(
        f"wrote {out}: {corpus.n_rows:,} vectors of {corpus.dim} dims from column "
        f"{corpus.text_column!r} in {seconds:.1f} s ({corpus.n_rows / seconds:,.0f} texts/s)"
    )
    return 0


def warn_about_language(
    texts, config: EncoderConfig, hint: str = "Give it with --model and --tokenizer."
) -> None:
    """One ``embexplorer: warning:`` line, before any text is embedded, when the model does
    not read the texts' language (a sample of 200 texts; the embedding goes on, exit 0)."""
    warning = language_warning(list(texts), config.tokenizer_path, model_name(config))
    if warning is not None:
        print(f"embexplorer: warning: {warning} {hint}", file=sys.stderr)
