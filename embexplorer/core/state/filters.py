"""Cross-filters from the metadata charts: which rows the map and the table show.

A filter is a value per column: a set of categories (clicked bars) or a numeric range
(brushed on a histogram). Filters on several columns combine (a row must pass each); a new
filter on a column replaces that column's. Qt-free: the window's charts, map and table all
render from one :class:`Filters` value.

The charts' data come from :func:`column_chart`: a histogram for a numeric column, the most
frequent values (and "other") for a categorical one; :func:`chart_counts` counts a subset
(the selection, the rows that pass) with the same bins, to draw its share over the bars.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from embexplorer.core.categories import category_codes

#: Bars of a categorical chart: the most frequent values; the rest are counted as "other".
TOP_VALUES = 12
HISTOGRAM_BINS = 24
OTHER = "(other)"


@dataclass(frozen=True)
class ColumnFilter:
    """Rows whose ``column`` is one of ``values``, or lies in ``[low, high]``."""

    column: str
    values: frozenset[str] | None = None
    low: float | None = None
    high: float | None = None

    def mask(self, values: np.ndarray) -> np.ndarray:
        coded = category_codes(values)
        if self.values is not None and coded is not None:  # test each category once
            codes, categories = coded
            keep = np.isin(_as_text(np.append(categories, None)), list(self.values))
            return keep[codes]  # code -1 (missing) → the last entry, None → ""
        if self.values is not None:
            return np.isin(_as_text(values), list(self.values))
        numbers = _as_numbers(values)
        with np.errstate(invalid="ignore"):
            return (numbers >= self.low) & (numbers <= self.high)

    def describe(self) -> str:
        if self.values is not None:
            shown = sorted(self.values)
            listed = ", ".join(shown[:3]) + (
                f" and {len(shown) - 3} more" if len(shown) > 3 else ""
            )
            return f"{self.column} is {listed}"
        return f"{self.column} {self.low:.4g} to {self.high:.4g}"


@dataclass(frozen=True)
class Filters:
    items: tuple[ColumnFilter, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.items)

    def get(self, column: str) -> ColumnFilter | None:
        return next((f for f in self.items if f.column == column), None)

    def with_filter(self, new: ColumnFilter) -> Filters:
        """These filters with ``new`` in place of any filter on its column."""
        return Filters((*[f for f in self.items if f.column != new.column], new))

    def without(self, column: str) -> Filters:
        return Filters(tuple(f for f in self.items if f.column != column))

    def mask(self, columns: Mapping[str, np.ndarray], n_rows: int) -> np.ndarray | None:
        """The rows that pass every filter (a filter on a column that is gone passes all);
        None when there is no filter."""
        if not self.items:
            return None
        keep = np.ones(n_rows, dtype=bool)
        for f in self.items:
            if f.column in columns:
                keep &= f.mask(columns[f.column])
        return keep

    def describe(self) -> str:
        return "; ".join(f.describe() for f in self.items)


@dataclass(frozen=True, eq=False)
class ColumnChart:
    """What one chart draws: bar labels (categories) or bin edges (numbers), and counts."""

    column: str
    kind: str  # "categorical" | "numeric"
    labels: tuple[str, ...] = ()
    edges: np.ndarray | None = None
    counts: np.ndarray | None = None
    #: each row's bar (-1: none, e.g. NaN), so a subset is counted with one bincount
    codes: np.ndarray | None = None

    @property
    def bars(self) -> int:
        return len(self.counts)


def column_charts(columns: Mapping[str, np.ndarray]) -> list[ColumnChart]:
    """The charts of every column that has one (run on the worker: one pass per column)."""
    charts = (column_chart(name, values) for name, values in columns.items())
    return [c for c in charts if c is not None]


def column_chart(name: str, values: np.ndarray) -> ColumnChart | None:
    """A histogram of a numeric column, the top values of a categorical one; None for a column
    of nearly all distinct texts (ids, the texts themselves: no chart says anything there)."""
    coded = category_codes(values)
    if coded is not None:
        codes, categories = coded
        names = _as_text(np.append(categories, None))
        uniques, inverse = np.unique(names, return_inverse=True)
        rows = inverse[codes]  # code -1 (missing) → the last name: ""
        counts = np.bincount(rows, minlength=len(uniques))
        return _categorical_chart(name, uniques, counts, rows, counts > 0)
    values = np.asarray(values)
    if values.dtype.kind in "biuf":
        numbers = _as_numbers(values)
        finite = numbers[np.isfinite(numbers)]
        if not len(finite):
            return None
        low, high = float(finite.min()), float(finite.max())
        if values.dtype.kind in "biu" and high - low < HISTOGRAM_BINS:  # whole numbers: a bar each
            edges = np.arange(low - 0.5, high + 1.5)
        else:
            edges = np.linspace(low, high if high > low else low + 1.0, HISTOGRAM_BINS + 1)
        codes = np.searchsorted(edges, numbers, side="right") - 1
        codes[codes == len(edges) - 1] = len(edges) - 2  # the last bin holds its right edge
        codes[~np.isfinite(numbers) | (codes < 0)] = -1
        chart = ColumnChart(name, "numeric", edges=edges, codes=codes)
        return _with_counts(chart)
    text = _as_text(values)
    uniques, inverse, counts = np.unique(text, return_inverse=True, return_counts=True)
    if len(uniques) > 0.5 * len(text) and len(uniques) > TOP_VALUES:
        return None
    return _categorical_chart(name, uniques, counts, inverse, counts > 0)


def _categorical_chart(name, uniques, counts, inverse, present) -> ColumnChart:
    """The top values' bars (``inverse``: each row's position in ``uniques``); values with no
    row (``present`` false) get no bar."""
    uniques, counts_kept = uniques[present], counts[present]
    renumber = np.cumsum(present) - 1
    inverse, counts = renumber[inverse], counts_kept
    order = np.lexsort((uniques, -counts))[:TOP_VALUES]
    labels = [str(uniques[i]) for i in order]
    bar_of = np.full(len(uniques), len(order), dtype=np.int64)  # the rest: "other"
    bar_of[order] = np.arange(len(order))
    codes = bar_of[inverse]
    if len(uniques) > len(order):
        labels.append(OTHER)
    return _with_counts(ColumnChart(name, "categorical", labels=tuple(labels), codes=codes))


def _with_counts(chart: ColumnChart) -> ColumnChart:
    bars = len(chart.labels) if chart.kind == "categorical" else len(chart.edges) - 1
    codes = chart.codes
    counts = np.bincount(codes[codes >= 0], minlength=bars)
    if bars < np.iinfo(np.int8).max:  # kept for every row of every chart: 10M rows, 10 MB
        codes = codes.astype(np.int8)
    return ColumnChart(chart.column, chart.kind, chart.labels, chart.edges, counts, codes)


def chart_counts(chart: ColumnChart, rows: np.ndarray) -> np.ndarray:
    """The counts of ``rows`` (a boolean mask over all rows) in the chart's bars."""
    codes = chart.codes[rows]
    return np.bincount(codes[codes >= 0], minlength=chart.bars)


def category_filter(chart: ColumnChart, label: str) -> ColumnFilter | None:
    """The filter a click on a bar means (None for the "other" bar: too many values)."""
    return None if label == OTHER else ColumnFilter(chart.column, values=frozenset([label]))


def _as_text(values: np.ndarray) -> np.ndarray:
    return np.array(["" if v is None else str(v) for v in np.asarray(values, dtype=object)])


def _as_numbers(values: np.ndarray) -> np.ndarray:
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return np.full(len(values), np.nan)
