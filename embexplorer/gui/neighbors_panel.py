"""The Neighbours panel: the inspected point's true nearest neighbours in the original space,
beside its hubness-reduced list (entries that differ are marked), and who lists it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from embexplorer.core.corpus import Corpus
from embexplorer.gui.analysis_jobs import Inspection
from embexplorer.gui.analysis_panel import METRIC_CHOICES
from embexplorer.gui.tables import result_table

DIFFERS = QColor("#fff1c2")
STORED_NOTE = "The neighbours stored in the analysed dataset: its k and metric"

LISTED_MAX = 500


class NeighborsPanel(QWidget):
    row_chosen = Signal(int)
    k_changed = Signal(int)
    metric_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = QLabel("Click a point (or a row) to see its nearest neighbours.")
        self.title.setWordWrap(True)
        self.k = QSpinBox()
        self.k.setRange(1, 1000)
        self.k.setValue(10)
        self.k.setPrefix("k = ")
        self.k.setToolTip("Neighbours of the inspected point (exact search, up to 1000)")
        self.metric_choice = QComboBox()
        for label, data in METRIC_CHOICES:
            self.metric_choice.addItem(label, data)
        self.raw = self._table(["#", "distance", "id", "label", "text"])
        self.reduced = self._table(["#", "id", "label"])
        self.reduced_title = QLabel()
        self.reduced_title.setWordWrap(True)
        self.listed_by = QLabel()
        self.listed_by.setWordWrap(True)
        self.listed_by_list = QListWidget()
        self.listed_by_list.setMaximumHeight(140)
        self.listed_by_list.setToolTip(
            "Points that have the inspected point among their k "
            "nearest; double-click one to inspect it"
        )
        self.listed_by_list.itemDoubleClicked.connect(
            lambda item: self._pick_listed(self.listed_by_list.row(item))
        )
        self._listed_rows: list[int] = []
        controls = QHBoxLayout()
        controls.addWidget(self.k)
        controls.addWidget(self.metric_choice)
        controls.addStretch(1)
        raw_box, reduced_box = QWidget(), QWidget()
        raw_layout = QVBoxLayout(raw_box)
        raw_layout.setContentsMargins(0, 0, 0, 0)
        self.raw_title = QLabel("Nearest in the original space (exact)")
        self.raw_title.setWordWrap(True)
        raw_layout.addWidget(self.raw_title)
        raw_layout.addWidget(self.raw)
        reduced_layout = QVBoxLayout(reduced_box)
        reduced_layout.setContentsMargins(0, 0, 0, 0)
        reduced_layout.addWidget(self.reduced_title)
        reduced_layout.addWidget(self.reduced)
        # one above the other: each list has the dock's whole width, so its columns fit
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(raw_box)
        split.addWidget(reduced_box)
        split.setSizes([320, 200])
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(controls)
        layout.addWidget(split, stretch=1)
        layout.addWidget(self.listed_by)
        layout.addWidget(self.listed_by_list)
        self.k.editingFinished.connect(lambda: self.k_changed.emit(self.k.value()))
        self.metric_choice.activated.connect(
            lambda _: self.metric_changed.emit(self.metric_choice.currentData())
        )
        self._rows: dict[QTableWidget, list[int]] = {self.raw: [], self.reduced: []}

    def _pick_listed(self, index: int) -> None:
        if 0 <= index < len(self._listed_rows):
            self.row_chosen.emit(self._listed_rows[index])

    def _table(self, headers: list[str]) -> QTableWidget:
        table = result_table(headers)
        table.setMinimumWidth(90)
        table.itemDoubleClicked.connect(lambda item: self._pick(table, item.row()))
        table.setToolTip("Double-click a neighbour to inspect it")
        return table

    def _pick(self, table: QTableWidget, index: int) -> None:
        rows = self._rows[table]
        if 0 <= index < len(rows):
            self.row_chosen.emit(rows[index])

    def show_metric(self, metric: str) -> None:
        self.metric_choice.blockSignals(True)
        self.metric_choice.setCurrentIndex(max(0, self.metric_choice.findData(metric)))
        self.metric_choice.blockSignals(False)

    def show_inspection(self, inspection: Inspection | None, corpus: Corpus | None) -> None:
        for table in (self.raw, self.reduced):
            table.setRowCount(0)
            self._rows[table] = []
        self.listed_by_list.clear()
        self._listed_rows = []
        if inspection is None or corpus is None:
            self.title.setText("Click a point (or a row) to see its nearest neighbours.")
            self.reduced_title.setText("")
            self.listed_by.setText("")
            return
        row = inspection.row
        self.raw_title.setText(f"Nearest in the original space ({inspection.source})")
        self._show_stored(inspection)
        label = "" if corpus.labels is None else f" — {corpus.labels[row]}"
        text = "" if corpus.texts is None else f"<br>{str(corpus.texts[row])[:240]}"
        self.title.setText(f"<b>{corpus.ids[row]}</b>{label}{text}")
        raw_rows = [int(r) for r in inspection.neighbors.indices[0]]
        reduced_rows = [] if inspection.reduced is None else [int(r) for r in inspection.reduced]
        raw_top = set(raw_rows[: len(reduced_rows)]) if reduced_rows else set(raw_rows)
        self._fill(
            self.raw,
            raw_rows,
            corpus,
            inspection.neighbors.distances[0],
            marked=set(raw_rows[: len(reduced_rows)]) - set(reduced_rows)
            if reduced_rows
            else set(),
        )
        self._fill(self.reduced, reduced_rows, corpus, None, marked=set(reduced_rows) - raw_top)
        self.reduced_title.setText(
            f"After {inspection.reduced_method} (k = {len(reduced_rows)}); marked rows differ"
            if reduced_rows
            else "Hubness reduction: not stored in an analysed dataset"
            if inspection.listed_by is None
            else "Hubness reduction: none (choose one in the Analysis panel)"
        )
        if inspection.listed_by is None:
            self._show_stored_nk(corpus, row, inspection.graph_k)
            return
        n_listed = len(inspection.listed_by)
        hub = " (a hub)" if n_listed > 2 * inspection.graph_k else ""
        self.listed_by.setText(
            f"N_k = {n_listed}: listed among the {inspection.graph_k} nearest of "
            f"{n_listed:,} points{hub}:"
            if n_listed
            else f"N_k = 0: in nobody's {inspection.graph_k} nearest (an antihub)."
        )
        self._listed_rows = [int(r) for r in inspection.listed_by[:LISTED_MAX]]
        labels = corpus.labels
        for r in self._listed_rows:
            suffix = "" if labels is None else f" — {labels[r]}"
            self.listed_by_list.addItem(f"{corpus.ids[r]}{suffix}")
        if n_listed > LISTED_MAX:
            self.listed_by_list.addItem(f"… and {n_listed - LISTED_MAX:,} more")

    def _show_stored(self, inspection: Inspection) -> None:
        """A stored graph (an analysed dataset) has one k and one metric: shown, not chosen."""
        stored = inspection.listed_by is None
        for control in (self.k, self.metric_choice):
            control.setEnabled(not stored)
            control.setToolTip(STORED_NOTE if stored else "")
        if stored:
            self.k.setValue(inspection.neighbors.k)
            self.show_metric(inspection.neighbors.metric)

    def _show_stored_nk(self, corpus: Corpus, row: int, k: int) -> None:
        """A stored graph: N_k from its column; who lists the row is not read (that would be
        every row's list)."""
        values = corpus.columns.get("k_occurrence")
        n_k = "?" if values is None else f"{int(values[row]):,}"
        self.listed_by.setText(
            f"N_k = {n_k}: listed among the {k} nearest of that many points (who they are is "
            "not read from a precomputed graph)."
        )

    def _fill(self, table, rows, corpus: Corpus, distances, marked: set[int]) -> None:
        self._rows[table] = rows
        table.setRowCount(len(rows))
        bold = QFont()
        bold.setBold(True)
        for i, row in enumerate(rows):
            label = "" if corpus.labels is None else str(corpus.labels[row])
            cells = [str(i + 1)]
            if distances is not None:
                cells.append(f"{distances[i]:.4f}")
            cells += [str(corpus.ids[row]), label]
            if table is self.raw:
                cells.append("" if corpus.texts is None else str(corpus.texts[row])[:200])
            for col, value in enumerate(cells):
                item = QTableWidgetItem(value)
                if row in marked:
                    item.setBackground(QBrush(DIFFERS))
                    item.setFont(bold)
                    item.setToolTip("Not in the other list")
                table.setItem(i, col, item)
        table.resizeColumnsToContents()

    def shown_rows(self) -> tuple[list[int], list[int]]:
        return list(self._rows[self.raw]), list(self._rows[self.reduced])
