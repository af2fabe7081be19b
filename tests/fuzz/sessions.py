"""Hostile sessions: real saved sessions, then damaged in their manifest, arrays and zip.

Two seeds are saved once per test run (:func:`save_seeds`): one of an ``.npy`` corpus with a
full analysis (kNN, hubness, hub reduction, clusters, quality), a selection, tags, a focus
row and a view; and one of a text corpus whose vectors the encoder made (stored in the
session). Their sources stay where they are; only the session file is damaged, so a restore
reaches every check after the container's.

The edits know nothing of the manifest's field names: any node of its JSON tree is replaced
(by a value of another type, range or nesting), deleted, or given an unknown sibling, so the
same generators keep working when the format changes.
"""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import strategies as st

from tests.fuzz import mutations


class Seed:
    """A saved session: its members (name, bytes), and the size of its source file."""

    def __init__(self, name: str, members: list[tuple[str, bytes]], source_bytes: int):
        self.name, self.members, self.source_bytes = name, members, source_bytes

    @property
    def manifest(self) -> dict[str, Any]:
        return json.loads(dict(self.members)["manifest.json"])

    def __repr__(self) -> str:
        return f"Seed({self.name!r})"

    def array_names(self) -> list[str]:
        return [n for n, _ in self.members if n.startswith("arrays/")]


def save_seeds(folder: Path) -> list[Seed]:
    """Save the two seed sessions (and their sources) under ``folder``.

    The sessions name their sources relative to ``folder`` (restore them from there), so
    that their bytes, and the examples Hypothesis derives from them, are the same on every
    run wherever the temporary folder is."""
    from embexplorer.core.analysis.params import AnalysisParams
    from embexplorer.core.analysis.pipeline import analysis_task
    from embexplorer.core.io import read_corpus
    from embexplorer.core.state.session_file import EmbeddingState, SessionState, save_session
    from embexplorer.core.tasks import run_task

    rng = np.random.default_rng(0)
    source = folder / "v.npy"
    np.save(source, rng.standard_normal((40, 8)).astype(np.float32))
    corpus = read_corpus(source)
    params = AnalysisParams(k=4, clusters="kmeans:3", reduction="csls")
    analysed = SessionState(
        source=source.name,
        source_sha256=corpus.provenance["source_sha256"],
        embeddings=[
            EmbeddingState(
                "vectors",
                {"kind": "source"},
                analysis=run_task(analysis_task(corpus.vectors, params, None)),
            ),
            EmbeddingState(
                "vectors · int8", {"kind": "derived", "parent": "vectors", "variant": "int8"}
            ),
        ],
        active="vectors",
        other="vectors · int8",
        selection=np.array([1, 2, 5]),
        tags=np.array(["a", None, "b", ""] * 10, dtype=object),
        color_column="cluster",
        view_range=[[-3.0, 3.0], [-2.0, 2.0]],
        focus_row=3,
    )
    texts = folder / "t.jsonl"
    texts.write_text("".join(json.dumps({"text": f"text {i}"}) + "\n" for i in range(30)))
    text_corpus = read_corpus(texts)
    embedded = SessionState(
        source=texts.name,
        source_sha256=text_corpus.provenance["source_sha256"],
        text_column="text",
        embeddings=[
            EmbeddingState(
                "minilm",
                {"kind": "encoder"},
                {"encoder": {"model": "minilm"}},
                vectors=rng.standard_normal((30, 6)).astype(np.float32),
            )
        ],
        active="minilm",
    )
    seeds = []
    for name, state, src in (("analysed", analysed, source), ("embedded", embedded, texts)):
        path = save_session(folder / f"{name}.embx", state)
        members = mutations.zip_members(path.read_bytes())
        seeds.append(Seed(name, members, src.stat().st_size))
    return seeds


# -- the manifest -------------------------------------------------------------------------------
def _paths(node: Any, here: tuple = ()) -> list[tuple]:
    """Every place in a JSON tree, as a tuple of keys and indices (``()`` is the root)."""
    found = [here]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*here, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*here, i))
    return found


def _at(node: Any, path: tuple) -> Any:
    for step in path:
        node = node[step]
    return node


def _variants(value: Any) -> list[Any]:
    """Values of another type, range or nesting than ``value``."""
    out: list[Any] = [None, True, 0, -1, 1.5, "", "x", [], {}, [value], {"v": value}]
    if isinstance(value, bool):
        out += [not value, int(value), str(value).lower()]
    elif isinstance(value, int | float):
        out += [
            value + 1,
            -value,
            value * 10**6,
            float(value),
            str(value),
            10**30,
            float("nan"),
            float("inf"),
        ]
    elif isinstance(value, str):
        out += [value.upper(), value[:-1], value + "x", "/dev/zero", "/", "\x00", "1e999"]
    elif isinstance(value, list):
        out += [value[:-1], value[1:], value + value[-1:], value * 3, [None] * len(value)]
    elif isinstance(value, dict):
        out += [{**value, "unknown": 1}, dict(list(value.items())[:-1])]
    return out


@st.composite
def edited_manifest(draw, manifest: dict[str, Any]) -> bytes:
    """The manifest's JSON with one to three nodes replaced, deleted or given a sibling, or
    (rarely) replaced by raw text no writer makes (deep nesting, huge numbers, not JSON)."""
    if draw(st.integers(0, 9)) == 0:
        return draw(mutations.raw_json).encode("utf-8", errors="surrogatepass")
    manifest = json.loads(json.dumps(manifest))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(manifest)))
        if not path:
            manifest = draw(st.sampled_from(_variants(manifest)) | mutations.hostile_json)
            continue
        parent, key = _at(manifest, path[:-1]), path[-1]
        kind = draw(st.sampled_from(["variant", "variant", "hostile", "delete", "sibling"]))
        if kind == "variant":
            parent[key] = draw(st.sampled_from(_variants(parent[key])))
        elif kind == "hostile":
            parent[key] = draw(mutations.hostile_json)
        elif kind == "delete":
            del parent[key]
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=6))] = draw(mutations.hostile_json)
        else:
            parent.insert(key, draw(mutations.hostile_json))
        if not isinstance(manifest, dict):
            break
    return json.dumps(manifest, allow_nan=True).encode("utf-8", errors="surrogatepass")


# -- the arrays ----------------------------------------------------------------------------------
def _npy(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.save(out, array, allow_pickle=False)
    return out.getvalue()


@st.composite
def edited_array(draw, payload: bytes) -> bytes:
    """An array member replaced by a near miss (a row short or long, NaN, another dtype or
    shape, out-of-range values), by any array, or by an ``.npy`` whose header lies."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # numpy's fallback for odd headers warns
            array = np.load(io.BytesIO(payload), allow_pickle=False)
    except Exception:
        array = None
    kind = draw(st.sampled_from(["near", "near", "any", "header"]))
    if kind == "any" or array is None or array.ndim == 0:
        return _npy(draw(mutations.any_arrays))
    if kind == "header":
        return draw(mutations.edited_npy_header(mutations.Blob(payload)))
    near = draw(st.sampled_from(["short", "long", "nan", "dtype", "flat", "wide", "values"]))
    if near == "short":
        array = array[:-1]
    elif near == "long":
        array = np.concatenate([array, array[-1:]]) if array.size else np.zeros(3, np.int64)
    elif near == "nan" and array.dtype.kind == "f" and array.size:
        array = array.copy()
        array.flat[draw(st.integers(0, array.size - 1))] = draw(
            st.sampled_from([np.nan, np.inf, -np.inf])
        )
    elif near == "dtype" and array.dtype.kind in "biuf":
        with np.errstate(all="ignore"):  # overflow to inf or wraparound is the point
            array = array.astype(draw(st.sampled_from(["<f8", "<f2", "<i2", "<u8", "|b1", ">i8"])))
    elif near == "flat":
        array = array.reshape(-1)
    elif near == "wide":
        array = np.stack([array, array], axis=-1)
    elif near == "values" and array.size and array.dtype.kind in "biuf":
        array = array.copy()
        value = draw(st.sampled_from([-2, -1, 10**6, 2**31, -(2**40)]))
        with np.errstate(over="ignore", invalid="ignore"):
            array.flat[draw(st.integers(0, array.size - 1))] = np.array(value).astype(array.dtype)
    return _npy(array)


@st.composite
def damaged_sessions(draw, seeds: list[Seed]) -> tuple[Seed, bytes]:
    """A seed, and its session file damaged in one of the ways above."""
    seed = draw(st.sampled_from(seeds))
    members = list(seed.members)
    where = draw(st.sampled_from(["manifest", "manifest", "array", "array", "zip", "bytes"]))
    if where == "manifest":
        i = next(i for i, (n, _) in enumerate(members) if n == "manifest.json")
        members[i] = ("manifest.json", draw(edited_manifest(seed.manifest)))
    elif where == "array":
        for _ in range(draw(st.integers(1, 2))):
            i = draw(st.sampled_from([i for i, (n, _) in enumerate(members) if n.endswith(".npy")]))
            members[i] = (members[i][0], draw(edited_array(mutations.Blob(members[i][1]))))
    data = mutations.Blob(mutations.write_zip(members))
    if where == "zip":
        names = [*seed.array_names(), "manifest.json", "arrays/evil.npy", "arrays/knn/x.npy"]
        data = draw(mutations.edited_zip(data, names, npy_edit=edited_array))
    elif where == "bytes":
        data = draw(mutations.mutated_bytes(data))
    return seed, data
