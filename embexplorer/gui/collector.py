"""Python's cycle collector runs only from the GUI thread's event loop, never in between.

Left automatic, the collector runs wherever an allocation crosses its threshold: on a worker
thread (which must not destroy widgets), or in the middle of a Qt call that holds one of Qt's
internal locks. The soak test's long run hung that way: a signal disconnect asked Shiboken for
a Python override, the lookup allocated, the collector freed a closed window's widgets, and
their ``~QObject`` waited for the lock the disconnect held. pyqtgraph gives the same advice
(``pyqtgraph.util.garbage_collector``). Reference counting still frees everything that is not
in a cycle at once; only cycles wait for the next tick.

A full collection walks every object not frozen, ~60 ms per 100,000 here; the analysis stack
(scikit-learn, SciPy, pyarrow, faiss: ~1,400 modules) brings ~100,000 long-lived objects. So
the app imports that stack on a thread once the window is shown (:meth:`warm_up`) and freezes
it with the window (:func:`gc.freeze`); a full collection during a 200,000-row analysis then
walks the data's objects only, not the libraries' (80 ms → a few). The imports' own long holds
of the GIL (a compiled module's initialisation) happen then too, not in the middle of a
corpus's first analysis.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import threading

from PySide6.QtCore import QObject, QTimer, Signal

from embexplorer.gui.worker import compute_threads_in_background, run_in_background

#: How often the collector looks at the allocation counts (ms).
INTERVAL_MS = 1_000

#: The modules the analysis of a corpus imports on first use (measured: the modules new in
#: ``sys.modules`` after a first 200,000-row analysis); each pulls in its libraries.
WARM_UP_MODULES = (
    "embexplorer.core.analysis.stages",
    "embexplorer.core.analysis.ann",
    "embexplorer.core.analysis.clusters",
    "embexplorer.core.analysis.hubness",
    "embexplorer.core.analysis.keywords",
    "embexplorer.core.analysis.layouts",
    "embexplorer.core.analysis.quality",
    "embexplorer.core.analysis.reduction_comparison",
    "embexplorer.core.io.delimited",
    "embexplorer.core.io.jsonl",
    "embexplorer.core.io.npy",
    "embexplorer.core.io.vector_columns",
    "embexplorer.core.memory",
    "embexplorer.core.state.embedding_sources",
    "faiss",
    "pyarrow.parquet",
    "scipy.linalg",
    "scipy.ndimage",
    "scipy.sparse",
    "scipy.spatial",
    "sklearn.cluster",
    "sklearn.decomposition",
    "sklearn.feature_extraction.text",
)


class GuiThreadCollector(QObject):
    """Turns automatic collection off and collects on a timer of the GUI thread, by the same
    thresholds Python uses; :meth:`stop` turns it back on."""

    #: :meth:`warm_up`'s imports are done and frozen (emitted on the GUI thread)
    warmed_up = Signal()
    _imported = Signal()

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS):
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self, interval=interval_ms)
        self._timer.timeout.connect(self.collect)
        self._timer.start()
        self._imported.connect(self._freeze_imports)  # queued: emitted on the import thread

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

    def warm_up(self, modules: tuple[str, ...] = WARM_UP_MODULES) -> threading.Thread:
        """Import ``modules`` on a thread (one that fails to import is left to fail where it
        is used, with its message there), then freeze what they brought: :attr:`warmed_up`."""

        def run() -> None:
            run_in_background()
            for name in modules:
                with contextlib.suppress(Exception):  # reported where the analysis needs it
                    importlib.import_module(name)
            compute_threads_in_background()  # the BLAS / OpenMP pools they made
            with contextlib.suppress(RuntimeError):  # the app closed first: no collector
                self._imported.emit()

        thread = threading.Thread(target=run, name="warm-up imports", daemon=True)
        thread.start()
        return thread

    def _freeze_imports(self) -> None:
        """Out of later collections: everything alive now. Only the young generations are
        collected first (a few ms; a full collection here is the 80 ms stall this avoids): a
        cycle that died in the seconds since :meth:`freeze_survivors` and already reached the
        oldest generation would stay allocated (none at the app's start: a full collection
        there finds nothing, measured with the window open)."""
        gc.collect(1)
        gc.freeze()
        self.warmed_up.emit()

    def stop(self) -> None:
        self._timer.stop()
        gc.unfreeze()
        if self._was_enabled:
            gc.enable()
