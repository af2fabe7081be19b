"""The Compare panel: where two embeddings of the same rows disagree, and why.

A summary (mean and median overlap, hubness of each side, points that became or stopped being
hubs), the points ranked by how much their neighbourhood changed, and, for the inspected
point, its k nearest in A and in B side by side, the neighbours the other list lacks marked.
It renders a core.compare.Comparison; picking a row asks to inspect that point.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QLabel, QSplitter, QTableWidgetItem, QVBoxLayout, QWidget

from embexplorer.core.corpus import Corpus
from embexplorer.gui.tables import result_table

#: Rows listed as "most changed" (the table stays light; export holds every row).
MOST_CHANGED = 200
ONLY_HERE = QColor("#fde2c8")


def _item(text: str, right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


def _label_text(corpus: Corpus, row: int) -> str:
    parts = []
    if corpus.labels is not None:
        parts.append(str(corpus.labels[row]))
    if corpus.texts is not None:
        parts.append(str(corpus.texts[row])[:160])
    return " · ".join(parts)


class ComparePanel(QWidget):
    row_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.summary = QLabel("Choose an embedding in the Embeddings panel and press Compare.")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.changed = result_table(["id", "overlap", "N_k A", "N_k B", "label / text"])
        self.changed.setToolTip("Points whose neighbours changed most; click one to inspect it")
        self.lists_title = QLabel("Click a point to compare its neighbours in A and in B.")
        self.lists_title.setWordWrap(True)
        self.list_a = result_table(["#", "id", "distance", "label / text"])
        self.list_b = result_table(["#", "id", "distance", "label / text"])
        split = QSplitter(Qt.Orientation.Horizontal)
        for title, table in (("A", self.list_a), ("B", self.list_b)):
            box = QWidget()
            inner = QVBoxLayout(box)
            inner.setContentsMargins(0, 0, 0, 0)
            caption = QLabel(title)
            caption.setObjectName(f"caption_{title}")
            inner.addWidget(caption)
            inner.addWidget(table)
            split.addWidget(box)
        self._captions = [split.widget(0).findChild(QLabel), split.widget(1).findChild(QLabel)]
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        changed_title = QLabel("Most changed neighbourhoods (least overlap first):")
        changed_title.setWordWrap(True)
        layout.addWidget(changed_title)
        layout.addWidget(self.changed, stretch=2)
        layout.addWidget(self.lists_title)
        layout.addWidget(split, stretch=2)
        self._changed_rows: list[int] = []
        self._list_rows: dict[object, list[int]] = {self.list_a: [], self.list_b: []}
        self.changed.itemSelectionChanged.connect(
            lambda: self._pick(self.changed, self._changed_rows)
        )
        for table in (self.list_a, self.list_b):
            table.itemSelectionChanged.connect(lambda t=table: self._pick(t, self._list_rows[t]))

    def _pick(self, table, rows: list[int]) -> None:
        chosen = table.selectionModel().selectedRows()
        if chosen and chosen[0].row() < len(rows):
            self.row_chosen.emit(rows[chosen[0].row()])

    # -- rendering ---------------------------------------------------------------------------
    def show_comparison(self, comparison, names: tuple[str, str], corpus: Corpus | None) -> None:
        """The summary and the most-changed list of ``comparison`` (None clears)."""
        self.changed.setRowCount(0)
        self._changed_rows = []
        for caption, name in zip(self._captions, names, strict=True):
            caption.setText(f"<b>{name}</b>" if name else "")
        if comparison is None or corpus is None:
            self.summary.setText(
                "Choose an embedding in the Embeddings panel and press Compare."
                if not names[1]
                else "Comparing…"
            )
            return
        s = comparison.summary()
        self.summary.setText(
            f"<b>{names[0]}</b> vs <b>{names[1]}</b>, k = {s['k']} ({s['metric_a']} / "
            f"{s['metric_b']}): mean neighbourhood overlap <b>{s['mean_overlap']:.3f}</b>, "
            f"median {s['median_overlap']:.3f}; "
            f"{int((comparison.overlap == 0).sum()):,} points share no neighbour.<br>"
            f"hubness: skewness {s['skewness_a']:.2f} → {s['skewness_b']:.2f}, hubs "
            f"{s['n_hubs_a']:,} → {s['n_hubs_b']:,} ({s['became_hubs']:,} became hubs, "
            f"{s['stopped_being_hubs']:,} stopped)"
        )
        order = comparison.most_changed()[:MOST_CHANGED]
        self._changed_rows = [int(r) for r in order]
        nk_a, nk_b = comparison.hubness_a.k_occurrence, comparison.hubness_b.k_occurrence
        self.changed.setRowCount(len(order))
        for i, row in enumerate(self._changed_rows):
            cells = (
                _item(str(corpus.ids[row])),
                _item(f"{comparison.overlap[row]:.2f}", right=True),
                _item(str(nk_a[row]), right=True),
                _item(str(nk_b[row]), right=True),
                _item(_label_text(corpus, row)),
            )
            for col, item in enumerate(cells):
                self.changed.setItem(i, col, item)
        self.changed.resizeColumnsToContents()

    def show_row(self, row: int, comparison, corpus: Corpus | None) -> None:
        """Row ``row``'s neighbours in A and in B, those the other list lacks marked."""
        for table in (self.list_a, self.list_b):
            table.setRowCount(0)
            self._list_rows[table] = []
        if comparison is None or corpus is None or not 0 <= row < corpus.n_rows:
            self.lists_title.setText("Click a point to compare its neighbours in A and in B.")
            return
        a, b = comparison.knn_a.indices[row], comparison.knn_b.indices[row]
        self.lists_title.setText(
            f"<b>{corpus.ids[row]}</b>: {len(set(a) & set(b))} of {comparison.k} neighbours "
            f"in common (overlap {comparison.overlap[row]:.2f}); the others are shaded."
        )
        for table, rows, distances, other in (
            (self.list_a, a, comparison.knn_a.distances[row], set(b)),
            (self.list_b, b, comparison.knn_b.distances[row], set(a)),
        ):
            self._fill(table, rows, distances, other, corpus)

    def _fill(self, table, rows: np.ndarray, distances, other: set, corpus: Corpus) -> None:
        self._list_rows[table] = [int(r) for r in rows]
        table.setRowCount(len(rows))
        bold = QFont()
        bold.setBold(True)
        for i, (r, d) in enumerate(zip(rows, distances, strict=True)):
            cells = (
                _item(str(i + 1), right=True),
                _item(str(corpus.ids[r])),
                _item(f"{d:.4g}", right=True),
                _item(_label_text(corpus, int(r))),
            )
            for col, item in enumerate(cells):
                if int(r) not in other:
                    item.setBackground(QBrush(ONLY_HERE))
                    item.setFont(bold)
                    item.setToolTip("Not among the other embedding's neighbours")
                table.setItem(i, col, item)
        table.resizeColumnsToContents()

    def marked_rows(self) -> tuple[list[int], list[int]]:
        """(rows only in A's list, rows only in B's list): what the shading shows."""
        a, b = self._list_rows[self.list_a], self._list_rows[self.list_b]
        return [r for r in a if r not in b], [r for r in b if r not in a]
