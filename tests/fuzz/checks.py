"""The property: a read gives a well-formed corpus or an InputError that names the file, in
bounded memory; never another exception (which :func:`.budget.measured` lets propagate)."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from embexplorer.core.corpus import Corpus
from tests.fuzz.budget import Outcome, check_memory, measured


@contextmanager
def written(files: dict[str, bytes], root: Path) -> Iterator[Path]:
    """A fresh folder holding ``files`` (name -> bytes), removed afterwards."""
    folder = Path(tempfile.mkdtemp(dir=root))
    try:
        for name, data in files.items():
            (folder / name).write_bytes(data)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def read_files(files: dict[str, bytes], entry: str, root: Path, options=None) -> Outcome:
    """Write ``files``, read ``entry`` with ``read_corpus`` and check the property."""
    from embexplorer.core.io import read_corpus

    with written(files, root) as folder:
        path = folder / entry
        outcome = checked(lambda: read_corpus(path, options), files, names=list(files))
        if outcome.ok:
            check_corpus(outcome.result, path)
    return outcome


def checked(call: Callable[[], Any], files: dict[str, bytes], names: list[str] | None) -> Outcome:
    """Run ``call``; check its memory against the files' size, and that an error names one
    of ``names`` (the file the user opened, or its partner), when given."""
    outcome = measured(call)
    size = sum(len(data) for data in files.values())
    check_memory(outcome, size, ", ".join(files))
    if not outcome.ok and names is not None:
        assert any(name in outcome.error for name in names), (
            f"the message does not name the file ({', '.join(names)}): {outcome.error}"
        )
    return outcome


def check_corpus(corpus: Corpus, path: Path) -> None:
    """What every consumer of a corpus relies on, checked independently of the reader."""
    n = corpus.n_rows
    assert n >= 1
    assert len(corpus.ids) == n and len(np.unique(corpus.ids)) == n
    for name, column in corpus.columns.items():
        assert isinstance(name, str)
        assert column.ndim == 1 and len(column) == n, name
        assert column.dtype.kind in "iufO", (name, column.dtype)
        if column.dtype.kind == "O":
            assert all(v is None or isinstance(v, str) for v in column), name
    vectors = corpus.vectors
    if vectors is not None:
        assert vectors.dtype == np.float32 and vectors.flags.c_contiguous
        assert vectors.ndim == 2 and vectors.shape[0] == n and vectors.shape[1] >= 1
        assert np.isfinite(vectors).all()
    for role in (corpus.text_column, corpus.label_column):
        assert role is None or role in corpus.columns
    source = Path(corpus.provenance["source"])  # the vectors' file, when a pair was opened
    assert source.parent == path.parent.resolve()
    assert corpus.provenance["source_sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
