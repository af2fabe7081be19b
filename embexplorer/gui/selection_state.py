"""The selection and the tags of the open corpus, with undo / redo.

Every way of selecting (click, rectangle, lasso, legend entry, cluster, search results, value,
expanding by neighbours, invert) ends in :meth:`SelectionState.apply`, which combines the pick
with the current selection in the chosen mode and records the change for undo.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal

from embexplorer.core.categories import CategoricalColumn, category_codes
from embexplorer.core.state.selection import Selection, SelectionHistory

TAGS = "tags"


def mode_for(modifiers: Qt.KeyboardModifier, default: str = "replace") -> str:
    """Shift adds, Alt subtracts, Ctrl+Shift intersects (glue's edit-subset modes)."""
    shift = bool(modifiers & Qt.KeyboardModifier.ShiftModifier)
    ctrl = bool(modifiers & Qt.KeyboardModifier.ControlModifier)
    if shift and ctrl:
        return "intersect"
    if shift:
        return "add"
    if modifiers & Qt.KeyboardModifier.AltModifier:
        return "subtract"
    return default


class SelectionState(QObject):
    changed = Signal(object)  # Selection
    tags_changed = Signal(object)  # np.ndarray of strings, or None

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.selection = Selection.empty(0)
        self.tags: np.ndarray | None = None
        self.default_mode = "replace"
        self._history = SelectionHistory()

    def reset(self, n_rows: int, corpus_id: str) -> None:
        self.selection = Selection.empty(n_rows, corpus_id)
        self.tags = None
        self._history = SelectionHistory()
        self.changed.emit(self.selection)
        self.tags_changed.emit(None)

    def apply(self, rows, mode: str | None = None) -> None:
        """Combine the picked ``rows`` with the selection (mode: replace/add/subtract/…)."""
        current = self.selection
        picked = Selection.of(rows, current.n_rows, current.corpus_id)
        self._set(current.combine(picked, mode or self.default_mode))

    def _set(self, new: Selection, record: bool = True) -> None:
        if new == self.selection:
            return
        if record:
            self._history.push(self.selection)
        self.selection = new
        self.changed.emit(new)

    def restore(self, rows) -> None:
        """Set the selection without an undo step (a reopened session)."""
        self._set(Selection.of(rows, self.selection.n_rows, self.selection.corpus_id), record=False)

    def clear(self) -> None:
        self._set(Selection.empty(self.selection.n_rows, self.selection.corpus_id))

    def select_all(self) -> None:
        self._set(~Selection.empty(self.selection.n_rows, self.selection.corpus_id))

    def invert(self) -> None:
        self._set(~self.selection)

    def undo(self) -> None:
        previous = self._history.undo(self.selection)
        if previous is not None:
            self.selection = previous
            self.changed.emit(previous)

    def redo(self) -> None:
        following = self._history.redo(self.selection)
        if following is not None:
            self.selection = following
            self.changed.emit(following)

    @property
    def can_undo(self) -> bool:
        return self._history.can_undo

    @property
    def can_redo(self) -> bool:
        return self._history.can_redo

    def expand_by_neighbors(self, indices: np.ndarray) -> None:
        """Add the k nearest neighbours (rows of ``indices``) of every selected row."""
        rows = self.selection.rows
        if len(rows):
            found = indices[rows].ravel()
            self.apply(np.concatenate([rows, found[found >= 0]]), "add")

    def tag(self, name: str) -> None:
        """Give the selected rows the tag ``name`` (a row can carry several: "a, b")."""
        name = name.strip().replace(",", " ")
        if not name or not len(self.selection):
            return
        codes, categories = _tag_codes(self.tags, self.selection.n_rows)
        rows, codes, categories = self.selection.rows, codes.astype(np.int32), list(categories)
        number = {text: i for i, text in enumerate(categories)}
        # one new text per distinct set of tags among the rows (a handful), not per row:
        # tagging 1 % of 10M rows takes milliseconds, and the tags keep their codes
        for code in np.unique(codes[rows]):
            present = [t for t in str(categories[code]).split(", ") if t]
            if name in present:
                continue
            text = ", ".join(sorted([*present, name]))
            if text not in number:
                number[text] = len(categories)
                categories.append(text)
            at = rows[codes[rows] == code]
            codes[at] = number[text]
        self.set_tags(CategoricalColumn(codes, categories))

    def set_tags(self, tags: np.ndarray | None) -> None:
        self.tags = tags
        self.tags_changed.emit(tags)


def _tag_codes(tags: np.ndarray | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(codes, texts) of the tags: none yet, kept codes, or those of plain values (a session's)."""
    if tags is None:
        return np.zeros(n, dtype=np.int32), np.array([""], dtype=object)
    coded = category_codes(tags)
    if coded is not None:
        return coded
    texts = np.array(["" if t is None else str(t) for t in tags], dtype=object)
    categories, codes = np.unique(texts, return_inverse=True)
    return codes.astype(np.int32), categories
