"""Resource limits for hostile files: each is checked before the allocation it guards, and
refused with the numbers (core/io/limits.py)."""

from __future__ import annotations

import io
import tracemalloc
import zipfile

import numpy as np
import pytest

from embexplorer.core.errors import InputError
from embexplorer.core.io import limits


def _npy_bytes(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.save(out, array)
    return out.getvalue()


def _npy_header(shape: tuple[int, ...], descr: str = "<f4") -> bytes:
    out = io.BytesIO()
    header = {"descr": descr, "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(out, header)
    return out.getvalue()


def _zip_of_zeros(path, name: str, n_bytes: int, prefix: bytes = b"") -> None:
    """A member that inflates to ``prefix`` + ``n_bytes`` zeros, written 1 MiB at a time."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, zf.open(name, "w") as fh:
        fh.write(prefix)
        for _ in range(n_bytes >> 20):
            fh.write(bytes(1 << 20))


class _PeakMemory:
    """Peak bytes allocated (numpy's buffers included) inside the ``with`` block."""

    def __enter__(self):
        tracemalloc.start()
        return self

    def __exit__(self, *exc):
        self.peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return False


def test_inflate_budget_is_a_floor_or_a_multiple_of_the_file():
    assert limits.inflate_budget(1000) == limits.INFLATE_FLOOR_BYTES
    big = limits.INFLATE_FLOOR_BYTES
    assert limits.inflate_budget(big) == limits.INFLATE_FACTOR * big


def test_member_over_the_limit_is_refused_before_inflating(tmp_path):
    path = tmp_path / "a.zip"
    _zip_of_zeros(path, "big.bin", 8 << 20)
    expected = r"'big.bin' would inflate to 8.0 MiB \(8,388,608 bytes\), more than the 1.0 MiB"
    with (
        zipfile.ZipFile(path) as zf,
        _PeakMemory() as mem,
        pytest.raises(InputError, match=expected),
    ):
        limits.read_zip_member(zf, "big.bin", 1 << 20, "a.zip")
    assert mem.peak < 1 << 20


def test_zip_bomb_ratio_is_refused_before_inflating(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "RATIO_FREE_BYTES", 1 << 20)
    path = tmp_path / "bomb.zip"
    _zip_of_zeros(path, "zeros.bin", 16 << 20)
    expected = r"from [\d.]+ KiB to 16.0 MiB \([\d,]+:1\), more than the 200:1 .* zip bomb"
    with (
        zipfile.ZipFile(path) as zf,
        _PeakMemory() as mem,
        pytest.raises(InputError, match=expected),
    ):
        limits.read_zip_member(zf, "zeros.bin", 1 << 30, "bomb.zip")
    assert mem.peak < 1 << 20


def test_a_member_whose_header_lies_stops_at_the_declared_size(tmp_path):
    path = tmp_path / "lie.zip"
    _zip_of_zeros(path, "zeros.bin", 8 << 20)
    with zipfile.ZipFile(path) as zf, _PeakMemory() as mem:
        zf.getinfo("zeros.bin").file_size = 1000  # what a forged central directory says
        with pytest.raises(InputError, match=r"'zeros.bin' cannot be read \(truncated or corrupt"):
            limits.read_zip_member(zf, "zeros.bin", 1 << 30, "lie.zip")
    assert mem.peak < 4 << 20


def test_reading_stops_past_max_bytes_even_when_the_header_agrees(tmp_path, monkeypatch):
    # check_zip_member is what a lying header would get past; the streaming read still stops.
    monkeypatch.setattr(limits, "check_zip_member", lambda *args: None)
    path = tmp_path / "a.zip"
    _zip_of_zeros(path, "zeros.bin", 8 << 20)
    expected = r"inflates past the 2,097,152 bytes"
    with (
        zipfile.ZipFile(path) as zf,
        _PeakMemory() as mem,
        pytest.raises(InputError, match=expected),
    ):
        limits.read_zip_member(zf, "zeros.bin", 2 << 20, "a.zip")
    assert mem.peak < 6 << 20


def test_read_zip_member_returns_the_bytes(tmp_path):
    path = tmp_path / "ok.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", b'{"a": 1}')
    with zipfile.ZipFile(path) as zf:
        assert limits.read_zip_member(zf, "manifest.json", 100, "ok.zip") == b'{"a": 1}'
        with pytest.raises(KeyError):
            limits.read_zip_member(zf, "missing", 100, "ok.zip")


def test_read_zip_npy_round_trips(tmp_path):
    array = np.arange(12, dtype=np.float32).reshape(3, 4)
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("arrays/v.npy", _npy_bytes(array))
    with zipfile.ZipFile(path) as zf:
        np.testing.assert_array_equal(limits.read_zip_npy(zf, "arrays/v.npy", 1 << 20, "a"), array)


def test_npy_member_claiming_more_than_it_holds_is_refused_before_allocating(tmp_path):
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("v.npy", _npy_header((10**6, 10**5)) + bytes(100))
    expected = r"declares shape \(1000000, 100000\) of float32 .* but only 100 bytes of data"
    with (
        zipfile.ZipFile(path) as zf,
        _PeakMemory() as mem,
        pytest.raises(InputError, match=expected),
    ):
        limits.read_zip_npy(zf, "v.npy", 1 << 40, "a.zip")
    assert mem.peak < 1 << 20


def test_npy_member_with_python_objects_is_refused(tmp_path):
    path = tmp_path / "a.zip"
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("o.npy", buffer.getvalue())
    with zipfile.ZipFile(path) as zf, pytest.raises(InputError, match="never unpickles"):
        limits.read_zip_npy(zf, "o.npy", 1 << 20, "a.zip")


def test_json_nesting_is_bounded_with_the_place():
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(InputError, match=r"f.jsonl, line 3: JSON nested 100,000 levels deep"):
        limits.parse_json(deep, "f.jsonl, line 3")
    at_limit = "[" * limits.MAX_JSON_DEPTH + "]" * limits.MAX_JSON_DEPTH
    assert limits.parse_json(at_limit, "x") is not None
    with pytest.raises(InputError, match="201 levels"):
        limits.parse_json("[" + at_limit + "]", "x")


def test_brackets_inside_strings_are_not_nesting():
    text = '{"a": "' + "[" * 500 + '\\"' + "{" * 500 + '"}'
    assert limits.parse_json(text, "x") == {"a": "[" * 500 + '"' + "{" * 500}


def test_json_integers_are_bounded():
    with pytest.raises(InputError, match=r"line 2: an integer of 5,000 digits"):
        limits.parse_json('{"n": ' + "9" * 5000 + "}", "f.jsonl, line 2")
    assert limits.parse_json("-" + "9" * 4300, "x") == -int("9" * 4300)


def test_invalid_json_names_the_column():
    with pytest.raises(InputError, match=r"x: not valid JSON \(Expecting value at column 7\)"):
        limits.parse_json('{"a": }', "x")
