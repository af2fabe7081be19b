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
        try:
            conn.send((False, (exc, traceback.format_exc())))
        except Exception:  # the exception itself cannot be pickled
            conn.send(
                (False, (RuntimeError(f"{type(exc).__name__}: {exc}"), traceback.format_exc()))
            )
    finally:
        conn.close()


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
