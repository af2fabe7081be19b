"""Group writes: a reader never sees a mixed group, a failed rename puts back what it replaced
and says exactly what changed, errors name the file that failed, and dead writers' leftovers
are removed without touching a live writer's files."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap

import pytest

from embexplorer.core.errors import InputError
from embexplorer.core.io import atomic, leftovers
from embexplorer.core.io.atomic import (
    atomic_paths,
    check_writable,
    check_written_together,
    writing,
)
from embexplorer.core.io.leftovers import remove_stale_leftovers


def _group(tmp_path, old=True):
    targets = [tmp_path / name for name in ("vectors.tsv", "metadata.tsv", "vectors.tsv.prov")]
    if old:
        for target in targets:
            target.write_text(f"old {target.name}")
    return targets


def _write(targets, texts=None):
    with atomic_paths(targets) as temps:
        for temp, target in zip(temps, targets, strict=True):
            with writing(temp):
                temp.write_text((texts or {}).get(target.name, f"new {target.name}"))


def _contents(targets):
    return [t.read_text() if t.exists() else None for t in targets]


def _hidden(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _fail_replace_onto(monkeypatch, target, error=None):
    """Make ``os.replace`` fail when it renames onto ``target`` (and only then)."""
    real = os.replace
    error = error or OSError(errno.EIO, "Input/output error")

    def replace(src, dst):
        if os.fspath(dst) == os.fspath(target):
            raise error
        return real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace)


def test_a_group_is_replaced_whole_and_leaves_nothing_behind(tmp_path):
    targets = _group(tmp_path)
    _write(targets)
    assert _contents(targets) == [f"new {t.name}" for t in targets]
    assert _hidden(tmp_path) == []  # no temporary, backup or marker


@pytest.mark.parametrize("failing", [0, 1, 2])
def test_a_failed_rename_puts_back_what_was_replaced(tmp_path, monkeypatch, failing):
    targets = _group(tmp_path)
    _fail_replace_onto(monkeypatch, targets[failing])
    with pytest.raises(InputError) as caught:
        _write(targets)
    message = str(caught.value)
    assert message.startswith(f"Writing {targets[failing]} failed: Input/output error.")
    assert "Nothing was changed" in message
    for earlier in targets[:failing]:
        assert earlier.name in message  # "… put back as before"
    assert _contents(targets) == [f"old {t.name}" for t in targets]
    assert _hidden(tmp_path) == []
    check_written_together(targets)  # no marker: the files open again


def test_a_failed_rename_removes_the_files_it_created(tmp_path, monkeypatch):
    targets = _group(tmp_path, old=False)
    _fail_replace_onto(monkeypatch, targets[2])
    with pytest.raises(InputError, match="Nothing was changed"):
        _write(targets)
    assert list(tmp_path.iterdir()) == []


def test_when_putting_back_fails_the_message_says_what_changed(tmp_path, monkeypatch):
    targets = _group(tmp_path)
    real = os.replace

    def replace(src, dst):
        if os.fspath(dst) == os.fspath(targets[1]):
            raise OSError(errno.EISDIR, "Is a directory")
        if os.fspath(src).endswith(".bak"):  # the backup of vectors.tsv cannot come back
            raise OSError(errno.EACCES, "Permission denied")
        return real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace)
    with pytest.raises(InputError) as caught:
        _write(targets)
    message = str(caught.value)
    assert f"Writing {targets[1]} failed: Is a directory." in message
    assert "Nothing was changed" not in message
    assert (
        "vectors.tsv was already replaced and could not be put back (Permission denied" in message
    )
    assert "Not changed: metadata.tsv, vectors.tsv.prov." in message
    assert _contents(targets) == ["new vectors.tsv", "old metadata.tsv", "old vectors.tsv.prov"]
    backup = next(p for p in tmp_path.iterdir() if p.name.endswith(".bak"))
    assert backup.name in message and backup.read_text() == "old vectors.tsv"
    with pytest.raises(InputError, match=r"may not match metadata\.tsv.*interrupted"):
        check_written_together([targets[0]])
    monkeypatch.undo()
    _write(targets)  # writing the group again makes it whole and clears the marker
    check_written_together(targets)
    assert _contents(targets) == [f"new {t.name}" for t in targets]


def test_an_error_while_writing_names_the_file_that_failed(tmp_path):
    targets = _group(tmp_path)
    with pytest.raises(InputError) as caught, atomic_paths(targets) as temps:
        temps[0].write_text("new vectors")
        with writing(temps[1]):
            raise OSError(errno.ENOSPC, "No space left on device")  # as pyarrow: no name
    assert str(caught.value) == (
        f"Writing {targets[1]} failed: No space left on device. Nothing was changed."
    )
    assert _contents(targets) == [f"old {t.name}" for t in targets]
    assert _hidden(tmp_path) == []


def test_a_file_size_limit_blames_the_data_file_not_the_provenance(tmp_path):
    """The reproduction under EFBIG (``ulimit -f``): the big CSV fails, not its small JSON."""
    script = textwrap.dedent(
        """
        import resource, signal, sys
        import numpy as np
        from embexplorer.core.corpus import Corpus
        from embexplorer.core.errors import InputError
        from embexplorer.core.state.export_frame import build_frame
        from embexplorer.core.io.export import export_task
        from embexplorer.core.tasks import run_task
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        vectors = np.random.default_rng(0).normal(size=(2000, 16)).astype(np.float32)
        corpus = Corpus(ids=np.arange(2000), columns={}, vectors=vectors)
        frame = build_frame(corpus, np.arange(2000), ["ids", "vectors"])
        resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))
        try:
            run_task(export_task(sys.argv[1], frame, overwrite=True))
        except InputError as exc:
            print(exc)
        """
    )
    out = tmp_path / "big.csv"
    out.write_text("old")
    done = subprocess.run(
        [sys.executable, "-c", script, str(out)], capture_output=True, text=True, timeout=120
    )
    assert done.stdout.startswith(f"Writing {out} failed: "), done.stdout + done.stderr
    assert "File too large" in done.stdout and "Nothing was changed." in done.stdout
    assert out.read_text() == "old" and _hidden(tmp_path) == []


def test_a_kill_between_renames_leaves_a_marker_that_readers_refuse(tmp_path):
    """The reproduction: ``kill -9`` after vectors.tsv was replaced, before metadata.tsv."""
    targets = _group(tmp_path)
    script = textwrap.dedent(
        """
        import os, signal, sys
        from pathlib import Path
        from embexplorer.core.io import atomic
        targets = [Path(p) for p in sys.argv[1:]]
        real = os.replace
        def replace(src, dst):
            if os.fspath(dst) == os.fspath(targets[1]):
                os.kill(os.getpid(), signal.SIGKILL)
            return real(src, dst)
        atomic.os.replace = replace
        with atomic.atomic_paths(targets) as temps:
            for temp, target in zip(temps, targets):
                temp.write_text("new " + target.name)
        """
    )
    done = subprocess.run([sys.executable, "-c", script, *map(str, targets)], timeout=120)
    assert done.returncode == -9
    assert _contents(targets) == ["new vectors.tsv", "old metadata.tsv", "old vectors.tsv.prov"]
    for member in targets[:2]:  # whichever half is opened
        with pytest.raises(InputError, match="writing them together was interrupted"):
            check_written_together([member])
    _write(targets)
    check_written_together(targets)


def test_stale_leftovers_of_dead_writers_are_removed(tmp_path, monkeypatch):
    target = tmp_path / "out.csv"
    dead = tmp_path / ".out.csv.k3j9x_2a.part"
    backup = tmp_path / ".out.csv.0badc0de.bak"
    live = tmp_path / ".out.csv.livewrtr.part"
    others = [tmp_path / ".other.csv.abcdefgh.part", tmp_path / ".out.csv.provenance.json.p.part"]
    for path in (dead, backup, live, *others):
        path.write_text("leftover")
    monkeypatch.setattr(leftovers, "STALE_AFTER_S", 3600.0)
    monkeypatch.setattr(leftovers, "UNLOCKED_STALE_AFTER_S", 3600.0)
    assert remove_stale_leftovers([target]) == []  # fresh: might be a writer's
    monkeypatch.setattr(leftovers, "STALE_AFTER_S", 0.0)
    monkeypatch.setattr(leftovers, "UNLOCKED_STALE_AFTER_S", 0.0)
    import fcntl

    with open(live, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # as a concurrent writer holds it
        with atomic_paths([target]) as (temp,):
            temp.write_text("new")
        assert live.exists()
    assert not dead.exists() and not backup.exists()
    assert all(p.exists() for p in others)  # another destination's files
    assert target.read_text() == "new"


def test_a_writer_locks_its_temporaries(tmp_path, monkeypatch):
    monkeypatch.setattr(leftovers, "STALE_AFTER_S", 0.0)
    monkeypatch.setattr(leftovers, "UNLOCKED_STALE_AFTER_S", 0.0)
    target = tmp_path / "out.csv"
    with atomic_paths([target]) as (temp,):
        temp.write_text("new")
        assert remove_stale_leftovers([target]) == []  # what a second writer would try
        assert temp.exists()
    assert target.read_text() == "new"


def test_destinations_are_checked_before_any_work(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("a\n1\n")
    with pytest.raises(InputError, match=r"the folder .*missing does not exist"):
        check_writable([tmp_path / "missing" / "out.csv"])
    (tmp_path / "out.csv.provenance.json").mkdir()
    with pytest.raises(InputError, match=r"out\.csv\.provenance\.json: a folder .* in the way"):
        check_writable([tmp_path / "out.csv", tmp_path / "out.csv.provenance.json"])
    os.link(source, tmp_path / "alias.csv")
    for same in (source, tmp_path / "alias.csv", tmp_path / "." / "in.csv"):
        with pytest.raises(InputError, match="is the file being read"):
            check_writable([same], inputs=[source])
    os.mkfifo(tmp_path / "pipe.csv")
    with pytest.raises(InputError, match="not a plain file"):
        check_writable([tmp_path / "pipe.csv"])
    check_writable([tmp_path / "fine.csv"], inputs=[source, None])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "alias.csv",
        "in.csv",
        "out.csv.provenance.json",
        "pipe.csv",
    ]
