"""The selection and the tags of the open corpus, with undo / redo.

Every way of selecting (click, rectangle, lasso, legend entry, cluster, search results, value,
expanding by neighbours, invert) ends in :meth:`SelectionState.apply`, which combines the pick
with the current selection in the chosen mode and records the change for undo.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal

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
        n = self.selection.n_rows
        tags = self.tags if self.tags is not None else np.full(n, "", dtype=object)
        tags = tags.copy()
        for row in self.selection.rows:
            present = [t for t in str(tags[row]).split(", ") if t]
            if name not in present:
                tags[row] = ", ".join(sorted([*present, name]))
        self.set_tags(tags)

    def set_tags(self, tags: np.ndarray | None) -> None:
        self.tags = tags
        self.tags_changed.emit(tags)
