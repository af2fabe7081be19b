"""Filter rows by a text query over every column (the table's search box)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from embexplorer.core.tasks import Progress, Task, chunk_ranges

CHUNK_ROWS = 50_000


def rows_matching_task(
    columns: Mapping[str, np.ndarray], ids: np.ndarray, query: str, chunk_rows: int = CHUNK_ROWS
) -> Task[np.ndarray]:
    """Rows where ``query`` occurs (case-insensitively) in the id or any column, ascending.

    Each whitespace-separated word must occur somewhere in the row (not necessarily in the
    same column), so "paris france" finds a row with a title "Paris" and a country "France".
    """
    words = query.lower().split()
    n = len(ids)
    if not words:
        return np.arange(n)
    all_columns = [ids, *columns.values()]
    found = []
    chunks = chunk_ranges(n, chunk_rows)
    for i, (lo, hi) in enumerate(chunks):
        lowered = [np.char.lower(_as_str(col[lo:hi])) for col in all_columns]
        keep = np.ones(hi - lo, dtype=bool)
        for word in words:
            hit = np.zeros(hi - lo, dtype=bool)
            for col in lowered:
                hit |= np.char.find(col, word) >= 0
            keep &= hit
        found.append(lo + np.flatnonzero(keep))
        yield Progress((i + 1) / len(chunks), f"Searching rows: {hi:,} of {n:,}")
    return np.concatenate(found) if found else np.empty(0, dtype=np.intp)


def _as_str(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind == "O":
        return np.array(["" if v is None else v for v in values], dtype=str)
    return values.astype(str)
