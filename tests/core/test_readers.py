"""Every reader loads the same rows, metadata and float32 vectors."""

from __future__ import annotations

import numpy as np
import pytest

from embexplorer.core.io import ReadOptions, get_reader, read_corpus
from tests.files import write_all

TABLE_FORMATS = ["csv", "csv-list", "tsv", "parquet", "parquet-list", "jsonl"]


@pytest.fixture
def files(tmp_path, small_corpus_data):
    return write_all(tmp_path, small_corpus_data)


@pytest.mark.parametrize(
    "kind", ["npy", "npz", *TABLE_FORMATS, "projector-vectors", "projector-metadata"]
)
def test_every_format_loads_the_same_vectors(files, small_corpus_data, kind):
    corpus = read_corpus(files[kind])
    assert corpus.vectors.dtype == np.float32 and corpus.vectors.flags.c_contiguous
    np.testing.assert_array_equal(corpus.vectors, small_corpus_data["vectors"])
    assert corpus.n_rows == 30


@pytest.mark.parametrize("kind", [*TABLE_FORMATS, "projector-vectors", "projector-metadata"])
def test_text_and_label_columns_are_found(files, small_corpus_data, kind):
    corpus = read_corpus(files[kind])
    assert corpus.text_column == "text"
    assert corpus.label_column == "label"
    assert list(corpus.texts) == small_corpus_data["texts"]
    assert list(corpus.labels) == list(small_corpus_data["labels"])


@pytest.mark.parametrize("kind", ["csv", "tsv", "parquet", "jsonl", "npz"])
def test_numeric_metadata_stays_numeric(files, small_corpus_data, kind):
    corpus = read_corpus(files[kind])
    assert corpus.columns["score"].dtype.kind == "f"
    np.testing.assert_allclose(corpus.columns["score"], small_corpus_data["score"])


def test_vector_columns_are_not_metadata(files):
    corpus = read_corpus(files["csv"])
    assert list(corpus.columns) == ["text", "label", "score"]
    corpus = read_corpus(files["parquet"])
    assert "embedding" not in corpus.columns


def test_projector_pair_found_from_either_file(files):
    from_vectors = read_corpus(files["projector-vectors"])
    from_metadata = read_corpus(files["projector-metadata"])
    assert from_vectors.provenance["source"] == from_metadata.provenance["source"]
    assert from_vectors.provenance["metadata_source"].endswith("metadata.tsv")
    assert from_vectors.provenance["format"] == "projector-tsv"


def test_projector_single_column_metadata_has_no_header(tmp_path, small_corpus_data):
    from tests.files import write_projector_pair

    vec, _ = write_projector_pair(tmp_path, small_corpus_data, multi_column=False)
    corpus = read_corpus(vec)
    assert list(corpus.columns) == ["label"]
    assert corpus.n_rows == 30 and corpus.columns["label"][0] == "alpha"


def test_vectors_tsv_alone_loads_without_metadata(tmp_path, small_corpus_data):
    from tests.files import write_projector_pair

    vec, meta = write_projector_pair(tmp_path, small_corpus_data)
    meta.unlink()
    corpus = read_corpus(vec)
    assert corpus.columns == {} and corpus.n_rows == 30


def test_headerless_csv_is_all_vectors(tmp_path, small_corpus_data):
    path = tmp_path / "plain.csv"
    np.savetxt(path, small_corpus_data["vectors"], delimiter=",")
    corpus = read_corpus(path)
    np.testing.assert_allclose(corpus.vectors, small_corpus_data["vectors"], rtol=1e-6)


def test_explicit_column_overrides(files):
    corpus = read_corpus(
        files["csv"],
        ReadOptions(text_column="label", label_column="text", vector_column="dim_0,dim_1"),
    )
    assert corpus.text_column == "label" and corpus.label_column == "text"
    assert corpus.dim == 2
    assert "dim_2" in corpus.columns  # the other numbered columns stay as metadata


def test_vector_column_glob(files):
    corpus = read_corpus(files["csv"], ReadOptions(vector_column="dim_*"))
    assert corpus.dim == 8


def test_csv_vectors_as_text_lists(tmp_path):
    path = tmp_path / "v.csv"
    path.write_text('name,vec\na,"[1.5, 2, 3]"\nb,"[4, 5e0, 6]"\n', encoding="utf-8")
    corpus = read_corpus(path)
    np.testing.assert_array_equal(corpus.vectors, [[1.5, 2, 3], [4, 5, 6]])
    assert list(corpus.columns) == ["name"]


def test_csv_integer_text_lists_are_vectors_only_when_named(tmp_path):
    path = tmp_path / "v.csv"
    path.write_text('name,vec\na,"[1, 2, 3]"\nb,"[4, 5, 6]"\n', encoding="utf-8")
    assert read_corpus(path).vectors is None
    corpus = read_corpus(path, ReadOptions(vector_column="vec"))
    np.testing.assert_array_equal(corpus.vectors, [[1, 2, 3], [4, 5, 6]])


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfname,a0,a1\n\xc3\xa9t\xc3\xa9,1,2\nb,3,4\n")
    corpus = read_corpus(path)
    assert list(corpus.columns) == ["name"] and corpus.columns["name"][0] == "été"


def test_id_column_becomes_row_ids(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("id,a0,a1\nx,1,2\ny,3,4\n", encoding="utf-8")
    assert list(read_corpus(path).ids) == ["x", "y"]


def test_large_npy_is_memory_mapped(tmp_path, monkeypatch):
    from embexplorer.core.io import npy

    monkeypatch.setattr(npy, "MMAP_THRESHOLD_BYTES", 10)
    path = tmp_path / "big.npy"
    np.save(path, np.ones((50, 4), dtype=np.float32))
    corpus = read_corpus(path)
    assert isinstance(corpus.vectors, np.memmap)
    assert corpus.provenance["memory_mapped"] is True


def test_float64_npy_becomes_float32(tmp_path):
    path = tmp_path / "f64.npy"
    np.save(path, np.arange(12, dtype=np.float64).reshape(3, 4))
    corpus = read_corpus(path)
    assert corpus.vectors.dtype == np.float32
    np.testing.assert_array_equal(corpus.vectors, np.arange(12).reshape(3, 4))


def test_format_sniffed_from_content(tmp_path, small_corpus_data):
    path = tmp_path / "no_extension"
    np.save(tmp_path / "x.npy", small_corpus_data["vectors"])
    path.write_bytes((tmp_path / "x.npy").read_bytes())
    assert get_reader(path).name == "npy"
    assert read_corpus(path).n_rows == 30


def test_provenance_records_file_hash(files):
    import hashlib

    corpus = read_corpus(files["npy"])
    assert (
        corpus.provenance["source_sha256"] == hashlib.sha256(files["npy"].read_bytes()).hexdigest()
    )


def test_demo_corpus_loads():
    from embexplorer.core.resources import demo_corpus_path

    corpus = read_corpus(demo_corpus_path())
    assert corpus.n_rows == 2000 and corpus.dim == 384
    assert corpus.label_column == "topic" and corpus.text_column == "text"
    assert len(set(corpus.labels)) == 11
    np.testing.assert_allclose(np.linalg.norm(corpus.vectors, axis=1), 1.0, atol=1e-4)
    assert corpus.provenance["encoder"]["pooling"] == "mean"
