"""Start the GUI: the application object, the window, and the --screenshot mode."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from embexplorer.core.io import ReadOptions
from embexplorer.core.resources import app_icon_path, demo_corpus_path
from embexplorer.gui.platform_check import window_problem


def run_gui(
    path: str | Path | None,
    options: ReadOptions,
    screenshot: Path | None = None,
    timeout_s: float = 600.0,
    query: str | None = None,
    inspect: str | None = None,
    reset_settings: bool = False,
) -> int:
    """Open the window on ``path`` (the demo corpus when None); return the exit status.

    ``reset_settings`` moves the saved settings aside first (``--reset-settings``)."""
    problem = window_problem(allow_offscreen=screenshot is not None)
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    from PySide6.QtWidgets import QApplication

    from embexplorer.gui.main_window import MainWindow
    from embexplorer.gui.settings import app_settings
    from embexplorer.gui.settings import reset_settings as move_settings_aside

    app = QApplication.instance() or QApplication([sys.argv[0]])
    set_identity(app)
    from embexplorer.gui.collector import GuiThreadCollector

    collector = GuiThreadCollector(app)  # cycles are freed between events, on this thread
    from embexplorer.gui.worker import share_the_gil_promptly

    share_the_gil_promptly()
    from embexplorer.gui.crash import ExceptionHook, start_crash_logging

    reset_note = move_settings_aside(app_settings()) if reset_settings else ""
    window = MainWindow()
    hook = ExceptionHook(window.show_error)
    hook.install()
    crash_log = start_crash_logging(window.show_error)
    if reset_note:
        window.add_settings_note(reset_note)
    if window.settings_note:
        print(f"embexplorer: {window.settings_note}", file=sys.stderr)
    window.show()
    collector.freeze_survivors()  # the window and the modules: out of every later collection
    collector.warm_up()  # the analysis stack, imported and frozen before a corpus needs it
    if os.environ.get("EMBEXPLORER_REPORT_START"):
        _report_first_map(window)
    if query:
        _run_query_when_drawn(window, query)
    if inspect is not None:
        _inspect_when_drawn(window, inspect)
    if screenshot is not None:
        ready = window.document.pipeline_finished
        if query:
            ready = window.document.query_changed
        elif inspect is not None:
            ready = window.document.analysis.inspected
        _arm_screenshot(app, window, screenshot, timeout_s, ready)
    if screenshot is not None or not window.offer_recovery():
        window.open_path(path if path is not None else demo_corpus_path(), options)
    status = app.exec()
    collector.stop()
    if crash_log is not None:
        crash_log.close()  # a clean exit: nothing to report next time
    hook.uninstall()
    return status


def set_identity(app) -> None:
    """Name, desktop entry and icon of the application (every window shows the icon)."""
    from PySide6.QtGui import QIcon

    app.setApplicationName("embexplorer")
    app.setOrganizationName("embexplorer")
    app.setDesktopFileName("embexplorer")  # Wayland finds the icon through embexplorer.desktop
    app.setWindowIcon(QIcon(str(app_icon_path())))


def seconds_since_launch() -> float | None:
    """How long this process has run (Linux, 10 ms resolution); None elsewhere."""
    try:
        stat = Path("/proc/self/stat").read_text().rpartition(")")[2].split()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return uptime - int(stat[19]) / os.sysconf("SC_CLK_TCK")


def _report_first_map(window) -> None:
    """``EMBEXPLORER_REPORT_START=1``: print when the first map has been painted (read by
    ``packaging/measure_start.py``): the seconds since launch, the CPU time the process has
    used (on a loaded machine the first is stretched, the second hardly) and the wall clock."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    viewport = window.plot_panel.view.viewport()

    def report() -> None:
        since = seconds_since_launch()
        since_text = "" if since is None else f" {since:.2f} s after launch"
        cpu = sum(os.times()[:2])  # user + system, all threads: what a busy machine stretches
        print(
            f"embexplorer: first map painted{since_text}, {cpu:.2f} s of CPU "
            f"(at {time.time():.3f})",
            flush=True,
        )

    class FirstPaint(QObject):
        def eventFilter(self, watched, event) -> bool:
            if event.type() == QEvent.Type.Paint and window.document.map_data is not None:
                viewport.removeEventFilter(self)
                QTimer.singleShot(0, report)  # after this paint has been done
            return False

    watcher = FirstPaint(window)
    viewport.installEventFilter(watcher)


def _run_query_when_drawn(window, text: str) -> None:
    def run() -> None:
        window.document.pipeline_finished.disconnect(run)
        window.query_panel.field.setText(text)
        window.document.query(text, window.query_panel.k.value())

    window.document.pipeline_finished.connect(run)


def _row_of_id(ids, wanted: str) -> int:
    """The first row whose id reads ``wanted``, or -1; an analysed dataset's ids are searched
    in its files (10M ids: no list of 10M strings)."""
    from embexplorer.core.io.analysed_dataset import LazyColumn

    if isinstance(ids, LazyColumn):
        return ids.index_of(wanted)
    texts = [str(i) for i in ids]
    return texts.index(wanted) if wanted in texts else -1


def _inspect_when_drawn(window, wanted: str) -> None:
    def run() -> None:
        window.document.pipeline_finished.disconnect(run)
        ids = window.document.corpus.ids
        found = _row_of_id(ids, wanted)
        if found >= 0:
            row = found
        elif wanted.isdigit() and int(wanted) < len(ids):
            row = int(wanted)
        else:
            window.document.failed.emit("Inspect", f"No row with the id {wanted!r}.", "")
            return
        window.neighbors_dock.raise_()
        window.document.set_focus(row)

    window.document.pipeline_finished.connect(run)


def _arm_screenshot(app, window, out: Path, timeout_s: float, ready) -> None:
    """Save the window once the pipeline is done, then quit (1 on error or timeout)."""
    from PySide6.QtCore import QTimer

    def refuse(error) -> bool:  # nobody is there to answer: refuse, say why, exit 1
        fail("", str(error))
        return False

    window.confirm_drop_nonfinite = refuse
    window.confirm_model = refuse

    def save() -> None:
        app.processEvents()
        window.map_views.transition.stop()  # the points where the map has them, not mid-glide
        window.plot_panel.view.refresh()
        if not window.grab().save(str(out)):
            print(f"embexplorer: could not write {out}", file=sys.stderr)
            app.exit(1)
            return
        print(f"saved {out}")
        app.exit(0)

    def fail(title: str, message: str, details: str = "") -> None:
        print(f"embexplorer: {message}", file=sys.stderr)
        app.exit(1)

    def timed_out() -> None:
        print(
            f"embexplorer: the pipeline did not finish within {timeout_s:.0f} s; "
            "no screenshot saved",
            file=sys.stderr,
        )
        app.exit(1)

    saved: list[bool] = []

    def when_ready(*args) -> None:
        if saved or (args and args[0] is None):  # once; a cleared inspection is not a result
            return
        saved.append(True)
        QTimer.singleShot(50, save)

    ready.connect(when_ready)
    window.document.failed.connect(fail)
    window.document.query_failed.connect(lambda message: fail("", message))
    window.runner.failed.connect(fail)
    QTimer.singleShot(int(timeout_s * 1000), timed_out)
