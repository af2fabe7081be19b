"""One invariant for the whole window: what the panels say == what the map and tables show.

:func:`window_problems` reads every parameter widget, header, caption, table and the map, and
compares them with the state they render (the document and its analysis). Tests call it after
restoring a session, after Cancel, after loading another corpus, after an error, and the soak
test after every action. It only looks once the window is idle (no job running), since while
a job runs the controls show what was asked for and the map still shows the old result.
"""

from __future__ import annotations

import numpy as np

from embexplorer.gui.analysis_panel import summary_text
from embexplorer.gui.dataset_panel import NONE_CHOICE
from embexplorer.gui.plot.panel import NO_COLOR


def _table_column(table, column: int) -> list[str]:
    return [table.item(r, column).text() for r in range(table.rowCount())]


def _same_points(shown: np.ndarray, coords: np.ndarray) -> bool:
    return shown.shape == coords.shape and np.allclose(shown, coords)


def window_problems(window) -> list[str]:
    """Every disagreement between what the window shows and its state; [] when it tells the
    truth. Call when ``window.runner.is_busy()`` is False."""
    doc, analysis = window.document, window.document.analysis
    corpus, result, map_data = doc.corpus, analysis.result, analysis.map_data
    problems: list[str] = []

    def check(ok: bool, what: str) -> None:
        if not ok:
            problems.append(what)

    # parameters: the one copy (the session), both panels, the result on screen
    panel = window.analysis_panel.params()
    check(panel == analysis.params, f"analysis panel {panel} != session {analysis.params}")
    shown_metric = window.neighbors_panel.metric_choice.currentData()
    check(shown_metric == analysis.params.metric, f"neighbours panel metric {shown_metric}")
    if result is not None:
        check(result.params == analysis.params, f"result {result.params} != {analysis.params}")
    # the Select menu: what needs a selection is enabled exactly when there is one
    selected = len(doc.selection.selection) > 0
    for key in ("clear", "expand", "tag"):
        enabled = window.curation.actions[key].isEnabled()
        check(enabled == selected, f"Select > {key} enabled: {enabled}, selected: {selected}")
    # headers and captions
    if corpus is None:
        check(window.plot_panel.view.index is None, "a map without a corpus")
        return problems
    title = window.dataset_panel.title.text()
    check(corpus.summary() in title, f"dataset header {title!r} != {corpus.summary()!r}")
    if doc.source is not None:
        check(doc.source.name in window.windowTitle(), f"window title {window.windowTitle()!r}")
    # the map: every row, the projection of the result on screen
    index = window.plot_panel.view.index
    if map_data is None:
        check(index is None, "the map shows points the session does not have")
    else:
        check(index is map_data.index, "the map shows another projection than the session's")
        check(
            len(index.coords) == corpus.n_rows, f"{len(index.coords)} points, {corpus.n_rows} rows"
        )
        if result is not None and result.projection is None:  # the preview of a layout
            check(map_data.projection.method == "pca", "a preview map that is not PCA")
        elif result is not None:
            from embexplorer.core.analysis.projection import resolve_projection

            check(
                result.projection is map_data.projection,
                "the map's projection is not the result's",
            )
            method = resolve_projection(result.params.projection, corpus.n_rows)
            check(
                map_data.projection.method == method,
                f"map {map_data.projection.method} != params {result.params.projection}",
            )
    # the analysis panel: summary, histogram, hubs
    summary = window.analysis_panel.summary.text()
    if result is None:
        check(summary in ("Analysing…", "No analysis yet."), f"summary {summary!r} w/o result")
    else:
        expected = summary_text(result, corpus)
        check(summary == expected, f"summary {summary!r} != {expected!r}")
        hub = result.hubness
        if hub is not None:
            top = _table_column(window.analysis_panel.hubs, 1)
            want = [str(v) for v in np.sort(hub.k_occurrence)[::-1][: len(top)]]
            check(top == want, f"top hubs N_k {top[:5]} != {want[:5]}")
            check(hub.k == result.params.k, f"hubness k {hub.k} != {result.params.k}")
    # colours and legend
    combo = window.plot_panel.color_combo.currentText()
    shown = doc.shown_color_column
    check(combo == (shown or NO_COLOR), f"colour combo {combo!r} != {shown} ({doc.color_column})")
    # neighbours panel and focus
    inspection = analysis.inspection
    shown_rows, _ = window.neighbors_panel.shown_rows()
    if inspection is None:
        check(shown_rows == [], "neighbours listed with no point inspected")
    else:
        check(
            inspection.row == doc.focus_row, f"inspected {inspection.row} != focus {doc.focus_row}"
        )
        check(
            shown_rows == [int(r) for r in inspection.neighbors.indices[0]],
            "the neighbours list is not the inspection's",
        )
    # search by meaning
    query = doc.query_result
    rows = window.query_panel.result_rows()
    if query is None:
        check(rows == [], f"query results listed without a query: {rows[:5]}")
        status = window.query_panel.status.text()
        check("nearest to" not in status, f"a stale query caption {status!r}")
    else:
        check(rows == [int(r) for r in query.rows], "the query list is not the query's")
    # selection
    state = doc.selection
    check(state.selection.n_rows == corpus.n_rows, "the selection is for another corpus")
    label = window.plot_panel.selection_label.text()
    n = len(state.selection)
    want = f"{n:,} of {corpus.n_rows:,} selected" if n else "Nothing selected"
    check(label == want, f"selection caption {label!r} != {want!r}")
    if state.tags is not None:
        check(len(state.tags) == corpus.n_rows, "tags for another number of rows")
    undo, redo = window.curation.actions["undo"], window.curation.actions["redo"]
    check(undo.isEnabled() == state.can_undo, f"Undo enabled: {undo.isEnabled()}")
    check(redo.isEnabled() == state.can_redo, f"Redo enabled: {redo.isEnabled()}")
    problems += _roles_problems(window, corpus)
    if map_data is not None:
        problems += _map_problems(window, map_data.index.coords)
    return problems


def _roles_problems(window, corpus) -> list[str]:
    """The text and label columns the Dataset and Encoder panels show are the corpus's."""
    problems = []
    for where, combo, column in (
        ("dataset text", window.dataset_panel.text_combo, corpus.text_column),
        ("dataset label", window.dataset_panel.label_combo, corpus.label_column),
        ("encoder text", window.encoder_panel.text_combo, corpus.text_column),
    ):
        shown, want = combo.currentText(), column if column is not None else NONE_CHOICE
        if shown != want:
            problems.append(f"{where} column {shown!r} != {want!r}")
    return problems


def _map_problems(window, coords: np.ndarray) -> list[str]:
    """What the map draws over its points: colours, faded selection, focus ring, lines."""
    doc, view = window.document, window.plot_panel.view
    problems: list[str] = []

    def check(ok: bool, what: str) -> None:
        if not ok:
            problems.append(what)

    colors = doc.colors
    if colors is not None:
        check(view.colors is colors, "the map is drawn in other colours than the document's")
        check(
            len(colors.codes) == len(coords), f"{len(colors.codes)} colours, {len(coords)} points"
        )
        if colors.kind != "single":
            title = window.plot_panel.legend.title.text()
            check(title == (colors.column or ""), f"legend {title!r} != {colors.column!r}")
        shown = doc.shown_color_column
        check(
            colors.column == shown or (shown is None and colors.kind == "single"),
            f"the map is coloured by {colors.column!r}, the column shown is {shown!r}",
        )
    selection = doc.selection.selection
    drawn = view._selected  # the points drawn unfaded, None when all are
    want = selection.to_mask() if len(selection) else None
    if doc.filter_mask is not None:  # the charts' filter fades the rows it leaves out too
        want = doc.filter_mask if want is None else want & doc.filter_mask
    check(
        (drawn is None and want is None)
        or (drawn is not None and want is not None and np.array_equal(drawn, want)),
        f"the map shows {0 if drawn is None else int(drawn.sum())} points selected, "
        f"the selection has {len(selection)}",
    )
    x, y = view._highlight.getData()  # the ring around the focused point
    ring = np.column_stack([x, y]) if x is not None else np.empty((0, 2))
    focus = doc.focus_row
    want_ring = coords[[focus]] if focus >= 0 else np.empty((0, 2))
    check(_same_points(ring, want_ring), f"the focus ring is not on row {focus}")
    inspection = doc.analysis.inspection
    lines = view.neighbor_overlay.targets()
    want_lines = (
        coords[inspection.neighbors.indices[0]] if inspection is not None else np.empty((0, 2))
    )
    check(_same_points(lines, want_lines), "the neighbour lines are not the inspection's")
    query = doc.query_result
    marks = view.query_overlay.targets()
    want_marks = coords[query.rows] if query is not None else np.empty((0, 2))
    check(_same_points(marks, want_marks), "the query's marks are not its results")
    return problems
