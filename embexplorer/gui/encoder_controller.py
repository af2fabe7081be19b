"""Connects the encoder and search by meaning to the document: the Encoder panel (run,
cancel, progress, cache, the texts' language) and the query panel with the query's overlay on
the map."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox

from embexplorer.core.embedding.embedding import cache_warning
from embexplorer.core.embedding.encoder import EncoderConfig, model_name
from embexplorer.core.embedding.language import language_warning_task

#: the worker channel of the language check (a new embedding's check replaces the last one)
LANGUAGE = "language"


class EncoderViews(QObject):
    #: the language check of an embedding's texts ended: its warning, or None
    language_checked = Signal(object)

    def __init__(self, window, parent=None):
        super().__init__(parent)
        self.main_window = window
        doc, enc, query = window.document, window.encoder_panel, window.query_panel
        self.document, self.encoder_panel, self.query_panel = doc, enc, query
        enc.run_requested.connect(doc.embed)
        enc.add_requested.connect(self.check_language)
        enc.cancel_requested.connect(lambda: window.runner.cancel("embed"))
        enc.clear_cache_requested.connect(self.clear_cache)
        enc.text_column_chosen.connect(doc.set_text_column)
        doc.vectors_changed.connect(self._on_vectors_changed)
        doc.corpus_changed.connect(lambda _: enc.show_cache_note(None))
        doc.corpus_changed.connect(self._forget_language)
        query.query_submitted.connect(doc.query)
        query.cleared.connect(doc.clear_query)
        query.row_chosen.connect(doc.set_focus)
        doc.query_changed.connect(self._on_query_changed)
        doc.query_failed.connect(query.show_error)
        window.runner.channel_busy.connect(self._on_channel_busy)
        window.runner.finished.connect(self._on_finished)
        window.runner.progress.connect(self._on_progress)
        self._embedded = False
        self.show_cache()

    def _on_channel_busy(self, channel: str, busy: bool) -> None:
        if channel != "embed":
            return
        self.encoder_panel.set_running(busy)
        if busy:
            self._embedded = False
            self.check_language(self.document.encoder_config)
        else:  # whether it succeeded is known once the job's result is applied, just after
            QTimer.singleShot(0, self._after_embedding)

    def _on_finished(self, channel: str) -> None:
        if channel == "embed":
            self._embedded = True

    def _after_embedding(self) -> None:
        """A failed or cancelled run leaves no "Loading …" or "… left" behind."""
        if not self._embedded and not self.main_window.runner.is_busy("embed"):
            self.encoder_panel.progress.setText("Stopped: no vectors were made.")

    def _on_progress(self, title: str, progress) -> None:
        if title.startswith("Embedding"):
            self.encoder_panel.progress.setText(progress.message)

    def check_language(self, config: EncoderConfig) -> None:
        """On the worker, while the texts are embedded: does the model read their language?

        The notice comes within about a second (a sample of 200 texts), long before the
        vectors, so the user can cancel and choose another model.
        """
        corpus = self.document.corpus
        if corpus is None or corpus.texts is None:
            return
        texts, model = corpus.texts, model_name(config)
        self.main_window.runner.submit(
            LANGUAGE,
            lambda: language_warning_task(texts, config.tokenizer_path, model),
            self._on_language_checked,
            title="Checking the texts' language",
            on_error=lambda exc, details: self._on_language_checked(None),
        )

    def _on_language_checked(self, warning: str | None) -> None:
        self.encoder_panel.show_language_note(warning)
        if warning is not None:
            self.main_window.encoder_dock.raise_()
            self.main_window.status_message.setText(warning)
        self.language_checked.emit(warning)

    def _forget_language(self, *_) -> None:
        self.main_window.runner.cancel(LANGUAGE)
        self.encoder_panel.show_language_note(None)

    def _on_query_changed(self, result) -> None:
        overlay = self.main_window.plot_panel.view.query_overlay
        map_data = self.document.map_data
        if result is None or map_data is None:
            overlay.clear()
            if result is None:
                self.query_panel.clear_result()
            return
        self.query_panel.show_result(result, self.document.corpus)
        overlay.show(result.position, map_data.index.coords[result.rows])

    def _on_vectors_changed(self, corpus) -> None:
        """Refresh the cache's size; say so when it held a damaged entry or could not store."""
        self._show_all_done(corpus)
        self.show_cache()
        warning = cache_warning(corpus.provenance)
        self.encoder_panel.show_cache_note(warning)
        if warning is not None:
            self.main_window.status_message.setText(warning)

    def _show_all_done(self, corpus) -> None:
        """The last batch's line may be left out by the worker's throttle (one progress line
        per 50 ms): a short job would end on "Counting tokens: …"."""
        done = f"{corpus.n_rows:,} of {corpus.n_rows:,} texts"
        progress = self.encoder_panel.progress
        if corpus.provenance.get("embedding_cache") != "hit" and not (
            progress.text().startswith(done)
        ):
            progress.setText(f"{done} embedded.")

    def show_cache(self) -> None:
        cache = self.document.cache
        self.encoder_panel.show_cache(cache.entries(), cache.size_bytes())

    def clear_cache(self) -> None:
        answer = QMessageBox.question(
            self.main_window,
            "Clear the embedding cache",
            "Delete every cached embedding? Corpora embedded before will be embedded again "
            "when reopened.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            freed = self.document.cache.clear()
            self.main_window.status_message.setText(
                f"Cleared the embedding cache ({freed / 1e6:.1f} MB)."
            )
            self.show_cache()
