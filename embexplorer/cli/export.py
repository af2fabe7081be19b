"""``embexplorer export PATH --select "COLUMN == VALUE" --format parquet -o OUT``: scripted
exports with the same writers as the window (atomic, with a provenance JSON beside)."""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from embexplorer.cli.common import (
    TerminalProgress,
    add_read_options,
    read_options,
    run_reporting_errors,
)
from embexplorer.core.errors import InputError
from embexplorer.core.export_frame import GROUPS
from embexplorer.core.io import read_corpus
from embexplorer.core.io.export import FORMATS, export_task
from embexplorer.core.selection import rows_where
from embexplorer.core.tasks import run_task

_CONDITION = re.compile(r"^\s*(.+?)\s*(==|!=|<=|>=|<|>|\bcontains\b)\s*(.*?)\s*$")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="embexplorer export", description=__doc__)
    p.add_argument("path", type=Path, help="the corpus file")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="OUT")
    p.add_argument(
        "--format",
        dest="out_format",
        choices=list(FORMATS),
        help="default: from OUT's extension ('projector' writes the TSV pair)",
    )
    p.add_argument(
        "--select",
        action="append",
        default=[],
        metavar="CONDITION",
        help='rows to export, e.g. "topic == History", "score > 0.5", '
        '"text contains river"; repeat to require several (default: all rows)',
    )
    p.add_argument(
        "--columns",
        default="ids,metadata,text,vectors",
        metavar="GROUPS",
        help=f"comma-separated groups among {', '.join(GROUPS)} (analysis groups "
        "need 'embexplorer analyze'; default ids,metadata,text,vectors)",
    )
    p.add_argument("--force", action="store_true", help="replace OUT if it exists")
    add_read_options(p, format_flag="--input-format")
    return p


def parse_condition(text: str) -> tuple[str, str, str]:
    match = _CONDITION.match(text)
    if match is None:
        raise InputError(
            f'Cannot read the condition {text!r}; write it as "COLUMN == VALUE" '
            "(or !=, <, <=, >, >=, contains)."
        )
    column, op, value = match.groups()
    return column, op, value.strip("\"'")


def main(argv: Sequence[str]) -> int:
    args = parser().parse_args(argv)
    return run_reporting_errors(lambda: export(args))


def export(args: argparse.Namespace) -> int:
    from embexplorer.core.export_frame import build_frame

    groups = [g.strip() for g in args.columns.split(",") if g.strip()]
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        raise InputError(
            f"Unknown column groups: {', '.join(unknown)}; choose among {', '.join(GROUPS)}."
        )
    corpus = read_corpus(args.path, read_options(args))
    rows = np.arange(corpus.n_rows)
    for condition in args.select:
        column, op, value = parse_condition(condition)
        if column not in corpus.columns:
            raise InputError(
                f"{args.path.name} has no column {column!r}; columns are: "
                f"{', '.join(corpus.columns)}."
            )
        try:
            rows = np.intersect1d(rows, rows_where(corpus.columns[column], op, value))
        except ValueError as exc:
            raise InputError(f"{condition!r}: {exc}") from exc
    note = " and ".join(args.select) or "all rows"
    frame = build_frame(corpus, rows, groups, selection_note=note)
    progress = TerminalProgress()
    written = run_task(export_task(args.output, frame, args.out_format, args.force), progress)
    progress.done()
    print(
        f"exported {len(rows):,} of {corpus.n_rows:,} rows to {', '.join(str(p) for p in written)}"
    )
    return 0
