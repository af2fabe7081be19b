"""``embexplorer embed INPUT --engine ray``: embed a corpus too big for one machine on a Ray
cluster, one output shard per unit of input rows (see :mod:`.shards`).

Why a pool of plain Ray actors and not Ray Data's ``map_batches``: both hold one ONNX session
per worker and embed at the same speed (the README's measurements), but a shard here is the
unit of work, of writing and of failure: a worker writes its unit's file whole (renamed when
complete) and reports that unit's rows or its error, so a rerun redoes exactly the units
whose files are missing, and a damaged input file is named and skipped while the others are
kept. Ray Data streams blocks of its own choosing to writers of its own; none of that maps
back to the input files.

A unit whose worker dies (a killed process, a lost node) is given to a fresh worker up to
``retries`` more times, then reported; the other units go on.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from embexplorer.core.embedding.encoder import EncoderConfig, TextEncoder, bundled_model_path
from embexplorer.core.tasks import Progress
from embexplorer.engine.embed_output import (
    input_identity,
    is_done,
    prepare_output,
    read_record,
    versions,
    write_record,
)
from embexplorer.engine.embed_worker import EXIT_HOOK, ShardEmbedder, UnitResult
from embexplorer.engine.shards import Plan, Unit, plan_units


@dataclass(frozen=True, slots=True)
class EmbedJob:
    """What ``embed --engine ray`` was asked to do."""

    source: Path
    out_dir: Path
    text_column: str
    config: EncoderConfig
    workers: int = 0  # 0: as many as the cluster has CPUs for
    rows_per_shard: int = 10_000
    retries: int = 1


@dataclass
class EmbedOutcome:
    """How a run went: rows embedded now, shards kept from before, shards not embedded."""

    rows: int = 0
    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # input (file, rows) → why
    seconds: float = 0.0
    workers: int = 0
    dim: int = 0


def run_embed(ray: Any, job: EmbedJob, report: Callable[[Progress], None]) -> EmbedOutcome:
    """Embed ``job`` on the connected cluster; the shards already there are kept."""
    start = time.perf_counter()
    encoder = TextEncoder(dataclasses.replace(job.config, threads=1))  # checks it all, here
    plan = plan_units(job.source, job.text_column, job.rows_per_shard)
    settings = _settings(job, encoder)
    prepare_output(job.out_dir, settings, plan.inputs)
    record = _record(job, encoder, plan, settings)
    write_record(job.out_dir, record)
    todo = [u for u in plan.units if not is_done(job.out_dir, u)]
    outcome = EmbedOutcome(kept=[u.output for u in plan.units if u not in todo], dim=encoder.dim)
    outcome.failed.update(plan.refused)
    if todo:
        _run_units(ray, job, todo, _provenance(encoder, job), report, outcome)
    outcome.seconds = time.perf_counter() - start
    write_record(job.out_dir, _final_record(record, plan, outcome, job.out_dir))
    return outcome


def _settings(job: EmbedJob, encoder: TextEncoder) -> dict[str, Any]:
    info = encoder.provenance()["encoder"]
    return {
        "model": info["model"],
        "model_sha256": info["model_sha256"],
        "tokenizer_sha256": info["tokenizer_sha256"],
        **job.config.settings(),
        "text_column": job.text_column,
        "rows_per_shard": job.rows_per_shard,
    }


def _provenance(encoder: TextEncoder, job: EmbedJob) -> dict[str, Any]:
    """What every shard's Parquet metadata says (its own source and rows are added to it)."""
    return {
        **encoder.provenance(),
        "text_column": job.text_column,
        "engine": "ray",
        "versions": versions(),
    }


def _record(job: EmbedJob, encoder: TextEncoder, plan: Plan, settings: Mapping) -> dict:
    previous = read_record(job.out_dir) or {}
    inputs = {e["file"]: e for e in previous.get("inputs", []) if isinstance(e, dict)}
    inputs.update({e["file"]: e for e in map(input_identity, plan.inputs)})
    return {
        "written_by": "embexplorer embed --engine ray",
        "settings": dict(settings),
        "provenance": _provenance(encoder, job),
        "inputs": list(inputs.values()),
        "complete": False,
    }


def _final_record(record: dict, plan: Plan, outcome: EmbedOutcome, out_dir: Path) -> dict:
    shards = [
        {"file": u.output, "source": u.source.name, "rows": [u.start, u.stop]}
        for u in plan.units
        if (out_dir / u.output).is_file()
    ]
    return {
        **record,
        "complete": not outcome.failed,
        "shards": shards,
        "not_embedded": outcome.failed,
        "last_run": {
            "rows_embedded": outcome.rows,
            "shards_written": len(outcome.written),
            "shards_kept": len(outcome.kept),
            "workers": outcome.workers,
            "seconds": round(outcome.seconds, 3),
        },
    }


def default_workers(ray: Any, threads: int) -> int:
    """As many workers as the cluster has CPUs for, at ``threads`` each."""
    cpus = int(ray.cluster_resources().get("CPU", 1))
    return max(1, cpus // max(threads, 1))


class _Pool:
    """Actors holding the model, one unit in flight each; a dead one is replaced."""

    def __init__(self, ray: Any, job: EmbedJob, provenance: Mapping[str, Any], size: int):
        threads = max(job.config.threads, 1)
        bundled = job.config.model_path.resolve() == bundled_model_path().resolve()
        config = dataclasses.replace(job.config, threads=threads)
        args = (config, bundled, job.text_column, str(job.out_dir), dict(provenance))
        self._ray = ray
        actor = ray.remote(ShardEmbedder).options(num_cpus=threads)
        self._make = lambda: actor.remote(*args, os.environ.get(EXIT_HOOK))
        self.actors = [self._make() for _ in range(size)]
        self._check_loaded(self.actors)

    def _check_loaded(self, actors: list) -> None:
        from embexplorer.core.errors import InputError

        for problem in self._ray.get([a.load.remote() for a in actors]):
            if problem is not None:
                raise InputError(problem)

    def replace(self, index: int) -> None:
        self._ray.kill(self.actors[index], no_restart=True)
        self.actors[index] = self._make()
        self._check_loaded([self.actors[index]])


def _run_units(
    ray: Any,
    job: EmbedJob,
    todo: list[Unit],
    provenance: Mapping[str, Any],
    report: Callable[[Progress], None],
    outcome: EmbedOutcome,
) -> None:
    size = min(job.workers or default_workers(ray, job.config.threads), len(todo))
    report(Progress(None, f"Starting {size} worker(s), each loading the model…"))
    pool = _Pool(ray, job, provenance, size)
    outcome.workers = size
    progress = _RunProgress(todo, report)
    queue, attempts = deque(todo), dict.fromkeys((u.output for u in todo), 0)
    running: dict[Any, tuple[int, Unit]] = {}
    free = list(range(size))
    while queue or running:
        while free and queue:
            index, unit = free.pop(), queue.popleft()
            running[pool.actors[index].embed.remote(unit)] = (index, unit)
        ready, _ = ray.wait(list(running), num_returns=1)
        index, unit = running.pop(ready[0])
        try:
            result: UnitResult = ray.get(ready[0])
        except ray.exceptions.RayActorError as exc:
            attempts[unit.output] += 1
            if attempts[unit.output] <= job.retries:
                queue.appendleft(unit)
            else:
                outcome.failed[unit.describe()] = _died(exc, attempts[unit.output])
            pool.replace(index)
            free.append(index)
            continue
        free.append(index)
        if result.error is not None:
            outcome.failed[unit.describe()] = result.error
        else:
            outcome.rows += result.rows
            outcome.written.append(result.output)
        progress.unit_done(unit, result.rows)


def _died(exc: Exception, attempts: int) -> str:
    first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
    return (
        f"the worker embedding it died, {attempts} time(s) ({first}); nothing was written for "
        "it. Run the same command again to redo it."
    )


class _RunProgress:
    """Rows done of the total, texts/s and time left, after each unit."""

    def __init__(self, todo: list[Unit], report: Callable[[Progress], None]):
        self.report = report
        self.units = len(todo)
        self.total = None if any(u.rows is None for u in todo) else sum(u.rows or 0 for u in todo)
        self.units_done = self.rows = 0
        self.start = time.perf_counter()

    def unit_done(self, unit: Unit, rows: int) -> None:
        self.units_done += 1
        self.rows += rows if unit.rows is None else unit.rows
        elapsed = max(time.perf_counter() - self.start, 1e-9)
        if self.total:
            fraction, of = self.rows / self.total, f"{self.rows:,} of {self.total:,} rows"
        else:
            fraction, of = self.units_done / self.units, f"{self.rows:,} rows"
        left = elapsed * (1 - fraction) / max(fraction, 1e-9)
        self.report(
            Progress(
                fraction,
                f"{of} ({self.units_done:,} of {self.units:,} shards), "
                f"{self.rows / elapsed:,.0f} texts/s, {_duration(left)} left",
            )
        )


def _duration(seconds: float) -> str:
    from embexplorer.core.embedding.encoder import _duration as duration

    return duration(seconds)
