"""The embeddings of the open corpus: a thin Qt adapter over the core workspace.

It holds the current :class:`~embexplorer.core.state.workspace.Workspace` value (the embeddings,
which is on the main map, which on the second map, their comparison) and runs the jobs that
change it on the worker: adding an embedding (a derived variant, another vector column, a
second file, another model), the second map's analysis, the comparison, the stability sweep.
Each change replaces the value and emits ``changed``; widgets render from it.

The main map's analysis runs in the document's AnalysisSession, the second map's in one of
its own (channel "second map"); their results are written back into the workspace as they
arrive, so the workspace always holds what the maps show.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from embexplorer.core.corpus import Corpus
from embexplorer.core.errors import InputError
from embexplorer.core.state.workspace import OVERLAP, Embedding, Workspace
from embexplorer.core.tasks import Progress, Task
from embexplorer.gui.analysis_jobs import MapData
from embexplorer.gui.analysis_session import AnalysisSession
from embexplorer.gui.plot.point_index import PointIndex
from embexplorer.gui.worker import error_message

#: Runner channels of this adapter's jobs.
ADD, COMPARE, SWEEP, SHOW = "embeddings", "compare", "stability", "show embedding"


def _indexed_task(result) -> Task[MapData | None]:
    projection = None if result is None else result.projection
    if projection is None:
        return None
    yield Progress(None, "Indexing points for picking")
    return MapData(projection, PointIndex(projection.coords))


def _aligned_task(map_data: MapData, reference: MapData | None) -> Task[MapData]:
    """The second map's points turned onto the main map's (Procrustes), for linked views."""
    from embexplorer.core.analysis.compare import align_coords

    if reference is None:
        return map_data
    yield Progress(None, "Aligning the second map with the main map")
    coords = align_coords(map_data.projection.coords, reference.projection.coords)
    return MapData(map_data.projection, PointIndex(coords))


class EmbeddingSet(QObject):
    changed = Signal(object)  # Workspace | None
    second_map_changed = Signal(object)  # MapData | None, aligned to the main map
    comparison_changed = Signal(object)  # core.compare.Comparison | None
    stability_changed = Signal(object)  # (embedding name, k, rows) | None
    failed = Signal(str, str, str)

    def __init__(self, document, parent: QObject | None = None):
        super().__init__(parent)
        self.document = document
        self.runner = document.runner
        self.workspace: Workspace | None = None
        self.second_map: MapData | None = None
        self.stability: tuple[str, int, list] | None = None
        self.second = AnalysisSession(self.runner, self, channel="second map")
        self.second.map_changed.connect(self._on_second_map)
        self.second.results_changed.connect(self._on_second_result)
        self.second.failed.connect(self.failed)
        document.analysis.results_changed.connect(self._on_main_result)
        document.analysis.params_changed.connect(self._on_main_params)
        document.analysis.map_changed.connect(lambda _: self._align_second())

    # -- the value ----------------------------------------------------------------------------
    def _set(self, workspace: Workspace | None) -> None:
        self.workspace = workspace
        self.changed.emit(workspace)

    def reset(self, corpus: Corpus, source: Path | None, made_here: bool = False) -> None:
        """A new corpus: its own vectors (if any) are the one embedding, on the main map."""
        self._stop_jobs()
        workspace = Workspace.of(corpus, source)
        if made_here and workspace.current is not None:
            current = dataclasses.replace(workspace.current, origin={"kind": "encoder"})
            workspace = workspace.with_embedding(current)
        self._clear_second()
        self.stability = None
        self.stability_changed.emit(None)
        self._set(workspace)

    def restore(self, workspace: Workspace) -> None:
        """A reopened session's embeddings (the main map is restored by the document)."""
        self._stop_jobs()
        self._clear_second()
        self._set(dataclasses.replace(workspace, comparison=None))
        if workspace.other is not None:
            self.compare(workspace.other)

    def _stop_jobs(self) -> None:
        for channel in (ADD, COMPARE, SWEEP, SHOW):
            self.runner.cancel(channel)

    def _clear_second(self) -> None:
        self.runner.cancel(self.second.channel)
        self.second.corpus, self.second.rows, self.second.result = None, None, None
        self.second_map = None
        self.second_map_changed.emit(None)
        self.comparison_changed.emit(None)

    def _on_main_result(self, result) -> None:
        ws = self.workspace
        if ws is not None and ws.active is not None and result is not None:
            self._set(ws.with_result(ws.active, result))

    def _on_main_params(self, params) -> None:
        ws = self.workspace
        if ws is not None and ws.active is not None:
            self.workspace = ws.with_params(ws.active, params)
            self._compare_again()

    def column_values(self, name: str) -> Any:
        if name == OVERLAP and self.workspace is not None and self.workspace.comparison is not None:
            return self.workspace.comparison.overlap
        return None

    def extra_column_names(self) -> list[str]:
        ws = self.workspace
        return [OVERLAP] if ws is not None and ws.comparison is not None else []

    # -- adding embeddings --------------------------------------------------------------------
    def _add_job(self, title: str, task_factory, show: bool = False) -> None:
        if self.workspace is None:
            self.failed.emit(title, "Open a corpus first.", "")
            return
        self.runner.submit(
            ADD,
            task_factory,
            lambda embedding: self._on_added(embedding, show),
            title=title,
            on_error=lambda exc, details: self.failed.emit(
                title, error_message(exc), "" if isinstance(exc, InputError) else details
            ),
        )

    def _on_added(self, embedding: Embedding, show: bool) -> None:
        ws = self.workspace
        if ws is None:
            return
        name = ws.unique_name(embedding.name)
        self._set(ws.with_embedding(dataclasses.replace(embedding, name=name)))
        if show:
            self.show(name)

    def derive(self, parent: str, spec: str) -> None:
        from embexplorer.core.state.embedding_sources import derived_embedding_task

        ws = self.workspace
        self._add_job(
            f"Making {spec} of {parent}", lambda: derived_embedding_task(ws, parent, spec)
        )

    def add_column(self, column: str) -> None:
        from embexplorer.core.state.embedding_sources import column_embedding_task

        ws = self.workspace
        self._add_job(f"Reading the column {column}", lambda: column_embedding_task(ws, column))

    def add_file(self, path: Path, id_column: str | None, by_row_order: bool) -> None:
        from embexplorer.core.state.embedding_sources import file_embedding_task

        ws = self.workspace
        self._add_job(
            f"Reading {Path(path).name}",
            lambda: file_embedding_task(ws, path, id_column, by_row_order),
        )

    def add_model(self, config: Any) -> None:
        """The texts embedded with ``config`` (an EncoderConfig), as a new embedding."""
        from embexplorer.core.state.embedding_sources import encoder_embedding_task

        ws, cache = self.workspace, self.document.cache
        rows = 0 if ws is None else ws.n_rows
        self._add_job(
            f"Embedding {rows:,} texts with {Path(config.model_path).name}",
            lambda: encoder_embedding_task(ws, config, cache),
        )

    def remove(self, name: str) -> None:
        ws = self.workspace
        if ws is None or name not in ws.embeddings:
            return
        if len(ws.embeddings) == 1:
            self.failed.emit("Remove an embedding", "The corpus needs at least one embedding.", "")
            return
        was_active, was_other = name == ws.active, name == ws.other
        self._set(ws.without_embedding(name))
        if was_other:
            self._clear_second()
        if was_active:
            self.show(self.workspace.active)

    # -- which map shows what ------------------------------------------------------------------
    def show(self, name: str) -> None:
        """Show embedding ``name`` on the main map (its stored analysis, or a new one)."""
        ws = self.workspace
        if ws is None or name not in ws.embeddings:
            return
        other = ws.other if ws.other != name else None
        if other is None:
            self._clear_second()
        self._set(ws.showing(name, other))
        embedding = self.workspace.current
        self.runner.submit(
            SHOW,
            lambda: _indexed_task(embedding.result),
            lambda map_data: self._on_shown(embedding, map_data),
            title=f"Showing {name}",
        )

    def _on_shown(self, embedding: Embedding, map_data: MapData | None) -> None:
        doc = self.document
        result = embedding.result if map_data is not None else None
        doc.analysis.restore(doc.corpus, result, map_data, embedding.rows, embedding.params)
        if self.workspace is not None and self.workspace.other is not None:
            self.compare(self.workspace.other)

    def compare(self, name: str | None) -> None:
        """Show embedding ``name`` on the second map and compare it with the main map's."""
        ws = self.workspace
        if ws is None:
            return
        if name is None or name == ws.active or name not in ws.embeddings:
            self._clear_second()
            self._set(ws.showing(ws.active, None) if ws.active else ws)
            return
        self._set(ws.showing(ws.active, name))
        embedding = self.workspace.second
        doc = self.document
        self.second_map = None
        self.second_map_changed.emit(None)
        if embedding.result is not None and embedding.result.projection is not None:
            self.runner.submit(
                self.second.channel,
                lambda: _indexed_task(embedding.result),
                lambda map_data: self.second.restore(
                    doc.corpus, embedding.result, map_data, embedding.rows, embedding.params
                ),
                title=f"Showing {name}",
            )
        else:
            self.second.start(doc.corpus, embedding.rows, embedding.params)
        self._compare_again()

    def _on_second_map(self, map_data: MapData | None) -> None:
        if map_data is None:
            return
        reference = self.document.analysis.map_data
        self.runner.submit(
            "align",
            lambda: _aligned_task(map_data, reference),
            self._on_aligned,
            title="Aligning the maps",
        )

    def _align_second(self) -> None:
        if self.second.map_data is not None:
            self._on_second_map(self.second.map_data)

    def _on_aligned(self, map_data: MapData) -> None:
        self.second_map = map_data
        self.second_map_changed.emit(map_data)

    def _on_second_result(self, result) -> None:
        ws = self.workspace
        if ws is not None and ws.other is not None and result is not None:
            self.workspace = ws.with_result(ws.other, result)
            self.changed.emit(self.workspace)

    def _compare_again(self) -> None:
        """Compute the comparison of the two maps' embeddings (at the main map's k)."""
        from embexplorer.core.analysis.compare import compare_task

        ws = self.workspace
        if ws is None or ws.current is None or ws.second is None:
            return
        a, b, k = ws.current, ws.second, ws.current.params.k
        self.comparison_changed.emit(None)
        self.runner.submit(
            COMPARE,
            lambda: compare_task(a.rows, a.params.metric, b.rows, b.params.metric, k),
            self._on_compared,
            title=f"Comparing {a.name} with {b.name}",
            on_error=lambda exc, details: self.failed.emit(
                "Comparison failed", error_message(exc), details
            ),
        )

    def _on_compared(self, comparison) -> None:
        if self.workspace is None:
            return
        self._set(self.workspace.with_comparison(comparison))
        self.comparison_changed.emit(comparison)

    # -- the stability sweep -------------------------------------------------------------------
    def sweep(self, dims: list[int], quantize: list[str], k: int) -> None:
        """The stability sweep of the main map's embedding (float vectors only)."""
        from embexplorer.core.analysis.compare import stability_task

        ws = self.workspace
        embedding = None if ws is None else ws.current
        if embedding is None or embedding.vectors is None:
            self.failed.emit(
                "Stability sweep",
                "Show an embedding of float vectors on the main map first (the sweep derives "
                "its truncations and codes).",
                "",
            )
            return
        if embedding.n_rows <= k:
            self.failed.emit(
                "Stability sweep", f"k = {k} needs more than {embedding.n_rows} rows.", ""
            )
            return
        vectors, metric = embedding.vectors, embedding.params.metric
        self.runner.submit(
            SWEEP,
            lambda: stability_task(vectors, metric, k, dims, quantize),
            lambda rows: self._on_swept(embedding.name, k, rows),
            title=f"Stability sweep of {embedding.name}",
            on_error=lambda exc, details: self.failed.emit(
                "Stability sweep failed", error_message(exc), details
            ),
        )

    def _on_swept(self, name: str, k: int, rows: list) -> None:
        self.stability = (name, k, rows)
        self.stability_changed.emit(self.stability)

    def add_variant(self, spec: str) -> None:
        """A variant chosen on the stability chart, derived from the swept embedding."""
        if self.stability is not None:
            self.derive(self.stability[0], spec)
