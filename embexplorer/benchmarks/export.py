"""Export benchmark (``embexplorer bench export``): N synthetic rows with text, metadata and
384-dimensional vectors, written in every format and read back (round trip checked)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from embexplorer.core.corpus import Corpus
from embexplorer.core.io import read_corpus
from embexplorer.core.io.export import export_task
from embexplorer.core.state.export_frame import build_frame
from embexplorer.core.tasks import run_task


def synthetic_corpus(n: int, d: int = 384, seed: int = 0) -> Corpus:
    rng = np.random.default_rng(seed)
    words = np.array(["river", "city", "music", "atom", "empire", "garden", "theory", "ship"])
    texts = np.array([" ".join(rng.choice(words, 12)) for _ in range(n)], dtype=object)
    topic = np.array([f"topic {i % 11}" for i in range(n)], dtype=object)
    return Corpus(
        ids=np.arange(n),
        columns={"topic": topic, "score": rng.normal(size=n), "text": texts},
        vectors=rng.normal(size=(n, d)).astype(np.float32),
        text_column="text",
        label_column="topic",
    )


def run(n: int) -> list[tuple[str, float, float, float, bool]]:
    """(format, write seconds, MB on disk, read seconds, vectors identical) per format."""
    corpus = synthetic_corpus(n)
    frame = build_frame(corpus, np.arange(n), ["ids", "metadata", "text", "vectors"])
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for fmt, name in (
            ("parquet", "x.parquet"),
            ("npy", "x.npy"),
            ("csv", "x.csv"),
            ("tsv", "x.tsv"),
            ("jsonl", "x.jsonl"),
            ("projector", "vectors.tsv"),
        ):
            path = Path(folder) / name
            start = time.perf_counter()
            written = run_task(export_task(path, frame, fmt))
            write_s = time.perf_counter() - start
            size = sum(p.stat().st_size for p in written) / 1e6
            start = time.perf_counter()
            again = read_corpus(written[0])
            read_s = time.perf_counter() - start
            rows.append(
                (fmt, write_s, size, read_s, bool(np.array_equal(again.vectors, corpus.vectors)))
            )
    return rows
