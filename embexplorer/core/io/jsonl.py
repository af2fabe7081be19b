"""JSON Lines reader: one object per line; a list-of-numbers field holds the vectors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from embexplorer.core.corpus import Corpus
from embexplorer.core.errors import InputError
from embexplorer.core.io import ReadOptions
from embexplorer.core.io.assemble import (
    VECTOR_COLUMN_NAMES,
    RowLocator,
    finish_corpus,
    resolve_vector_request,
    vectors_from_cells,
)
from embexplorer.core.io.encoding import check_utf8


def read_jsonl(path: Path, options: ReadOptions) -> Corpus:
    records, line_numbers = _parse_lines(path)
    names: list[str] = []
    seen: set[str] = set()
    for record in records:
        for key in record:
            if key not in seen:
                seen.add(key)
                names.append(key)
    where = RowLocator(line_of_row=np.asarray(line_numbers))
    vector_name = _vector_field(records, names, options.vector_column, path)
    vectors = None
    if vector_name is not None:
        vectors = vectors_from_cells(
            [r.get(vector_name) for r in records], vector_name, path, where
        )
    columns = {
        name: _column([r.get(name) for r in records]) for name in names if name != vector_name
    }
    return finish_corpus(path, columns, vectors, options, fmt="jsonl", where=where)


def _parse_lines(path: Path) -> tuple[list[dict[str, Any]], list[int]]:
    encoding = check_utf8(path)
    records, line_numbers = [], []
    with open(path, encoding=encoding) as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"{path.name}, line {number}: not valid JSON ({exc.msg} at column {exc.colno})."
                ) from None
            if not isinstance(record, dict):
                raise InputError(
                    f"{path.name}, line {number}: expected a JSON object "
                    f"({{...}}), found {type(record).__name__}."
                )
            records.append(record)
            line_numbers.append(number)
    if not records:
        raise InputError(f"{path.name} holds no JSON objects (only blank lines).")
    return records, line_numbers


def _vector_field(
    records: list[dict[str, Any]], names: list[str], request: str | None, path: Path
) -> str | None:
    if request is not None:
        chosen = resolve_vector_request(request, names, path)
        if len(chosen) != 1:
            raise InputError(
                f"{path.name}: in JSON Lines the vectors are one field holding a "
                f"list of numbers; {request!r} names {len(chosen)} fields."
            )
        return chosen[0]
    first = records[0]
    lists = [
        n
        for n in names
        if isinstance(first.get(n), list)
        and first[n]
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in first[n])
    ]
    preferred = [n for n in lists if n.lower() in VECTOR_COLUMN_NAMES]
    return (preferred or lists or [None])[0]


def _column(values: list[Any]) -> np.ndarray:
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return np.asarray(
            values, dtype=np.float64 if any(isinstance(v, float) for v in values) else np.int64
        )
    if all((isinstance(v, int | float) and not isinstance(v, bool)) or v is None for v in values):
        return np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = v if v is None or isinstance(v, str) else json.dumps(v, ensure_ascii=False)
    return out
