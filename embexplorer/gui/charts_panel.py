"""The metadata as charts: one small chart per column, linked to the map and the table.

A histogram for a numeric column (drag the shaded band's edges to keep a range), the most
frequent values for a categorical one (click a bar to keep that value; Ctrl+click adds or
removes a value). Every chart draws all rows in grey, the rows that pass the filters darker,
and the selection's share in blue. The header says which filters hold and how many rows pass;
Clear filters (or Esc in the panel) drops them. The panel keeps no state of its own: it is
drawn from the document's filters and selection.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from embexplorer.core.state.filters import (
    ColumnChart,
    ColumnFilter,
    Filters,
    category_filter,
    chart_counts,
)

ALL_ROWS, PASSING, SELECTED = "#d4d4d4", "#7f7f7f", "#1f77b4"
CHART_HEIGHT = 120


class ColumnChartView(pg.PlotWidget):
    """One column's chart. Emits what the user asks for; draws what it is told."""

    category_clicked = Signal(str, str, object)  # column, label, keyboard modifiers
    range_chosen = Signal(str, object)  # column, (low, high) or None for the whole range

    def __init__(self, chart: ColumnChart, parent: QWidget | None = None):
        super().__init__(parent, background="w")
        self.chart = chart
        self.setFixedHeight(CHART_HEIGHT if chart.kind == "numeric" else 30 + 18 * chart.bars)
        self.setMenuEnabled(False)
        self.hideButtons()
        self.setMouseEnabled(x=False, y=False)
        self.plot_item = self.getPlotItem()
        self.plot_item.setTitle(chart.column, size="9pt")
        self._bars = [self._bar_item(c) for c in (ALL_ROWS, PASSING, SELECTED)]
        self.region = None
        if chart.kind == "numeric":
            low, high = float(chart.edges[0]), float(chart.edges[-1])
            self.region = pg.LinearRegionItem((low, high), brush=(31, 119, 180, 30))
            self.region.setBounds((low, high))
            self.region.setZValue(-10)
            self.addItem(self.region)
            self.region.sigRegionChangeFinished.connect(self._on_region)
            self.plot_item.hideAxis("left")
        else:
            ticks = [(i, label[:28]) for i, label in enumerate(chart.labels)]
            axis = self.plot_item.getAxis("left")
            axis.setTicks([ticks])
            self.plot_item.hideAxis("bottom")
            self.plot_item.invertY(True)
            self.scene().sigMouseClicked.connect(self._on_click)
        self.show_counts(chart.counts, None, None)

    def _bar_item(self, color: str) -> pg.BarGraphItem:
        chart = self.chart
        if chart.kind == "numeric":
            centres = (chart.edges[:-1] + chart.edges[1:]) / 2
            width = float(np.diff(chart.edges).min())
            item = pg.BarGraphItem(
                x=centres, height=np.zeros(chart.bars), width=width, brush=color, pen=None
            )
        else:
            y = np.arange(chart.bars)
            item = pg.BarGraphItem(
                x0=0, y=y, height=0.8, width=np.zeros(chart.bars), brush=color, pen=None
            )
        self.addItem(item)
        return item

    def show_counts(self, all_rows, passing, selected) -> None:
        """Bars of every row, of the rows that pass the filters, of the selection (or None)."""
        for item, counts in zip(self._bars, (all_rows, passing, selected), strict=True):
            counts = np.zeros(self.chart.bars) if counts is None else counts
            if self.chart.kind == "numeric":
                item.setOpts(height=counts)
            else:
                item.setOpts(width=counts)

    def show_filter(self, column_filter: ColumnFilter | None) -> None:
        """Put the band where the filter is (the whole range without one), saying nothing."""
        if self.region is None:
            return
        edges = self.chart.edges
        span = (
            (float(edges[0]), float(edges[-1]))
            if column_filter is None or column_filter.low is None
            else (column_filter.low, column_filter.high)
        )
        self.region.blockSignals(True)
        self.region.setRegion(span)
        self.region.blockSignals(False)

    def _on_region(self) -> None:
        low, high = self.region.getRegion()
        edges = self.chart.edges
        whole = low <= edges[0] + 1e-9 * abs(edges[0]) and high >= edges[-1] - 1e-9 * abs(edges[-1])
        self.range_chosen.emit(self.chart.column, None if whole else (float(low), float(high)))

    def _on_click(self, event) -> None:
        point = self.plot_item.vb.mapSceneToView(event.scenePos())
        bar = round(point.y())
        if 0 <= bar < self.chart.bars and point.x() >= 0:
            self.category_clicked.emit(self.chart.column, self.chart.labels[bar], event.modifiers())


class ChartsPanel(QWidget):
    """The charts of the open corpus and the filter line above them."""

    filters_requested = Signal(object)  # Filters
    #: the charts given to set_charts are all made
    charts_built = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.header = QLabel("No filter: every row is shown.")
        self.header.setWordWrap(True)
        self.clear_button = QPushButton("Clear filters")
        self.clear_button.setEnabled(False)
        self.clear_button.setShortcut(Qt.Key.Key_Escape)
        top = QHBoxLayout()
        top.addWidget(self.header, stretch=1)
        top.addWidget(self.clear_button)
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self.body)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(scroll, stretch=1)
        self.views: dict[str, ColumnChartView] = {}
        self._pending: list[ColumnChart] = []  # charts still to make (set_charts)
        #: what show_state was last told to draw (filters, passing, selected, rows), drawn again
        #: by each chart made after it
        self._state: tuple = (Filters(), None, None, 0)
        self._builder = QTimer(self, interval=0)
        self._builder.timeout.connect(self._build_next)
        self.clear_button.clicked.connect(lambda: self.filters_requested.emit(Filters()))

    def set_charts(self, charts: list[ColumnChart]) -> None:
        """New charts (a new corpus or new columns). They are built one per pass of the event
        loop: a chart is a plot widget (~20 ms of Python to make), and a corpus with a dozen
        columns would otherwise stall the window for a quarter of a second."""
        for view in self.views.values():
            view.deleteLater()
        self.views = {}
        while self.body_layout.count():
            item = self.body_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self._pending = list(charts)
        self._builder.stop()
        if not charts:
            self.body_layout.addWidget(QLabel("No column to chart."))
            self.body_layout.addStretch(1)
        else:
            self._builder.start()

    @property
    def building(self) -> bool:
        """Charts are still being made (:meth:`set_charts`)."""
        return bool(self._pending)

    @property
    def _filters(self) -> Filters:
        return self._state[0]

    def _build_next(self) -> None:
        chart = self._pending.pop(0)
        view = ColumnChartView(chart)
        view.category_clicked.connect(self._on_category)
        view.range_chosen.connect(self._on_range)
        self.views[chart.column] = view
        self.body_layout.addWidget(view)
        self._draw_state(view, *self._state)
        if not self._pending:
            self._builder.stop()
            self.body_layout.addStretch(1)
            self.charts_built.emit()

    def show_state(self, filters: Filters, passing, selected, n_rows: int) -> None:
        """Draw the filters (masks of the rows that pass, of the selection; None: all/none)."""
        self._state = (filters, passing, selected, n_rows)
        for view in self.views.values():
            self._draw_state(view, *self._state)
        self.clear_button.setEnabled(bool(filters))
        if filters:
            shown = int(np.count_nonzero(passing)) if passing is not None else n_rows
            self.header.setText(f"Filter: {filters.describe()} — {shown:,} of {n_rows:,} rows.")
        else:
            self.header.setText("No filter: every row is shown.")

    @staticmethod
    def _draw_state(view: ColumnChartView, filters: Filters, passing, selected, n_rows) -> None:
        chart = view.chart
        if len(chart.codes) != n_rows:  # charts of the rows before (new ones are coming)
            return
        view.show_counts(
            chart.counts,
            None if passing is None else chart_counts(chart, passing),
            None if selected is None else chart_counts(chart, selected),
        )
        view.show_filter(filters.get(chart.column))

    def _on_category(self, column: str, label: str, modifiers) -> None:
        chart = self.views[column].chart
        current = self._filters.get(column)
        picked = category_filter(chart, label)
        if picked is None:
            return
        if modifiers & Qt.KeyboardModifier.ControlModifier and current and current.values:
            values = set(current.values) ^ {label}
            new = (
                self._filters.with_filter(ColumnFilter(column, values=frozenset(values)))
                if values
                else self._filters.without(column)
            )
        elif current is not None and current.values == picked.values:
            new = self._filters.without(column)  # a second click on the kept value drops it
        else:
            new = self._filters.with_filter(picked)
        self.filters_requested.emit(new)

    def _on_range(self, column: str, span) -> None:
        if span is None:
            self.filters_requested.emit(self._filters.without(column))
        else:
            low, high = span
            self.filters_requested.emit(
                self._filters.with_filter(ColumnFilter(column, low=low, high=high))
            )
