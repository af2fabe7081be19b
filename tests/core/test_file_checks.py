"""What a path is, said before anything opens it, and what a text file's encoding is
(reliability report defect 16: a FIFO was "empty", a link loop "no such file", UTF-32
"UTF-16")."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from embexplorer.core.errors import InputError
from embexplorer.core.io import read_corpus


def _fails(path, match):
    with pytest.raises(InputError, match=match) as info:
        read_corpus(path)
    return str(info.value)


def test_fifo_is_refused_without_being_opened(tmp_path):
    # Was "is empty (0 bytes)", and a writer blocked forever.
    path = tmp_path / "pipe.csv"
    os.mkfifo(path)
    # Holding the pipe open for writing means a reader that does open it cannot block the test
    # for ever: it gets end-of-file once the writer closes.
    writer = os.open(path, os.O_RDWR | os.O_NONBLOCK)
    outcome: list[BaseException | None] = []

    def read() -> None:
        try:
            read_corpus(path)
            outcome.append(None)
        except BaseException as exc:  # handed to the test's thread
            outcome.append(exc)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    thread.join(timeout=10)
    finished = not thread.is_alive()
    os.close(writer)
    thread.join(timeout=10)
    assert finished, "read_corpus blocked on the FIFO"
    assert isinstance(outcome[0], InputError)
    assert "is not a regular file (it is a named pipe (FIFO))" in str(outcome[0])


def test_character_device_is_refused():
    _fails(Path("/dev/zero"), r"/dev/zero is not a regular file \(it is a character device\)")


def test_symlink_loop_is_named(tmp_path):
    # Was "no such file".
    (tmp_path / "a.csv").symlink_to(tmp_path / "b.csv")
    (tmp_path / "b.csv").symlink_to(tmp_path / "a.csv")
    _fails(tmp_path / "a.csv", r"a.csv is a symbolic link loop")


@pytest.mark.parametrize(
    "encoding,name",
    [
        ("utf-32", "UTF-32"),
        ("utf-32-be", "UTF-32 (without a byte-order mark)"),
        ("utf-16-le", "UTF-16 (without a byte-order mark)"),
    ],
)
def test_wide_encodings_are_named(tmp_path, encoding, name):
    # UTF-32 with a BOM was called UTF-16 (its BOM starts with UTF-16's).
    path = tmp_path / "u.csv"
    path.write_bytes("name,d0\na,1\nb,2\n".encode(encoding))
    message = _fails(path, "is UTF-")
    assert f"u.csv is {name} text" in message
