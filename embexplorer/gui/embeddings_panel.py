"""The Embeddings panel: the workspace's embeddings of one corpus, and where more come from.

It renders the workspace (core.workspace) and turns the user's intent into signals: derive a
variant (the first D dimensions, int8 or 1-bit codes), add another vector column of the file
or a second file of vectors for the same rows, show an embedding on the main map, compare it
on the second map, remove it. Re-embedding the texts with another model is in the Encoder
panel ("Add as a new embedding").
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from embexplorer.core.io import file_dialog_filter
from embexplorer.core.state.workspace import Workspace
from embexplorer.gui.tables import result_table

HEADERS = ["name", "vectors", "dims", "bytes / vector", "from", "shown"]
KIND_LABELS = {"float32": "float32", "int8": "int8 codes", "binary": "1-bit codes"}


def origin_text(origin: dict) -> str:
    kind = origin.get("kind")
    if kind == "derived":
        return f"{origin.get('variant')} of {origin.get('parent')}"
    if kind == "column":
        return f"column {origin.get('column')}"
    if kind == "file":
        return f"{Path(str(origin.get('path', ''))).name} (by {origin.get('aligned_by', 'ids')})"
    return {"source": "the file", "encoder": "the encoder"}.get(str(kind), str(kind))


def _columns_in_use(workspace: Workspace) -> set[str]:
    """Vector columns of the file some embedding already holds."""
    used = set(workspace.embeddings)
    for embedding in workspace.embeddings.values():
        if embedding.origin.get("kind") == "column":
            used.add(str(embedding.origin.get("column")))
        if embedding.origin.get("kind") == "source":
            used.update(str(embedding.provenance.get(k)) for k in ("vector_column", "vector_key"))
    return used


class EmbeddingsPanel(QWidget):
    derive_requested = Signal(str, str)  # parent embedding, variant spec
    column_requested = Signal(str)  # another vector column of the file
    file_requested = Signal(object, object, bool)  # path, id column or None, by row order
    show_requested = Signal(str)
    compare_requested = Signal(object)  # an embedding's name, or None to stop comparing
    remove_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.table = result_table(HEADERS)
        self.table.setToolTip("Double-click an embedding to show it on the main map")
        self.summary = QLabel("Open a corpus to see its embeddings.")
        self.summary.setWordWrap(True)
        self.variant = QComboBox()
        self.variant.setMinimumContentsLength(8)  # "first D dimensions" elides, never widens
        self.variant.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        for label, kind in (
            ("first D dimensions", "truncate"),
            ("int8", "int8"),
            ("1-bit", "binary"),
        ):
            self.variant.addItem(label, kind)
        self.variant.setToolTip(
            "Matryoshka truncation (first D dims), int8 scalar quantisation or 1-bit codes "
            "of the selected embedding"
        )
        self.dims = QSpinBox()
        self.dims.setRange(1, 8192)
        self.dims.setValue(64)
        self.dims.setPrefix("D = ")
        self.derive_button = QPushButton("Derive")
        self.column_choice = QComboBox()
        self.column_choice.setToolTip("Another vector column of the file")
        self.column_button = QPushButton("Add column")
        self.file_button = QPushButton("Add vectors from a file…")
        self.file_button.setToolTip(
            "A second file of vectors for the same rows, matched by an id column or by row order"
        )
        self.show_button = QPushButton("Show on map")
        self.compare_button = QPushButton("Compare")
        self.compare_button.setToolTip(
            "Show the selected embedding on a second map beside the main one, with the "
            "neighbourhood overlap of every point"
        )
        self.stop_button = QPushButton("Stop comparing")
        self.remove_button = QPushButton("Remove")
        self._names: list[str] = []
        self._build()
        self.variant.currentIndexChanged.connect(self._update_buttons)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.cellDoubleClicked.connect(
            lambda row, _col: self._emit_named(self.show_requested)
        )
        self.derive_button.clicked.connect(self._derive)
        self.column_button.clicked.connect(
            lambda: self.column_requested.emit(self.column_choice.currentText())
        )
        self.file_button.clicked.connect(self._ask_file)
        self.show_button.clicked.connect(lambda: self._emit_named(self.show_requested))
        self.compare_button.clicked.connect(lambda: self._emit_named(self.compare_requested))
        self.stop_button.clicked.connect(lambda: self.compare_requested.emit(None))
        self.remove_button.clicked.connect(lambda: self._emit_named(self.remove_requested))
        self._update_buttons()

    def _build(self) -> None:
        derive = QHBoxLayout()
        derive.addWidget(self.variant, stretch=1)
        derive.addWidget(self.dims)
        derive.addWidget(self.derive_button)
        more = QHBoxLayout()
        more.addWidget(self.column_choice, stretch=1)
        more.addWidget(self.column_button)
        # two buttons a row: the dock fits a 1280-pixel screen beside the map
        shown = QGridLayout()
        for i, button in enumerate(
            (self.show_button, self.compare_button, self.stop_button, self.remove_button)
        ):
            shown.addWidget(button, i // 2, i % 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, stretch=1)
        layout.addLayout(shown)
        layout.addLayout(derive)
        layout.addLayout(more)
        layout.addWidget(self.file_button)

    # -- rendering ---------------------------------------------------------------------------
    def show_workspace(self, workspace: Workspace | None, columns: list[str] | None = None) -> None:
        """Show the workspace's embeddings; ``columns``: the file's other vector columns."""
        chosen = self.selected_name()
        self._names = [] if workspace is None else list(workspace.embeddings)
        self.table.setRowCount(len(self._names))
        for i, name in enumerate(self._names):
            e = workspace.embeddings[name]
            shown = "main map" if name == workspace.active else ""
            shown = "second map" if name == workspace.other else shown
            cells = (
                name,
                KIND_LABELS[e.kind],
                str(e.dim),
                f"{e.bytes_per_vector:,}",
                origin_text(dict(e.origin)),
                shown,
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col in (2, 3):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(i, col, item)
        self.table.resizeColumnsToContents()
        row = self._names.index(chosen) if chosen in self._names else (0 if self._names else -1)
        if row >= 0:
            self.table.selectRow(row)
        used = set() if workspace is None else _columns_in_use(workspace)
        in_file = [c for c in (columns or []) if c not in used]
        self.column_choice.clear()
        self.column_choice.addItems(in_file)
        if workspace is None:
            self.summary.setText("Open a corpus to see its embeddings.")
        else:
            count = len(self._names)
            self.summary.setText(
                f"<b>{count}</b> embedding{'s' if count != 1 else ''} of "
                f"{workspace.n_rows:,} rows; main map: <b>{workspace.active or 'none'}</b>"
                + (f", second map: <b>{workspace.other}</b>" if workspace.other else "")
            )
        self.file_button.setEnabled(workspace is not None)
        self._update_buttons()

    def selected_name(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        if rows and rows[0].row() < len(self._names):
            return self._names[rows[0].row()]
        return None

    def choose(self, name: str) -> None:
        if name in self._names:
            self.table.selectRow(self._names.index(name))

    def _update_buttons(self, *_) -> None:
        chosen = self.selected_name() is not None
        for button in (
            self.show_button,
            self.compare_button,
            self.remove_button,
            self.derive_button,
        ):
            button.setEnabled(chosen)
        self.dims.setEnabled(self.variant.currentData() == "truncate")
        self.column_button.setEnabled(self.column_choice.count() > 0)
        self.column_choice.setEnabled(self.column_choice.count() > 0)

    # -- intent -------------------------------------------------------------------------------
    def _emit_named(self, signal) -> None:
        name = self.selected_name()
        if name is not None:
            signal.emit(name)

    def spec(self) -> str:
        kind = self.variant.currentData()
        return f"truncate:{self.dims.value()}" if kind == "truncate" else kind

    def _derive(self) -> None:
        name = self.selected_name()
        if name is not None:
            self.derive_requested.emit(name, self.spec())

    def _ask_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Vectors for the same rows", str(Path.home()), file_dialog_filter()
        )
        if not path:
            return
        dialog = AlignDialog(Path(path).name, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.file_requested.emit(Path(path), dialog.id_column(), dialog.by_row_order())


class AlignDialog(QDialog):
    """How the rows of a second file match the corpus's: an id column, or row order."""

    def __init__(self, file_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Match the rows of {file_name}")
        self.id_edit = QLineEdit()
        self.id_edit.setPlaceholderText("its ids (an 'id' column, or row numbers)")
        self.order_box = QCheckBox("Match by row order (row i is row i)")
        self.order_box.toggled.connect(lambda on: self.id_edit.setEnabled(not on))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(
            QLabel(
                "Each row of the corpus needs exactly one vector in the file; missing, extra or "
                "repeated ids are refused with examples."
            )
        )
        form.addRow("Id column of the file", self.id_edit)
        form.addRow(self.order_box)
        form.addRow(buttons)

    def id_column(self) -> str | None:
        text = self.id_edit.text().strip()
        return text or None

    def by_row_order(self) -> bool:
        return self.order_box.isChecked()
