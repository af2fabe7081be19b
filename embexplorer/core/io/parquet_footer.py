"""What a Parquet file's footer says about its column chunks, read without pyarrow.

pyarrow's Python accessors for the footer (``RowGroupMetaData.column(i)``) call C++ that may
throw on a malformed footer without passing the exception on: a damaged file aborts the whole
process ("terminate called after throwing an instance of 'parquet::ParquetException'"),
window and all. So what :mod:`.parquet_budget` needs from the footer (each column chunk's
physical type, number of values and decompressed size) is read here, in plain Python, from
the Thrift compact encoding the footer is written in. Anything malformed is an ``InputError``;
no input can make this read more than the footer's bytes or nest deeper than
:data:`_MAX_DEPTH`.

Only the fields needed are kept; every other field is skipped by its wire type, so footers
written by any version of any writer are read.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from embexplorer.core.errors import InputError

#: Physical types, by the number the Thrift enum gives them.
PHYSICAL_TYPES = {
    0: "BOOLEAN",
    1: "INT32",
    2: "INT64",
    3: "INT96",
    4: "FLOAT",
    5: "DOUBLE",
    6: "BYTE_ARRAY",
    7: "FIXED_LEN_BYTE_ARRAY",
}
_MAGIC = b"PAR1"
#: Footer structs nest about five deep; a footer nesting deeper is not a real one.
_MAX_DEPTH = 64

# Thrift compact protocol wire types.
_TRUE, _FALSE, _BYTE, _I16, _I32, _I64, _DOUBLE, _BINARY = 1, 2, 3, 4, 5, 6, 7, 8
_LIST, _SET, _MAP, _STRUCT = 9, 10, 11, 12


@dataclass(frozen=True)
class ChunkInfo:
    """One column chunk of one row group, as the footer declares it."""

    path: str  # dotted, e.g. "embedding.list.element"
    physical_type: str
    num_values: int
    uncompressed_bytes: int
    type_length: int  # for FIXED_LEN_BYTE_ARRAY, else 0


@dataclass(frozen=True)
class RowGroupInfo:
    num_rows: int
    chunks: list[ChunkInfo]


class _Malformed(Exception):
    pass


def read_footer(path: Path) -> list[RowGroupInfo]:
    """The row groups and column chunks ``path``'s footer declares.

    Raises ``InputError`` when the file does not end like Parquet or its footer is malformed
    (an encrypted footer, ``PARE``, is named as such).
    """
    size = path.stat().st_size
    with open(path, "rb") as fh:
        if size < 12:
            raise InputError(f"{path.name} is not a Parquet file: it is only {size} bytes long.")
        fh.seek(size - 8)
        tail = fh.read(8)
        length = struct.unpack("<I", tail[:4])[0]
        if tail[4:] == b"PARE":
            raise InputError(
                f"{path.name} is an encrypted Parquet file; embexplorer cannot read it."
            )
        if tail[4:] != _MAGIC or length > size - 12:
            raise InputError(
                f"{path.name} is not a readable Parquet file: it does not end with a Parquet "
                "footer (truncated or corrupt)."
            )
        fh.seek(size - 8 - length)
        footer = fh.read(length)
    try:
        return _file_metadata(_Reader(footer))
    except (_Malformed, IndexError, UnicodeDecodeError, struct.error) as exc:
        why = "it ends early" if isinstance(exc, IndexError) else str(exc)
        raise InputError(
            f"{path.name} is not a readable Parquet file: its footer is corrupt ({why})."
        ) from exc


def _file_metadata(reader: _Reader) -> list[RowGroupInfo]:
    # FileMetaData: 2 schema (list of SchemaElement), 4 row_groups (list of RowGroup)
    fields = reader.struct()
    schema = _structs(fields.get(2, []), "schema")
    # SchemaElement: 2 type_length, 5 num_children; the first is the root, leaves have no
    # children, and every row group holds one column chunk per leaf, in this order
    type_lengths = [element.get(2, 0) for element in schema[1:] if not element.get(5)]
    groups = []
    for group in _structs(fields.get(4, []), "row group"):
        chunks = []
        # RowGroup: 1 columns (list of ColumnChunk), 3 num_rows; ColumnChunk: 3 meta_data
        for i, chunk in enumerate(_structs(group.get(1, []), "column chunk")):
            meta = chunk.get(3)
            if not isinstance(meta, dict):
                raise _Malformed("a column chunk without its metadata")
            chunks.append(_chunk(meta, type_lengths[i] if i < len(type_lengths) else 0))
        groups.append(RowGroupInfo(num_rows=_count(group.get(3, 0)), chunks=chunks))
    return groups


def _chunk(meta: dict[int, object], type_length: object) -> ChunkInfo:
    # ColumnMetaData: 1 type, 3 path_in_schema, 5 num_values, 6 total_uncompressed_size
    kind = PHYSICAL_TYPES.get(meta.get(1))  # type: ignore[arg-type]
    if kind is None:
        raise _Malformed(f"unknown physical type {meta.get(1)!r}")
    names = meta.get(3, [])
    if not isinstance(names, list) or not all(isinstance(n, bytes) for n in names):
        raise _Malformed("a column path that is not a list of names")
    return ChunkInfo(
        path=".".join(n.decode("utf-8") for n in names),
        physical_type=kind,
        num_values=_count(meta.get(5, 0)),
        uncompressed_bytes=_count(meta.get(6, 0)),
        type_length=_count(type_length),
    )


def _structs(value: object, what: str) -> list[dict[int, object]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise _Malformed(f"a {what} list that is not a list of records")
    return value


def _count(value: object) -> int:
    if not isinstance(value, int) or value < 0:
        raise _Malformed(f"a count of {value!r}")
    return value


class _Reader:
    """The Thrift compact protocol, just enough to read (and skip) any struct."""

    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def byte(self) -> int:
        value = self.data[self.pos]
        self.pos += 1
        return value

    def varint(self) -> int:
        shift = result = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7
            if shift > 70:
                raise _Malformed("a number longer than 10 bytes")

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def binary(self) -> bytes:
        n = self.varint()
        if n > len(self.data) - self.pos:
            raise _Malformed(f"a string of {n:,} bytes in a footer of {len(self.data):,}")
        value = self.data[self.pos : self.pos + n]
        self.pos += n
        return value

    def value(self, wire: int, depth: int) -> object:
        if depth > _MAX_DEPTH:
            raise _Malformed("nested too deeply")
        if wire in (_TRUE, _FALSE):
            return wire == _TRUE
        if wire == _BYTE:
            return self.byte()
        if wire in (_I16, _I32, _I64):
            return self.zigzag()
        if wire == _DOUBLE:
            self.pos += 8
            if self.pos > len(self.data):
                raise _Malformed("ends inside a number")
            return None
        if wire == _BINARY:
            return self.binary()
        if wire in (_LIST, _SET):
            return self.list(depth)
        if wire == _MAP:
            return self.map(depth)
        if wire == _STRUCT:
            return self.struct(depth)
        raise _Malformed(f"unknown wire type {wire}")

    def list(self, depth: int) -> list:
        header = self.byte()
        size, wire = header >> 4, header & 0x0F
        if size == 15:
            size = self.varint()
        if size > len(self.data) - self.pos:  # every element takes at least a byte
            raise _Malformed(f"a list of {size:,} elements in a footer of {len(self.data):,}")
        if wire in (_TRUE, _FALSE):  # booleans in lists are one byte each
            return [self.byte() == _TRUE for _ in range(size)]
        return [self.value(wire, depth + 1) for _ in range(size)]

    def map(self, depth: int) -> None:
        size = self.varint()
        if size:
            types = self.byte()
            if 2 * size > len(self.data) - self.pos:
                raise _Malformed(f"a map of {size:,} entries")
            for _ in range(size):
                self.value(types >> 4, depth + 1)
                self.value(types & 0x0F, depth + 1)

    def struct(self, depth: int = 0) -> dict[int, object]:
        """A struct's fields by their ids."""
        fields: dict[int, object] = {}
        field_id = 0
        while True:
            header = self.byte()
            if header == 0:  # stop
                return fields
            delta, wire = header >> 4, header & 0x0F
            field_id = field_id + delta if delta else self.zigzag()
            fields[field_id] = self.value(wire, depth + 1)
