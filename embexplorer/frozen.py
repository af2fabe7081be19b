"""What the standalone (PyInstaller) app sets up before anything else runs: numba's cache.

umap-learn, pynndescent and our kernels (``core/analysis/hamming.py``, ``sweep.py``) compile
with numba's ``cache=True``. In a frozen app numba would cache into ``~/.cache/numba`` under a
folder named after the *current directory*: PyInstaller stores the code's file names relative
(``umap/umap_.py``), numba turns them into absolute paths from wherever the app was started,
and so the first UMAP compiles again (about a minute) in every new folder. Instead the cache
goes to ``NUMBA_CACHE_DIR``, by default ``numba`` beside the embedding cache in the user's cache
folder, through :class:`BundleCacheLocator`: numba's locator for that folder, given the file's
real path in the bundle (``packaging/embexplorer.spec`` keeps those packages' ``.py`` files).
numba keys each entry by a hash of the executable, which holds all the app's code: a new build
never loads an old build's machine code. A user's own ``NUMBA_CACHE_DIR`` or
``NUMBA_CACHE_LOCATOR_CLASSES`` is kept. (numba 0.68 reads that list; a numba without it
ignores the variable and caches as described first.)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: numba's locators, in order: ours, then numba's own user-wide folder as a fallback (never the
#: in-tree one, which would write inside the app's folder)
LOCATORS = "embexplorer.frozen.BundleCacheLocator,UserWideCacheLocator"


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def numba_cache_dir() -> Path:
    """``numba`` beside the embedding cache, in the user's cache folder."""
    from embexplorer.core.embedding.embedding_cache import default_cache_dir

    return default_cache_dir().parent / "numba"


def prepare() -> None:
    """In the frozen app: numba's cache settings (before numba is imported)."""
    if not is_frozen():
        return
    os.environ.setdefault("NUMBA_CACHE_DIR", str(numba_cache_dir()))
    os.environ.setdefault("NUMBA_CACHE_LOCATOR_CLASSES", LOCATORS)


def bundle_path(py_file: str) -> str:
    """A code file name as PyInstaller stores it (relative) → its path in the bundle."""
    if os.path.isabs(py_file) or not hasattr(sys, "_MEIPASS"):
        return py_file
    return os.path.join(sys._MEIPASS, py_file)


_LOCATOR: list[type] = []


def _make_locator() -> type:
    from numba.core.caching import UserProvidedCacheLocator

    class BundleCacheLocator(UserProvidedCacheLocator):
        """numba's ``NUMBA_CACHE_DIR`` locator, for a function of the bundle's packages."""

        @classmethod
        def from_function(cls, py_func, py_file):
            return super().from_function(py_func, bundle_path(py_file))

    BundleCacheLocator.__module__ = __name__
    return BundleCacheLocator


def __getattr__(name: str):
    """``BundleCacheLocator`` is made on first use (numba imports it by name when it caches
    its first function), so that importing this module does not import numba."""
    if name == "BundleCacheLocator":
        if not _LOCATOR:
            _LOCATOR.append(_make_locator())
        return _LOCATOR[0]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
