"""Embedding a corpus's texts: the cache, the job, and finding the encoder of existing vectors."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embexplorer.core.corpus import Corpus
from embexplorer.core.embedding.embedding_cache import EmbeddingCache, cache_key, texts_sha256
from embexplorer.core.embedding.encoder import (
    EncoderConfig,
    TextEncoder,
    default_config,
    model_sha256,
)
from embexplorer.core.errors import InputError
from embexplorer.core.tasks import Progress, Task


def embed_texts_task(
    texts: Sequence[str | None], config: EncoderConfig, cache: EmbeddingCache | None = None
) -> Task[tuple[np.ndarray, dict[str, Any]]]:
    """Vectors for ``texts`` and their provenance, from the cache when it holds them.

    The cache never costs the vectors: a damaged entry is recomputed and a failed store only
    noted, both under ``"embedding_cache"`` in the provenance (see :func:`cache_warning`).
    """
    yield Progress(None, f"Loading {config.model_path.name}")
    encoder = TextEncoder(config)
    provenance = encoder.provenance()
    if cache is None:
        vectors = yield from encoder.encode_task(texts)
        return vectors, provenance
    key = cache_key(encoder.model_sha256, config.settings(), texts_sha256(texts))
    found = cache.lookup(key, len(texts), encoder.dim)
    if found.vectors is not None:
        yield Progress(1.0, "Loaded the vectors from the embedding cache")
        return found.vectors, {**provenance, "embedding_cache": "hit"}
    vectors = yield from encoder.encode_task(texts)
    notes = []
    if found.damage is not None:
        notes.append(f"cache entry {key[:12]}… was damaged ({found.damage}); recomputed")
    if (failure := cache.put(key, vectors, {"rows": len(texts), **provenance})) is not None:
        notes.append(f"not saved: {failure}")
    if notes:
        provenance["embedding_cache"] = "; ".join(notes)
    return vectors, provenance


def cache_warning(provenance: Mapping[str, Any]) -> str | None:
    """What the user should hear about the cache from an embedding's provenance, or None.

    Said when an entry was damaged (the vectors were recomputed) or the new vectors could not be
    stored; the vectors themselves are complete in both cases.
    """
    note = provenance.get("embedding_cache")
    if not isinstance(note, str) or note in ("", "hit"):
        return None
    return f"Embedding cache: {note}. The vectors are complete."


def embed_corpus_task(
    corpus: Corpus, config: EncoderConfig, cache: EmbeddingCache | None = None
) -> Task[Corpus]:
    if corpus.text_column is None:
        raise InputError("Choose the text column to embed (the corpus has none chosen).")
    vectors, provenance = yield from embed_texts_task(list(corpus.texts), config, cache)
    return corpus.with_vectors(vectors, {**provenance, "text_column": corpus.text_column})


class ModelConsentError(InputError):
    """The vectors name a model other than the bundled one: running it needs the user's yes.

    A data file must not choose what code runs on its own (an ONNX model is a program for
    onnxruntime); the window asks once per model (by SHA-256) and remembers the answer.
    """

    def __init__(self, message: str, *, model_path: Path, model_sha256: str):
        super().__init__(message)
        self.model_path = model_path
        self.model_sha256 = model_sha256


def _beside(value: Any, source: Any) -> Path:
    """A path named by a data file: relative paths are relative to that file, not to the
    current folder."""
    path = Path(str(value or ""))
    if not path.is_absolute() and source:
        path = Path(str(source)).parent / path
    return path


def config_for_vectors(
    provenance: Mapping[str, Any], trusted: Collection[str] = ()
) -> EncoderConfig:
    """The encoder that made a corpus's vectors (to embed a query the same way).

    The bundled model is used when its SHA-256 matches. Any other model must be here with the
    recorded SHA-256 (and its tokenizer too) and be in ``trusted`` (SHA-256s the user agreed
    to run); otherwise :class:`ModelConsentError`. Raises :class:`InputError` when the vectors
    came from elsewhere or the model is not here.
    """
    info = provenance.get("encoder")
    if not isinstance(info, Mapping) or not isinstance(info.get("model_sha256"), str):
        raise InputError(
            "These vectors were not made by embexplorer's encoder, so a typed query cannot be "
            "embedded the same way. Embed the texts in the Encoder panel first."
        )
    settings = {k: info[k] for k in ("pooling", "normalize", "max_length") if k in info}
    default = default_config(**settings)
    wanted = info["model_sha256"]
    if model_sha256(default.model_path) == wanted:
        return default
    source = provenance.get("source")
    path, tokenizer = _beside(info.get("model"), source), _beside(info.get("tokenizer"), source)
    if not (path.is_file() and model_sha256(path) == wanted):
        raise InputError(
            f"The model that made these vectors (SHA-256 {wanted[:12]}…) is not available "
            "here. Choose it in the Encoder panel and embed again."
        )
    tokenizer_sha = info.get("tokenizer_sha256")
    if not tokenizer.is_file() or (tokenizer_sha and model_sha256(tokenizer) != tokenizer_sha):
        raise InputError(
            f"The tokenizer recorded with these vectors ({tokenizer}) is missing or differs "
            "from the one that made them. Choose the model in the Encoder panel and embed again."
        )
    if wanted not in trusted:
        raise ModelConsentError(
            f"These vectors were made with the model {path} (SHA-256 {wanted[:12]}…), named by "
            "the data file. Embedding the query runs that model on this computer.",
            model_path=path,
            model_sha256=wanted,
        )
    return dataclasses.replace(default, model_path=path, tokenizer_path=tokenizer)
