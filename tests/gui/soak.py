"""A user at the window: a seeded random walk of actions on the real window, checked after each.

Every action is a small function of a :class:`User` (the window, the random generator, the
qtbot, the scratch folder) that does what a person does: open a file of each format, change a
parameter in the Analysis panel and let the debounce fire, cancel at a random moment, click,
drag a rectangle or a lasso, tag, undo, export and read the file back, save a session and
reopen it, type a query, switch docks and tabs, colour by a column, quit and start again. After
every action the walk waits until the window is idle and checks:

- the window tells the truth (:func:`tests.gui.invariants.window_problems` is empty);
- no Python exception reached the event loop (pytest-qt's capture, per action);
- Shiboken printed no "Error calling Python override" (read from file descriptor 2, where it
  writes it, below Python);
- no unexpected error (a bug: its report lands in the data folder's ``reports``);
- what the action promises (the export reads back, the session reopens as saved, …).

A failure names the seed, the action number and the last actions, and how to replay it.
``tests/gui/test_soak.py`` runs 300 actions in CI; the long run is this module as a script::

    python -m tests.gui.soak --minutes 60 --seed 1 --report soak.json

It runs walks of ``--walk`` actions (seeds N, N+1, …; each starts a fresh window) until the
time is up, in a private temporary home, offscreen, and records the memory every few actions.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import faulthandler
import gc
import json
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox, QTabBar

from tests.gui.override_guard import override_errors

#: How long one action may keep the window busy (t-SNE, UMAP's first compile, embedding).
IDLE_TIMEOUT_MS = 120_000
#: What Qt's offscreen platform prints whenever a window is shown (left out of reports).
NOISE = {"This plugin does not support propagateSizeHints()"}
#: Actions listed in a failure's message.
HISTORY_SHOWN = 10
KEYS = {
    "none": Qt.KeyboardModifier.NoModifier,
    "shift": Qt.KeyboardModifier.ShiftModifier,
    "alt": Qt.KeyboardModifier.AltModifier,
    "ctrl+shift": Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
}
TEXTS = [
    "A man is playing a guitar.",
    "Someone performs music on a guitar.",
    "The stock market fell.",
    "Shares dropped sharply today.",
    "A cat sleeps on the sofa.",
    "The kitten naps on a couch.",
    "Rain is expected tomorrow.",
    "The forecast says it will be wet.",
]
QUERIES = ["guitar music", "a sleeping cat", "markets", "weather", "ünïcode ✓ query"]
TAG_NAMES = ["keep", "odd one", "check, later", "naïve ✓", "   "]


class SoakFailure(AssertionError):
    """A check failed: the message names the seed, the action and the actions before it."""


# -- the corpora --------------------------------------------------------------------------------
def _grouped(rows: int, dims: int, seed: int) -> dict:
    """``rows`` rows in 3 groups, with texts, labels and a numeric column."""
    rng = np.random.default_rng(seed)
    group = np.arange(rows) % 3
    centres = np.eye(dims, dtype=np.float32)[:3] * 6
    vectors = (centres[group] + rng.normal(0, 1.0, (rows, dims))).astype(np.float32)
    labels = np.array(["alpha", "beta", "gamma"])[group]
    texts = [f"row {i} about {label} ✓" for i, label in enumerate(labels)]
    return {"vectors": vectors, "labels": labels, "texts": texts, "score": rng.random(rows)}


def write_corpora(folder: Path) -> dict[str, Path]:
    """Small files of every format (20–60 rows), two of texts to embed, one with NaN rows."""
    from tests.files import write_csv, write_jsonl, write_npz, write_parquet, write_projector_pair

    folder.mkdir(parents=True, exist_ok=True)
    pair = folder / "pair"
    pair.mkdir(exist_ok=True)
    np.save(folder / "plain.npy", _grouped(20, 6, 1)["vectors"])
    nan = _grouped(30, 8, 2)
    nan["vectors"][[4, 17, 18]] = np.nan
    texts = folder / "texts.csv"
    texts.write_text("text\n" + "\n".join(TEXTS) + "\n", encoding="utf-8")
    labelled = folder / "texts.jsonl"
    labelled.write_text(
        "".join(
            json.dumps({"text": t, "topic": ["music", "money", "pets", "weather"][i // 2]}) + "\n"
            for i, t in enumerate(TEXTS[:6])
        ),
        encoding="utf-8",
    )
    return {
        "csv": write_csv(folder / "corpus.csv", _grouped(40, 8, 3)),
        "tsv": write_csv(folder / "corpus.tsv", _grouped(25, 8, 4), sep="\t"),
        "parquet": write_parquet(folder / "corpus.parquet", _grouped(60, 16, 5)),
        "jsonl": write_jsonl(folder / "corpus.jsonl", _grouped(30, 8, 6)),
        "npy": folder / "plain.npy",
        "npz": write_npz(folder / "corpus.npz", _grouped(35, 8, 7)),
        "projector": write_projector_pair(pair, _grouped(30, 8, 8))[0],
        "texts": texts,
        "texts-jsonl": labelled,
        "nan": write_csv(folder / "nan_rows.csv", nan),
    }


# -- watching stderr ----------------------------------------------------------------------------
class StderrWatch:
    """What is written to file descriptor 2 while it runs, passed on to the real stderr.

    Shiboken writes "Error calling Python override of …" to the C-level stderr; reading the
    descriptor after every action names the action that caused it. (Under pytest the text is
    passed on into pytest's own capture, so the conftest guard sees it too.) With ``log``, all
    of it is also kept in that file: after a crash (SIGSEGV, abort) it holds the last words."""

    def __init__(self, log: Path | None = None):
        self._log = log
        self._offset = 0

    def __enter__(self) -> StderrWatch:
        sys.stderr.flush()
        self._saved = os.dup(2)
        # appends wherever we read; read with pread, so the shared offset never moves
        self._file = open(self._log, "ab+") if self._log else tempfile.TemporaryFile("ab+")
        self._offset = os.fstat(self._file.fileno()).st_size
        os.dup2(self._file.fileno(), 2)
        return self

    def new_lines(self) -> list[str]:
        sys.stderr.flush()
        fd = self._file.fileno()
        size = os.fstat(fd).st_size
        data = os.pread(fd, size - self._offset, self._offset) if size > self._offset else b""
        self._offset += len(data)
        if data:
            os.write(self._saved, data)
            if self._log is None:  # nobody reads it later
                os.ftruncate(fd, 0)
                self._offset = 0
        return data.decode("utf-8", errors="replace").splitlines()

    def __exit__(self, *exc) -> None:
        self.new_lines()
        os.dup2(self._saved, 2)
        os.close(self._saved)
        self._file.close()


@contextlib.contextmanager
def answering(owner, name: str, answer) -> Iterator[None]:
    """Replace ``owner.name`` (a question the window asks) while the block runs."""
    saved = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
    setattr(owner, name, answer)
    try:
        yield
    finally:
        setattr(owner, name, saved)


# -- the user -----------------------------------------------------------------------------------
@dataclasses.dataclass
class SavedSession:
    path: Path
    params: object
    selection: list[int]
    tags: list[str] | None
    color_column: str | None
    focus_row: int
    n_rows: int
    has_result: bool


@dataclasses.dataclass
class User:
    """What an action works with: the window (replaced by a relaunch), the random generator,
    the qtbot, the scratch folder and the corpora."""

    window: object
    rng: np.random.Generator
    bot: object
    folder: Path
    corpora: dict[str, Path]
    settings_path: Path
    sessions: list[SavedSession] = dataclasses.field(default_factory=list)
    questions: list[str] = dataclasses.field(default_factory=list)

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def pick(self, items):
        items = list(items)
        return items[int(self.rng.integers(len(items)))]

    @property
    def doc(self):
        return self.window.document


def new_window(user: User):
    """A window as the app makes one: the saved settings, shown, its questions answered."""
    from embexplorer.gui.main_window import MainWindow

    window = MainWindow(QSettings(str(user.settings_path), QSettings.Format.IniFormat))
    window.resize(1400, 900)
    window.show()
    user.bot.waitExposed(window)
    user.window = window

    def drop_rows(error) -> bool:
        consent = user.chance(0.7)
        user.questions.append(f"drop {error.n_rows} NaN rows? {'yes' if consent else 'no'}")
        return consent

    def refuse(what: str) -> Callable[..., bool]:
        def answer(*_args) -> bool:
            user.questions.append(f"unexpected question: {what}")
            return False

        return answer

    window.confirm_drop_nonfinite = drop_rows
    window.confirm_model = refuse("run a model")
    window.confirm_recovery = refuse("restore an autosave")
    return window


def close_window(window) -> None:
    window.close()
    window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


# -- waiting ------------------------------------------------------------------------------------
def busy_parts(window) -> list[str]:
    """What still runs or is about to: jobs (by channel), and the panels' debounce timers."""
    parts = [f"job {c}" for c in window.runner._current]
    if window.analysis_panel._timer.isActive():
        parts.append("the Analysis panel's debounce")
    if window.dataset_panel._search_timer.isActive():
        parts.append("the row search's debounce")
    return parts


def wait_idle(user: User) -> None:
    """Until nothing runs and nothing is due; twice in a row, so that what an ending job posts
    (a zero-delay timer, e.g. the parameters falling back after a Cancel) has run too."""
    quiet = [0]

    def settled() -> bool:
        quiet[0] = 0 if busy_parts(user.window) else quiet[0] + 1
        return quiet[0] >= 2

    from pytestqt.exceptions import TimeoutError as WaitTimeout

    try:
        user.bot.waitUntil(settled, timeout=IDLE_TIMEOUT_MS)
    except WaitTimeout as exc:  # say what was still busy
        raise SoakFailure(
            f"still busy after {IDLE_TIMEOUT_MS / 1000:.0f} s: {busy_parts(user.window)}"
        ) from exc


def _wait_signal(user: User, signal, timeout: int = 5_000) -> bool:
    with user.bot.waitSignal(signal, timeout=timeout, raising=False) as blocker:
        pass
    return blocker.signal_triggered


def move_mouse(widget, pos: QPoint, buttons=Qt.MouseButton.NoButton) -> None:
    """A mouse move to ``pos`` (``buttons`` held), delivered to ``widget``: QTest.mouseMove
    moves the cursor, which the offscreen platform does not always turn into an event.

    pyqtgraph drops a move that comes less than 10 ms after the one before (its
    ``mouseRateLimit``); a person's hand is never that fast, these moves are, so the limit is
    lifted while one is delivered."""
    import pyqtgraph as pg
    from PySide6.QtGui import QMouseEvent

    event = QMouseEvent(
        QEvent.Type.MouseMove,
        QPointF(pos),
        QPointF(widget.mapToGlobal(pos)),
        Qt.MouseButton.NoButton,
        buttons,
        Qt.KeyboardModifier.NoModifier,
    )
    limit = pg.getConfigOption("mouseRateLimit")
    pg.setConfigOption("mouseRateLimit", -1)
    try:
        QApplication.sendEvent(widget, event)
    finally:
        pg.setConfigOption("mouseRateLimit", limit)


def _widget_point(view, x: float, y: float) -> QPoint:
    at = view.view_to_widget(float(x), float(y))
    return QPoint(round(at.x()), round(at.y()))


def _visible_rows(view) -> list[int]:
    """Rows whose point is the one picked at its own position (not hidden under another)."""
    index = view.index
    if index is None:
        return []
    box = view.view_box
    return [
        row
        for row in range(len(index))
        if view.row_at(box.mapViewToScene(QPointF(*map(float, index.coords[row])))) == row
    ]


def _cancel(user: User, how: str) -> str:
    if how == "esc":
        _action(user.window, "Escape").trigger()
        return "Esc"
    user.window.runner.cancel()
    return "Cancel"


def _action(window, text: str):
    for action in window.actions():
        if action.text() == text:
            return action
    raise LookupError(text)


# -- actions: files -----------------------------------------------------------------------------
def open_file(user: User) -> str:
    window = user.window
    recent = window.recent_menu.actions()
    if recent and user.chance(0.2):
        action = user.pick(recent)
        action.trigger()
        said = f"open recent {Path(action.text()).name}"
    else:
        kind = user.pick(user.corpora)
        window.open_path(user.corpora[kind])
        said = f"open {kind} ({user.corpora[kind].name})"
    if user.chance(0.1):
        said += f", then {_cancel(user, user.pick(['cancel', 'esc']))} at once"
    return said


def _docks_in_front(window) -> list[str]:
    from PySide6.QtWidgets import QDockWidget

    docks = window.findChildren(QDockWidget)
    return sorted(d.windowTitle() for d in docks if not d.visibleRegion().isEmpty())


def relaunch(user: User) -> str:
    """Quit, start the app again on the same settings, reopen the last file (Open Recent)."""
    tab = user.window.analysis_panel.result_tabs.currentIndex()
    docks = _docks_in_front(user.window)
    close_window(user.window)
    window = new_window(user)
    if window.offer_recovery():
        raise SoakFailure("a clean exit left an autosave that the next start offered")
    again = (window.analysis_panel.result_tabs.currentIndex(), _docks_in_front(window))
    if again != (tab, docks):
        raise SoakFailure(f"started again with {again} in front, quit with {(tab, docks)}")
    recent = window.recent_menu.actions()
    if recent and user.chance(0.9):
        recent[0].trigger()
        return f"quit and start again, reopen {Path(recent[0].text()).name}"
    return "quit and start again"


# -- actions: analysis parameters ---------------------------------------------------------------
def _type_into_spin(user: User, spin, value: int) -> None:
    spin.setFocus()
    spin.selectAll()
    type_text(spin, str(value))
    QTest.keyClick(spin, Qt.Key.Key_Return)


def type_text(widget, text: str) -> None:
    """Type ``text`` key by key (QTest.keyClicks aborts the process on non-ASCII letters)."""
    from PySide6.QtGui import QKeyEvent

    for char in text:
        if char.isascii():
            QTest.keyClick(widget, char)
            continue
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            event = QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, char)
            QApplication.sendEvent(widget, event)


def _choose(combo, data) -> None:
    combo.setCurrentIndex(max(0, combo.findData(data)))


def change_parameter(user: User) -> str:
    panel = user.window.analysis_panel
    what = user.pick(
        ["k"] * 4
        + ["metric", "projection", "projection", "reduction", "clusters", "seed", "knn"]
        + ["n_clusters", "cluster_space", "mp_method", "beta"]
    )
    if what == "k":
        value = int(user.rng.integers(2, 16) if user.chance(0.9) else user.rng.integers(16, 101))
        if user.chance(0.5):
            _type_into_spin(user, panel.k, value)
        else:
            panel.k.setValue(value)
    elif what == "seed":
        value = int(user.rng.integers(0, 5))
        panel.seed.setValue(value)
    elif what == "n_clusters":
        value = int(user.rng.integers(2, 12))
        panel.n_clusters.setValue(value)
    elif what == "beta":
        value = float(user.pick([5.0, 20.0, 50.0]))
        panel.beta.setValue(value)
    else:
        choices = {
            "metric": ["cosine", "euclidean", "dot"],
            "projection": ["pca"] * 5 + ["tsne"] * 3 + ["umap"] * 2,
            "reduction": ["none", "none", "mp", "csls", "isoftmax"],
            "clusters": ["", "kmeans", "kmeans", "hdbscan"],
            "knn": ["auto", "exact", "approx"],
            "cluster_space": ["vectors", "layout"],
            "mp_method": ["gaussian", "empirical"],
        }[what]
        value = user.pick(choices)
        _choose(getattr(panel, "metric_choice" if what == "metric" else what), value)
    said = f"set {what} = {value!r} in the Analysis panel"
    return said + _maybe_cancel_the_run(user)


def _maybe_cancel_the_run(user: User) -> str:
    """Cancel at a random moment: before the debounce fires, just after, or mid-job."""
    when = user.pick(["never"] * 5 + ["before debounce", "after debounce", "mid-job"])
    if when == "never":
        return ""
    how = user.pick(["cancel", "esc"])
    if when != "before debounce":
        if not _wait_signal(user, user.window.analysis_panel.params_changed, 2_000):
            return ", nothing to cancel"
        if when == "mid-job" and not _wait_signal(user, user.window.runner.progress, 2_000):
            when = "after the job"
    return f", {_cancel(user, how)} {when}"


def neighbours_panel(user: User) -> str:
    panel = user.window.neighbors_panel
    choice = user.pick(["k", "metric", "double-click"])
    if choice == "k":
        value = int(user.pick([3, 5, 10, 25, 1000]))
        _type_into_spin(user, panel.k, value)
        return f"type k = {value} in the Neighbours panel"
    if choice == "metric":
        metric = user.pick(["cosine", "euclidean", "dot"])
        index = panel.metric_choice.findData(metric)
        panel.metric_choice.setCurrentIndex(index)
        panel.metric_choice.activated.emit(index)
        return f"choose metric {metric} in the Neighbours panel"
    rows = panel.raw.rowCount()
    if not rows or not panel.raw.isVisible():
        return "double-click a neighbour: none listed"
    i = int(user.rng.integers(rows))
    rect = panel.raw.visualItemRect(panel.raw.item(i, 0))
    QTest.mouseDClick(panel.raw.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    return f"double-click neighbour #{i + 1}"


def embed_texts(user: User) -> str:
    panel = user.window.encoder_panel
    corpus = user.doc.corpus
    if corpus is None or corpus.text_column is None:
        return "embed: no text column"
    panel.run_button.click()
    said = f"embed the texts of {corpus.text_column!r}"
    if user.chance(0.3):
        panel.cancel_button.click()
        said += ", Cancel in the Encoder panel"
    return said


# -- actions: the map ---------------------------------------------------------------------------
def click_point(user: User) -> str:
    view = user.window.plot_panel.view
    rows = _visible_rows(view)
    keys = user.pick(["none"] * 6 + ["shift", "shift", "alt", "ctrl+shift"])
    if not rows or user.chance(0.1):
        pos = QPoint(3, 3)  # a corner: no point there (the view pads around the points)
        if view.row_at(view.mapToScene(pos)) >= 0:
            return "click empty space: a point is there"
        QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, KEYS[keys], pos)
        return f"click empty space ({keys})"
    row = user.pick(rows)
    pos = _widget_point(view, *view.index.coords[row])
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, KEYS[keys], pos)
    return f"click point {row} ({keys})"


def hover_point(user: User) -> str:
    view = user.window.plot_panel.view
    rows = _visible_rows(view)
    if not rows:
        return "hover: no points"
    row = user.pick(rows)
    pos = _widget_point(view, *view.index.coords[row])
    move_mouse(view.viewport(), pos)
    under = view._hover_row  # the point the map found under the pointer (maybe a neighbour)
    card = view.hover_card
    want = user.doc.describe_row(under)
    if card.isVisible() != (under >= 0) or (under >= 0 and card.text() != want):
        raise SoakFailure(
            f"over row {under} the hover card says {card.text()!r} (shown: {card.isVisible()})"
        )
    return f"hover point {row}"


def drag_select(user: User) -> str:
    """Drag a rectangle or a lasso with the mouse (the tool chosen by its menu action)."""
    window = user.window
    view = window.plot_panel.view
    tool = user.pick(["rectangle", "lasso"])
    window.curation.actions[tool].trigger()
    if view.index is None:
        return f"{tool}: no map"
    rows = _visible_rows(view)  # from and to points in view (the map may be panned)
    if not rows:
        return f"{tool}: no point in view"
    coords = view.index.coords
    start, end = (_widget_point(view, *coords[user.pick(rows)]) for _ in range(2))
    if (start - end).manhattanLength() < 12:
        area = view.viewport().rect().adjusted(2, 2, -2, -2)
        end = QPoint(min(start.x() + 40, area.right()), min(start.y() + 30, area.bottom()))
    if tool == "rectangle":
        path = [start + (end - start) * (i / 8) for i in range(1, 9)]
    else:
        centre, radius = (start + end) / 2, max((end - start).manhattanLength() / 2, 20)
        angles = np.linspace(0, 2 * np.pi, 12)
        path = [
            centre + QPoint(round(radius * np.cos(t)), round(radius * np.sin(t))) for t in angles
        ]
    before = window.document.selection.selection
    drawn = _drag(view, path, start)
    if len(drawn) != 1:
        raise SoakFailure(f"a {tool} drag drew {len(drawn)} shapes")
    if tool == "rectangle":
        _check_rectangle(user, before, drawn[0])
    if user.chance(0.5):
        window.curation.actions["pointer"].trigger()
    return f"drag a {tool} ({window.document.selection.default_mode})"


def _drag(view, path: list[QPoint], start: QPoint) -> list:
    """Press at ``start``, move along ``path``, release: the shapes the map reported."""
    box, drawn = view.view_box, []

    def note(shape, _modifiers) -> None:
        drawn.append(shape)

    box.rectangle_drawn.connect(note)
    box.lasso_drawn.connect(note)
    try:
        viewport, left = view.viewport(), Qt.MouseButton.LeftButton
        QTest.mousePress(viewport, left, Qt.KeyboardModifier.NoModifier, start)
        for point in path:
            move_mouse(viewport, point, left)
        QTest.mouseRelease(viewport, left, Qt.KeyboardModifier.NoModifier, path[-1])
    finally:
        box.rectangle_drawn.disconnect(note)
        box.lasso_drawn.disconnect(note)
    return drawn


def _check_rectangle(user: User, before, rect: tuple) -> None:
    """The rectangle selected exactly the points inside it, combined in the chosen mode."""
    from embexplorer.core.state.selection import Selection

    picked = user.window.plot_panel.view.index.in_rect(*rect)
    state = user.doc.selection
    want = before.combine(Selection.of(picked, before.n_rows, before.corpus_id), state.default_mode)
    if state.selection.rows.tolist() != want.rows.tolist():
        raise SoakFailure(
            f"the rectangle selected {state.selection.rows.tolist()}, not {want.rows.tolist()}"
        )


def pan_or_fit(user: User) -> str:
    plot = user.window.plot_panel
    if user.chance(0.4):
        plot.fit_button.click()
        return "Fit view"
    user.window.curation.actions["pointer"].trigger()
    viewport = plot.view.viewport()
    start = QPoint(viewport.width() // 2, viewport.height() // 2)
    end = start + QPoint(int(user.rng.integers(-60, 60)), int(user.rng.integers(-60, 60)))
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for i in range(1, 6):
        move_mouse(viewport, start + (end - start) * (i / 5), Qt.MouseButton.LeftButton)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    return "pan the map"


def toggle_overlay(user: User) -> str:
    plot = user.window.plot_panel
    box = user.pick([plot.size_by_nk, plot.mark_hubs, plot.cluster_labels])
    box.click()
    return f"toggle {box.text()!r} {'on' if box.isChecked() else 'off'}"


def color_by(user: User) -> str:
    combo = user.window.plot_panel.color_combo
    items = [i for i in range(combo.count()) if combo.itemText(i)]  # not the separator
    if not items:
        return "colour by: no choices"
    index = user.pick(items)
    combo.setCurrentIndex(index)
    combo.activated.emit(index)
    return f"colour by {combo.itemText(index)!r}"


# -- actions: selecting and tagging -------------------------------------------------------------
def edit_selection(user: User) -> str:
    window = user.window
    key = user.pick(["undo", "undo", "redo", "all", "invert", "clear", "expand"])
    window.curation.actions[key].trigger()
    return f"Select > {key}"


def select_other_ways(user: User) -> str:
    window, doc = user.window, user.doc
    how = user.pick(["legend", "cluster", "value", "mode", "shown", "table", "hub"])
    if how == "legend":
        entries = window.plot_panel.legend.entries
        if not entries.count() or not entries.isVisible():
            return "click a legend entry: no legend"
        i = int(user.rng.integers(entries.count()))
        QTest.mouseClick(
            entries.viewport(),
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
            entries.visualItemRect(entries.item(i)).center(),
        )
        return f"click legend entry {i}"
    if how in ("cluster", "hub"):
        table = (
            window.analysis_panel.cluster_list if how == "cluster" else window.analysis_panel.hubs
        )
        if not table.rowCount():
            return f"click a {how} row: none listed"
        i = int(user.rng.integers(min(table.rowCount(), 10)))
        table.selectRow(i)
        return f"click {how} row {i} in the Analysis panel"
    if how == "value":
        corpus = doc.corpus
        if corpus is None:
            return "select by value: no corpus"
        names = list(corpus.columns) + doc.extra_column_names()
        column = user.pick(names)
        values = doc.column_values(column)
        op = user.pick(["==", "!=", "contains", "<", ">="])
        target = str(values[int(user.rng.integers(len(values)))]) if len(values) else ""
        window.curation.select_where(column, op, target)
        return f"select where {column} {op} {target!r}"
    if how == "mode":
        combo = window.plot_panel.mode_combo
        combo.setCurrentIndex(int(user.rng.integers(combo.count())))
        return f"selection mode {combo.currentData()}"
    if how == "shown":
        word = user.pick(["alpha", "beta", "row 1", "", "guitar", "zzz"])
        search = window.dataset_panel.search
        search.clear()
        type_text(search, word)
        wait_idle(user)
        if user.chance(0.6):
            window.dataset_panel.select_shown_button.click()
            return f"search rows for {word!r}, Select shown"
        return f"search rows for {word!r}"
    table = window.dataset_panel.table
    rows = window.dataset_panel.model.rowCount()
    if not rows:
        return "click a table row: none shown"
    i = int(user.rng.integers(rows))
    table.selectRow(i)
    return f"click row {i} of the table"


def tag(user: User) -> str:
    state = user.doc.selection
    if not len(state.selection) and user.doc.corpus is not None:
        state.apply(user.rng.choice(state.selection.n_rows, size=3, replace=False))
    name, ok = user.pick(TAG_NAMES), user.chance(0.9)
    before = None if state.tags is None else state.tags.copy()
    with answering(QInputDialog, "getText", staticmethod(lambda *a, **k: (name, ok))):
        user.window.curation.actions["tag"].trigger()
    clean = name.strip().replace(",", " ")
    if ok and clean and len(state.selection):
        for row in state.selection.rows:
            if clean not in str(state.tags[row]).split(", "):
                raise SoakFailure(f"row {row} is not tagged {clean!r}: {state.tags[row]!r}")
    elif before is None and state.tags is not None:
        raise SoakFailure("tags appeared though nothing was tagged")
    return f"tag {len(state.selection)} rows {name!r}" + ("" if ok else " (Cancel)")


# -- actions: export, sessions, query -----------------------------------------------------------
def export_rows(user: User) -> str:
    """Export with what the dialog offers, answer "Replace?", read the file back."""
    from embexplorer.core.io.export import FORMATS, destinations
    from embexplorer.core.state.export_frame import no_vectors_note
    from embexplorer.gui.export_dialog import ExportDialog, ExportRequest

    window, corpus = user.window, user.doc.corpus
    if corpus is None:
        return "export: no corpus"
    state = user.doc.selection
    dialog = ExportDialog(
        window,
        len(state.selection),
        corpus.n_rows,
        window.curation._available_groups(),
        str(user.folder),
        no_vectors=no_vectors_note(corpus),
    )
    formats = [
        dialog.format.itemData(i)
        for i in range(dialog.format.count())
        if dialog.format.model().item(i).isEnabled()
    ]
    offered = [name for name, check in dialog.groups.items() if check.isEnabled()]
    dialog.deleteLater()
    fmt = user.pick(formats)
    groups = [g for g in offered if user.chance(0.7)] or ["ids"]
    if fmt in ("npy", "projector") and "vectors" not in groups and user.chance(0.8):
        groups.append("vectors")  # the dialog checks it for these formats
    selected_only = bool(len(state.selection)) and user.chance(0.6)
    name = f"export-{int(user.rng.integers(4))}{FORMATS[fmt]}"
    path = user.folder / ("vectors.tsv" if fmt == "projector" else name)
    replace = user.chance(0.7)
    rows = state.selection.rows if selected_only else np.arange(corpus.n_rows)
    request = ExportRequest(path, fmt, selected_only, tuple(groups))
    before = getattr(window.curation, "last_export", None)
    on_disk = {p: _bytes(p) for p in destinations(path, fmt)}
    question = staticmethod(
        lambda *a, **k: QMessageBox.StandardButton.Yes if replace else QMessageBox.StandardButton.No
    )
    with answering(QMessageBox, "question", question):
        window.curation.export_rows(request)
    wait_idle(user)
    written = getattr(window.curation, "last_export", None)
    said = f"export {len(rows)} rows as {fmt} with {','.join(groups)} to {path.name}"
    if written is before:  # declined or refused: what was there is untouched
        touched = [p.name for p, data in on_disk.items() if _bytes(p) != data]
        if touched:
            raise SoakFailure(f"an export that was not made changed {touched}")
        return said + " (not written: " + (window.last_error or ("", "declined"))[1][:60] + ")"
    _check_export(written, fmt, groups, corpus, rows)
    return said


def _bytes(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


def _check_export(written: list[Path], fmt: str, groups, corpus, rows: np.ndarray) -> None:
    from embexplorer.core.io import read_corpus

    if fmt == "npy":
        vectors = np.load(written[0], allow_pickle=False)
    else:
        again = read_corpus(written[0])
        if again.n_rows != len(rows):
            raise SoakFailure(f"{written[0].name} reads back {again.n_rows} rows, not {len(rows)}")
        vectors = again.vectors
        exported_rows = again.columns.get("row") if "ids" in groups else None
        if exported_rows is not None and exported_rows.astype(int).tolist() != rows.tolist():
            raise SoakFailure(f"{written[0].name}: its 'row' column is not the rows exported")
    wants_vectors = "vectors" in groups or fmt in ("npy", "projector")
    if wants_vectors and (vectors is None or not np.array_equal(vectors, corpus.vectors[rows])):
        raise SoakFailure(f"{written[0].name}: the vectors read back are not those exported")


def save_session(user: User) -> str:
    window, doc = user.window, user.doc
    path = user.folder / f"session-{int(user.rng.integers(3))}.embx"
    window.last_error = None
    window.curation.save_session(str(path))
    if window.last_error is not None:
        return f"save the session: {window.last_error[1][:60]}"
    state = doc.selection
    user.sessions = [s for s in user.sessions if s.path != path]
    user.sessions.append(
        SavedSession(
            path=path,
            params=doc.analysis.params,
            selection=state.selection.rows.tolist(),
            tags=None if state.tags is None else [str(t) for t in state.tags],
            color_column=doc.color_column,
            focus_row=doc.focus_row,
            n_rows=doc.corpus.n_rows,
            has_result=doc.analysis.result is not None,
        )
    )
    return f"save the session to {path.name}"


def reopen_session(user: User) -> str:
    """Reopen a saved session: it shows what was saved, and recomputes no analysis."""
    if not user.sessions:
        return "reopen a session: none saved"
    saved = user.pick(user.sessions)
    started: list[str] = []
    runner = user.window.runner

    def note(channel: str, running: bool) -> None:
        if running:
            started.append(channel)

    runner.channel_busy.connect(note)
    try:
        user.window.open_path(saved.path)
        wait_idle(user)
    finally:
        runner.channel_busy.disconnect(note)
    if user.window.last_error is not None:
        raise SoakFailure(f"{saved.path.name} could not be reopened: {user.window.last_error[1]}")
    _check_restored(user, saved, started)
    return f"reopen {saved.path.name}"


def _check_restored(user: User, saved: SavedSession, started: list[str]) -> None:
    doc = user.doc
    state = doc.selection
    found = {
        "rows": doc.corpus.n_rows if doc.corpus is not None else None,
        "selection": state.selection.rows.tolist(),
        "tags": None if state.tags is None else [str(t) for t in state.tags],
        "colour": doc.color_column,
        "focus": doc.focus_row,
    }
    want = {
        "rows": saved.n_rows,
        "selection": saved.selection,
        "tags": saved.tags,
        "colour": saved.color_column,
        "focus": saved.focus_row,
    }
    if saved.has_result:
        found["params"], want["params"] = doc.analysis.params, saved.params
        found["recomputed"], want["recomputed"] = "analysis" in started, False
    wrong = {k: (found[k], want[k]) for k in want if found[k] != want[k]}
    if wrong:
        raise SoakFailure(f"{saved.path.name} reopened differently (found, saved): {wrong}")


def query(user: User) -> str:
    panel = user.window.query_panel
    if user.chance(0.15):
        panel.clear_button.click()
        return "Clear the query"
    text = user.pick(QUERIES)
    panel.field.clear()
    type_text(panel.field, text)
    if user.chance(0.3):
        panel.k.setValue(int(user.pick([1, 3, 10, 50])))
    if user.chance(0.5):
        QTest.keyClick(panel.field, Qt.Key.Key_Return)
    else:
        panel.search_button.click()
    return f"search by meaning for {text!r} (k = {panel.k.value()})"


# -- actions: docks and tabs --------------------------------------------------------------------
def switch_tab(user: User) -> str:
    """Click a tab of a dock group, or of the Analysis panel's results (when in front)."""
    window = user.window
    results = window.analysis_panel.result_tabs.tabBar()
    bars = [bar for bar in window.findChildren(QTabBar) if bar.isVisible() and bar.count()]
    bar = user.pick(bars) if bars else None
    if bar is None:
        return "switch tab: no tab bar shown"
    i = int(user.rng.integers(bar.count()))
    QTest.mouseClick(
        bar, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, bar.tabRect(i).center()
    )
    where = "Analysis results" if bar is results else "docks"
    return f"click the {bar.tabText(i)!r} tab ({where})"


def change_roles(user: User) -> str:
    panel = user.window.dataset_panel
    combo = user.pick([panel.text_combo, panel.label_combo])
    if combo.count() < 2:
        return "choose a column: none"
    index = int(user.rng.integers(combo.count()))
    combo.setCurrentIndex(index)
    combo.activated.emit(index)
    role = "text" if combo is panel.text_combo else "label"
    return f"{role} column = {combo.itemText(index)!r}"


def cancel_now(user: User) -> str:
    busy = user.window.runner.is_busy()
    return f"{_cancel(user, user.pick(['cancel', 'esc']))} ({'busy' if busy else 'idle'})"


#: (action, weight): how often a user does each.
ACTIONS: list[tuple[Callable[[User], str], float]] = [
    (open_file, 8),
    (change_parameter, 14),
    (neighbours_panel, 3),
    (embed_texts, 1),
    (click_point, 10),
    (hover_point, 3),
    (drag_select, 6),
    (pan_or_fit, 2),
    (toggle_overlay, 2),
    (color_by, 4),
    (edit_selection, 7),
    (select_other_ways, 5),
    (tag, 4),
    (export_rows, 4),
    (save_session, 3),
    (reopen_session, 3),
    (query, 3),
    (switch_tab, 4),
    (change_roles, 2),
    (cancel_now, 2),
    (relaunch, 2),
]


# -- the walk -----------------------------------------------------------------------------------
class Walk:
    """One seeded walk: a window, a user, and the checks after every action."""

    def __init__(
        self,
        seed: int,
        bot,
        folder: Path,
        corpora: dict[str, Path],
        actions: list[tuple[Callable[[User], str], float]] | None = None,
        journal: Path | None = None,
    ):
        """``journal``: a JSON Lines file that gets each action before it runs and after (the
        long run's record, which survives a crash)."""
        from embexplorer.core.state.recovery import data_dir

        self.seed = seed
        self.actions = actions or ACTIONS
        weights = np.array([w for _, w in self.actions], dtype=float)
        self.weights = weights / weights.sum()
        folder.mkdir(parents=True, exist_ok=True)
        self.user = User(
            window=None,
            rng=np.random.default_rng(seed),
            bot=bot,
            folder=folder,
            corpora=corpora,
            settings_path=folder / "embexplorer.ini",
        )
        self.reports = data_dir() / "reports"
        self.history: list[str] = []
        self.counts: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.stderr: Counter[str] = Counter()
        self.step = 0
        self.journal = journal
        new_window(self.user)

    def close(self) -> None:
        if self.user.window is not None:
            close_window(self.user.window)
            self.user.window = None

    def run(
        self, n_actions: int | None = None, until: float | None = None, log: Path | None = None
    ) -> None:
        """Do actions until ``n_actions`` are done or the clock passes ``until`` (stderr also
        kept in ``log``)."""
        from pytestqt.exceptions import capture_exceptions

        from embexplorer.gui.collector import GuiThreadCollector

        collector = GuiThreadCollector()  # as the app runs it (gui/app.py)
        try:
            with StderrWatch(log) as watch:
                while (n_actions is None or self.step < n_actions) and (
                    until is None or time.monotonic() < until
                ):
                    with capture_exceptions() as exceptions:
                        self.do_one(watch, exceptions)
        finally:
            collector.stop()
            collector.deleteLater()

    def do_one(self, watch: StderrWatch, exceptions: list) -> None:
        user = self.user
        index = int(user.rng.choice(len(self.actions), p=self.weights))
        action = self.actions[index][0]
        if user.doc.corpus is None and user.chance(0.6):
            action = open_file  # what a user does first
        self.step += 1
        self._note(action=action.__name__)
        reports = set(self._reports())
        user.window.last_error = None
        user.questions.clear()
        try:
            said = action(user)
            wait_idle(user)
        except Exception as exc:
            self.history.append(f"{self.step:5d} {action.__name__}{self._outcome()}")
            self.fail(f"{type(exc).__name__}: {exc}")
        self.history.append(f"{self.step:5d} {said}{self._outcome()}")
        self._note(did=self.history[-1][6:])
        self.counts[action.__name__] += 1
        problems = self._problems(watch, exceptions, reports)
        if problems:
            self.fail("\n".join(problems))

    def _note(self, **what) -> None:
        if self.journal is not None:
            with open(self.journal, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"seed": self.seed, "step": self.step, **what}) + "\n")

    def _outcome(self) -> str:
        window, said = self.user.window, ""
        if self.user.questions:
            said += " [" + "; ".join(self.user.questions) + "]"
        if window.last_error is not None:
            title, message, _ = window.last_error
            self.errors[title] += 1
            said += f" → {title}: {message[:90]}"
        for box in window.findChildren(QMessageBox):
            if box.isVisible():  # the user reads it and clicks OK
                box.button(QMessageBox.StandardButton.Ok).click()
        return said

    def _reports(self) -> list[Path]:
        return list(self.reports.glob("*")) if self.reports.exists() else []

    def _problems(self, watch: StderrWatch, exceptions: list, reports: set[Path]) -> list[str]:
        from pytestqt.exceptions import format_captured_exceptions

        from tests.gui.invariants import window_problems

        problems = [f"the window: {p}" for p in window_problems(self.user.window)]
        lines = watch.new_lines()
        self.stderr.update(line[:120] for line in lines if line not in NOISE)
        problems += [
            f"Qt called a Python override that failed: {e}"
            for e in override_errors("\n".join(lines))
        ]
        if exceptions:
            problems.append(
                "an exception in the event loop:\n" + format_captured_exceptions(exceptions)
            )
            exceptions.clear()
        for report in sorted(set(self._reports()) - reports):
            text = report.read_text(encoding="utf-8", errors="replace")
            problems.append(f"an unexpected error, reported in {report.name}:\n{text[-2000:]}")
        if any(q.startswith("unexpected question") for q in self.user.questions):
            problems.append(f"the window asked: {self.user.questions}")
        return problems

    def fail(self, what: str) -> None:
        shown = "\n".join(self.history[-HISTORY_SHOWN:])
        raise SoakFailure(
            f"soak seed {self.seed} failed at action {self.step}: {what}\n"
            f"the last actions:\n{shown}\n"
            f"replay: python -m tests.gui.soak --seed {self.seed} --actions {self.step}"
        )


def run_walk(seed: int, n_actions: int, bot, folder: Path, corpora: dict[str, Path]) -> Walk:
    """``n_actions`` actions of walk ``seed`` on a fresh window (closed at the end)."""
    walk = Walk(seed, bot, folder, corpora)
    try:
        walk.run(n_actions)
    finally:
        walk.close()
    return walk


# -- the long run ------------------------------------------------------------------------------
def rss_mb() -> float:
    """This process's resident memory (MB)."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class _Request:
    """What pytest-qt's QtBot reads from pytest's request object, outside pytest."""

    class config:  # pytest's attribute name
        @staticmethod
        def getini(name: str):
            return True  # qt_default_raising: a missed signal raises


def _private_home(home: Path) -> None:
    """Settings, caches and the data folder in ``home``; Qt offscreen (unless chosen)."""
    screen = Path(__file__).resolve().parents[1] / "offscreen_screen.json"
    platform = os.environ.get("EMBEXPLORER_TEST_QPA", "offscreen")
    os.environ["QT_QPA_PLATFORM"] = (
        f"offscreen:configfile={screen}" if platform == "offscreen" else platform
    )
    os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")
    os.environ["XDG_CONFIG_HOME"] = str(home / "config")
    os.environ["XDG_CACHE_HOME"] = str(home / "cache")
    os.environ["EMBEXPLORER_CACHE_DIR"] = str(home / "cache" / "embexplorer")
    os.environ["EMBEXPLORER_DATA_DIR"] = str(home / "data" / "embexplorer")


def _walk_in_this_process(args, home: Path, journal: Path) -> None:
    """The child: walks of ``args.walk`` actions, seeds from ``args.seed``, until the time or
    the action count is reached; each action and each memory sample go to ``journal``."""
    from pytestqt.qt_compat import qt_api
    from pytestqt.qtbot import QtBot

    qt_api.set_qt_api("pyside6")  # what the pytest plugin does at start-up
    stacks = open(home / f"stacks-{os.getpid()}.log", "w")  # noqa: SIM115 (open till exit)
    faulthandler.register(signal.SIGUSR1, file=stacks, all_threads=True)  # the supervisor's
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(home / "qt"))
    app = QApplication.instance() or QApplication([sys.argv[0]])
    bot = QtBot(_Request())
    corpora = write_corpora(home / "corpora")
    started = time.monotonic()
    until = None if args.minutes is None else started + args.minutes * 60
    log = home / f"stderr-{os.getpid()}.log"

    def write(record: dict) -> None:
        with open(journal, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")

    done, seed = 0, args.seed
    write({"sample": {"actions": 0, "rss_mb": round(rss_mb(), 1), "pid": os.getpid()}})
    while (args.actions is None or done < args.actions) and (
        until is None or time.monotonic() < until
    ):
        length = args.walk if args.actions is None else min(args.walk, args.actions - done)
        walk = Walk(seed, bot, home / f"walk-{seed}", corpora, journal=journal)
        failure = None
        try:
            while walk.step < length and (until is None or time.monotonic() < until):
                to_sample = args.rss_every - (done + walk.step) % args.rss_every
                walk.run(min(length, walk.step + to_sample), until, log)
                if (done + walk.step) % args.rss_every == 0:
                    app.processEvents()
                    gc.collect()  # closed windows are cycles of Python and Qt objects
                    sample = {
                        "actions": done + walk.step,
                        "seconds": round(time.monotonic() - started, 1),
                        "rss_mb": round(rss_mb(), 1),
                        "python_objects": len(gc.get_objects()),
                        "top_level_widgets": len(QApplication.topLevelWidgets()),
                        "window_objects": len(walk.user.window.findChildren(QObject)),
                    }
                    write({"sample": sample})
        except SoakFailure as exc:
            failure = str(exc)
            print(f"soak: FAILED\n{exc}", file=sys.stderr, flush=True)
        finally:
            walk.close()
        done += walk.step
        write(
            {
                "walk": seed,
                "actions": walk.step,
                "failure": failure,
                "counts": dict(walk.counts),
                "errors": dict(walk.errors),
                "stderr": dict(walk.stderr),
            }
        )
        seed += 1


def _memory_summary(curve: list[dict], warm_up: int) -> dict:
    """Start, after the warm-up, end, and the growth per 1,000 actions after the warm-up."""
    if len(curve) < 2:
        return {}
    after = [c for c in curve if c["actions"] >= warm_up] or curve[-1:]
    first, last = after[0], curve[-1]
    span = last["actions"] - first["actions"]
    summary = {
        "rss_start_mb": curve[0]["rss_mb"],
        "rss_after_warm_up_mb": first["rss_mb"],
        "warm_up_actions": first["actions"],
        "rss_end_mb": last["rss_mb"],
        "rss_peak_mb": max(c["rss_mb"] for c in curve),
    }
    if span:
        xs = np.array([c["actions"] for c in after], dtype=float)
        slope = np.polyfit(xs, np.array([c["rss_mb"] for c in after]), 1)[0]
        summary["growth_mb_per_1000_actions"] = round(
            (last["rss_mb"] - first["rss_mb"]) / span * 1000, 2
        )
        summary["growth_mb_per_1000_actions_fitted"] = round(float(slope) * 1000, 2)
    return summary


def _newest(home: Path, pattern: str) -> str:
    files = sorted(home.glob(pattern), key=lambda p: p.stat().st_mtime)
    return files[-1].read_text(errors="replace") if files else ""


def _read_journal(journal: Path) -> list[dict]:
    if not journal.exists():
        return []
    lines = journal.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


#: A child whose journal has not grown for this long hangs (an action may take 120 s).
STALL_S = 300


def _run_watched(command: list[str], journal: Path, home: Path) -> int | str:
    """Run the child; its return code, or "hang" when its journal stopped growing: then its
    Python stacks are written to ``stacks-<pid>.log`` (SIGUSR1) and it is killed."""
    import subprocess

    child = subprocess.Popen(command)
    last_size, last_change = -1, time.monotonic()
    while child.poll() is None:
        try:
            child.wait(timeout=min(10, STALL_S / 3))
        except subprocess.TimeoutExpired:
            size = journal.stat().st_size if journal.exists() else 0
            if size != last_size:
                last_size, last_change = size, time.monotonic()
            elif time.monotonic() - last_change > STALL_S:
                os.kill(child.pid, signal.SIGUSR1)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.wait(timeout=5)
                child.kill()
                child.wait()
                return "hang"
    return child.returncode


def _supervise(args, home: Path) -> dict:
    """Run the walks in child processes: a crash (SIGSEGV, abort) is recorded with its seed
    and step, and the run goes on with the next seed in a new process."""
    started = time.monotonic()
    until = None if args.minutes is None else started + args.minutes * 60
    seed, done, processes, crashes = args.seed, 0, [], []
    while (args.actions is None or done < args.actions) and (
        until is None or time.monotonic() < until - 5
    ):
        journal = home / f"journal-{len(processes)}.jsonl"
        command = [sys.executable, "-m", "tests.gui.soak", "--child", str(journal)]
        command += ["--seed", str(seed), "--walk", str(args.walk), "--home", str(home)]
        command += ["--rss-every", str(args.rss_every)]
        # each process its own data folder: a crashed one's autosave is not offered to the next
        os.environ["EMBEXPLORER_DATA_DIR"] = str(home / f"data-{len(processes)}" / "embexplorer")
        if until is not None:
            command += ["--minutes", f"{(until - time.monotonic()) / 60:.3f}"]
        if args.actions is not None:
            command += ["--actions", str(args.actions - done)]
        returncode = _run_watched(command, journal, home)
        records = _read_journal(journal)
        processes.append({"returncode": returncode, "records": records})
        steps = [r for r in records if "step" in r]
        done += sum(r["actions"] for r in records if "walk" in r)
        finished = {r["walk"] for r in records if "walk" in r}
        if returncode != 0 or (steps and steps[-1]["seed"] not in finished):
            last = steps[-1] if steps else {"seed": seed, "step": 0}
            steps = [r for r in steps if r["seed"] == last["seed"]]
            logs = sorted(home.glob("stderr-*.log"), key=lambda p: p.stat().st_mtime)
            lines = logs[-1].read_text(errors="replace").splitlines() if logs else []
            tail = "\n".join(line for line in lines if line not in NOISE)[-3000:]
            crashes.append(
                {
                    "seed": last["seed"],
                    "step": last["step"],
                    "returncode": returncode,
                    "last_actions": [
                        f"{r['step']:5d} {r.get('did') or r.get('action')}"
                        for r in steps[-HISTORY_SHOWN:]
                    ],
                    "stderr_tail": tail,
                    "stacks": _newest(home, "stacks-*.log")[-6000:] if returncode == "hang" else "",
                }
            )
            done += last["step"]
            seed = last["seed"] + 1
        else:
            break
    return _report(args, processes, crashes, time.monotonic() - started)


def _report(args, processes: list[dict], crashes: list[dict], seconds: float) -> dict:
    walks, counts, errors, stderr, curves = [], Counter(), Counter(), Counter(), []
    for process in processes:
        curve = [r["sample"] for r in process["records"] if "sample" in r]
        curves.append(curve)
        for record in process["records"]:
            if "walk" in record:
                walks.append({k: record[k] for k in ("walk", "actions", "failure") if k in record})
                counts.update(record["counts"])
                errors.update(record["errors"])
                stderr.update(record["stderr"])
    longest = max(curves, key=len) if curves else []
    return {
        "first_seed": args.seed,
        "minutes": round(seconds / 60, 1),
        "actions": sum(w["actions"] for w in walks) + sum(c["step"] for c in crashes),
        "processes": len(processes),
        "failures": [w for w in walks if w["failure"]],
        "crashes": crashes,
        "walks": walks,
        "memory": _memory_summary(longest, args.warm_up),
        "memory_curves": curves,
        "actions_by_kind": dict(counts.most_common()),
        "errors_shown_by_title": dict(errors.most_common()),
        "stderr_lines": dict(stderr.most_common(30)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1, help="the first walk's seed")
    parser.add_argument("--minutes", type=float, default=None, help="run this long")
    parser.add_argument("--actions", type=int, default=None, help="stop after this many")
    parser.add_argument("--walk", type=int, default=1000, help="actions per walk (seed)")
    parser.add_argument("--rss-every", type=int, default=50, help="actions between samples")
    parser.add_argument("--warm-up", type=int, default=500, help="actions before the baseline")
    parser.add_argument("--report", type=Path, default=None, help="write a JSON report here")
    parser.add_argument("--home", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.minutes is None and args.actions is None:
        args.actions = args.walk
    home = args.home or Path(tempfile.mkdtemp(prefix="embexplorer-soak-"))
    _private_home(home)
    if args.child is not None:
        _walk_in_this_process(args, home, args.child)
        return 0
    report = _supervise(args, home)
    if args.report is not None:
        args.report.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    summary = {k: report[k] for k in ("actions", "minutes", "processes", "memory")}
    print(json.dumps(summary, indent=1))
    failed = len(report["failures"]) + len(report["crashes"])
    print(f"soak: {report['actions']} actions, {failed} failures and crashes (in {home})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
