"""The comparison of hubness reductions, as a small table: one row per method, with the
skewness of N_k, antihubs, hubs, k-NN accuracy (when the corpus has a label column) and how
the lists were re-ranked (over every row, or from candidates with their measured overlap).

It renders core.reduction_comparison's table (computed on the worker by the pipeline's
``comparison`` stage) and computes nothing, so a user can choose a method from evidence."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTableWidgetItem, QVBoxLayout, QWidget

from embexplorer.gui.tables import result_table

HEADERS = ["method", "skewness", "antihubs", "hubs", "k-NN accuracy", "re-ranked over"]
TITLES = {
    ("none", None): "none (raw k-NN)",
    ("mp", "gaussian"): "mutual proximity (Gaussian)",
    ("mp", "empirical"): "mutual proximity (empirical)",
    ("csls", None): "CSLS",
    ("ls", "standard"): "local scaling",
    ("ls", "nicdm"): "local scaling (NICDM)",
    ("dsl", None): "DisSimLocal",
    ("isoftmax", None): "inverted softmax",
}


def method_title(row: dict[str, Any]) -> str:
    key = (row["method"], row.get("variant"))
    title = TITLES.get(key, " ".join(str(v) for v in key if v))
    if row.get("beta") is not None:
        title += f", β = {row['beta']:.3g}"
    return title


def how_reranked(row: dict[str, Any]) -> str:
    if row["method"] == "none":
        return ""
    if row.get("exact"):
        return "every row (exact)"
    overlap = row.get("overlap")
    shown = "" if overlap is None else f" (overlap {overlap:.3f})"
    return f"{row.get('candidates', '?')} candidates{shown}"


def cells(row: dict[str, Any]) -> list[str]:
    accuracy = row.get("accuracy")
    return [
        method_title(row),
        f"{row['skewness']:.3f}",
        f"{row['n_antihubs']:,}",
        f"{row['n_hubs']:,}",
        "—" if accuracy is None else f"{accuracy:.3f}",
        how_reranked(row),
    ]


class ReductionTableView(QWidget):
    """Shows a ReductionTable (or says why there is none)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.methods = result_table(HEADERS)
        self.methods.setWordWrap(False)
        rows_shown = len(TITLES) + 1  # every method and the header, without scrolling
        self.methods.setMinimumHeight(
            rows_shown * self.methods.verticalHeader().defaultSectionSize()
        )
        self.methods.setToolTip(
            "re-ranked over: every row (exact), or each row's nearest candidates and the rows "
            "that list it, with the overlap of the lists with the exact ones on a sample"
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.methods, stretch=1)
        self.show_table(None, asked=False)

    def show_table(self, comparison: Any, asked: bool) -> None:
        rows = [] if comparison is None else comparison.rows
        self.methods.setRowCount(len(rows))
        for i, row in enumerate(rows):
            for col, text in enumerate(cells(row)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)  # a narrow panel cuts the last column
                if col:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.methods.setItem(i, col, item)
        self.methods.resizeColumnsToContents()
        self.caption.setText(caption_text(comparison, asked))


def caption_text(comparison: Any, asked: bool) -> str:
    if comparison is None:
        return (
            "Comparing the hubness reductions…"
            if asked
            else "Tick “Compare reductions” to see every method’s skewness, antihubs and "
            "k-NN accuracy side by side."
        )
    if comparison.label_column is None:
        accuracy = "k-NN accuracy needs a label column (choose one in the Dataset panel)."
    else:
        accuracy = (
            f"k-NN accuracy: each labelled row’s <b>{comparison.label_column}</b> predicted by "
            "a majority vote of its k neighbours (itself left out)."
        )
        best = comparison.best_by_accuracy()
        if best is not None:
            accuracy += f" Best: {method_title(best)} ({best['accuracy']:.3f})."
    return f"Each hubness reduction on this k-NN graph (lower skewness, fewer antihubs). {accuracy}"
