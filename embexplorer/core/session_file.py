"""Sessions: the whole state of a window as one ``.embx`` file (a zip of JSON and ``.npy``).

Never pickle: arrays are ``.npy`` read with ``allow_pickle=False``; strings are stored as JSON
lists. ``manifest.json`` carries ``format_version``; a newer version, a truncated or corrupt
zip, or a missing entry is refused with a clear message before anything is changed. The
source corpus is referenced by path and SHA-256 (and re-read when the session opens); vectors
made by the encoder are stored in the session, since the source file does not hold them.
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

from embexplorer.core import session_schema as schema
from embexplorer.core.corpus import Corpus
from embexplorer.core.errors import InputError
from embexplorer.core.io.atomic import atomic_path
from embexplorer.core.io.limits import inflate_budget
from embexplorer.core.pipeline import AnalysisParams, AnalysisResult, stage_key
from embexplorer.core.tasks import Progress, Task

FORMAT_VERSION = 1
SUFFIX = ".embx"


@dataclass
class SessionState:
    source: str
    source_sha256: str | None
    read_options: dict[str, Any] = field(default_factory=dict)
    text_column: str | None = None
    label_column: str | None = None
    encoder_settings: dict[str, Any] | None = None
    vectors: np.ndarray | None = None  # only when made by the encoder
    vector_provenance: dict[str, Any] | None = None
    analysis: AnalysisResult | None = None
    selection: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.intp))
    tags: np.ndarray | None = None
    color_column: str | None = None
    view_range: list[list[float]] | None = None
    focus_row: int = -1


# -- values of the analysis stages <-> arrays + JSON --------------------------------------------
def _stage_to_parts(stage: str, value: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    if value is None:
        return {"none": True}, {}
    if stage == "projection":
        arrays = {"coords": value.coords}
        if value.linear_map is not None:
            arrays["mean"], arrays["components"] = value.linear_map
        return {"method": value.method, "params": value.params}, arrays
    if stage == "knn":
        return (
            {
                "metric": value.metric,
                "method": value.method,
                "recall": value.recall,
                "params": value.params,
            },
            {"indices": value.indices, "distances": value.distances},
        )
    if stage == "hubness":
        return {"k": value.k}, {"k_occurrence": value.k_occurrence}
    if stage == "reduction":
        n = value.neighbors
        return (
            {"method": n.method, "params": n.params, "k": value.hubness.k},
            {"indices": n.indices, "scores": n.scores, "k_occurrence": value.hubness.k_occurrence},
        )
    if stage == "clusters":
        return (
            {
                "method": value.method,
                "params": value.params,
                "keywords": {str(c): w for c, w in value.keywords.items()},
            },
            {"labels": value.labels},
        )
    if stage == "quality":
        t = value.trustworthiness
        return (
            {
                "trust": {
                    "value": None if not np.isfinite(t.value) else t.value,
                    "k": t.k,
                    "metric": t.metric,
                    "rows_used": t.rows_used,
                    "rows_total": t.rows_total,
                    "seed": t.seed,
                }
            },
            {"preservation": value.preservation},
        )
    raise ValueError(stage)


def _stage_from_parts(stage: str, info: dict[str, Any], arrays: dict[str, np.ndarray]) -> Any:
    from embexplorer.core.hub_reduction import ReducedNeighbors
    from embexplorer.core.hubness import hubness_from_occurrence
    from embexplorer.core.neighbors import Neighbors
    from embexplorer.core.projection import Projection
    from embexplorer.core.stages import Quality, Reduction

    if info.get("none"):
        return None
    if stage == "projection":
        linear = (arrays["mean"], arrays["components"]) if "mean" in arrays else None
        return Projection(arrays["coords"], info["method"], info["params"], linear)
    if stage == "knn":
        return Neighbors(
            arrays["indices"],
            arrays["distances"],
            info["metric"],
            info["method"],
            info["recall"],
            info["params"],
        )
    if stage == "hubness":
        return hubness_from_occurrence(arrays["k_occurrence"], info["k"])
    if stage == "reduction":
        reduced = ReducedNeighbors(
            arrays["indices"], arrays["scores"], info["method"], info["params"]
        )
        return Reduction(reduced, hubness_from_occurrence(arrays["k_occurrence"], info["k"]))
    if stage == "clusters":
        from embexplorer.core.clusters import Clustering

        keywords = {int(c): w for c, w in info["keywords"].items()}
        return Clustering(arrays["labels"], info["method"], info["params"], keywords)
    if stage == "quality":
        from embexplorer.core.quality import Trustworthiness

        t = dict(info["trust"])
        t["value"] = float("nan") if t["value"] is None else t["value"]
        return Quality(arrays["preservation"], Trustworthiness(**t))
    raise ValueError(stage)


# -- writing and reading --------------------------------------------------------------------------
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
        "encoder_settings": state.encoder_settings,
        "vector_provenance": state.vector_provenance,
        "tags": _strings(state.tags),
        "color_column": state.color_column,
        "view_range": state.view_range,
        "focus_row": state.focus_row,
        "stages": {},
    }
    arrays: dict[str, np.ndarray] = {"selection": np.asarray(state.selection, dtype=np.int64)}
    if state.vectors is not None:
        arrays["vectors"] = state.vectors
    if state.analysis is not None:
        manifest["analysis_params"] = vars(state.analysis.params)
        for stage, (_, value) in state.analysis.cache.items():
            info, parts = _stage_to_parts(stage, value)
            manifest["stages"][stage] = info
            for name, array in parts.items():
                arrays[f"{stage}/{name}"] = array
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest, indent=1, default=str))
        for name, array in arrays.items():
            zf.writestr(f"arrays/{name}.npy", _npy_bytes(array))
    return path


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
        return _state(path, manifest, arrays)
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


def session_summary(path: str | Path) -> str:
    """A few words on what a session holds (its source, tags, analysis), from its manifest."""
    path = Path(path)
    with _opened(path) as zf:
        manifest = _manifest(path, zf, inflate_budget(path.stat().st_size))
    parts = [Path(manifest["source"]).name]
    tags = manifest.get("tags") or []
    tagged = sum(1 for t in tags if t)
    if tagged:
        parts.append(f"{tagged:,} tagged row{'s' if tagged != 1 else ''}")
    params = manifest.get("analysis_params")
    if params:
        parts.append(f"{params.get('projection', 'pca')} map, k = {params.get('k', 10)}")
    return ", ".join(parts)


def check_session_rows(path: str | Path, state: SessionState, n_rows: int, dim: int | None) -> None:
    """Raise InputError when the session does not fit the corpus it opens with."""
    schema.check_rows(Path(path), state, n_rows, dim)


def restore_task(path: str | Path) -> Task[tuple[SessionState, Corpus]]:
    """Read a session and its source corpus (checked against the saved SHA-256), and check
    that every row number and length in the session fits that corpus."""
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
    dim = state.vectors.shape[1] if state.vectors is not None else corpus.dim
    check_session_rows(path, state, corpus.n_rows, dim)
    for role, column in (("text", state.text_column), ("label", state.label_column)):
        if column is not None and column not in corpus.columns:
            raise InputError(
                f"{path.name} names a {role} column {column!r} that {source.name} lacks."
            )
    corpus = corpus.replace(text_column=state.text_column, label_column=state.label_column)
    if state.vectors is not None:
        corpus = corpus.with_vectors(state.vectors, state.vector_provenance or {})
    return state, corpus


def _state(path: Path, manifest: dict[str, Any], arrays: dict[str, np.ndarray]) -> SessionState:
    analysis = None
    if "analysis_params" in manifest:
        params = AnalysisParams(**manifest["analysis_params"])
        cache = {}
        for stage, info in manifest["stages"].items():
            parts = {
                name.split("/", 1)[1]: array
                for name, array in arrays.items()
                if name.startswith(stage + "/")
            }
            cache[stage] = (stage_key(stage, params), _stage_from_parts(stage, info, parts))
        analysis = AnalysisResult(params=params, cache=cache)
    tags = manifest.get("tags")
    return SessionState(
        source=manifest["source"],
        source_sha256=manifest.get("source_sha256"),
        read_options=manifest.get("read_options") or {},
        text_column=manifest.get("text_column"),
        label_column=manifest.get("label_column"),
        encoder_settings=manifest.get("encoder_settings"),
        vectors=arrays.get("vectors"),
        vector_provenance=manifest.get("vector_provenance"),
        analysis=analysis,
        selection=np.unique(arrays.get("selection", np.empty(0, dtype=np.int64))).astype(np.intp),
        tags=None if tags is None else np.array(tags, dtype=object),
        color_column=manifest.get("color_column"),
        view_range=manifest.get("view_range"),
        focus_row=int(manifest.get("focus_row", -1)),
    )
