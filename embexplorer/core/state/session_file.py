"""Sessions: the whole workspace as one ``.embx`` file (a zip of JSON and ``.npy``).

Never pickle: arrays are ``.npy`` read with ``allow_pickle=False``; strings are stored as JSON
lists. ``manifest.json`` carries ``format_version``; a newer version, a truncated or corrupt
zip, a missing entry or a field out of range is refused with a message naming it before
anything is changed (:mod:`session_schema`).

Format 2 holds every embedding of the workspace and its analysis: the source corpus is
referenced by path and SHA-256 (and re-read when the session opens); an embedding whose
vectors the source file holds (its own, or another vector column) is read from it again; one
derived from another (``truncate:D``, ``int8``, ``binary``) is derived again (deterministic);
vectors from elsewhere (a second file, the encoder) are stored in the session. Format 1 files
(one embedding) still open.
"""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from embexplorer.core.analysis.params import AnalysisParams
from embexplorer.core.analysis.pipeline import AnalysisResult
from embexplorer.core.errors import InputError
from embexplorer.core.io.atomic import atomic_path
from embexplorer.core.io.limits import inflate_budget
from embexplorer.core.state import session_schema as schema
from embexplorer.core.state.stage_parts import result_from_parts, result_to_parts
from embexplorer.core.tasks import Progress, Task

FORMAT_VERSION = 2
SUFFIX = ".embx"
#: Origins whose vectors the session stores (the source file does not hold them).
STORED_ORIGINS = ("file", "encoder")


@dataclass
class EmbeddingState:
    name: str
    origin: dict[str, Any]
    provenance: dict[str, Any] = field(default_factory=dict)
    vectors: np.ndarray | None = None  # for STORED_ORIGINS
    params: AnalysisParams | None = None
    analysis: AnalysisResult | None = None


@dataclass
class SessionState:
    source: str
    source_sha256: str | None
    read_options: dict[str, Any] = field(default_factory=dict)
    text_column: str | None = None
    label_column: str | None = None
    embeddings: list[EmbeddingState] = field(default_factory=list)
    active: str | None = None
    other: str | None = None
    selection: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.intp))
    tags: np.ndarray | None = None
    color_column: str | None = None
    view_range: list[list[float]] | None = None
    focus_row: int = -1

    @property
    def analysis(self) -> AnalysisResult | None:
        """The analysis of the embedding on the main map."""
        for embedding in self.embeddings:
            if embedding.name == self.active:
                return embedding.analysis
        return None


# -- writing ----------------------------------------------------------------------------------
def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def _strings(values: np.ndarray | None) -> list[str | None] | None:
    return None if values is None else [None if v is None else str(v) for v in values]


def save_session(path: str | Path, state: SessionState) -> Path:
    path = Path(path)
    manifest: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "source": state.source,
        "source_sha256": state.source_sha256,
        "read_options": state.read_options,
        "text_column": state.text_column,
        "label_column": state.label_column,
        "tags": _strings(state.tags),
        "color_column": state.color_column,
        "view_range": state.view_range,
        "focus_row": state.focus_row,
        "active": state.active,
        "other": state.other,
        "embeddings": [],
    }
    arrays: dict[str, np.ndarray] = {"selection": np.asarray(state.selection, dtype=np.int64)}
    for i, embedding in enumerate(state.embeddings):
        entry: dict[str, Any] = {
            "name": embedding.name,
            "origin": embedding.origin,
            "provenance": embedding.provenance,
        }
        if embedding.origin.get("kind") in STORED_ORIGINS:
            arrays[f"e{i}/vectors"] = embedding.vectors
        if embedding.analysis is not None:
            info, parts = result_to_parts(embedding.analysis)
            entry.update(info)
            arrays.update({f"e{i}/{name}": array for name, array in parts.items()})
        elif embedding.params is not None:
            entry["params"] = vars(embedding.params)
        manifest["embeddings"].append(entry)
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest, indent=1, default=str))
        for name, array in arrays.items():
            zf.writestr(f"arrays/{name}.npy", _npy_bytes(array))
    return path


# -- reading ----------------------------------------------------------------------------------
def load_session(path: str | Path) -> SessionState:
    """Read a session, or raise InputError naming what is wrong (nothing is changed).

    Everything is checked before it is used (:mod:`session_schema`): member sizes before they
    are inflated, then every manifest field and array. What needs the corpus (lengths, row
    numbers) is checked by :func:`check_session_rows` once the source is read.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such session file.")
    budget = inflate_budget(path.stat().st_size)
    with _opened(path) as zf:
        manifest = _manifest(path, zf, budget)
        names = schema.array_names(path, manifest, zf.namelist())
        arrays = schema.read_arrays(path, zf, names, budget)
    schema.check_arrays(path, arrays)
    try:
        if manifest["format_version"] == 1:
            return _state_v1(manifest, arrays)
        return _state(manifest, arrays)
    except (TypeError, ValueError, KeyError) as exc:  # what the field checks cannot foresee
        raise InputError(f"{path.name} is a damaged session ({exc}).") from exc


@contextlib.contextmanager
def _opened(path: Path) -> Iterator[zipfile.ZipFile]:
    """The session's zip; a damaged container or a read error becomes an InputError."""
    try:
        with zipfile.ZipFile(path) as zf:
            yield zf
    except (
        zipfile.BadZipFile,
        EOFError,
        zipfile.LargeZipFile,
        NotImplementedError,  # a zip version zipfile cannot read
        UnicodeDecodeError,  # a member name flagged UTF-8 that is not
    ) as exc:
        raise InputError(
            f"{path.name} is not a readable session (the file is truncated or corrupt: {exc})."
        ) from exc
    except OSError as exc:
        raise InputError(f"{path.name} could not be read: {exc.strerror or exc}.") from exc


def _manifest(path: Path, zf: zipfile.ZipFile, budget: int) -> dict[str, Any]:
    if "manifest.json" not in zf.namelist():
        raise InputError(f"{path.name} is not an embexplorer session (no manifest.json).")
    manifest = schema.read_manifest(path, zf, budget)
    schema.check_version(path, manifest, FORMAT_VERSION)
    schema.check_manifest(path, manifest)
    return manifest


def _common(manifest: dict[str, Any], arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    tags = manifest.get("tags")
    selection = np.unique(arrays.get("selection", np.empty(0, dtype=np.int64)))
    return {
        "source": manifest["source"],
        "source_sha256": manifest.get("source_sha256"),
        "read_options": manifest.get("read_options") or {},
        "text_column": manifest.get("text_column"),
        "label_column": manifest.get("label_column"),
        "selection": selection.astype(np.intp),
        "tags": None if tags is None else np.array(tags, dtype=object),
        "color_column": manifest.get("color_column"),
        "view_range": manifest.get("view_range"),
        "focus_row": int(manifest.get("focus_row", -1)),
    }


def _prefixed(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {name[len(prefix) :]: a for name, a in arrays.items() if name.startswith(prefix)}


def _state(manifest: dict[str, Any], arrays: dict[str, np.ndarray]) -> SessionState:
    embeddings = []
    for i, entry in enumerate(manifest["embeddings"]):
        own = _prefixed(arrays, f"e{i}/")
        analysis = result_from_parts(entry, own) if "analysis_params" in entry else None
        params = AnalysisParams(**entry["params"]) if "params" in entry else None
        embeddings.append(
            EmbeddingState(
                name=entry["name"],
                origin=dict(entry["origin"]),
                provenance=dict(entry.get("provenance") or {}),
                vectors=own.get("vectors"),
                params=params,
                analysis=analysis,
            )
        )
    return SessionState(
        **_common(manifest, arrays),
        embeddings=embeddings,
        active=manifest.get("active"),
        other=manifest.get("other"),
    )


def _state_v1(manifest: dict[str, Any], arrays: dict[str, np.ndarray]) -> SessionState:
    """A format 1 session: one embedding, the source's vectors or the encoder's (stored)."""
    from embexplorer.core.state.workspace import default_name

    vectors = arrays.get("vectors")
    provenance = dict(manifest.get("vector_provenance") or {})
    analysis = None
    if "analysis_params" in manifest:
        analysis = result_from_parts(manifest, {n: a for n, a in arrays.items() if "/" in n})
    name = default_name(provenance) if vectors is not None else "vectors"
    origin = {"kind": "encoder" if vectors is not None else "source"}
    embedding = EmbeddingState(name, origin, provenance, vectors, None, analysis)
    return SessionState(**_common(manifest, arrays), embeddings=[embedding], active=name)


def session_summary(path: str | Path) -> str:
    """A few words on what a session holds (its source, tags, embeddings), from its manifest."""
    path = Path(path)
    with _opened(path) as zf:
        manifest = _manifest(path, zf, inflate_budget(path.stat().st_size))
    parts = [Path(manifest["source"]).name]
    tags = manifest.get("tags") or []
    tagged = sum(1 for t in tags if t)
    if tagged:
        parts.append(f"{tagged:,} tagged row{'s' if tagged != 1 else ''}")
    entries = manifest.get("embeddings") or [manifest]
    if len(entries) > 1:
        parts.append(f"{len(entries)} embeddings")
    active = next((e for e in entries if e.get("name") == manifest.get("active")), entries[0])
    params = active.get("analysis_params")
    if params:
        parts.append(f"{params.get('projection', 'pca')} map, k = {params.get('k', 10)}")
    return ", ".join(parts)


def check_session_rows(path: str | Path, state: SessionState, n_rows: int, dim: int | None) -> None:
    """Raise InputError when the session does not fit the corpus it opens with."""
    schema.check_rows(Path(path), state, n_rows, dim)


# -- the workspace ------------------------------------------------------------------------------
def session_state(
    workspace: Any, read_options: dict[str, Any], view_range: list | None = None
) -> SessionState:
    """The session of a :class:`~embexplorer.core.state.workspace.Workspace`."""
    corpus = workspace.corpus
    if workspace.source is None:
        raise InputError("Open a corpus before saving a session.")
    embeddings = [
        EmbeddingState(
            name=e.name,
            origin=dict(e.origin),
            provenance=_plain(dict(e.provenance)),
            vectors=e.vectors if e.origin.get("kind") in STORED_ORIGINS else None,
            params=e.params,
            analysis=e.result,
        )
        for e in workspace.embeddings.values()
    ]
    return SessionState(
        source=str(Path(workspace.source).resolve()),
        source_sha256=corpus.provenance.get("source_sha256"),
        read_options=read_options,
        text_column=corpus.text_column,
        label_column=corpus.label_column,
        embeddings=embeddings,
        active=workspace.active,
        other=workspace.other,
        selection=workspace.selection.rows,
        tags=workspace.tags,
        color_column=workspace.color_column,
        view_range=view_range,
        focus_row=workspace.focus,
    )


def _plain(value: Any) -> Any:
    """Provenance as JSON holds it (so what is saved is what is read back)."""
    return json.loads(json.dumps(value, default=str))


def restore_task(path: str | Path) -> Task[tuple[Any, SessionState]]:
    """The workspace a session describes, and the session (for what only the window uses).

    Reads the source corpus (checked against the saved SHA-256), gets every embedding back
    (re-read, re-derived or stored), and checks every row number and length against it.
    """
    from embexplorer.core.io import ReadOptions, read_corpus

    path = Path(path)
    yield Progress(None, f"Reading {path.name}")
    state = load_session(path)
    source = Path(state.source)
    if not source.exists():
        raise InputError(
            f"The session's source file {source} is missing. Put it back (or "
            "open the corpus again and redo the analysis)."
        )
    yield Progress(None, f"Reading {source.name}")
    corpus = read_corpus(source, ReadOptions(**state.read_options))
    if corpus.provenance.get("source_sha256") != state.source_sha256:
        raise InputError(
            f"{source.name} has changed since the session was saved (its "
            "SHA-256 differs), so the saved analysis would not match it. Open the "
            "file again to analyse it anew."
        )
    for role, column in (("text", state.text_column), ("label", state.label_column)):
        if column is not None and column not in corpus.columns:
            raise InputError(
                f"{path.name} names a {role} column {column!r} that {source.name} lacks."
            )
    corpus = corpus.replace(text_column=state.text_column, label_column=state.label_column)
    workspace = yield from _rebuild(path, state, corpus, source)
    return workspace, state


def _rebuild(path: Path, state: SessionState, corpus: Any, source: Path) -> Task[Any]:
    import dataclasses

    from embexplorer.core.state.embedding_sources import (
        column_embedding_task,
        derived_embedding_task,
    )
    from embexplorer.core.state.selection import Selection
    from embexplorer.core.state.workspace import Embedding, Workspace, new_embedding

    base = Workspace.of(corpus, source)
    workspace = dataclasses.replace(base, embeddings={}, active=None)
    for e in state.embeddings:
        kind = e.origin.get("kind")
        if kind == "source":
            if corpus.vectors is None:
                raise InputError(f"{path.name}: {source.name} no longer holds vectors.")
            made = new_embedding(e.name, corpus.vectors, e.origin, e.provenance)
        elif kind == "column":
            made = yield from column_embedding_task(base, str(e.origin.get("column")))
        elif kind == "derived":
            made = yield from derived_embedding_task(
                workspace, str(e.origin.get("parent")), str(e.origin.get("variant"))
            )
        else:
            made = new_embedding(e.name, e.vectors, e.origin, e.provenance)
        embedding = Embedding(
            e.name, made.rows, e.origin, e.provenance, e.params or made.params, None
        ).with_result(e.analysis)
        workspace = workspace.with_embedding(embedding)
    dims = {e.name: workspace.embeddings[e.name].dim for e in state.embeddings}
    check_session_rows(path, state, corpus.n_rows, dims)
    return dataclasses.replace(
        workspace,
        active=state.active if state.active in workspace.embeddings else workspace.active,
        other=state.other if state.other in workspace.embeddings else None,
        selection=Selection.of(state.selection, corpus.n_rows, corpus.corpus_id),
        tags=state.tags,
        focus=state.focus_row,
        color_column=state.color_column,
    )
