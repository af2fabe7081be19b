"""Tests run headless: Qt's offscreen platform, settings in a temporary folder.

``EMBEXPLORER_TEST_QPA=xcb`` (under ``xvfb-run -a``) runs them on a real X display instead:
some crashes happen only when a real platform paints (.ci/run does both)."""

from __future__ import annotations

import os
from pathlib import Path

# Qt's offscreen platform, with a 1920 × 1080 screen (its default is 800 × 800, narrower than
# the window's minimum width), unless the run chooses another platform.
_SCREEN = Path(__file__).with_name("offscreen_screen.json")
_PLATFORM = os.environ.get("EMBEXPLORER_TEST_QPA", "offscreen")
os.environ["QT_QPA_PLATFORM"] = (
    f"offscreen:configfile={_SCREEN}" if _PLATFORM == "offscreen" else _PLATFORM
)
os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")

import numpy as np  # noqa: E402 (after the Qt platform is set)
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _private_settings(tmp_path_factory, monkeypatch):
    """Keep QSettings, the embedding cache and the data folder out of the user's home."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("EMBEXPLORER_CACHE_DIR", str(home / "cache" / "embexplorer"))
    monkeypatch.setenv("EMBEXPLORER_DATA_DIR", str(home / "data" / "embexplorer"))
    try:
        from PySide6.QtCore import QSettings
    except ImportError:  # core-only environments
        return
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(home / "qt"))


@pytest.fixture
def small_corpus_data():
    """30 rows in 3 well separated groups, 8 dims, with texts, labels and a numeric column."""
    rng = np.random.default_rng(0)
    centers = np.eye(8, dtype=np.float32)[:3] * 10
    labels = np.repeat(["alpha", "beta", "gamma"], 10)
    vectors = (centers[np.repeat(np.arange(3), 10)] + rng.normal(0, 0.5, (30, 8))).astype(
        np.float32
    )
    texts = [f"text number {i} about {label} ünïcode ✓" for i, label in enumerate(labels)]
    score = np.linspace(0.0, 1.0, 30)
    return {"vectors": vectors, "labels": labels, "texts": texts, "score": score}
