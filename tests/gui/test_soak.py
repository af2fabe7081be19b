"""A user at the window for 300 actions (tests/gui/soak.py): after every one the window tells
the truth, no exception reached the event loop, Qt called no failing override, no bug report
was written, and what the action promised held (the export reads back, the session reopens as
saved). Then: the checks themselves fail when they should."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer

from tests.gui import soak
from tests.gui.override_guard import OVERRIDE_ERROR
from tests.gui.soak import SoakFailure, Walk, run_walk, write_corpora

ROOT = Path(__file__).resolve().parents[2]
#: 3 × 100 actions in CI.
SEEDS = (1, 2, 3)
ACTIONS = 100
#: Seeds that once failed: seed → (actions, the bug it found), each walked up to the action that
#: failed, and kept so that the bug stays fixed (tests/gui/test_soak_findings.py tests each bug
#: directly). The actions draw from the seeded generator: a change to what an action draws
#: changes every walk, and then these seeds are found again by running the script on the code
#: before the fix (``python -m tests.gui.soak --seed 1 --actions 1000 --walk 100``).
REGRESSION_SEEDS = {
    36: (10, "hovering a point coloured by 'hub / antihub' raised KeyError in the event loop"),
    32: (8, "a new layout (t-SNE) drew nothing selected and no focus ring"),
    10: (11, "new vectors (Embed) drew nothing selected and no focus ring"),
    47: (17, "a numeric text column left the Encoder panel saying '(none)'"),
    502: (111, "a session saved after embedding a file that had vectors could not be reopened"),
    708: (56, "k typed in the Neighbours panel, then a click on empty space: a stale inspection"),
    711: (26, "NaN rows dropped, another open cancelled: the session saved could not be reopened"),
}
# (Every seed, 1–3 included, failed at action 1 while the Select menu offered Clear, Expand and
# Tag with nothing selected. The one-hour run's seed 102 failed at action 778 of its walk, too
# long to walk in CI: coloured by neighbour preservation, a new layout then a Cancel left the map
# in the old colours; test_invariant.py's test_coloured_by_an_analysis_column_that_a_cancel_
# leaves_out walks straight to it.)


@pytest.fixture(scope="module")
def corpora(tmp_path_factory) -> dict[str, Path]:
    return write_corpora(tmp_path_factory.mktemp("corpora"))


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_a_user_walks_through_the_window(qtbot, tmp_path, corpora, seed):
    walk = run_walk(seed, ACTIONS, qtbot, tmp_path, corpora)
    assert walk.step == ACTIONS
    assert sum(walk.counts.values()) == ACTIONS


@pytest.mark.slow
@pytest.mark.parametrize("seed", REGRESSION_SEEDS)
def test_a_walk_that_once_failed(qtbot, tmp_path, corpora, seed):
    actions, _bug = REGRESSION_SEEDS[seed]
    assert run_walk(seed, actions, qtbot, tmp_path, corpora).step == actions


# -- the checks fail when they should -----------------------------------------------------------
def _walk_of(action, qtbot, tmp_path, corpora, steps: int = 1) -> str:
    """Run a walk that only does ``action``; the failure's message."""
    walk = Walk(7, qtbot, tmp_path, corpora, actions=[(action, 1.0)])
    try:
        with pytest.raises(SoakFailure) as failed:
            walk.run(steps)
    finally:
        walk.close()
    return str(failed.value)


def _open_csv(user) -> str:
    user.window.open_path(user.corpora["csv"])
    return "open the CSV"


def test_an_exception_in_the_event_loop_fails_the_walk(qtbot, tmp_path, corpora):
    def raise_later(user) -> str:
        QTimer.singleShot(0, lambda: 1 / 0)  # a slot that raises, as a bug in one would
        return "a slot raises"

    message = _walk_of(raise_later, qtbot, tmp_path, corpora)
    assert message.startswith("soak seed 7 failed at action 1: an exception in the event loop")
    assert "ZeroDivisionError" in message
    assert "1 a slot raises" in message
    assert "replay: python -m tests.gui.soak --seed 7 --actions 1" in message


def test_a_failed_override_fails_the_walk(qtbot, tmp_path, corpora, capfd):
    def print_override_error(user) -> str:
        os.write(2, f"{OVERRIDE_ERROR} of QWidget::metric(): TypeError\n".encode())
        return "Qt reports a failed override"

    message = _walk_of(print_override_error, qtbot, tmp_path, corpora)
    assert "Qt called a Python override that failed" in message
    assert "QWidget::metric()" in message
    capfd.readouterr()  # the line was planted: the conftest guard need not fail this test


def test_a_window_that_lies_fails_the_walk_naming_the_last_actions(qtbot, tmp_path, corpora):
    steps = iter(range(3))

    def open_then_lie(user) -> str:
        if next(steps) < 2:
            return _open_csv(user)
        k = user.window.analysis_panel.k
        k.blockSignals(True)  # the panel shows a k the map was not made with
        k.setValue(k.value() + 1)
        k.blockSignals(False)
        return "the panel shows another k"

    message = _walk_of(open_then_lie, qtbot, tmp_path, corpora, steps=3)
    assert "failed at action 3: the window: analysis panel" in message
    assert message.index("1 open the CSV") < message.index("3 the panel shows another k")


def test_an_unexpected_error_fails_the_walk(qtbot, tmp_path, corpora):
    """A bug in a background job becomes a report file (and a polite message); the walk
    fails on the report, though the window handled it."""

    def fail_in_a_job(user) -> str:
        def task():
            raise RuntimeError("a bug")
            yield

        user.window.runner.submit("analysis", task, lambda _: None, title="A job with a bug")
        return "a job fails"

    message = _walk_of(fail_in_a_job, qtbot, tmp_path, corpora)
    assert "an unexpected error, reported in error-" in message
    assert "RuntimeError: a bug" in message


def test_the_long_run_writes_its_report(tmp_path):
    """The script: a few actions in a fresh process, the memory sampled, a JSON report."""
    report = tmp_path / "soak.json"
    command = [sys.executable, "-m", "tests.gui.soak", "--seed", "3", "--actions", "6"]
    command += ["--rss-every", "3", "--report", str(report)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(report.read_text(encoding="utf-8"))
    assert found["actions"] == 6 and found["failures"] == [] and found["crashes"] == []
    curve = found["memory_curves"][0]
    assert [sample["actions"] for sample in curve] == [0, 3, 6]
    assert all(sample["rss_mb"] > 50 for sample in curve)
    assert sum(found["actions_by_kind"].values()) == 6


def test_the_long_run_stops_a_child_that_hangs(tmp_path, monkeypatch):
    """A hung child (the hour-long run once deadlocked in a Qt destructor) is stopped and
    recorded as a hang, so the run goes on with the next seed."""
    monkeypatch.setattr(soak, "STALL_S", 0.3)
    forever = [sys.executable, "-c", "import threading; threading.Event().wait()"]
    assert soak._run_watched(forever, tmp_path / "journal.jsonl", tmp_path) == "hang"
