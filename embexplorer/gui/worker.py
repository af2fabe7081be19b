"""Run core tasks (generators yielding Progress) on background threads.

Why not superqt's ``GeneratorWorker``: we need the generator *closed* on cancel (so its
``finally`` blocks run at once, not at garbage collection), throttled progress, and per-channel
request numbers so that results of a superseded request are dropped (ndv's ``_current_gen``,
Orange's ``concurrent.py``). That is ~150 lines on ``QThreadPool``; wrapping superqt would not
be shorter.

Each job belongs to a *channel* ("load", "project", "filter", …). Submitting a job on a channel
cancels that channel's running job; its result, if it still arrives, is dropped.
"""

from __future__ import annotations

import itertools
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot

from embexplorer.core.errors import InputError
from embexplorer.core.tasks import Progress, Task

#: Minimum seconds between two progress signals of one job (the GUI needs no more than ~20/s).
PROGRESS_INTERVAL_S = 0.05
#: How long a thread waiting for the GIL lets the holder run before asking it to let go
#: (Python's default is 5 ms). Each numpy call of the GUI thread can let go of the GIL, and
#: each time it waits that long to get it back while a worker computes in Python: a redraw's
#: few dozen numpy calls took 50-150 ms at 200,000 points during the analysis instead of 5-20.
GIL_SWITCH_S = 0.0001

#: The nice value of the threads that compute in the background (Linux; 0 is the default,
#: 19 the lowest priority). On a machine with every core busy with the worker's BLAS, the GUI
#: thread's own 20 ms of drawing took 60-80 ms; at a lower priority the workers give it a core
#: whenever it has work, and lose nothing while it has none.
BACKGROUND_NICE = 10


def share_the_gil_promptly() -> None:
    """Make waiting for the GIL short (``GIL_SWITCH_S``), for the GUI thread's sake; the
    workers pay for it only while another thread waits."""
    import sys

    sys.setswitchinterval(GIL_SWITCH_S)


def _can_renice_threads() -> bool:
    import os
    import sys

    return sys.platform.startswith("linux") and hasattr(os, "setpriority")


def run_in_background(thread_id: int | None = None) -> None:
    """Lower the CPU priority of one thread (the caller by default; ``thread_id`` is a Linux
    thread id) to :data:`BACKGROUND_NICE`, for good: a process may not raise it again. Linux
    only (elsewhere the priority applies to the whole process); a refusal changes nothing."""
    import os

    if not _can_renice_threads():
        return
    tid = threading.get_native_id() if thread_id is None else thread_id
    try:
        if os.getpriority(os.PRIO_PROCESS, tid) < BACKGROUND_NICE:
            os.setpriority(os.PRIO_PROCESS, tid, BACKGROUND_NICE)
    except OSError:  # the thread ended, or a sandbox refuses
        pass


def compute_threads_in_background() -> list[int]:
    """Every thread of the process but the GUI thread that is not one of Qt's (Qt names
    its threads; BLAS and OpenMP pools, made when their library loads, carry the process's
    name) runs at :data:`BACKGROUND_NICE`: the BLAS threads a worker's matrix product wakes
    would otherwise take the GUI thread's core. Returns the thread ids lowered."""
    import os

    if not _can_renice_threads():
        return []
    from pathlib import Path

    gui = threading.main_thread().native_id
    tasks = Path("/proc/self/task")
    try:
        own_name = (tasks / str(gui) / "comm").read_text().strip()
        entries = os.listdir(tasks)
    except OSError:  # no /proc
        return []
    lowered = []
    for entry in entries:
        try:
            if int(entry) == gui or (tasks / entry / "comm").read_text().strip() != own_name:
                continue
        except OSError:  # the thread ended while listed
            continue
        run_in_background(int(entry))
        lowered.append(int(entry))
    return lowered


class _JobSignals(QObject):
    progress = Signal(int, object)
    succeeded = Signal(int, object)
    failed = Signal(int, object, str)
    cancelled = Signal(int)


class _Job:
    """One job; the pool runs its ``run`` method.

    Not a QRunnable subclass: the pool owns such a runnable, and Shiboken then kept about one
    job in thirty alive after it ran, with the corpus and results its task holds (the soak's
    memory curve grew ~90 MB per 1,000 actions). A plain callable given to the pool is freed.
    """

    def __init__(self, job_id: int, factory: Callable[[], Task[Any]], signals: _JobSignals):
        self.job_id = job_id
        self._factory = factory
        self.signals = signals
        self.cancel_event = threading.Event()

    def run(self) -> None:
        run_in_background()  # the GUI thread first, whenever it has work
        try:
            outcome = self._drive()
        except Exception as exc:  # reported to the GUI, never raised in the pool thread
            self.signals.failed.emit(self.job_id, exc, traceback.format_exc())
            return
        if outcome is _CANCELLED:
            self.signals.cancelled.emit(self.job_id)
        else:
            self.signals.succeeded.emit(self.job_id, outcome)

    def _drive(self) -> Any:
        task = self._factory()
        last_emit, last_key = 0.0, None
        try:
            while True:
                if self.cancel_event.is_set():
                    return _CANCELLED
                try:
                    progress = next(task)
                except StopIteration as stop:
                    return stop.value
                key = (
                    None if progress.fraction is None else round(progress.fraction * 100),
                    progress.message,
                )
                now = time.monotonic()
                if key != last_key and now - last_emit >= PROGRESS_INTERVAL_S:
                    self.signals.progress.emit(self.job_id, progress)
                    last_emit, last_key = now, key
        finally:
            task.close()


_CANCELLED = object()


@dataclass
class _Record:
    channel: str
    title: str
    job: _Job
    on_done: Callable[[Any], None]
    on_error: Callable[[Exception, str], None] | None


class TaskRunner(QObject):
    """Owns a thread pool; runs tasks, reports progress, drops stale results."""

    #: (title, Progress) of the most recently started job that is still running
    progress = Signal(str, object)
    #: True while any job runs
    busy_changed = Signal(bool)
    #: (title, message, details) of a job that failed and had no error handler
    failed = Signal(str, str, str)
    #: a job's result was applied (channel)
    finished = Signal(str)
    #: (channel, running): a channel's job started, or ended in any way
    channel_busy = Signal(str, bool)

    def __init__(self, parent: QObject | None = None, max_threads: int = 2):
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._ids = itertools.count(1)
        self._jobs: dict[int, _Record] = {}
        self._current: dict[str, int] = {}
        self._last_busy = False
        self._signals = _JobSignals(self)
        self._signals.progress.connect(self._on_progress)
        self._signals.succeeded.connect(self._on_succeeded)
        self._signals.failed.connect(self._on_failed)
        self._signals.cancelled.connect(self._on_cancelled)

    def submit(
        self,
        channel: str,
        factory: Callable[[], Task[Any]],
        on_done: Callable[[Any], None],
        *,
        title: str,
        on_error: Callable[[Exception, str], None] | None = None,
    ) -> int:
        """Run ``factory()``'s task on a worker thread; call ``on_done(result)`` on this thread.

        The generator is created on the worker thread, so heavy set-up inside it is off the
        GUI thread too.
        """
        self.cancel(channel)
        job_id = next(self._ids)
        job = _Job(job_id, factory, self._signals)
        self._jobs[job_id] = _Record(channel, title, job, on_done, on_error)
        self._current[channel] = job_id
        self._pool.start(job.run)
        self.channel_busy.emit(channel, True)
        self.progress.emit(title, Progress(None, "Starting…"))
        self._emit_state()
        return job_id

    def cancel(self, channel: str | None = None) -> None:
        """Cancel the job of ``channel`` (all jobs when None); their results will be dropped."""
        channels = list(self._current) if channel is None else [channel]
        for name in channels:
            job_id = self._current.pop(name, None)
            if job_id is not None and job_id in self._jobs:
                self._jobs[job_id].job.cancel_event.set()
            if job_id is not None:
                self.channel_busy.emit(name, False)
        self._emit_state()

    def is_busy(self, channel: str | None = None) -> bool:
        if channel is None:
            return bool(self._current)
        return channel in self._current

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Cancel everything and wait for the threads to stop (on window close)."""
        self.cancel()
        return self._pool.waitForDone(timeout_ms)

    def _record(self, job_id: int) -> _Record | None:
        record = self._jobs.get(job_id)
        if record is None or self._current.get(record.channel) != job_id:
            return None  # superseded or cancelled: drop
        return record

    @Slot(int, object)
    def _on_progress(self, job_id: int, progress: Progress) -> None:
        record = self._record(job_id)
        if record is not None:
            self.progress.emit(record.title, progress)

    @Slot(int, object)
    def _on_succeeded(self, job_id: int, result: Any) -> None:
        record = self._finish(job_id)
        if record is not None:
            try:
                record.on_done(result)
            except Exception as exc:
                self._report(record, exc, traceback.format_exc())
            self.finished.emit(record.channel)
        self._emit_state()

    @Slot(int, object, str)
    def _on_failed(self, job_id: int, exc: Exception, details: str) -> None:
        record = self._finish(job_id)
        if record is not None:
            self._report(record, exc, details)
        self._emit_state()

    @Slot(int)
    def _on_cancelled(self, job_id: int) -> None:
        self._finish(job_id)
        self._emit_state()

    def _finish(self, job_id: int) -> _Record | None:
        record = self._record(job_id)
        self._jobs.pop(job_id, None)
        if record is not None:
            del self._current[record.channel]
            self.channel_busy.emit(record.channel, False)
        return record

    def _report(self, record: _Record, exc: Exception, details: str) -> None:
        if record.on_error is not None:
            record.on_error(exc, details)
        else:
            self.failed.emit(record.title, error_message(exc), details)

    def _emit_state(self) -> None:
        busy = self.is_busy()
        if busy != self._last_busy:
            self._last_busy = busy
            self.busy_changed.emit(busy)


def error_message(exc: Exception) -> str:
    """The message to show: an InputError's own words; anything else is unexpected, so its
    traceback goes to a report file that the message names (core.recovery)."""
    if isinstance(exc, InputError):
        return str(exc)
    from embexplorer.core.state.recovery import unexpected_error_message, write_error_report

    return unexpected_error_message(exc, write_error_report(exc, "a background job"))
