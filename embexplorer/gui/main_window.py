"""The main window: assembles the panels, menus and status bar, and wires them to the document.

It owns no computation: the :class:`Document` runs jobs on the :class:`TaskRunner`, the panels
show state. What is here is wiring, menus and dialogs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QWidget,
)

from embexplorer.core.embedding.embedding import ModelConsentError
from embexplorer.core.errors import NonFiniteRowsError
from embexplorer.core.io import ReadOptions, file_dialog_filter
from embexplorer.gui.about_dialog import show_about
from embexplorer.gui.analysis_controller import AnalysisViews
from embexplorer.gui.analysis_panel import AnalysisPanel
from embexplorer.gui.autosave import (
    Autosaver,
    discard_orphans,
    recovery_candidate,
    take_for_recovery,
)
from embexplorer.gui.charts_controller import ChartsController
from embexplorer.gui.charts_panel import ChartsPanel
from embexplorer.gui.compare_controller import CompareViews
from embexplorer.gui.compare_panel import ComparePanel
from embexplorer.gui.curation import CurationActions
from embexplorer.gui.dataset_panel import DatasetPanel
from embexplorer.gui.dialogs import ask_drop, ask_model, ask_recovery, show_shortcuts
from embexplorer.gui.document import NO_VECTORS_REASON, Document
from embexplorer.gui.embeddings_panel import EmbeddingsPanel
from embexplorer.gui.encoder_controller import EncoderViews
from embexplorer.gui.encoder_panel import EncoderPanel
from embexplorer.gui.map_views import MapViews
from embexplorer.gui.neighbors_panel import NeighborsPanel
from embexplorer.gui.plot.panel import PlotPanel
from embexplorer.gui.query_panel import QueryPanel
from embexplorer.gui.second_map import SecondMap
from embexplorer.gui.selection_controller import SelectionViews
from embexplorer.gui.settings import (
    WINDOW_STATE_VERSION,
    add_recent_file,
    add_trusted_model,
    app_settings,
    checked_settings,
    recent_files,
    stored_bytes,
    stored_number,
    trusted_models,
)
from embexplorer.gui.stability_panel import StabilityPanel
from embexplorer.gui.task_status import TaskStatus
from embexplorer.gui.worker import TaskRunner

#: How long a note about the settings stays in the status bar.
SETTINGS_NOTE_MS = 30_000


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("embexplorer")
        self.setAcceptDrops(True)
        self.settings, note = checked_settings(settings or app_settings())
        #: what was wrong with the saved settings, if anything (shown in the status bar)
        self.settings_note = note or ""
        self.settings_note_label = QLabel()
        self._settings_note_timer = QTimer(self, singleShot=True, interval=SETTINGS_NOTE_MS)
        self._settings_note_timer.timeout.connect(self._hide_settings_note)
        self.runner = TaskRunner(self)
        self.document = Document(self.runner, self)
        self.dataset_panel = DatasetPanel()
        self.encoder_panel = EncoderPanel()
        self.query_panel = QueryPanel()
        self.analysis_panel = AnalysisPanel()
        self.neighbors_panel = NeighborsPanel()
        self.plot_panel = PlotPanel()
        self.charts_panel = ChartsPanel()
        self.second_map = SecondMap()
        self.embeddings_panel = EmbeddingsPanel()
        self.compare_panel = ComparePanel()
        self.stability_panel = StabilityPanel()
        self.task_status = TaskStatus()
        self.status_message = QLabel()
        self.last_error: tuple[str, str, str] | None = None
        #: asked before dropping rows with NaN/inf; replaced in tests and screenshot mode
        self.confirm_drop_nonfinite: Callable[[NonFiniteRowsError], bool] = partial(ask_drop, self)
        #: asked before running a model that a data file names; replaced likewise
        self.confirm_model: Callable[[ModelConsentError], bool] = partial(ask_model, self)
        #: asked whether to restore the work of a run that crashed; replaced likewise
        self.confirm_recovery: Callable[[str], bool] = partial(ask_recovery, self)
        self._error_box: QMessageBox | None = None
        self._build_layout()
        self.curation = CurationActions(self)
        self._build_menus()
        self._connect()
        self.selection_views = SelectionViews(self)
        self.update_selection_actions()  # nothing is selected yet: say so in the Select menu
        self.encoder_views = EncoderViews(self)
        self.analysis_views = AnalysisViews(
            self.document, self.analysis_panel, self.neighbors_panel, self.plot_panel, self
        )
        self.compare_views = CompareViews(
            self.document,
            self.embeddings_panel,
            self.compare_panel,
            self.stability_panel,
            self.second_map,
            self.plot_panel,
            self.encoder_panel,
            self.maps,
            self,
        )
        self.charts_controller = ChartsController(self)
        self.autosaver = Autosaver(self.document, self.view_range, self)
        self._restore_geometry()

    # -- assembly -----------------------------------------------------------------------------
    def _dock(
        self, title: str, widget: QWidget, area: Qt.DockWidgetArea, scroll: bool = False
    ) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title.lower().replace(" ", "_") + "_dock")
        if scroll:  # tall forms scroll instead of forcing a tall window
            area_widget = QScrollArea()
            area_widget.setWidgetResizable(True)
            area_widget.setFrameShape(QScrollArea.Shape.NoFrame)
            area_widget.setWidget(widget)
            widget = area_widget
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(area, dock)
        return dock

    def _build_layout(self) -> None:
        #: the main map, and the second map beside it when two embeddings are compared
        self.maps = QSplitter(Qt.Orientation.Horizontal)
        self.maps.addWidget(self.plot_panel)
        self.maps.addWidget(self.second_map)
        self.maps.setChildrenCollapsible(False)
        self.setCentralWidget(self.maps)
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        dataset = self._dock("Dataset", self.dataset_panel, left)
        self.encoder_dock = self._dock("Encoder", self.encoder_panel, left, scroll=True)
        self.tabifyDockWidget(dataset, self.encoder_dock)
        self.analysis_dock = self._dock("Analysis", self.analysis_panel, left)
        self.tabifyDockWidget(self.encoder_dock, self.analysis_dock)
        self.embeddings_dock = self._dock("Embeddings", self.embeddings_panel, left)
        self.tabifyDockWidget(self.analysis_dock, self.embeddings_dock)
        dataset.raise_()
        right = Qt.DockWidgetArea.RightDockWidgetArea
        self.neighbors_dock = self._dock("Neighbours", self.neighbors_panel, right)
        self.compare_dock = self._dock("Compare", self.compare_panel, right)
        self.tabifyDockWidget(self.neighbors_dock, self.compare_dock)
        self.stability_dock = self._dock("Stability", self.stability_panel, right)
        self.tabifyDockWidget(self.compare_dock, self.stability_dock)
        self.charts_dock = self._dock("Charts", self.charts_panel, right)
        self.tabifyDockWidget(self.stability_dock, self.charts_dock)
        self.neighbors_dock.raise_()
        self.query_dock = self._dock(
            "Search by meaning", self.query_panel, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.query_panel.unfolded.connect(self._fit_query_dock)
        self._fit_query_dock(self.query_panel.is_unfolded)
        self.settings_note_label.hide()
        # a long note is cut at the window's edge (the tooltip has it all), never widens it
        self.settings_note_label.setSizePolicy(
            QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred
        )
        self.statusBar().addWidget(self.settings_note_label, 1)
        self.statusBar().addWidget(self.status_message, 1)
        self.statusBar().addPermanentWidget(self.task_status)
        size = first_size(self.screen().availableGeometry().size())
        self.resize(size)
        side = min(max(int(0.24 * size.width()), 290), 380)  # the map keeps half or more
        self.resizeDocks([dataset, self.neighbors_dock], [side, side], Qt.Orientation.Horizontal)

    def _fit_query_dock(self, unfolded: bool) -> None:
        """The search band: one line until a search shows its list, then room for ten rows."""
        height = 240 if unfolded else self.query_panel.minimumSizeHint().height()
        self.resizeDocks([self.query_dock], [height], Qt.Orientation.Vertical)

    def _action(self, text: str, slot, shortcut: str | QKeySequence | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self._action("&Open…", self.open_dialog, QKeySequence.StandardKey.Open))
        file_menu.addAction(self._action("Open &Analysed Dataset Folder…", self.open_folder_dialog))
        self.recent_menu = file_menu.addMenu("Open &Recent")
        file_menu.addAction(self._action("Open &Demo Corpus", self.open_demo))
        select_menu = QMenu("&Select", self)
        self.curation.build_menus(file_menu, select_menu)
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Quit", self.close, QKeySequence.StandardKey.Quit))
        bar.addMenu(select_menu)
        view_menu = bar.addMenu("&View")
        view_menu.addAction(self._action("&Fit View", self.plot_panel.view.fit_view, "F"))
        view_menu.addAction(
            self._action("&Search Rows", self._focus_search, QKeySequence.StandardKey.Find)
        )
        task_menu = bar.addMenu("&Tasks")
        self.cancel_action = self._action("&Cancel the Running Job", self.runner.cancel)
        self._action("Escape", self._escape, "Esc")
        task_menu.addAction(self.cancel_action)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self._action("&Keyboard Shortcuts", lambda: show_shortcuts(self)))
        help_menu.addAction(self._action("&About embexplorer", lambda: show_about(self)))
        self._update_recent_menu()

    def _connect(self) -> None:
        doc, data, plot = self.document, self.dataset_panel, self.plot_panel
        self.map_views = MapViews(self)
        doc.corpus_changed.connect(self._on_corpus_changed)
        doc.columns_changed.connect(self._on_columns_changed)
        doc.vectors_changed.connect(self._on_vectors_changed)
        doc.rows_filtered.connect(data.set_visible_rows)
        doc.failed.connect(self.show_error)
        doc.nonfinite_found.connect(self._on_nonfinite)
        doc.model_consent_needed.connect(self._on_model_consent)
        doc.trusted_models = set(trusted_models(self.settings))
        data.text_column_chosen.connect(doc.set_text_column)
        data.label_column_chosen.connect(doc.set_label_column)
        data.search_changed.connect(doc.search)
        data.row_selected.connect(doc.set_focus)
        plot.color_column_chosen.connect(doc.set_color_column)
        plot.view.tooltip_text = doc.describe_row
        self.runner.progress.connect(self.task_status.show_progress)
        self.runner.busy_changed.connect(self.task_status.set_busy)
        self.runner.busy_changed.connect(self.cancel_action.setEnabled)
        data.select_shown.connect(lambda rows: doc.selection.apply(rows))
        self.analysis_panel.cluster_chosen.connect(self.curation.select_cluster)
        doc.tags_changed.connect(self._on_tags)
        doc.session_restored.connect(self.curation.apply_restored)
        self.runner.failed.connect(self.show_error)
        self.task_status.cancel_requested.connect(self.runner.cancel)
        self.cancel_action.setEnabled(False)

    def view_range(self) -> list[list[float]]:
        """The map's visible range, [[x0, x1], [y0, y1]] (saved with a session)."""
        return [list(r) for r in self.plot_panel.view.view_box.viewRange()]

    # -- opening ------------------------------------------------------------------------------
    def open_path(self, path: str | Path, options: ReadOptions | None = None) -> None:
        path = Path(path)
        self.status_message.setText(f"Opening {path}…")
        if path.suffix.lower() == ".embx":
            self.document.open_session(path)
        else:
            self.document.open(path, options)

    def offer_recovery(self) -> bool:
        """After a crash or a kill: offer the autosaved work; True when it is being restored."""
        found = recovery_candidate()
        if found is None:
            return False
        path, question = found
        if self.confirm_recovery(question):
            self.open_path(take_for_recovery(path))
            return True
        discard_orphans()
        return False

    def open_dialog(self) -> None:
        start = str(self.settings.value("lastDir", str(Path.home())))
        path, _ = QFileDialog.getOpenFileName(self, "Open a corpus", start, file_dialog_filter())
        if path:
            self.settings.setValue("lastDir", str(Path(path).parent))
            self.open_path(path)

    def open_folder_dialog(self) -> None:
        """A folder of Parquet shards that embexplorer analyze (or its Ray engine) wrote."""
        start = str(self.settings.value("lastDir", str(Path.home())))
        path = QFileDialog.getExistingDirectory(self, "Open an analysed dataset folder", start)
        if path:
            self.settings.setValue("lastDir", str(Path(path).parent))
            self.open_path(path)

    def open_demo(self) -> None:
        from embexplorer.core.resources import demo_corpus_path

        self.open_path(demo_corpus_path())

    def _update_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = recent_files(self.settings)
        for path in files:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
        self.recent_menu.setEnabled(bool(files))

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.open_path(files[0])

    # -- document → views ---------------------------------------------------------------------
    def _on_corpus_changed(self, corpus) -> None:
        name = self.document.source.name if self.document.source else ""
        self.dataset_panel.set_corpus(corpus, name)
        self.encoder_panel.set_corpus(corpus)
        self.plot_panel.set_corpus(corpus, self.document.shown_color_column)
        self._allow_vector_features(self.document.stored is None)
        self.setWindowTitle(f"{name} — embexplorer" if name else "embexplorer")
        self.status_message.setText(f"Opened {name}: {corpus.summary()}")
        if self.document.source is not None:
            add_recent_file(self.settings, self.document.source)
            self._update_recent_menu()

    def _allow_vector_features(self, allowed: bool) -> None:
        """An analysed dataset has no vectors: the panels that need them are off, and say why."""
        panels = (
            self.encoder_panel,
            self.analysis_panel,
            self.embeddings_panel,
            self.compare_panel,
            self.stability_panel,
            self.query_panel,
        )
        for panel in panels:
            panel.setEnabled(allowed)
            panel.setToolTip("" if allowed else NO_VECTORS_REASON)

    def _on_vectors_changed(self, corpus) -> None:
        name = self.document.source.name if self.document.source else ""
        self.dataset_panel.show_summary(corpus, name)

    def _on_columns_changed(self, corpus) -> None:
        self.plot_panel.show_color_column(self.document.shown_color_column)
        self.dataset_panel.show_roles(corpus)
        self.encoder_panel.set_corpus(corpus)

    # -- errors and questions -----------------------------------------------------------------
    def show_error(self, title: str, message: str, details: str = "") -> None:
        """Show an error without blocking (a window-modal box), keep it for tests and the bar."""
        self.last_error = (title, message, details)
        self.status_message.setText(f"{title}: {message}")
        box = QMessageBox(
            QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self
        )
        if details:
            box.setDetailedText(details)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.open()
        self._error_box = box

    def _on_nonfinite(self, path: Path, options: ReadOptions, error: NonFiniteRowsError) -> None:
        if self.confirm_drop_nonfinite(error):
            self.open_path(path, dataclasses.replace(options, nonfinite="drop"))
        else:
            self.show_error(f"Could not open {path.name}", str(error))

    def _on_model_consent(self, error: ModelConsentError, text: str, k: int) -> None:
        if self.confirm_model(error):
            add_trusted_model(self.settings, error.model_sha256)
            self.document.trusted_models.add(error.model_sha256)
            self.document.query(text, k)
        else:
            self.document.query_failed.emit(
                f"Not searched: the model {error.model_path.name} was not run."
            )

    def _escape(self) -> None:
        """Esc cancels the running job; with nothing running it clears the selection."""
        if self.runner.is_busy():
            self.runner.cancel()
        else:
            self.document.selection.clear()

    def update_selection_actions(self) -> None:
        self.curation.update()

    def _on_tags(self, tags) -> None:
        self.dataset_panel.model.set_extra_column("tags", tags)
        self.plot_panel.set_corpus(
            self.document.corpus,
            self.document.shown_color_column,
            self.document.extra_column_names(),
        )

    def _focus_search(self) -> None:
        self.dataset_panel.search.setFocus()
        self.dataset_panel.search.selectAll()

    # -- lifetime -----------------------------------------------------------------------------
    def _restore_geometry(self) -> None:
        """Restore size, docks and the Analysis tab; a layout saved by another version (or
        damaged) is discarded: the default layout stays and the status bar says so."""
        geometry = stored_bytes(self.settings, "geometry")
        state = stored_bytes(self.settings, "windowState")
        refused = [
            key
            for key, stored, restore in (
                ("geometry", geometry, self.restoreGeometry),
                ("windowState", state, lambda s: self.restoreState(s, WINDOW_STATE_VERSION)),
            )
            if stored is not None and not restore(stored)
        ]
        for key in refused:  # not offered again
            self.settings.remove(key)
        self._fit_query_dock(self.query_panel.is_unfolded)  # no search yet: one line
        if refused:
            self.add_settings_note(
                "The saved window layout is from another version of embexplorer (or damaged); "
                "the default layout is used."
            )
        tab = stored_number(self.settings, "analysisTab")
        if tab is not None and tab < self.analysis_panel.result_tabs.count():
            self.analysis_panel.result_tabs.setCurrentIndex(tab)
        self._show_settings_note()

    def add_settings_note(self, note: str) -> None:
        """Add to what the status bar says about the settings (also printed by --screenshot)."""
        self.settings_note = f"{self.settings_note} {note}".strip()
        self._show_settings_note()

    def _show_settings_note(self) -> None:
        # In place of the status text for a while. Not QStatusBar.showMessage: the bar shows
        # its widgets again over such a message whenever it re-lays them out.
        if not self.settings_note:
            return
        self.settings_note_label.setText(self.settings_note)
        self.settings_note_label.setToolTip(self.settings_note)
        self.status_message.hide()
        self.settings_note_label.show()
        self._settings_note_timer.start()

    def _hide_settings_note(self) -> None:
        self.settings_note_label.hide()
        self.status_message.show()

    def closeEvent(self, event) -> None:
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("windowState", self.saveState(WINDOW_STATE_VERSION))
        self.settings.setValue("analysisTab", self.analysis_panel.result_tabs.currentIndex())
        self.settings.sync()
        self.runner.shutdown()
        self.autosaver.finish()
        super().closeEvent(event)


def first_size(available: QSize) -> QSize:
    """The window's size at a first start: 1600 × 960, or the screen's available area less a
    margin when that is smaller (a 1280 × 800 laptop screen must hold the whole window)."""
    return QSize(min(1600, available.width() - 40), min(960, available.height() - 40))
