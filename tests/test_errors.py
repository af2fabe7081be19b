"""No traceback reaches a user: unexpected errors become a message naming a saved report, and
a fatal crash leaves a log the next start names (core.recovery, cli.common, gui.crash)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from embexplorer.core.state import recovery


def _fail_reading(monkeypatch, exc: BaseException) -> None:
    import embexplorer.cli.analyze as analyze

    def broken(*_args, **_kwargs):
        raise exc

    monkeypatch.setattr(analyze, "read_corpus", broken)


@pytest.mark.parametrize(
    ("exc", "said"),
    [
        (RuntimeError("a bug"), "Something went wrong inside embexplorer (RuntimeError: a bug)"),
        (MemoryError(), "There was not enough memory for this step"),
        (RecursionError("deep"), "RecursionError: deep"),
    ],
)
def test_the_cli_turns_any_exception_into_a_message_and_a_report(
    tmp_path, monkeypatch, capsys, exc, said
):
    from embexplorer import cli

    np.save(tmp_path / "v.npy", np.ones((5, 3), np.float32))
    _fail_reading(monkeypatch, exc)
    status = cli.main(["analyze", str(tmp_path / "v.npy"), "-o", str(tmp_path / "o.parquet")])
    err = capsys.readouterr().err
    assert status == 1 and said in err and "Traceback" not in err
    report = err.split("A report was saved to ")[1].split(".txt")[0] + ".txt"
    text = Path(report).read_text(encoding="utf-8")
    assert "Traceback" in text and type(exc).__name__ in text
    assert report.startswith(str(recovery.data_dir()))


def test_reports_are_pruned(monkeypatch):
    monkeypatch.setattr(recovery, "KEEP_REPORTS", 3)
    paths = []
    for i in range(5):
        path = recovery.write_error_report(ValueError(str(i)))
        os.utime(path, (i, i))
        paths.append(path)
    left = sorted((recovery.data_dir() / "reports").glob("error-*.txt"))
    assert len(left) == 3


def test_a_fatal_crash_leaves_a_log_the_next_start_names(tmp_path):
    code = (
        "import faulthandler; from embexplorer.core.state.recovery import start_crash_log; "
        "start_crash_log(); faulthandler._sigsegv()"
    )
    env = {**os.environ, "EMBEXPLORER_DATA_DIR": str(recovery.data_dir())}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True)
    assert done.returncode != 0
    found = recovery.crashes_left_behind()
    assert len(found) == 1 and "Fatal Python error" in found[0].read_text()
    kept = recovery.acknowledge_crash(found[0])
    assert kept.exists() and recovery.crashes_left_behind() == []


def test_a_killed_run_leaves_no_crash_report_and_a_clean_exit_none():
    log = recovery.start_crash_log()
    assert log.path.exists()
    log.close()
    assert not log.path.exists()
    empty = recovery.data_dir() / "crashes" / "crash-20260101-000000-999999999.log"
    empty.write_text("")  # what SIGKILL leaves: faulthandler never ran
    assert recovery.crashes_left_behind() == [] and not empty.exists()


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_becomes_a_message_in_the_window(qtbot):
    from PySide6.QtCore import QTimer

    from embexplorer.gui.crash import ExceptionHook

    shown: list[tuple[str, str, str]] = []
    hook = ExceptionHook(lambda *args: shown.append(args))
    hook.install()
    try:

        def broken_slot() -> None:
            raise KeyError("no such thing")

        QTimer.singleShot(0, broken_slot)
        qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    finally:
        hook.uninstall()
    title, message, details = shown[0]
    assert title == "Unexpected error"
    assert "KeyError" in message and "A report was saved to" in message
    assert "broken_slot" in details
