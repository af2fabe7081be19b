"""The legend beside the map: one swatch per category, or a colour bar for a numeric column."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from embexplorer.gui.plot.colormap import N_LEVELS, ColorMapping

BAR_WIDTH = 16
MIN_WIDTH, MAX_WIDTH = 110, 260


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
        self.bar = QLabel()  # a numeric column's colour bar, with its ticks
        #: the values at the bar's ticks, top (maximum) first, as shown
        self.bar_ticks: list[str] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        for widget in (self.title, self.bar, self.entries):
            layout.addWidget(widget)
        layout.addStretch(0)  # takes the height the entries leave (a bar with no entries)
        self._layout = layout
        self.entries.setToolTip("Click an entry to select its rows (Shift adds, Alt subtracts)")
        self.entries.itemClicked.connect(
            lambda item: self.entry_clicked.emit(self._codes[self.entries.row(item)])
        )
        self.setMinimumWidth(MIN_WIDTH)
        self.setMaximumWidth(MAX_WIDTH)
        self.setObjectName("legend")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(
            "#legend { background: rgba(255, 255, 255, 228); border: 1px solid #c8c8c8; "
            "border-radius: 3px; } QListWidget { background: transparent; }"
        )
        if parent is not None:
            parent.installEventFilter(self)
        self.set_mapping(None)

    def set_mapping(self, mapping: ColorMapping | None) -> None:
        self.entries.clear()
        self._codes = []
        numeric = mapping is not None and mapping.kind == "numeric"
        self.bar.setVisible(numeric)
        self._show_entries(True)
        if mapping is None or mapping.kind == "single":
            self.title.setText("")
            self.setVisible(False)
            return
        self.setVisible(True)
        self.title.setText(mapping.column or "")
        if numeric:
            lo, hi = mapping.value_range or (0.0, 0.0)
            below, above = mapping.clipped
            self.bar_ticks = tick_labels(lo, hi, below, above)
            self.bar.setToolTip(
                f"{mapping.column}: {lo:.4g} (dark) to {hi:.4g} (light)"
                + ("; values beyond are drawn in the end colours" if below or above else "")
            )
            self.bar.setPixmap(self._colour_bar(mapping.palette[:N_LEVELS]))
            missing = mapping.entries
            palette_missing = [mapping.palette[N_LEVELS]] if missing else []
            self._add_entries(missing, palette_missing)
            self._codes = [N_LEVELS] if missing else []
            self._show_entries(bool(missing))
        else:
            self._add_entries(mapping.entries, list(mapping.palette))
            self._codes = list(range(len(mapping.entries)))
        self._fit_width()

    def _fit_width(self) -> None:
        """As wide as its widest entry, title or bar needs (the map keeps the rest), within
        MIN_WIDTH–MAX_WIDTH; longer names lose their middle."""
        metrics = QFontMetrics(self.entries.font())
        texts = self.labels()
        needed = max((metrics.horizontalAdvance(t) for t in texts), default=0) + 48
        if self.bar.isVisible() and self.bar.pixmap() is not None:
            needed = max(needed, self.bar.pixmap().width() + 16)
        needed = max(needed, QFontMetrics(self.title.font()).horizontalAdvance(self.title.text()))
        self.setMaximumWidth(int(np.clip(needed, MIN_WIDTH, MAX_WIDTH)))
        self.place()

    def place(self) -> None:
        """Float over the top-right corner of the map it is a child of (the map keeps the
        window's width), as tall as its entries need, at most the map's height less a margin
        (the list scrolls beyond)."""
        parent = self.parentWidget()
        if parent is None:
            return
        rows = self.entries.count() if self.entries.isVisible() else 0
        height = (
            self.title.sizeHint().height()
            + (self.bar.sizeHint().height() if self.bar.isVisible() else 0)
            + rows * max(self.entries.sizeHintForRow(0), 1)
            + 24
        )
        margin = 8
        width = self.maximumWidth()
        height = max(40, min(height, parent.height() - 2 * margin))
        self.setGeometry(parent.width() - width - margin, margin, width, height)
        self.raise_()

    def _add_entries(self, entries, colors) -> None:
        for (label, count), rgba in zip(entries, colors, strict=False):
            item = QListWidgetItem(_swatch(rgba), f"{label}  ({count:,})")
            item.setToolTip(f"{label}: {count:,} rows")
            self.entries.addItem(item)

    def _show_entries(self, shown: bool) -> None:
        """The entries fill the legend's height; with none, the bar stays at the top."""
        self.entries.setVisible(shown)
        self._layout.setStretch(self._layout.indexOf(self.entries), int(shown))
        self._layout.setStretch(self._layout.count() - 1, int(not shown))

    def _colour_bar(self, palette: np.ndarray, height: int = 200) -> QPixmap:
        """The gradient (maximum at the top) with a tick and its value at each of
        ``self.bar_ticks``, evenly spaced."""
        metrics = QFontMetrics(self.font())
        pad = metrics.height() // 2 + 1  # the top and bottom labels centre on the bar's ends
        width = BAR_WIDTH + 6 + max(metrics.horizontalAdvance(t) for t in self.bar_ticks)
        pixmap = QPixmap(width, height + 2 * pad)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.drawPixmap(0, pad, _gradient(palette, BAR_WIDTH, height))
        painter.setPen(self.palette().windowText().color())
        last = len(self.bar_ticks) - 1
        for i, text in enumerate(self.bar_ticks):
            y = pad + round(i * (height - 1) / last)
            painter.drawLine(BAR_WIDTH - 4, y, BAR_WIDTH + 2, y)
            painter.drawText(BAR_WIDTH + 6, y + metrics.ascent() // 2 - 1, text)
        painter.end()
        return pixmap

    def eventFilter(self, watched, event) -> bool:
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize:
            self.place()
        return False

    def labels(self) -> list[str]:
        return [self.entries.item(i).text() for i in range(self.entries.count())]


def tick_labels(lo: float, hi: float, below: bool, above: bool, ticks: int = 5) -> list[str]:
    """The values at evenly spaced ticks, top (``hi``) first; ``≥``/``≤`` at a clipped end."""
    values = np.linspace(hi, lo, ticks) if hi > lo else np.array([hi])
    labels = [f"{v:.4g}" for v in values]
    if above:
        labels[0] = "≥ " + labels[0]
    if below:
        labels[-1] = "≤ " + labels[-1]
    return labels if len(labels) > 1 else labels * 2


def _swatch(rgba) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(*(int(c) for c in rgba[:3])))
    return QIcon(pixmap)


def _gradient(palette: np.ndarray, width: int = 16, height: int = 160) -> QPixmap:
    rows = np.linspace(len(palette) - 1, 0, height).round().astype(int)  # top = maximum
    rgba = np.ascontiguousarray(np.repeat(palette[rows][:, None, :], width, axis=1))
    image = QImage(rgba.data, width, height, width * 4, QImage.Format.Format_RGBA8888)
    return QPixmap.fromImage(image.copy())
