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


def distinct_values(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.unique(keys, return_inverse=True, return_counts=True)`` (the inverse flat). Text
    (an object array) goes through a dict in a Python loop instead: numpy's unique sorts
    Python objects in one C call that holds the GIL (200,000 rows: ~100 ms in which the
    window could not repaint); the loop lets the GUI thread in, and only the distinct values
    are sorted."""
    keys = np.asarray(keys)
    if keys.dtype.kind in "US":  # fixed-width text sorts holding the GIL too
        keys = keys.astype(object)
    if keys.dtype.kind != "O":
        uniques, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        return uniques, inverse.reshape(-1), counts
    strings = _distinct_strings(keys)
    if strings is not None:
        return strings
    seen: dict = {}
    first = np.fromiter((seen.setdefault(k, len(seen)) for k in keys), np.int64, len(keys))
    names = np.empty(len(seen), dtype=object)
    names[:] = list(seen)
    order = np.array(sorted(range(len(names)), key=names.__getitem__), dtype=np.int64)
    rank = np.empty(len(names), dtype=np.int64)
    rank[order] = np.arange(len(names))
    inverse = rank[first]
    return names[order], inverse, np.bincount(inverse, minlength=len(names))


def _distinct_strings(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """:func:`distinct_values` of an object array that holds only ``str`` (None otherwise),
    by pyarrow: its hashing and sorting run without the GIL, so a worker counting 200,000
    texts no longer competes with the GUI thread for 60 ms (it holds the GIL ~15 ms, to read
    the strings and to make the distinct ones). Strings sort by code point in both, as UTF-8
    bytes sort in the same order."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        text = pa.array(keys)  # its type says what the values were: bytes make it binary
    except (pa.ArrowException, UnicodeError):  # numbers among the texts, lone surrogates
        return None
    if not isinstance(text, pa.Array) or text.null_count or not pa.types.is_string(text.type):
        return None
    encoded = text.dictionary_encode()
    order = pc.array_sort_indices(encoded.dictionary).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    inverse = rank[encoded.indices.to_numpy()]
    names = encoded.dictionary.take(pa.array(order)).to_numpy(zero_copy_only=False)
    return names.astype(object, copy=False), inverse, np.bincount(inverse, minlength=len(order))
