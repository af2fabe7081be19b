"""Fuzz the session loader: a damaged ``.embx`` is restored into a state the window can show
(every length, row number and value checked here, independently of the loader), or refused
with an InputError naming it; never another exception, never more than the memory budget."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from embexplorer.core.tasks import run_task
from tests.fuzz import sessions
from tests.fuzz.checks import checked, written
from tests.fuzz.conftest import examples

pytestmark = pytest.mark.fuzz


@pytest.fixture(scope="module")
def seed_folder(tmp_path_factory):
    return tmp_path_factory.mktemp("seeds")


@pytest.fixture(scope="module")
def seeds(seed_folder):
    return sessions.save_seeds(seed_folder)


@pytest.fixture(autouse=True)
def _in_seed_folder(seed_folder, monkeypatch):
    """The seeds name their sources relative to their folder (see sessions.save_seeds)."""
    monkeypatch.chdir(seed_folder)


def _restore(path):
    from embexplorer.core.state.session_file import restore_task

    return run_task(restore_task(path))


def _load(seed: sessions.Seed, data: bytes, root):
    """Load and restore ``data`` as a session; check the property for both."""
    from embexplorer.core.state.session_file import load_session

    with written({"s.embx": data}, root) as folder:
        path = folder / "s.embx"
        files = {"s.embx": data}
        loaded = checked(lambda: load_session(path), files, ["s.embx"])
        # The restore reads the source too, and may name it rather than the session (the
        # window's message says which session it was opening).
        budget = {**files, "source": bytes(seed.source_bytes)}
        restored = checked(lambda: _restore(path), budget, None)
        if restored.ok:
            workspace, state = restored.result
            check_state(state, workspace)
        assert loaded.ok or not restored.ok, "restored a session that does not load"
    return loaded, restored


def test_the_seeds_restore_as_saved(seeds, fuzz_dir):
    for seed in seeds:
        _, restored = _load(seed, sessions.mutations.write_zip(seed.members), fuzz_dir)
        assert restored.ok, restored.error


@examples(300)
@given(case=st.data())
def test_damaged_sessions(seeds, fuzz_dir, case):
    seed, data = case.draw(sessions.damaged_sessions(seeds))
    _load(seed, data, fuzz_dir)


# -- what a restored session must hold ---------------------------------------------------------
def _rows(array, n: int, name: str) -> None:
    assert array.dtype.kind in "iu", name
    assert array.size == 0 or (array.min() >= 0 and array.max() < n), f"{name} out of range"


def _finite(array, name: str) -> None:
    assert array.dtype.kind == "f" and np.isfinite(array).all(), name


def check_state(state, workspace) -> None:
    """Everything the window indexes with or draws, against the corpus it opens with."""
    n = workspace.n_rows
    assert isinstance(state.source, str)
    if state.tags is not None:
        assert len(state.tags) == n and all(t is None or isinstance(t, str) for t in state.tags)
    assert state.selection.ndim == 1
    _rows(state.selection, n, "selection")
    assert isinstance(state.focus_row, int) and -1 <= state.focus_row < n
    if state.view_range is not None:
        (x0, x1), (y0, y1) = state.view_range
        assert all(math.isfinite(v) for v in (x0, x1, y0, y1)) and x0 < x1 and y0 < y1
    for name in (state.text_column, state.label_column, state.color_column):
        assert name is None or isinstance(name, str)
    assert workspace.active in workspace.embeddings
    assert workspace.other is None or workspace.other in workspace.embeddings
    for embedding in workspace.embeddings.values():
        assert embedding.n_rows == n
        if embedding.vectors is not None:
            assert embedding.vectors.dtype == np.float32
            _finite(embedding.vectors, "vectors")
        if embedding.result is not None:
            _check_analysis(embedding.result, n, embedding.dim)


def _check_analysis(analysis, n: int, dim: int | None) -> None:
    from embexplorer.core.analysis.params import check_params

    params = analysis.params
    check_params(params, n)
    knn = analysis.get("knn")
    if knn is not None:
        assert knn.indices.shape[0] == n and knn.indices.shape[1] >= params.k
        _rows(knn.indices, n, "knn indices")
        assert knn.distances.shape == knn.indices.shape
        _finite(knn.distances, "knn distances")
    for stage in ("hubness",):
        hub = analysis.get(stage)
        if hub is not None:
            assert hub.k == params.k and hub.k_occurrence.shape == (n,)
    reduction = analysis.get("reduction")
    if reduction is not None:
        assert reduction.neighbors.indices.shape[0] == n
        _rows(reduction.neighbors.indices, n, "reduced indices")
        assert reduction.hubness.k_occurrence.shape == (n,)
    projection = analysis.get("projection")
    if projection is not None:
        assert projection.coords.shape == (n, 2)
        _finite(projection.coords, "coords")
        if projection.linear_map is not None and dim is not None:
            mean, components = projection.linear_map
            assert mean.shape == (dim,) and components.shape[0] == dim
    clusters = analysis.get("clusters")
    if clusters is not None:
        assert clusters.labels.shape == (n,) and clusters.labels.dtype.kind in "iu"
        assert all(isinstance(k, int) for k in clusters.keywords)
    quality = analysis.get("quality")
    if quality is not None:
        assert quality.preservation.shape == (n,)
        _finite(quality.preservation, "preservation")
