"""``embexplorer bench cluster``, the embed half: the same texts embedded by the local engine
and by ``--engine ray``, side by side in one run, at the same parallelism.

Like is compared with like: the local engine with 1 ONNX thread against one Ray worker of 1
thread, the local engine with 2 threads against one worker of 2 threads, and 2 workers of 1
thread against the local engine's 2 threads (both use two cores). Every run reads the same
Parquet file and writes its vectors, as the commands do (the local one: read, embed, write one
file; Ray: plan, start the workers, each loading the model, embed, write the shards); the Ray
cluster itself is started once, before, and its start-up reported apart. Texts are the demo
corpus's, repeated to the size asked for.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

#: (label, engine, workers, threads per worker)
CONFIGS = (
    ("local, 1 thread", "local", 1, 1),
    ("ray, 1 worker × 1 thread", "ray", 1, 1),
    ("local, 2 threads", "local", 1, 2),
    ("ray, 1 worker × 2 threads", "ray", 1, 2),
    ("ray, 2 workers × 1 thread", "ray", 2, 1),
)
#: Each Ray configuration beside the local one of the same parallelism.
PAIRS = (
    ("ray, 1 worker × 1 thread", "local, 1 thread"),
    ("ray, 1 worker × 2 threads", "local, 2 threads"),
    ("ray, 2 workers × 1 thread", "local, 2 threads"),
)


def corpus_file(folder: Path, n: int) -> Path:
    """``n`` demo texts (repeated) with their ids and topics, in row groups of 1,000 rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from embexplorer.core.resources import demo_corpus_path

    demo = pq.read_table(demo_corpus_path(), columns=["topic", "text"])
    rows = np.arange(n) % demo.num_rows
    table = pa.table(
        {
            "id": np.arange(n),
            "topic": demo.column("topic").take(rows),
            "text": demo.column("text").take(rows),
        }
    )
    path = folder / "texts.parquet"
    pq.write_table(table, path, row_group_size=1_000)
    return path


def embed_local(source: Path, out: Path, threads: int) -> np.ndarray:
    """What ``embexplorer embed SOURCE --no-cache --threads T -o OUT.parquet`` does."""
    from embexplorer.core.embedding.encoder import TextEncoder, default_config
    from embexplorer.core.io import ReadOptions, read_corpus
    from embexplorer.core.io.writers import corpus_table, write_parquet

    corpus = read_corpus(source, ReadOptions(text_column="text"))
    encoder = TextEncoder(default_config(threads=threads))
    vectors = encoder.encode(list(corpus.texts))
    corpus = corpus.with_vectors(vectors, encoder.provenance())
    write_parquet(out, corpus_table(corpus, include_vectors=True), corpus.provenance)
    return vectors


def embed_ray(ray, source: Path, out: Path, workers: int, threads: int, n: int) -> np.ndarray:
    """What ``embexplorer embed SOURCE --engine ray --workers W --threads T -o OUT`` does."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from embexplorer.core.embedding.encoder import default_config
    from embexplorer.engine.embed import EmbedJob, run_embed

    job = EmbedJob(
        source=source,
        out_dir=out,
        text_column="text",
        config=dataclasses.replace(default_config(), threads=threads),
        workers=workers,
        rows_per_shard=max(1_000, n // 10),
    )
    outcome = run_embed(ray, job, lambda progress: None)
    if outcome.failed:
        raise RuntimeError(f"the Ray run failed: {outcome.failed}")
    shards = sorted(p for p in out.iterdir() if p.suffix == ".parquet")
    table = pa.concat_tables([pq.read_table(p, columns=["vector"]) for p in shards])
    return np.stack(table.column("vector").to_numpy(zero_copy_only=False))


def bench_embed(n: int, repeats: int, print_line: Callable[[str], None] = print) -> None:
    from embexplorer.engine.cluster import ray_session

    cpus = os.cpu_count() or 1
    print_line(
        f"cluster, embed: {n:,} texts (the demo corpus repeated), all-MiniLM-L6-v2 int8; "
        f"median of {repeats} run(s); {cpus} cores; a local Ray cluster of {cpus} CPUs"
    )
    with tempfile.TemporaryDirectory(prefix="embx-bench-cluster-") as tmp:
        folder = Path(tmp)
        source = corpus_file(folder, n)
        started = time.perf_counter()
        with ray_session(None, num_cpus=cpus) as ray:
            startup = time.perf_counter() - started
            print_line(f"    Ray cluster start-up (once, not counted) {startup:.1f} s")
            seconds, vectors = _measure_all(ray, folder, source, n, repeats, print_line)
    _print_ratios(seconds, n, print_line)
    reference = vectors["local, 1 thread"]
    worst = max(float(np.abs(v - reference).max()) for v in vectors.values())
    print_line(f"    max abs difference of any run's vectors from the local engine's: {worst:.1e}")


def _measure_all(ray, folder: Path, source: Path, n: int, repeats: int, print_line):
    seconds: dict[str, float] = {}
    vectors: dict[str, np.ndarray] = {}
    for label, engine, workers, threads in CONFIGS:
        runs = []
        for repeat in range(repeats):
            out = folder / f"{engine}-{workers}-{threads}-{repeat}"
            start = time.perf_counter()
            if engine == "local":
                vectors[label] = embed_local(source, out.with_suffix(".parquet"), threads)
            else:
                vectors[label] = embed_ray(ray, source, out, workers, threads, n)
            runs.append(time.perf_counter() - start)
        seconds[label] = statistics.median(runs)
        print_line(
            f"    {label:28s} {seconds[label]:8.1f} s  {n / seconds[label]:7.1f} texts/s"
            + (f"  (runs: {', '.join(f'{r:.1f}' for r in runs)} s)" if repeats > 1 else "")
        )
    return seconds, vectors


def _print_ratios(seconds: dict[str, float], n: int, print_line) -> None:
    for ray_label, local_label in PAIRS:
        overhead = seconds[ray_label] / seconds[local_label] - 1
        verdict = "within" if overhead <= 0.15 else "OVER"
        print_line(
            f"    {ray_label} vs {local_label}: overhead {overhead:+.1%} (target ≤ 15 %: {verdict})"
        )
