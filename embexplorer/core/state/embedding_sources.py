"""Where a workspace's further embeddings come from, each a task that returns an Embedding.

1. Another vector column of the same file (Parquet list columns, ``.npz`` arrays, CSV column
   groups): :func:`vector_columns` lists them, :func:`column_embedding_task` reads one.
2. A second file of vectors for the same rows, aligned by an id column or, when the user says
   so, by row order: :func:`file_embedding_task`. Missing, extra or duplicated ids are refused
   with counts and examples.
3. The corpus's texts embedded with another ONNX model: :func:`encoder_embedding_task`.
4. Derived from an existing embedding (``truncate:D``, ``int8``, ``binary``):
   :func:`derived_embedding_task`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embexplorer.core.errors import InputError
from embexplorer.core.state.workspace import Embedding, Workspace, model_name, new_embedding
from embexplorer.core.tasks import Progress, Task

#: How many example ids a refusal names.
EXAMPLES = 5


# -- 1. other vector columns of the file ---------------------------------------------------------
def vector_columns(path: str | Path) -> list[str]:
    """Names that ``--vector-column`` accepts for ``path``, one per vector set in the file:
    Parquet/JSONL columns of number lists, ``.npz`` 2-D arrays, CSV/TSV numbered column groups
    (as ``prefix*``). Reads only the schema, the header or the first record."""
    from embexplorer.core.io import get_reader
    from embexplorer.core.io.vector_columns import list_vector_columns

    path = Path(path)
    return list_vector_columns(path, get_reader(path).name)


def column_embedding_task(workspace: Workspace, column: str) -> Task[Embedding]:
    """The vector column ``column`` of the workspace's own source file, as an embedding."""
    from embexplorer.core.io import ReadOptions, read_corpus

    source = workspace.source
    if source is None:
        raise InputError("This corpus has no source file to read another vector column from.")
    yield Progress(None, f"Reading {column} from {source.name}")
    options = ReadOptions(vector_column=column)
    other = read_corpus(source, options)
    if other.vectors is None:
        raise InputError(f"{source.name}: the column {column!r} holds no vectors.")
    order = align_rows(workspace.corpus.ids, other.ids, None, source.name)
    vectors = other.vectors if order is None else np.ascontiguousarray(other.vectors[order])
    return new_embedding(
        workspace.unique_name(column),
        vectors,
        {"kind": "column", "column": column},
        {"vector_column": column, "source": str(source)},
    )


# -- 2. a second file --------------------------------------------------------------------------
def file_embedding_task(
    workspace: Workspace,
    path: str | Path,
    id_column: str | None = None,
    by_row_order: bool = False,
    vector_column: str | None = None,
) -> Task[Embedding]:
    """The vectors of another file, row ``i`` matched to the workspace's row with the same id
    (``id_column`` of the other file, else its ids), or to row ``i`` with ``by_row_order``."""
    from embexplorer.core.io import ReadOptions, read_corpus

    path = Path(path)
    yield Progress(None, f"Reading {path.name}")
    other = read_corpus(path, ReadOptions(vector_column=vector_column))
    if other.vectors is None:
        raise InputError(f"{path.name} holds no vectors to compare with.")
    if by_row_order:
        if other.n_rows != workspace.n_rows:
            raise InputError(
                f"{path.name} has {other.n_rows:,} rows and the corpus {workspace.n_rows:,}; "
                "matching by row order needs the same number."
            )
        vectors, how = other.vectors, "row order"
    else:
        ids = other.ids
        if id_column is not None:
            if id_column not in other.columns:
                raise InputError(
                    f"{path.name} has no column {id_column!r}; columns: "
                    f"{', '.join(other.columns) or 'none'}."
                )
            ids = other.columns[id_column]
        order = align_rows(workspace.corpus.ids, ids, id_column, path.name)
        vectors = other.vectors if order is None else np.ascontiguousarray(other.vectors[order])
        how = f"id column {id_column}" if id_column else "ids"
    provenance = {k: v for k, v in other.provenance.items() if k != "nonfinite"}
    return new_embedding(
        workspace.unique_name(_file_embedding_name(path, other.provenance)),
        vectors,
        {
            "kind": "file",
            "path": str(path.resolve()),
            "sha256": other.provenance.get("source_sha256"),
            "id_column": id_column,
            "by_row_order": by_row_order,
            "vector_column": vector_column,
            "aligned_by": how,
        },
        provenance,
    )


def _file_embedding_name(path: Path, provenance: dict) -> str:
    """The model that made a file's vectors when it says (as the corpus's own embedding is
    named), else the file's name."""
    from embexplorer.core.state.workspace import default_name

    name = default_name(provenance)
    return path.stem if name in ("vectors", "vector") else name


def align_rows(
    ids: np.ndarray, other_ids: np.ndarray, id_column: str | None, name: str
) -> np.ndarray | None:
    """Rows of the other file in the order of ``ids`` (None when already aligned).

    Refuses, with counts and examples, ids that repeat in the other file, ids of the corpus
    the other file lacks, and ids the other file has that the corpus lacks.
    """
    mine = np.asarray([str(i) for i in ids], dtype=object)
    theirs = np.asarray([str(i) for i in other_ids], dtype=object)
    if len(mine) == len(theirs) and np.array_equal(mine, theirs):
        return None
    what = f"the id column {id_column!r}" if id_column else "the ids"
    unique, counts = np.unique(theirs, return_counts=True)
    repeated = unique[counts > 1]
    if len(repeated):
        raise InputError(
            f"{name}: {len(repeated):,} ids appear more than once in {what} "
            f"(e.g. {_examples(repeated)}); each row needs one vector."
        )
    position = {value: row for row, value in enumerate(theirs)}
    missing = [value for value in mine if value not in position]
    extra = sorted(set(theirs) - set(mine))
    if missing or extra:
        parts = []
        if missing:
            parts.append(
                f"{len(missing):,} of the corpus's ids are not in it (e.g. {_examples(missing)})"
            )
        if extra:
            parts.append(
                f"{len(extra):,} of its ids are not in the corpus (e.g. {_examples(extra)})"
            )
        raise InputError(
            f"{name} does not hold the same rows, matched by {what}: " + "; ".join(parts) + "."
        )
    return np.array([position[value] for value in mine], dtype=np.intp)


def _examples(values: Sequence[Any]) -> str:
    shown = ", ".join(repr(str(v)) for v in list(values)[:EXAMPLES])
    return shown + (", …" if len(values) > EXAMPLES else "")


# -- 3. another model --------------------------------------------------------------------------
def encoder_embedding_task(workspace: Workspace, config: Any, cache: Any = None) -> Task[Embedding]:
    """The corpus's texts embedded with ``config`` (an EncoderConfig)."""
    from embexplorer.core.embedding.embedding import embed_texts_task

    corpus = workspace.corpus
    if corpus.text_column is None:
        raise InputError("Choose the text column to embed (the corpus has none chosen).")
    vectors, provenance = yield from embed_texts_task(list(corpus.texts), config, cache)
    return new_embedding(
        workspace.unique_name(model_name(Path(config.model_path))),
        vectors,
        {"kind": "encoder"},
        {**provenance, "text_column": corpus.text_column},
    )


# -- 4. derived variants -----------------------------------------------------------------------
def derived_embedding_task(workspace: Workspace, parent: str, spec: str) -> Task[Embedding]:
    """``truncate:D``, ``int8`` or ``binary`` of the float embedding ``parent``."""
    from embexplorer.core.embedding.variants import binarize, parse_variant, quantize_int8, truncate

    source = workspace.embeddings.get(parent)
    if source is None:
        raise InputError(f"There is no embedding {parent!r}.")
    if source.vectors is None:
        raise InputError(f"{parent} holds codes already; derive variants from float vectors.")
    variant = parse_variant(spec, source.dim)
    yield Progress(None, f"Making {variant} of {parent}")
    metric = source.params.metric
    if variant.kind == "truncate":
        rows: Any = truncate(source.vectors, int(variant.dims or 0), metric)
    elif variant.kind == "int8":
        rows = quantize_int8(source.vectors).rows()
    else:
        rows = binarize(source.vectors).rows()
    params = source.params.replace(reduction="none")
    return new_embedding(
        workspace.unique_name(f"{parent} · {variant}"),
        rows,
        {"kind": "derived", "parent": parent, "variant": str(variant)},
        {"derived_from": parent, "variant": str(variant), **dict(source.provenance)},
        params,
    )


# -- one spec for all of them (the CLI's --a / --b) ---------------------------------------------
def spec_embedding_task(
    workspace: Workspace, spec: str, base: str | None = None, id_column: str | None = None
) -> Task[Embedding]:
    """An embedding named by ``spec``: ``file:PATH`` (aligned by ``id_column`` or the ids),
    ``truncate:D`` / ``int8`` / ``binary`` (derived from ``base``, default the active one), or
    the name of another vector column of the workspace's file."""
    from embexplorer.core.embedding.variants import KINDS

    spec = spec.strip()
    if spec.startswith("file:"):
        return (yield from file_embedding_task(workspace, spec[len("file:") :], id_column))
    if spec.partition(":")[0].lower() in KINDS:
        parent = base or workspace.active
        if parent is None:
            raise InputError(f"{spec} is derived from vectors, and the corpus has none.")
        return (yield from derived_embedding_task(workspace, parent, spec))
    return (yield from column_embedding_task(workspace, spec))
