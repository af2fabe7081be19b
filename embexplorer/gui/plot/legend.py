"""The legend beside the map: one swatch per category, or a colour bar for a numeric column."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from embexplorer.gui.plot.colormap import N_LEVELS, ColorMapping


class LegendWidget(QWidget):
    #: the palette code of a clicked entry (select the rows drawn in that colour)
    entry_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._codes: list[int] = []
        self.title = QLabel()
        self.title.setStyleSheet("font-weight: bold")
        self.title.setWordWrap(True)
        self.entries = QListWidget()
        self.entries.setFrameShape(QListWidget.Shape.NoFrame)
        self.entries.setIconSize(QSize(12, 12))
        self.entries.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        # long names (a cluster's three words) lose their middle, not their count
        self.entries.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.entries.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.bar = QLabel()
        self.bar_max, self.bar_min = QLabel(), QLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        for widget in (self.title, self.bar_max, self.bar, self.bar_min, self.entries):
            layout.addWidget(widget)
        self.entries.setToolTip("Click an entry to select its rows (Shift adds, Alt subtracts)")
        self.entries.itemClicked.connect(
            lambda item: self.entry_clicked.emit(self._codes[self.entries.row(item)])
        )
        self.setMinimumWidth(150)
        self.setMaximumWidth(260)
        self.set_mapping(None)

    def set_mapping(self, mapping: ColorMapping | None) -> None:
        self.entries.clear()
        self._codes = []
        numeric = mapping is not None and mapping.kind == "numeric"
        for widget in (self.bar, self.bar_max, self.bar_min):
            widget.setVisible(numeric)
        if mapping is None or mapping.kind == "single":
            self.title.setText("")
            self.setVisible(False)
            return
        self.setVisible(True)
        self.title.setText(mapping.column or "")
        if numeric:
            lo, hi = mapping.value_range or (0.0, 0.0)
            below, above = mapping.clipped
            self.bar_max.setText(f"{'≥ ' if above else ''}{hi:.4g}")
            self.bar_min.setText(f"{'≤ ' if below else ''}{lo:.4g}")
            self.bar.setToolTip(
                f"{mapping.column}: {lo:.4g} (dark) to {hi:.4g} (light)"
                + ("; values beyond are drawn in the end colours" if below or above else "")
            )
            self.bar.setPixmap(_gradient(mapping.palette[:N_LEVELS]))
            missing = mapping.entries
            palette_missing = [mapping.palette[N_LEVELS]] if missing else []
            self._add_entries(missing, palette_missing)
            self._codes = [N_LEVELS] if missing else []
        else:
            self._add_entries(mapping.entries, list(mapping.palette))
            self._codes = list(range(len(mapping.entries)))

    def _add_entries(self, entries, colors) -> None:
        for (label, count), rgba in zip(entries, colors, strict=False):
            item = QListWidgetItem(_swatch(rgba), f"{label}  ({count:,})")
            item.setToolTip(f"{label}: {count:,} rows")
            self.entries.addItem(item)

    def labels(self) -> list[str]:
        return [self.entries.item(i).text() for i in range(self.entries.count())]


def _swatch(rgba) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(*(int(c) for c in rgba[:3])))
    return QIcon(pixmap)


def _gradient(palette: np.ndarray, width: int = 16, height: int = 160) -> QPixmap:
    rows = np.linspace(len(palette) - 1, 0, height).round().astype(int)  # top = maximum
    rgba = np.ascontiguousarray(np.repeat(palette[rows][:, None, :], width, axis=1))
    image = QImage(rgba.data, width, height, width * 4, QImage.Format.Format_RGBA8888)
    return QPixmap.fromImage(image.copy())
