"""Where the bundled resources (demo corpus, tokenizer) are, installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

DEMO_CORPUS = "demo/wikipedia_topics.parquet"
DEFAULT_TOKENIZER = "models/all-MiniLM-L6-v2/tokenizer.json"


def resources_dir() -> Path:
    """``embexplorer/resources`` in a wheel (hatch force-include), ``resources/`` in a checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "resources", package.parent / "resources"):
        if (candidate / DEMO_CORPUS).exists():
            return candidate
    raise FileNotFoundError("embexplorer's resources folder is missing; reinstall embexplorer.")


def demo_corpus_path() -> Path:
    return resources_dir() / DEMO_CORPUS


def default_tokenizer_path() -> Path:
    return resources_dir() / DEFAULT_TOKENIZER
