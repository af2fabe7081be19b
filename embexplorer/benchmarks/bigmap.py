"""A synthetic analysed dataset, and the window opening it (``embexplorer bench bigmap``).

:func:`write_analysed_dataset` writes a folder of Parquet shards in the schema ``embexplorer
analyze`` writes (id, category, text, x, y, k_occurrence, is_hub, is_antihub, cluster,
cluster_label, preservation, neighbors, neighbor_distances; provenance in the schema metadata;
``summary.json``), without computing anything expensive: x, y from a mixture of Gaussians, the
neighbours of a row its nearest few in a grid-local order (rows sorted by grid cell: a row's
neighbours are the rows next to it in that order, plus, for some, the cell's first row, so a
few rows are hubs), the distances their true 2-D distances. Plausible, and cheap at 10M rows.

:func:`run` then measures, in one process (offscreen): opening the folder in the window to the
first painted map and the peak memory, frames while panning, a click (its stored neighbours
listed), a lasso of ~1 % of the rows and its streamed export.
"""

from __future__ import annotations

import itertools
import json
import resource
import statistics
import time
from pathlib import Path

import numpy as np

K = 10
#: Candidates on either side of a row along the Z-order curve.
WINDOW = 12
TOPICS = [f"topic {i}" for i in range(12)]
WORDS = ("alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "lambda", "theta")


def _layout(n: int, n_clusters: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-20, 20, size=(n_clusters, 2))
    spread = rng.uniform(0.6, 2.0, size=n_clusters)
    cluster = rng.integers(0, n_clusters, size=n)
    coords = centres[cluster] + rng.normal(size=(n, 2)) * spread[cluster, None]
    return coords.astype(np.float32), cluster


def _grid_order(coords: np.ndarray, cell: float) -> tuple[np.ndarray, np.ndarray]:
    """Rows sorted by grid cell along a Z-order curve (cells next to each other on it are
    mostly next to each other on the plane), then by x; and each sorted position's cell."""
    gx = np.floor(coords[:, 0] / cell).astype(np.int64)
    gy = np.floor(coords[:, 1] / cell).astype(np.int64)
    cells = _spread_bits(gx - gx.min()) | (_spread_bits(gy - gy.min()) << 1)
    order = np.lexsort((coords[:, 0], cells))
    return order, cells[order]


def _spread_bits(v: np.ndarray) -> np.ndarray:
    """The bits of ``v`` (< 2**31) spaced out by one: the interleaving of a Z-order key."""
    v = v.astype(np.uint64) & np.uint64(0x7FFFFFFF)
    masks = (
        (16, 0x0000FFFF0000FFFF),
        (8, 0x00FF00FF00FF00FF),
        (4, 0x0F0F0F0F0F0F0F0F),
        (2, 0x3333333333333333),
        (1, 0x5555555555555555),
    )
    for shift, mask in masks:
        v = (v | (v << np.uint64(shift))) & np.uint64(mask)
    return v.astype(np.int64)


def _neighbors(rows, position, order, sorted_cells, coords, rng):
    """The grid-local neighbours of ``rows`` and their 2-D distances, nearest first."""
    n = len(order)
    # the nearest K of the WINDOW rows on either side along the curve (its jumps between
    # quadrants put a few far rows in a window: the nearest K leave them out)
    offsets = np.array([o for o in range(-WINDOW, WINDOW + 1) if o != 0])
    pos = position[rows][:, None] + offsets[None, :]
    pos = np.where(pos < 0, pos + 2 * WINDOW + 1, pos)
    pos = np.where(pos >= n, pos - 2 * WINDOW - 1, pos)
    # some rows also list the first row of their cell: those rows become hubs
    # (when it is not a candidate already)
    first = np.searchsorted(sorted_cells, sorted_cells[position[rows]])
    hub = (rng.random(len(rows)) < 0.3) & (np.abs(first - position[rows]) > WINDOW)
    pos[hub, -1] = first[hub]
    neighbors = order[pos]
    d = np.linalg.norm(coords[neighbors] - coords[rows][:, None, :], axis=2).astype(np.float32)
    d[:, -1][hub] = 0.0  # the hub is always kept (its true distance is set back below)
    by = np.argsort(d, axis=1, kind="stable")[:, :K]
    neighbors = np.take_along_axis(neighbors, by, 1)
    d = np.linalg.norm(coords[neighbors] - coords[rows][:, None, :], axis=2).astype(np.float32)
    by = np.argsort(d, axis=1, kind="stable")
    return np.take_along_axis(neighbors, by, 1), np.take_along_axis(d, by, 1)


def write_analysed_dataset(
    folder: str | Path,
    rows: int,
    shards: int = 1,
    row_group_rows: int = 65_536,
    n_clusters: int = 24,
    seed: int = 0,
) -> list[Path]:
    """Write ``rows`` synthetic analysed rows as ``shards`` Parquet files (+ summary.json)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    coords, cluster = _layout(rows, n_clusters, seed)
    order, sorted_cells = _grid_order(coords, cell=float(np.sqrt(6400 / max(rows, 1))))
    position = np.empty(rows, dtype=np.int64)
    position[order] = np.arange(rows)
    rng = np.random.default_rng(seed + 1)
    k_occurrence = np.zeros(rows, dtype=np.int64)
    bounds = np.linspace(0, rows, shards + 1).astype(np.int64)
    for lo, hi in itertools.pairwise(bounds):  # N_k needs every list first
        nb, _ = _neighbors(np.arange(lo, hi), position, order, sorted_cells, coords, rng)
        k_occurrence += np.bincount(nb.ravel(), minlength=rows)
    rng = np.random.default_rng(seed + 1)  # the same lists again, shard by shard
    labels = [
        f"cluster {c}: {WORDS[c % len(WORDS)]} {WORDS[(c * 5 + 1) % len(WORDS)]}"
        for c in range(n_clusters)
    ]
    provenance = {
        "dataset": f"synthetic analysed dataset ({rows:,} rows, embexplorer bench bigmap)",
        "analysis": {"k": K, "metric": "euclidean", "knn_method": "grid-local (synthetic)"},
        "projection": {"method": "synthetic"},
    }
    meta = {b"embexplorer.provenance": json.dumps(provenance).encode()}
    files = []
    for i, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        r = np.arange(lo, hi)
        nb, dist = _neighbors(r, position, order, sorted_cells, coords, rng)
        topic = (cluster[r] + rng.integers(0, 3, size=len(r))) % len(TOPICS)
        ids = pc.binary_join_element_wise("r", pc.cast(pa.array(r), pa.string()), "")
        topic_arr = pa.DictionaryArray.from_arrays(pa.array(topic, pa.int32()), TOPICS)
        texts = pc.binary_join_element_wise(
            pa.array(np.array(WORDS, dtype=object)[r % len(WORDS)]),
            topic_arr.cast(pa.string()),
            pc.cast(pa.array(r * 7919 % 100_003), pa.string()),
            " ",
        )
        kocc = k_occurrence[r]
        table = pa.table(
            {
                "id": ids,
                "category": topic_arr.cast(pa.string()),
                "text": texts,
                "x": coords[r, 0],
                "y": coords[r, 1],
                "k_occurrence": kocc,
                "is_hub": kocc > 2 * K,
                "is_antihub": kocc == 0,
                "cluster": cluster[r].astype(np.int64),
                "cluster_label": pa.array(np.array(labels, dtype=object)[cluster[r]]),
                "preservation": rng.random(len(r)),
                "neighbors": pa.FixedSizeListArray.from_arrays(pa.array(nb.ravel()), K),
                "neighbor_distances": pa.FixedSizeListArray.from_arrays(pa.array(dist.ravel()), K),
            }
        ).replace_schema_metadata(meta)
        path = folder / f"part-{i:05d}.parquet"
        pq.write_table(table, path, row_group_size=row_group_rows, compression="zstd")
        files.append(path)
    summary = {
        "rows": rows,
        "k": K,
        "metric": "euclidean",
        "knn_method": "grid-local (synthetic)",
        "text_column": "text",
        "label_column": "category",
        "files": [p.name for p in files],
    }
    (folder / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return files


# -- measurements -------------------------------------------------------------------------------
def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (VmHWM), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _wait(app, signal, timeout_s: float = 120.0):
    """Process events until ``signal`` fires; its arguments."""
    from PySide6.QtCore import QEventLoop, QTimer

    got: list = []
    loop = QEventLoop()

    def done(*args) -> None:
        got.append(args)
        loop.quit()

    signal.connect(done)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()
    signal.disconnect(done)
    if not got:
        raise TimeoutError(f"no signal within {timeout_s:.0f} s")
    return got[0]


def run(folder: Path, out: Path | None = None, steps: int = 20, shot: Path | None = None) -> dict:
    """Open ``folder`` in the window and measure each step (see the module docstring)."""
    from PySide6.QtWidgets import QApplication

    from embexplorer.benchmarks.plot import _pan_frames
    from embexplorer.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(["embexplorer-bench"])
    figures: dict = {"rss_before_mb": peak_rss_mb()}
    window = MainWindow()
    window.resize(1400, 900)
    window.show()
    app.processEvents()
    doc = window.document
    start = time.perf_counter()
    window.open_path(folder)
    _wait(app, doc.colors_changed)
    app.processEvents()
    window.plot_panel.view.grab()
    figures["open_s"] = time.perf_counter() - start
    figures["rows"] = doc.corpus.n_rows
    figures["peak_rss_open_mb"] = peak_rss_mb()
    view = window.plot_panel.view
    frames = _pan_frames(app, view, view.view_box, steps)
    figures["frame_median_ms"] = statistics.median(frames)
    figures["frame_max_ms"] = max(frames)
    figures["detail"] = view.detail
    # a click: the point nearest the middle of the view, its stored neighbours listed
    (x0, x1), (y0, y1) = view.view_box.viewRange()
    index = view.index
    row = index.nearest((x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 4, (y1 - y0) / 4)
    start = time.perf_counter()
    doc.set_focus(row)
    _wait(app, doc.analysis.inspected)
    app.processEvents()
    figures["click_s"] = time.perf_counter() - start
    figures["neighbours_listed"] = window.neighbors_panel.raw.rowCount()
    figures["peak_rss_click_mb"] = peak_rss_mb()
    if shot is not None:  # the map, the clicked point's neighbours listed
        window.grab().save(str(shot))
    # a lasso of ~1 % around that point, then its streamed export
    polygon = _polygon_around(index, index.coords[row], 0.01)
    start = time.perf_counter()
    from PySide6.QtCore import Qt

    window.selection_views._on_lasso(polygon, Qt.KeyboardModifier.NoModifier)
    if len(doc.selection.selection) == 0:
        _wait(app, doc.selection.changed)
    figures["lasso_s"] = time.perf_counter() - start
    figures["lasso_rows"] = len(doc.selection.selection)
    start = time.perf_counter()
    doc.selection.tag("bench")
    figures["tag_s"] = time.perf_counter() - start
    target = (out or folder.parent) / "bigmap-lasso.parquet"
    from embexplorer.gui.export_dialog import ExportRequest

    start = time.perf_counter()
    window.curation.start_export(ExportRequest(target, "parquet", True, ()), overwrite=True)
    while True:  # the export's end (not another job's)
        (channel,) = _wait(app, window.runner.finished, timeout_s=600)
        if channel == "export":
            break
    figures["export_s"] = time.perf_counter() - start
    figures["export_file"] = str(target)
    figures["peak_rss_export_mb"] = peak_rss_mb()
    from embexplorer.core.state.filters import ColumnFilter, Filters

    column = doc.shown_color_column
    first = doc.colors.entries[0][0]
    while window.runner.is_busy("charts"):  # a filter is a click on a chart's bar
        _wait(app, window.runner.channel_busy)
    start = time.perf_counter()
    doc.set_filters(Filters((ColumnFilter(column, values=frozenset([first])),)))
    _wait(app, doc.filters_changed)
    figures["filter_s"] = time.perf_counter() - start
    figures["filter_rows"] = int(doc.filter_mask.sum())
    figures["peak_rss_mb"] = peak_rss_mb()
    window.close()
    return figures


def _polygon_around(index, centre, share: float) -> np.ndarray:
    """An octagon around ``centre`` holding about ``share`` of the points."""
    from embexplorer.core.state.selection import points_in_polygon

    angles = np.linspace(0, 2 * np.pi, 9)[:-1]
    n, lo, hi = len(index), 1e-4, 100.0
    for _ in range(30):
        r = (lo + hi) / 2
        polygon = np.column_stack([centre[0] + r * np.cos(angles), centre[1] + r * np.sin(angles)])
        near = index.in_rect(centre[0] - r, centre[0] + r, centre[1] - r, centre[1] + r)
        count = int(points_in_polygon(index.coords[near], polygon).sum())
        lo, hi = (r, hi) if count < share * n else (lo, r)
    return polygon
