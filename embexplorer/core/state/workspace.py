"""The workspace: one corpus of rows, N named embeddings over those rows, one selection.

The one source of truth for what the user is looking at, Qt-free and made of immutable values:
every change is a pure transition that returns a new :class:`Workspace`. The window's QObjects
hold the current workspace, run jobs and emit "changed"; widgets render from it; the CLI and
sessions read and write it. A test of the state needs no window.

- The rows: ids, metadata columns, texts (a :class:`~embexplorer.core.corpus.Corpus`), the
  tags, and the selection, shared by every embedding.
- Each :class:`Embedding`: its vectors (float32) or codes (int8, 1-bit) read through an
  array-like view, where it came from (``origin``), its provenance, and its own analysis
  parameters and typed result.
- ``active`` is the embedding on the main map, ``other`` the one on the second map (a
  comparison), and ``comparison`` their :class:`~embexplorer.core.analysis.compare.Comparison`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from embexplorer.core.analysis.analysis_columns import display_column, display_column_names
from embexplorer.core.analysis.params import AnalysisParams
from embexplorer.core.analysis.pipeline import AnalysisResult
from embexplorer.core.corpus import Corpus
from embexplorer.core.embedding.variants import DequantizedRows, SignRows
from embexplorer.core.errors import InputError
from embexplorer.core.state.selection import Selection

TAGS = "tags"
#: The column a comparison adds: each row's neighbourhood overlap between the two maps.
OVERLAP = "neighbourhood overlap"
#: The default analysis of a new embedding: k-means on the vectors, PCA first.
DEFAULT_PARAMS = AnalysisParams(clusters="kmeans:10")


@dataclass(frozen=True, eq=False)
class Embedding:
    """One vector set over the workspace's rows, with its own analysis.

    ``origin`` says how to get the vectors again: ``{"kind": "source"}`` (the file's own),
    ``{"kind": "column", "column": C}`` (another vector column of the same file),
    ``{"kind": "file", ...}`` (a second file aligned by id), ``{"kind": "encoder", ...}`` (made
    here from the texts), or ``{"kind": "derived", "parent": NAME, "variant": SPEC}``.
    """

    name: str
    rows: Any  # (N, D) float32 ndarray, or a code view (variants.DequantizedRows / SignRows)
    origin: Mapping[str, Any]
    provenance: Mapping[str, Any] = field(default_factory=dict)
    params: AnalysisParams = DEFAULT_PARAMS
    result: AnalysisResult | None = None

    @property
    def kind(self) -> str:
        if isinstance(self.rows, SignRows):
            return "binary"
        return "int8" if isinstance(self.rows, DequantizedRows) else "float32"

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    @property
    def dim(self) -> int:
        return int(self.rows.shape[1])

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metrics its kNN may use: Hamming for 1-bit codes, else the float metrics."""
        from embexplorer.core.analysis.neighbors import METRICS

        return ("hamming",) if self.kind == "binary" else METRICS

    @property
    def bytes_per_vector(self) -> int:
        if self.kind == "binary":
            return int(self.rows.codes.bits.shape[1])
        return self.dim * (1 if self.kind == "int8" else 4)

    @property
    def vectors(self) -> np.ndarray | None:
        """The float32 array, when the embedding is one (not codes)."""
        return self.rows if isinstance(self.rows, np.ndarray) else None

    def describe(self) -> str:
        what = {"float32": "float32", "int8": "int8 codes", "binary": "1-bit codes"}[self.kind]
        return f"{self.name}: {self.dim} dims, {what} ({self.bytes_per_vector:,} bytes/vector)"

    def with_result(self, result: AnalysisResult | None) -> Embedding:
        params = self.params if result is None else result.params
        return dataclasses.replace(self, result=result, params=params)

    def with_params(self, params: AnalysisParams) -> Embedding:
        if self.kind == "binary" and params.metric != "hamming":
            params = params.replace(metric="hamming")
        return dataclasses.replace(self, params=params)


def new_embedding(
    name: str,
    rows: Any,
    origin: Mapping[str, Any],
    provenance: Mapping[str, Any] | None = None,
    params: AnalysisParams = DEFAULT_PARAMS,
) -> Embedding:
    """An embedding with parameters that suit it (Hamming for 1-bit codes; k ≤ rows − 1)."""
    if isinstance(rows, SignRows):
        params = params.replace(metric="hamming")
    elif params.metric == "hamming":
        params = params.replace(metric="cosine")
    n = len(rows)
    if 2 <= n <= params.k:
        params = params.replace(k=n - 1)
    return Embedding(name, rows, dict(origin), dict(provenance or {}), params)


@dataclass(frozen=True, eq=False)
class Workspace:
    """The rows, the embeddings over them, and what the user chose."""

    corpus: Corpus
    source: Path | None = None
    embeddings: Mapping[str, Embedding] = field(default_factory=dict)
    active: str | None = None
    other: str | None = None
    comparison: Any = None  # core.compare.Comparison of (active, other), or None
    selection: Selection | None = None
    tags: np.ndarray | None = None
    focus: int = -1
    color_column: str | None = None

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def of(cls, corpus: Corpus, source: Path | None = None) -> Workspace:
        """A workspace of ``corpus``: its vectors (if any) are the first embedding."""
        embeddings = {}
        if corpus.vectors is not None:
            name = default_name(corpus.provenance)
            embeddings[name] = new_embedding(
                name, corpus.vectors, {"kind": "source"}, _vector_provenance(corpus.provenance)
            )
        return cls(
            corpus=corpus,
            source=source,
            embeddings=embeddings,
            active=next(iter(embeddings), None),
            selection=Selection.empty(corpus.n_rows, corpus.corpus_id),
            color_column=corpus.label_column,
        )

    @property
    def n_rows(self) -> int:
        return self.corpus.n_rows

    @property
    def current(self) -> Embedding | None:
        """The embedding on the main map."""
        return None if self.active is None else self.embeddings.get(self.active)

    @property
    def second(self) -> Embedding | None:
        """The embedding on the second map, when comparing."""
        return None if self.other is None else self.embeddings.get(self.other)

    # -- embeddings ----------------------------------------------------------------------------
    def unique_name(self, wanted: str) -> str:
        name, number = wanted, 2
        while name in self.embeddings:
            name, number = f"{wanted} ({number})", number + 1
        return name

    def with_embedding(self, embedding: Embedding, activate: bool = False) -> Workspace:
        if embedding.n_rows != self.n_rows:
            raise InputError(
                f"The embedding {embedding.name!r} has {embedding.n_rows:,} rows; the corpus "
                f"has {self.n_rows:,}."
            )
        embeddings = {**self.embeddings, embedding.name: embedding}
        active = embedding.name if activate or self.active is None else self.active
        changed = embedding.name in (self.active, self.other)
        return dataclasses.replace(
            self,
            embeddings=embeddings,
            active=active,
            comparison=None if changed else self.comparison,
        )

    def without_embedding(self, name: str) -> Workspace:
        if name not in self.embeddings:
            raise KeyError(name)
        embeddings = {k: v for k, v in self.embeddings.items() if k != name}
        active = self.active if self.active != name else next(iter(embeddings), None)
        other = None if self.other in (name, active) else self.other
        comparison = self.comparison if (active, other) == (self.active, self.other) else None
        return dataclasses.replace(
            self, embeddings=embeddings, active=active, other=other, comparison=comparison
        )

    def with_result(self, name: str, result: AnalysisResult | None) -> Workspace:
        return self._replace_embedding(name, self.embeddings[name].with_result(result))

    def with_params(self, name: str, params: AnalysisParams) -> Workspace:
        return self._replace_embedding(name, self.embeddings[name].with_params(params))

    def _replace_embedding(self, name: str, embedding: Embedding) -> Workspace:
        return dataclasses.replace(self, embeddings={**self.embeddings, name: embedding})

    def showing(self, active: str, other: str | None = None) -> Workspace:
        """The main map shows ``active``; the second map ``other`` (None: no second map)."""
        for name in (active, other):
            if name is not None and name not in self.embeddings:
                raise KeyError(name)
        if other == active:
            other = None
        keep = (active, other) == (self.active, self.other)
        return dataclasses.replace(
            self, active=active, other=other, comparison=self.comparison if keep else None
        )

    def with_comparison(self, comparison: Any) -> Workspace:
        return dataclasses.replace(self, comparison=comparison)

    # -- the rows --------------------------------------------------------------------------------
    def with_corpus(self, corpus: Corpus) -> Workspace:
        """The same rows with other column roles (text / label column)."""
        if corpus.n_rows != self.n_rows:
            raise InputError("The corpus must keep its rows.")
        return dataclasses.replace(self, corpus=corpus)

    def with_selection(self, selection: Selection) -> Workspace:
        if selection.n_rows != self.n_rows:
            raise InputError("The selection is for another corpus.")
        return dataclasses.replace(self, selection=selection)

    def with_tags(self, tags: np.ndarray | None) -> Workspace:
        if tags is not None and len(tags) != self.n_rows:
            raise InputError(f"{len(tags):,} tags for {self.n_rows:,} rows.")
        return dataclasses.replace(self, tags=tags)

    def with_focus(self, row: int) -> Workspace:
        if not -1 <= row < self.n_rows:
            raise InputError(f"Row {row} is not one of the {self.n_rows:,} rows.")
        return dataclasses.replace(self, focus=row)

    def with_color(self, column: str | None) -> Workspace:
        return dataclasses.replace(self, color_column=column)

    # -- what the views show -------------------------------------------------------------------
    def column_values(self, name: str | None) -> np.ndarray | None:
        """A corpus column, the tags, a column the active analysis added, or the overlap."""
        if name is None:
            return None
        if name in self.corpus.columns:
            return self.corpus.columns[name]
        if name == TAGS:
            return self.tags
        if name == OVERLAP:
            return None if self.comparison is None else self.comparison.overlap
        current = self.current
        return display_column(None if current is None else current.result, name)

    def extra_column_names(self) -> list[str]:
        """Columns beside the corpus's: the tags, the analysis's, the comparison's."""
        names = [TAGS] if self.tags is not None else []
        current = self.current
        names += display_column_names(None if current is None else current.result)
        return names + ([OVERLAP] if self.comparison is not None else [])

    def describe_row(self, row: int, max_chars: int = 300) -> str:
        """A short text for hover tooltips: id, label, the colour column and the text."""
        corpus = self.corpus
        if not 0 <= row < corpus.n_rows:
            return ""
        lines = [f"{corpus.ids[row]}"]
        if corpus.label_column is not None:
            lines.append(f"{corpus.label_column}: {corpus.labels[row]}")
        if self.color_column not in (None, corpus.label_column):
            values = self.column_values(self.color_column)
            if values is not None:
                lines.append(f"{self.color_column}: {values[row]}")
        if corpus.text_column is not None and corpus.texts[row]:
            text = str(corpus.texts[row])
            lines.append(text if len(text) <= max_chars else text[:max_chars] + "…")
        return "\n".join(lines)


def default_name(provenance: Mapping[str, Any]) -> str:
    """The name of a file's own embedding: the encoder's model, the column, or "vectors"."""
    encoder = provenance.get("encoder")
    if isinstance(encoder, Mapping) and encoder.get("model"):
        return model_name(Path(str(encoder["model"])))
    for key in ("vector_column", "vector_key"):
        if isinstance(provenance.get(key), str):
            return str(provenance[key])
    return "vectors"


def _vector_provenance(provenance: Mapping[str, Any]) -> dict[str, Any]:
    keep = ("encoder", "vector_column", "vector_key", "source", "source_sha256")
    return {k: provenance[k] for k in keep if k in provenance}


def model_name(path: Path) -> str:
    """A model's name for people: the bundled model's, its file's stem, or its folder's when
    the file is just ``model.onnx`` (as most exported models are)."""
    from embexplorer.core.embedding.encoder import BUNDLED_MODEL, bundled_model_path

    if path == bundled_model_path():
        return BUNDLED_MODEL
    if path.stem.lower() in ("model", "model_quantized", "model_int8", "onnx") and path.parent.name:
        return path.parent.name.replace("_", "-")
    return path.stem
