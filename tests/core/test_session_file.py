"""Session files: save → reopen equality; corrupt, truncated and newer files are refused."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from embexplorer.core.analysis.params import AnalysisParams
from embexplorer.core.analysis.pipeline import analysis_task, stale_stages
from embexplorer.core.errors import InputError
from embexplorer.core.state.session_file import (
    FORMAT_VERSION,
    EmbeddingState,
    SessionState,
    load_session,
    save_session,
)
from embexplorer.core.tasks import run_task


@pytest.fixture
def state():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 8)).astype(np.float32)
    texts = np.array([f"w{i % 3} text" for i in range(60)], dtype=object)
    params = AnalysisParams(k=4, clusters="kmeans:3", reduction="mp")
    result = run_task(analysis_task(x, params, None, texts=texts))
    embedding = EmbeddingState("model", {"kind": "encoder"}, {"encoder": {}}, x, None, result)
    return SessionState(
        source="/data/x.npy",
        source_sha256="ab" * 32,
        read_options={"text_column": None},
        embeddings=[embedding],
        active="model",
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
    np.testing.assert_array_equal(again.embeddings[0].vectors, state.embeddings[0].vectors)
    assert again.active == "model" and again.embeddings[0].origin == {"kind": "encoder"}
    assert again.selection.tolist() == [1, 5, 9]
    assert list(again.tags[:3]) == ["a", "", None]
    assert (again.color_column, again.view_range, again.focus_row) == ("label", [[0, 1], [2, 3]], 5)
    for stage in ("projection", "knn", "hubness", "reduction", "clusters", "quality"):
        assert stage in again.analysis.cache
    a, b = state.analysis, again.analysis
    np.testing.assert_array_equal(a.projection.coords, b.projection.coords)
    np.testing.assert_array_equal(a.knn.indices, b.knn.indices)
    assert a.hubness.skewness == b.hubness.skewness
    np.testing.assert_array_equal(a.reduction.neighbors.indices, b.reduction.neighbors.indices)
    assert a.clusters.keywords == b.clusters.keywords
    assert a.quality.trustworthiness == b.quality.trustworthiness
    assert stale_stages(b.cache, b.params) == []  # reopening recomputes nothing
    placed = b.projection.transform(state.embeddings[0].vectors[:2])
    np.testing.assert_allclose(placed, a.projection.coords[:2], atol=1e-5)


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


# -- hostile and damaged sessions (the reliability report's defects 3 and 4) ---------------------
@pytest.fixture
def saved(tmp_path):
    """A real source file and a session of it: (session path, manifest, members)."""
    from embexplorer.core.io import read_corpus

    source = tmp_path / "v.npy"
    np.save(source, np.random.default_rng(0).standard_normal((50, 8)).astype(np.float32))
    corpus = read_corpus(source)
    result = run_task(analysis_task(corpus.vectors, AnalysisParams(k=5), None))
    path = save_session(
        tmp_path / "good.embx",
        SessionState(
            source=str(source),
            source_sha256=corpus.provenance["source_sha256"],
            embeddings=[EmbeddingState("vectors", {"kind": "source"}, analysis=result)],
            active="vectors",
            selection=np.array([1, 2]),
            tags=np.array(["a"] * 50, dtype=object),
            focus_row=3,
        ),
    )
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    return path, json.loads(members["manifest.json"]), members


def _rewrite(path, members, manifest=None, arrays=None, drop=()):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            if name in drop:
                continue
            if name == "manifest.json" and manifest is not None:
                data = json.dumps(manifest).encode()
            if arrays and name in arrays:
                buffer = __import__("io").BytesIO()
                np.save(buffer, arrays[name])
                data = buffer.getvalue()
            zf.writestr(name, data)
    return path


def _restore(path):
    from embexplorer.core.state.session_file import restore_task

    return run_task(restore_task(path))


def test_a_good_session_restores(saved):
    workspace, state = _restore(saved[0])
    assert workspace.n_rows == 50 and workspace.tags[0] == "a" and workspace.focus == 3
    assert workspace.current.result.params.k == 5 and state.active == "vectors"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tags": ["a"]}, "tags has 1 entries for 50 rows"),
        ({"focus_row": 50}, "focus_row 50 is beyond the 50 rows"),
        ({"focus_row": "7"}, "focus_row must be int; got '7'"),
        ({"focus_row": True}, "focus_row must be int; got True"),
        ({"stages": None}, r"embeddings\[0\].stages must be dict; got None"),
        ({"stages": {"magic": {}}}, "unknown stage 'magic'"),
        ({"analysis_params": {"k": 5, "speed": 3}}, "unknown parameters: speed"),
        ({"analysis_params": {"k": 500}}, "k must be between 1 and 100; got 500"),
        ({"origin": {"kind": "cloud"}}, r"embeddings\[0\].origin.kind must be one of"),
        ({"name": ""}, r"embeddings\[0\].name must be a new, non-empty name"),
        ({"read_options": {"colour": "x"}}, "unknown option 'colour'"),
        ({"view_range": [["a", 1], [0, 1]]}, "view_range must be"),
        ({"view_range": [[1, 0], [0, 1]]}, "view_range must be"),
        ({"format_version": 0}, r"format_version must be a whole number ≥ 1; got 0"),
        ({"format_version": -1}, "format_version must be a whole number ≥ 1; got -1"),
        ({"format_version": True}, "format_version must be a whole number ≥ 1; got True"),
        ({"format_version": 1.0}, r"format_version must be a whole number ≥ 1; got 1.0"),
        ({"source_sha256": None}, "source_sha256 must be str; got None"),
        ({"tags": [1, 2]}, "tags must be a list of strings or nulls"),
    ],
)
def test_every_bad_field_is_named(saved, change, message):
    path, manifest, members = saved
    embedding_keys = {"stages", "analysis_params", "origin", "name"}
    if embedding_keys & set(change):  # fields of the (one) embedding
        entry = {**manifest["embeddings"][0], **change}
        manifest = {**manifest, "embeddings": [entry]}
    else:
        manifest = {**manifest, **change}
    _rewrite(path, members, manifest)
    with pytest.raises(InputError, match=message):
        _restore(path)


def test_a_manifest_nested_deeply_is_refused(saved):
    path, _, members = saved
    deep = "[" * 100_000 + "]" * 100_000
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data if name != "manifest.json" else deep)
    with pytest.raises(InputError, match="JSON nested 100,000 levels deep"):
        load_session(path)


@pytest.mark.parametrize(
    ("member", "array", "message"),
    [
        ("arrays/selection.npy", np.array([1, 99]), r"selection holds row numbers outside 0…49"),
        ("arrays/e0/projection/coords.npy", np.full((50, 2), np.nan), "holds NaN or infinite"),
        ("arrays/e0/projection/coords.npy", np.zeros((49, 2)), "coords has 49 rows for 50"),
        ("arrays/e0/knn/indices.npy", np.full((50, 5), 77), r"knn/indices holds row numbers"),
        ("arrays/e0/hubness/k_occurrence.npy", np.zeros(50, np.float32), "expected 1-D int"),
        ("arrays/selection.npy", np.array(["x"]), "holds <U1 values, not numbers"),
        # found by the sixth long fuzz run: opened, then failed in the first use
        (
            "arrays/e0/knn/distances.npy",
            np.zeros((50, 2), np.float32),
            r"knn/distances has shape \(50, 2\), but knn/indices has \(50, 15\)",
        ),
    ],
)
def test_bad_arrays_are_named(saved, member, array, message):
    path, _, members = saved
    _rewrite(path, members, arrays={member: array})
    with pytest.raises(InputError, match=message):
        _restore(path)


def test_an_npy_header_that_claims_more_than_it_holds_is_refused(saved):
    path, _, members = saved
    header = np.lib.format.header_data_from_array_1_0(np.zeros((200, 8), np.int64))
    header["shape"] = (200, 10**8)
    buffer = __import__("io").BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    members = {**members, "arrays/selection.npy": buffer.getvalue() + b"\0" * 64}
    _rewrite(path, members)
    with pytest.raises(InputError, match=r"declares shape \(200, 100000000\) of int64"):
        load_session(path)


def test_a_zip_bomb_is_refused_before_it_is_inflated(saved, monkeypatch):
    """A 6 MB session once inflated to 6 GB: members are checked against their ratio first."""
    import tracemalloc

    from embexplorer.core.io import limits

    monkeypatch.setattr(limits, "INFLATE_FLOOR_BYTES", 1 << 20)
    path, _, members = saved
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            if name != "arrays/selection.npy":
                zf.writestr(name, data)
        with zf.open("arrays/selection.npy", "w") as fh:
            for _ in range(8):
                fh.write(b"\0" * (4 << 20))  # 32 MB of zeros, ~32 kB compressed
    tracemalloc.start()
    with pytest.raises(InputError, match=r"would inflate to 32.0 MiB \(33,554,432 bytes\), more"):
        load_session(path)
    assert tracemalloc.get_traced_memory()[1] < 8 << 20
    tracemalloc.stop()


def test_unknown_members_and_missing_arrays_are_refused(saved):
    path, _, members = saved
    _rewrite(path, {**members, "arrays/evil.npy": members["arrays/selection.npy"]})
    with pytest.raises(InputError, match=r"arrays no session has: arrays/evil\.npy"):
        load_session(path)
    _rewrite(path, members, drop=("arrays/e0/knn/indices.npy",))
    with pytest.raises(InputError, match="the knn stage has no indices array"):
        load_session(path)


def test_one_bomb_member_beside_big_honest_ones_is_refused(saved, monkeypatch):
    from embexplorer.core.io import limits

    monkeypatch.setattr(limits, "RATIO_FREE_BYTES", 1 << 20)
    path, manifest, members = saved
    entry = {**manifest["embeddings"][0], "origin": {"kind": "encoder"}}
    manifest = {**manifest, "embeddings": [entry]}
    noise = np.random.default_rng(1).standard_normal((50, 20_000)).astype(np.float32)  # 4 MB
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            if name == "manifest.json":
                data = json.dumps(manifest).encode()
            if name != "arrays/selection.npy":
                zf.writestr(name, data)
        buffer = __import__("io").BytesIO()
        np.save(buffer, noise)
        zf.writestr("arrays/e0/vectors.npy", buffer.getvalue())
        zf.writestr("arrays/selection.npy", b"\0" * (20 << 20))
    with pytest.raises(InputError, match=r"selection.npy' would inflate from .* to 20.0 MiB"):
        load_session(path)


def test_a_format_1_session_still_opens(saved, tmp_path):
    """Sessions saved before several embeddings (format 1) open as one embedding."""
    from embexplorer.core.state.stage_parts import result_to_parts

    path, manifest, members = saved
    workspace, _ = _restore(path)
    info, parts = result_to_parts(workspace.current.result)
    old = {k: v for k, v in manifest.items() if k not in ("embeddings", "active", "other")}
    old.update(format_version=1, vector_provenance=None, encoder_settings=None, **info)
    v1 = tmp_path / "v1.embx"
    with zipfile.ZipFile(v1, "w") as zf:
        zf.writestr("manifest.json", json.dumps(old, default=str))
        zf.writestr("arrays/selection.npy", members["arrays/selection.npy"])
        for name, array in parts.items():
            buffer = __import__("io").BytesIO()
            np.save(buffer, array)
            zf.writestr(f"arrays/{name}.npy", buffer.getvalue())
    again, state = _restore(v1)
    assert list(again.embeddings) == ["vectors"] and state.active == "vectors"
    np.testing.assert_array_equal(
        again.current.result.knn.indices, workspace.current.result.knn.indices
    )
    assert again.selection.rows.tolist() == [1, 2] and again.tags[0] == "a"


def test_a_workspace_with_derived_and_stored_embeddings_round_trips(saved, tmp_path):
    """Format 2: every embedding comes back (re-read, re-derived or stored) with its analysis."""
    from embexplorer.core.state.embedding_sources import derived_embedding_task
    from embexplorer.core.state.session_file import restore_task, session_state
    from embexplorer.core.state.workspace import new_embedding

    workspace, _ = _restore(saved[0])
    binary = run_task(derived_embedding_task(workspace, "vectors", "binary"))
    result = run_task(analysis_task(binary.rows, binary.params.replace(k=4), None))
    stored = new_embedding(
        "other model", np.random.default_rng(2).random((50, 3), np.float32), {"kind": "file"}
    )
    workspace = (
        workspace.with_embedding(binary.with_result(result))
        .with_embedding(stored)
        .showing("vectors", binary.name)
    )
    path = save_session(tmp_path / "two.embx", session_state(workspace, {}, None))
    again, _ = run_task(restore_task(path))
    assert list(again.embeddings) == ["vectors", binary.name, "other model"]
    assert (again.active, again.other) == ("vectors", binary.name)
    np.testing.assert_array_equal(
        again.embeddings[binary.name].rows.codes.bits, binary.rows.codes.bits
    )
    np.testing.assert_array_equal(
        again.embeddings[binary.name].result.knn.indices, result.knn.indices
    )
    np.testing.assert_array_equal(again.embeddings["other model"].vectors, stored.vectors)
    assert again.embeddings["other model"].result is None


# -- hubness reduction provenance and the comparison of reductions ------------------------------
def _session_of(tmp_path, params, labels=None):
    from embexplorer.core.io import read_corpus

    source = tmp_path / "r.npy"
    np.save(source, np.random.default_rng(3).standard_normal((70, 8)).astype(np.float32))
    corpus = read_corpus(source)
    result = run_task(analysis_task(corpus.vectors, params, None, labels=labels))
    return save_session(
        tmp_path / "r.embx",
        SessionState(
            source=str(source),
            source_sha256=corpus.provenance["source_sha256"],
            embeddings=[EmbeddingState("vectors", {"kind": "source"}, analysis=result)],
            active="vectors",
        ),
    ), result


def test_reduction_provenance_and_the_comparison_round_trip(tmp_path):
    params = AnalysisParams(
        k=4, reduction="ls", ls_method="nicdm", compare_reductions=True, quality=False
    )
    labels = ("side", np.array(["l", "r"] * 35, dtype=object))
    path, result = _session_of(tmp_path, params, labels)
    workspace, _ = _restore(path)
    again = workspace.current.result
    assert again.params == params
    assert again.reduction.neighbors.params == result.reduction.neighbors.params
    assert again.reduction.neighbors.params["variant"] == "nicdm"
    assert again.reduction.neighbors.exact
    assert again.comparison.rows == result.comparison.rows
    assert again.comparison.label_column == "side"
    assert stale_stages(again.cache, again.params) == []


def test_a_session_from_before_the_reduction_provenance_still_opens(tmp_path):
    """Saved by the previous version: β = 20 in the parameters, no ls_method /
    reduction_search / compare_reductions, reduction params without exactness."""
    from embexplorer.core.analysis.analysis_columns import summary_fields

    path, _ = _session_of(tmp_path, AnalysisParams(k=4, reduction="mp", quality=False))
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(members["manifest.json"])
    entry = manifest["embeddings"][0]
    entry["analysis_params"] = {
        k: v
        for k, v in entry["analysis_params"].items()
        if k not in ("ls_method", "reduction_search", "compare_reductions")
    }
    entry["analysis_params"]["beta"] = 20.0
    entry["stages"]["reduction"]["params"] = {"variant": "gaussian", "seed": 0, "sample": 512}
    entry["stages"].pop("comparison", None)
    _rewrite(path, members, manifest)
    workspace, _ = _restore(path)
    result = workspace.current.result
    assert result.params.beta == 20.0 and result.params.reduction_search == "auto"
    info = summary_fields(result)["reduction"]
    assert info["exact"] is None and info["sample"] == 512  # shown as not recorded


def test_a_bad_comparison_row_is_named(tmp_path):
    params = AnalysisParams(k=4, compare_reductions=True, quality=False)
    path, _ = _session_of(tmp_path, params)
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(members["manifest.json"])
    manifest["embeddings"][0]["stages"]["comparison"]["rows"][1]["skewness"] = "high"
    _rewrite(path, members, manifest)
    with pytest.raises(InputError, match=r"comparison.rows\[1\].skewness must be float or int"):
        _restore(path)
