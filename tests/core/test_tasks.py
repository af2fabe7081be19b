from __future__ import annotations

from embexplorer.core.tasks import Progress, chunk_ranges, run_task, scaled


def _count(n):
    for i in range(n):
        yield Progress((i + 1) / n, f"step {i}")
    return n * 10


def test_run_task_returns_result_and_reports():
    seen = []
    assert run_task(_count(4), seen.append) == 40
    assert [p.fraction for p in seen] == [0.25, 0.5, 0.75, 1.0]


def test_scaled_maps_fractions():
    seen = []
    assert run_task(scaled(_count(2), 0.5, 1.0, "B: "), seen.append) == 20
    assert [p.fraction for p in seen] == [0.75, 1.0]
    assert seen[0].message == "B: step 0"


def test_closing_scaled_closes_inner():
    closed = []

    def inner():
        try:
            yield Progress(0.1)
            yield Progress(0.2)
        finally:
            closed.append(True)

    outer = scaled(inner(), 0, 1)
    next(outer)
    outer.close()
    assert closed == [True]


def test_chunk_ranges_cover_everything():
    assert chunk_ranges(5, 2) == [(0, 2), (2, 4), (4, 5)]
    assert chunk_ranges(0, 3) == []
