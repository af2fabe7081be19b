"""The central panel: a small toolbar (colour by, fit view), the map and its legend."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from embexplorer.core.corpus import Corpus
from embexplorer.gui.plot.legend import LegendWidget
from embexplorer.gui.plot.scatter_view import ScatterView

NO_COLOR = "(single colour)"


class PlotPanel(QWidget):
    color_column_chosen = Signal(object)  # str | None

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.color_combo = QComboBox()
        self.color_combo.setMinimumContentsLength(16)
        self.color_combo.setToolTip("Colour the points by a categorical or numeric column")
        self.fit_button = QPushButton("Fit view")
        self.fit_button.setToolTip("Show all points (F)")
        self.view = ScatterView()
        self.legend = LegendWidget()
        self.detail = QLabel()
        self.detail.setStyleSheet("color: #555")
        toolbar = QHBoxLayout()
        toolbar.addWidget(QLabel("Colour by"))
        toolbar.addWidget(self.color_combo)
        toolbar.addStretch(1)
        toolbar.addWidget(self.fit_button)
        body = QHBoxLayout()
        body.addWidget(self.view, stretch=1)
        body.addWidget(self.legend)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(toolbar)
        layout.addLayout(body, stretch=1)
        layout.addWidget(self.detail)
        self.fit_button.clicked.connect(self.view.fit_view)
        self.view.detail_changed.connect(self.detail.setText)
        self.color_combo.activated.connect(self._on_color_chosen)

    def set_corpus(self, corpus: Corpus | None, color_column: str | None) -> None:
        self.color_combo.blockSignals(True)
        self.color_combo.clear()
        self.color_combo.addItem(NO_COLOR)
        if corpus is not None:
            self.color_combo.addItems(list(corpus.columns))
        self.color_combo.setCurrentText(color_column or NO_COLOR)
        self.color_combo.blockSignals(False)

    def show_color_column(self, column: str | None) -> None:
        self.color_combo.blockSignals(True)
        self.color_combo.setCurrentText(column or NO_COLOR)
        self.color_combo.blockSignals(False)

    def _on_color_chosen(self, _index: int) -> None:
        text = self.color_combo.currentText()
        self.color_column_chosen.emit(None if text == NO_COLOR else text)
