"""The window's questions and notices: modal boxes asked before something the user must agree
to (dropping rows, running a model a data file names, restoring autosaved work), and the help
boxes. Each question returns the answer; the window holds them as replaceable callables
(tests and --screenshot answer without a box)."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from embexplorer.core.embedding.embedding import ModelConsentError
from embexplorer.core.errors import NonFiniteRowsError

SHORTCUTS_SELECT = (
    ("Click", "select a point (Shift adds, Alt subtracts, Ctrl+Shift intersects)"),
    ("R / L / V", "rectangle, lasso, pointer tool"),
    ("Ctrl+A", "select all"),
    ("Ctrl+I", "invert the selection"),
    ("Esc", "clear the selection"),
    ("Ctrl+Z / Ctrl+Shift+Z", "undo / redo a selection change"),
    ("Ctrl+N", "add the selection's neighbours"),
    ("Ctrl+T", "tag the selection"),
    ("Ctrl+E", "export rows"),
    ("Ctrl+S", "save the session"),
)
SHORTCUTS = (
    ("Ctrl+O", "Open a file"),
    ("Ctrl+F", "Search the rows"),
    ("F", "Fit view"),
    ("Esc", "cancel the running job (when one runs)"),
    ("Ctrl+Q", "Quit"),
)


def ask_recovery(window: QWidget, question: str) -> bool:
    answer = QMessageBox.question(
        window,
        "Restore your work?",
        f"embexplorer did not close properly last time. {question}",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Discard,
        QMessageBox.StandardButton.Yes,
    )
    return answer == QMessageBox.StandardButton.Yes


def ask_model(window: QWidget, error: ModelConsentError) -> bool:
    answer = QMessageBox.question(
        window,
        "Run a model named by the data file?",
        f"{error}\n\nRun it? Only agree if you trust where this model came from; "
        "embexplorer will remember this model (by its SHA-256).",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Yes


def ask_drop(window: QWidget, error: NonFiniteRowsError) -> bool:
    answer = QMessageBox.question(
        window,
        "Rows with NaN or infinite values",
        f"{error}\n\nDrop these {error.n_rows:,} rows and open the other "
        f"{error.total_rows - error.n_rows:,}?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Yes


def show_shortcuts(window: QWidget) -> None:
    rows = "".join(
        f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in (*SHORTCUTS, *SHORTCUTS_SELECT)
    )
    QMessageBox.information(window, "Keyboard shortcuts", f"<table>{rows}</table>")
