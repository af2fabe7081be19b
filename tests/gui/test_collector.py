"""Cycles are collected on the GUI thread's event loop only (embexplorer.gui.collector)."""

from __future__ import annotations

import gc
import threading

from embexplorer.gui.collector import GuiThreadCollector


class _Cycle:
    """Garbage in a reference cycle that says on which thread it was freed."""

    def __init__(self, freed_on: list[str]):
        self.me, self.freed_on = self, freed_on

    def __del__(self):
        self.freed_on.append(threading.current_thread().name)


def test_a_cycle_made_on_a_worker_is_freed_on_the_gui_thread(qtbot):
    """A worker's allocations would have run the collector on the worker, freeing whatever
    cycles there were (widgets included) there."""
    freed_on: list[str] = []
    kept: list[list] = []

    def work() -> None:
        _Cycle(freed_on)  # garbage at once, in a cycle
        kept.extend([] for _ in range(20_000))  # allocations past the collector's threshold

    collector = GuiThreadCollector(interval_ms=10)
    try:
        assert not gc.isenabled()
        worker = threading.Thread(target=work, name="worker")
        worker.start()
        worker.join()
        assert freed_on == []
        qtbot.waitUntil(lambda: bool(freed_on), timeout=5_000)
        assert freed_on == [threading.main_thread().name]
    finally:
        collector.stop()
    assert gc.isenabled()
