"""On-disk cache of embeddings: ``.npy`` + a small JSON, keyed by model hash + settings + texts.

Reopening a corpus that was embedded before is instant. No pickle: vectors are read with
``allow_pickle=False``. Writes are atomic, so a crash never leaves a half-written entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embexplorer.core.io.atomic import atomic_path, write_text_atomic


def default_cache_dir() -> Path:
    """``$EMBEXPLORER_CACHE_DIR``, else the platform's user cache folder."""
    if env := os.environ.get("EMBEXPLORER_CACHE_DIR"):
        return Path(env)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "embexplorer" / "embeddings"


def texts_sha256(texts: Sequence[str | None]) -> str:
    """A hash of the texts in order (length-prefixed, so boundaries are part of it)."""
    digest = hashlib.sha256()
    for text in texts:
        data = ("" if text is None else str(text)).encode("utf-8")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def cache_key(model_sha256: str, settings: Mapping[str, Any], texts_hash: str) -> str:
    blob = json.dumps(
        {"model": model_sha256, "settings": dict(settings), "texts": texts_hash}, sort_keys=True
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:40]


class EmbeddingCache:
    def __init__(self, folder: Path | None = None):
        self.folder = Path(folder) if folder is not None else default_cache_dir()

    def _paths(self, key: str) -> tuple[Path, Path]:
        return self.folder / f"{key}.npy", self.folder / f"{key}.json"

    def get(self, key: str, n_rows: int) -> np.ndarray | None:
        """The cached vectors for ``key``, or None (also when the entry is unreadable)."""
        vectors_path, meta_path = self._paths(key)
        if not (vectors_path.exists() and meta_path.exists()):
            return None
        try:
            vectors = np.load(vectors_path, allow_pickle=False)
        except (OSError, ValueError):
            return None
        if vectors.dtype != np.float32 or vectors.ndim != 2 or len(vectors) != n_rows:
            return None
        return np.ascontiguousarray(vectors)

    def put(self, key: str, vectors: np.ndarray, meta: Mapping[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        vectors_path, meta_path = self._paths(key)
        with atomic_path(vectors_path) as tmp, open(tmp, "wb") as fh:
            np.save(fh, np.ascontiguousarray(vectors, dtype=np.float32))
        write_text_atomic(meta_path, json.dumps(dict(meta), default=str, indent=1))

    def size_bytes(self) -> int:
        if not self.folder.is_dir():
            return 0
        return sum(p.stat().st_size for p in self.folder.iterdir() if p.suffix in (".npy", ".json"))

    def entries(self) -> int:
        return len(list(self.folder.glob("*.npy"))) if self.folder.is_dir() else 0

    def clear(self) -> int:
        """Delete every entry; return how many bytes were freed."""
        freed = self.size_bytes()
        if self.folder.is_dir():
            for path in self.folder.iterdir():
                if path.suffix in (".npy", ".json"):
                    path.unlink(missing_ok=True)
        return freed
