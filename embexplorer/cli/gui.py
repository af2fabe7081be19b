"""``embexplorer [PATH]``: open the window (on the demo corpus without PATH)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from embexplorer import __version__
from embexplorer.cli.common import add_read_options, read_options


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="embexplorer",
        description="Explore an embedding space: open PATH (the bundled demo corpus when "
        "omitted) in the embexplorer window.",
        epilog="headless commands: 'embexplorer analyze PATH -o OUT.parquet', "
        "'embexplorer embed PATH --text-column C -o OUT.parquet', "
        "'embexplorer export PATH --select \"COL == VALUE\" -o OUT', "
        "'embexplorer compare PATH --b SPEC -o OUT.parquet', "
        "'embexplorer stability PATH -o OUT.json', 'embexplorer bench' (each with --help).",
    )
    p.add_argument(
        "path",
        nargs="?",
        type=Path,
        help="a corpus file: .npy .npz .csv .tsv "
        ".parquet .jsonl, or the Projector's vectors.tsv / metadata.tsv",
    )
    add_read_options(p)
    p.add_argument(
        "--query",
        metavar="TEXT",
        help="search by meaning once the map is drawn (the query's neighbours are listed and "
        "drawn on the map)",
    )
    p.add_argument(
        "--inspect",
        metavar="ID",
        help="once the map is drawn, inspect the row with this id (or row number): its "
        "neighbours are listed and drawn",
    )
    p.add_argument(
        "--screenshot",
        type=Path,
        metavar="OUT.png",
        help="open the window (off-screen when there is no display), wait until the "
        "map is drawn, save a PNG of the window and exit",
    )
    p.add_argument(
        "--screenshot-timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="give up on --screenshot after this long (default 600)",
    )
    p.add_argument(
        "--reset-settings",
        action="store_true",
        help="start with fresh settings (window layout, recent files, last folders); the old "
        "settings file is kept beside it as embexplorer.ini.bak-YYYYmmdd-HHMMSS",
    )
    p.add_argument("--version", action="version", version=f"embexplorer {__version__}")
    return p


def main(argv: Sequence[str]) -> int:
    args = parser().parse_args(argv)
    if args.path is not None and not args.path.exists():
        print(f"embexplorer: {args.path}: no such file.", file=sys.stderr)
        return 1
    from embexplorer.gui.app import run_gui

    return run_gui(
        args.path,
        read_options(args),
        screenshot=args.screenshot,
        timeout_s=args.screenshot_timeout,
        query=args.query,
        inspect=args.inspect,
        reset_settings=args.reset_settings,
    )
