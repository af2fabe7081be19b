"""Giving freed memory back to the system between the stages of a large analysis."""

from __future__ import annotations

import contextlib
import ctypes
import sys


def return_freed_memory() -> None:
    """Return the heap pages glibc keeps after ``free`` (a no-op elsewhere).

    glibc keeps freed small and mid-sized allocations for reuse (its mmap threshold rises to
    32 MB after the first large array is freed). At 1M rows that is ~0.2 GB after faiss's
    inverted lists (thousands of ~50 KB allocations) are freed, and tens of MB after each
    stage's scoring blocks; kept, it sits under every later large array and raises the peak.
    ``malloc_trim(0)`` returns it (milliseconds). macOS, Windows and musl have no such call.
    """
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):  # no glibc (musl): nothing to trim
        ctypes.CDLL(None).malloc_trim(0)
