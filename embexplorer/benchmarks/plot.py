"""Rendering and responsiveness benchmark (``embexplorer bench plot``).

For N synthetic points it measures, in one run and side by side with the reference (a plain
pyqtgraph ``ScatterPlotItem`` holding every point, one brush per point from a shared table):

- push: giving the data to the plot and rendering the first frame;
- frame: rendering one frame while panning (the view moves 3 % per frame), with the density
  layer off (as the reference draws) and on (target at 1M points: 80 ms a frame);

and the longest GUI-thread stall (gap between 5 ms timer ticks) while a PCA of
100,000 × 384 runs on the worker. Rendering is measured with ``QWidget.grab()`` at 1200 × 800.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from embexplorer.gui.plot.colormap import color_mapping
from embexplorer.gui.plot.point_index import PointIndex
from embexplorer.gui.plot.scatter_view import ScatterView

VIEW_SIZE = (1200, 800)


@dataclass
class PlotFigures:
    n: int
    index_s: float
    push_s: float
    frame_ms: list[float]
    detail: str


def synthetic_points(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Clustered 2-D points and a 12-category label per point."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, size=(24, 2))
    which = rng.integers(0, len(centres), size=n)
    coords = (centres[which] + rng.normal(0, 1.2, size=(n, 2))).astype(np.float32)
    labels = np.array([f"topic {i % 12}" for i in range(24)], dtype=object)[which]
    return coords, labels


def _pan_frames(app: QApplication, widget, view_box, steps: int) -> list[float]:
    times = []
    for i in range(steps):
        (x0, x1), _ = view_box.viewRange()
        dx = (x1 - x0) * 0.03 * (1 if i < steps // 2 else -1)
        start = time.perf_counter()
        view_box.translateBy(x=dx)
        app.processEvents()  # the coalesced level-of-detail refresh runs here
        widget.grab()
        times.append((time.perf_counter() - start) * 1000)
    return times


def bench_scatter_view(
    app: QApplication, coords, labels, steps: int, density: bool = False
) -> PlotFigures:
    view = ScatterView()
    view.set_density(density)
    view.resize(*VIEW_SIZE)
    view.show()
    app.processEvents()
    colors = color_mapping(labels, "topic")
    start = time.perf_counter()
    index = PointIndex(coords)  # built on the worker in the app
    index_s = time.perf_counter() - start
    start = time.perf_counter()
    view.set_points(index, colors)
    app.processEvents()
    view.grab()
    push_s = time.perf_counter() - start
    frames = _pan_frames(app, view, view.view_box, steps)
    detail = view.detail + (", density layer on" if view.density_on else "")
    view.close()
    return PlotFigures(len(coords), index_s, push_s, frames, detail)


def bench_reference(app: QApplication, coords, labels, steps: int) -> PlotFigures:
    widget = pg.PlotWidget(background="w")
    widget.resize(*VIEW_SIZE)
    widget.show()
    app.processEvents()
    colors = color_mapping(labels, "topic")
    table = np.array([pg.mkBrush(*map(int, c)) for c in colors.palette], dtype=object)
    item = pg.ScatterPlotItem(pxMode=True, size=6, pen=None)
    widget.addItem(item)
    start = time.perf_counter()
    item.setData(x=coords[:, 0], y=coords[:, 1], brush=table[colors.codes])
    app.processEvents()
    widget.grab()
    push_s = time.perf_counter() - start
    frames = _pan_frames(app, widget, widget.getPlotItem().getViewBox(), steps)
    widget.close()
    return PlotFigures(len(coords), 0.0, push_s, frames, "ScatterPlotItem, all points")


def measure_stall(app: QApplication, work: Callable[[], None], done_signal) -> tuple[float, float]:
    """(longest gap in ms between 5 ms timer ticks, wall seconds) while ``work`` runs."""
    gaps: list[float] = []
    clock = QElapsedTimer()
    timer = QTimer(interval=5)

    def tick() -> None:
        gaps.append(clock.restart())

    timer.timeout.connect(tick)
    loop = QEventLoop()
    done_signal.connect(lambda *_: loop.quit())
    clock.start()
    timer.start()
    start = time.perf_counter()
    work()
    loop.exec()
    wall = time.perf_counter() - start
    timer.stop()
    return (max(gaps) if gaps else 0.0), wall


def bench_pca_stall(app: QApplication, rows: int = 100_000, dims: int = 384) -> tuple[float, float]:
    from embexplorer.core.analysis.projection import pca_task
    from embexplorer.gui.worker import TaskRunner

    vectors = np.random.default_rng(1).normal(size=(rows, dims)).astype(np.float32)
    runner = TaskRunner()
    result = measure_stall(
        app,
        lambda: runner.submit("project", lambda: pca_task(vectors), lambda _: None, title="PCA"),
        runner.finished,
    )
    runner.shutdown()
    return result


def summarize(figures: PlotFigures) -> str:
    med = statistics.median(figures.frame_ms)
    return (
        f"push {figures.push_s * 1000:8.0f} ms | frame median {med:6.1f} ms, "
        f"max {max(figures.frame_ms):6.1f} ms | {figures.detail}"
    )


@dataclass
class AnalysisStall:
    rows: int
    longest_ms: float
    over_target: int  # gaps above 50 ms
    wall_s: float
    profile: str  # the GUI thread's heaviest calls (cProfile, cumulative)
    #: the gaps over 50 ms: (ms, what the status bar said when the gap began)
    long_gaps: list[tuple[float, str]] = field(default_factory=list)


def analysis_corpus_file(folder, rows: int, dims: int = 384, seed: int = 0):
    """A Parquet corpus of ``rows`` clustered unit vectors with a 12-topic column and a short
    text per row, as a user's embedded corpus would be."""
    from embexplorer.benchmarks.knn import synthetic_vectors
    from embexplorer.core.corpus import Corpus
    from embexplorer.core.io.writers import corpus_table, write_parquet

    vectors = synthetic_vectors(rows, dims, seed)
    rng = np.random.default_rng(seed)
    topic = np.array([f"topic {i}" for i in range(12)], dtype=object)[rng.integers(0, 12, rows)]
    words = np.array(["river", "market", "theory", "season", "engine", "garden", "signal"])
    text = np.char.add(np.char.add(words[rng.integers(0, 7, rows)], " "), topic.astype(str))
    corpus = Corpus(
        ids=np.char.add("row", np.arange(rows).astype(str)).astype(object),
        columns={"topic": topic, "text": text.astype(object)},
        vectors=vectors,
        text_column="text",
    )
    return write_parquet(
        f"{folder}/corpus_{rows}.parquet", corpus_table(corpus, include_vectors=True), {}
    )


def _other_threads() -> str:
    import sys
    import threading
    import traceback

    here = threading.get_ident()
    lines = []
    for ident, frame in sys._current_frames().items():
        stack = traceback.extract_stack(frame)[-3:]
        if ident == here or any("threading.py" in f.filename for f in stack[-1:]):
            continue  # this thread, and idle pool threads
        where = " < ".join(f"{f.filename.split('/')[-1]}:{f.lineno} {f.name}" for f in stack[::-1])
        lines.append(f"\n      {where}")
    return "".join(lines)


def bench_analysis_stall(
    app: QApplication, rows: int = 200_000, dims: int = 384, profile: bool = False
) -> AnalysisStall:
    """The longest GUI-thread stall from opening a ``rows`` × ``dims`` corpus in the main window
    to the end of its whole analysis (every stage the app runs by default); with ``profile``,
    the GUI thread's profile to say what the stalls were (the profiler slows the GUI thread's
    Python: a run with it measures longer stalls)."""
    import cProfile
    import io
    import pstats
    import tempfile

    from PySide6.QtCore import QSettings

    from embexplorer.gui.collector import GuiThreadCollector
    from embexplorer.gui.main_window import MainWindow
    from embexplorer.gui.worker import share_the_gil_promptly

    collector = GuiThreadCollector(app)  # as the app runs (gui/app.py)
    share_the_gil_promptly()
    with tempfile.TemporaryDirectory() as folder:
        path = analysis_corpus_file(folder, rows, dims)
        window = MainWindow(QSettings(f"{folder}/s.ini", QSettings.Format.IniFormat))
        window.resize(1600, 1000)
        window.show()
        collector.freeze_survivors()  # as gui/app.py does once the window is shown
        warmed = QEventLoop()
        collector.warmed_up.connect(warmed.quit)
        collector.warm_up()  # as the app does; a user opens a file after it has started
        warmed.exec()
        app.processEvents()
        gaps: list[float] = []
        said: list[str] = []  # at each tick, the last progress message received
        last = ["opening"]
        clock = QElapsedTimer()
        timer = QTimer(interval=5)

        def tick() -> None:
            gaps.append(clock.restart())
            said.append(last[0])
            if gaps[-1] > 50:  # where the other threads are as the GUI thread gets the GIL back
                said[-1] += _other_threads()

        timer.timeout.connect(tick)
        window.runner.progress.connect(
            lambda title, progress: last.__setitem__(0, f"{title}: {progress.message}")
        )
        loop = QEventLoop()
        window.document.pipeline_finished.connect(loop.quit)
        profiler = cProfile.Profile()
        clock.start()
        timer.start()
        start = time.perf_counter()
        if profile:
            profiler.enable()
        window.open_path(path)
        loop.exec()
        app.processEvents()  # what the end of the analysis queued (the last paint)
        profiler.disable()
        wall = time.perf_counter() - start
        timer.stop()
        window.close()
        window.deleteLater()
        app.processEvents()
    text = io.StringIO()
    if profile:
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
    collector.stop()
    long_gaps = [(gap, said[i - 1] if i else "opening") for i, gap in enumerate(gaps) if gap > 50]
    return AnalysisStall(
        rows,
        max(gaps, default=0.0),
        sum(g > 50 for g in gaps),
        wall,
        text.getvalue(),
        long_gaps,
    )


def bench_marker_sets(
    app: QApplication, n: int, repeats: int = 5
) -> dict[str, tuple[float, float]]:
    """Median ms to give ``n`` coloured markers to the map's marker layer and to a pyqtgraph
    ``ScatterPlotItem`` (per-point brushes from a table, as the map used), and to paint them:
    what a new colouring, selection or zoom into markers costs the GUI thread."""
    from embexplorer.gui.plot.colormap import color_mapping
    from embexplorer.gui.plot.markers import MarkerLayer
    from embexplorer.gui.plot.overlays import PassiveScatter

    coords, labels = synthetic_points(n)
    colors = color_mapping(labels, "label")
    brushes = np.empty(len(colors.palette), dtype=object)
    for i, rgba in enumerate(colors.palette):
        brushes[i] = pg.mkBrush(*(int(c) for c in rgba))
    out = {}
    for name in ("embexplorer", "pyqtgraph"):
        widget = pg.PlotWidget()
        widget.resize(*VIEW_SIZE)
        widget.show()
        app.processEvents()
        item = MarkerLayer() if name == "embexplorer" else PassiveScatter(pxMode=True, pen=None)
        widget.getPlotItem().addItem(item)
        widget.getPlotItem().getViewBox().setRange(xRange=(-15, 15), yRange=(-15, 15))
        sets, paints = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            if name == "embexplorer":
                item.set_points(coords, colors.codes, colors.palette, 6.0)
            else:
                item.setData(x=coords[:, 0], y=coords[:, 1], brush=brushes[colors.codes], size=6)
            middle = time.perf_counter()
            widget.grab()
            sets.append(middle - start)
            paints.append(time.perf_counter() - middle)
        widget.close()
        out[name] = (statistics.median(sets) * 1000, statistics.median(paints) * 1000)
    return out
