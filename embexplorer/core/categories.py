"""A categorical column that keeps its codes: strings for everyone, integers for the fast paths.

A column of 10M category names is an object array (each row a pointer to one of a few shared
strings: 80 MB); counting, colouring or filtering it the generic way converts every row to
text and sorts them (tens of seconds). :class:`CategoricalColumn` *is* that object array, so
every reader of a corpus column sees ordinary values, and also carries ``codes`` (an index
into ``categories`` per row, -1 for missing), which colouring (gui/plot/colormap.py) and the
charts' filters (core/state/filters.py) use when present: a bincount instead of a sort.
A slice or a copy is a plain column again (its ``codes`` are None).
"""

from __future__ import annotations

import numpy as np


class CategoricalColumn(np.ndarray):
    """An object array of category names (None where missing) with its ``codes``."""

    codes: np.ndarray | None
    categories: np.ndarray | None

    def __new__(cls, codes: np.ndarray, categories) -> CategoricalColumn:
        categories = np.asarray(list(categories), dtype=object)
        codes = np.asarray(codes)
        if len(categories) < np.iinfo(np.int16).max:  # 10M rows: 20 MB, not 40
            codes = codes.astype(np.int16)
        lookup = np.append(categories, None)  # code -1 → the last entry: None
        values = lookup[codes].view(cls)
        values.codes, values.categories = codes, categories
        return values

    def __array_finalize__(self, obj) -> None:
        # a view, a slice or a result of numpy: plain values, no codes to trust
        self.codes = None
        self.categories = None


def category_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``(codes, categories)`` when ``values`` is a whole :class:`CategoricalColumn`."""
    codes = getattr(values, "codes", None)
    categories = getattr(values, "categories", None)
    if codes is None or categories is None or len(codes) != len(values):
        return None
    return codes, categories
