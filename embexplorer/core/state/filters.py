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

from embexplorer.core.categories import category_codes, distinct_values

#: Bars of a categorical chart: the most frequent values; the rest are counted as "other".
TOP_VALUES = 12
HISTOGRAM_BINS = 24
#: Rows binned at a time (bounds the temporaries of a 10M-row histogram).
CHUNK_ROWS = 1_000_000
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
        return _coded_chart(name, *coded)
    values = np.asarray(values)
    if values.dtype.kind in "biuf":
        return _numeric_chart(name, values)
    text = _as_text(values)
    uniques, inverse, counts = distinct_values(text)
    if len(uniques) > 0.5 * len(text) and len(uniques) > TOP_VALUES:
        return None
    labels, bar_of = _top_bars(uniques, counts)
    codes = _narrow(bar_of, len(labels))[inverse]
    return _with_counts(ColumnChart(name, "categorical", labels=tuple(labels), codes=codes))


def _numeric_chart(name: str, values: np.ndarray) -> ColumnChart | None:
    """The histogram, its bins found a million rows at a time (10M rows: no 80 MB copies)."""
    if values.dtype.kind == "f":
        finite = values[np.isfinite(values)]
        if not len(finite):
            return None
        low, high = float(finite.min()), float(finite.max())
        del finite
    elif len(values):
        low, high = float(values.min()), float(values.max())
    else:
        return None
    if values.dtype.kind in "biu" and high - low < HISTOGRAM_BINS:  # whole numbers: a bar each
        edges = np.arange(low - 0.5, high + 1.5)
    else:
        edges = np.linspace(low, high if high > low else low + 1.0, HISTOGRAM_BINS + 1)
    codes = np.empty(len(values), dtype=np.int8 if len(edges) < 128 else np.int64)
    for lo in range(0, len(values), CHUNK_ROWS):
        numbers = _as_numbers(values[lo : lo + CHUNK_ROWS])
        bins = np.searchsorted(edges, numbers, side="right") - 1
        bins[bins == len(edges) - 1] = len(edges) - 2  # the last bin holds its right edge
        bins[~np.isfinite(numbers) | (bins < 0)] = -1
        codes[lo : lo + len(numbers)] = bins
    return _with_counts(ColumnChart(name, "numeric", edges=edges, codes=codes))


def _coded_chart(name: str, codes: np.ndarray, categories: np.ndarray) -> ColumnChart:
    """The chart of a column with category codes: counted per code, then each row's bar
    looked up by its code (10M rows: a bincount and one gather)."""
    names = _as_text(np.append(categories, None))  # code -1 (missing) → the last: ""
    by_code = np.bincount(codes[codes >= 0], minlength=len(names))
    by_code[-1] = np.count_nonzero(codes < 0)
    uniques, inverse = np.unique(names, return_inverse=True)
    counts = np.bincount(inverse, weights=by_code, minlength=len(uniques)).astype(np.int64)
    labels, bar_of = _top_bars(uniques, counts)
    rows = _narrow(bar_of[inverse], len(labels))[codes]
    return _with_counts(ColumnChart(name, "categorical", labels=tuple(labels), codes=rows))


def _top_bars(uniques: np.ndarray, counts: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The bars' labels (the most frequent values, ties by value, then "other" when values
    are left) and each value's bar (-1 for a value no row has)."""
    present = np.flatnonzero(counts > 0)
    top = present[np.lexsort((uniques[present], -counts[present]))][:TOP_VALUES]
    bar_of = np.full(len(uniques), len(top), dtype=np.int64)  # the rest: "other"
    bar_of[counts == 0] = -1
    bar_of[top] = np.arange(len(top))
    labels = [str(uniques[i]) for i in top]
    if len(present) > len(top):
        labels.append(OTHER)
    return labels, bar_of


def _narrow(bars: np.ndarray, n_bars: int) -> np.ndarray:
    return bars.astype(np.int8) if n_bars < np.iinfo(np.int8).max else bars


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
    """The values as text, in an object array (a fixed-width one would take the longest
    text's width for every row: 200,000 texts of 2,000 characters, 1.6 GB)."""
    text = np.empty(len(values), dtype=object)
    text[:] = ["" if v is None else str(v) for v in np.asarray(values, dtype=object)]
    return text


def _as_numbers(values: np.ndarray) -> np.ndarray:
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return np.full(len(values), np.nan)
