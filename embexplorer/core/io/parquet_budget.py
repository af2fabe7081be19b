"""Read a Parquet file only when what it decodes to fits the memory an untrusted file may use.

Parquet compresses by encoding as well as by codec: run-length encoding stores a million equal
numbers in a few bytes, and dictionary encoding stores one long text once for a million rows.
A 228 kB file of 50 million zeros took 4.4 GB and 84 s to read; a 212 kB file of 2 million
copies of one 1,000-character text took 5.9 GB. Like an archive's members
(:func:`.limits.inflate_budget`), a Parquet file may decode to at most
``max(INFLATE_FLOOR_BYTES, INFLATE_FACTOR × its size)``, and is refused, with the numbers,
before that memory is spent:

1. from the footer alone (read by :mod:`.parquet_footer`), each column chunk's values ×
   their width (text columns: their decompressed size), before anything is decoded;
2. text columns are then decoded as dictionaries (each distinct text once), and what they
   would take once expanded row by row (in Arrow and as Python strings) is added up from the
   dictionaries' lengths before they are expanded.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from embexplorer.core.errors import InputError
from embexplorer.core.io import limits
from embexplorer.core.io.parquet_footer import RowGroupInfo, read_footer

#: Bytes per value of each Parquet physical type once decoded (INT96 is kept at its stored
#: 12 bytes, BOOLEAN at a byte: both overstate what Arrow holds).
_WIDTHS = {"BOOLEAN": 1, "INT32": 4, "FLOAT": 4, "INT64": 8, "DOUBLE": 8, "INT96": 12}
#: What each value costs beside its data: validity bits, list offsets, dictionary indices.
_PER_VALUE = 4
#: What a Python string costs beside its characters (``sys.getsizeof("")`` is 49), plus its
#: slot in a numpy object array.
_PER_PYTHON_STRING = 57


def read_bounded_table(path: Path) -> Any:
    """The file as an Arrow table, refused (``InputError``) when it would decode to more than
    :func:`.limits.inflate_budget` of its size; a damaged file is an ``InputError`` too."""
    import pyarrow.parquet as pq

    budget = limits.inflate_budget(path.stat().st_size)
    groups = read_footer(path)  # not pyarrow's accessors: a bad footer aborts the process
    check_decoded_size(path, groups, budget)
    with _damage_as_input_error(path):
        table = pq.ParquetFile(path, read_dictionary=_text_column_paths(groups)).read()
        return _checked(path, table, budget)


def read_bounded_rows(path: Path, start: int, stop: int) -> Any:
    """Rows ``start`` to ``stop`` (excluded) as an Arrow table: only the row groups that hold
    them are decoded, each checked as :func:`read_bounded_table` checks the whole file."""
    import pyarrow.parquet as pq

    budget = limits.inflate_budget(path.stat().st_size)
    groups = read_footer(path)
    ends = np.cumsum([g.num_rows for g in groups])
    if not 0 <= start < stop <= (int(ends[-1]) if len(ends) else 0):
        total = int(ends[-1]) if len(ends) else 0
        raise InputError(f"{path.name} has {total:,} rows; rows {start:,}–{stop:,} are not there.")
    first, last = (
        int(np.searchsorted(ends, start, "right")),
        int(np.searchsorted(ends, stop - 1, "right")),
    )
    chosen = list(range(first, last + 1))
    check_decoded_size(path, [groups[i] for i in chosen], budget)
    offset = int(ends[first - 1]) if first else 0
    with _damage_as_input_error(path):
        reader = pq.ParquetFile(path, read_dictionary=_text_column_paths(groups))
        table = reader.read_row_groups(chosen).slice(start - offset, stop - start)
        return _checked(path, table, budget)


def _checked(path: Path, table: Any, budget: int) -> Any:
    check_expanded_size(path, table, budget)
    table = _expand_dictionaries(table)
    _check_valid(path, table)
    return table


@contextlib.contextmanager
def _damage_as_input_error(path: Path) -> Iterator[None]:
    """pyarrow's errors on a damaged file as an ``InputError`` naming it."""
    import pyarrow as pa

    try:
        yield
    except InputError:
        raise
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{path.name} is not a readable Parquet file: {exc}") from exc
    except KeyError as exc:  # a column chunk's path that the schema does not have
        name = exc.args[0] if exc.args else ""
        name = name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)
        raise InputError(
            f"{path.name} is not a readable Parquet file: its footer names a column "
            f"{name!r} that its schema does not have (the file is corrupt)."
        ) from exc
    except UnicodeDecodeError as exc:  # pyarrow decoding a column's name from the footer
        raise InputError(
            f"{path.name} is not a readable Parquet file: a column's name is not UTF-8 ({exc})."
        ) from exc


def check_decoded_size(path: Path, groups: list[RowGroupInfo], budget: int) -> None:
    """Refuse from the footer alone a file whose columns decode to more than ``budget``."""
    total = 0
    for group in groups:
        for chunk in group.chunks:
            values = max(chunk.num_values, group.num_rows)
            if chunk.physical_type in _WIDTHS:
                data = values * _WIDTHS[chunk.physical_type]
            elif chunk.physical_type == "FIXED_LEN_BYTE_ARRAY":
                data = values * max(chunk.type_length, 1)
            else:  # BYTE_ARRAY: its decompressed pages (a dictionary's expansion comes later)
                data = chunk.uncompressed_bytes
            total += data + values * _PER_VALUE
    _refuse_over(path, total, budget, "decode to")


def check_expanded_size(path: Path, table: Any, budget: int) -> None:
    """Refuse a table whose text columns, read as dictionaries, expand past ``budget``."""
    total = sum(_expanded_bytes(chunk) for column in table.columns for chunk in column.chunks)
    _refuse_over(path, total, budget, "expand to")


def _refuse_over(path: Path, total: int, budget: int, verb: str) -> None:
    if total > budget:
        raise InputError(
            f"{path.name}: its columns would {verb} {limits.human_size(total)} "
            f"({total:,} bytes) in memory, from a file of "
            f"{limits.human_size(path.stat().st_size)}: more than the "
            f"{limits.human_size(budget)} allowed for this file. It is refused so that it "
            "cannot exhaust memory (Parquet can store millions of equal values in a few bytes)."
        )


def _check_valid(path: Path, table: Any) -> None:
    """Refuse a column whose data Arrow did not check while decoding: text that is not
    UTF-8 (Parquet's readers do not check it), offsets that point outside their data."""
    import pyarrow as pa

    for name, column in zip(table.column_names, table.columns, strict=True):
        try:
            column.validate(full=True)
        except pa.ArrowInvalid as exc:
            raise InputError(
                f"{path.name}: column {name!r} is damaged or holds text that is not UTF-8 ({exc})."
            ) from exc


def _text_column_paths(groups: list[RowGroupInfo]) -> list[str]:
    """The dotted paths of the text (BYTE_ARRAY) columns, except inside maps (Arrow cannot
    read a map's keys as a dictionary)."""
    chunks = groups[0].chunks if groups else []
    return [
        c.path
        for c in chunks
        if c.physical_type == "BYTE_ARRAY" and ".key_value." not in f".{c.path}."
    ]


def _expanded_bytes(array: Any) -> int:
    """What ``array`` takes once every dictionary in it is expanded, counting each text twice
    (in Arrow, and as a Python string once converted)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = array.type
    if pa.types.is_dictionary(t):
        if not (pa.types.is_string(t.value_type) or pa.types.is_binary(t.value_type)):
            return array.nbytes
        lengths = pc.binary_length(array.dictionary)
        chars = pc.sum(pc.take(lengths, array.indices)).as_py() or 0
        return 2 * chars + len(array) * _PER_PYTHON_STRING
    if pa.types.is_string(t) or pa.types.is_binary(t) or pa.types.is_large_string(t):
        return 2 * array.nbytes + len(array) * _PER_PYTHON_STRING
    if isinstance(array, pa.ListArray | pa.LargeListArray | pa.FixedSizeListArray):
        return len(array) * _PER_VALUE + _expanded_bytes(array.flatten())
    if isinstance(array, pa.MapArray):
        return len(array) * _PER_VALUE + _expanded_bytes(array.keys) + _expanded_bytes(array.items)
    if isinstance(array, pa.StructArray):
        return len(array) + sum(_expanded_bytes(field) for field in array.flatten())
    return array.nbytes


def _expand_dictionaries(table: Any) -> Any:
    """``table`` with the dictionaries it was read with expanded (checked to fit above)."""
    for i, field in enumerate(table.schema):
        plain = _plain_type(field.type)
        if plain != field.type:
            table = table.set_column(i, field.with_type(plain), table.column(i).cast(plain))
    return table


def _plain_type(t: Any) -> Any:
    """``t`` with every dictionary replaced by its values' type."""
    import pyarrow as pa

    if pa.types.is_dictionary(t):
        return _plain_type(t.value_type)
    if pa.types.is_list(t):
        return pa.list_(t.value_field.with_type(_plain_type(t.value_type)))
    if pa.types.is_large_list(t):
        return pa.large_list(t.value_field.with_type(_plain_type(t.value_type)))
    if pa.types.is_fixed_size_list(t):
        return pa.list_(t.value_field.with_type(_plain_type(t.value_type)), t.list_size)
    if pa.types.is_struct(t):
        return pa.struct([field.with_type(_plain_type(field.type)) for field in t])
    return t
