"""Menu actions for the last step: select, tag, export rows and the plot, save sessions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QInputDialog,
    QLineEdit,
    QMessageBox,
)

from embexplorer.core.analysis.analysis_columns import available_groups, comparison_provenance
from embexplorer.core.errors import InputError
from embexplorer.core.io.export import destinations, export_task
from embexplorer.core.state.export_frame import (
    build_frame,
    check_vectors_available,
    no_vectors_note,
)
from embexplorer.core.state.selection import rows_where
from embexplorer.core.state.session_file import SUFFIX, save_session
from embexplorer.core.tasks import Task
from embexplorer.gui.export_dialog import ExportDialog, ExportRequest
from embexplorer.gui.plot.export import export_plot
from embexplorer.gui.selection_state import TAGS, mode_for


def export_rows_task(
    document_snapshot: dict, request: ExportRequest, overwrite: bool
) -> Task[list[Path]]:
    """Build the frame and write it, all on the worker."""
    check_vectors_available(document_snapshot["corpus"], request.groups, request.format)
    frame = build_frame(
        document_snapshot["corpus"],
        document_snapshot["rows"],
        request.groups,
        result=document_snapshot["result"],
        tags=document_snapshot["tags"],
        selection_note=document_snapshot["note"],
        comparison=document_snapshot.get("comparison"),
        comparison_info=document_snapshot.get("comparison_info"),
        embedding=document_snapshot.get("embedding"),
    )
    return (yield from export_task(request.path, frame, request.format, overwrite))


class CurationActions(QObject):
    def __init__(self, window, parent=None):
        super().__init__(parent)
        self.main_window = window
        self.document = window.document
        self.state = window.document.selection
        self.actions: dict[str, QAction] = {}

    def _add(self, menu, key: str, text: str, slot, shortcut=None) -> QAction:
        action = QAction(text, self.main_window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda *_: slot())
        menu.addAction(action)
        self.main_window.addAction(action)
        self.actions[key] = action
        return action

    def build_menus(self, file_menu, select_menu) -> None:
        s = self.state
        self._add(
            select_menu, "all", "Select &All", s.select_all, QKeySequence.StandardKey.SelectAll
        )
        self._add(select_menu, "invert", "&Invert Selection", s.invert, "Ctrl+I")
        self._add(select_menu, "clear", "&Clear Selection (Esc)", s.clear)
        select_menu.addSeparator()
        self._add(select_menu, "undo", "&Undo Selection", s.undo, QKeySequence.StandardKey.Undo)
        self._add(select_menu, "redo", "&Redo Selection", s.redo, QKeySequence.StandardKey.Redo)
        select_menu.addSeparator()
        self._add(
            select_menu, "expand", "Expand by &Neighbours", self.expand_by_neighbors, "Ctrl+N"
        )
        self._add(select_menu, "value", "Select by &Value…", self.select_by_value, "Ctrl+Shift+V")
        self._add(select_menu, "tag", "&Tag Selection…", self.tag_selection, "Ctrl+T")
        select_menu.addSeparator()
        plot = self.main_window.plot_panel
        for key, name, shortcut in (
            ("pointer", "Pointer", "V"),
            ("rectangle", "Rectangle", "R"),
            ("lasso", "Lasso", "L"),
        ):
            self._add(select_menu, key, f"{name} Tool", lambda n=key: plot.choose_tool(n), shortcut)
        file_menu.addSeparator()
        self._add(file_menu, "export", "&Export Rows…", self.export_rows, "Ctrl+E")
        self._add(file_menu, "export_plot", "Export &Plot…", self.export_plot, "Ctrl+Shift+E")
        file_menu.addSeparator()
        self._add(
            file_menu,
            "save_session",
            "&Save Session…",
            self.save_session,
            QKeySequence.StandardKey.Save,
        )
        self._add(file_menu, "open_session", "Open Sessio&n…", self.open_session, "Ctrl+Shift+O")

    def update(self) -> None:
        has_rows = len(self.state.selection) > 0
        for key in ("invert", "clear", "expand", "tag"):
            if key in self.actions:
                self.actions[key].setEnabled(has_rows or key == "invert")
        if "undo" in self.actions:
            self.actions["undo"].setEnabled(self.state.can_undo)
            self.actions["redo"].setEnabled(self.state.can_redo)

    # -- selecting ----------------------------------------------------------------------------
    def expand_by_neighbors(self) -> None:
        result = self.document.analysis.result
        knn = None if result is None else result.knn
        if knn is None:
            self.main_window.show_error("Expand by neighbours", "The kNN graph is not ready yet.")
            return
        self.state.expand_by_neighbors(knn.indices[:, : result.params.k])

    def select_by_value(self) -> None:
        corpus = self.document.corpus
        if corpus is None:
            return
        dialog = QDialog(self.main_window)
        dialog.setWindowTitle("Select by value")
        column, op, value = QComboBox(), QComboBox(), QLineEdit()
        column.addItems(list(corpus.columns) + self.document.extra_column_names())
        op.addItems(["==", "!=", "contains", "<", "<=", ">", ">="])
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        form = QFormLayout(dialog)
        for label, widget in (("Column", column), ("Condition", op), ("Value", value)):
            form.addRow(label, widget)
        form.addRow(buttons)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.select_where(column.currentText(), op.currentText(), value.text())

    def select_where(self, column: str, op: str, value: str, mode: str | None = None) -> None:
        values = self.document.column_values(column)
        try:
            rows = rows_where(values, op, value)
        except ValueError as exc:
            self.main_window.show_error("Select by value", str(exc))
            return
        self.state.apply(rows, mode)
        self.main_window.status_message.setText(f"{len(rows):,} rows where {column} {op} {value!r}")

    def select_cluster(self, cluster: int) -> None:
        result = self.document.analysis.result
        clusters = None if result is None else result.clusters
        if clusters is not None:
            rows = np.flatnonzero(clusters.labels == cluster)
            self.state.apply(
                rows, mode_for(QApplication.keyboardModifiers(), self.state.default_mode)
            )

    def tag_selection(self) -> None:
        if not len(self.state.selection):
            return
        name, ok = QInputDialog.getText(
            self.main_window,
            "Tag the selection",
            f"Tag for the {len(self.state.selection):,} selected "
            "rows (a name; it becomes the 'tags' column):",
        )
        if ok and name.strip():
            self.state.tag(name)
            self.main_window.status_message.setText(
                f"Tagged {len(self.state.selection):,} rows “{name.strip()}”; colour by "
                f"'{TAGS}' or search for it."
            )

    # -- exporting ----------------------------------------------------------------------------
    def _available_groups(self) -> set[str]:
        corpus, result = self.document.corpus, self.document.analysis.result
        groups = {"ids", "metadata"}
        if corpus is not None and corpus.text_column:
            groups.add("text")
        if self.state.tags is not None:
            groups.add("tags")
        if corpus is not None and corpus.vectors is not None:
            groups.add("vectors")
        workspace = self.document.embeddings.workspace
        if workspace is not None and workspace.comparison is not None:
            groups.add("comparison")
        return groups | available_groups(result)

    def _comparison_snapshot(self) -> dict:
        workspace = self.document.embeddings.workspace
        if workspace is None:
            return {}
        if workspace.comparison is None:
            return {"embedding": workspace.active}
        comparison = workspace.comparison
        info = comparison_provenance(comparison, workspace.current, workspace.second)
        return {"comparison": comparison, "comparison_info": info, "embedding": workspace.active}

    def export_rows(self, request: ExportRequest | None = None) -> None:
        corpus = self.document.corpus
        if corpus is None:
            self.main_window.show_error("Export", "Open a corpus first.")
            return
        if request is None:
            start = str(self.main_window.settings.value("exportDir", str(Path.home())))
            dialog = ExportDialog(
                self.main_window,
                len(self.state.selection),
                corpus.n_rows,
                self._available_groups(),
                start,
                no_vectors=no_vectors_note(corpus),
            )
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            request = dialog.request()
            self.main_window.settings.setValue("exportDir", str(request.path.parent))
        existing = [p for p in destinations(request.path, request.format)[:-1] if p.exists()]
        overwrite = False
        if existing:
            answer = QMessageBox.question(
                self.main_window,
                "Replace the file?",
                f"{existing[0]} already exists. Replace it? (The old file stays untouched "
                "unless the export finishes.)",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
            overwrite = True
        self.start_export(request, overwrite)

    def start_export(self, request: ExportRequest, overwrite: bool) -> None:
        corpus, selection = self.document.corpus, self.state.selection
        rows = selection.rows if request.selected_only else np.arange(corpus.n_rows)
        if self.document.stored is not None:
            self._export_stored(request, rows, overwrite)
            return
        snapshot = {
            "corpus": corpus,
            "rows": rows,
            "result": self.document.analysis.result,
            "tags": self.state.tags,
            "note": f"{len(rows):,} selected rows" if request.selected_only else "all rows",
            **self._comparison_snapshot(),
        }
        self.main_window.runner.submit(
            "export",
            lambda: export_rows_task(snapshot, request, overwrite),
            self._on_exported,
            title=f"Exporting {len(rows):,} rows",
        )

    def _export_stored(self, request: ExportRequest, rows: np.ndarray, overwrite: bool) -> None:
        """An analysed dataset: every column of the rows, streamed row group by row group."""
        from embexplorer.core.io.analysed_export import export_rows_task as stream_rows

        dataset, tags = self.document.stored, self.state.tags
        extra = {} if tags is None else {TAGS: tags}
        self.main_window.runner.submit(
            "export",
            lambda: stream_rows(dataset, rows, request.path, request.format, overwrite, extra),
            self._on_exported,
            title=f"Exporting {len(rows):,} rows",
        )

    def _on_exported(self, paths: list[Path]) -> None:
        self.last_export = paths
        self.main_window.status_message.setText(
            f"Exported to {paths[0]} (provenance in {paths[-1].name})."
        )

    def export_plot(self, path: str | None = None, width: int | None = None) -> None:
        if path is None:
            path, chosen = QFileDialog.getSaveFileName(
                self.main_window,
                "Export the plot",
                str(Path.home() / "map.png"),
                "PNG image (*.png);;SVG drawing (*.svg)",
            )
            if not path:
                return
            if Path(path).suffix.lower() not in (".png", ".svg"):
                path += ".svg" if "svg" in chosen else ".png"
            if path.lower().endswith(".png"):
                width, ok = QInputDialog.getInt(
                    self.main_window,
                    "Image width",
                    "Width in pixels:",
                    2 * self.main_window.plot_panel.view.width(),
                    200,
                    20000,
                )
                if not ok:
                    return
        panel = self.main_window.plot_panel
        try:
            written = export_plot([panel.view, panel.legend], path, width)
        except InputError as exc:
            self.main_window.show_error("Export the plot", str(exc))
            return
        self.main_window.status_message.setText(f"Saved the plot to {written}.")

    # -- sessions -----------------------------------------------------------------------------
    def save_session(self, path: str | None = None) -> None:
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self.main_window,
                "Save the session",
                str(Path.home() / f"session{SUFFIX}"),
                f"embexplorer session (*{SUFFIX})",
            )
            if not path:
                return
        path = Path(path).with_suffix(SUFFIX)
        try:
            save_session(path, self.document.session_state(self.main_window.view_range()))
        except InputError as exc:
            self.main_window.show_error("Save the session", str(exc))
            return
        self.main_window.status_message.setText(f"Saved the session to {path}.")

    def open_session(self, path: str | None = None) -> None:
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self.main_window,
                "Open a session",
                str(Path.home()),
                f"embexplorer session (*{SUFFIX})",
            )
            if not path:
                return
        self.document.open_session(path)

    def apply_restored(self, state) -> None:
        """After a session opened: its colouring and view range."""
        if state.view_range:
            (x0, x1), (y0, y1) = state.view_range
            self.main_window.plot_panel.view.view_box.setRange(
                xRange=(x0, x1), yRange=(y0, y1), padding=0
            )
        self.main_window.status_message.setText(
            f"Session restored: {self.document.corpus.summary()}, "
            f"{len(self.state.selection):,} selected; nothing was recomputed."
        )


def escape_target(window) -> str:
    """Esc cancels a running job; with nothing running it clears the selection."""
    return "cancel" if window.runner.is_busy() else "clear"
