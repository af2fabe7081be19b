"""The background worker: results, progress, errors, cancel, stale results dropped."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from embexplorer.core.errors import InputError
from embexplorer.core.tasks import Progress
from embexplorer.gui.worker import BACKGROUND_NICE, TaskRunner, compute_threads_in_background


@pytest.fixture
def runner(qtbot):
    r = TaskRunner()
    yield r
    assert r.shutdown(5000)


def _quick(value):
    yield Progress(0.5, "half")
    return value


def _gated(gate: threading.Event, started: threading.Event, closed: list):
    """Yields until `gate` is set; records whether it was closed (cancelled)."""
    try:
        started.set()
        while not gate.wait(0.01):
            yield Progress(None, "waiting")
        return "finished"
    finally:
        closed.append(True)


def test_result_arrives_on_the_gui_thread(qtbot, runner):
    results, threads = [], []

    def done(value):
        results.append(value)
        threads.append(threading.current_thread())

    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.submit("a", lambda: _quick(42), done, title="quick")
    assert results == [42] and threads == [threading.main_thread()]
    assert not runner.is_busy()


def test_errors_are_reported_with_message_and_details(qtbot, runner):
    def broken():
        yield Progress(0.1)
        raise InputError("the file is bad")

    with qtbot.waitSignal(runner.failed, timeout=5000) as blocker:
        runner.submit("a", broken, lambda _: None, title="Loading")
    title, message, details = blocker.args
    assert (title, message) == ("Loading", "the file is bad")
    assert "Traceback" in details and "InputError" in details


def test_cancel_stops_between_chunks_and_drops_result(qtbot, runner):
    gate, started, closed, results = threading.Event(), threading.Event(), [], []
    runner.submit("a", lambda: _gated(gate, started, closed), results.append, title="slow")
    assert started.wait(5)
    with qtbot.waitSignal(runner.busy_changed, timeout=5000) as blocker:
        runner.cancel("a")
    assert blocker.args == [False]
    qtbot.waitUntil(lambda: closed == [True], timeout=2000)  # generator closed within 1 s
    gate.set()
    assert results == []


def test_superseded_request_is_dropped(qtbot, runner):
    gate, started, closed, results = threading.Event(), threading.Event(), [], []
    runner.submit("a", lambda: _gated(gate, started, closed), results.append, title="old")
    assert started.wait(5)
    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.submit("a", lambda: _quick("new"), results.append, title="new")
    gate.set()
    qtbot.waitUntil(lambda: closed == [True], timeout=2000)
    assert results == ["new"]


def test_progress_is_reported(qtbot, runner):
    with qtbot.waitSignal(
        runner.progress, timeout=5000, check_params_cb=lambda title, p: p.message == "half"
    ):
        runner.submit("a", lambda: _quick(1), lambda _: None, title="t")


def test_shutdown_cancels_and_joins(qtbot):
    r = TaskRunner()
    gate, started, closed = threading.Event(), threading.Event(), []
    r.submit("a", lambda: _gated(gate, started, closed), lambda _: None, title="slow")
    assert started.wait(5)
    assert r.shutdown(5000)
    assert closed == [True]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_jobs_and_the_blas_threads_run_below_the_gui_thread(qtbot, runner):
    """The GUI thread gets a core whenever it has work: the workers' threads and the BLAS
    pools they wake run at a lower priority; the GUI thread and Qt's own threads do not."""
    seen: list[int] = []

    def job():
        yield Progress(None, "measuring")
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.submit("nice", job, seen.append, title="nice")
    assert seen == [BACKGROUND_NICE]
    gui = threading.main_thread().native_id
    before = os.getpriority(os.PRIO_PROCESS, gui)
    np.ones((300, 300)) @ np.ones((300, 300))  # the BLAS pool exists
    lowered = compute_threads_in_background()
    assert gui not in lowered and os.getpriority(os.PRIO_PROCESS, gui) == before
    tasks = Path("/proc/self/task")
    own_name = (tasks / str(gui) / "comm").read_text()
    for tid in os.listdir(tasks):
        try:
            same_name = (tasks / tid / "comm").read_text() == own_name
            nice = os.getpriority(os.PRIO_PROCESS, int(tid))
        except OSError:  # ended meanwhile
            continue
        if int(tid) != gui and same_name:
            assert nice >= BACKGROUND_NICE, tid
