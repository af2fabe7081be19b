"""The 2-D map widget: every point drawn, picked and hovered with numpy, at any N.

Level of detail, chosen for scale (figures from ``embexplorer bench``):

- up to ``MARKERS_MAX`` points in all: one ``ScatterPlotItem`` holding every point, set once;
  panning and zooming only re-render it.
- more points: when at most ``MARKERS_IN_VIEW_MAX`` are in view, markers for the points in
  (and around) the view; otherwise all points in view are rasterised into one ``ImageItem``
  (see :mod:`raster`). ``detail_changed`` says which, so the window can tell the user.

Brushes come from a table with one ``QBrush`` per palette colour, indexed with numpy.

Above ``DENSITY_DEFAULT_MIN`` points a density layer (contour lines, see :mod:`density`) is
drawn over the points in view, whatever the level of detail, unless the user turns it off.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal

from embexplorer.gui.plot.cluster_labels import ClusterLabels
from embexplorer.gui.plot.colormap import ColorMapping, single_color
from embexplorer.gui.plot.density import (
    DENSITY_DEFAULT_MIN,
    column_extent,
    density_contours,
    draw_over,
)
from embexplorer.gui.plot.density import DIRECT_MAX as DENSITY_DIRECT_MAX
from embexplorer.gui.plot.hover_card import HoverCard
from embexplorer.gui.plot.markers import MarkerLayer
from embexplorer.gui.plot.overlays import HubOverlay, NeighborOverlay, PassiveScatter
from embexplorer.gui.plot.point_index import PointIndex
from embexplorer.gui.plot.raster import rasterize, rasterize_rows
from embexplorer.gui.plot.select_tools import SelectViewBox

MARKERS_MAX = 30_000
MARKERS_IN_VIEW_MAX = 30_000
MARKER_SIZE = 6
PICK_RADIUS_PX = 6


def beside_corner(
    lo: np.ndarray, hi: np.ndarray, view_px: tuple[float, float], corner: tuple[float, float]
) -> tuple[tuple[float, float], tuple[float, float]]:
    """(x range, y range) showing the box lo–hi whole, at one scale on both axes (the map's
    aspect is locked), with no point under a ``corner`` (width, height in pixels) of the
    top-right of a view of ``view_px`` pixels: the box keeps left of the corner or below it,
    whichever leaves it larger."""
    (width, height), (c_w, c_h) = view_px, corner
    span = np.maximum(hi - lo, 1e-12)
    whole = min(width / span[0], height / span[1])  # pixels per unit with nothing covered
    if width <= 2 * c_w and height <= 2 * c_h:  # the view is too small to keep clear of it
        left, below = whole, 0.0
    else:
        left = min(max(width - c_w, 1.0) / span[0], height / span[1])
        below = min(width / span[0], max(height - c_h, 1.0) / span[1])
    scale = max(left, below)
    box_w, box_h = span * scale  # the box in pixels, centred ...
    left_px, top_px = (width - box_w) / 2, (height - box_h) / 2
    if left_px + box_w > width - c_w and top_px < c_h:  # ... unless that puts it under
        if left >= below:
            left_px = max(0.0, width - c_w - box_w)  # moved left just enough
        else:
            top_px = c_h  # moved down just enough
    x0 = float(lo[0] - left_px / scale)
    y0 = float(hi[1] + top_px / scale - height / scale)
    return (x0, x0 + width / scale), (y0, y0 + height / scale)


def least_moved(usual, clear, fits, steps: int = 12):
    """The ranges between ``usual`` (the plain fit) and ``clear`` (no point under the corner
    whatever the points), as near ``usual`` as ``fits(ranges)`` allows (bisection): a round
    map whose corner is empty keeps its full size; only the points under the legend move it."""
    if fits(usual):
        return usual
    arrays = [np.asarray(r, dtype=np.float64) for r in (*usual, *clear)]

    def blend(t: float):
        x = (1 - t) * arrays[0] + t * arrays[2]
        y = (1 - t) * arrays[1] + t * arrays[3]
        return (float(x[0]), float(x[1])), (float(y[0]), float(y[1]))

    low, high = 0.0, 1.0
    for _ in range(steps):
        middle = (low + high) / 2
        if fits(blend(middle)):
            high = middle
        else:
            low = middle
    return blend(high)


class ScatterView(pg.PlotWidget):
    """Shows a :class:`PointIndex` coloured by a :class:`ColorMapping`."""

    #: row index of the clicked point, or -1 when the click hit no point
    point_clicked = Signal(int)
    #: (row or -1, keyboard modifiers) of a click, for selection
    picked = Signal(int, object)
    #: row index under the mouse, or -1
    point_hovered = Signal(int)
    #: a sentence saying how the points are drawn now
    detail_changed = Signal(str)
    #: whether the density layer is drawn (it follows the number of points until chosen)
    density_toggled = Signal(bool)

    def __init__(self, parent=None):
        super().__init__(parent, background="w", viewBox=SelectViewBox())
        self.setAntialiasing(False)
        self.plot_item = self.getPlotItem()
        self.plot_item.hideAxis("left")
        self.plot_item.hideAxis("bottom")
        self.plot_item.setMenuEnabled(False)
        self.plot_item.hideButtons()
        self.view_box = self.plot_item.getViewBox()
        self.view_box.setAspectLocked(True)
        self.view_box.disableAutoRange()
        self._markers = MarkerLayer()
        self._drawn_coords: np.ndarray | None = None  # see draw_at
        self._image = pg.ImageItem(axisOrder="row-major")
        self._highlight = PassiveScatter(
            pxMode=True, size=14, brush=None, pen=pg.mkPen("#111111", width=2)
        )
        self._contours = pg.ImageItem(axisOrder="row-major")
        layers = ((self._image, 0), (self._markers, 1), (self._contours, 5), (self._highlight, 10))
        for item, z in layers:
            item.setZValue(z)
            self.plot_item.addItem(item, ignoreBounds=True)
        #: a typed query: its position (when the projection can place it) and its neighbours
        self.query_overlay = NeighborOverlay(self.plot_item, "#e6550d", z=20)
        #: the inspected point's exact neighbours (solid) and hubness-reduced list (dashed)
        self.neighbor_overlay = NeighborOverlay(self.plot_item, "#1f4e9c", z=16, star=False)
        self.reduced_overlay = NeighborOverlay(
            self.plot_item, "#2ca02c", z=15, dashed=True, star=False
        )
        self.hub_overlay = HubOverlay(self.plot_item)
        self.cluster_labels = ClusterLabels(self.plot_item)
        self._sizes: np.ndarray | None = None
        self._selected: np.ndarray | None = None  # mask; unselected points are drawn faded
        self._index: PointIndex | None = None
        self._colors: ColorMapping = single_color(0)
        self._marker_rows: np.ndarray | None = None
        self._covered: tuple[float, float, float, float] | None = None
        self._hover_row = -1
        self._detail = ""
        self._density_choice: bool | None = None  # None: on above DENSITY_DEFAULT_MIN points
        self._density_on = False
        #: the text describing a row, shown in the hover card
        self.tooltip_text: Callable[[int], str] = lambda row: f"row {row}"
        self.hover_card = HoverCard(self.viewport())
        #: a widget floating over the map's top-right corner (the legend): Fit View keeps the
        #: points out from under it
        self.corner_overlay = None
        self._fitted = False  # the view is as Fit View left it (no pan or zoom since)
        self._refresh_timer = QTimer(self, singleShot=True, interval=0)
        self._refresh_timer.timeout.connect(self.refresh)
        self.view_box.sigRangeChanged.connect(lambda *_: self._refresh_timer.start())
        self.view_box.sigRangeChangedManually.connect(lambda *_: setattr(self, "_fitted", False))
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.scene().sigMouseClicked.connect(self._on_mouse_clicked)

    # -- data ---------------------------------------------------------------------------------
    def set_points(self, index: PointIndex | None, colors: ColorMapping | None = None) -> None:
        """Show new points (``None`` clears the map) and fit the view to them."""
        self._index, self._drawn_coords = index, None
        n = 0 if index is None else len(index)
        self._colors = colors if colors is not None and len(colors.codes) == n else single_color(n)
        self._selected = None
        self._invalidate()
        self.set_highlight(np.empty(0, dtype=np.intp))
        self._sizes = None
        for overlay in (self.query_overlay, self.neighbor_overlay, self.reduced_overlay):
            overlay.clear()
        self.hub_overlay.show(None, None, None)
        self.cluster_labels.clear()
        self._follow_density_default()
        self.fit_view()
        self.refresh()

    def set_colors(self, colors: ColorMapping) -> None:
        n = 0 if self._index is None else len(self._index)
        if len(colors.codes) != n:
            raise ValueError(f"{len(colors.codes)} colours for {n} points")
        self._colors = colors
        self._invalidate()
        self.refresh()

    # -- density layer ------------------------------------------------------------------------
    def set_density(self, on: bool | None) -> None:
        """Draw the density layer (True), not (False), or as the number of points says (None).
        A choice holds for every later set of points."""
        self._density_choice = on
        self._follow_density_default()
        self.refresh()

    @property
    def density_on(self) -> bool:
        return self._density_on

    def _follow_density_default(self) -> None:
        n = 0 if self._index is None else len(self._index)
        on = n >= DENSITY_DEFAULT_MIN if self._density_choice is None else self._density_choice
        if on != self._density_on:
            self._density_on = on
            self.density_toggled.emit(on)
        if not on:
            self._contours.clear()
            self._contours.setVisible(False)

    def _show_density(self, x0: float, x1: float, y0: float, y1: float, in_view: int) -> None:
        """The contour lines as their own image over the markers."""
        self._contours.setImage(self._density_lines(x0, x1, y0, y1, in_view), autoLevels=False)
        self._contours.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        self._contours.setVisible(True)

    def _density_lines(self, x0: float, x1: float, y0: float, y1: float, in_view: int):
        """Contours of the points in view: counted directly when few, else read from the
        index's integral image (see :mod:`density`)."""
        index, coords, grid = self._index, self._index.coords, None
        if index.density is not None and in_view > DENSITY_DIRECT_MAX:
            grid = index.density
        elif index.density is not None:
            coords = coords[index.in_x_window(x0, x1)]
        return density_contours(coords, (x0, x1), (y0, y1), self._device_size(), index=grid)

    def _device_size(self) -> tuple[int, int]:
        ratio = self.devicePixelRatioF()
        rect = self.view_box.boundingRect()
        return int(rect.width() * ratio), int(rect.height() * ratio)

    @property
    def colors(self) -> ColorMapping:
        return self._colors

    @property
    def index(self) -> PointIndex | None:
        return self._index

    @property
    def detail(self) -> str:
        return self._detail

    def set_selection(self, mask: np.ndarray | None) -> None:
        """Draw the points outside ``mask`` faded (the selection, and the charts' filter);
        None draws every point in full."""
        if mask is None and self._selected is None:
            return  # nothing changes (a new map has none): no second redraw of 200k points
        self._selected = mask
        self._invalidate()
        self.refresh()

    def _palette(self) -> np.ndarray:
        palette = self._colors.palette
        if self._selected is None:
            return palette
        faded = palette.copy()
        faded[:, :3] = (0.25 * palette[:, :3] + 0.75 * 235).astype(np.uint8)
        faded[:, 3] = 110
        return np.vstack([palette, faded])

    def _codes(self) -> np.ndarray:
        codes = self._colors.codes
        if self._selected is None:
            return codes
        return np.where(self._selected, codes, codes + len(self._colors.palette))

    def _codes_at(self, rows: np.ndarray) -> np.ndarray:
        """:meth:`_codes` of ``rows`` only (a frame of 10M points needs a few thousand)."""
        codes = self._colors.codes[rows]
        if self._selected is None:
            return codes
        return np.where(self._selected[rows], codes, codes + len(self._colors.palette))

    def set_sizes(self, sizes: np.ndarray | None) -> None:
        """Per-point marker sizes in pixels (e.g. by N_k), or None for the default size.

        Only markers have sizes; the image level of detail draws every point alike.
        """
        self._sizes = None if sizes is None else np.asarray(sizes, dtype=float)
        self._invalidate()
        if self._markers.isVisible():  # the image has no sizes: markers take them when shown
            self.refresh()

    def set_highlight(self, rows: np.ndarray) -> None:
        """Ring the given rows (e.g. the selected point)."""
        rows = np.asarray(rows, dtype=np.intp)
        if self._index is None or not len(rows):
            self._highlight.setData(x=[], y=[])
            return
        xy = self._index.coords[rows]
        self._highlight.setData(x=xy[:, 0], y=xy[:, 1])

    def fit_view(self) -> None:
        if self._index is None or not len(self._index):
            return
        # float64: pyqtgraph compares ranges with float64 limits (float32 overflows).
        lo, hi = column_extent(self._index.coords)
        pad = np.maximum((hi - lo) * 0.03, 1e-6)
        lo, hi = lo - pad, hi + pad
        x_range, y_range = (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))
        corner = self._covered_corner()
        if corner is not None:
            view_px = self._view_px()
            allowed = len(self._index) // 1000  # a straggler or two under it may stay

            def under(ranges) -> int:
                (x0, x1), (y0, y1) = ranges
                w, h = corner[0] * (x1 - x0) / view_px[0], corner[1] * (y1 - y0) / view_px[1]
                return self._index.count_in_rect(x1 - w, x1, y1 - h, y1)

            x_range, y_range = least_moved(
                beside_corner(lo, hi, view_px, (0.0, 0.0)),
                beside_corner(lo, hi, view_px, corner),
                lambda ranges: under(ranges) <= allowed,
            )
        self.view_box.setRange(xRange=x_range, yRange=y_range, padding=0)
        self._fitted = True

    def refit_if_fitted(self) -> None:
        """Fit the view again unless the user moved it since it was fitted (e.g. after the
        legend changed size)."""
        if self._fitted:
            self.fit_view()

    def _view_px(self) -> tuple[float, float]:
        rect = self.view_box.sceneBoundingRect()
        return float(rect.width()), float(rect.height())

    def _covered_corner(self) -> tuple[float, float] | None:
        """(width, height) in pixels of the map's top-right corner the overlay covers, with
        a margin; None when nothing covers it."""
        overlay = self.corner_overlay
        if overlay is None or not overlay.isVisible():
            return None
        box = self.mapFromScene(self.view_box.sceneBoundingRect()).boundingRect()
        geometry = overlay.geometry()
        margin = 6
        width = box.right() - geometry.left() + margin
        height = geometry.bottom() - box.top() + margin
        return (float(width), float(height)) if width > 0 and height > 0 else None

    # -- level of detail ----------------------------------------------------------------------
    def _invalidate(self) -> None:
        self._marker_rows = None
        self._covered = None

    def refresh(self) -> None:
        """Redraw for the current view range (called after every pan / zoom, coalesced)."""
        index = self._index
        if index is None or not len(index):
            self._markers.clear()
            self._image.clear()
            self._contours.clear()
            self._set_detail("")
            return
        (x0, x1), (y0, y1) = self.view_box.viewRange()
        if len(index) <= MARKERS_MAX:
            if self._density_on:
                self._show_density(x0, x1, y0, y1, len(index))
            if self._marker_rows is None:
                self._show_markers(np.arange(len(index)))
            self._set_detail(f"{len(index):,} points, drawn as markers")
            return
        in_view = index.count_in_rect(x0, x1, y0, y1)
        if in_view <= MARKERS_IN_VIEW_MAX:
            if self._density_on:
                self._show_density(x0, x1, y0, y1, in_view)
            if not self._covers(x0, x1, y0, y1):
                self._show_markers_around(index, x0, x1, y0, y1)
            self._set_detail(f"{in_view:,} of {len(index):,} points in view, drawn as markers")
        else:
            self._show_raster(index, x0, x1, y0, y1, in_view)
            self._set_detail(
                f"{in_view:,} of {len(index):,} points in view, drawn as an image "
                "(level of detail: zoom in for markers)"
            )

    def _covers(self, x0: float, x1: float, y0: float, y1: float) -> bool:
        c = self._covered
        return (
            c is not None
            and self._marker_rows is not None
            and c[0] <= x0
            and x1 <= c[1]
            and c[2] <= y0
            and y1 <= c[3]
        )

    def _show_markers_around(self, index: PointIndex, x0, x1, y0, y1) -> None:
        w, h = x1 - x0, y1 - y0
        rect = (x0 - w / 2, x1 + w / 2, y0 - h / 2, y1 + h / 2)
        rows = index.in_rect(*rect)
        if len(rows) > 3 * MARKERS_IN_VIEW_MAX:  # dense surroundings: cover the view only
            rect, rows = (x0, x1, y0, y1), index.in_rect(x0, x1, y0, y1)
        self._show_markers(rows)
        self._covered = rect

    def draw_at(self, coords: np.ndarray | None) -> None:
        """Draw the markers at ``coords`` (the same rows in motion between two layouts) rather
        than at the map's own; None draws them where the map has them again. Picking and
        everything else keep to the map's own coordinates."""
        self._drawn_coords = coords
        self._invalidate()
        self.refresh()

    def _show_markers(self, rows: np.ndarray) -> None:
        coords = self._index.coords if self._drawn_coords is None else self._drawn_coords
        self._image.clear()
        self._image.setVisible(False)
        self._markers.set_points(
            coords[rows],
            self._codes()[rows],
            self._palette(),
            MARKER_SIZE if self._sizes is None else self._sizes[rows],
        )
        self._markers.setVisible(True)
        self._marker_rows = rows

    def _show_raster(self, index: PointIndex, x0, x1, y0, y1, in_view: int) -> None:
        """All points in view as one image; the density lines, when on, drawn into it (one
        image to paint instead of two: a second full-view image costs ~5 ms a paint)."""
        size = self._device_size()
        point_px = max(1, round(3 * self.devicePixelRatioF()))
        overview = index.overview
        if overview is not None and overview.covers((x0, x1), (y0, y1), size):
            rows = overview.rows((x0, x1), (y0, y1), size)
            image = rasterize_rows(rows, self._codes_at, self._palette(), point_px)
        elif overview is not None:  # many points, zoomed in: only those in the x-range
            rows = np.sort(index.in_x_window(x0, x1))
            coords, codes = index.coords[rows], self._codes_at(rows)
            image = rasterize(coords, codes, self._palette(), (x0, x1), (y0, y1), size, point_px)
        else:
            image = rasterize(
                index.coords, self._codes(), self._palette(), (x0, x1), (y0, y1), size, point_px
            )
        if self._density_on:
            draw_over(image, self._density_lines(x0, x1, y0, y1, in_view))
            self._contours.setVisible(False)
        self._markers.setVisible(False)
        self._marker_rows, self._covered = None, None
        self._image.setImage(image, autoLevels=False)
        self._image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        self._image.setVisible(True)

    def _set_detail(self, text: str) -> None:
        if text != self._detail:
            self._detail = text
            self.detail_changed.emit(text)

    # -- picking ------------------------------------------------------------------------------
    def row_at(self, scene_pos: QPointF) -> int:
        """The point under a scene position (within a few pixels), or -1."""
        if self._index is None or not self.view_box.sceneBoundingRect().contains(scene_pos):
            return -1
        pos = self.view_box.mapSceneToView(scene_pos)
        px, py = self.view_box.viewPixelSize()
        return self._index.nearest(pos.x(), pos.y(), PICK_RADIUS_PX * px, PICK_RADIUS_PX * py)

    def view_to_widget(self, x: float, y: float) -> QPointF:
        """Widget (viewport) coordinates of a data position, e.g. for tests and overlays."""
        return self.mapFromScene(self.view_box.mapViewToScene(QPointF(x, y)))

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        row = self.row_at(scene_pos)
        if row != self._hover_row:
            self._hover_row = row
            self.point_hovered.emit(row)
        if row >= 0:
            self.hover_card.show_at(self.tooltip_text(row), self.mapFromScene(scene_pos))
        else:
            self.hover_card.hide()

    def leaveEvent(self, event) -> None:
        self._hover_row = -1
        self.hover_card.hide()
        super().leaveEvent(event)

    def _on_mouse_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return
        row = self.row_at(event.scenePos())
        self.point_clicked.emit(row)
        self.picked.emit(row, event.modifiers())
