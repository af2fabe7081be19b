"""Errors whose message is meant for the user, word for word."""

from __future__ import annotations


class InputError(ValueError):
    """Bad input: the message says what is wrong and, where possible, how to fix it.

    The GUI shows ``str(error)`` in the window and the CLI prints it and exits non-zero, so
    the message must make sense on its own (name the file, the line, the column).
    """


class NonFiniteRowsError(InputError):
    """The vectors hold NaN or infinite values; the user decides whether to drop those rows."""

    def __init__(self, message: str, *, n_rows: int, total_rows: int, first_rows: list[int]):
        super().__init__(message)
        self.n_rows = n_rows
        self.total_rows = total_rows
        self.first_rows = first_rows
