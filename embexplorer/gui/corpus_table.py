"""A table model over the corpus's columns that shows a subset of rows (the search result)."""

from __future__ import annotations

import textwrap

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSize, Qt
from PySide6.QtWidgets import QHeaderView

from embexplorer.core.corpus import Corpus

MAX_CELL_CHARS = 160
DISPLAY_ROLE = Qt.ItemDataRole.DisplayRole.value
ROW_NUMBER_PAD_PX = 12  # a row number's margins in its header section


class CorpusTableModel(QAbstractTableModel):
    """Rows are ``visible_rows`` of the corpus (ascending source row numbers)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._corpus: Corpus | None = None
        self._names: list[str] = []
        self._extra: dict[str, np.ndarray] = {}  # columns added here (tags)
        self._rows = np.empty(0, dtype=np.intp)

    def set_corpus(self, corpus: Corpus | None) -> None:
        self.beginResetModel()
        self._corpus = corpus
        self._extra = {}
        self._names = [] if corpus is None else list(corpus.columns)
        self._rows = np.arange(0 if corpus is None else corpus.n_rows)
        self.endResetModel()

    def set_extra_column(self, name: str, values: np.ndarray | None) -> None:
        """Show (or, with None, remove) a column that is not in the corpus, e.g. the tags."""
        self.beginResetModel()
        if values is None:
            self._extra.pop(name, None)
        else:
            self._extra[name] = values
        base = [] if self._corpus is None else list(self._corpus.columns)
        self._names = base + [n for n in self._extra if n not in base]
        self.endResetModel()

    def set_visible_rows(self, rows: np.ndarray) -> None:
        self.beginResetModel()
        self._rows = np.asarray(rows, dtype=np.intp)
        self.endResetModel()

    @property
    def column_names(self) -> list[str]:
        return list(self._names)

    def column_texts(self, col: int, rows: int) -> list[str]:
        """The texts of the first ``rows`` shown rows of column ``col``, as the cells show them."""
        name = self._names[col]
        column = self._extra[name] if name in self._extra else self._corpus.columns[name]
        return [self._cell_text(column[row]) for row in self._rows[:rows]]

    @property
    def visible_rows(self) -> np.ndarray:
        return self._rows

    def source_row(self, view_row: int) -> int:
        return int(self._rows[view_row])

    def view_row(self, source_row: int) -> int:
        """Position of ``source_row`` in the table, or -1 when the filter hides it."""
        pos = int(np.searchsorted(self._rows, source_row))
        return pos if pos < len(self._rows) and self._rows[pos] == source_row else -1

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._names)

    def multiData(self, index: QModelIndex, roles) -> None:
        """Every role a cell is drawn with, in one call: Qt's default asks :meth:`data` once
        per role (seven a cell), and each call from Qt into Python waits for the GIL while a
        worker computes in Python. Only the text has a value; the others stay empty."""
        if self._corpus is None or not index.isValid():
            return
        for role_data in roles:
            if role_data.role() == DISPLAY_ROLE:
                role_data.setData(self.data(index, Qt.ItemDataRole.DisplayRole))

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if self._corpus is None or not index.isValid():
            return None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        name = self._names[index.column()]
        column = self._extra[name] if name in self._extra else self._corpus.columns[name]
        value = column[self._rows[index.row()]]
        if role == Qt.ItemDataRole.ToolTipRole:
            text = _format(value)
            return textwrap.fill(text[:2000], 100) if len(text) > MAX_CELL_CHARS else None
        return self._cell_text(value)

    @staticmethod
    def _cell_text(value) -> str:
        text = _format(value)
        return text if len(text) <= MAX_CELL_CHARS else text[:MAX_CELL_CHARS] + "…"

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._names[section] if section < len(self._names) else None
        return str(self._rows[section]) if section < len(self._rows) else None


def _format(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float | np.floating):
        return "" if np.isnan(value) else f"{value:.6g}"
    return str(value)


class RowNumberHeader(QHeaderView):
    """The table's row numbers (the rows' numbers in the file). Its width comes from the
    largest number's digits: Qt's own measure asks the model for 200 sections' headers in
    every role (~1,900 calls into Python, 90 ms of the GUI thread while a worker runs Python,
    at each new corpus)."""

    def __init__(self, parent=None):
        super().__init__(Qt.Orientation.Vertical, parent)
        self.setSectionsClickable(True)
        self.setHighlightSections(True)

    def sizeHint(self) -> QSize:
        model = self.model()
        rows = model.visible_rows if isinstance(model, CorpusTableModel) else ()
        digits = str(int(rows[-1])) if len(rows) else "0"  # ascending
        width = self.fontMetrics().horizontalAdvance(digits) + ROW_NUMBER_PAD_PX
        return QSize(width, self.defaultSectionSize())
