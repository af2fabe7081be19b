"""Export rows (a selection or all) with the columns the user chose, in every format we read.

Formats: CSV, TSV, Parquet, JSONL, NPY (vectors only) and the Embedding Projector's
``vectors.tsv`` + ``metadata.tsv`` pair. Every export also writes ``<file>.provenance.json``
(source and its SHA-256, encoder, metric, k, projection and seed, app version, time). All
files of one export are written and replaced as a group (``core/io/atomic.py``): a failure
leaves nothing half-written and clobbers nothing, and a reader never takes a half-replaced
Projector pair for a whole one. An existing file is replaced only with ``overwrite=True`` (the
GUI asks first; the CLI needs ``--force``); :func:`check_destinations` says so, and any other
reason the files cannot be written, before any work. Every format loads back in embexplorer to
the same rows, metadata and bit-identical float32 vectors (tests/core/test_export.py). An export
of no rows is still a valid file (the header or schema, or an array of shape (0, D)), which
embexplorer reads back as "no rows"; only JSON Lines and the Projector's ``vectors.tsv``, which
have no header, are then empty.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from embexplorer import __version__
from embexplorer.core.errors import InputError
from embexplorer.core.io.atomic import atomic_paths, check_writable, writing
from embexplorer.core.io.writers import arrow_column
from embexplorer.core.tasks import Progress, Task, chunk_ranges

FORMATS = {
    "csv": ".csv",
    "tsv": ".tsv",
    "parquet": ".parquet",
    "jsonl": ".jsonl",
    "npy": ".npy",
    "projector": ".tsv",
}
#: Formats that hold nothing but vectors (NPY) or need them (the Projector pair).
VECTOR_FORMATS = ("npy", "projector")
BATCH_ROWS = 65_536


@dataclass(frozen=True, eq=False)
class ExportFrame:
    """The rows to write: named 1-D columns, named 2-D list columns (neighbours, …), vectors."""

    columns: dict[str, np.ndarray] = field(default_factory=dict)
    lists: dict[str, np.ndarray] = field(default_factory=dict)
    vectors: np.ndarray | None = None
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        for source in (self.columns, self.lists):
            for values in source.values():
                return len(values)
        return 0 if self.vectors is None else len(self.vectors)


def format_for(path: Path, requested: str | None = None) -> str:
    if requested:
        if requested not in FORMATS:
            raise InputError(
                f"Unknown export format {requested!r}; choose one of {', '.join(FORMATS)}."
            )
        return requested
    by_suffix = {
        ".csv": "csv",
        ".tsv": "tsv",
        ".parquet": "parquet",
        ".pq": "parquet",
        ".jsonl": "jsonl",
        ".ndjson": "jsonl",
        ".npy": "npy",
    }
    found = by_suffix.get(path.suffix.lower())
    if found is None:
        raise InputError(
            f"{path.name}: cannot tell the export format from the name; use one of "
            ".csv .tsv .parquet .jsonl .npy (or choose the Projector pair)."
        )
    return found


def destinations(path: Path, fmt: str) -> list[Path]:
    """Every file the export writes (data, partner, provenance)."""
    if fmt == "projector":
        folder, stem = path.parent, path.stem
        stem = stem[: -len("vectors")] if stem.endswith("vectors") else stem + "_"
        data = [folder / f"{stem}vectors.tsv", folder / f"{stem}metadata.tsv"]
    else:
        data = [path]
    return [*data, data[0].with_name(data[0].name + ".provenance.json")]


def check_destinations(
    path: str | Path,
    fmt: str | None = None,
    overwrite: bool = False,
    inputs: Iterable[str | Path] = (),
) -> list[Path]:
    """Every file the export will write, once it is sure they can be written (cheap: call it
    before reading or computing anything). ``inputs`` are files that must not be replaced."""
    path = Path(path)
    targets = destinations(path, format_for(path, fmt))
    check_writable(targets, inputs)
    existing = [p for p in targets[:-1] if p.exists()]
    if existing and not overwrite:
        raise InputError(
            f"{existing[0].name} already exists; choose another name or allow replacing it."
        )
    return targets


def export_task(
    path: str | Path, frame: ExportFrame, fmt: str | None = None, overwrite: bool = False
) -> Task[list[Path]]:
    """Write ``frame`` to ``path`` (and its partner and provenance files); return the paths."""
    path = Path(path)
    fmt = format_for(path, fmt)
    targets = check_destinations(path, fmt, overwrite)
    if fmt in VECTOR_FORMATS and frame.vectors is None:
        columns = ", ".join([*frame.columns, *frame.lists]) or "none"
        raise InputError(
            f"The {fmt} format holds vectors, and this export has none (its columns: "
            f"{columns}); include the vectors, or choose CSV, TSV, Parquet or JSON Lines."
        )
    with atomic_paths(targets) as temps:
        with writing(temps[0]):  # the Projector's writer names its metadata file itself
            yield from _WRITERS[fmt](temps, frame)
        files = [p.name for p in targets[:-1]]
        write_export_provenance(temps[-1], frame.provenance, frame.n_rows, fmt, files)
    yield Progress(1.0, f"Exported {frame.n_rows:,} rows to {targets[0].name}")
    return targets


def write_export_provenance(
    temp: Path, provenance: dict, n_rows: int, fmt: str, files: list[str], **more: Any
) -> None:
    """The export's provenance file (written in its group's temporary path): where the rows
    came from, how many, the format and files, when and by which version."""
    record = {
        **provenance,
        **more,
        "rows": n_rows,
        "format": fmt,
        "files": files,
        "exported_at": datetime.datetime.now(datetime.UTC).isoformat(),
        "app": f"embexplorer {__version__}",
    }
    with writing(temp):
        temp.write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")


def _arrow_table(frame: ExportFrame, lo: int, hi: int, lists_as_text: bool) -> Any:
    import pyarrow as pa

    arrays: dict[str, Any] = {}
    for name, values in frame.columns.items():
        arrays[name] = arrow_column(values[lo:hi])
    for name, matrix in frame.lists.items():
        arrays[name] = (
            pa.array(_list_texts(matrix[lo:hi])) if lists_as_text else _fixed_list(matrix[lo:hi])
        )
    if frame.vectors is not None:
        if lists_as_text:  # spreadsheets: one numbered column per dimension
            block = frame.vectors[lo:hi]
            for j in range(block.shape[1]):
                arrays[f"dim_{j}"] = pa.array(block[:, j], type=pa.float32())
        else:
            arrays["vector"] = _fixed_list(frame.vectors[lo:hi])
    return pa.table(arrays)


def _batches(n_rows: int) -> list[tuple[int, int]]:
    """Row ranges to write; one empty range for no rows, so the header or schema is written."""
    return chunk_ranges(n_rows, BATCH_ROWS) or [(0, 0)]


def _fixed_list(matrix: np.ndarray) -> Any:
    import pyarrow as pa

    matrix = np.ascontiguousarray(matrix)
    return pa.FixedSizeListArray.from_arrays(pa.array(matrix.reshape(-1)), matrix.shape[1])


def _list_texts(matrix: np.ndarray) -> list[str]:
    return ["[" + ", ".join(_number_text(v) for v in row) + "]" for row in matrix]


def _number_text(value: Any) -> str:
    return repr(value.item()) if isinstance(value, np.generic) else repr(value)


def _write_delimited(temps: list[Path], frame: ExportFrame, delimiter: str) -> Task[None]:
    import pyarrow.csv as pacsv

    options = pacsv.WriteOptions(delimiter=delimiter)
    writer = None
    try:
        for lo, hi in _batches(frame.n_rows):
            table = _arrow_table(frame, lo, hi, lists_as_text=True)
            if writer is None:
                writer = pacsv.CSVWriter(str(temps[0]), table.schema, write_options=options)
            writer.write_table(table)
            yield Progress(hi / max(frame.n_rows, 1), f"Writing rows: {hi:,}")
    finally:
        if writer is not None:
            writer.close()


def _write_parquet(temps: list[Path], frame: ExportFrame) -> Task[None]:
    import pyarrow.parquet as pq

    from embexplorer.core.io.parquet import PROVENANCE_KEY

    writer = None
    try:
        for lo, hi in _batches(frame.n_rows):
            table = _arrow_table(frame, lo, hi, lists_as_text=False)
            if writer is None:
                meta = {PROVENANCE_KEY: json.dumps(frame.provenance, default=str).encode()}
                schema = table.schema.with_metadata(meta)
                writer = pq.ParquetWriter(str(temps[0]), schema, compression="zstd")
            writer.write_table(table.replace_schema_metadata(writer.schema.metadata))
            yield Progress(hi / max(frame.n_rows, 1), f"Writing rows: {hi:,}")
    finally:
        if writer is not None:
            writer.close()


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None  # JSON has no NaN
    return value


def _write_jsonl(temps: list[Path], frame: ExportFrame) -> Task[None]:
    with open(temps[0], "w", encoding="utf-8") as fh:
        for lo, hi in chunk_ranges(frame.n_rows, BATCH_ROWS):
            for i in range(lo, hi):
                record = {name: _json_value(values[i]) for name, values in frame.columns.items()}
                for name, matrix in frame.lists.items():
                    record[name] = [_json_value(v) for v in matrix[i]]
                if frame.vectors is not None:
                    # float32 → the float64 of the same value: read back as float32, identical
                    record["vector"] = frame.vectors[i].astype(np.float64).tolist()
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            yield Progress(hi / max(frame.n_rows, 1), f"Writing rows: {hi:,}")


def _write_npy(temps: list[Path], frame: ExportFrame) -> Task[None]:
    yield Progress(None, "Writing vectors")
    with open(temps[0], "wb") as fh:
        np.save(fh, np.ascontiguousarray(frame.vectors, dtype=np.float32), allow_pickle=False)


def _write_projector(temps: list[Path], frame: ExportFrame) -> Task[None]:
    """vectors.tsv (no header) and metadata.tsv (a header only with more than one column).

    The format has no quoting: tabs and line breaks inside values become spaces.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    # pyarrow writes each float32 in its shortest round-tripping form, quickly
    options = pacsv.WriteOptions(include_header=False, delimiter="\t")
    with pacsv.CSVWriter(
        str(temps[0]),
        pa.schema([(f"d{j}", pa.float32()) for j in range(frame.vectors.shape[1])]),
        write_options=options,
    ) as writer:
        for lo, hi in chunk_ranges(frame.n_rows, BATCH_ROWS):
            block = frame.vectors[lo:hi]
            writer.write_table(pa.table({f"d{j}": block[:, j] for j in range(block.shape[1])}))
            yield Progress(0.5 * hi / max(frame.n_rows, 1), "Writing vectors.tsv")
    with writing(temps[1]):
        temps[1].write_text(_projector_metadata(frame), encoding="utf-8")
    yield Progress(1.0, "Writing metadata.tsv")


def _projector_metadata(frame: ExportFrame) -> str:
    names = list(frame.columns) + list(frame.lists)
    if not names:
        return ""
    cells = {
        **{n: [_cell(v) for v in frame.columns[n]] for n in frame.columns},
        **{n: _list_texts(frame.lists[n]) for n in frame.lists},
    }
    lines = ["\t".join(names)] if len(names) > 1 else []
    lines += ["\t".join(cells[n][i] for n in names) for i in range(frame.n_rows)]
    return "".join(line + "\n" for line in lines)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float | np.floating):
        return "" if np.isnan(value) else repr(float(value))
    return str(value).replace("\t", " ").replace("\r", " ").replace("\n", " ")


_WRITERS = {
    "csv": lambda temps, frame: _write_delimited(temps, frame, ","),
    "tsv": lambda temps, frame: _write_delimited(temps, frame, "\t"),
    "parquet": _write_parquet,
    "jsonl": _write_jsonl,
    "npy": _write_npy,
    "projector": _write_projector,
}


def export_provenance(
    corpus_provenance: Mapping[str, Any], analysis: Mapping[str, Any], selection: str
) -> dict[str, Any]:
    """Source and its hash, encoder and its hash, metric, k, projection and seed."""
    source = {
        k: corpus_provenance.get(k)
        for k in ("source", "source_sha256", "format")
        if corpus_provenance.get(k) is not None
    }
    out: dict[str, Any] = {**source, "selection": selection, **analysis}
    if "encoder" in corpus_provenance:
        out["encoder"] = corpus_provenance["encoder"]
    return out
