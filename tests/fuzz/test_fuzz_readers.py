"""Fuzz every corpus reader: odd-but-valid files read back exactly what was written, and
damaged ones give a corpus that holds together or an InputError naming the file; never any
other exception, never more than the memory budget (tests/fuzz/budget.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import corpora, mutations
from tests.fuzz.checks import read_files
from tests.fuzz.conftest import examples

pytestmark = pytest.mark.fuzz

SEPARATORS = {"csv": ",", "tsv": "\t"}


def _check_table(outcome, table: corpora.Table, *, scores: bool = True) -> None:
    assert outcome.ok, outcome.error
    corpus = outcome.result
    np.testing.assert_array_equal(corpus.vectors, table.vectors)
    assert corpus.n_rows == table.n
    assert corpus.columns["text"].tolist() == table.texts
    assert corpus.columns["label"].tolist() == table.labels
    if scores:
        np.testing.assert_array_equal(corpus.columns["score"], table.scores)


# -- valid files read back exactly ----------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "tsv"])
@examples(80)
@given(case=st.data())
def test_valid_delimited_files_read_back(fuzz_dir, fmt, case):
    data, table = case.draw(corpora.delimited_files(SEPARATORS[fmt]))
    _check_table(read_files({f"t.{fmt}": data}, f"t.{fmt}", fuzz_dir), table)


@examples(80)
@given(case=corpora.jsonl_files())
def test_valid_jsonl_reads_back(fuzz_dir, case):
    data, table = case
    _check_table(read_files({"t.jsonl": data}, "t.jsonl", fuzz_dir), table)


@examples(80)
@given(case=corpora.parquet_files())
def test_valid_parquet_reads_back(fuzz_dir, case):
    data, table = case
    _check_table(read_files({"t.parquet": data}, "t.parquet", fuzz_dir), table)


@examples(60)
@given(table=corpora.tables(plain=True), multi_column=st.booleans(), entry=st.booleans())
def test_valid_projector_pair_reads_back(fuzz_dir, table, multi_column, entry):
    files = corpora.projector_files(table, multi_column)
    outcome = read_files(files, "vectors.tsv" if entry else "metadata.tsv", fuzz_dir)
    assert outcome.ok, outcome.error
    np.testing.assert_array_equal(outcome.result.vectors, table.vectors)
    column = "text" if multi_column else "label"
    assert outcome.result.columns[column].tolist() == table.texts


@examples(80)
@given(case=corpora.npy_files())
def test_valid_npy_reads_back(fuzz_dir, case):
    data, array = case
    _check_vectors(read_files({"v.npy": data}, "v.npy", fuzz_dir), array)


@examples(60)
@given(case=corpora.npz_files())
def test_valid_npz_reads_back(fuzz_dir, case):
    data, array, _ = case
    _check_vectors(read_files({"v.npz": data}, "v.npz", fuzz_dir), array)


def _check_vectors(outcome, array: np.ndarray) -> None:
    expected = corpora.expected_vectors(array)
    if expected is None:  # beyond float32: refused, and the message says why
        assert not outcome.ok and "float32" in outcome.error, outcome.error
        return
    assert outcome.ok, outcome.error
    np.testing.assert_array_equal(outcome.result.vectors, expected)


# -- damaged files: a corpus that holds together, or a clear error --------------------------------
@pytest.mark.parametrize("fmt", ["csv", "tsv"])
@examples(80)
@given(case=st.data())
def test_damaged_delimited_files(fuzz_dir, fmt, case):
    data, _ = case.draw(corpora.delimited_files(SEPARATORS[fmt]))
    data = mutations.Blob(data)
    damaged = case.draw(
        mutations.mutated_bytes(data) | mutations.edited_table(data, SEPARATORS[fmt])
    )
    read_files({f"t.{fmt}": damaged}, f"t.{fmt}", fuzz_dir)


@examples(80)
@given(case=st.data())
def test_damaged_jsonl(fuzz_dir, case):
    data, _ = case.draw(corpora.jsonl_files())
    data = mutations.Blob(data)
    damaged = case.draw(mutations.mutated_bytes(data) | mutations.edited_jsonl(data))
    read_files({"t.jsonl": damaged}, "t.jsonl", fuzz_dir)


@examples(80)
@given(case=st.data())
def test_damaged_parquet(fuzz_dir, case):
    data, _ = case.draw(corpora.parquet_files())
    data = mutations.Blob(data)
    damaged = case.draw(mutations.mutated_bytes(data))
    read_files({"t.parquet": damaged}, "t.parquet", fuzz_dir)


@examples(80)
@given(case=st.data())
def test_parquet_columns_of_other_types(fuzz_dir, case):
    table = case.draw(corpora.tables(min_dim=2))
    data = case.draw(mutations.retyped_parquet(table))
    read_files({"t.parquet": data}, "t.parquet", fuzz_dir)


@examples(6)
@given(data=mutations.parquet_bombs())
def test_parquet_that_decodes_to_far_more_than_its_size(fuzz_dir, data):
    read_files({"t.parquet": data}, "t.parquet", fuzz_dir)


@examples(80)
@given(case=st.data())
def test_damaged_npy(fuzz_dir, case):
    data, _ = case.draw(corpora.npy_files())
    data = mutations.Blob(data)
    damaged = case.draw(mutations.mutated_bytes(data) | mutations.edited_npy_header(data))
    read_files({"v.npy": damaged}, "v.npy", fuzz_dir)


@examples(80)
@given(case=st.data())
def test_damaged_npz(fuzz_dir, case):
    data, _, key = case.draw(corpora.npz_files())
    data = mutations.Blob(data)
    names = [f"{key}.npy", "label.npy", "score.npy", "vectors.npy", "neighbors.npy"]
    damaged = case.draw(
        mutations.mutated_bytes(data)
        | mutations.edited_zip(data, names, npy_edit=mutations.edited_npy_header)
    )
    read_files({"v.npz": damaged}, "v.npz", fuzz_dir)


@examples(80)
@given(case=st.data())
def test_damaged_projector_pair(fuzz_dir, case):
    table = case.draw(corpora.tables(plain=True))
    files = corpora.projector_files(table, case.draw(st.booleans()))
    damaged = case.draw(st.sampled_from(sorted(files)))
    files[damaged] = mutations.Blob(files[damaged])
    files[damaged] = case.draw(
        mutations.mutated_bytes(files[damaged]) | mutations.edited_table(files[damaged], "\t")
    )
    entry = case.draw(st.sampled_from(sorted(files)))
    read_files(files, entry, fuzz_dir)
