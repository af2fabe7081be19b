"""What a session file may hold, checked field by field before any of it is used.

A ``.embx`` file comes from anywhere (a colleague, a download, a damaged disk), so nothing in
it is trusted: every zip member is size-checked before it is inflated and the manifest is
parsed with bounded nesting (core.io.limits, shared with the corpus readers); every field is
checked for its type and range, every array for its name, dtype and shape, and, once the
source corpus is read, every row number and length against that corpus. Each failure is an
:class:`InputError` naming the field, so the window shows one clear message and applies
nothing.
"""

from __future__ import annotations

import math
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from embexplorer.core.errors import InputError
from embexplorer.core.io.limits import parse_json, read_zip_member, read_zip_npy

_HEX64 = re.compile(r"[0-9a-f]{64}")

#: Arrays each stage stores: name -> (ndim, dtype kind, columns or None, required).
STAGE_ARRAYS: dict[str, dict[str, tuple[int, str, int | None, bool]]] = {
    "projection": {
        "coords": (2, "f", 2, True),
        "mean": (1, "f", None, False),
        "components": (2, "f", None, False),
    },
    "knn": {"indices": (2, "i", None, True), "distances": (2, "f", None, True)},
    "hubness": {"k_occurrence": (1, "i", None, True)},
    "reduction": {
        "indices": (2, "i", None, True),
        "scores": (2, "f", None, True),
        "k_occurrence": (1, "i", None, True),
    },
    "clusters": {"labels": (1, "i", None, True)},
    "quality": {"preservation": (1, "f", None, True)},
    "comparison": {},
}
#: The fields each stage's manifest entry must hold, with their types.
STAGE_FIELDS: dict[str, dict[str, tuple[type, ...]]] = {
    "projection": {"method": (str,), "params": (dict,)},
    "knn": {
        "metric": (str,),
        "method": (str,),
        "recall": (float, int, type(None)),
        "params": (dict,),
    },
    "hubness": {"k": (int,)},
    "reduction": {"method": (str,), "params": (dict,), "k": (int,)},
    "clusters": {"method": (str,), "params": (dict,), "keywords": (dict,)},
    "quality": {"trust": (dict,)},
    "comparison": {"rows": (list,), "label_column": (str, type(None))},
}
#: Each row of the comparison of reductions: field -> allowed types.
_COMPARISON_FIELDS: dict[str, tuple[type, ...]] = {
    "method": (str,),
    "variant": (str, type(None)),
    "skewness": (float, int),
    "n_antihubs": (int,),
    "n_hubs": (int,),
    "accuracy": (float, int, type(None)),
    "exact": (bool,),
}
_TRUST_FIELDS = {
    "value": (float, int, type(None)),
    "k": (int,),
    "metric": (str,),
    "rows_used": (int,),
    "rows_total": (int,),
    "seed": (int, type(None)),
}
_OPTIONAL_STRINGS = ("text_column", "label_column", "color_column")
_OPTIONAL_DICTS = ("encoder_settings", "vector_provenance")


def _fail(path: Path, what: str) -> InputError:
    return InputError(f"{path.name} is a damaged session: {what}.")


# -- the container ---------------------------------------------------------------------------
def read_manifest(path: Path, zf: zipfile.ZipFile, budget: int) -> dict[str, Any]:
    """``manifest.json``, size-checked before it is inflated and parsed with bounded nesting."""
    raw = read_zip_member(zf, "manifest.json", budget, path.name)
    manifest = parse_json(raw, f"{path.name}: manifest.json")
    if not isinstance(manifest, dict):
        raise InputError(f"{path.name} is not an embexplorer session (no format version).")
    return manifest


def read_arrays(
    path: Path, zf: zipfile.ZipFile, names: list[str], budget: int
) -> dict[str, np.ndarray]:
    """The named ``.npy`` members (``arrays/NAME.npy`` -> ``NAME``), each size- and
    header-checked before it is allocated, together within ``budget`` bytes."""
    arrays = {}
    for name in names:
        array = read_zip_npy(zf, name, budget, path.name)
        if array.dtype.kind not in "biuf":
            raise _fail(path, f"{name} holds {array.dtype} values, not numbers")
        budget -= array.nbytes
        arrays[name[len("arrays/") : -len(".npy")]] = array
    return arrays


# -- the manifest -------------------------------------------------------------------------------
def check_version(path: Path, manifest: dict[str, Any], newest: int) -> int:
    version = manifest.get("format_version")
    if "format_version" not in manifest:
        raise InputError(f"{path.name} is not an embexplorer session (no format version).")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _fail(path, f"format_version must be a whole number ≥ 1; got {version!r}")
    if version > newest:
        raise InputError(
            f"{path.name} was saved by a newer embexplorer (session format {version}; this "
            f"version reads up to {newest}). Update embexplorer to open it."
        )
    return version


def _field(path: Path, manifest: dict, name: str, types: tuple[type, ...], where: str = "") -> Any:
    value = manifest.get(name)
    if isinstance(value, bool) and bool not in types:
        value = object()  # True is an int to Python, not to a session
    if not isinstance(value, types):
        kinds = " or ".join("null" if t is type(None) else t.__name__ for t in types)
        raise _fail(path, f"{where}{name} must be {kinds}; got {manifest.get(name)!r:.80}")
    return value


def check_manifest(path: Path, manifest: dict[str, Any]) -> None:
    """Every field's type and range (what needs the corpus waits for :func:`check_rows`)."""
    from embexplorer.core.io import ReadOptions

    source = _field(path, manifest, "source", (str,))
    if not source:
        raise _fail(path, "source is empty")
    digest = _field(path, manifest, "source_sha256", (str,))
    if not _HEX64.fullmatch(digest):
        raise _fail(path, "source_sha256 is not a SHA-256 (64 hexadecimal digits)")
    for name in _OPTIONAL_STRINGS:
        _field(path, manifest, name, (str, type(None)))
    options = _field(path, manifest, "read_options", (dict,))
    known = set(ReadOptions.__dataclass_fields__)
    for key in options:
        if key not in known:
            raise _fail(path, f"read_options has an unknown option {key!r}")
        _field(path, options, key, (str, type(None)), "read_options.")
    if options.get("nonfinite", "refuse") not in ("refuse", "drop"):
        raise _fail(path, "read_options.nonfinite must be refuse or drop")
    tags = _field(path, manifest, "tags", (list, type(None)))
    if tags is not None and not all(t is None or isinstance(t, str) for t in tags):
        raise _fail(path, "tags must be a list of strings or nulls")
    focus = _field(path, manifest, "focus_row", (int,))
    if focus < -1:
        raise _fail(path, f"focus_row must be a row number or -1; got {focus}")
    _check_view_range(path, manifest.get("view_range"))
    if manifest["format_version"] == 1:
        for name in _OPTIONAL_DICTS:
            _field(path, manifest, name, (dict, type(None)))
        if "analysis_params" in manifest:
            _check_analysis(path, manifest)
    else:
        _check_embeddings(path, manifest)


#: How an embedding's vectors are got back (session_file): re-read, re-derived or stored.
ORIGIN_KINDS = ("source", "column", "file", "encoder", "derived")


def _check_embeddings(path: Path, manifest: dict[str, Any]) -> None:
    from embexplorer.core.analysis.params import AnalysisParams, check_params
    from embexplorer.core.embedding.variants import parse_variant

    entries = _field(path, manifest, "embeddings", (list,))
    seen: list[str] = []
    for i, entry in enumerate(entries):
        where = f"embeddings[{i}]."
        if not isinstance(entry, dict):
            raise _fail(path, f"embeddings[{i}] must be an object")
        name = _field(path, entry, "name", (str,), where)
        if not name or name in seen:
            raise _fail(path, f"{where}name must be a new, non-empty name; got {name!r}")
        origin = _field(path, entry, "origin", (dict,), where)
        _field(path, entry, "provenance", (dict,), where)
        kind = origin.get("kind")
        if kind not in ORIGIN_KINDS:
            raise _fail(path, f"{where}origin.kind must be one of {', '.join(ORIGIN_KINDS)}")
        if kind == "column":
            _field(path, origin, "column", (str,), f"{where}origin.")
        if kind == "derived":
            parent = _field(path, origin, "parent", (str,), f"{where}origin.")
            if parent not in seen:
                raise _fail(path, f"{where}origin.parent {parent!r} is not an earlier embedding")
            try:
                parse_variant(_field(path, origin, "variant", (str,), f"{where}origin."))
            except InputError as exc:
                raise _fail(path, f"{where}origin.variant: {exc}") from exc
        if "analysis_params" in entry:
            _check_analysis(path, entry, where)
        elif "params" in entry:
            raw = _field(path, entry, "params", (dict,), where)
            _check_params(path, raw, f"{where}params", AnalysisParams, check_params)
        seen.append(name)
    for key in ("active", "other"):
        value = _field(path, manifest, key, (str, type(None)))
        if value is not None and value not in seen:
            raise _fail(path, f"{key} names no embedding of the session ({value!r})")


def _check_params(path: Path, raw: dict, where: str, params_type: type, check: Any) -> None:
    unknown = sorted(set(raw) - set(params_type.__dataclass_fields__))
    if unknown:
        raise _fail(path, f"{where} has unknown parameters: {', '.join(unknown)}")
    try:
        check(params_type(**raw))
    except InputError as exc:
        raise _fail(path, f"{where}: {exc}") from exc


def _check_view_range(path: Path, view: Any) -> None:
    if view is None:
        return
    ok = (
        isinstance(view, list)
        and len(view) == 2
        and all(isinstance(axis, list) and len(axis) == 2 for axis in view)
        and all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for axis in view
            for v in axis
        )
        and all(axis[0] < axis[1] for axis in view)
    )
    if not ok:
        raise _fail(path, "view_range must be [[x0, x1], [y0, y1]] with finite x0 < x1, y0 < y1")


def _check_analysis(path: Path, manifest: dict[str, Any], where: str = "") -> None:
    from embexplorer.core.analysis.params import AnalysisParams, check_params
    from embexplorer.core.analysis.pipeline import STAGES

    raw = _field(path, manifest, "analysis_params", (dict,), where)
    _check_params(path, raw, f"{where}analysis_params", AnalysisParams, check_params)
    stages = _field(path, manifest, "stages", (dict,), where)
    for stage, info in stages.items():
        at = f"{where}stages.{stage}"
        if stage not in STAGES:
            raise _fail(path, f"{where}stages holds an unknown stage {stage!r}")
        if not isinstance(info, dict):
            raise _fail(path, f"{at} must be an object")
        if info.get("none") is True:
            continue
        for name, types in STAGE_FIELDS[stage].items():
            _field(path, info, name, types, f"{at}.")
        if stage == "quality":
            for name, types in _TRUST_FIELDS.items():
                _field(path, info["trust"], name, types, f"{at}.trust.")
        if stage == "comparison":
            _check_comparison(path, info["rows"], at)
        if stage == "clusters":
            for cluster, words in info["keywords"].items():
                if not (cluster.lstrip("-").isdigit() and isinstance(words, list)):
                    raise _fail(path, f"{at}.keywords must map cluster ids to lists")
                if not all(isinstance(w, str) for w in words):
                    raise _fail(path, f"{at}.keywords must hold words")


def _check_comparison(path: Path, rows: list, at: str) -> None:
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise _fail(path, f"{at}.rows[{i}] must be an object")
        for name, types in _COMPARISON_FIELDS.items():
            _field(path, row, name, types, f"{at}.rows[{i}].")
        bad = [key for key, value in row.items() if not isinstance(value, _SCALARS)]
        if bad:
            raise _fail(path, f"{at}.rows[{i}].{bad[0]} must be a number, text or null")


_SCALARS = (str, int, float, bool, type(None))


# -- the arrays ---------------------------------------------------------------------------------
def array_names(path: Path, manifest: dict[str, Any], names: list[str]) -> list[str]:
    """The array members to read: known names only, and every one the manifest needs."""
    allowed = {"arrays/selection.npy"}
    if manifest["format_version"] == 1:
        allowed.add("arrays/vectors.npy")
        if "analysis_params" in manifest:
            allowed |= _stage_members(path, manifest, "arrays/", names)
    else:
        for i, entry in enumerate(manifest["embeddings"]):
            prefix = f"arrays/e{i}/"
            if entry["origin"]["kind"] in ("file", "encoder"):
                if f"{prefix}vectors.npy" not in names:
                    raise _fail(path, f"embedding {entry['name']!r} has no vectors array")
                allowed.add(f"{prefix}vectors.npy")
            if "analysis_params" in entry:
                allowed |= _stage_members(path, entry, prefix, names)
    wanted = [n for n in names if n.startswith("arrays/")]
    unknown = [n for n in wanted if n not in allowed]
    if unknown:
        raise _fail(path, f"it holds arrays no session has: {', '.join(unknown[:3])}")
    return wanted


def _stage_members(path: Path, analysis: dict[str, Any], prefix: str, names: list[str]) -> set:
    allowed = set()
    for stage, info in analysis["stages"].items():
        allowed |= {f"{prefix}{stage}/{part}.npy" for part in STAGE_ARRAYS[stage]}
        if info.get("none") is True:
            continue
        for part, (*_, required) in STAGE_ARRAYS[stage].items():
            if required and f"{prefix}{stage}/{part}.npy" not in names:
                raise _fail(path, f"the {stage} stage has no {part} array")
    return allowed


def check_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Each array's dtype and number of dimensions (lengths wait for :func:`check_rows`)."""
    specs = {"selection": (1, "i", None), "vectors": (2, "f", None)}
    for stage, parts in STAGE_ARRAYS.items():
        for part, (ndim, kind, columns, _) in parts.items():
            specs[f"{stage}/{part}"] = (ndim, kind, columns)
    for name, array in arrays.items():
        ndim, kind, columns = specs[re.sub(r"^e\d+/", "", name)]
        kind_ok = array.dtype.kind in ("iu" if kind == "i" else "f")
        if array.ndim != ndim or not kind_ok or (columns and array.shape[1] != columns):
            raise _fail(
                path,
                f"the array {name} is {array.dtype} with shape {array.shape}; expected "
                f"{ndim}-D {'integers' if kind == 'i' else 'floats'}",
            )
        if name != "selection" and not len(array):  # computed on >= 2 rows, never on none
            raise _fail(path, f"the array {name} is empty")
        if name.endswith("vectors") and array.dtype != np.float32:
            raise _fail(path, f"the vectors are {array.dtype}; sessions store float32")
        if kind == "f" and not np.isfinite(array).all():
            raise _fail(path, f"the array {name} holds NaN or infinite values")


def check_rows(path: Path, state: Any, n_rows: int, dims: dict[str, int]) -> None:
    """Every length, row number and width in ``state`` against the corpus it opens with
    (``dims``: each embedding's number of dimensions)."""
    if state.tags is not None and len(state.tags) != n_rows:
        raise _fail(path, f"tags has {len(state.tags):,} entries for {n_rows:,} rows")
    _check_rows_in(path, "selection", state.selection, n_rows)
    if state.focus_row >= n_rows:
        raise _fail(path, f"focus_row {state.focus_row} is beyond the {n_rows:,} rows")
    for embedding in state.embeddings:
        if embedding.vectors is not None and len(embedding.vectors) != n_rows:
            raise _fail(
                path,
                f"{embedding.name}: vectors has {len(embedding.vectors):,} rows for {n_rows:,}",
            )
        if embedding.analysis is not None:
            _check_analysis_rows(path, embedding.analysis, n_rows, dims.get(embedding.name))


def _check_analysis_rows(path: Path, analysis: Any, n_rows: int, dim: int | None) -> None:
    for stage, (_, value) in analysis.cache.items():
        if value is None:
            continue
        for name, array in _stage_arrays(stage, value).items():
            if len(array) != n_rows:
                raise _fail(path, f"{stage}/{name} has {len(array):,} rows for {n_rows:,}")
            if name == "indices":
                _check_rows_in(path, f"{stage}/{name}", array, n_rows)
        for (name, array), (partner, other) in _paired_arrays(stage, value):
            if array.shape != other.shape:
                raise _fail(
                    path,
                    f"{stage}/{name} has shape {array.shape}, but {stage}/{partner} has "
                    f"{other.shape}",
                )
    k = analysis.params.k
    knn, hub = analysis.knn, analysis.hubness
    if knn is not None and knn.indices.shape[1] < k:
        raise _fail(path, f"the kNN graph has {knn.indices.shape[1]} columns for k = {k}")
    if hub is not None and hub.k != k:
        raise _fail(path, f"hubness was computed for k = {hub.k}, the parameters say {k}")
    projection = analysis.projection
    if projection is not None and projection.linear_map is not None and dim is not None:
        mean, components = projection.linear_map
        if len(mean) != dim or components.shape[0] != dim:
            raise _fail(path, f"the PCA map is for {len(mean)} dimensions, the vectors have {dim}")


def _stage_arrays(stage: str, value: Any) -> dict[str, np.ndarray]:
    if stage == "projection":
        return {"coords": value.coords}
    if stage == "knn":
        return {"indices": value.indices, "distances": value.distances}
    if stage == "hubness":
        return {"k_occurrence": value.k_occurrence}
    if stage == "reduction":
        return {"indices": value.neighbors.indices, "k_occurrence": value.hubness.k_occurrence}
    if stage == "clusters":
        return {"labels": value.labels}
    if stage == "comparison":
        return {}
    return {"preservation": value.preservation}


def _paired_arrays(stage: str, value: Any) -> list:
    """The arrays of a stage that hold one value per entry of another (same shape)."""
    if stage == "knn":
        return [(("distances", value.distances), ("indices", value.indices))]
    if stage == "reduction":
        return [(("scores", value.neighbors.scores), ("indices", value.neighbors.indices))]
    return []


def _check_rows_in(path: Path, name: str, rows: np.ndarray, n_rows: int) -> None:
    if rows.size and (rows.min() < 0 or rows.max() >= n_rows):
        raise _fail(path, f"{name} holds row numbers outside 0…{n_rows - 1}")
