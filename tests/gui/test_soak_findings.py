"""Bugs the soak test found (tests/gui/soak.py), each tested directly, as a user meets it.

The seeds that found them are kept in tests/gui/test_soak.py."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from embexplorer.gui.analysis_session import CLUSTER, HUB, N_K

TIMEOUT = 60_000


@pytest.fixture
def window(opened_window):
    return opened_window


def _visible_row(view) -> int:
    for row in range(len(view.index)):
        x, y = view.index.coords[row]
        if view.row_at(view.view_box.mapViewToScene(QPointF(float(x), float(y)))) == row:
            return row
    raise AssertionError("no point to hover")


def move_mouse(widget, pos: QPoint) -> None:
    """A mouse move with no button held, delivered to ``widget`` (QTest.mouseMove moves the
    cursor, which the offscreen platform does not always turn into an event)."""
    event = QMouseEvent(
        QEvent.Type.MouseMove,
        QPointF(pos),
        QPointF(widget.mapToGlobal(pos)),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, event)


def _hover(view, row: int) -> str:
    at = view.view_to_widget(*map(float, view.index.coords[row]))
    move_mouse(view.viewport(), QPoint(round(at.x()), round(at.y())))
    assert view.hover_card.isVisible()
    return view.hover_card.text()


@pytest.mark.parametrize("column", [N_K, HUB, CLUSTER, "tags"])
def test_hovering_a_point_coloured_by_an_added_column(qtbot, window, column):
    """Soak seed 14: coloured by a column the analysis added (or the tags), hovering a point
    raised KeyError in the hover slot, at every mouse move."""
    doc = window.document
    doc.selection.apply([0, 1, 2])
    doc.selection.tag("keep")
    with qtbot.waitSignal(doc.colors_changed, timeout=TIMEOUT):
        doc.set_color_column(column)
    view = window.plot_panel.view
    row = _visible_row(view)
    value = doc.column_values(column)[row]
    assert f"{column}: {value}" in _hover(view, row).splitlines()
