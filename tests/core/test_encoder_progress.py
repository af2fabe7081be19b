"""The embedding's progress and time left go by tokens, not texts (issue 11, part 7).

Batches run shortest first, so a count of texts said "24 s left" for a minute of a 150 s job.
The reference here is the tokenizer itself (tokens per text) and a clock that advances by a
fixed cost per token the model computes, so the true time left is known exactly.
"""

from __future__ import annotations

import re
import types

import numpy as np
import pytest
from tokenizers import Tokenizer

from embexplorer.core.embedding import encoder as encoder_module
from embexplorer.core.embedding.encoder import TextEncoder, default_config
from embexplorer.core.resources import default_tokenizer_path

SECONDS_PER_TOKEN = 0.01
SHORT = ["Hi.", "A cat.", "Rain today.", "Blue sky.", "Tea time.", "Go on."]
LONG = [
    " ".join(f"word{i}" for i in range(n)) + " and a long sentence about music and guitars"
    for n in (60, 90, 120, 150)
]


@pytest.fixture(scope="module")
def encoder():
    return TextEncoder(default_config(batch_size=2, max_length=128))


def reference_tokens(texts: list[str]) -> np.ndarray:
    """Tokens per text from the tokenizer file itself, cut at the max length (128)."""
    tokenizer = Tokenizer.from_file(str(default_tokenizer_path()))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=128)
    return np.array([len(e.ids) for e in tokenizer.encode_batch(texts)])


def seconds_left(message: str) -> int:
    found = re.search(r"(?:(\d+) min )?(\d+) s left$", message)
    assert found, message
    return int(found.group(1) or 0) * 60 + int(found.group(2))


def test_fraction_and_time_left_follow_tokens(encoder, monkeypatch):
    texts = [t for pair in zip(LONG, SHORT, strict=False) for t in pair] + SHORT[len(LONG) :]
    clock = [0.0]

    def encode_batch(batch):  # costs its padded tokens, as the model does
        counts = reference_tokens(batch)
        clock[0] += SECONDS_PER_TOKEN * len(batch) * counts.max()
        return np.zeros((len(batch), encoder.dim), dtype=np.float32)

    monkeypatch.setattr(encoder, "encode_batch", encode_batch)
    monkeypatch.setattr(
        encoder_module, "time", types.SimpleNamespace(perf_counter=lambda: clock[0])
    )
    steps = [p for p in _progress(encoder.encode_task(texts)) if "texts/s" in p.message]

    counts = np.sort(reference_tokens(texts))
    padded = [len(b) * b.max() for b in np.split(counts, range(2, len(counts), 2))]
    done = np.cumsum(padded)
    assert len(steps) == len(padded) == 5
    assert counts[-1] > 10 * counts[0]  # short and long texts: a count of texts would be wrong
    for step, done_tokens in zip(steps, done, strict=True):
        assert step.fraction == pytest.approx(done_tokens / done[-1])
        true_left = SECONDS_PER_TOKEN * (done[-1] - done_tokens)
        assert seconds_left(step.message) == pytest.approx(true_left, abs=1)
    by_texts = SECONDS_PER_TOKEN * done[0] * (len(texts) - 2) / 2  # what counting texts said
    assert SECONDS_PER_TOKEN * (done[-1] - done[0]) > 5 * by_texts


def test_tokens_are_counted_as_the_model_gets_them(encoder):
    texts = [*SHORT, *LONG, "", "x " * 500]
    counts = _result(encoder.token_counts_task(texts))
    np.testing.assert_array_equal(counts, reference_tokens(texts))
    assert counts[-1] == 128  # truncated at the max length, like the batches


def test_counting_can_be_cancelled_between_chunks(encoder, monkeypatch):
    monkeypatch.setattr(encoder_module, "COUNT_CHUNK", 3)
    task = encoder.token_counts_task(SHORT)
    assert next(task).message == "Counting tokens: 3 of 6 texts"
    task.close()  # a Cancel: no further chunk is tokenised
    with pytest.raises(StopIteration):
        next(task)


def test_empty_corpus_has_no_progress_steps(encoder):
    assert list(_progress(encoder.encode_task([]))) == []
    assert _result(encoder.encode_task([])).shape == (0, encoder.dim)


def _progress(task):
    try:
        while True:
            yield next(task)
    except StopIteration:
        return


def _result(task):
    try:
        while True:
            next(task)
    except StopIteration as stop:
        return stop.value
