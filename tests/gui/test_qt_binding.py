"""Guards against known defects of the Qt binding that would crash a long session."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    flag = Signal(bool)
    anything = Signal(object)


def test_emitting_bools_keeps_their_reference_count(qtbot):
    """PySide6 6.12.0 decrements True/False on every emit; after a few thousand emits (a
    busy indicator, a checkbox) the interpreter aborts with "deallocating True or False"."""
    emitter = _Emitter()
    received = []
    emitter.flag.connect(received.append)
    emitter.anything.connect(received.append)
    before = sys.getrefcount(True), sys.getrefcount(False)
    for _ in range(20):
        emitter.flag.emit(True)
        emitter.anything.emit(False)
    received.clear()
    assert (sys.getrefcount(True), sys.getrefcount(False)) == before
