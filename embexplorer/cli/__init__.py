"""``embexplorer``: the GUI by default; headless subcommands share the same core.

embexplorer [PATH] [--text-column C] [--label-column C] [--screenshot OUT.png]
embexplorer analyze PATH --projection pca -o OUT.parquet
embexplorer embed PATH --text-column C -o OUT.parquet
embexplorer compare PATH --b SPEC [--a SPEC] -o OUT.parquet
embexplorer stability PATH [--dims 32,64,128,256] [--quantize int8,binary] -o OUT.json
embexplorer bench
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from embexplorer.cli.common import run_reporting_errors

    argv = list(sys.argv[1:] if argv is None else argv)
    return run_reporting_errors(lambda: _dispatch(argv))


def _dispatch(argv: list[str]) -> int:
    if argv and argv[0] == "analyze":
        from embexplorer.cli.analyze import main as analyze

        return analyze(argv[1:])
    if argv and argv[0] == "embed":
        from embexplorer.cli.embed import main as embed

        return embed(argv[1:])
    if argv and argv[0] == "export":
        from embexplorer.cli.export import main as export

        return export(argv[1:])
    if argv and argv[0] == "compare":
        from embexplorer.cli.compare import main as compare

        return compare(argv[1:])
    if argv and argv[0] == "stability":
        from embexplorer.cli.stability import main as stability

        return stability(argv[1:])
    if argv and argv[0] == "bench":
        from embexplorer.cli.bench import main as bench

        return bench(argv[1:])
    from embexplorer.cli.gui import main as gui

    return gui(argv)
