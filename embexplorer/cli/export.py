"""``embexplorer export PATH --select "COLUMN == VALUE" --format parquet -o OUT``: scripted
exports with the same writers as the window (atomic, with a provenance JSON beside).

Everything that can be checked without reading the corpus (the groups, the format, the
conditions' syntax, whether OUT can be written and may be replaced) is checked first, so a typo
costs no reading time; a selection of no rows is refused, and the old OUT is kept.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from embexplorer.cli.common import (
    TerminalProgress,
    add_read_options,
    read_options,
    run_reporting_errors,
)
from embexplorer.core.corpus import Corpus
from embexplorer.core.errors import InputError
from embexplorer.core.io import read_corpus
from embexplorer.core.io.export import FORMATS, check_destinations, export_task, format_for
from embexplorer.core.state.export_frame import GROUPS
from embexplorer.core.state.selection import rows_where
from embexplorer.core.tasks import run_task

DEFAULT_COLUMNS = "ids,metadata,text,vectors"
#: Comparisons, longest first so that "<=" is not read as "<".
_SYMBOLS = ("==", "!=", "<=", ">=", "<", ">")
_WORD = "contains"


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
        metavar="GROUPS",
        help=f"comma-separated groups among {', '.join(GROUPS)} (analysis groups "
        f"need 'embexplorer analyze'; default {DEFAULT_COLUMNS}, the vectors when the file "
        "has them)",
    )
    p.add_argument("--force", action="store_true", help="replace OUT if it exists")
    add_read_options(p, format_flag="--input-format")
    return p


def parse_condition(text: str) -> tuple[str, str, str]:
    """``(column, operator, value)``, split at the first operator after a column name.

    One pass over the text, a constant amount of work per character: a condition of any
    length (60 kB of spaces) is read or refused at once; nothing here can backtrack.
    """
    has_column = False
    for i, char in enumerate(text):
        op = _operator_at(text, i) if has_column else None
        if op is not None:
            value = text[i + len(op) :].strip().strip("\"'")
            return text[:i].strip(), op, value
        has_column = has_column or not char.isspace()
    raise InputError(
        f'Cannot read the condition {_shown(text)}; write it as "COLUMN == VALUE" '
        "(or !=, <, <=, >, >=, contains)."
    )


def _operator_at(text: str, i: int) -> str | None:
    for symbol in _SYMBOLS:
        if text.startswith(symbol, i):
            return symbol
    end = i + len(_WORD)
    if text.startswith(_WORD, i) and not _is_word(text, i - 1) and not _is_word(text, end):
        return _WORD  # a whole word: "text contains river", not "containsx"
    return None


def _is_word(text: str, i: int) -> bool:
    return 0 <= i < len(text) and (text[i].isalnum() or text[i] == "_")


def _shown(text: str, limit: int = 60) -> str:
    """``text`` quoted for a message, cut to ``limit`` characters."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text):,} characters)"


def main(argv: Sequence[str]) -> int:
    args = parser().parse_args(argv)
    return run_reporting_errors(lambda: export(args))


def export(args: argparse.Namespace) -> int:
    from embexplorer.core.state.export_frame import build_frame, check_vectors_available

    groups = _groups(args.columns or DEFAULT_COLUMNS)
    fmt = format_for(args.output, args.out_format)
    conditions = [(text, *parse_condition(text)) for text in args.select]
    check_destinations(args.output, fmt, args.force, inputs=_input_files(args.path))
    corpus = read_corpus(args.path, read_options(args))
    check_vectors_available(corpus, groups if args.columns else (), fmt)
    rows = selected_rows(corpus, conditions, args.path.name)
    note = " and ".join(args.select) or "all rows"
    frame = build_frame(corpus, rows, groups, selection_note=note)
    progress = TerminalProgress()
    written = run_task(export_task(args.output, frame, fmt, args.force), progress)
    progress.done()
    print(
        f"exported {len(rows):,} of {corpus.n_rows:,} rows to {', '.join(str(p) for p in written)}"
    )
    return 0


def _groups(text: str) -> list[str]:
    groups = [g.strip() for g in text.split(",") if g.strip()]
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        raise InputError(
            f"Unknown column groups: {', '.join(unknown)}; choose among {', '.join(GROUPS)}."
        )
    return groups


def _input_files(path: Path) -> list[Path]:
    """The corpus file and, for a Projector pair, its partner: files OUT must not replace."""
    if path.suffix.lower() not in (".tsv", ".tab") or not path.is_file():
        return [path]
    from embexplorer.core.io.delimited import projector_pair

    try:
        pair = projector_pair(path)
    except (OSError, ValueError):
        return [path]
    return [path] if pair is None else [p for p in pair if p is not None]


def selected_rows(
    corpus: Corpus, conditions: Sequence[tuple[str, str, str, str]], name: str
) -> np.ndarray:
    """Rows meeting every condition; refuse a selection of no rows, saying which condition
    matched nothing (with some of the column's values) or that they exclude each other."""
    rows = np.arange(corpus.n_rows)
    counts: list[str] = []
    for text, column, op, value in conditions:
        if column not in corpus.columns:
            raise InputError(
                f"{name} has no column {_shown(column)}; columns are: {', '.join(corpus.columns)}."
            )
        try:
            found = rows_where(corpus.columns[column], op, value)
        except ValueError as exc:
            raise InputError(f"{_shown(text)}: {exc}") from exc
        if len(found) == 0:
            raise InputError(
                f"{_shown(text)} matches none of the {corpus.n_rows:,} rows of {name}, so "
                f"nothing was exported; {_values_hint(corpus.columns[column], column, op, value)}."
            )
        counts.append(f"{_shown(text)} matches {len(found):,}")
        rows = np.intersect1d(rows, found)
    if len(rows) == 0:
        raise InputError(
            f"No row of {name} meets all the conditions together ({'; '.join(counts)}), "
            "so nothing was exported."
        )
    return rows


def _values_hint(values: np.ndarray, column: str, op: str, target: str) -> str:
    """What the column holds, to spot the typo: its range, or a few of its values."""
    if values.dtype.kind in "iuf":
        finite = values[np.isfinite(values)]
        if not len(finite):
            return f"{column!r} holds no numbers"
        return f"{column!r} runs from {finite.min():g} to {finite.max():g}"
    counts = Counter(str(v) for v in values if v is not None)
    if not counts:
        return f"{column!r} holds no values"
    if op == "!=":
        return f"every row has {column} == {target}"
    if op == "==":
        same = [v for v in counts if v.casefold() == target.casefold()]
        if same:
            return f"{column!r} holds {same[0]!r} (case matters)"
    common = ", ".join(_shown(v, 40) for v, _ in counts.most_common(5))
    return f"{column!r} holds {len(counts):,} distinct values, among them {common}"
