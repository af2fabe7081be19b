"""What the subcommands share: reader options, error reporting, a terminal progress line."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any, TextIO

from embexplorer.core.errors import InputError, NonFiniteRowsError
from embexplorer.core.io import ReadOptions, reader_names
from embexplorer.core.tasks import Progress


def add_read_options(parser: argparse.ArgumentParser, format_flag: str = "--format") -> None:
    """The reader's choices; ``format_flag`` names the input-format option (``export`` uses
    ``--input-format``, since its ``--format`` is the output's)."""
    group = parser.add_argument_group("reading the input")
    group.add_argument("--text-column", metavar="C", help="the column holding the texts")
    group.add_argument("--label-column", metavar="C", help="the column holding category labels")
    group.add_argument(
        "--vector-column",
        metavar="C",
        help="the vectors: a column of lists, a comma-separated list of numeric "
        "columns, or a glob such as 'dim_*'",
    )
    group.add_argument(
        format_flag,
        dest="input_format",
        choices=reader_names(),
        help="the input format, when its extension does not say",
    )
    group.add_argument(
        "--drop-nonfinite",
        action="store_true",
        help="drop rows whose vectors hold NaN or infinite values (by default "
        "such a file is refused, saying how many rows)",
    )


def read_options(args: argparse.Namespace) -> ReadOptions:
    return ReadOptions(
        text_column=args.text_column,
        label_column=args.label_column,
        vector_column=args.vector_column,
        format=args.input_format,
        nonfinite="drop" if args.drop_nonfinite else "refuse",
    )


def report_error(exc: Exception) -> int:
    """Print the same message the GUI shows; return the exit status (1)."""
    message = str(exc)
    if isinstance(exc, NonFiniteRowsError):
        message += " (pass --drop-nonfinite to drop them)"
    print(f"embexplorer: {message}", file=sys.stderr)
    return 1


def print_cache_warning(provenance: Mapping[str, Any]) -> None:
    """One ``embexplorer: warning:`` line when the cache was damaged or could not be written."""
    from embexplorer.core.embedding.embedding import cache_warning

    if (warning := cache_warning(provenance)) is not None:
        print(f"embexplorer: warning: {warning}", file=sys.stderr)


def run_reporting_errors(body: Callable[[], int]) -> int:
    """Run a command; no traceback ever reaches the user.

    Bad input is reported in its own words; anything else (a bug, MemoryError) as a short
    message naming the report file that holds the traceback (core.recovery). Exit status 1.
    """
    try:
        return body()
    except InputError as exc:
        return report_error(exc)
    except KeyboardInterrupt:
        print("embexplorer: interrupted", file=sys.stderr)
        return 130
    except (Exception, MemoryError, RecursionError) as exc:
        from embexplorer.core.state.recovery import unexpected_error_message, write_error_report

        report = write_error_report(exc, "command line")
        print(f"embexplorer: {unexpected_error_message(exc, report)}", file=sys.stderr)
        return 1


class TerminalProgress:
    """A one-line progress bar on a terminal; occasional plain lines when not a terminal."""

    def __init__(self, stream: TextIO | None = None, width: int = 30):
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = self.stream.isatty()
        self._last_print = 0.0
        self._last_line = ""

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        if now - self._last_print < (0.1 if self.tty else 2.0) and progress.fraction != 1.0:
            return
        self._last_print = now
        if progress.fraction is None:
            line = f"{progress.message}"
        else:
            filled = round(progress.fraction * self.width)
            bar = "#" * filled + "-" * (self.width - filled)
            line = f"[{bar}] {progress.fraction:4.0%} {progress.message}"
        if self.tty:
            self.stream.write("\r" + line.ljust(len(self._last_line)))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
        self._last_line = line

    def done(self) -> None:
        if self.tty and self._last_line:
            self.stream.write("\n")
            self.stream.flush()
        self._last_line = ""
