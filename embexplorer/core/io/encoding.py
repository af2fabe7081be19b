"""Text files must be UTF-8 (with or without a byte-order mark); say precisely when they are not."""

from __future__ import annotations

import codecs
import hashlib
from pathlib import Path

from embexplorer.core.errors import InputError

_CHUNK = 1 << 20
#: How much of the start of a file tells UTF-16/UTF-32 without a byte-order mark.
_SNIFF_BYTES = 4096


def _wide_encoding(head: bytes) -> str | None:
    """``"UTF-32"`` / ``"UTF-16"`` (with a note when there is no BOM), or ``None``.

    The UTF-32 BOMs are tested first: the little-endian one starts with UTF-16's. Without a
    BOM, ASCII text in UTF-16 has a NUL in every other byte (UTF-32: three bytes in four) at
    fixed places, which UTF-8 text never has.
    """
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "UTF-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "UTF-16"
    sample = head[: len(head) - len(head) % 4]
    if len(sample) < 8 or 0 not in sample:
        return None

    def mostly_nul(offsets: tuple[int, ...], step: int) -> bool:
        return all(sample[i::step].count(0) >= 0.9 * len(sample[i::step]) for i in offsets)

    if mostly_nul((1, 2, 3), 4) or mostly_nul((0, 1, 2), 4):
        return "UTF-32 (without a byte-order mark)"
    if mostly_nul((1,), 2) or mostly_nul((0,), 2):
        return "UTF-16 (without a byte-order mark)"
    return None


def check_utf8(path: Path) -> str:
    """Return ``"utf-8-sig"`` if ``path`` starts with a UTF-8 BOM, else ``"utf-8"``.

    Raises :class:`InputError` naming the line and the byte when the file is not UTF-8
    (UTF-16 and UTF-32 files are recognised by their BOM, or by their NUL bytes when they
    have none, and named as such).
    """
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
        other = _wide_encoding(head)
        if other is not None:
            raise InputError(
                f"{path.name} is {other} text; embexplorer reads UTF-8. Save it as "
                f"UTF-8 (e.g. `iconv -f {other.split()[0].lower()} -t utf-8 IN > OUT`)."
            )
        encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        offset, newlines = 0, 0
        while chunk := fh.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                _raise_undecodable(path, chunk, exc, newlines)
            offset += len(chunk)
            newlines += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{path.name}: not valid UTF-8: the file ends in the middle of a "
                f"character (after byte {offset})."
            ) from exc
    return encoding


def _raise_undecodable(path: Path, chunk: bytes, exc: UnicodeDecodeError, newlines: int) -> None:
    # exc.start is relative to the bytes given to this decode() call, which may include a few
    # bytes held back from the previous chunk; counting newlines in `chunk` up to it is exact
    # enough for a line number (a held-back partial character holds no newline).
    pos = max(0, exc.start)
    line = newlines + chunk[:pos].count(b"\n") + 1
    byte = exc.object[exc.start : exc.start + 1].hex().upper()
    raise InputError(
        f"{path.name}: not valid UTF-8 (also tried UTF-8 with BOM): byte 0x{byte} on line "
        f"{line} cannot be decoded. The file is probably in another encoding such as Latin-1 "
        "or Windows-1252: save it as UTF-8 (e.g. `iconv -f latin1 -t utf-8 IN > OUT`)."
    ) from exc


def file_sha256(path: Path) -> str:
    """SHA-256 of the file's bytes, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
