"""The published hubness figures on DEXTER (Feldbauer & Flexer, 2019; scikit-hubness's docs):
k = 5, cosine: skewness 4.22 on the raw lists and 0.805 after exact Gaussian mutual proximity.

The data (tests/data/dexter, with its attribution) is the training part that scikit-hubness
0.21.2 ships, read here from its sparse ``column:value`` format. Its 300 rows are projected
onto their 300-dimensional row space (X = Rᵀ Qᵀ with Xᵀ = QR): every dot product, so every
cosine distance, is kept, and the vectors are 300 wide instead of 20,000.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from embexplorer.core.analysis.hub_reduction import reduce_hubness_task
from embexplorer.core.analysis.hubness import hubness
from embexplorer.core.analysis.neighbors import knn_graph_task
from embexplorer.core.tasks import run_task

DEXTER = Path(__file__).resolve().parent.parent / "data" / "dexter"


def read_sparse(path: Path, n_columns: int = 20_000) -> np.ndarray:
    """Rows of ``column:value`` pairs (columns from 1) as a dense float64 matrix."""
    lines = gzip.decompress(path.read_bytes()).decode("ascii").splitlines()
    x = np.zeros((len(lines), n_columns))
    for row, line in enumerate(lines):
        for pair in line.split():
            column, value = pair.split(":")
            x[row, int(column) - 1] = float(value)
    return x


@pytest.fixture(scope="module")
def dexter() -> np.ndarray:
    x = read_sparse(DEXTER / "dexter_train.data.gz")
    assert x.shape == (300, 20_000)
    r = np.linalg.qr(x.T, mode="r")  # Xᵀ = QR, so X·Xᵀ = Rᵀ·R
    projected = r.T
    np.testing.assert_allclose(projected @ projected.T, x @ x.T, rtol=1e-9, atol=1e-6)
    return projected.astype(np.float32)


def test_raw_skewness_is_the_published_4_22(dexter):
    knn = run_task(knn_graph_task(dexter, 5, "cosine"))
    assert round(hubness(knn.indices, len(dexter)).skewness, 2) == 4.22


def test_exact_gaussian_mutual_proximity_gives_the_published_0_805(dexter):
    knn = run_task(knn_graph_task(dexter, 15, "cosine"))
    reduced = run_task(reduce_hubness_task(dexter, knn, 5, "mp", variant="gaussian"))
    assert reduced.exact and reduced.params["candidates"] == 299
    assert round(hubness(reduced.indices, len(dexter)).skewness, 3) == 0.805
