"""The jobs the document runs on the worker (gui/document.py): opening a file or an analysed
dataset, colouring, the charts' filter mask, restoring a session; each takes a snapshot and
never touches the document."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embexplorer.core.analysis.analysis_columns import CLUSTER
from embexplorer.core.analysis.projection import Projection
from embexplorer.core.corpus import Corpus
from embexplorer.core.errors import InputError
from embexplorer.core.io import ReadOptions, load_task
from embexplorer.core.io.analysed_dataset import (
    AnalysedDataset,
    LazyColumn,
    is_analysed_dataset,
)
from embexplorer.core.io.analysed_map import open_analysed_task
from embexplorer.core.state.filters import Filters
from embexplorer.core.tasks import Progress, Task
from embexplorer.gui.analysis_jobs import MapData
from embexplorer.gui.plot.colormap import (
    ColorMapping,
    cluster_mapping,
    color_mapping,
    default_color_column,
    single_color,
)
from embexplorer.gui.plot.point_index import PointIndex


def colors_task(
    values: np.ndarray | None, column: str | None, n: int, clustering=None
) -> Task[ColorMapping]:
    """The colours of a column; for the analysis's clusters (``clustering``), by number."""
    yield Progress(None, f"Colouring by {column}" if column else "Colouring")
    if isinstance(values, LazyColumn):  # a column of an analysed dataset, read by row
        if values.dtype.kind == "O":
            raise InputError(
                f"{column} is read from the files row by row ({len(values):,} rows of text): "
                "colour by a category or a number column."
            )
        values = np.asarray(values)
    if clustering is not None:
        return cluster_mapping(clustering.labels, clustering.label_text, column)
    return single_color(n) if values is None else color_mapping(values, column)


@dataclass(frozen=True)
class Opened:
    """What opening a file hands the document: the corpus, the column to colour it by, and
    for an analysed dataset the dataset and its map (with the picking index built)."""

    corpus: Corpus
    color_column: str | None
    dataset: AnalysedDataset | None = None
    map_data: MapData | None = None


def open_task(path: Path, options: ReadOptions) -> Task[Opened]:
    """A corpus file or an analysed dataset, with the column to colour it by chosen here, on
    the worker (the rule counts a sample of the label column's values: 20 ms at 200k rows of
    text, a stall if the GUI thread did it)."""
    if not is_analysed_dataset(path):
        corpus = yield from load_task(path, options)
        return Opened(corpus, initial_color_column(corpus, options))
    dataset, corpus, coords = yield from open_analysed_task(path)
    yield Progress(None, f"Indexing {len(coords):,} points for picking")
    projection = Projection(coords, "precomputed", {"source": str(path)})
    color = initial_color_column(corpus, options)
    if color not in corpus.columns:  # the clusters are a column of the file
        color = next((c for c in ("cluster_label", CLUSTER) if c in corpus.columns), None)
    return Opened(corpus, color, dataset, MapData(projection, PointIndex(coords)))


def initial_color_column(corpus: Corpus, options: ReadOptions) -> str | None:
    """The label column the user named; else the guessed one when it is categorical enough
    to read on the map, else the clusters (coloured once the analysis has them)."""
    if options.label_column is not None:
        return corpus.label_column
    return default_color_column(corpus.columns, corpus.label_column, CLUSTER)


def filter_mask_task(filters: Filters, columns: dict, n_rows: int) -> Task[np.ndarray]:
    """The rows that pass the charts' filters (on the worker: a category filter compares
    every row's text, 0.1 s at 1M rows)."""
    yield Progress(None, "Filtering")
    return filters.mask(columns, n_rows)


def restore_task(path: Path) -> Task[tuple]:
    """The session and its corpus (core checks both), plus the map's picking index."""
    from embexplorer.core.state.session_file import restore_task as read_session

    workspace, state = yield from read_session(path)
    active = workspace.current
    result = None if active is None else active.result
    projection = None if result is None else result.projection
    map_data = None
    if projection is not None:
        yield Progress(None, "Indexing points for picking")
        map_data = MapData(projection, PointIndex(projection.coords))
    return workspace, state, map_data
