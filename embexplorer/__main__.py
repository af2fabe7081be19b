"""``python -m embexplorer``, and the standalone app's entry point (``packaging/launcher.py``).

A frozen app needs two things before anything else runs: ``multiprocessing.freeze_support()``
(a child process of ``core/child_process.py`` is the app's own executable started again; this
call runs the child's work there and exits) and a writable folder for numba's cache (umap-learn,
pynndescent and our kernels compile with ``cache=True``; next to their sources, inside the app's
folder, may be read-only), set through ``NUMBA_CACHE_DIR`` before numba is imported.
"""

import multiprocessing
import os
import sys
from pathlib import Path


def numba_cache_dir() -> Path:
    """``numba`` beside the embedding cache, in the user's cache folder."""
    from embexplorer.core.embedding.embedding_cache import default_cache_dir

    return default_cache_dir().parent / "numba"


def prepare_frozen() -> None:
    """In the frozen app: numba's cache goes to the user's cache folder (a user's value wins)."""
    if getattr(sys, "frozen", False) and "NUMBA_CACHE_DIR" not in os.environ:
        os.environ["NUMBA_CACHE_DIR"] = str(numba_cache_dir())


def run() -> None:
    prepare_frozen()
    multiprocessing.freeze_support()  # a frozen child process does its work here and exits
    from embexplorer.cli import main

    sys.exit(main())


if __name__ == "__main__":
    run()
