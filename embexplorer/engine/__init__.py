"""The distributed engine (issue 13): batch embedding and analysis on a Ray cluster, for
corpora one machine cannot handle. An optional extra (``pip install 'embexplorer[cluster]'``):
only the CLI's ``--engine ray`` imports this package, never the desktop app (an import-linter
contract in pyproject.toml checks it)."""
