"""The standalone app's entry script (PyInstaller runs it as ``__main__``): embexplorer's own
``python -m embexplorer``, which prepares a frozen run (freeze_support, numba's cache)."""

from embexplorer.__main__ import run

if __name__ == "__main__":
    run()
