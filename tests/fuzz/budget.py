"""Run a reader on an untrusted file and say what came of it: a result, an InputError, or
(by letting it propagate) anything else, with the peak memory it took.

The property every fuzz test checks is "a correct result or a clear InputError, never another
exception, and never more than ``MEMORY_FACTOR`` × the file's size (plus
``MEMORY_FLOOR_BYTES``) in memory".

Memory is measured twice over, since no one tool sees it all: ``tracemalloc`` sees Python
objects and numpy's buffers (numpy reports its allocations to it), and a proxy of pyarrow's
memory pool, installed as the default pool for the call, sees Arrow's buffers (the CSV and
Parquet readers). The two peaks are added, which can only overstate the real peak.

Why these bounds:

- ``MEMORY_FACTOR`` = 64. Text formats legitimately grow when parsed: ``0,`` (2 bytes) in a
  CSV becomes an 8-byte Arrow value, its numpy copy, a column stack and the float32 vectors;
  ``0.0,`` in JSON Lines becomes a 24-byte Python float plus an 8-byte list slot before numpy
  sees it. Measured on valid files of 3,000 rows × 64 dimensions: CSV/TSV 3× (random
  floats) to 9× (0 and 1), CSV with a list column 6-12×, JSON Lines 3-11×, ``.npy`` 3.4×,
  Parquet 5×. A reader that trusts a size in a header, inflates a member or goes quadratic
  goes far past 64× (a zip bomb inflates 1000:1; a lying ``.npy`` header, without limit).
  Compressed formats (``.npz``, sessions, Parquet) may legitimately decode to more than 64×
  (Parquet of 0/1 vectors measured 80×, since it compresses 20:1): what they decode to is
  bounded instead by the inflate budget of core.io.limits, held within the floor here.
- ``MEMORY_FLOOR_BYTES`` = 24 MiB, for the fixed costs of a read whatever the file's size:
  pyarrow's first CSV block buffer (1 MiB) and thread-local buffers, a 1 MiB read chunk for
  hashing, and what the limits let any compressed file decode to regardless of its size,
  lowered for these tests to :data:`SCALED_INFLATE_FLOOR` (4 MiB: held two or three times,
  as the decoded data, its float32 copy and the non-finite check), instead of the real
  2 GiB floor that a test cannot afford to exercise.
"""

from __future__ import annotations

import ctypes
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from embexplorer.core.errors import InputError

MEMORY_FACTOR = 64
MEMORY_FLOOR_BYTES = 24 << 20

#: The limits of core.io.limits as these tests set them: the same rules, at sizes a test can
#: reach in a few milliseconds (the real floor lets any archive inflate to 2 GiB).
SCALED_INFLATE_FLOOR = 4 << 20
SCALED_RATIO_FREE = 1 << 20


@dataclass
class Outcome:
    """What a call on an untrusted file gave: its result, or the InputError's message."""

    result: Any
    error: str | None
    peak_bytes: int

    @property
    def ok(self) -> bool:
        return self.error is None


def measured(call: Callable[[], Any]) -> Outcome:
    """Run ``call``; an :class:`InputError` is caught and its message kept, anything else
    propagates (that is the bug a fuzz test reports)."""
    import pyarrow as pa

    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    parent = pa.default_memory_pool()
    pool = pa.proxy_memory_pool(parent)
    pa.set_memory_pool(pool)
    result, error = None, None
    try:
        result = call()
    except InputError as exc:
        error = str(exc) or type(exc).__name__
        # Nothing may keep the frames (and the buffers they hold) past the pool's life.
        exc.__traceback__ = None
        del exc
    finally:
        pa.set_memory_pool(parent)
        python_peak = tracemalloc.get_traced_memory()[1] - before
        if started:
            tracemalloc.stop()
        _keep_alive(pool)
    return Outcome(result, error, python_peak + pool.max_memory())


_POOLS: list[Any] = []


def _keep_alive(pool: Any) -> None:
    """A proxy pool must outlive every Arrow buffer it gave out: freeing one through a
    destroyed proxy crashes the interpreter, even a buffer of 0 bytes (which the pool's
    count does not show) held by a result or an exception's frames. So no proxy is ever
    destroyed: one reference is kept forever, even past the interpreter's shutdown (a few
    hundred bytes each, one per call)."""
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(pool))
    _POOLS.append(pool)


def check_memory(outcome: Outcome, file_bytes: int, what: str) -> None:
    """Fail when the call took more than ``MEMORY_FACTOR`` × ``file_bytes`` + the floor."""
    allowed = MEMORY_FACTOR * file_bytes + MEMORY_FLOOR_BYTES
    assert outcome.peak_bytes <= allowed, (
        f"{what}: peak {outcome.peak_bytes:,} bytes for a {file_bytes:,}-byte input "
        f"(allowed {allowed:,} = {MEMORY_FACTOR} × size + {MEMORY_FLOOR_BYTES:,})"
    )
