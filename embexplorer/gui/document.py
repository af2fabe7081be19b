"""The open document: the corpus, its map and colours, and the jobs that compute them.

Request → compute → response: a method snapshots what a job needs on the GUI thread, the job
runs on the :class:`TaskRunner`'s threads without touching this object, and the result is
applied here on the GUI thread (and announced with a signal the views listen to).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from embexplorer.core.analysis.analysis_columns import CLUSTER, DISPLAY_COLUMNS
from embexplorer.core.analysis.query import QueryResult, semantic_query_task
from embexplorer.core.corpus import Corpus, describe_columns
from embexplorer.core.embedding.embedding import ModelConsentError, embed_corpus_task
from embexplorer.core.embedding.embedding_cache import EmbeddingCache
from embexplorer.core.embedding.encoder import EncoderConfig, default_config
from embexplorer.core.errors import InputError, NonFiniteRowsError
from embexplorer.core.io import ReadOptions
from embexplorer.core.io.analysed_dataset import AnalysedDataset
from embexplorer.core.state.filters import Filters
from embexplorer.core.state.search import rows_matching_task
from embexplorer.core.state.session_file import SessionState, session_state
from embexplorer.core.state.workspace import OVERLAP, Workspace
from embexplorer.gui.analysis_jobs import MapData
from embexplorer.gui.analysis_session import AnalysisSession
from embexplorer.gui.document_jobs import (
    Opened,
    colors_task,
    filter_mask_task,
    open_task,
    restore_task,
)
from embexplorer.gui.embedding_set import EmbeddingSet
from embexplorer.gui.plot.colormap import (
    ColorMapping,
)
from embexplorer.gui.selection_state import TAGS, SelectionState
from embexplorer.gui.worker import TaskRunner, error_message

#: Why the features that need vectors are off for an analysed dataset.
NO_VECTORS_REASON = (
    "An analysed dataset (what embexplorer analyze writes) holds its map and neighbour graph, "
    "not its vectors: re-analysis, embedding, search by meaning and comparing embeddings need "
    "the vectors. Open the corpus with its vectors for them."
)


class Document(QObject):
    corpus_changed = Signal(object)  # Corpus | None
    columns_changed = Signal(object)  # Corpus (text / label column changed, same rows)
    vectors_changed = Signal(object)  # Corpus (new vectors for the same rows)
    results_changed = Signal(object)  # AnalysisResult | None
    tags_changed = Signal(object)  # np.ndarray | None
    session_restored = Signal(object)  # SessionState (view range, colours applied by views)
    map_changed = Signal(object)  # MapData | None
    colors_changed = Signal(object)  # ColorMapping
    rows_filtered = Signal(object)  # np.ndarray of source rows
    filters_changed = Signal(object)  # Filters (the metadata charts' cross-filters)
    focus_changed = Signal(int)  # the inspected row, or -1
    query_changed = Signal(object)  # QueryResult | None
    query_failed = Signal(str)
    #: (ModelConsentError, text, k): the vectors name a model the user has not agreed to run
    model_consent_needed = Signal(object, str, int)
    #: the map of the current corpus is drawn and coloured (the pipeline is done)
    pipeline_finished = Signal()
    #: (title, message, details) for the window to show
    failed = Signal(str, str, str)
    #: (path, options, error): vectors hold NaN/inf; the window asks the user what to do
    nonfinite_found = Signal(object, object, object)

    def __init__(self, runner: TaskRunner, parent: QObject | None = None):
        super().__init__(parent)
        self.runner = runner
        self.corpus: Corpus | None = None
        self.source: Path | None = None
        #: the analysed dataset whose rows are open (read by row from its files), or None
        self.stored: AnalysedDataset | None = None
        self.map_data: MapData | None = None
        #: the charts' cross-filters, and the rows that pass them (None: no filter)
        self.filters = Filters()
        self.filter_mask: np.ndarray | None = None
        self.colors: ColorMapping | None = None
        self.color_column: str | None = None
        self.focus_row = -1
        self.encoder_config: EncoderConfig = default_config()
        self.read_options = ReadOptions()
        self.cache = EmbeddingCache()
        self.selection = SelectionState(self)
        self.selection.tags_changed.connect(self._on_tags)
        self.analysis = AnalysisSession(runner, self)
        self.analysis.map_changed.connect(self._on_map)
        self.analysis.results_changed.connect(self._on_results)
        self.analysis.finished.connect(self._maybe_finished)
        self.analysis.failed.connect(self.failed)
        #: the embeddings of the corpus (core workspace), the second map, the comparison
        self.embeddings = EmbeddingSet(self, self)
        self.embeddings.failed.connect(self.failed)
        self.query_result: QueryResult | None = None
        self._query_encoder = None  # kept between queries: loading it takes ~0.3 s
        #: SHA-256s of models (named by data files) the user agreed to run for queries
        self.trusted_models: set[str] = set()
        self._colors_pending = False  # a colouring was asked for and has not arrived
        runner.channel_busy.connect(self._on_channel_busy)

    # -- loading ------------------------------------------------------------------------------
    def open(self, path: str | Path, options: ReadOptions | None = None) -> None:
        path = Path(path)
        options = options or ReadOptions()
        self.runner.cancel()  # everything computed for the old corpus is stale now
        self.runner.submit(
            "load",
            lambda: open_task(path, options),
            lambda opened: self._on_opened(path, options, opened),
            title=f"Opening {path.name}",
            on_error=lambda exc, details: self._on_load_error(path, options, exc, details),
        )

    def _on_load_error(
        self, path: Path, options: ReadOptions, exc: Exception, details: str
    ) -> None:
        if isinstance(exc, NonFiniteRowsError):
            self.nonfinite_found.emit(path, options, exc)
        else:
            self.failed.emit(
                f"Could not open {path.name}",
                error_message(exc),
                "" if isinstance(exc, InputError) else details,
            )

    def _adopt(
        self,
        path: Path,
        corpus: Corpus,
        color_column: str | None,
        stored: AnalysedDataset | None = None,
    ) -> None:
        """A new corpus replaces the old: every view and per-corpus state starts afresh."""
        self.source, self.corpus, self.stored = path, corpus, stored
        self.map_data, self.colors, self.focus_row = None, None, -1
        self.clear_query()
        self.selection.reset(corpus.n_rows, corpus.corpus_id)
        self.color_column = color_column
        self.embeddings.reset(corpus, path)
        self.filters, self.filter_mask = Filters(), None
        self.corpus_changed.emit(corpus)
        self.focus_changed.emit(-1)

    def _on_opened(self, path: Path, options: ReadOptions, opened: Opened) -> None:
        self.read_options = options  # how this corpus was read (not a load that failed)
        corpus = opened.corpus
        self._adopt(path, corpus, opened.color_column, stored=opened.dataset)
        if opened.dataset is not None:
            self.analysis.show_stored(corpus, opened.dataset, opened.map_data)
            return
        if corpus.vectors is not None:
            self.analysis.start(corpus)
        elif corpus.text_column is not None:
            self._start_embedding()
        else:
            self.failed.emit(
                "Nothing to draw",
                f"{path.name} has no vectors and no text column "
                "to embed. Choose the text column in the dataset panel. "
                f"Columns: {describe_columns(corpus.columns)}.",
                "",
            )

    # -- pipeline -----------------------------------------------------------------------------
    def embed(self, config: EncoderConfig | None = None) -> None:
        """Embed the text column (again) with ``config``; the map and colours follow."""
        if config is not None:
            self.encoder_config = config
        self._start_embedding()

    def _start_embedding(self) -> None:
        corpus, config, cache = self.corpus, self.encoder_config, self.cache
        if corpus is None:
            return
        if self.stored is not None:
            self.failed.emit("Nothing to embed", NO_VECTORS_REASON, "")
            return
        if corpus.text_column is None:
            self.failed.emit("Nothing to embed", "Choose the text column first.", "")
            return
        self.runner.submit(
            "embed",
            lambda: embed_corpus_task(corpus, config, cache),
            self._on_embedded,
            title=f"Embedding {corpus.n_rows:,} texts",
        )

    def _on_embedded(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.clear_query()
        self.embeddings.reset(corpus, self.source, made_here=True)
        self.vectors_changed.emit(corpus)
        self.analysis.start(corpus)

    def _on_map(self, map_data: MapData | None) -> None:
        self.map_data = map_data
        self.map_changed.emit(map_data)
        if map_data is not None:
            self._recolor()
            if self.query_result is not None:  # where the query falls on the new layout
                self.query(self.query_result.text, len(self.query_result.rows))

    def _on_results(self, result) -> None:
        self.results_changed.emit(result)
        if self.color_column in DISPLAY_COLUMNS or (
            self.colors is None and not self._colors_pending
        ):
            self._recolor()  # an analysis column: new values, or gone until recomputed

    def _on_channel_busy(self, channel: str, running: bool) -> None:
        if channel == "colors" and not running:  # done, or cancelled (with everything else)
            QTimer.singleShot(0, self._check_colors)

    def _check_colors(self) -> None:
        """A Cancel may stop a colouring the map on screen needs (its column changed, got new
        values or went away): colour again, so the map never keeps the old colours. (With no
        map yet, the next map is coloured when it arrives: nothing starts after a Cancel.)"""
        if self._colors_pending and self.map_data is not None and not self.runner.is_busy("colors"):
            self._recolor()

    @property
    def shown_color_column(self) -> str | None:
        """The column the map is coloured by: the chosen one while its values exist. An
        analysis column being recomputed (or left out by a Cancel) is a single colour until
        it is back; the choice itself is kept."""
        column = self.color_column
        if column is None or self.corpus is None:
            return None
        available = column in self.corpus.columns or column in self.extra_column_names()
        return column if available else None

    def column_values(self, name: str | None) -> np.ndarray | None:
        """A corpus column or a column the analysis added (N_k, cluster, …)."""
        if name is None or self.corpus is None:
            return None
        if name in self.corpus.columns:
            return self.corpus.columns[name]
        if name == TAGS and self.selection.tags is not None:
            return self.selection.tags
        if name == OVERLAP:
            return self.embeddings.column_values(name)
        return self.analysis.derived_column(name)

    def extra_column_names(self) -> list[str]:
        """Columns beside the corpus's: the tags, what the analysis added, the overlap."""
        names = [TAGS] if self.selection.tags is not None else []
        names += self.analysis.derived_column_names()
        return names + self.embeddings.extra_column_names()

    def comparison_changed(self) -> None:
        """A new comparison (or none): the overlap column changed, and so its colours."""
        if self.color_column == OVERLAP:
            self._recolor()

    def _on_tags(self, tags) -> None:
        self.tags_changed.emit(tags)
        if self.color_column == TAGS:
            self._recolor()

    def _recolor(self) -> None:
        corpus, column = self.corpus, self.color_column
        if corpus is None:
            return
        clustering = self._analysis_clusters(column)
        values = None if clustering is not None else self.column_values(column)
        self._colors_pending = True
        self.runner.submit(
            "colors",
            lambda: colors_task(values, column, corpus.n_rows, clustering),
            self._on_colored,
            title="Colouring",
        )

    def _analysis_clusters(self, column: str | None):
        """The analysis's clustering when ``column`` is its cluster column (not the corpus's)."""
        if column != CLUSTER or self.corpus is None or column in self.corpus.columns:
            return None
        result = self.analysis.result
        return None if result is None else result.clusters

    def _on_colored(self, colors: ColorMapping) -> None:
        self.colors, self._colors_pending = colors, False
        self.colors_changed.emit(colors)
        self._maybe_finished()

    def _maybe_finished(self) -> None:
        """The map is drawn and coloured and every analysis stage is done (an analysed
        dataset's stages were done when it was written)."""
        busy = any(self.runner.is_busy(c) for c in ("analysis", "colors", "embed", "load"))
        analysed = self.analysis.result is not None or self.stored is not None
        if self.map_data is not None and analysed and not busy:
            self.pipeline_finished.emit()

    # -- user choices -------------------------------------------------------------------------
    def set_color_column(self, column: str | None) -> None:
        self.color_column = column
        self._recolor()

    def set_text_column(self, column: str | None) -> None:
        if self.corpus is not None and column != self.corpus.text_column:
            self.corpus = self.corpus.replace(text_column=column)
            self.columns_changed.emit(self.corpus)

    def set_label_column(self, column: str | None) -> None:
        if self.corpus is not None and column != self.corpus.label_column:
            self.corpus = self.corpus.replace(label_column=column)
            self.columns_changed.emit(self.corpus)
            self.set_color_column(column)

    def set_filters(self, filters: Filters) -> None:
        """Keep the rows that pass ``filters`` (on the map: the others faded; in the table:
        only them)."""
        corpus = self.corpus
        if corpus is None or not filters:
            self.runner.cancel("chart filter")  # a mask still being computed must not land
            self._apply_filters(Filters(), None)
            return
        columns, n = self.chart_columns(), corpus.n_rows

        def apply(mask: np.ndarray) -> None:
            if self.corpus is corpus:  # not a late result for the corpus before
                self._apply_filters(filters, mask)

        self.runner.submit(
            "chart filter", lambda: filter_mask_task(filters, columns, n), apply, title="Filtering"
        )

    def _apply_filters(self, filters: Filters, mask: np.ndarray | None) -> None:
        self.filters, self.filter_mask = filters, mask
        self.filters_changed.emit(filters)

    def chart_columns(self) -> dict:
        """The columns the charts show and filter: the metadata in memory (not the columns of
        an analysed dataset read by row), and the tags when any."""
        columns = {k: v for k, v in self.corpus.columns.items() if isinstance(v, np.ndarray)}
        tags = self.selection.tags
        if tags is not None:
            columns["tags"] = tags
        return columns

    def search(self, query: str) -> None:
        corpus = self.corpus
        if corpus is None:
            return
        self.runner.submit(
            "filter",
            lambda: rows_matching_task(corpus.columns, corpus.ids, query),
            self.rows_filtered.emit,
            title="Searching",
        )

    def query(self, text: str, k: int = 10) -> None:
        """Embed ``text`` with the corpus's encoder; its k nearest rows arrive in query_changed."""
        corpus, map_data, encoder = self.corpus, self.map_data, self._query_encoder
        if self.stored is not None:
            self.query_failed.emit(NO_VECTORS_REASON)
            return
        if corpus is None or corpus.vectors is None:
            self.query_failed.emit("Open a corpus with vectors (or embed its texts) first.")
            return
        projection = None if map_data is None else map_data.projection
        trusted = frozenset(self.trusted_models)
        self.runner.submit(
            "query",
            lambda: semantic_query_task(
                text, corpus.vectors, corpus.provenance, k, projection, encoder, trusted=trusted
            ),
            self._on_query_done,
            title="Searching by meaning",
            on_error=lambda exc, details: self._on_query_error(exc, text, k),
        )

    def _on_query_error(self, exc: Exception, text: str, k: int) -> None:
        if isinstance(exc, ModelConsentError):
            self.model_consent_needed.emit(exc, text, k)
        else:
            self.query_failed.emit(error_message(exc))

    def _on_query_done(self, outcome) -> None:
        self.query_result, self._query_encoder = outcome
        self.query_changed.emit(self.query_result)

    def clear_query(self) -> None:
        self.runner.cancel("query")
        if self.query_result is not None:
            self.query_result = None
            self.query_changed.emit(None)

    def set_focus(self, row: int) -> None:
        if row != self.focus_row:
            self.focus_row = row
            self.focus_changed.emit(row)

    def describe_row(self, row: int, max_chars: int = 300) -> str:
        """A short text for hover tooltips: id, label and the start of the text."""
        corpus = self.corpus
        if corpus is None or not 0 <= row < corpus.n_rows:
            return ""
        lines = [f"{corpus.ids[row]}"]
        if corpus.label_column is not None:
            lines.append(f"{corpus.label_column}: {corpus.labels[row]}")
        # the colouring column may be one the analysis added (N_k, cluster, …) or the tags
        values = (
            None
            if self.color_column == corpus.label_column
            else self.column_values(self.color_column)
        )
        if values is not None and row < len(values):
            lines.append(f"{self.color_column}: {values[row]}")
        if corpus.text_column is not None and corpus.texts[row]:
            text = str(corpus.texts[row])
            lines.append(text if len(text) <= max_chars else text[:max_chars] + "…")
        return "\n".join(lines)

    # -- sessions -----------------------------------------------------------------------------
    def workspace(self) -> Workspace:
        """The window's state as a core workspace: the embeddings (document.embeddings) with
        the corpus's roles, the selection, the tags, the focus and the colouring."""
        workspace = self.embeddings.workspace
        if self.corpus is None or workspace is None:
            raise InputError("Open a corpus first.")
        return dataclasses.replace(
            workspace.with_corpus(self.corpus),
            selection=self.selection.selection,
            tags=self.selection.tags,
            focus=self.focus_row,
            color_column=self.color_column,
        )

    def session_state(self, view_range=None) -> SessionState:
        if self.corpus is None or self.source is None:
            raise InputError("Open a corpus before saving a session.")
        if self.stored is not None:
            raise InputError(
                "Sessions of an analysed dataset are not saved yet: reopen the dataset instead."
            )
        options = dataclasses.asdict(self.read_options)
        return session_state(self.workspace(), options, view_range)

    def open_session(self, path: str | Path) -> None:
        path = Path(path)
        self.runner.cancel()
        self.runner.submit(
            "load",
            lambda: restore_task(path),
            self._on_session_read,
            title=f"Opening session {path.name}",
            on_error=lambda exc, details: self.failed.emit(
                f"Could not open {path.name}",
                error_message(exc),
                "" if isinstance(exc, InputError) else details,
            ),
        )

    def _on_session_read(self, outcome) -> None:
        workspace, state, map_data = outcome
        corpus, active = workspace.corpus, workspace.current
        # the corpus's vectors are its first embedding's: the file's, or those the encoder
        # made here in their place
        first = next(iter(workspace.embeddings.values()), None)
        if first is not None and first.vectors is not None and first.vectors is not corpus.vectors:
            corpus = corpus.with_vectors(first.vectors, first.provenance)
        self.read_options = ReadOptions(**state.read_options)
        self._adopt(Path(state.source), corpus, state.color_column)
        self.embeddings.restore(workspace.with_corpus(corpus))
        if active is None:
            self.analysis.restore(corpus, None, None)
        else:
            self.analysis.restore(corpus, active.result, map_data, active.rows, active.params)
        self.selection.restore(state.selection)
        if state.tags is not None:
            self.selection.set_tags(state.tags)
        self.session_restored.emit(state)
        if state.focus_row >= 0:
            self.set_focus(state.focus_row)
