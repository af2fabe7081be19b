"""Encoder throughput: our encoder against a plain onnxruntime loop over the same model and texts.

The reference is what one writes without embexplorer: batches of 32 in the given order, each
padded to its longest text, mean pooling and L2 normalisation in numpy. Each configuration runs
in a fresh process, so its peak resident memory is its own; times are medians of repeats.
"""

from __future__ import annotations

import multiprocessing
import resource
import statistics
import time
from dataclasses import dataclass

import numpy as np

REFERENCE_BATCH = 32


@dataclass
class EncoderFigures:
    name: str
    texts_per_s: float
    seconds: list[float]
    peak_mb: float


def reference_encode(texts: list[str], batch_size: int = REFERENCE_BATCH) -> np.ndarray:
    """The plain loop (no length sorting), with the model's reference settings."""
    from tokenizers import Tokenizer

    from embexplorer.core.embedding.encoder import default_config, import_onnxruntime

    ort = import_onnxruntime()

    config = default_config()
    tokenizer = Tokenizer.from_file(str(config.tokenizer_path))
    tokenizer.enable_truncation(max_length=256)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    options = ort.SessionOptions()
    options.intra_op_num_threads = min(multiprocessing.cpu_count(), 8)
    session = ort.InferenceSession(
        str(config.model_path), options, providers=["CPUExecutionProvider"]
    )
    out = []
    for lo in range(0, len(texts), batch_size):
        enc = tokenizer.encode_batch(texts[lo : lo + batch_size])
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        hidden = session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )[0]
        pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        out.append(pooled / np.linalg.norm(pooled, axis=1, keepdims=True))
    return np.vstack(out)


def _timed_run(kind: str, texts: list[str], repeats: int, batch_size: int) -> tuple:
    if kind == "reference":

        def encode():
            return reference_encode(texts)
    else:
        from embexplorer.core.embedding.encoder import TextEncoder, default_config

        encoder = TextEncoder(default_config(batch_size=batch_size))

        def encode():
            return encoder.encode(texts)

    encode()  # warm up (graph optimisation, allocations)
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        vectors = encode()
        seconds.append(time.perf_counter() - start)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return seconds, peak_kb / 1024, vectors


def measure(kind: str, texts: list[str], repeats: int = 3, batch_size: int = 0):
    """Run one configuration in a fresh process; return its figures and vectors."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        seconds, peak_mb, vectors = pool.apply(_timed_run, (kind, texts, repeats, batch_size))
    name = (
        "plain onnxruntime loop (batch 32, unsorted)"
        if kind == "reference"
        else f"embexplorer (batch {batch_size or 'auto'}, length-sorted)"
    )
    rate = len(texts) / statistics.median(seconds)
    return EncoderFigures(name, rate, seconds, peak_mb), vectors


def workloads() -> dict[str, list[str]]:
    """Short sentences and ~100-token paragraphs, from the demo corpus."""
    from embexplorer.core.io import read_corpus
    from embexplorer.core.resources import demo_corpus_path

    corpus = read_corpus(demo_corpus_path())
    short = [d for d in corpus.columns["description"] if d][:1000]
    paragraphs = list(corpus.texts[::5])[:400]
    return {"short sentences": short, "paragraphs (~100 tokens)": paragraphs}
