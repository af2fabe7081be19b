"""The second map: another embedding of the same rows beside the main map, for comparing.

Its layout is turned onto the main map's (Procrustes), so the same region holds the same
items; it shares the main map's colours, selection, focus, hover and zoom (the controller
links them). It only renders; a click picks a row as on the main map.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from embexplorer.gui.plot.scatter_view import ScatterView


class SecondMap(QWidget):
    close_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.close_button = QPushButton("Stop comparing")
        self.close_button.setToolTip("Close the second map")
        self.view = ScatterView()
        top = QHBoxLayout()
        top.addWidget(self.title, stretch=1)
        top.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.view, stretch=1)
        self.close_button.clicked.connect(self.close_requested)

    def show_title(self, name: str | None, main: str | None, overlap: float | None) -> None:
        if name is None:
            self.title.setText("")
            return
        tail = "" if overlap is None else f"; mean neighbourhood overlap {overlap:.3f}"
        self.title.setText(f"<b>{name}</b> (second map, turned onto <b>{main}</b>'s layout){tail}")
