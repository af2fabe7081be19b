"""Truncations, int8 and 1-bit codes, and exact Hamming kNN, against independent references
(faiss's 8-bit scalar quantiser, numpy unpackbits + sum, scikit-learn brute force)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from embexplorer.core.analysis.hamming import hamming_knn_task, tournament, tournament_rounds
from embexplorer.core.analysis.neighbors import knn_graph_task
from embexplorer.core.embedding.variants import (
    binarize,
    hamming,
    parse_variant,
    quantize_int8,
    truncate,
)
from embexplorer.core.errors import InputError
from embexplorer.core.tasks import run_task


@pytest.fixture(scope="module")
def x():
    rng = np.random.default_rng(0)
    return (rng.normal(size=(700, 70)) * np.linspace(3, 0.2, 70)).astype(np.float32)


@pytest.mark.parametrize(
    ("spec", "kind", "dims", "nbytes"),
    [
        ("truncate:64", "truncate", 64, 256),
        ("int8", "int8", None, 384),
        ("binary", "binary", None, 48),
    ],
)
def test_specs_and_bytes_per_vector(spec, kind, dims, nbytes):
    parsed = parse_variant(spec, 384)
    assert (parsed.kind, parsed.dims, str(parsed)) == (kind, dims, spec)
    assert parsed.bytes_per_vector(384) == nbytes


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("truncate:384", "keeps all 384 dimensions"),
        ("truncate:x", "truncate needs a number"),
        ("float16", "Unknown variant"),
        ("int8:3", "int8 takes no number"),
    ],
)
def test_bad_specs_are_named(spec, message):
    with pytest.raises(InputError, match=message):
        parse_variant(spec, 384)


def test_truncation_keeps_the_first_dims_renormalised_only_for_cosine(x):
    cut = truncate(x, 16, "cosine")
    np.testing.assert_allclose(np.linalg.norm(cut, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(
        cut * np.linalg.norm(x[:, :16], axis=1)[:, None], x[:, :16], rtol=1e-5
    )
    np.testing.assert_array_equal(truncate(x, 16, "euclidean"), x[:, :16])


def test_int8_encodes_and_decodes_as_faiss_sq8(x):
    import faiss

    ours = quantize_int8(x)
    sq = faiss.IndexScalarQuantizer(x.shape[1], faiss.ScalarQuantizer.QT_8bit)
    sq.train(x)
    np.testing.assert_array_equal(ours.codes, sq.sa_encode(x))
    np.testing.assert_allclose(ours.rows()[:], sq.sa_decode(sq.sa_encode(x)), rtol=1e-6, atol=1e-6)
    assert ours.codes.dtype == np.uint8 and ours.codes.nbytes == x.size


def test_binary_codes_are_the_sign_bits(x):
    codes = binarize(x)
    np.testing.assert_array_equal(np.unpackbits(codes.bits, axis=1, count=70), (x > 0))
    assert codes.bits.shape == (700, 9)
    signs = codes.rows()[[3, 5]]
    reference = np.unpackbits(codes.bits[[3, 5]], axis=1, count=70).astype(np.int64)
    differing = int((reference[0] != reference[1]).sum())
    assert (70 - signs[0] @ signs[1]) / 2 == differing == hamming(codes.bits[[3]], codes.bits[[5]])


def test_the_tournament_visits_every_block_pair_once_in_disjoint_rounds():
    for blocks in (1, 2, 5, 8):
        rounds = [[tuple(int(b) for b in p) for p in r] for r in tournament(blocks)]
        assert len(rounds) == tournament_rounds(blocks)
        pairs = [p for r in rounds for p in r]
        assert sorted(pairs) == sorted(itertools.combinations_with_replacement(range(blocks), 2))
        for r in rounds:
            touched = [b for p in r for b in set(p)]
            assert len(touched) == len(set(touched))


def _reference_hamming(bits):
    unpacked = np.unpackbits(bits, axis=1).astype(np.int64)
    d = (unpacked[:, None, :] != unpacked[None, :, :]).sum(axis=2)
    np.fill_diagonal(d, 10**9)
    return d


@pytest.mark.parametrize(("block", "numpy_rows"), [(64, 0), (100, 0), (1024, 0), (1024, 10_000)])
def test_hamming_knn_matches_brute_force_tie_aware(x, block, numpy_rows, monkeypatch):
    """The compiled search (any block size) and numpy's (small corpora) give the same lists."""
    from embexplorer.core.analysis import hamming

    monkeypatch.setattr(hamming, "NUMPY_MAX_ROWS", numpy_rows)
    bits = binarize(x).bits
    graph = run_task(hamming_knn_task(bits, 12, block=block))
    d = _reference_hamming(bits)
    np.testing.assert_array_equal(graph.distances, np.sort(d, axis=1)[:, :12])
    true = np.take_along_axis(d, graph.indices, axis=1)
    np.testing.assert_array_equal(true, graph.distances)  # each listed row is that far
    rows = np.broadcast_to(np.arange(len(x)), d.shape)
    expected = np.lexsort((rows, d), axis=1)[:, :12]  # ties by row, as every exact search
    np.testing.assert_array_equal(graph.indices, expected)
    assert (graph.indices != np.arange(len(x))[:, None]).all()
    assert all(len(set(row)) == 12 for row in graph.indices)


def test_sign_rows_through_the_float_search_rank_like_hamming(x):
    codes = binarize(x)
    by_popcount = run_task(hamming_knn_task(codes.bits, 8))
    by_signs = run_task(knn_graph_task(codes.rows(), 8, "hamming"))
    np.testing.assert_array_equal(by_signs.distances, by_popcount.distances)


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_int8_knn_is_exact_on_the_dequantised_values(x, metric):
    codes = quantize_int8(x)
    graph = run_task(knn_graph_task(codes.rows(), 10, metric))
    decoded = np.asarray(codes.rows(), dtype=np.float64)
    ref = NearestNeighbors(n_neighbors=11, metric=metric, algorithm="brute").fit(decoded)
    dist, _ = ref.kneighbors(decoded)
    np.testing.assert_allclose(graph.distances, dist[:, 1:], rtol=1e-4, atol=1e-5)
