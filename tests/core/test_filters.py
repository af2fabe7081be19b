"""Cross-filters and chart counts against direct numpy computations."""

from __future__ import annotations

import numpy as np

from embexplorer.core.state.filters import (
    OTHER,
    ColumnFilter,
    Filters,
    chart_counts,
    column_chart,
    column_charts,
)


def test_numeric_histogram_and_subset_counts_equal_numpy():
    rng = np.random.default_rng(1)
    values = rng.normal(size=1000)
    values[[3, 7]] = np.nan
    chart = column_chart("x", values)
    finite = values[np.isfinite(values)]
    assert np.array_equal(chart.counts, np.histogram(finite, chart.edges)[0])
    subset = rng.random(1000) < 0.3
    part = values[subset]
    assert np.array_equal(
        chart_counts(chart, subset), np.histogram(part[np.isfinite(part)], chart.edges)[0]
    )


def test_small_whole_numbers_get_a_bar_each_in_order():
    digits = np.random.default_rng(2).integers(0, 10, 500)
    chart = column_chart("digit", digits)
    assert chart.bars == 10 and np.array_equal(chart.counts, np.bincount(digits, minlength=10))


def test_categories_by_count_then_other_and_id_like_columns_have_no_chart():
    values = np.array(["b"] * 20 + ["a"] * 20 + ["c"] * 10 + [f"r{i}" for i in range(14)], object)
    chart = column_chart("c", values)
    assert chart.labels[:3] == ("a", "b", "c") and chart.labels[-1] == OTHER
    assert chart.bars == 13  # the top 12 values and the rest
    assert chart.counts.sum() == len(values) and chart.counts[-1] == 14 - 9
    ids = np.array([f"id{i}" for i in range(100)], object)
    assert column_chart("id", ids) is None
    assert [c.column for c in column_charts({"c": values, "id": ids})] == ["c"]


def test_filters_combine_replace_per_column_and_ignore_missing_columns():
    label = np.array(["a", "b", "a", "c", "b"], object)
    score = np.array([0.1, 0.5, 0.9, 0.4, np.nan])
    columns = {"label": label, "score": score}
    f = Filters().with_filter(ColumnFilter("label", values=frozenset({"a", "b"})))
    f = f.with_filter(ColumnFilter("score", low=0.0, high=0.6))
    assert f.mask(columns, 5).tolist() == [True, True, False, False, False]
    f = f.with_filter(ColumnFilter("label", values=frozenset({"c"})))  # replaces the label one
    assert f.mask(columns, 5).tolist() == [False, False, False, True, False]
    assert f.without("label").without("score").mask(columns, 5) is None
    assert Filters((ColumnFilter("gone", low=0, high=1),)).mask(columns, 5).all()
    assert "label is c" in f.describe() and "score 0 to 0.6" in f.describe()
