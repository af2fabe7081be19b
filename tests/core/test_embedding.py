"""The embedding cache, the corpus's own encoder, and search by meaning."""

from __future__ import annotations

import numpy as np
import pytest

from embexplorer.core.analysis.projection import pca_task
from embexplorer.core.analysis.query import semantic_query_task
from embexplorer.core.corpus import Corpus
from embexplorer.core.embedding.embedding import config_for_vectors, embed_corpus_task
from embexplorer.core.embedding.embedding_cache import EmbeddingCache, cache_key, texts_sha256
from embexplorer.core.embedding.encoder import default_config
from embexplorer.core.errors import InputError
from embexplorer.core.io import read_corpus
from embexplorer.core.resources import demo_corpus_path
from embexplorer.core.tasks import run_task


def _texts_corpus(texts):
    return Corpus(
        ids=np.arange(len(texts)),
        columns={"text": np.array(texts, dtype=object)},
        text_column="text",
    )


def test_cache_hit_returns_identical_vectors(tmp_path):
    cache = EmbeddingCache(tmp_path / "cache")
    corpus = _texts_corpus(["one text", "another text", "a third"])
    first = run_task(embed_corpus_task(corpus, default_config(), cache))
    assert cache.entries() == 1 and cache.size_bytes() > 3 * 384 * 4
    second = run_task(embed_corpus_task(corpus, default_config(), cache))
    assert second.provenance["embedding_cache"] == "hit"
    assert "embedding_cache" not in first.provenance
    np.testing.assert_array_equal(first.vectors, second.vectors)
    assert cache.clear() > 0 and cache.entries() == 0


def test_cache_key_depends_on_model_settings_and_texts():
    base = cache_key("m", {"pooling": "mean"}, texts_sha256(["a", "b"]))
    assert base != cache_key("m2", {"pooling": "mean"}, texts_sha256(["a", "b"]))
    assert base != cache_key("m", {"pooling": "cls"}, texts_sha256(["a", "b"]))
    assert base != cache_key("m", {"pooling": "mean"}, texts_sha256(["b", "a"]))
    assert texts_sha256(["ab", "c"]) != texts_sha256(["a", "bc"])


def test_unreadable_cache_entry_is_ignored(tmp_path):
    cache, key = EmbeddingCache(tmp_path), "a" * 40
    cache.put(key, np.ones((2, 3), dtype=np.float32), {})
    (tmp_path / f"{key}.npy").write_bytes(b"garbage")
    assert cache.get(key, 2) is None


def test_the_demo_corpus_knows_its_encoder():
    corpus = read_corpus(demo_corpus_path())
    config = config_for_vectors(corpus.provenance)
    assert config.model_path == default_config().model_path


def test_foreign_vectors_have_no_encoder():
    with pytest.raises(InputError, match="not made by embexplorer's encoder"):
        config_for_vectors({"source": "x.npy"})
    with pytest.raises(InputError, match="is not available here"):
        config_for_vectors({"encoder": {"model_sha256": "0" * 64, "model": "/nope.onnx"}})


def test_search_by_meaning_on_the_demo_corpus():
    corpus = read_corpus(demo_corpus_path())
    projection = run_task(pca_task(corpus.vectors))
    result, encoder = run_task(
        semantic_query_task("famous painters", corpus.vectors, corpus.provenance, 5, projection)
    )
    assert len(result.rows) == 5 and np.all(np.diff(result.distances) >= 0)
    assert all(corpus.labels[r] in ("People", "Arts") for r in result.rows)
    assert any("painter" in corpus.texts[r] for r in result.rows)
    query = encoder.encode_batch(["famous painters"])
    np.testing.assert_allclose(result.position, projection.transform(query)[0])
    expected = 1 - corpus.vectors[result.rows] @ query[0]
    np.testing.assert_allclose(result.distances, expected, atol=1e-5)
