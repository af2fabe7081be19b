"""A small card beside the cursor describing the point under it (instead of a QToolTip,
which needs a real cursor and hides on the next motion)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLabel, QWidget

OFFSET = QPoint(16, 16)


class HoverCard(QLabel):
    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setMaximumWidth(380)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet(
            "QLabel { background: rgba(255, 255, 255, 235); color: #222;"
            " border: 1px solid #999; border-radius: 4px; padding: 6px; }"
        )
        self.hide()

    def show_at(self, text: str, pos: QPoint) -> None:
        """Show ``text`` near ``pos`` (parent coordinates), kept inside the parent."""
        self.setText(text)
        self.adjustSize()
        area = self.parentWidget().rect()
        x = pos.x() + OFFSET.x()
        y = pos.y() + OFFSET.y()
        if x + self.width() > area.right():
            x = max(0, pos.x() - OFFSET.x() - self.width())
        if y + self.height() > area.bottom():
            y = max(0, pos.y() - OFFSET.y() - self.height())
        self.move(x, y)
        self.show()
        self.raise_()
