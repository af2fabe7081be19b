"""The progress / cancel protocol shared by every long computation.

A long computation is a generator function: it ``yield``\\ s :class:`Progress` between chunks of
work and ``return``\\ s its result. Whoever drives it (the GUI worker thread, the CLI, a test)
cancels it by no longer iterating and calling ``close()``: the generator stops at its current
``yield``, i.e. between two chunks, and its ``finally`` blocks run. Core code therefore never
needs a Qt object or a cancel flag (superqt's ``GeneratorWorker`` and Orange's ``TaskState``
follow the same idea).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a task is: ``fraction`` in [0, 1] (or ``None`` when unknown) and a message."""

    fraction: float | None
    message: str = ""


Task = Generator[Progress, None, T]


def run_task(task: Task[T], on_progress: Callable[[Progress], Any] | None = None) -> T:
    """Drive ``task`` to completion on the calling thread and return its result."""
    try:
        while True:
            progress = next(task)
            if on_progress is not None:
                on_progress(progress)
    except StopIteration as stop:
        return stop.value


def scaled(task: Task[T], start: float, stop: float, prefix: str = "") -> Task[T]:
    """Re-yield ``task``'s progress mapped into ``[start, stop]``; return its result.

    Lets one task run several sub-tasks and report one overall fraction.
    """
    try:
        while True:
            progress = next(task)
            frac = None if progress.fraction is None else start + (stop - start) * progress.fraction
            msg = f"{prefix}{progress.message}" if prefix else progress.message
            yield Progress(frac, msg)
    except StopIteration as stop_:
        return stop_.value
    finally:
        task.close()


def chunk_ranges(n: int, chunk: int) -> list[tuple[int, int]]:
    """``[(0, chunk), (chunk, 2*chunk), ...]`` covering ``range(n)``."""
    chunk = max(1, int(chunk))
    return [(lo, min(lo + chunk, n)) for lo in range(0, n, chunk)]


_DONE = object()


def call_in_thread_task(
    fn: Callable[[Callable[[float | None, str], bool]], T],
    message: str = "Working",
    poll_s: float = 0.2,
) -> Task[T]:
    """Run a blocking library call that reports through callbacks, as a cancellable task.

    ``fn(report)`` runs in a helper thread; ``report(fraction, message)`` forwards progress
    and returns True once the task has been closed (cancelled), so a library callback can
    return it to stop (openTSNE) or raise (see ``Cancelled``). The task yields at least every
    ``poll_s`` seconds, so whoever drives it can cancel it between library callbacks too; the
    helper thread then stops at the library's next callback.
    """
    import queue
    import threading

    messages: queue.Queue = queue.Queue()
    cancelled = threading.Event()
    outcome: dict[str, Any] = {}

    def report(fraction: float | None, text: str) -> bool:
        messages.put(Progress(fraction, text))
        return cancelled.is_set()

    def target() -> None:
        try:
            outcome["value"] = fn(report)
        except BaseException as exc:
            outcome["error"] = exc
        finally:
            messages.put(_DONE)

    threading.Thread(target=target, name=message, daemon=True).start()
    try:
        while True:
            try:
                item = messages.get(timeout=poll_s)
            except queue.Empty:
                yield Progress(None, message)
                continue
            if item is _DONE:
                break
            yield item
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]
    finally:
        cancelled.set()


class Cancelled(Exception):
    """Raised inside a library callback to abandon the call after the task was cancelled."""
