"""Status-bar widget: what the worker is doing, how far it is, and a Cancel button."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from embexplorer.core.tasks import Progress


class TaskStatus(QWidget):
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setFixedWidth(180)
        self.bar.setRange(0, 100)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running job (Esc)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.set_busy(False)

    def show_progress(self, title: str, progress: Progress) -> None:
        message = f"{title}: {progress.message}" if progress.message else title
        self.label.setText(message)
        if progress.fraction is None:
            self.bar.setRange(0, 0)  # busy indicator
        else:
            self.bar.setRange(0, 100)
            self.bar.setValue(round(progress.fraction * 100))

    def set_busy(self, busy: bool) -> None:
        for widget in (self.label, self.bar, self.cancel_button):
            widget.setVisible(busy)
