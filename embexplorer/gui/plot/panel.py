"""The central panel: a small toolbar (colour by, fit view), the map and its legend."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from embexplorer.core.corpus import Corpus
from embexplorer.gui.plot.density import DENSITY_DEFAULT_MIN
from embexplorer.gui.plot.legend import LegendWidget
from embexplorer.gui.plot.scatter_view import ScatterView

NO_COLOR = "(single colour)"


TOOL_TIPS = {
    "pointer": "Pan, zoom and click points (click to select; Shift adds, Alt "
    "subtracts, Ctrl+Shift intersects)",
    "rectangle": "Drag a rectangle to select (R)",
    "lasso": "Draw a freehand shape to select (L)",
}
MODES = (
    ("replace", "Replace"),
    ("add", "Add (Shift)"),
    ("subtract", "Subtract (Alt)"),
    ("intersect", "Intersect (Ctrl+Shift)"),
)


class PlotPanel(QWidget):
    color_column_chosen = Signal(object)  # str | None
    tool_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.color_combo = QComboBox()
        self.color_combo.setMinimumContentsLength(10)
        self.color_combo.setToolTip("Colour the points by a categorical or numeric column")
        self.size_by_nk = QCheckBox("Size by N_k")
        self.size_by_nk.setToolTip(
            "Marker size grows with how often a point is someone's neighbour (hubs look big)"
        )
        self.mark_hubs = QCheckBox("Mark hubs")
        self.mark_hubs.setToolTip("Ring hubs (N_k > 2k) in red; cross antihubs (N_k = 0)")
        self.cluster_labels = QCheckBox("Cluster labels")
        self.cluster_labels.setChecked(True)
        self.density = QCheckBox("Density")
        self.density.setToolTip(
            "Contour lines of the point density over the map: where markers pile up, each "
            f"line marks twice the density of the one outside it (on above {DENSITY_DEFAULT_MIN:,} "
            "points)"
        )
        self.fit_button = QPushButton("Fit view")
        self.fit_button.setToolTip("Show all points (F)")
        self.view = ScatterView()
        self.legend = LegendWidget(self.view)  # floats over the map's top-right corner
        self.view.corner_overlay = self.legend  # Fit View keeps the points from under it
        self.detail = QLabel()
        self.detail.setStyleSheet("color: #555")
        toolbar = QHBoxLayout()
        toolbar.addWidget(QLabel("Colour by"))
        toolbar.addWidget(self.color_combo, stretch=1)
        toolbar.addWidget(self.fit_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(toolbar)
        toggles = QHBoxLayout()
        for box in (self.size_by_nk, self.mark_hubs, self.cluster_labels, self.density):
            toggles.addWidget(box)
        toggles.addStretch(1)
        layout.addLayout(toggles)
        tools = QHBoxLayout()
        self.tool_buttons: dict[str, QToolButton] = {}
        group = QButtonGroup(self)
        for name in ("pointer", "rectangle", "lasso"):
            button = QToolButton()
            button.setText(name.capitalize())
            button.setCheckable(True)
            button.setToolTip(TOOL_TIPS[name])
            button.clicked.connect(lambda _=False, n=name: self.choose_tool(n))
            group.addButton(button)
            tools.addWidget(button)
            self.tool_buttons[name] = button
        self.tool_buttons["pointer"].setChecked(True)
        self.mode_combo = QComboBox()
        for data, label in MODES:
            self.mode_combo.addItem(label, data)
        self.mode_combo.setToolTip(
            "How a new pick combines with the selection (the keys override it)"
        )
        self.selection_label = QLabel("Nothing selected")
        self.selection_label.setMinimumWidth(60)  # long counts are cut, not widening the window
        self.selection_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.mode_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.mode_combo.setMinimumContentsLength(8)
        tools.addWidget(self.mode_combo)
        tools.addWidget(self.selection_label, stretch=1)
        layout.addLayout(tools)
        layout.addWidget(self.view, stretch=1)
        layout.addWidget(self.detail)
        self.fit_button.clicked.connect(self.view.fit_view)
        self.view.detail_changed.connect(self.detail.setText)
        self.view.density_toggled.connect(self._show_density_state)
        self.density.clicked.connect(self.view.set_density)  # the user's click only
        self.color_combo.activated.connect(self._on_color_chosen)

    def _show_density_state(self, on: bool) -> None:
        self.density.blockSignals(True)
        self.density.setChecked(on)
        self.density.blockSignals(False)

    def choose_tool(self, name: str) -> None:
        self.tool_buttons[name].setChecked(True)
        self.view.getPlotItem().getViewBox().set_tool(name)
        self.tool_chosen.emit(name)

    def show_selection_count(self, selected: int, total: int) -> None:
        self.selection_label.setText(
            f"{selected:,} of {total:,} selected" if selected else "Nothing selected"
        )

    def set_corpus(
        self, corpus: Corpus | None, color_column: str | None, derived: list[str] | None = None
    ) -> None:
        """The colour choices: the corpus's columns, then those the analysis added."""
        self.color_combo.blockSignals(True)
        self.color_combo.clear()
        self.color_combo.addItem(NO_COLOR)
        if corpus is not None:
            self.color_combo.addItems(list(corpus.columns))
        if derived:
            self.color_combo.insertSeparator(self.color_combo.count())
            self.color_combo.addItems(derived)
        self.color_combo.setCurrentText(color_column or NO_COLOR)
        self.color_combo.blockSignals(False)

    def show_color_column(self, column: str | None) -> None:
        self.color_combo.blockSignals(True)
        self.color_combo.setCurrentText(column or NO_COLOR)
        self.color_combo.blockSignals(False)

    def _on_color_chosen(self, _index: int) -> None:
        text = self.color_combo.currentText()
        self.color_column_chosen.emit(None if text == NO_COLOR else text)
