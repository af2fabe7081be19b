"""``embexplorer analyze PATH -o OUT.parquet``: every row with its metadata plus the analysis
(x, y, neighbours, hubness, clusters, neighbour preservation), and a JSON summary beside it.

Both outputs are checked before any work (their folder exists and is writable, neither is an
input) and written as one group (``core/io/atomic.py``), so OUT.parquet and OUT.json always
come from the same run. ``-o OUT_DIR`` (a folder, or a name without an extension) writes the rows
as Parquet shards of ``SHARD_ROWS`` rows plus ``summary.json`` inside, built beside it and
renamed into place. ``--engine ray`` builds the kNN graph on a Ray cluster
(``embexplorer.engine``) and reads PATH as a file or a folder of Parquet shards."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embexplorer import __version__
from embexplorer.cli.common import (
    TerminalProgress,
    add_read_options,
    print_cache_warning,
    read_options,
    run_reporting_errors,
)
from embexplorer.core.analysis.analysis_columns import (
    analysis_provenance,
    row_columns,
    summary_fields,
)
from embexplorer.core.analysis.clusters import naming_texts
from embexplorer.core.analysis.neighbors import METRICS
from embexplorer.core.analysis.params import (
    CLUSTER_SPACES,
    KNN_METHODS,
    LS_METHODS,
    MP_METHODS,
    REDUCTION_SEARCHES,
    REDUCTIONS,
    AnalysisParams,
)
from embexplorer.core.analysis.pipeline import AnalysisResult, analysis_task
from embexplorer.core.analysis.projection import PROJECTIONS
from embexplorer.core.corpus import Corpus, describe_columns
from embexplorer.core.errors import InputError
from embexplorer.core.io import read_corpus
from embexplorer.core.io.atomic import atomic_paths, check_writable, writing
from embexplorer.core.io.folder_output import check_folder_target, replace_folder
from embexplorer.core.io.writers import corpus_table, write_parquet_to
from embexplorer.core.tasks import run_task

#: Rows per Parquet shard of a folder output.
SHARD_ROWS = 1_000_000
SUMMARY_NAME = "summary.json"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="embexplorer analyze", description=__doc__)
    p.add_argument(
        "path",
        type=Path,
        help="the corpus file (with --engine ray, also a folder of Parquet shards)",
    )
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="OUT.parquet",
        help="where to write the rows (Parquet); OUT.json gets the summary. A folder (or a "
        "name without an extension): the rows as Parquet shards, and summary.json, in it",
    )
    p.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="where the kNN graph is built: here, or on a Ray cluster (the 'cluster' extra)",
    )
    p.add_argument(
        "--address",
        metavar="ADDR",
        help="--engine ray: the cluster to join (e.g. ray://host:10001 or auto); by default "
        "a local one is started for the run",
    )
    p.add_argument(
        "--num-cpus",
        type=int,
        metavar="N",
        help="--engine ray without --address: CPUs of the local cluster (default: all)",
    )
    p.add_argument("-k", type=int, default=10, help="neighbours per point, 1–100 (default 10)")
    p.add_argument("--metric", choices=list(METRICS), default="cosine")
    p.add_argument(
        "--knn",
        choices=list(KNN_METHODS),
        default="auto",
        help="exact search, approximate (faiss IVF, recall measured), or auto "
        "(exact up to 30,000 rows)",
    )
    p.add_argument("--projection", choices=list(PROJECTIONS), default="pca")
    p.add_argument(
        "--clusters", metavar="SPEC", help="kmeans:K or hdbscan[:MIN_SIZE] (default: no clusters)"
    )
    p.add_argument("--cluster-space", choices=list(CLUSTER_SPACES), default="vectors")
    p.add_argument("--hubness-reduction", choices=list(REDUCTIONS), default="none")
    p.add_argument("--mp-method", choices=list(MP_METHODS), default="gaussian")
    p.add_argument(
        "--ls-method", choices=list(LS_METHODS), default="standard", help="local scaling variant"
    )
    p.add_argument(
        "--beta",
        type=float,
        default=None,
        help="inverted softmax temperature on similarities (default: chosen by a rule, "
        "ln(bank size) / the typical gap between a row's nearest and typical similarity)",
    )
    p.add_argument(
        "--reduction-search",
        choices=list(REDUCTION_SEARCHES),
        default="auto",
        help="re-rank over every row (exact), over candidates chosen to keep ≥ 95%% overlap "
        "with it (measured, reported), or auto (exact up to 20,000 rows)",
    )
    p.add_argument(
        "--compare-reductions",
        action="store_true",
        help="also compute every hubness reduction: skewness, antihubs and, with a label "
        "column, k-NN accuracy (in OUT.json)",
    )
    p.add_argument(
        "--query-bank",
        type=Path,
        metavar="FILE",
        help="inverted softmax: normalise over these query vectors instead of a "
        "sample of the corpus",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--no-quality", action="store_true", help="skip neighbour preservation and trustworthiness"
    )
    p.add_argument(
        "--include-vectors", action="store_true", help="also write the vectors (a 'vector' column)"
    )
    add_read_options(p)
    return p


def main(argv: Sequence[str]) -> int:
    args = parser().parse_args(argv)
    return run_reporting_errors(lambda: analyze(args))


def _params(args: argparse.Namespace) -> AnalysisParams:
    if not 1 <= args.k <= 100:
        raise InputError(f"-k must be between 1 and 100; got {args.k}.")
    if args.clusters:
        from embexplorer.core.analysis.clusters import parse_spec

        try:
            parse_spec(args.clusters)
        except ValueError as exc:
            raise InputError(str(exc)) from exc
    return AnalysisParams(
        k=args.k,
        metric=args.metric,
        knn=args.knn,
        projection=args.projection,
        seed=args.seed,
        clusters=args.clusters,
        cluster_space=args.cluster_space,
        reduction=args.hubness_reduction,
        mp_method=args.mp_method,
        ls_method=args.ls_method,
        beta=args.beta,
        reduction_search=args.reduction_search,
        compare_reductions=args.compare_reductions,
        quality=not args.no_quality,
    )


def analyze(args: argparse.Namespace) -> int:
    out: Path = args.output
    sharded = out.is_dir() or not out.suffix
    if not sharded and out.suffix.lower() != ".parquet":
        raise InputError(
            f"{out.name}: the output must be a .parquet file, or a folder (a name without an "
            "extension) for Parquet shards."
        )
    json_path = out / SUMMARY_NAME if sharded else out.with_suffix(".json")
    if sharded:
        check_folder_target(out, inputs=[args.path, args.query_bank])
    else:
        check_writable([out, json_path], inputs=[args.path, args.query_bank])
    params = _params(args)
    if args.engine != "ray" and Path(args.path).is_dir():
        raise InputError(
            f"{Path(args.path).name} is a folder; a folder of Parquet shards is read by "
            "--engine ray (or open a file inside it)."
        )
    if args.engine == "ray":
        from embexplorer.engine.cluster import ray_session

        with ray_session(args.address, args.num_cpus) as ray:
            return _analyze(args, params, out, json_path, sharded, ray)
    return _analyze(args, params, out, json_path, sharded, None)


def _analyze(args, params, out: Path, json_path: Path, sharded: bool, ray: Any) -> int:
    timings: dict[str, float] = {}
    progress = TerminalProgress()
    start = time.perf_counter()
    if ray is not None:
        from embexplorer.engine.analyze import read_dataset

        corpus = read_dataset(Path(args.path), read_options(args))
    else:
        corpus = read_corpus(args.path, read_options(args))
    timings["read_s"] = time.perf_counter() - start
    bank = _bank(args, corpus) if args.query_bank else None
    if corpus.vectors is None:
        corpus = _embed(corpus, progress, timings)
    labels = corpus_labels(corpus)
    search = None
    if ray is not None:
        from embexplorer.engine.analyze import ray_knn_search

        search = ray_knn_search(ray)
    task = analysis_task(
        corpus.vectors,
        params,
        None,
        texts=naming_texts(corpus),
        bank=bank,
        labels=labels,
        knn_search=search,
    )
    result = run_task(task, progress)
    progress.done()
    if (zero := summary_fields(result).get("zero_vectors")) and params.metric == "cosine":
        print(
            f"embexplorer: warning: {zero:,} all-zero vectors: they have no direction, so "
            "under cosine their neighbours are ties (and they may show up as hubs).",
            file=sys.stderr,
        )
    timings.update({f"{stage}_s": seconds for stage, seconds in result.timings.items()})
    extra = {}
    if ray is not None:
        from embexplorer.engine.analyze import engine_summary

        extra["engine"] = engine_summary(ray, args.address)
    if sharded:
        _write_shards(out, corpus, result, timings, args.include_vectors, extra)
    else:
        _write_outputs(out, json_path, corpus, result, timings, args.include_vectors, extra)
    print(f"wrote {out} ({corpus.n_rows:,} rows) and {json_path.name}")
    return 0


def _write_outputs(
    out: Path,
    json_path: Path,
    corpus: Corpus,
    result: AnalysisResult,
    timings: dict[str, float],
    include_vectors: bool,
    extra: dict[str, Any] | None = None,
) -> None:
    """OUT.parquet and OUT.json, replaced together or not at all."""
    with atomic_paths([out, json_path]) as (parquet_temp, json_temp):
        start = time.perf_counter()
        table = corpus_table(corpus, result_columns(result), include_vectors=include_vectors)
        write_parquet_to(parquet_temp, table, summary(corpus, result, timings)["provenance"])
        timings["write_s"] = time.perf_counter() - start
        text = json.dumps(
            {**summary(corpus, result, timings), **(extra or {})}, indent=2, default=str
        )
        with writing(json_temp):
            json_temp.write_text(text, encoding="utf-8")


def _write_shards(
    out: Path,
    corpus: Corpus,
    result: AnalysisResult,
    timings: dict[str, float],
    include_vectors: bool,
    extra: dict[str, Any],
) -> None:
    """OUT_DIR: Parquet shards of ``SHARD_ROWS`` rows (the global row order in name order)
    and summary.json, written into a new folder beside it that then replaces it."""
    start = time.perf_counter()
    table = corpus_table(corpus, result_columns(result), include_vectors=include_vectors)
    provenance = summary(corpus, result, timings)["provenance"]
    with replace_folder(out) as folder:
        width = max(5, len(str(max(0, table.num_rows - 1) // SHARD_ROWS)))
        for number, lo in enumerate(range(0, max(table.num_rows, 1), SHARD_ROWS)):
            shard = folder / f"part-{number:0{width}d}.parquet"
            write_parquet_to(shard, table.slice(lo, SHARD_ROWS), provenance)
        timings["write_s"] = time.perf_counter() - start
        text = json.dumps({**summary(corpus, result, timings), **extra}, indent=2, default=str)
        with writing(folder / SUMMARY_NAME):
            (folder / SUMMARY_NAME).write_text(text, encoding="utf-8")


def corpus_labels(corpus: Corpus) -> tuple[str, np.ndarray] | None:
    """(label column, values) when the corpus has one: for the k-NN accuracy."""
    return None if corpus.label_column is None else (corpus.label_column, corpus.labels)


def _bank(args: argparse.Namespace, corpus: Corpus) -> np.ndarray:
    bank = read_corpus(args.query_bank)
    if bank.vectors is None:
        raise InputError(f"{args.query_bank.name} holds no vectors to use as the query bank.")
    if corpus.vectors is not None and bank.dim != corpus.dim:
        raise InputError(
            f"{args.query_bank.name} has {bank.dim}-dimensional vectors but the "
            f"corpus has {corpus.dim}."
        )
    return bank.vectors


def _embed(corpus: Corpus, progress: TerminalProgress, timings: dict[str, float]) -> Corpus:
    if corpus.text_column is None:
        raise InputError(
            "The corpus has no vectors and no text column to embed; name the text "
            f"column with --text-column. Columns: {describe_columns(corpus.columns)}."
        )
    from embexplorer.cli.embed import warn_about_language
    from embexplorer.core.embedding.embedding import embed_corpus_task
    from embexplorer.core.embedding.embedding_cache import EmbeddingCache
    from embexplorer.core.embedding.encoder import default_config

    config = default_config()
    warn_about_language(
        corpus.texts,
        config,
        "Embed the texts with that model first (embexplorer embed PATH --model M.onnx "
        "--tokenizer T.json -o OUT.parquet), then analyse OUT.parquet.",
    )
    start = time.perf_counter()
    corpus = run_task(embed_corpus_task(corpus, config, EmbeddingCache()), progress)
    progress.done()
    print_cache_warning(corpus.provenance)
    timings["embed_s"] = time.perf_counter() - start
    return corpus


def result_columns(result: AnalysisResult) -> dict[str, Any]:
    """The columns the analysis adds to every row (core.analysis_columns), list columns as
    Arrow fixed-size lists."""
    import pyarrow as pa

    columns, lists = row_columns(result)
    out: dict[str, Any] = dict(columns)
    for name, matrix in lists.items():
        kind = pa.float32() if matrix.dtype.kind == "f" else pa.int64()
        out[name] = _list_column(matrix, kind)
    return out


def _list_column(matrix: np.ndarray, value_type) -> Any:
    import pyarrow as pa

    flat = pa.array(np.ascontiguousarray(matrix).reshape(-1), type=value_type)
    return pa.FixedSizeListArray.from_arrays(flat, matrix.shape[1])


def summary(corpus: Corpus, result: AnalysisResult, timings: dict[str, float]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rows": corpus.n_rows,
        "dims": corpus.dim,
        "columns": list(corpus.columns),
        "text_column": corpus.text_column,
        "label_column": corpus.label_column,
        **summary_fields(result, corpus_labels(corpus)),
    }
    out["timings"] = {key: round(value, 4) for key, value in timings.items()}
    info = analysis_provenance(result)
    projection = info.pop("projection", None)
    out["provenance"] = {
        **corpus.provenance,
        "analysis": info,
        "projection": projection,
        "app": f"embexplorer {__version__}",
    }
    return out
