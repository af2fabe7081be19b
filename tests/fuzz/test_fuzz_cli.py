"""The command line end to end on hostile files: exit status 1 and one ``embexplorer: …`` line
that names the file; never a traceback, and never the catch-all message for a bug."""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import corpora, mutations
from tests.fuzz.checks import written
from tests.fuzz.conftest import examples

pytestmark = pytest.mark.fuzz

#: What run_reporting_errors says about an exception that is not an InputError (a bug).
_BUG_MESSAGES = ("Something went wrong inside embexplorer", "not enough memory", "Traceback")


def run_cli(argv: list[str]) -> tuple[int, str]:
    from embexplorer.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = main(argv)
    return status, err.getvalue()


def check_refused(status: int, err: str, name: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert status == 1, err
    assert len(lines) == 1 and lines[0].startswith("embexplorer: "), err
    assert name in lines[0], err
    assert not any(bug in err for bug in _BUG_MESSAGES), err


def _hostile_files() -> dict[str, bytes]:
    npy = corpora.npy_bytes(np.ones((4, 3), np.float32))
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("vectors.npy", npy[:128] + bytes(8 << 20))
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("vectors.npy", corpora.npy_bytes(np.random.default_rng(0).random((50, 8))))
    broken_deflate = bytearray(broken.getvalue())
    broken_deflate[30 + len("vectors.npy")] ^= 0xFF
    session = io.BytesIO()
    with zipfile.ZipFile(session, "w") as zf:
        zf.writestr("manifest.json", json.dumps({"format_version": 1}))
    return {
        "truncated.parquet": b"PAR1\x15\x04\x15\x10\x15\x14L\x15\x02\x15\x00\x12\x00\x00",
        "bomb.npz": bomb.getvalue(),
        "broken.npz": bytes(broken_deflate),
        "ragged.csv": b"text,dim_0,dim_1\na,1,2\nb,3\n",
        "deep.jsonl": b'{"v": ' + b"[" * 300 + b"]" * 300 + b"}\n",
        "huge_int.jsonl": b'{"v": [1.5, ' + b"7" * 5000 + b"]}\n",
        "lying.npy": npy[:10] + npy[10:].replace(b"(4, 3)", b"(4000000000, 3)"),
        "long_header.npy": b"\x93NUMPY\x02\x00\x00\x00{'descr'" + bytes(40),
        "too_large.npy": corpora.npy_bytes(np.array([[1e300, 1.0], [1.0, 2.0]])),
        "session.npz": session.getvalue(),
        "utf16.csv": "text,dim_0,dim_1\na,1,2\n".encode("utf-16"),
    }


@pytest.mark.parametrize("name", sorted(_hostile_files()))
@pytest.mark.parametrize("command", ["analyze", "export"])
def test_hostile_files_give_one_clear_line(fuzz_dir, name, command):
    data = _hostile_files()[name]
    with written({name: data}, fuzz_dir) as folder:
        out = folder / ("out.parquet" if command == "analyze" else "out.csv")
        check_refused(*run_cli([command, str(folder / name), "-o", str(out)]), name)
        assert not out.exists()


@examples(20)
@given(case=st.data())
def test_damaged_files_through_export(fuzz_dir, case):
    """``export`` reads the whole file (and nothing else slow): exit 0 with the rows written,
    or exit 1 with one line."""
    fmt = case.draw(st.sampled_from(["csv", "jsonl", "npz"]))
    if fmt == "csv":
        data, _ = case.draw(corpora.delimited_files())
        data = case.draw(mutations.edited_table(mutations.Blob(data), ","))
    elif fmt == "jsonl":
        data, _ = case.draw(corpora.jsonl_files())
        data = case.draw(mutations.edited_jsonl(mutations.Blob(data)))
    else:
        data, _, _ = case.draw(corpora.npz_files())
        data = case.draw(mutations.edited_zip(mutations.Blob(data), ["vectors.npy"]))
    name = f"d.{fmt}"
    with written({name: data}, fuzz_dir) as folder:
        argv = ["export", str(folder / name), "-o", str(folder / "out.csv")]
        status, err = run_cli(argv)
        if status == 0:
            assert Path(folder / "out.csv").exists()
        else:
            check_refused(status, err, name)
