"""JSON Lines reader: one object per line; a list-of-floats field holds the vectors.

Each line is parsed with bounded nesting and integer size (:func:`.limits.parse_json`). A
field is taken as the vectors unasked only when it holds lists of numbers with floats among
them, so a list of integers (an analysis's ``neighbors``) never is; fields that look like
vectors in another form (numbers written as text, nested lists, records) are named when no
vectors are found.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from embexplorer.core.corpus import Corpus
from embexplorer.core.errors import InputError
from embexplorer.core.io import ReadOptions
from embexplorer.core.io.assemble import (
    RowLocator,
    finish_corpus,
    is_number,
    is_vector_name,
    pick_float_list_column,
    resolve_vector_request,
    vectors_from_cells,
)
from embexplorer.core.io.encoding import check_utf8
from embexplorer.core.io.limits import parse_json

#: How many records decide what a field holds.
_SAMPLE_RECORDS = 20
_INT64 = np.iinfo(np.int64)


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
    unusable: dict[str, str] = {}
    if options.vector_column is not None:
        vector_name = _requested_field(options.vector_column, names, path)
    else:
        vector_name, unusable = _vector_field(records[:_SAMPLE_RECORDS], names)
    vectors = None
    if vector_name is not None:
        vectors = vectors_from_cells(
            [r.get(vector_name) for r in records], vector_name, path, where
        )
    columns = {
        name: _column([r.get(name) for r in records]) for name in names if name != vector_name
    }
    return finish_corpus(
        path, columns, vectors, options, fmt="jsonl", where=where, unusable_vectors=unusable
    )


def _parse_lines(path: Path) -> tuple[list[dict[str, Any]], list[int]]:
    encoding = check_utf8(path)
    records, line_numbers = [], []
    with open(path, encoding=encoding) as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            record = parse_json(line, f"{path.name}, line {number}")
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


def _requested_field(request: str, names: list[str], path: Path) -> str:
    chosen = resolve_vector_request(request, names, path)
    if len(chosen) != 1:
        raise InputError(
            f"{path.name}: in JSON Lines the vectors are one field holding a "
            f"list of numbers; {request!r} names {len(chosen)} fields."
        )
    return chosen[0]


def _vector_field(sample: list[dict[str, Any]], names: list[str]) -> tuple[str | None, dict]:
    """The field to take as the vectors unasked (judged on ``sample``), and the fields that
    look like vectors but are not taken, with why."""
    kinds = {name: _field_kind([r.get(name) for r in sample]) for name in names}
    chosen = pick_float_list_column([n for n, kind in kinds.items() if kind == "floats"])
    if chosen is not None:
        return chosen, {}
    unusable = {}
    for name, kind in kinds.items():
        if kind == "integers" and is_vector_name(name):
            unusable[name] = (
                "holds lists of integers; integer lists are taken as the vectors only when "
                f"named (--vector-column {name})"
            )
        elif kind == "text":
            unusable[name] = (
                "holds lists of numbers written as text (strings); write them as numbers, "
                'e.g. [0.1, 0.2] rather than ["0.1", "0.2"]'
            )
        elif kind == "nested":
            unusable[name] = "holds nested lists, not one list of numbers per row"
        elif kind == "record" and is_vector_name(name):
            unusable[name] = "holds objects ({...}), not a list of numbers"
    return None, unusable


def _field_kind(values: list[Any]) -> str | None:
    """``"floats"``, ``"integers"``, ``"text"`` (numbers as strings), ``"nested"`` (lists of
    lists of numbers), ``"record"`` or ``None``, for the non-missing values of a field.

    Flat lists with a float among their items are ``"floats"`` even when some items are not
    numbers (``true``, ``"x"``): the vector check then names the item and its line.
    """
    present = [v for v in values if v is not None]
    if not present:
        return None
    if all(isinstance(v, dict) for v in present):
        return "record"
    if not all(isinstance(v, list) and v for v in present):
        return None
    items = [x for v in present for x in v]
    if any(isinstance(x, list | dict) for x in items):
        leaves = [y for x in items if isinstance(x, list) for y in x]
        numeric = all(isinstance(y, int | float) and not isinstance(y, bool) for y in leaves)
        return "nested" if leaves and numeric else None
    if any(isinstance(x, float) for x in items):
        return "floats"
    if all(isinstance(x, int) and not isinstance(x, bool) for x in items):
        return "integers"
    if all(isinstance(x, str) and is_number(x) for x in items):
        return "text"
    return None


def _column(values: list[Any]) -> np.ndarray:
    """Integers, floats (missing values as NaN), or strings: other values are kept as their
    JSON text, and so are integers too large for int64 or float64 (ids, say)."""
    if all(_is_number(v) or v is None for v in values):
        present = [v for v in values if v is not None]
        if present and len(present) == len(values) and all(isinstance(v, int) for v in values):
            if _INT64.min <= min(present) and max(present) <= _INT64.max:
                return np.asarray(values, dtype=np.int64)
        elif _fits_float64(present):
            return np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = v if v is None or isinstance(v, str) else json.dumps(v, ensure_ascii=False)
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fits_float64(values: list[Any]) -> bool:
    try:
        [float(v) for v in values]
    except OverflowError:
        return False
    return True
