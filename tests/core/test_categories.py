"""Distinct values of a column (core/categories.py)."""

from __future__ import annotations

import numpy as np

from embexplorer.core.categories import distinct_values


def test_distinct_values_are_numpys_unique():
    rng = np.random.default_rng(2)
    words = np.array(["b", "a", "10", "9", "é", "a b", "", "中", "\U0001f600", "B"], dtype=object)
    all_distinct = np.array([f"row {i}" for i in rng.permutation(3000)], dtype=object)
    others = (np.array([b"y", b"x", b"y"], dtype=object), np.array([3, 1, 3], dtype=object))
    for keys in (
        words[rng.integers(0, 10, 5000)],
        rng.integers(0, 9, 300),
        words[:1],
        all_distinct,
        *others,
    ):
        names, inverse, counts = distinct_values(keys)
        u, i, c = np.unique(keys, return_inverse=True, return_counts=True)
        assert list(names) == list(u)
        np.testing.assert_array_equal(inverse, i.reshape(-1))
        np.testing.assert_array_equal(counts, c)
