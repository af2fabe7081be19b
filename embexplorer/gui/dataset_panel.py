"""The dataset panel: what is loaded, which columns hold text and labels, and the rows."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QItemSelectionModel, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from embexplorer.core.corpus import Corpus
from embexplorer.gui.corpus_table import CorpusTableModel, RowNumberHeader

NONE_CHOICE = "(none)"
SEARCH_DELAY_MS = 200
#: a new corpus's columns fit the longest of this many of their texts (the first rows) …
FIT_ROWS = 200
FIT_LONGEST = 3  # (only the longest few, by characters, are measured)
#: … and their names, up to this width (a double-click on an edge fits it again)
MAX_COLUMN_PX = 320
CELL_PAD_PX, HEADER_PAD_PX = 14, 20  # the cell's margins and grid line; the header's margins


class DatasetPanel(QWidget):
    """A thin view: shows the corpus and turns the user's choices into signals."""

    text_column_chosen = Signal(object)  # str | None
    label_column_chosen = Signal(object)  # str | None
    search_changed = Signal(str)
    row_selected = Signal(int)  # source row
    select_shown = Signal(object)  # rows shown in the table (to select them)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = QLabel("No data loaded. Open a file (Ctrl+O) or drop one here.")
        self.title.setWordWrap(True)
        self.text_combo = QComboBox()
        self.label_combo = QComboBox()
        self.text_combo.setToolTip("The column whose texts are shown on hover and embedded")
        self.label_combo.setToolTip("The column of category labels (the default colouring)")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search all columns…  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.count = QLabel()
        self.count.setMinimumWidth(40)
        self.count.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.only_selected = QCheckBox("Selected only")
        self.only_selected.setToolTip("Show only the selected rows")
        self.select_shown_button = QPushButton("Select shown")
        self.select_shown_button.setToolTip("Select every row the search shows")
        self._filter_rows: np.ndarray | None = None
        self._chart_rows: np.ndarray | None = None  # the charts' filter (None: all rows)
        self._selection_rows = np.empty(0, dtype=np.intp)
        self.model = CorpusTableModel(self)
        self.table = QTableView()
        self.table.setVerticalHeader(RowNumberHeader(self.table))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setDefaultSectionSize(140)
        # a double-click on a column's edge fits it to the first 200 rows, not 1,000
        self.table.horizontalHeader().setResizeContentsPrecision(200)
        self.table.verticalHeader().setDefaultSectionSize(22)
        form = QFormLayout()
        form.addRow("Text column", self.text_combo)
        form.addRow("Label column", self.label_combo)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(form)
        layout.addWidget(self.search)
        row = QHBoxLayout()
        row.addWidget(self.count, stretch=1)
        row.addWidget(self.only_selected)
        row.addWidget(self.select_shown_button)
        layout.addLayout(row)
        layout.addWidget(self.table, stretch=1)
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(lambda: self.search_changed.emit(self.search.text()))
        self.search.textChanged.connect(lambda _: self._search_timer.start())
        self.text_combo.activated.connect(
            lambda _: self.text_column_chosen.emit(_choice(self.text_combo))
        )
        self.label_combo.activated.connect(
            lambda _: self.label_column_chosen.emit(_choice(self.label_combo))
        )
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection)
        self.only_selected.toggled.connect(lambda _: self._show_rows())
        self.select_shown_button.clicked.connect(
            lambda: self.select_shown.emit(self.model.visible_rows.copy())
        )
        self._total = 0

    def set_corpus(self, corpus: Corpus | None, source_name: str = "") -> None:
        self.model.set_corpus(corpus)
        self._filter_rows = self._chart_rows = None
        self._selection_rows = np.empty(0, dtype=np.intp)
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        if corpus is None:
            self.title.setText("No data loaded. Open a file (Ctrl+O) or drop one here.")
            self._total = 0
        else:
            self.show_summary(corpus, source_name)
            self._total = corpus.n_rows
            self._fit_columns()
        names = [] if corpus is None else list(corpus.columns)
        texts = [] if corpus is None else text_choices(corpus)
        _fill(self.text_combo, texts, None if corpus is None else corpus.text_column)
        _fill(self.label_combo, names, None if corpus is None else corpus.label_column)
        self._update_count()

    def _fit_columns(self) -> None:
        """Each column as wide as its name and its longest text among the first
        :data:`FIT_ROWS` rows, at most :data:`MAX_COLUMN_PX`. Measured here from those few
        strings: Qt's ``resizeColumnsToContents`` asks the model for every cell, and each ask
        waits for the GIL while the worker runs Python (200,000 rows: 150 ms of the GUI
        thread, where this takes about one)."""
        cell = self.table.fontMetrics()
        header = self.table.horizontalHeader().fontMetrics()
        for col, name in enumerate(self.model.column_names):
            texts = sorted(self.model.column_texts(col, FIT_ROWS), key=len)[-FIT_LONGEST:]
            width = max(
                [header.horizontalAdvance(name) + HEADER_PAD_PX]
                + [cell.horizontalAdvance(t) + CELL_PAD_PX for t in texts]
            )
            self.table.setColumnWidth(col, min(width, MAX_COLUMN_PX))

    def show_summary(self, corpus: Corpus, source_name: str) -> None:
        """The header: the file's name, its rows, dimensions and columns."""
        self.title.setText(f"<b>{source_name}</b><br>{corpus.summary()}")

    def show_roles(self, corpus: Corpus) -> None:
        """Reflect the chosen text / label columns (changed elsewhere, e.g. the Encoder panel)."""
        _fill(self.text_combo, text_choices(corpus), corpus.text_column)
        _fill(self.label_combo, list(corpus.columns), corpus.label_column)

    def set_visible_rows(self, rows: np.ndarray) -> None:
        """The search result (all rows when the search is empty)."""
        self._filter_rows = rows
        self._show_rows()

    def set_filter_rows(self, rows: np.ndarray | None) -> None:
        """The rows the charts' filters keep (None: no filter)."""
        same = (rows is None and self._chart_rows is None) or (
            rows is not None
            and self._chart_rows is not None
            and np.array_equal(rows, self._chart_rows)
        )
        if not same:  # showing the rows again would clear the table's current row
            self._chart_rows = rows
            self._show_rows()

    def set_selection_rows(self, rows: np.ndarray) -> None:
        self._selection_rows = rows
        if self.only_selected.isChecked():
            self._show_rows()

    def _show_rows(self) -> None:
        rows = self._filter_rows
        if rows is None:
            rows = np.arange(self._total)
        if self._chart_rows is not None:
            rows = np.intersect1d(rows, self._chart_rows, assume_unique=True)
        if self.only_selected.isChecked():
            rows = np.intersect1d(rows, self._selection_rows, assume_unique=True)
        self.model.set_visible_rows(rows)
        self._update_count()

    def select_row(self, source_row: int) -> bool:
        """Select ``source_row`` in the table; False when the search filter hides it."""
        selection = self.table.selectionModel()
        if source_row < 0:
            selection.clearSelection()
            return True
        view_row = self.model.view_row(source_row)
        if view_row < 0:
            selection.clearSelection()
            return False
        index = self.model.index(view_row, 0)
        selection.select(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        return True

    def selected_row(self) -> int:
        rows = self.table.selectionModel().selectedRows()
        return self.model.source_row(rows[0].row()) if rows else -1

    def _on_table_selection(self, *_):
        row = self.selected_row()
        if row >= 0:
            self.row_selected.emit(row)

    def _update_count(self) -> None:
        shown = self.model.rowCount()
        self.count.setText(f"{shown:,} of {self._total:,} rows" if self._total else "")


def text_choices(corpus: Corpus) -> list[str]:
    """The columns that can be the text column: those holding strings (as in the Encoder
    panel), and the current one whatever it holds."""
    return [
        name
        for name, column in corpus.columns.items()
        if column.dtype.kind == "O" or name == corpus.text_column
    ]


def _fill(combo: QComboBox, names: list[str], current: str | None) -> None:
    combo.blockSignals(True)
    combo.clear()
    combo.addItem(NONE_CHOICE)
    combo.addItems(names)
    combo.setCurrentText(current if current is not None else NONE_CHOICE)
    combo.blockSignals(False)


def _choice(combo: QComboBox) -> str | None:
    text = combo.currentText()
    return None if text == NONE_CHOICE else text
