"""No traceback reaches the user of the window, and a crash is never silent.

- An exception raised on the GUI thread (in a slot or an event handler; PySide6 hands it to
  ``sys.excepthook``) or in a plain Python thread becomes a message in the window naming the
  report file with its traceback (core.recovery). The window stays usable.
- A fatal crash of the interpreter is logged by faulthandler into the user data folder; the
  next start says where that log is.

Installed by :func:`embexplorer.gui.app.run_gui` only: under pytest, pytest-qt's own hook must
stay in place so that an exception in a slot fails the test.
"""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import QObject, Signal

from embexplorer.core.state.recovery import (
    CrashLog,
    acknowledge_crash,
    crashes_left_behind,
    start_crash_log,
    unexpected_error_message,
    write_error_report,
)

Show = Callable[[str, str, str], None]


class _Relay(QObject):
    """Carries a report from any thread to the GUI thread (a queued signal)."""

    reported = Signal(str, str, str)


class ExceptionHook:
    """``sys.excepthook`` and ``threading.excepthook`` that report instead of printing only."""

    def __init__(self, show: Show):
        self._relay = _Relay()
        self._relay.reported.connect(show)
        self._previous = (sys.excepthook, threading.excepthook)

    def install(self) -> None:
        sys.excepthook = self
        threading.excepthook = self._thread_hook

    def uninstall(self) -> None:
        sys.excepthook, threading.excepthook = self._previous

    def __call__(
        self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            self._previous[0](kind, exc, tb)
            return
        details = "".join(traceback.format_exception(kind, exc, tb))
        print(details, file=sys.stderr, end="")  # for whoever started it from a terminal
        report = write_error_report(exc, "the window")
        self._relay.reported.emit(
            "Unexpected error", unexpected_error_message(exc, report), details
        )

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            self(args.exc_type, args.exc_value, args.exc_traceback)


def start_crash_logging(show: Show) -> CrashLog | None:
    """Log a fatal crash of this run; show what an earlier run's crash left behind."""
    for path in crashes_left_behind():
        try:
            kept = acknowledge_crash(path)
        except OSError:
            kept = path
        show(
            "embexplorer crashed last time",
            f"The previous run ended with a fatal error. Its log was saved to {kept}.",
            "",
        )
    return start_crash_log()
