"""Save the map with its legend as PNG (at a chosen width) or SVG; atomic, like every write."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QGraphicsView, QWidget

from embexplorer.core.errors import InputError
from embexplorer.core.io.atomic import atomic_path


def _paint(painter: QPainter, parts: list[QWidget]) -> None:
    x = 0
    for widget in parts:
        if not widget.isVisible():
            continue
        if isinstance(widget, QGraphicsView):  # the scene's items, as vectors where possible
            target = QRectF(x, 0, widget.width(), widget.height())
            widget.render(painter, target, widget.viewport().rect())
        else:
            widget.render(painter, QPoint(x, 0))
        x += widget.width()


def _size(parts: list[QWidget]) -> QSize:
    visible = [w for w in parts if w.isVisible()]
    return QSize(sum(w.width() for w in visible), max((w.height() for w in visible), default=1))


def export_plot(parts: list[QWidget], path: str | Path, width: int | None = None) -> Path:
    """Render ``parts`` (the map, then the legend) side by side into ``path``."""
    path = Path(path)
    size = _size(parts)
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise InputError(f"{path.name}: the plot can be saved as .png or .svg.")
    with atomic_path(path) as tmp:
        if suffix == ".svg":
            from PySide6.QtSvg import QSvgGenerator

            generator = QSvgGenerator()
            generator.setFileName(str(tmp))
            generator.setSize(size)
            generator.setViewBox(QRect(QPoint(0, 0), size))
            generator.setTitle("embexplorer map")
            painter = QPainter(generator)
            _paint(painter, parts)
            painter.end()
        else:
            scale = (width or size.width()) / max(size.width(), 1)
            image = QImage(
                round(size.width() * scale),
                round(size.height() * scale),
                QImage.Format.Format_ARGB32,
            )
            image.fill(QColor(Qt.GlobalColor.white))
            painter = QPainter(image)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.scale(scale, scale)
            _paint(painter, parts)
            painter.end()
            if not image.save(str(tmp), "PNG"):
                raise InputError(f"Could not encode {path.name} as PNG.")
    return path
