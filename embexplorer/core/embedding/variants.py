"""Cheaper copies of an embedding: Matryoshka truncations, int8 and 1-bit codes (DESIGN.md).

- ``truncate:D``: the first D dimensions, re-normalised when the metric is cosine.
- ``int8``: per-dimension min/max scalar quantisation to 256 levels, calibrated on the corpus,
  encoded and decoded as faiss's 8-bit scalar quantiser does (``t = (x − min)/(max − min)``
  clipped to [0, 1], ``code = ⌊255·t⌋``, ``x̂ = min + (code + ½)/255 · (max − min)``, in float32
  in that order, so the codes are faiss's to the bit); distances are on the de-quantised values.
- ``binary``: one bit per dimension (``value > 0``), packed 8 to a byte; distance = Hamming.

Codes are what a workspace holds (D bytes, or ⌈D/8⌉ bytes, per vector). The analysis reads
them through array-like views that decode a block of rows at a time (``DequantizedRows``, and
``SignRows`` whose ±1 values rank exactly like Hamming distance: s·t = D − 2·Hamming), so no
float copy of a whole code set is ever made by the blocked stages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from embexplorer.core.errors import InputError
from embexplorer.core.tasks import chunk_ranges

KINDS = ("truncate", "int8", "binary")
#: Rows encoded at a time (bounds the float temporaries whatever N is).
CHUNK = 65_536


@dataclass(frozen=True)
class VariantSpec:
    """A parsed spec: ``truncate:D``, ``int8`` or ``binary``."""

    kind: str
    dims: int | None = None

    def __str__(self) -> str:
        return f"truncate:{self.dims}" if self.kind == "truncate" else self.kind

    def bytes_per_vector(self, dim: int) -> int:
        if self.kind == "truncate":
            return 4 * int(self.dims or dim)
        return dim if self.kind == "int8" else math.ceil(dim / 8)


def parse_variant(spec: str, dim: int | None = None) -> VariantSpec:
    """``truncate:D`` (1 ≤ D < dim), ``int8`` or ``binary``; InputError naming what is wrong."""
    kind, _, number = str(spec).strip().partition(":")
    kind = kind.lower()
    if kind not in KINDS:
        raise InputError(f"Unknown variant {spec!r}; use truncate:D, int8 or binary.")
    if kind != "truncate":
        if number:
            raise InputError(f"{spec!r}: {kind} takes no number.")
        return VariantSpec(kind)
    if not number.isdigit() or int(number) < 1:
        raise InputError(f"{spec!r}: truncate needs a number of dimensions, e.g. truncate:64.")
    dims = int(number)
    if dim is not None and dims >= dim:
        raise InputError(f"truncate:{dims} keeps all {dim} dimensions; choose fewer than {dim}.")
    return VariantSpec("truncate", dims)


# -- truncation --------------------------------------------------------------------------------
def truncate(vectors: np.ndarray, dims: int, metric: str) -> np.ndarray:
    """The first ``dims`` dimensions (float32, C-contiguous); rows re-normalised for cosine."""
    out = np.ascontiguousarray(vectors[:, :dims], dtype=np.float32)
    if metric == "cosine":
        for lo, hi in chunk_ranges(len(out), CHUNK):
            norms = np.linalg.norm(out[lo:hi], axis=1, keepdims=True)
            out[lo:hi] /= np.where(norms > 0, norms, 1.0)
    return out


# -- int8 ---------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Int8Codes:
    """``codes`` (N, D) uint8; a value decodes to ``low + (code + ½)/255 · span``."""

    codes: np.ndarray
    low: np.ndarray  # (D,) float32, the corpus minimum per dimension
    span: np.ndarray  # (D,) float32, max − min per dimension

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def dim(self) -> int:
        return int(self.codes.shape[1])

    def decode(self, codes: np.ndarray) -> np.ndarray:
        t = (codes.astype(np.float32) + np.float32(0.5)) / np.float32(255.0)
        return self.low + t * self.span

    def rows(self) -> DequantizedRows:
        return DequantizedRows(self)


def quantize_int8(vectors: np.ndarray) -> Int8Codes:
    """Per-dimension min/max over the corpus, 256 levels (faiss's ``QT_8bit``)."""
    low = np.full(vectors.shape[1], np.inf, dtype=np.float32)
    high = np.full(vectors.shape[1], -np.inf, dtype=np.float32)
    for lo, hi in chunk_ranges(len(vectors), CHUNK):
        low = np.minimum(low, vectors[lo:hi].min(axis=0))
        high = np.maximum(high, vectors[lo:hi].max(axis=0))
    span = (high - low).astype(np.float32)
    divisor = np.where(span > 0, span, np.float32(1.0))
    codes = np.empty(vectors.shape, dtype=np.uint8)
    for lo, hi in chunk_ranges(len(vectors), CHUNK):
        t = np.clip((vectors[lo:hi] - low) / divisor, 0.0, 1.0) * (span > 0)
        codes[lo:hi] = (np.float32(255.0) * t).astype(np.uint8)  # truncation, as faiss
    return Int8Codes(codes, low, span)


# -- binary -------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class BinaryCodes:
    """``bits`` (N, ⌈D/8⌉) uint8 from ``np.packbits`` (bit = value > 0); ``dim`` = D."""

    bits: np.ndarray
    dim: int

    def __len__(self) -> int:
        return len(self.bits)

    def signs(self, bits: np.ndarray) -> np.ndarray:
        """±1 float32 rows: their dot product is D − 2·Hamming."""
        unpacked = np.unpackbits(bits, axis=1, count=self.dim)
        return unpacked.astype(np.float32) * np.float32(2.0) - np.float32(1.0)

    def rows(self) -> SignRows:
        return SignRows(self)


def binarize(vectors: np.ndarray) -> BinaryCodes:
    n, dim = vectors.shape
    bits = np.empty((n, math.ceil(dim / 8)), dtype=np.uint8)
    for lo, hi in chunk_ranges(n, CHUNK):
        bits[lo:hi] = np.packbits(vectors[lo:hi] > 0, axis=1)
    return BinaryCodes(bits, dim)


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Differing bits between packed codes ``a`` (m, W) and ``b`` (n, W): (m, n) int."""
    return np.bitwise_count(a[:, None, :] ^ b[None, :, :]).sum(axis=2, dtype=np.int64)


# -- array-like views that decode blocks on demand ----------------------------------------------
class _DecodedRows:
    """Rows of a code set as float32, decoded only for the rows asked for (slices, row
    arrays): what the blocked stages (PCA, kNN, clusters, quality) index."""

    dtype = np.dtype(np.float32)
    ndim = 2

    def __init__(self, codes, data: np.ndarray, dim: int):
        self.codes, self._data, self._dim = codes, data, dim

    def __len__(self) -> int:
        return len(self._data)

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self._data), self._dim)

    def __getitem__(self, key) -> np.ndarray:
        if isinstance(key, tuple):  # rows, columns
            return self[key[0]][(slice(None), *key[1:])]
        if isinstance(key, int | np.integer):
            return self._decode(self._data[[int(key)]])[0]
        return self._decode(self._data[key])

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        out = np.empty(self.shape, dtype=np.float32)
        for lo, hi in chunk_ranges(len(self), CHUNK):
            out[lo:hi] = self[lo:hi]
        return out if dtype is None else out.astype(dtype, copy=False)

    def _decode(self, data: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class DequantizedRows(_DecodedRows):
    def __init__(self, codes: Int8Codes):
        super().__init__(codes, codes.codes, codes.dim)

    def _decode(self, data: np.ndarray) -> np.ndarray:
        return self.codes.decode(data)


class SignRows(_DecodedRows):
    def __init__(self, codes: BinaryCodes):
        super().__init__(codes, codes.bits, codes.dim)

    def _decode(self, data: np.ndarray) -> np.ndarray:
        return self.codes.signs(data)
