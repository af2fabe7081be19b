"""Offline by construction: ``embed``, ``analyze`` and the window open no network socket.

onnxruntime's telemetry (reliability report, defect 6) runs on a C++ thread that a Python audit
hook cannot see, so the commands run under ``strace -f``, which sees every thread and child
process. Any ``AF_INET``/``AF_INET6`` socket, connect or send fails the test; ``AF_UNIX`` (the
name service cache, an X server) is local and allowed.

The telemetry looks up its host about 9 s after ``import onnxruntime``, later than these small
runs end, so each command's process stays alive until 12 s after that import (an audit hook
notes when it happens). Without that wait the test could not catch the regression; the three
commands run side by side, so the test takes about that long in all.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

#: seconds after ``import onnxruntime`` that each process stays alive to be watched
WATCH_AFTER_IMPORT_S = 12.0

DRIVER = """
import sys, time

def note(event, args):
    if event == "import" and args[0] == "onnxruntime" and "onnxruntime" not in imported:
        imported["onnxruntime"] = time.monotonic()
    elif event in LOOKUPS or (event in SENDS and args[0].family.name in ("AF_INET", "AF_INET6")):
        print(f"network: Python audit event {event} {args!r}", file=sys.stderr)

LOOKUPS = {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr"}
SENDS = {"socket.bind", "socket.connect", "socket.sendto", "socket.sendmsg"}

imported = {}
sys.addaudithook(note)
from embexplorer.cli import main

status = main(sys.argv[2:])
if "onnxruntime" in imported:
    time.sleep(max(0.0, imported["onnxruntime"] + float(sys.argv[1]) - time.monotonic()))
sys.exit(status)
"""

#: a system call on an internet socket: its creation, a connect or a send with an address
_INTERNET = re.compile(r"\b(socket|connect|sendto|sendmsg)\(.*\bAF_INET6?\b")


def _strace_or_skip() -> str:
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip(
            "strace is not installed (apt-get install strace); it is the only check "
            "that sees onnxruntime's C++ threads"
        )
    probe = subprocess.run(
        [strace, "-qq", "-o", os.devnull, "true"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        pytest.skip(f"strace cannot trace here: {probe.stderr.strip()[:200]}")
    return strace


@pytest.fixture
def inputs(tmp_path):
    texts = tmp_path / "texts.csv"
    texts.write_text(
        "text,topic\n"
        '"A river runs through the city.",water\n'
        '"The harbour is quiet at night.",water\n'
        '"Painters gathered in the square.",art\n'
        '"A museum opened a new gallery.",art\n'
        '"Rain fell on the old bridge.",water\n'
    )
    vectors = tmp_path / "vectors.npy"
    np.save(vectors, np.random.default_rng(0).standard_normal((40, 8)).astype(np.float32))
    return texts, vectors


@pytest.mark.slow
def test_embed_analyze_and_the_window_open_no_network_socket(tmp_path, inputs):
    strace = _strace_or_skip()
    texts, vectors = inputs
    commands = {
        "embed": ["embed", texts, "--text-column", "text", "--no-cache", "-o", "e.npy"],
        "analyze": ["analyze", vectors, "-o", "a.parquet"],
        "window": [texts, "--query", "a river", "--screenshot", "shot.png"],
    }
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(EMBEXPLORER_CACHE_DIR=str(tmp_path / "cache"))
    if env.get("ORT_DISABLE_TELEMETRY") == "1":
        # importing embexplorer here set it: the commands must set it themselves. Another value
        # is passed on (ORT_DISABLE_TELEMETRY=0 shows that this test catches the telemetry).
        del env["ORT_DISABLE_TELEMETRY"]
    running = {name: _watched(strace, name, args, tmp_path, env) for name, args in commands.items()}
    problems = []
    for name, process in running.items():
        process.wait(timeout=300)
        stderr = (tmp_path / f"{name}.err").read_text()
        assert process.returncode == 0, f"{name}: {stderr[-2000:]}"
        calls = (tmp_path / f"{name}.strace").read_text().splitlines()
        problems += [f"{name}: {c}" for c in calls if _INTERNET.search(c)]
        problems += [f"{name}: {line}" for line in stderr.splitlines() if "network:" in line]
    assert not problems, "network use:\n" + "\n".join(problems[:20])
    assert (tmp_path / "e.npy").is_file() and (tmp_path / "a.parquet").is_file()
    assert (tmp_path / "shot.png").is_file()


def _watched(strace: str, name: str, args: list, cwd: Path, env: dict) -> subprocess.Popen:
    """``embexplorer ARGS`` under strace: its network system calls go to NAME.strace, its
    output to NAME.err (files, so no process waits on a full pipe)."""
    watch = ["-f", "-qq", "-o", f"{name}.strace", "-e", "trace=socket,connect,sendto,sendmsg"]
    command = [sys.executable, "-c", DRIVER, str(WATCH_AFTER_IMPORT_S), *map(str, args)]
    with open(cwd / f"{name}.err", "wb") as output:
        return subprocess.Popen(
            [strace, *watch, *command], cwd=cwd, env=env, stdout=output, stderr=output
        )
