"""Freed heap memory is given back to the system (glibc keeps it otherwise)."""

from __future__ import annotations

import sys

import pytest

from embexplorer.core.memory import return_freed_memory


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_freed_small_allocations_are_returned():
    # 80 MB in 25 KB blocks (below glibc's mmap threshold: they come from the heap, as faiss's
    # inverted lists do), with a small block above them that pins the heap's top
    blocks = [bytearray(25_000) for _ in range(3200)]
    for b in blocks:
        b[::4096] = b"\x01" * len(b[::4096])  # touch every page
    pin = bytearray(1000)
    del blocks
    kept = _rss_mb()
    return_freed_memory()
    assert _rss_mb() < kept - 50
    assert len(pin) == 1000
