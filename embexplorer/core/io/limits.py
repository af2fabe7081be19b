"""Resource limits for files that may be hostile: zip members, ``.npy`` headers, JSON text.

A file from elsewhere can be built to exhaust memory or the stack: a 6 MB zip whose member
inflates to 6 GB, an ``.npy`` header that claims 400 GB of data in a 1 kB file, JSON nested
100,000 deep or holding a 5,000-digit integer. Each check here runs *before* the allocation it
guards and refuses with an :class:`InputError` that states the numbers (what the file claims,
what the limit is), so nothing is half-loaded and the user sees why.

The limits are generous for real data; why each value was chosen is said next to it. They are
module constants, looked up at call time, so a test can lower them with ``monkeypatch``.

Used by the corpus readers (``.npz``, ``.npy``, JSON Lines) and by the session loader
(``.embx``): for an archive, take :func:`inflate_budget` of its size, and read each member with
:func:`read_zip_member` (bytes) or :func:`read_zip_npy` (an array), passing what is left of the
budget as ``max_bytes``.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import math
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

from embexplorer.core.errors import InputError

#: However small an archive, its members may inflate to this much in all. 2 GiB holds 1.4M
#: vectors of 384 float32 dimensions, and is what a desktop can spare without swapping.
INFLATE_FLOOR_BYTES = 2 << 30
#: ...or to this many times the archive's own size, whichever is more. Embeddings barely
#: compress (float32 mantissas are noise: ``np.savez_compressed`` saves about 10 %) and
#: metadata compresses 3-10×, so 20× lets a real archive of any size through.
INFLATE_FACTOR = 20
#: A member that claims to inflate more than this many times its compressed size is refused
#: before it is inflated. DEFLATE reaches its maximum (about 1032:1) only on runs of one byte,
#: which is what zip bombs are made of; real arrays and JSON stay far below 200:1.
MAX_COMPRESSION_RATIO = 200
#: Members up to this size skip the ratio check: a small all-zero array (an empty mask, a
#: column of zeros) compresses at 1000:1 legitimately and costs little to inflate.
RATIO_FREE_BYTES = 64 << 20
#: Inflated members are read in pieces of this size, so a member whose header lies about its
#: size is stopped within one piece of the limit.
READ_CHUNK_BYTES = 1 << 20

#: JSON nested deeper than this is refused. Real records nest a handful of levels; 200 stays
#: far below Python's recursion limit (1000), so parsing and writing the value back as text
#: (``json.dumps`` for display) can never overflow the stack, on any thread.
MAX_JSON_DEPTH = 200
#: JSON integers with more digits than this are refused. It is Python's own default limit for
#: converting text to int (``sys.get_int_max_str_digits``); stating it here keeps the message
#: ours and the behaviour the same whatever the interpreter is set to. No count, id or
#: component of a vector needs more than 20 digits.
MAX_JSON_INT_DIGITS = 4300
#: A CSV/TSV row may be this long. pyarrow parses in blocks that must hold whole rows, so the
#: block grows (1 MiB, 16 MiB, 256 MiB) until the longest row fits; a text cell of 256 MiB is
#: far beyond what any encoder reads (512 tokens), so a longer row is refused.
MAX_TABLE_ROW_BYTES = 256 << 20
#: The first line of a CSV/TSV (its header, or its first row of numbers) is read whole to tell
#: which it is; one longer than this is refused rather than read into memory. 16 MiB holds
#: a header of a million column names, or a row of 800,000 numbers.
MAX_FIRST_LINE_BYTES = 16 << 20
#: ``.npy`` headers are a few hundred bytes; numpy's own default refuses longer ones as unsafe.
MAX_NPY_HEADER_BYTES = 10_000

#: Appended to every refusal of pickled data.
PICKLE_HINT = (
    "embexplorer never unpickles files, since unpickling can run arbitrary code. "
    "Save the vectors as a numeric array, e.g. "
    "np.save(path, np.asarray(vectors, dtype=np.float32))."
)


# -- zip archives -----------------------------------------------------------------------------
def inflate_budget(archive_bytes: int) -> int:
    """How many bytes an archive of ``archive_bytes`` may inflate to, all members together:
    ``max(INFLATE_FLOOR_BYTES, INFLATE_FACTOR × archive_bytes)``."""
    return max(INFLATE_FLOOR_BYTES, INFLATE_FACTOR * archive_bytes)


def check_zip_member(info: zipfile.ZipInfo, max_bytes: int, what: str) -> None:
    """Refuse a member whose declared size exceeds ``max_bytes`` or whose declared compression
    ratio is that of a zip bomb; nothing is inflated."""
    if info.file_size > max_bytes:
        raise InputError(
            f"{what}: member {info.filename!r} would inflate to {human_size(info.file_size)} "
            f"({info.file_size:,} bytes), more than the {human_size(max_bytes)} allowed for this "
            "file. It is refused so that it cannot exhaust memory."
        )
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > RATIO_FREE_BYTES and ratio > MAX_COMPRESSION_RATIO:
        raise InputError(
            f"{what}: member {info.filename!r} would inflate from {human_size(info.compress_size)} "
            f"to {human_size(info.file_size)} ({ratio:,.0f}:1), more than the "
            f"{MAX_COMPRESSION_RATIO}:1 that real data compresses to. It is refused as a "
            "possible zip bomb."
        )


def read_zip_member(zf: zipfile.ZipFile, name: str, max_bytes: int, what: str) -> bytes:
    """The inflated bytes of member ``name``, never more than ``max_bytes``.

    Parameters
    ----------
    zf
        An open archive.
    name
        The member's name (``KeyError`` when there is none, as ``zf.read`` does).
    max_bytes
        The most this member may inflate to (what is left of :func:`inflate_budget`).
    what
        How messages name the file, e.g. ``"session.embx"``.

    Raises
    ------
    InputError
        The declared size or ratio is over the limits (checked before inflating), the data
        inflates past its declared size or ``max_bytes`` (checked while inflating, in
        :data:`READ_CHUNK_BYTES` pieces), or the member is corrupt.
    """
    info = zf.getinfo(name)
    check_zip_member(info, max_bytes, what)
    limit = min(info.file_size, max_bytes)
    pieces, total = [], 0
    with zip_member_errors(what, name), zf.open(info) as fh:
        while piece := fh.read(READ_CHUNK_BYTES):
            total += len(piece)
            if total > limit:
                raise InputError(
                    f"{what}: member {name!r} inflates past the {limit:,} bytes its header "
                    "declares; the file is corrupt or built to exhaust memory."
                )
            pieces.append(piece)
    return b"".join(pieces)


def read_zip_npy(zf: zipfile.ZipFile, name: str, max_bytes: int, what: str) -> np.ndarray:
    """The array in ``.npy`` member ``name``, read straight into its final buffer.

    The member's declared size and ratio are checked first (:func:`check_zip_member`), then
    its ``.npy`` header against the member's size (:func:`read_npy_header`), so the array is
    allocated only once its size is known to be both within ``max_bytes`` and backed by data.
    Never unpickles. ``KeyError`` when there is no such member.
    """
    info = zf.getinfo(name)
    check_zip_member(info, max_bytes, what)
    label = f"{what}: array {name.removesuffix('.npy')!r}"
    with zip_member_errors(what, name), zf.open(info) as fh:
        header = read_npy_header(fh, label)
        check_npy_data_size(header, info.file_size - header.data_offset, label)
        return read_npy_data(fh, header)


@contextlib.contextmanager
def zip_member_errors(what: str, name: str) -> Iterator[None]:
    """Turn what a corrupt member raises while it inflates (a bad CRC, a broken DEFLATE
    stream, an offset outside the file, data that ends early) into an InputError."""
    try:
        yield
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        NotImplementedError,
        RuntimeError,
        OSError,  # EINVAL: the directory points the member before the file's start
        UnicodeDecodeError,  # a local header's name flagged UTF-8 that is not
    ) as exc:
        raise InputError(
            f"{what}: member {name!r} cannot be read (truncated or corrupt: {exc})."
        ) from exc
    except ValueError as exc:  # numpy: "EOF: reading array data, expected … bytes got …"
        if "EOF" not in str(exc):
            raise
        raise InputError(f"{what}: member {name!r} is truncated ({exc}).") from exc


# -- .npy headers -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class NpyHeader:
    """What an ``.npy`` header declares, and where its data starts."""

    shape: tuple[int, ...]
    dtype: np.dtype
    fortran_order: bool
    data_offset: int

    @property
    def data_bytes(self) -> int:
        """The bytes the declared array needs (exact: Python ints cannot overflow), counting
        a byte for each element of a zero-size dtype (``<U0``, ``V0``), whose header could
        otherwise declare any number of elements over no data at all."""
        return math.prod(self.shape) * max(self.dtype.itemsize, 1)


def read_npy_header(fh: IO[bytes], what: str) -> NpyHeader:
    """Read the magic string and header at the start of ``fh``; no data is read.

    Refuses (``InputError``) a header that is not ``.npy``, is over
    :data:`MAX_NPY_HEADER_BYTES`, has negative dimensions, or declares Python objects. Read
    the data with :func:`read_npy_data`, which does not parse the header again.
    """
    fmt = np.lib.format
    try:
        version, header = _npy_header(fh, what)
        reader = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
        shape, fortran_order, dtype = reader(header, max_header_size=MAX_NPY_HEADER_BYTES)
    except (ValueError, EOFError, SyntaxError, TypeError, RecursionError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"{what} is not a valid .npy file (truncated or corrupt?): {exc}") from exc
    if dtype.hasobject:
        raise InputError(f"{what} holds Python objects, not numbers. " + PICKLE_HINT)
    # numpy refuses a shape whose dimensions multiply past 2**63 bytes even when another
    # dimension is 0 ("array is too big"), so such a shape holds no data and is refused too
    span = math.prod(max(d, 1) for d in shape) * max(dtype.itemsize, 1)
    if any(d < 0 for d in shape) or span >= 2**62:
        raise InputError(f"{what}: its header declares an impossible shape {shape}.")
    return NpyHeader(tuple(shape), dtype, bool(fortran_order), fh.tell())


#: The ``L`` that Python 2 wrote after long integers (``(3L, 4L)``).
_PY2_LONG = re.compile(r"(?<=\d)L\b")
#: numpy 1's alias for a bytes dtype, ``|a5`` (``|S5`` now).
_BYTES_ALIAS = re.compile(r"[|<>=]?a\d*")


def _npy_header(fh: IO[bytes], what: str) -> tuple[tuple[int, int], IO[bytes]]:
    """The format version, and the header (with its length field) for numpy to check.

    The declared length is checked before the header is read: numpy reads as many bytes as
    it declares (up to 4 GiB in format 2.0) before it checks them. The header must be a
    Python literal, as numpy writes it (Python 2's ``3L`` is read as ``3``): numpy's own
    fallback for anything else parses any text and warns on the terminal.
    """
    version = np.lib.format.read_magic(fh)
    if version not in ((1, 0), (2, 0), (3, 0)):
        raise ValueError(f"unknown .npy format version {version[0]}.{version[1]}")
    width = 2 if version == (1, 0) else 4
    length_field = fh.read(width)
    if len(length_field) < width:
        raise EOFError("the file ends inside the header")
    length = int.from_bytes(length_field, "little")
    if length > MAX_NPY_HEADER_BYTES:
        raise InputError(
            f"{what} is not a valid .npy file: its header declares a length of {length:,} "
            f"bytes; .npy headers are a few hundred bytes, and more than "
            f"{MAX_NPY_HEADER_BYTES:,} is refused. The file is corrupt."
        )
    encoding = "utf-8" if version >= (3, 0) else "latin1"
    text = fh.read(length).decode(encoding)
    try:
        fields = ast.literal_eval(text)
    except SyntaxError:
        if version >= (3, 0):
            raise
        text = _PY2_LONG.sub("", text)
        fields = ast.literal_eval(text)
    if isinstance(fields, dict) and _BYTES_ALIAS.fullmatch(str(fields.get("descr"))):
        # 'a' is numpy 1's name for bytes ('S'); numpy 2 warns on it (a DeprecationWarning)
        text = repr({**fields, "descr": fields["descr"].replace("a", "S")})
    raw = text.encode(encoding)
    return version, io.BytesIO(len(raw).to_bytes(width, "little") + raw)


def read_npy_data(fh: IO[bytes], header: NpyHeader) -> np.ndarray:
    """The array whose ``header`` was just read from ``fh``, read into its final buffer.

    The caller has checked the header (:func:`check_npy_data_size`); a file that ends early
    is an ``EOFError``.
    """
    flat = np.empty(math.prod(header.shape), dtype=header.dtype)
    view = memoryview(flat.view(np.uint8))  # any dtype (dates too), as bytes
    filled = 0
    while filled < len(view):
        got = fh.readinto(view[filled : filled + READ_CHUNK_BYTES])
        if not got:
            raise EOFError(f"the data ends after {filled:,} of {len(view):,} bytes")
        filled += got
    return flat.reshape(header.shape, order="F" if header.fortran_order else "C")


def check_npy_data_size(header: NpyHeader, available: int, what: str) -> None:
    """Refuse a header that declares more data than the ``available`` bytes that follow it."""
    if header.data_bytes > available:
        raise InputError(
            f"{what}: its header declares shape {header.shape} of {header.dtype} "
            f"({human_size(header.data_bytes)}, {header.data_bytes:,} bytes) but only "
            f"{available:,} bytes of data follow. The file is truncated or corrupt."
        )


# -- JSON -------------------------------------------------------------------------------------
class _TooManyDigits(ValueError):
    def __init__(self, digits: int):
        super().__init__(digits)
        self.digits = digits


def _bounded_int(text: str) -> int:
    digits = len(text) - text.startswith("-")
    if digits > MAX_JSON_INT_DIGITS:
        raise _TooManyDigits(digits)
    return int(text)


# A JSON string (so that brackets inside strings are not counted), or one bracket.
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def json_depth(text: str) -> int:
    """How deeply ``text`` nests arrays and objects (brackets inside strings do not count)."""
    depth = deepest = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        char = text[match.start()]
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def parse_json(text: str | bytes, what: str) -> Any:
    """``json.loads(text)`` with nesting and integer size bounded.

    ``what`` names the place for messages, e.g. ``"data.jsonl, line 12"``. Invalid JSON,
    nesting deeper than :data:`MAX_JSON_DEPTH` and integers longer than
    :data:`MAX_JSON_INT_DIGITS` digits are all an :class:`InputError`; a ``RecursionError``
    can never escape.
    """
    if isinstance(text, bytes | bytearray):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(f"{what}: not valid UTF-8 JSON ({exc.reason}).") from exc
    opened = text.count("[") + text.count("{")
    if opened > MAX_JSON_DEPTH and (depth := json_depth(text)) > MAX_JSON_DEPTH:
        raise InputError(
            f"{what}: JSON nested {depth:,} levels deep; embexplorer reads up to "
            f"{MAX_JSON_DEPTH} levels."
        )
    try:
        return json.loads(text, parse_int=_bounded_int)
    except json.JSONDecodeError as exc:
        raise InputError(f"{what}: not valid JSON ({exc.msg} at column {exc.colno}).") from None
    except _TooManyDigits as exc:
        raise InputError(
            f"{what}: an integer of {exc.digits:,} digits; embexplorer reads integers of up "
            f"to {MAX_JSON_INT_DIGITS:,} digits."
        ) from None
    except RecursionError:
        raise InputError(
            f"{what}: JSON nested too deeply to read (the limit is {MAX_JSON_DEPTH} levels)."
        ) from None
    except ValueError as exc:
        raise InputError(f"{what}: not valid JSON ({exc}).") from None


def human_size(n: int) -> str:
    """``n`` bytes for people: ``"372.5 GiB"``, ``"64.0 KiB"``, ``"100 bytes"``."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n:,} bytes"
