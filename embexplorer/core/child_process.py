"""Run a library call that cannot yield (and may hold the GIL) in a child process, as a task.

The worker thread polls the child and yields progress meanwhile, so the GUI stays live; closing
the task (Cancel) terminates the child at once. The function and its arguments travel by pickle
between our own processes (never a user file). Use it for calls such as scikit-learn's HDBSCAN,
which holds the GIL for seconds.
"""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Callable
from typing import Any

from embexplorer.core.tasks import Progress, Task

POLL_S = 0.1


def _child_main(conn, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
    try:
        conn.send((True, fn(*args, **kwargs)))
    except BaseException as exc:  # report everything, the parent decides
        conn.send((False, _picklable_failure(exc)))
    finally:
        conn.close()


def _picklable_failure(exc: BaseException) -> tuple[BaseException, str]:
    """(the exception, its traceback), the exception replaced by a RuntimeError naming it
    when it cannot be pickled."""
    import pickle

    details = traceback.format_exc()
    try:
        pickle.dumps(exc)
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}"), details
    return exc, details


class ChildProcessFailed(RuntimeError):
    """The child process failed; the message carries its traceback."""


def child_process_task(
    fn: Callable[..., Any], *args: Any, message: str = "Working", **kwargs: Any
) -> Task[Any]:
    """``fn(*args, **kwargs)`` in a fresh process (spawn); cancellable at any moment."""
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child_main, args=(send, fn, args, kwargs), daemon=True)
    process.start()
    send.close()
    try:
        while True:
            if receive.poll(POLL_S):
                ok, payload = receive.recv()
                process.join()
                if ok:
                    return payload
                exc, details = payload
                raise exc from ChildProcessFailed(details)
            if not process.is_alive():
                raise ChildProcessFailed(
                    f"{message}: the child process ended unexpectedly "
                    f"(exit code {process.exitcode})."
                )
            yield Progress(None, message)
    finally:
        if process.is_alive():
            process.terminate()
            process.join(5)
        receive.close()


#: Seconds a cancelled call is given to stop at its next ``report`` before its process is
#: terminated (and its compiled code lost with it).
STOP_GRACE_S = 1.0
#: Fewest seconds between two progress messages the child sends.
CHILD_PROGRESS_S = 0.05


def _resident_main(conn) -> None:
    """The resident child's loop: one call at a time, ``fn(report, *args, **kwargs)``."""
    import time

    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        if request == "cancel":  # a cancel that crossed the call's end: nothing to stop
            continue
        fn, args, kwargs = request
        state = {"cancelled": False, "last": 0.0}

        def report(fraction: float | None, text: str, state=state) -> bool:
            while conn.poll():
                if conn.recv() == "cancel":
                    state["cancelled"] = True
            now = time.monotonic()
            if now - state["last"] >= CHILD_PROGRESS_S:
                conn.send(("progress", fraction, text))
                state["last"] = now
            return state["cancelled"]

        try:
            conn.send(("done", fn(report, *args, **kwargs)))
        except BaseException as exc:  # report everything, the parent decides
            conn.send(("failed", *_picklable_failure(exc)))


class ResidentChild:
    """A child process kept for the session, that runs one call at a time as a task.

    For library calls that hold the GIL in native code for long stretches *and* compile on
    first use: umap-learn's numba functions take ~20 s to compile, and the compiler holds the
    GIL for up to 200 ms at a time, so in our process the window froze that long (issue 11
    part 8). Here neither the compiler nor the optimiser shares our GIL, and the compiled code
    stays in the child for the next call. ``fn(report, *args)`` reports like
    :func:`~embexplorer.core.tasks.call_in_thread_task`'s functions: ``report`` returns True
    once the task is cancelled, and the call should stop; if it does not within
    ``STOP_GRACE_S``, the child is terminated (the next call starts a fresh one).
    """

    def __init__(self, name: str):
        self.name = name
        self._process = None
        self._conn = None
        import threading

        self._lock = threading.Lock()  # one call at a time; a cancelled one ends first
        #: how the last cancelled call ended: "stopped" (at a report), "finished" (before
        #: it saw the cancel) or "terminated" (with the child)
        self.last_cancel: str | None = None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def _ensure_started(self):
        if self._process is None or not self._process.is_alive():
            self._stop()
            ctx = multiprocessing.get_context("spawn")
            here, there = ctx.Pipe(duplex=True)
            process = ctx.Process(target=_resident_main, args=(there,), name=self.name, daemon=True)
            process.start()
            there.close()
            self._process, self._conn = process, here
        return self._process, self._conn

    def _stop(self) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if process is not None and process.is_alive():
            process.terminate()
            process.join(5)
        if conn is not None:
            conn.close()

    def shutdown(self) -> None:
        """Terminate the child (it is started again by the next call)."""
        with self._lock:
            self._stop()

    def task(self, fn: Callable[..., Any], *args: Any, message: str = "Working") -> Task[Any]:
        """``fn(report, *args)`` in the child, as a task that yields its progress."""
        while not self._lock.acquire(timeout=POLL_S):  # a cancelled call still stopping
            yield Progress(None, f"{message}: waiting for the previous run to stop")
        ended = False
        try:
            process, conn = self._ensure_started()
            try:
                conn.send((fn, args, {}))
            except OSError as exc:  # the child died before reading it (e.g. at its start)
                ended = True
                process.join(5)
                self._stop()
                raise ChildProcessFailed(
                    f"{message}: the child process ended unexpectedly "
                    f"(exit code {process.exitcode})."
                ) from exc
            while True:
                if conn.poll(POLL_S):
                    kind, *payload = conn.recv()
                    if kind == "progress":
                        yield Progress(*payload)
                        continue
                    ended = True
                    if kind == "done":
                        return payload[0]
                    exc, details = payload
                    raise exc from ChildProcessFailed(details)
                if not process.is_alive():
                    ended = True
                    self._stop()
                    raise ChildProcessFailed(
                        f"{message}: the child process ended unexpectedly "
                        f"(exit code {process.exitcode})."
                    )
                yield Progress(None, message)
        finally:
            try:
                if not ended:  # cancelled (or the parent failed) mid-call
                    self._cancel_running()
            finally:
                self._lock.release()

    def _cancel_running(self) -> None:
        """Ask the call to stop and wait for its end; terminate the child if it does not."""
        conn = self._conn
        if conn is None:
            return
        try:
            conn.send("cancel")
            import time

            deadline = time.monotonic() + STOP_GRACE_S
            while (left := deadline - time.monotonic()) > 0:
                if not conn.poll(left):
                    break
                kind, *_ = conn.recv()
                if kind != "progress":  # done, or failed with the Cancelled it raised
                    self.last_cancel = "finished" if kind == "done" else "stopped"
                    return
        except (EOFError, OSError):
            pass
        self.last_cancel = "terminated"
        self._stop()
