"""``python -m embexplorer``, and the standalone app's entry point (``packaging/launcher.py``).

A frozen app needs two things before anything else runs: its numba cache settings
(``embexplorer/frozen.py``) and ``multiprocessing.freeze_support()``: a child process of
``core/child_process.py`` is the app's own executable started again, and this call runs the
child's work there and exits.
"""

import multiprocessing
import sys

from embexplorer.frozen import prepare


def run() -> None:
    prepare()
    multiprocessing.freeze_support()  # a frozen child process does its work here and exits
    from embexplorer.cli import main

    sys.exit(main())


if __name__ == "__main__":
    run()
