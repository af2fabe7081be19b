"""First start: time from launch to the first painted map of the demo corpus.

``xvfb-run -a -s "-screen 0 1920x1080x24" python packaging/measure_start.py --runs 5 -- EXE``
launches ``EXE --screenshot OUT.png`` (the frozen ``dist/embexplorer/embexplorer``, or the
pip-installed ``embexplorer``) ``--runs`` times with a fresh ``HOME`` each (no settings, no
caches) and ``EMBEXPLORER_REPORT_START=1``: the app prints when its first map has been painted
(``gui/app.py``). Three figures per run: measured here (from just before the process is started
to the printed wall-clock time), by the app (from its process's start time), and the CPU time
the app used until then (what a machine busy with other work stretches least). Prints each run,
the medians and the load average.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPORT = re.compile(
    r"first map painted(?: (?P<since>[\d.]+) s after launch)?"
    r"(?:, (?P<cpu>[\d.]+) s of CPU)? \(at (?P<at>[\d.]+)\)"
)


def one_run(command: list[str], timeout_s: float) -> tuple[float, float | None, float | None]:
    with tempfile.TemporaryDirectory(prefix="embexplorer-start-") as tmp:
        env = {**os.environ, "HOME": tmp, "EMBEXPLORER_REPORT_START": "1"}
        for key in ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
            env.pop(key, None)
        launched = time.time()
        done = subprocess.run(
            [*command, "--screenshot", str(Path(tmp) / "shot.png")],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    match = REPORT.search(done.stdout)
    if done.returncode != 0 or match is None:
        raise SystemExit(f"measure_start: {command[0]} failed:\n{done.stdout}{done.stderr}")
    since, cpu = match.group("since"), match.group("cpu")
    return (
        float(match.group("at")) - launched,
        None if since is None else float(since),
        None if cpu is None else float(cpu),
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("command", nargs="+", help="the app's executable (and options)")
    args = p.parse_args(argv)
    outside, inside, cpus = [], [], []
    for run in range(1, args.runs + 1):
        measured, reported, cpu = one_run(args.command, args.timeout)
        outside.append(measured)
        told = ""
        if reported is not None:
            inside.append(reported)
            told += f", {reported:.2f} s by the app's clock"
        if cpu is not None:
            cpus.append(cpu)
            told += f", {cpu:.2f} s of CPU"
        print(f"run {run}: first map painted {measured:.2f} s after launch{told}", flush=True)
    told = f"; {statistics.median(inside):.2f} s by the app's clock" if inside else ""
    told += f"; {statistics.median(cpus):.2f} s of CPU" if cpus else ""
    with open("/proc/loadavg", encoding="ascii") as f:
        load = f.read().split()[0]
    print(
        f"{' '.join(args.command)}: median {statistics.median(outside):.2f} s "
        f"(min {min(outside):.2f}, max {max(outside):.2f}) over {args.runs} runs{told} "
        f"(load average {load})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
