"""Export rows of an analysed dataset, streamed: one row group at a time, never the whole table.

The selected rows of each row group are taken and appended to the output (Parquet with the
source's schema and provenance, CSV / TSV with lists as text, or JSON Lines), so exporting 1 %
or all of 10M rows holds one row group in memory. The files are written as a group and renamed
(core/io/atomic.py), with ``<file>.provenance.json`` beside them, like every export.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from embexplorer.core.errors import InputError
from embexplorer.core.io.analysed_dataset import PROVENANCE_KEY, AnalysedDataset
from embexplorer.core.io.atomic import atomic_paths, writing
from embexplorer.core.io.export import check_destinations, format_for, write_export_provenance
from embexplorer.core.tasks import Progress, Task

#: The formats an analysed dataset exports to (no vectors to write: NPY and the Projector's
#: pair have nothing to hold).
ANALYSED_FORMATS = ("parquet", "csv", "tsv", "jsonl")


def export_rows_task(
    dataset: AnalysedDataset,
    rows: np.ndarray,
    path: str | Path,
    fmt: str | None = None,
    overwrite: bool = False,
    extra: dict[str, np.ndarray] | None = None,
) -> Task[list[Path]]:
    """Write ``rows`` (ascending global rows) of every column to ``path``; ``extra`` adds
    columns given for every row of the dataset (the tags). Returns the files written."""
    path = Path(path)
    fmt = format_for(path, fmt)
    if fmt not in ANALYSED_FORMATS:
        raise InputError(
            f"An analysed dataset has no vectors to write as {fmt}; choose "
            f"{', '.join(ANALYSED_FORMATS)}."
        )
    rows = np.unique(np.asarray(rows, dtype=np.int64))
    if len(rows) and (rows[0] < 0 or rows[-1] >= dataset.n_rows):
        raise InputError(f"The rows to export are not all among the {dataset.n_rows:,} rows.")
    targets = check_destinations(path, fmt, overwrite, inputs=dataset.files)
    with atomic_paths(targets) as temps:
        with writing(temps[0]):
            yield from _write(dataset, rows, temps[0], fmt, extra or {})
        write_export_provenance(
            temps[-1],
            dataset.provenance,
            len(rows),
            fmt,
            [targets[0].name],
            source=str(dataset.path),
        )
    yield Progress(1.0, f"Exported {len(rows):,} rows to {targets[0].name}")
    return targets


def _pieces(dataset: AnalysedDataset, rows: np.ndarray, extra: dict[str, np.ndarray]):
    """(table of the selected rows of one row group, rows done so far), in row order."""
    import pyarrow as pa

    done = 0
    for g, lo, hi in dataset.iter_groups():
        a, b = np.searchsorted(rows, [lo, hi])
        if a == b:
            continue
        table = dataset.read_group(g).take(pa.array(rows[a:b] - lo))
        for name, values in extra.items():
            table = table.append_column(name, pa.array(values[rows[a:b]]))
        done += int(b - a)
        yield table, done


def _empty(dataset: AnalysedDataset, extra: dict[str, np.ndarray]):
    import pyarrow as pa

    table = dataset.schema.empty_table()
    for name, values in extra.items():
        table = table.append_column(name, pa.array(values[:0]))
    return table


def _write(dataset, rows, temp: Path, fmt: str, extra) -> Task[None]:
    total = max(len(rows), 1)
    if fmt == "parquet":
        writer = None
        try:
            for table, done in _pieces(dataset, rows, extra):
                writer = writer or _parquet_writer(temp, table.schema, dataset)
                writer.write_table(table.replace_schema_metadata(writer.schema.metadata))
                yield Progress(done / total, f"Writing rows: {done:,}")
            if writer is None:
                table = _empty(dataset, extra)
                writer = _parquet_writer(temp, table.schema, dataset)
                writer.write_table(table.replace_schema_metadata(writer.schema.metadata))
        finally:
            if writer is not None:
                writer.close()
        return
    if fmt == "jsonl":
        with open(temp, "w", encoding="utf-8") as fh:
            for table, done in _pieces(dataset, rows, extra):
                for record in table.to_pylist():
                    fh.write(json.dumps(_plain(record), ensure_ascii=False) + "\n")
                yield Progress(done / total, f"Writing rows: {done:,}")
        return
    yield from _write_delimited(dataset, rows, temp, "," if fmt == "csv" else "\t", extra)


def _parquet_writer(temp: Path, schema, dataset: AnalysedDataset):
    import pyarrow.parquet as pq

    meta = {PROVENANCE_KEY: json.dumps(dataset.provenance, default=str).encode()}
    return pq.ParquetWriter(str(temp), schema.with_metadata(meta), compression="zstd")


def _write_delimited(dataset, rows, temp: Path, delimiter: str, extra) -> Task[None]:
    import pyarrow.csv as pacsv

    options = pacsv.WriteOptions(delimiter=delimiter)
    writer = None
    total = max(len(rows), 1)
    try:
        pieces = _text_lists(_pieces(dataset, rows, extra))
        for table, done in pieces:
            writer = writer or pacsv.CSVWriter(str(temp), table.schema, write_options=options)
            writer.write_table(table)
            yield Progress(done / total, f"Writing rows: {done:,}")
        if writer is None:
            table = _lists_as_text(_empty(dataset, extra))
            writer = pacsv.CSVWriter(str(temp), table.schema, write_options=options)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()


def _text_lists(pieces):
    """The pieces with list columns (neighbours, distances) written as ``[1, 2, 3]`` text."""
    for table, done in pieces:
        yield _lists_as_text(table), done


def _lists_as_text(table):
    import pyarrow as pa

    for i, f in enumerate(table.schema):
        if pa.types.is_list(f.type) or pa.types.is_fixed_size_list(f.type):
            texts = [None if v is None else json.dumps(v) for v in table.column(i).to_pylist()]
            table = table.set_column(i, f.name, pa.array(texts, type=pa.string()))
    return table


def _plain(record: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in record.items():
        if isinstance(value, float) and not np.isfinite(value):
            value = None  # JSON has no NaN
        out[key] = value
    return out
