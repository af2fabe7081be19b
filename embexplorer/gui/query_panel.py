"""Search by meaning: type a text, see its nearest rows (embedded with the corpus's encoder)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from embexplorer.core.analysis.query import QueryResult
from embexplorer.core.corpus import Corpus
from embexplorer.gui.tables import result_table

HEADERS = ["#", "distance", "id", "label", "text"]


class QueryPanel(QWidget):
    """One line until used: the caption and the list appear with a search's result (or its
    error) and go again on Clear, so an unused search takes no room from the map."""

    query_submitted = Signal(str, int)  # text, k
    row_chosen = Signal(int)
    cleared = Signal()
    #: the list is shown (True) or folded away (False)
    unfolded = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.field = QLineEdit()
        self.field.setPlaceholderText("Search by meaning, e.g. “famous painters”…")
        self.field.setClearButtonEnabled(True)
        self.k = QSpinBox()
        self.k.setRange(1, 1000)
        self.k.setValue(10)
        self.k.setPrefix("k = ")
        self.k.setToolTip("How many nearest rows to list")
        self.search_button = QPushButton("Search")
        self.clear_button = QPushButton("Clear")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.table = result_table(HEADERS)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        row = QHBoxLayout()
        for widget in (self.field, self.k, self.search_button, self.clear_button):
            row.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.table, stretch=1)
        self.field.returnPressed.connect(self._submit)
        self.search_button.clicked.connect(self._submit)
        self.clear_button.clicked.connect(self.clear)
        self.table.itemSelectionChanged.connect(self._on_pick)
        self._rows: list[int] = []
        self._set_unfolded(False)

    def _set_unfolded(self, unfolded: bool) -> None:
        changed = self.table.isVisibleTo(self) != unfolded
        self.table.setVisible(unfolded)
        self.status.setVisible(unfolded or bool(self.status.text()))
        if changed:
            self.unfolded.emit(unfolded)

    @property
    def is_unfolded(self) -> bool:
        return self.table.isVisibleTo(self)

    def _submit(self) -> None:
        text = self.field.text().strip()
        if text:
            self.status.setText(f"Searching for “{text}”…")
            self.status.setVisible(True)
            self.query_submitted.emit(text, self.k.value())

    def clear(self) -> None:
        self.field.clear()
        self.clear_result()
        self.cleared.emit()

    def clear_result(self) -> None:
        """No query result: an empty list and no caption (the typed text stays)."""
        self.table.setRowCount(0)
        self._rows = []
        self.status.clear()
        self._set_unfolded(False)

    def show_result(self, result: QueryResult, corpus: Corpus) -> None:
        self._rows = [int(r) for r in result.rows]
        where = "" if result.position is not None else " (this projection cannot place it)"
        self.status.setText(
            f"{len(self._rows)} nearest to “{result.text}”, {result.metric} "
            f"distance; the query is the star on the map{where}."
        )
        self.table.setRowCount(len(self._rows))
        labels, texts = corpus.labels, corpus.texts
        for i, (row, dist) in enumerate(zip(self._rows, result.distances, strict=True)):
            cells = [
                str(i + 1),
                f"{dist:.4f}",
                str(corpus.ids[row]),
                "" if labels is None else str(labels[row]),
                "" if texts is None else str(texts[row])[:300],
            ]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 4:
                    item.setToolTip(text)
                if col < 2:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(i, col, item)
        self.table.resizeColumnsToContents()
        self.table.setColumnWidth(4, 400)
        self._set_unfolded(True)

    def show_error(self, message: str) -> None:
        self.status.setText(message)
        self.status.setVisible(True)

    def result_rows(self) -> list[int]:
        return list(self._rows)

    def _on_pick(self) -> None:
        selected = self.table.selectionModel().selectedRows()
        if selected:
            self.row_chosen.emit(self._rows[selected[0].row()])
