"""Selections as values: sorted row indices tied to a corpus, with set algebra (glue's subsets).

``a | b`` union, ``a & b`` intersection, ``a - b`` difference, ``a ^ b`` symmetric difference,
``~a`` the complement within the corpus. A combine *mode* (replace / add / subtract /
intersect) says how a new pick changes the current selection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MODES = ("replace", "add", "subtract", "intersect")


@dataclass(frozen=True, eq=False)
class Selection:
    rows: np.ndarray  # sorted, unique, intp
    n_rows: int
    corpus_id: str = ""

    @classmethod
    def of(cls, rows, n_rows: int, corpus_id: str = "") -> Selection:
        rows = np.unique(np.asarray(rows, dtype=np.intp).ravel())
        if len(rows) and (rows[0] < 0 or rows[-1] >= n_rows):
            raise IndexError(f"selection rows must be in 0..{n_rows - 1}")
        return cls(rows, n_rows, corpus_id)

    @classmethod
    def empty(cls, n_rows: int, corpus_id: str = "") -> Selection:
        return cls(np.empty(0, dtype=np.intp), n_rows, corpus_id)

    @classmethod
    def from_mask(cls, mask: np.ndarray, corpus_id: str = "") -> Selection:
        return cls(np.flatnonzero(mask).astype(np.intp), len(mask), corpus_id)

    def to_mask(self, n: int | None = None) -> np.ndarray:
        mask = np.zeros(self.n_rows if n is None else n, dtype=bool)
        mask[self.rows] = True
        return mask

    def __len__(self) -> int:
        return len(self.rows)

    def __bool__(self) -> bool:
        return len(self.rows) > 0

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Selection)
            and self.n_rows == other.n_rows
            and self.corpus_id == other.corpus_id
            and np.array_equal(self.rows, other.rows)
        )

    def __hash__(self) -> int:
        return hash((self.n_rows, self.corpus_id, self.rows.tobytes()))

    def _check(self, other: Selection) -> None:
        if other.n_rows != self.n_rows or other.corpus_id != self.corpus_id:
            raise ValueError("Selections of different corpora cannot be combined.")

    def __or__(self, other: Selection) -> Selection:
        self._check(other)
        return Selection(np.union1d(self.rows, other.rows), self.n_rows, self.corpus_id)

    def __and__(self, other: Selection) -> Selection:
        self._check(other)
        rows = np.intersect1d(self.rows, other.rows, assume_unique=True)
        return Selection(rows, self.n_rows, self.corpus_id)

    def __sub__(self, other: Selection) -> Selection:
        self._check(other)
        rows = np.setdiff1d(self.rows, other.rows, assume_unique=True)
        return Selection(rows, self.n_rows, self.corpus_id)

    def __xor__(self, other: Selection) -> Selection:
        self._check(other)
        rows = np.setxor1d(self.rows, other.rows, assume_unique=True)
        return Selection(rows, self.n_rows, self.corpus_id)

    def __invert__(self) -> Selection:
        return Selection.from_mask(~self.to_mask(), self.corpus_id)

    def combine(self, new: Selection, mode: str) -> Selection:
        """The selection after picking ``new`` in ``mode``."""
        if mode == "replace":
            self._check(new)
            return new
        if mode == "add":
            return self | new
        if mode == "subtract":
            return self - new
        if mode == "intersect":
            return self & new
        raise ValueError(f"Unknown selection mode {mode!r}; use one of {', '.join(MODES)}.")


def points_in_polygon(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Mask of the points inside ``polygon`` (even–odd rule), vectorised over the points.

    The loop runs over the polygon's edges, so cost is O(edges × points); callers pass only
    the points inside the polygon's bounding box.
    """
    polygon = np.asarray(polygon, dtype=np.float64)
    x, y = points[:, 0].astype(np.float64), points[:, 1].astype(np.float64)
    inside = np.zeros(len(points), dtype=bool)
    if len(polygon) < 3:
        return inside
    x0, y0 = polygon[:, 0], polygon[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    for ax, ay, bx, by in zip(x0, y0, x1, y1, strict=True):
        crosses = (ay > y) != (by > y)
        if not crosses.any():
            continue
        at = ax + (y[crosses] - ay) * (bx - ax) / (by - ay)
        inside[crosses] ^= x[crosses] < at
    return inside


def simplify_polygon(polygon: np.ndarray, max_vertices: int = 256) -> np.ndarray:
    """Keep at most ``max_vertices`` of a freehand lasso (evenly spaced along it)."""
    polygon = np.asarray(polygon, dtype=np.float64)
    if len(polygon) <= max_vertices:
        return polygon
    keep = np.linspace(0, len(polygon) - 1, max_vertices).round().astype(int)
    return polygon[np.unique(keep)]


class SelectionHistory:
    """Undo / redo of selection changes (a bounded stack of values)."""

    def __init__(self, limit: int = 100):
        self.limit = limit
        self._undo: list[Selection] = []
        self._redo: list[Selection] = []

    def push(self, previous: Selection) -> None:
        self._undo.append(previous)
        del self._undo[: -self.limit]
        self._redo.clear()

    def undo(self, current: Selection) -> Selection | None:
        if not self._undo:
            return None
        self._redo.append(current)
        return self._undo.pop()

    def redo(self, current: Selection) -> Selection | None:
        if not self._redo:
            return None
        self._undo.append(current)
        return self._redo.pop()

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)


def rows_where(values: np.ndarray, op: str, target: str) -> np.ndarray:
    """Rows where ``values <op> target`` (the CLI's and dialog's "COLUMN == VALUE")."""
    if op == "contains":
        return np.flatnonzero([v is not None and target.lower() in str(v).lower() for v in values])
    if values.dtype.kind in "iuf":
        try:
            number = float(target)
        except ValueError:
            raise ValueError(f"{target!r} is not a number, and the column is numeric.") from None
        compare = {
            "==": np.equal,
            "!=": np.not_equal,
            "<": np.less,
            "<=": np.less_equal,
            ">": np.greater,
            ">=": np.greater_equal,
        }.get(op)
        if compare is None:
            raise ValueError(f"Unknown comparison {op!r}.")
        return np.flatnonzero(compare(values.astype(np.float64), number))
    texts = np.array(["" if v is None else str(v) for v in values], dtype=object)
    if op == "==":
        return np.flatnonzero(texts == target)
    if op == "!=":
        return np.flatnonzero(texts != target)
    raise ValueError(f"{op!r} needs a numeric column; text columns take ==, != or contains.")
