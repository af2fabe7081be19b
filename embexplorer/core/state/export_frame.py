"""What an export holds: the chosen column groups of the chosen rows, from the corpus, the
analysis results and the tags."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from embexplorer.core.analysis.analysis_columns import (
    analysis_provenance,
    comparison_columns,
    row_columns,
)
from embexplorer.core.corpus import Corpus
from embexplorer.core.errors import InputError
from embexplorer.core.io.export import VECTOR_FORMATS, ExportFrame, export_provenance

#: Column groups the user chooses from, in the order they are written.
GROUPS = (
    "ids",
    "metadata",
    "text",
    "tags",
    "vectors",
    "xy",
    "neighbors",
    "k_occurrence",
    "cluster",
    "preservation",
    "comparison",
)
#: Checked by default: everything but neighbour preservation (a map-quality diagnostic).
DEFAULT_GROUPS = tuple(g for g in GROUPS if g != "preservation")


def no_vectors_note(corpus: Corpus) -> str | None:
    """``"NAME has no vectors (columns: …)"`` when the corpus has none, else None."""
    if corpus.vectors is not None:
        return None
    source = corpus.provenance.get("source")
    name = Path(source).name if source else "The corpus"
    return f"{name} has no vectors (columns: {', '.join(corpus.columns) or 'none'})"


def check_vectors_available(corpus: Corpus, groups: Iterable[str], fmt: str) -> None:
    """Refuse an export that needs vectors (the vectors group, NPY, the Projector pair) from a
    corpus that has none, naming the columns it does have."""
    note = no_vectors_note(corpus)
    needs_format = fmt in VECTOR_FORMATS
    if note is None or not (needs_format or "vectors" in set(groups)):
        return
    remedy = (
        "choose CSV, TSV, Parquet or JSON Lines"
        if needs_format
        else "leave the vectors out of the columns"
    )
    raise InputError(f"{note}; {remedy}, or open a file with vectors.")


def build_frame(
    corpus: Corpus,
    rows: np.ndarray,
    groups: Iterable[str],
    result: Any = None,
    tags: np.ndarray | None = None,
    selection_note: str = "all rows",
    comparison: Any = None,
    comparison_info: dict[str, Any] | None = None,
    embedding: str | None = None,
) -> ExportFrame:
    """The export of ``rows`` (source row numbers) with the chosen ``groups``.

    Neighbour lists hold source row numbers; the ``row`` column (with ``ids``) resolves them.
    Groups the analysis has not computed are left out.
    """
    groups = set(groups)
    unknown = groups - set(GROUPS)
    if unknown:
        raise ValueError(f"Unknown column groups: {', '.join(sorted(unknown))}.")
    rows = np.asarray(rows, dtype=np.intp)
    columns: dict[str, np.ndarray] = {}
    has_id_column = any(name.lower() == "id" for name in corpus.columns)
    if "ids" in groups:
        columns["row"] = rows.astype(np.int64)
        if not has_id_column:
            columns["id"] = np.asarray(corpus.ids)[rows]
    for name, values in corpus.columns.items():
        is_text = name == corpus.text_column
        is_id = name.lower() == "id"
        if (
            (is_text and "text" in groups)
            or (is_id and "ids" in groups)
            or (not is_text and not is_id and "metadata" in groups)
        ):
            columns[name] = values[rows]
    if "tags" in groups and tags is not None:
        columns["tags"] = tags[rows]
    result_columns, lists = row_columns(result, rows, groups)
    columns.update(result_columns)
    analysis = analysis_provenance(result)
    if embedding is not None and analysis:  # which embedding of the rows it analysed
        analysis["embedding"] = embedding
    if "comparison" in groups and comparison is not None:  # two embeddings of these rows
        compared, compared_lists = comparison_columns(comparison, rows)
        columns.update(compared)
        lists.update(compared_lists)
        analysis["comparison"] = comparison_info or {}
    vectors = None
    if "vectors" in groups and corpus.vectors is not None:
        vectors = np.ascontiguousarray(corpus.vectors[rows])
    return ExportFrame(
        columns=columns,
        lists=lists,
        vectors=vectors,
        provenance=export_provenance(corpus.provenance, analysis, selection_note),
    )
