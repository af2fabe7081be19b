"""What a new map is coloured by without being told: a categorical label column, else the
clusters, named from the rows' words (issue 11, part 2)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from embexplorer.core.io import ReadOptions
from embexplorer.gui.main_window import MainWindow
from embexplorer.gui.plot.colormap import CATEGORY_HEX, _hex_rgba

TIMEOUT = 60_000


@pytest.fixture
def window(qtbot, tmp_path):
    w = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()


def _open(qtbot, window, path, options=None):
    with qtbot.waitSignal(window.document.pipeline_finished, timeout=TIMEOUT):
        window.open_path(path, options)


def _projector_words(folder, n_per=40, k=3):
    """A Projector pair: k far-apart blobs, one distinct word per row (no text column)."""
    rng = np.random.default_rng(0)
    truth = np.repeat(np.arange(k), n_per)
    vectors = np.eye(k, 12)[truth] * 30 + rng.normal(size=(len(truth), 12))
    words = [f"{('river', 'music', 'gold')[t]}{i}" for i, t in enumerate(truth)]
    np.savetxt(folder / "vectors.tsv", vectors, delimiter="\t", fmt="%.5f")
    (folder / "metadata.tsv").write_text("\n".join(words) + "\n", encoding="utf-8")
    return folder / "vectors.tsv", truth


def test_a_word_column_colours_by_named_clusters(qtbot, window, tmp_path):
    path, _ = _projector_words(tmp_path)
    _open(qtbot, window, path)
    doc = window.document
    assert doc.corpus.label_column is not None  # a word column: too many values to colour by
    assert doc.color_column == "cluster" and doc.colors.column == "cluster"
    names = [label for label, _ in doc.colors.entries]
    assert len(names) == len(doc.analysis.result.clusters.sizes)
    assert not any(name.startswith("cluster ") for name in names)
    clustering = doc.analysis.result.clusters
    words = doc.corpus.labels
    for c in np.unique(clustering.labels):  # each name's words come from its own cluster
        members = set(words[clustering.labels == c])
        assert set(clustering.label_text(int(c)).split(", ")) <= members
    first = window.plot_panel.view.colors.rgba()[clustering.labels == 0][0]
    assert tuple(first) == _hex_rgba(CATEGORY_HEX[0])  # cluster 0: the first colour


def test_a_categorical_label_column_colours_the_map(qtbot, window, tmp_path):
    digits = np.random.default_rng(1).permutation(np.repeat(np.arange(10), 6))
    vectors = np.random.default_rng(2).normal(size=(60, 8)) + digits[:, None]
    header = "label," + ",".join(f"px_{i}" for i in range(8))
    np.savetxt(
        tmp_path / "digits.csv",
        np.column_stack([digits, vectors]),
        delimiter=",",
        header=header,
        comments="",
        fmt=["%d"] + ["%.5f"] * 8,
    )
    _open(qtbot, window, tmp_path / "digits.csv")
    assert window.document.color_column == "label"
    assert window.plot_panel.legend.labels() == [f"{d}  (6)" for d in range(10)]


def test_a_named_label_column_is_used_as_told(qtbot, window, tmp_path):
    path, _ = _projector_words(tmp_path)
    _open(qtbot, window, path, ReadOptions(label_column="label"))
    assert window.document.color_column == "label"
