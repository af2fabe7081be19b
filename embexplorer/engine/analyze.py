"""``embexplorer analyze DATASET --engine ray``: the analysis of a dataset with its kNN graph
built on a Ray cluster (``engine.knn``); every other stage is the local pipeline's own code
(``core.analysis.pipeline``), run on the driver: hubness and its reductions from the graph,
the clusters (k-means; mini-batch beyond ``clusters.KMEANS_FULL_MAX`` rows), the 2-D layout
from the graph (UMAP and t-SNE take the precomputed kNN graph), neighbour preservation.

DATASET is any corpus file the local path reads, or a folder of Parquet shards with the
vectors (as ``embed --engine ray`` writes them) whose rows in file-name order are the rows of
the dataset. Each shard is read and checked on its own, so a bad one (not Parquet, no vectors,
another dimension, other columns) is refused by name before any work.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np

from embexplorer.core.corpus import Corpus
from embexplorer.core.errors import InputError
from embexplorer.core.io import ReadOptions, read_corpus


def read_dataset(path: Path, options: ReadOptions | None = None) -> Corpus:
    """The corpus of a file, or of a folder of Parquet shards (concatenated in name order)."""
    if not path.is_dir():
        return read_corpus(path, options)
    shards = shard_files(path)
    corpora = [_read_shard(shard, options) for shard in shards]
    first = corpora[0]
    for shard, corpus in zip(shards[1:], corpora[1:], strict=True):
        _check_like(shard, corpus, shards[0], first)
    return Corpus(
        ids=np.concatenate([c.ids for c in corpora]),
        columns={
            name: np.concatenate([c.columns[name] for c in corpora]) for name in first.columns
        },
        vectors=np.concatenate([c.vectors for c in corpora]),
        text_column=first.text_column,
        label_column=first.label_column,
        provenance={**first.provenance, "source": str(path), "shards": len(shards)},
    )


def shard_files(folder: Path) -> list[Path]:
    """The folder's Parquet files in name order (hidden and temporary files left out)."""
    files = sorted(
        p for p in folder.iterdir() if p.suffix.lower() == ".parquet" and not p.name.startswith(".")
    )
    if not files:
        raise InputError(f"{folder.name} holds no Parquet files (*.parquet) to analyse.")
    return files


def _read_shard(shard: Path, options: ReadOptions | None) -> Corpus:
    try:
        corpus = read_corpus(shard, options)
    except InputError as exc:
        message = str(exc)
        raise InputError(message if shard.name in message else f"{shard.name}: {message}") from None
    if corpus.vectors is None:
        raise InputError(
            f"{shard.name} holds no vectors (a column of number lists such as 'vector'); "
            "embed the texts first (embexplorer embed --engine ray)."
        )
    return corpus


def _check_like(shard: Path, corpus: Corpus, first_shard: Path, first: Corpus) -> None:
    if corpus.dim != first.dim:
        raise InputError(
            f"{shard.name} has {corpus.dim}-dimensional vectors but {first_shard.name} has "
            f"{first.dim}: every shard of a dataset holds the same vectors."
        )
    if list(corpus.columns) != list(first.columns):
        raise InputError(
            f"{shard.name}'s columns ({', '.join(corpus.columns) or 'none'}) differ from "
            f"{first_shard.name}'s ({', '.join(first.columns) or 'none'})."
        )


def ray_knn_search(ray: Any, threads: int | None = None):
    """The pipeline's kNN search (``ann.knn_task``'s signature) run on the Ray cluster."""
    from embexplorer.engine.knn import ray_knn_task

    return functools.partial(ray_knn_task, ray, threads=threads)


def engine_summary(ray: Any, address: str | None) -> dict[str, Any]:
    """What the summary says about the cluster the graph was built on."""
    from embexplorer.engine.knn import blas_threads, task_threads

    resources = ray.cluster_resources()
    return {
        "name": "ray",
        "ray_version": ray.__version__,
        "address": address or "local",
        "nodes": sum(1 for node in ray.nodes() if node.get("Alive")),
        "cpus": int(resources.get("CPU", 0)),
        "threads_per_task": task_threads(ray, blas_threads()),
    }
