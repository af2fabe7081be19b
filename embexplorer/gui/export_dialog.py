"""The export dialog: which rows, which format, which columns, where.

Without vectors in the corpus, the formats made of vectors (NPY, the Projector pair) and the
vectors column are disabled, with a tooltip saying why."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from embexplorer.core.io.export import FORMATS, VECTOR_FORMATS
from embexplorer.core.state.export_frame import DEFAULT_GROUPS, GROUPS

FORMAT_LABELS = {
    "parquet": "Parquet",
    "csv": "CSV",
    "tsv": "TSV",
    "jsonl": "JSON Lines",
    "npy": "NumPy .npy (vectors only)",
    "projector": "Embedding Projector (vectors.tsv + metadata.tsv)",
}
GROUP_LABELS = {
    "ids": "ids (and source row numbers)",
    "metadata": "metadata columns",
    "text": "text",
    "tags": "tags",
    "vectors": "vectors",
    "xy": "x / y on the map",
    "neighbors": "neighbours and distances",
    "k_occurrence": "k-occurrence, hubs",
    "cluster": "cluster and its label",
    "preservation": "neighbour preservation",
    "comparison": "comparison of the two maps (overlap, both neighbour lists, N_k)",
}


@dataclass(frozen=True)
class ExportRequest:
    path: Path
    format: str
    selected_only: bool
    groups: tuple[str, ...]


class ExportDialog(QDialog):
    def __init__(
        self,
        parent: QWidget | None,
        n_selected: int,
        n_total: int,
        available: set[str],
        start_dir: str,
        no_vectors: str | None = None,
    ):
        """``no_vectors`` says why there are none ("NAME has no vectors (columns: …)")."""
        super().__init__(parent)
        self.setWindowTitle("Export rows")
        self.selected = QRadioButton(f"Selected rows ({n_selected:,})")
        self.everything = QRadioButton(f"All rows ({n_total:,})")
        (self.selected if n_selected else self.everything).setChecked(True)
        self.selected.setEnabled(n_selected > 0)
        self.format = QComboBox()
        for name in ("parquet", "csv", "tsv", "jsonl", "npy", "projector"):
            self.format.addItem(FORMAT_LABELS[name], name)
        self.groups: dict[str, QCheckBox] = {}
        box = QGroupBox("Columns")
        grid = QGridLayout(box)
        for i, name in enumerate(GROUPS):
            check = QCheckBox(GROUP_LABELS[name])
            check.setChecked(name in DEFAULT_GROUPS and name in available)
            check.setEnabled(name in available)
            self.groups[name] = check
            grid.addWidget(check, i // 2, i % 2)
        if "vectors" not in available:
            self._disable_vector_choices(no_vectors or "The corpus has no vectors")
        self.path = QLineEdit(str(Path(start_dir) / "selection.parquet"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        rows = QHBoxLayout()
        rows.addWidget(self.selected)
        rows.addWidget(self.everything)
        form.addRow("Rows", rows)
        form.addRow("Format", self.format)
        where = QHBoxLayout()
        where.addWidget(self.path, stretch=1)
        where.addWidget(browse)
        form.addRow("File", where)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(box)
        layout.addWidget(buttons)
        self.format.currentIndexChanged.connect(self._on_format)

    def _disable_vector_choices(self, note: str) -> None:
        tip = f"{note}; choose Parquet, CSV, TSV or JSON Lines, or open a file with vectors."
        for fmt in VECTOR_FORMATS:
            index = self.format.findData(fmt)
            self.format.model().item(index).setEnabled(False)
            self.format.setItemData(index, tip, Qt.ItemDataRole.ToolTipRole)
        self.groups["vectors"].setToolTip(f"{note}.")

    def _on_format(self, *_) -> None:
        fmt = self.format.currentData()
        path = Path(self.path.text())
        stem = "vectors" if fmt == "projector" else path.stem.removesuffix("_vectors")
        self.path.setText(str(path.with_name(stem + FORMATS[fmt])))
        if fmt == "npy":
            self.groups["vectors"].setChecked(True)

    def _browse(self) -> None:
        fmt = self.format.currentData()
        pattern = f"{FORMAT_LABELS[fmt]} (*{FORMATS[fmt]})"
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Export to",
            self.path.text(),
            pattern,
            options=QFileDialog.Option.DontConfirmOverwrite,
        )
        if path:
            self.path.setText(path)

    def request(self) -> ExportRequest:
        return ExportRequest(
            path=Path(self.path.text()).expanduser(),
            format=self.format.currentData(),
            selected_only=self.selected.isChecked(),
            groups=tuple(n for n, c in self.groups.items() if c.isChecked()),
        )
