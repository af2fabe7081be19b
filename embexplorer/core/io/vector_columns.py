"""Which vector sets a file holds, for adding them as further embeddings of one corpus.

Read cheaply: a Parquet schema, the ``.npy`` headers of an ``.npz``, the header line of a
CSV/TSV, the first record of a JSON Lines file. Each name is a value ``--vector-column`` (and
``ReadOptions.vector_column``) accepts: a column or array name, or ``prefix*`` for a group of
numbered columns (``a_0``, ``a_1``, …).
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from embexplorer.core.io.assemble import NEIGHBOR_LIST_COLUMNS
from embexplorer.core.io.limits import MAX_FIRST_LINE_BYTES

_NUMBERED = re.compile(r"^(.*?)(\d+)$")


def list_vector_columns(path: Path, reader: str) -> list[str]:
    """The vector sets of ``path`` (read by ``reader``: npy, npz, csv, tsv, parquet, jsonl)."""
    if reader == "parquet":
        return _parquet(path)
    if reader == "npz":
        return _npz(path)
    if reader in ("csv", "tsv"):
        return _delimited(path, "," if reader == "csv" else "\t")
    if reader == "jsonl":
        return _jsonl(path)
    return []


def numbered_groups(names: list[str]) -> list[str]:
    """``prefix*`` for every group of ≥ 2 columns named prefix + number, largest first."""
    groups: dict[str, int] = {}
    for name in names:
        match = _NUMBERED.match(name)
        if match:
            groups[match.group(1)] = groups.get(match.group(1), 0) + 1
    found = [(count, prefix) for prefix, count in groups.items() if count >= 2]
    return [f"{prefix}*" for _, prefix in sorted(found, key=lambda cp: -cp[0])]


def _usable(name: str) -> bool:
    return name.lower() not in NEIGHBOR_LIST_COLUMNS


def _parquet(path: Path) -> list[str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    lists = [
        f.name
        for f in schema
        if (
            pa.types.is_list(f.type)
            or pa.types.is_large_list(f.type)
            or pa.types.is_fixed_size_list(f.type)
        )
        and pa.types.is_floating(f.type.value_type)
        and _usable(f.name)
    ]
    return lists + numbered_groups(list(schema.names))


def _npz(path: Path) -> list[str]:
    from embexplorer.core.io.limits import read_npy_header

    out = []
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if not name.endswith(".npy"):
                continue
            with archive.open(name) as fh:
                header = read_npy_header(fh, f"{path.name}: {name}")
            key = name.removesuffix(".npy")
            if len(header.shape) == 2 and header.dtype.kind in "iuf" and _usable(key):
                out.append(key)
    return out


def _delimited(path: Path, sep: str) -> list[str]:
    with open(path, "rb") as fh:
        first = fh.readline(MAX_FIRST_LINE_BYTES).decode("utf-8", errors="replace")
    names = [n.strip().strip('"') for n in first.rstrip("\r\n").split(sep)]
    return numbered_groups(names)


def _jsonl(path: Path) -> list[str]:
    with open(path, "rb") as fh:
        first = fh.readline(MAX_FIRST_LINE_BYTES).decode("utf-8-sig", errors="replace")
    try:
        record = json.loads(first)
    except ValueError:
        return []
    if not isinstance(record, dict):
        return []
    return [
        key
        for key, value in record.items()
        if isinstance(value, list)
        and len(value) >= 2
        and all(isinstance(v, float | int) and not isinstance(v, bool) for v in value)
        and any(isinstance(v, float) for v in value)
        and _usable(key)
    ]
