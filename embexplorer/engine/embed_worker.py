"""One worker of ``embed --engine ray``: the encoder loaded once, then unit after unit read,
embedded and written as its shard.

The same code as ``embexplorer embed``: the rows are read by the core readers, embedded by
:class:`~embexplorer.core.embedding.encoder.TextEncoder` (length-sorted batches) and written by
:func:`~embexplorer.core.io.writers.write_parquet` (a temporary file, renamed when whole). A
unit whose file cannot be used (damaged, no such text column) comes back as its message, and
nothing is written for it. This module does not import Ray: the driver wraps the class in an
actor, so the worker is tested like any class.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from embexplorer.core.corpus import Corpus
from embexplorer.core.embedding.encoder import EncoderConfig
from embexplorer.core.errors import InputError
from embexplorer.engine.shards import Unit

#: Test-only hook: a worker given a unit whose output file name is this value exits at once
#: (``os._exit``), as a killed worker would, before writing anything.
EXIT_HOOK = "EMBEXPLORER_TEST_WORKER_EXIT_ON"


@dataclass(frozen=True, slots=True)
class UnitResult:
    output: str
    rows: int
    seconds: float
    error: str | None = None


class ShardEmbedder:
    """Holds one ONNX session; :meth:`embed` runs one unit at a time.

    ``config`` names the model with a path every node can read; ``None`` for the model path
    means the bundled model, found in the worker's own installation. Each worker checks that
    its model file has the SHA-256 the driver saw, so a node with another file is refused.
    """

    def __init__(
        self,
        config: EncoderConfig,
        bundled: bool,
        text_column: str,
        out_dir: str,
        provenance: Mapping[str, Any],
        exit_on: str | None = None,
    ):
        self.config, self.bundled = config, bundled
        self.text_column = text_column
        self.out_dir = Path(out_dir)
        self.provenance = dict(provenance)
        self.exit_on = exit_on
        self.encoder: Any = None

    def load(self) -> str | None:
        """Load the model; the reason it cannot be used, or None."""
        from embexplorer.core.embedding.encoder import TextEncoder, bundled_model_path

        config = self.config
        if self.bundled:
            config = dataclasses.replace(config, model_path=bundled_model_path())
        try:
            self.encoder = TextEncoder(config)
        except InputError as exc:
            return f"a worker on {os.uname().nodename} cannot load the model: {exc}"
        wanted = self.provenance["encoder"]["model_sha256"]
        if self.encoder.model_sha256 != wanted:
            return (
                f"the model on {os.uname().nodename} ({config.model_path}) differs from the "
                f"driver's (SHA-256 {self.encoder.model_sha256[:12]}… there, {wanted[:12]}… here)"
            )
        return None

    def embed(self, unit: Unit) -> UnitResult:
        start = time.perf_counter()
        if self.exit_on is not None and unit.output == self.exit_on:
            os._exit(3)
        try:
            corpus = read_unit(unit, self.text_column)
            vectors = self.encoder.encode(list(corpus.texts))
            self._write(unit, corpus, vectors)
        except InputError as exc:
            return UnitResult(unit.output, 0, time.perf_counter() - start, str(exc))
        return UnitResult(unit.output, corpus.n_rows, time.perf_counter() - start)

    def _write(self, unit: Unit, corpus: Corpus, vectors: np.ndarray) -> None:
        from embexplorer.core.io.writers import corpus_table, write_parquet

        source = {"source": str(unit.source.resolve()), "format": unit.format}
        rows = {"rows": [unit.start, unit.start + corpus.n_rows]}
        provenance = {**self.provenance, **source, **rows}
        table = corpus_table(corpus.replace(vectors=vectors), include_vectors=True)
        write_parquet(self.out_dir / unit.output, table, provenance)


def read_unit(unit: Unit, text_column: str) -> Corpus:
    """The unit's rows as the core readers read them, with ids that hold across units: the
    ``id`` column when the file has one, else the row number in the file (``name:row`` for
    a folder of files)."""
    from embexplorer.core.io import ReadOptions, read_corpus
    from embexplorer.core.io.parquet import read_parquet_rows

    options = ReadOptions(text_column=text_column, format=unit.format)
    if unit.stop is None:
        corpus = read_corpus(unit.source, options)
    else:
        corpus = read_parquet_rows(unit.source, options, unit.start, unit.stop)
    id_column = next((name for name in corpus.columns if name.lower() == "id"), None)
    if id_column is not None:
        if corpus.ids is not corpus.columns[id_column]:
            raise InputError(
                f"{unit.describe()}: column {id_column!r} has missing or repeated values, so "
                "its rows cannot be told apart across shards; fix it or rename the column."
            )
        return corpus
    rows = np.arange(unit.start, unit.start + corpus.n_rows)
    ids = (
        np.array([f"{unit.source.name}:{r}" for r in rows], dtype=object)
        if unit.named_ids
        else rows
    )
    return corpus.replace(ids=ids)
