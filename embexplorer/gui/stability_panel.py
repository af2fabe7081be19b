"""The Stability panel: how far an embedding can be shrunk, read off one chart.

For the embedding on the main map, a sweep of its variants (the first D dimensions, int8 and
1-bit codes): recall@k of each variant's exact kNN against the full-precision kNN and the
skewness of its N_k, against bytes per vector (log scale), with the kNN time in the table.
Clicking a variant (on the chart or in the table) asks to add it to the workspace.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from embexplorer.gui.tables import result_table

RECALL_COLOR, SKEW_COLOR = "#1f77b4", "#d62728"


class StabilityPanel(QWidget):
    run_requested = Signal(object, object, int)  # dims, quantize kinds, k
    variant_chosen = Signal(str)  # a spec to add as an embedding

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.dims_edit = QLineEdit("32,64,128,256")
        self.dims_edit.setToolTip("Dimensions to keep (Matryoshka truncations), comma-separated")
        self.int8_box = QCheckBox("int8")
        self.int8_box.setChecked(True)
        self.binary_box = QCheckBox("1-bit")
        self.binary_box.setChecked(True)
        self.k_choice = QSpinBox()
        self.k_choice.setRange(1, 100)
        self.k_choice.setValue(10)
        self.k_choice.setPrefix("k = ")
        self.run_button = QPushButton("Run sweep")
        self.caption = QLabel(
            "Recall@k and hubness of cheaper copies of the embedding on the main map."
        )
        self.caption.setWordWrap(True)
        self.chart = pg.PlotWidget(background="w")
        self.chart.setMinimumHeight(220)
        self.chart.setLabel("bottom", "bytes per vector (log scale)")
        self.chart.setLabel("left", "recall@k", color=RECALL_COLOR)
        self.chart.showAxis("right")
        self.chart.setLabel("right", "skewness of N_k", color=SKEW_COLOR)
        self._skew_box = pg.ViewBox()
        self.chart.scene().addItem(self._skew_box)
        self.chart.getAxis("right").linkToView(self._skew_box)
        self._skew_box.setXLink(self.chart.getPlotItem().getViewBox())
        self.chart.getPlotItem().getViewBox().sigResized.connect(self._sync_boxes)
        self.table = result_table(["variant", "dims", "bytes", "recall@k", "skewness", "kNN s"])
        self.table.setToolTip("Click a variant to add it to the workspace")
        self._specs: list[str] = []
        dims_row = QHBoxLayout()
        dims_row.addWidget(QLabel("dims"))
        dims_row.addWidget(self.dims_edit, stretch=1)
        controls = QHBoxLayout()  # a second row: the dock fits a 1280-pixel screen
        for widget in (self.int8_box, self.binary_box, self.k_choice, self.run_button):
            controls.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.addWidget(self.caption)
        layout.addLayout(dims_row)
        layout.addLayout(controls)
        layout.addWidget(self.chart, stretch=2)
        layout.addWidget(self.table, stretch=1)
        self.run_button.clicked.connect(self._run)
        self.table.cellClicked.connect(self._on_cell)

    def _sync_boxes(self) -> None:
        self._skew_box.setGeometry(self.chart.getPlotItem().getViewBox().sceneBoundingRect())

    def dims(self) -> list[int]:
        values = []
        for part in self.dims_edit.text().replace(" ", "").split(","):
            if part.isdigit() and int(part) > 0:
                values.append(int(part))
        return sorted(set(values))

    def _run(self) -> None:
        kinds = [
            k
            for k, box in (("int8", self.int8_box), ("binary", self.binary_box))
            if box.isChecked()
        ]
        self.run_requested.emit(self.dims(), kinds, self.k_choice.value())

    def _on_cell(self, row: int, _column: int) -> None:
        if 0 <= row < len(self._specs) and self._specs[row] != "float32":
            self.variant_chosen.emit(self._specs[row])

    # -- rendering ---------------------------------------------------------------------------
    def show_rows(self, rows, embedding: str | None, k: int) -> None:
        """Draw the sweep's rows (core.compare.StabilityRow), or clear when ``rows`` is None."""
        self.chart.getPlotItem().clear()
        self._skew_box.clear()
        self.table.setRowCount(0)
        self._specs = []
        if not rows:
            self.caption.setText(
                "Recall@k and hubness of cheaper copies of the embedding on the main map."
            )
            return
        self.caption.setText(
            f"<b>{embedding}</b>, k = {k}: recall@{k} of each variant's exact kNN against the "
            "full-precision kNN (blue) and the skewness of its N_k (red); the line joins the "
            "truncations, ◆ int8, ▼ 1-bit. Click a variant to add it."
        )
        nbytes = np.array([r.bytes_per_vector for r in rows], dtype=float)
        x = np.log10(nbytes)  # drawn on a log scale, ticks labelled in bytes
        recall = np.array([r.recall for r in rows])
        skew = np.array([r.skewness for r in rows])
        # the truncations (and full precision) are one family, drawn as a line; the codes as
        # single marks (diamond: int8, triangle: 1-bit)
        family = np.array(
            [r.variant == "float32" or r.variant.startswith("truncate") for r in rows]
        )
        order = [i for i in np.argsort(x) if family[i]]
        self.chart.plot(x[order], recall[order], pen=pg.mkPen(RECALL_COLOR, width=2))
        symbols = [
            "d" if r.variant == "int8" else "t" if r.variant == "binary" else "o" for r in rows
        ]
        points = pg.ScatterPlotItem(
            x=x,
            y=recall,
            size=12,
            symbol=symbols,
            brush=pg.mkBrush(RECALL_COLOR),
            data=[r.variant for r in rows],
        )
        points.sigClicked.connect(self._on_points)
        self.chart.addItem(points)
        for r, xi, yi in zip(rows, x, recall, strict=True):
            label = pg.TextItem(r.variant, color="#333", anchor=(0.5, 1.3))
            label.setPos(xi, yi)
            self.chart.addItem(label)
        ticks = [(float(np.log10(b)), f"{int(b):,}") for b in sorted(set(nbytes))]
        self.chart.getAxis("bottom").setTicks([ticks])
        self.chart.setXRange(float(x.min()) - 0.2, float(x.max()) + 0.2, padding=0)
        self.chart.setYRange(0, 1.08, padding=0)
        dash = pg.mkPen(SKEW_COLOR, width=2, style=Qt.PenStyle.DashLine)
        self._skew_box.addItem(pg.PlotCurveItem(x[order], skew[order], pen=dash))
        self._skew_box.addItem(
            pg.ScatterPlotItem(x=x, y=skew, size=8, brush=pg.mkBrush(SKEW_COLOR))
        )
        low, high = float(skew.min()), float(skew.max())
        margin = max(0.05, 0.1 * (high - low))
        self._skew_box.setYRange(low - margin, high + margin, padding=0)
        self._sync_boxes()
        self._specs = [r.variant for r in rows]
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            cells = (
                r.variant,
                str(r.dims),
                f"{r.bytes_per_vector:,}",
                f"{r.recall:.3f}",
                f"{r.skewness:.2f}",
                f"{r.knn_seconds:.2f}",
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(i, col, item)
        self.table.resizeColumnsToContents()

    def _on_points(self, _item, points, *_) -> None:
        if len(points) and points[0].data() != "float32":
            self.variant_chosen.emit(str(points[0].data()))
