"""The corpus table draws each cell with one call into Python, sizes its row numbers and its
columns without asking Qt to scan the model (corpus_table.py, dataset_panel.py)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

from embexplorer.core.corpus import Corpus
from embexplorer.gui.corpus_table import MAX_CELL_CHARS, CorpusTableModel
from embexplorer.gui.dataset_panel import FIT_ROWS, MAX_COLUMN_PX, DatasetPanel


def _corpus(n: int = 1200) -> Corpus:
    rng = np.random.default_rng(0)
    words = np.array(["a", "river bank", "x" * 400, "Wide WWW words"], dtype=object)
    return Corpus(
        ids=np.array([f"id{i}" for i in range(n)], dtype=object),
        columns={
            "topic": words[rng.integers(0, 2, n)],
            "long": words[rng.integers(0, 4, n)],
            "score": rng.normal(size=n),
        },
        vectors=None,
    )


def test_a_cell_is_drawn_from_one_call_with_the_text_data_gives(qtbot):
    model = CorpusTableModel()
    model.set_corpus(_corpus())
    calls: list[int] = []
    real_data = model.data
    model.data = lambda index, role=Qt.ItemDataRole.DisplayRole: (
        calls.append(role) or real_data(index, role)
    )
    delegate = QStyledItemDelegate()
    for row, col in ((0, 0), (5, 1), (7, 2)):
        index = model.index(row, col)
        option = QStyleOptionViewItem()
        calls.clear()
        delegate.initStyleOption(option, index)
        assert option.text == real_data(index, Qt.ItemDataRole.DisplayRole)
        assert len(calls) == 1  # Qt's default: one call per role, seven a cell
    texts = [real_data(model.index(r, 1)) for r in range(50)]
    assert max(len(t) for t in texts) == MAX_CELL_CHARS + 1  # 400 x's cut, with "…"


def test_row_numbers_and_columns_fit_their_texts(qtbot):
    panel = DatasetPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 600)
    panel.show()
    corpus = _corpus()
    panel.set_corpus(corpus, "corpus")
    table, model = panel.table, panel.model
    header = table.verticalHeader()
    assert model.headerData(1199, Qt.Orientation.Vertical) == "1199"
    assert header.sizeHint().width() >= header.fontMetrics().horizontalAdvance("1199")
    cell = table.fontMetrics()
    for col, name in enumerate(model.column_names):
        texts = model.column_texts(col, FIT_ROWS)
        widest = max(cell.horizontalAdvance(t) for t in texts)
        width = table.columnWidth(col)
        assert width == MAX_COLUMN_PX or width > widest, name  # no text of the first rows cut
        assert width >= table.horizontalHeader().fontMetrics().horizontalAdvance(name)
        assert width <= MAX_COLUMN_PX
    assert table.columnWidth(model.column_names.index("long")) == MAX_COLUMN_PX
