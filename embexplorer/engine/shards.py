"""The work units of ``embed --engine ray``: which rows of which input file each output shard
holds, planned on the driver from the files' names and Parquet footers alone.

A unit is a range of rows of one input file, and its output is one Parquet file named after
it (``wiki-00.parquet.000000100000.parquet``: the input's name, then the first row), so the
output's files in name order hold the rows in the inputs' order, and whether a unit is done
is whether its file is there (files are written to a temporary name and renamed). A Parquet
file is cut at row-group boundaries into units of about ``rows_per_shard`` rows (a row group
larger than that is sliced: each slice decodes the group, a small cost beside embedding its
rows). A CSV, TSV or JSONL file cannot be cut without reading it, so each is one unit.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from embexplorer.core.errors import InputError

#: The input formats the engine reads, by file extension.
INPUT_FORMATS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".tsv": "tsv",
}
#: Rows per unit when not chosen: ~2 minutes of one CPU core with the bundled model, so a
#: killed worker costs little, progress moves often, and 10M rows make 1,000 output files.
DEFAULT_ROWS_PER_SHARD = 10_000


@dataclass(frozen=True, slots=True)
class Unit:
    """Rows ``start`` to ``stop`` (excluded) of ``source``; ``stop`` is None for a whole
    CSV / TSV / JSONL file, whose rows are not counted before it is read."""

    source: Path
    start: int
    stop: int | None
    output: str
    #: ids without an ``id`` column: the row number (one input file), or ``name:row`` (a
    #: folder of files, whose row numbers repeat from file to file)
    named_ids: bool = False

    @property
    def rows(self) -> int | None:
        return None if self.stop is None else self.stop - self.start

    @property
    def format(self) -> str:
        return INPUT_FORMATS[self.source.suffix.lower()]

    def describe(self) -> str:
        if self.stop is None:
            return self.source.name
        return f"{self.source.name} rows {self.start:,}–{self.stop - 1:,}"


@dataclass(frozen=True, slots=True)
class Plan:
    """The units of a run, and the input files refused before any work (file name → why)."""

    inputs: list[Path]
    units: list[Unit]
    refused: dict[str, str]

    @property
    def total_rows(self) -> int | None:
        rows = [u.rows for u in self.units]
        return None if any(r is None for r in rows) else sum(r for r in rows if r is not None)


def list_inputs(path: Path) -> list[Path]:
    """``path`` itself, or the data files in the folder ``path`` in name order (hidden files and
    ``_``-prefixed ones, such as a dataset's ``_metadata``, are skipped)."""
    known = ", ".join(sorted(INPUT_FORMATS))
    if path.is_dir():
        files = sorted(
            p
            for p in path.iterdir()
            if p.is_file() and p.suffix.lower() in INPUT_FORMATS and p.name[0] not in "._"
        )
        if not files:
            raise InputError(f"{path} holds no data files to embed (looked for {known}).")
        return files
    if not path.exists():
        raise InputError(f"{path}: no such file or folder.")
    if path.suffix.lower() not in INPUT_FORMATS:
        raise InputError(
            f"{path.name}: the distributed engine reads Parquet, JSONL, CSV and TSV files "
            f"(by extension: {known})."
        )
    return [path]


def plan_units(path: Path, text_column: str, rows_per_shard: int) -> Plan:
    """The units of embedding ``path`` (a file or a folder of shards)."""
    if rows_per_shard < 1:
        raise InputError(f"--rows-per-shard must be at least 1; got {rows_per_shard}.")
    inputs = list_inputs(path)
    named = path.is_dir()
    units: list[Unit] = []
    refused: dict[str, str] = {}
    for source in inputs:
        try:
            ranges = _row_ranges_of(source, text_column, rows_per_shard)
        except InputError as exc:
            refused[source.name] = str(exc)
            continue
        for start, stop in ranges:
            units.append(Unit(source, start, stop, shard_name(source, start), named))
    return Plan(inputs, units, refused)


def shard_name(source: Path, start: int) -> str:
    return f"{source.name}.{start:012d}.parquet"


def _row_ranges_of(
    source: Path, text_column: str, rows_per_shard: int
) -> list[tuple[int, int | None]]:
    if INPUT_FORMATS[source.suffix.lower()] != "parquet":
        return [(0, None)]
    from embexplorer.core.io import check_regular_file
    from embexplorer.core.io.parquet_footer import read_footer

    check_regular_file(source)
    groups = read_footer(source)  # a damaged footer is refused here, naming the file
    names = {chunk.path.split(".")[0] for group in groups[:1] for chunk in group.chunks}
    if groups and text_column not in names:
        raise InputError(
            f"{source.name}: there is no column {text_column!r} to use as the text column; "
            f"columns are: {', '.join(sorted(names))}."
        )
    ranges = row_ranges([g.num_rows for g in groups], rows_per_shard)
    if not ranges:
        raise InputError(f"{source.name} holds no rows.")
    return list(ranges)


def row_ranges(group_rows: Sequence[int], target: int) -> list[tuple[int, int]]:
    """Consecutive row groups joined into ranges of at least ``target`` rows (the last may be
    shorter); a group of more than ``target`` rows is cut into equal slices of at most that."""
    ranges: list[tuple[int, int]] = []
    start = position = 0
    for rows in group_rows:
        if rows > target:
            if position > start:
                ranges.append((start, position))
            pieces = -(-rows // target)
            edges = [position + rows * i // pieces for i in range(pieces + 1)]
            ranges += list(itertools.pairwise(edges))
            position += rows
            start = position
            continue
        position += rows
        if position - start >= target:
            ranges.append((start, position))
            start = position
    if position > start:
        ranges.append((start, position))
    return ranges
