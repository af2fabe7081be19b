"""The Qt-free engine of embexplorer: numpy, scikit-learn, pyarrow and onnxruntime only.

Nothing in this package may import PySide6 or pyqtgraph (enforced by import-linter and by
``tests/core/test_qt_free.py``), so every function here runs in the CLI, in tests without a
display, and in batch jobs.
"""
