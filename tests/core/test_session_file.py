"""Session files: save → reopen equality; corrupt, truncated and newer files are refused."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from embexplorer.core.errors import InputError
from embexplorer.core.pipeline import AnalysisParams, analysis_task, stale_stages
from embexplorer.core.session_file import FORMAT_VERSION, SessionState, load_session, save_session
from embexplorer.core.tasks import run_task


@pytest.fixture
def state():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 8)).astype(np.float32)
    texts = np.array([f"w{i % 3} text" for i in range(60)], dtype=object)
    params = AnalysisParams(k=4, clusters="kmeans:3", reduction="mp")
    result = run_task(analysis_task(x, params, None, texts=texts))
    return SessionState(
        source="/data/x.npy",
        source_sha256="ab" * 32,
        read_options={"text_column": None},
        vectors=x,
        analysis=result,
        selection=np.array([1, 5, 9]),
        tags=np.array(["a", "", None] * 20, dtype=object),
        color_column="label",
        view_range=[[0, 1], [2, 3]],
        focus_row=5,
    )


def test_save_and_reopen_is_equal(tmp_path, state):
    path = save_session(tmp_path / "s.embx", state)
    again = load_session(path)
    assert again.source == state.source and again.source_sha256 == state.source_sha256
    np.testing.assert_array_equal(again.vectors, state.vectors)
    assert again.selection.tolist() == [1, 5, 9]
    assert list(again.tags[:3]) == ["a", "", None]
    assert (again.color_column, again.view_range, again.focus_row) == ("label", [[0, 1], [2, 3]], 5)
    for stage in ("projection", "knn", "hubness", "reduction", "clusters", "quality"):
        assert stage in again.analysis.cache
    a, b = state.analysis, again.analysis
    np.testing.assert_array_equal(a.get("projection").coords, b.get("projection").coords)
    np.testing.assert_array_equal(a.get("knn").indices, b.get("knn").indices)
    assert a.get("hubness").skewness == b.get("hubness").skewness
    np.testing.assert_array_equal(
        a.get("reduction").neighbors.indices, b.get("reduction").neighbors.indices
    )
    assert a.get("clusters").keywords == b.get("clusters").keywords
    assert a.get("quality").trustworthiness == b.get("quality").trustworthiness
    assert stale_stages(b.cache, b.params) == []  # reopening recomputes nothing
    placed = b.get("projection").transform(state.vectors[:2])
    np.testing.assert_allclose(placed, a.get("projection").coords[:2], atol=1e-5)


def test_sessions_never_hold_pickles(tmp_path, state):
    path = save_session(tmp_path / "s.embx", state)
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.endswith(".npy"):
                header = zf.read(name)[:128]
                assert b"'descr': '|O'" not in header


def test_newer_version_is_refused(tmp_path, state):
    path = save_session(tmp_path / "s.embx", state)
    newer = tmp_path / "newer.embx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(newer, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "manifest.json":
                manifest = json.loads(data)
                manifest["format_version"] = FORMAT_VERSION + 1
                data = json.dumps(manifest).encode()
            dst.writestr(item, data)
    with pytest.raises(InputError, match="saved by a newer embexplorer"):
        load_session(newer)


def test_truncated_and_corrupt_files_are_refused(tmp_path, state):
    path = save_session(tmp_path / "s.embx", state)
    truncated = tmp_path / "t.embx"
    truncated.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(InputError, match="truncated or corrupt"):
        load_session(truncated)
    garbage = tmp_path / "g.embx"
    garbage.write_bytes(b"not a zip at all")
    with pytest.raises(InputError, match="truncated or corrupt"):
        load_session(garbage)
    other_zip = tmp_path / "o.embx"
    with zipfile.ZipFile(other_zip, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(InputError, match="not an embexplorer session"):
        load_session(other_zip)
