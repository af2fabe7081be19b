"""Cycles are collected on the GUI thread's event loop only (embexplorer.gui.collector)."""

from __future__ import annotations

import gc
import importlib
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


def test_objects_alive_at_start_leave_the_collections_later_cycles_are_still_freed():
    collector = GuiThreadCollector(interval_ms=60_000)
    try:
        long_lived = [[] for _ in range(1000)]
        collector.freeze_survivors()
        assert gc.get_freeze_count() >= len(long_lived)
        before = len(gc.get_objects(generation=2))
        freed_on: list[str] = []
        _Cycle(freed_on)  # garbage made after the freeze: still freed
        gc.collect()
        assert freed_on == [threading.current_thread().name]
        assert len(gc.get_objects(generation=2)) <= before + 10  # the frozen are not walked
    finally:
        collector.stop()
    assert gc.get_freeze_count() == 0 and gc.isenabled()


def test_warm_up_imports_on_a_thread_then_freezes_what_is_alive(qtbot, monkeypatch):
    """The analysis stack is imported before a corpus needs it and left out of later full
    collections; a module that fails to import does not stop the others."""
    import sys

    name = "tabnanny"  # a standard module nothing here imports
    sys.modules.pop(name, None)
    collector = GuiThreadCollector(interval_ms=60_000)
    try:
        alive = [[] for _ in range(1000)]
        threads: list[str] = []
        real_import = importlib.import_module

        def import_module(module: str):
            threads.append(threading.current_thread().name)
            return real_import(module)

        monkeypatch.setattr(importlib, "import_module", import_module)
        with qtbot.waitSignal(collector.warmed_up, timeout=30_000):
            collector.warm_up(("no_such_module_here", name))
        assert name in sys.modules
        assert threads and threading.main_thread().name not in threads
        tracked = {id(o) for o in gc.get_objects()}
        assert not any(id(o) in tracked for o in alive)  # frozen: no collection walks them
        freed_on: list[str] = []
        _Cycle(freed_on)  # garbage made after the freeze: still freed, on this thread
        gc.collect()
        assert freed_on == [threading.current_thread().name]
    finally:
        collector.stop()
    assert gc.get_freeze_count() == 0
