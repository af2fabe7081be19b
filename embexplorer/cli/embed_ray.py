"""``embexplorer embed INPUT --engine ray --text-column C -o OUT_DIR``: the same embedding as
``embed``, on a Ray cluster, into a folder of Parquet shards plus ``_embexplorer.json``.

A rerun into the same folder redoes only the shards that are missing. An input file that
cannot be used (damaged, no such text column) is skipped and named, the good ones are
embedded and kept, and the command exits 1, so a script sees that the output is incomplete.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from embexplorer.cli.common import TerminalProgress
from embexplorer.core.errors import InputError


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("the distributed engine (pip install 'embexplorer[cluster]')")
    group.add_argument(
        "--engine",
        choices=["local", "ray"],
        default="local",
        help="local (this process) or ray (a Ray cluster; INPUT may be a folder of shards)",
    )
    group.add_argument(
        "--address",
        metavar="ADDR",
        help="ray: the cluster to use (e.g. ray://head:10001 or auto); default: a local "
        "cluster started for the run",
    )
    group.add_argument(
        "--workers",
        type=int,
        default=0,
        metavar="N",
        help="ray: workers, each holding one copy of the model (default: the cluster's CPUs "
        "divided by --threads)",
    )
    group.add_argument(
        "--rows-per-shard",
        type=int,
        default=10_000,
        metavar="N",
        help="ray: rows per output shard, cut at Parquet row groups (default 10000); a CSV "
        "or JSONL file is one shard",
    )
    group.add_argument(
        "--retries",
        type=int,
        default=1,
        metavar="N",
        help="ray: times a shard whose worker died is given to a fresh worker (default 1)",
    )


def embed_on_ray(args: argparse.Namespace) -> int:
    from embexplorer.core.embedding.encoder import default_config
    from embexplorer.engine.cluster import import_ray, ray_session

    _check_arguments(args)
    import_ray()  # the install hint before anything else
    from embexplorer.engine.embed import EmbedJob, run_embed

    config = default_config(
        pooling=args.pooling,
        normalize=not args.no_normalize,
        max_length=args.max_length,
        batch_size=args.batch_size,
        threads=args.threads or 1,
        device=args.device,
    )
    if args.model is not None:
        config = dataclasses.replace(config, model_path=args.model, tokenizer_path=args.tokenizer)
    job = EmbedJob(
        source=args.path,
        out_dir=args.output,
        text_column=args.text_column,
        config=config,
        workers=args.workers,
        rows_per_shard=args.rows_per_shard,
        retries=args.retries,
    )
    progress = TerminalProgress()
    with ray_session(args.address, num_cpus=args.workers * max(args.threads, 1) or None) as ray:
        outcome = run_embed(ray, job, progress)
    progress.done()
    return _report(job, outcome)


def _check_arguments(args: argparse.Namespace) -> None:
    if args.text_column is None:
        raise InputError(
            "--engine ray needs --text-column: every shard must embed the same column."
        )
    if (args.model is None) != (args.tokenizer is None):
        raise InputError("Give both --model and --tokenizer, or neither (the default model).")
    if args.output.suffix.lower() == ".npy" or args.output.is_file():
        raise InputError(
            f"{args.output.name}: --engine ray writes a folder of Parquet shards; name a "
            "folder (new or empty, or the one a run to be finished wrote)."
        )
    for name in ("workers", "retries"):
        if getattr(args, name) < 0:
            raise InputError(f"--{name} must be 0 or more; got {getattr(args, name)}.")


def _report(job, outcome) -> int:
    shards = len(outcome.written) + len(outcome.kept)
    kept = f", {len(outcome.kept)} kept from before" if outcome.kept else ""
    rate = outcome.rows / outcome.seconds if outcome.seconds else 0.0
    print(
        f"wrote {job.out_dir}: {outcome.rows:,} vectors of {outcome.dim} dims from column "
        f"{job.text_column!r} in {len(outcome.written)} new shard(s){kept}, "
        f"{outcome.workers} worker(s), {outcome.seconds:.1f} s ({rate:,.0f} texts/s)"
    )
    if not outcome.failed:
        return 0
    for what, why in outcome.failed.items():
        print(f"embexplorer: not embedded: {what}: {why}", file=sys.stderr)
    print(
        f"embexplorer: {len(outcome.failed)} input(s) not embedded (named above); the "
        f"{shards} other shard(s) are complete. Fix or remove those files and run the same "
        "command again to finish.",
        file=sys.stderr,
    )
    return 1
