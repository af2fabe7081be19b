"""Python's cycle collector runs only from the GUI thread's event loop, never in between.

Left automatic, the collector runs wherever an allocation crosses its threshold: on a worker
thread (which must not destroy widgets), or in the middle of a Qt call that holds one of Qt's
internal locks. The soak test's long run hung that way: a signal disconnect asked Shiboken for
a Python override, the lookup allocated, the collector freed a closed window's widgets, and
their ``~QObject`` waited for the lock the disconnect held. pyqtgraph gives the same advice
(``pyqtgraph.util.garbage_collector``). Reference counting still frees everything that is not
in a cycle at once; only cycles wait for the next tick.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

#: How often the collector looks at the allocation counts (ms).
INTERVAL_MS = 1_000


class GuiThreadCollector(QObject):
    """Turns automatic collection off and collects on a timer of the GUI thread, by the same
    thresholds Python uses; :meth:`stop` turns it back on."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS):
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self, interval=interval_ms)
        self._timer.timeout.connect(self.collect)
        self._timer.start()

    def collect(self) -> int:
        """Collect the oldest generation whose count passed its threshold (as Python would
        have); the number of objects found unreachable."""
        thresholds, counts = gc.get_threshold(), gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                return gc.collect(generation)
        return 0

    def freeze_survivors(self) -> None:
        """Collect once, then leave every object alive now out of later collections
        (``gc.freeze``): the modules, classes and the window, which live for the session. A
        full collection on the GUI thread walked them all each time: ~30 ms per 100,000
        objects here, and the app holds a few hundred thousand once the analysis has run."""
        gc.collect()
        gc.freeze()

    def stop(self) -> None:
        self._timer.stop()
        gc.unfreeze()
        if self._was_enabled:
            gc.enable()
