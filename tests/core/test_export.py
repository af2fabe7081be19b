"""Exports round-trip in every format; writes are atomic; existing files are never clobbered."""

from __future__ import annotations

import json

import numpy as np
import pytest

from embexplorer.core.corpus import Corpus
from embexplorer.core.errors import InputError
from embexplorer.core.export_frame import build_frame
from embexplorer.core.io import read_corpus
from embexplorer.core.io.export import export_task
from embexplorer.core.pipeline import AnalysisParams, analysis_task
from embexplorer.core.tasks import run_task

FORMATS = ["csv", "tsv", "parquet", "jsonl", "projector"]


@pytest.fixture
def corpus():
    rng = np.random.default_rng(0)
    n = 40
    texts = np.array([f'text {i} — ünïcødé ✓ "quoted", comma' for i in range(n)], dtype=object)
    texts[3] = ""
    label = np.array(["a", "b", "c", "d"] * 10, dtype=object)
    score = rng.normal(size=n)
    score[[5, 9]] = np.nan
    vectors = rng.normal(size=(n, 6)).astype(np.float32)
    vectors[0, 0] = np.float32(0.1)  # not exactly representable: the round trip must keep it
    return Corpus(
        ids=np.array([f"id-{i}" for i in range(n)], dtype=object),
        columns={
            "id": np.array([f"id-{i}" for i in range(n)], dtype=object),
            "label": label,
            "score": score,
            "text": texts,
        },
        vectors=vectors,
        text_column="text",
        label_column="label",
    )


def _path(tmp_path, fmt):
    return tmp_path / ("vectors.tsv" if fmt == "projector" else f"out.{fmt}")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_round_trips(tmp_path, corpus, fmt):
    rows = np.arange(corpus.n_rows)
    frame = build_frame(corpus, rows, ["ids", "metadata", "text", "vectors"])
    written = run_task(export_task(_path(tmp_path, fmt), frame, fmt))
    again = read_corpus(written[0])
    np.testing.assert_array_equal(again.vectors, corpus.vectors)  # bit-identical float32
    assert again.vectors.dtype == np.float32
    assert list(again.columns["label"]) == list(corpus.columns["label"])
    assert list(again.columns["text"]) == list(corpus.columns["text"])  # unicode, "" kept
    np.testing.assert_array_equal(
        np.isnan(again.columns["score"]), np.isnan(corpus.columns["score"])
    )
    finite = ~np.isnan(corpus.columns["score"])
    np.testing.assert_array_equal(again.columns["score"][finite], corpus.columns["score"][finite])
    assert [str(i) for i in again.ids] == [str(i) for i in corpus.ids]
    provenance = json.loads(written[-1].read_text())
    assert provenance["rows"] == 40 and provenance["format"] == fmt


def test_npy_holds_the_vectors(tmp_path, corpus):
    frame = build_frame(corpus, np.array([3, 1, 2]), ["vectors"])
    written = run_task(export_task(tmp_path / "v.npy", frame))
    np.testing.assert_array_equal(
        np.load(written[0], allow_pickle=False), corpus.vectors[[3, 1, 2]]
    )
    frame = build_frame(corpus, np.array([1]), ["metadata"])
    with pytest.raises(InputError, match="include the vectors"):
        run_task(export_task(tmp_path / "w.npy", frame))


def test_a_selection_with_analysis_columns(tmp_path, corpus):
    result = run_task(
        analysis_task(
            corpus.vectors,
            AnalysisParams(k=3, clusters="kmeans:2", reduction="csls"),
            None,
            texts=corpus.texts,
        )
    )
    rows = np.array([2, 7, 11])
    tags = np.array(["keep" if i in rows else "" for i in range(corpus.n_rows)], dtype=object)
    frame = build_frame(
        corpus,
        rows,
        ["ids", "metadata", "tags", "xy", "neighbors", "k_occurrence", "cluster", "preservation"],
        result=result,
        tags=tags,
        selection_note="3 rows",
    )
    written = run_task(export_task(tmp_path / "sel.parquet", frame))
    import pyarrow.parquet as pq

    table = pq.read_table(written[0])
    assert table.column("row").to_pylist() == [2, 7, 11]
    assert table.column("tags").to_pylist() == ["keep"] * 3
    assert table.column("neighbors").to_pylist() == result.get("knn").indices[rows, :3].tolist()
    assert (
        table.column("k_occurrence").to_pylist()
        == result.get("hubness").k_occurrence[rows].tolist()
    )
    assert "reduced_neighbors" in table.column_names and "cluster_label" in table.column_names
    provenance = json.loads(written[-1].read_text())
    assert provenance["metric"] == "cosine" and provenance["k"] == 3
    assert provenance["selection"] == "3 rows"


def test_csv_with_neighbours_still_finds_its_vectors(tmp_path, corpus):
    result = run_task(analysis_task(corpus.vectors, AnalysisParams(k=3, quality=False), None))
    frame = build_frame(
        corpus, np.arange(40), ["ids", "metadata", "vectors", "neighbors"], result=result
    )
    written = run_task(export_task(tmp_path / "n.csv", frame))
    np.testing.assert_array_equal(read_corpus(written[0]).vectors, corpus.vectors)


def test_existing_file_is_not_replaced_without_consent(tmp_path, corpus):
    target = tmp_path / "out.csv"
    target.write_text("precious")
    frame = build_frame(corpus, np.arange(3), ["ids"])
    with pytest.raises(InputError, match="already exists"):
        run_task(export_task(target, frame))
    assert target.read_text() == "precious"
    run_task(export_task(target, frame, overwrite=True))
    assert target.read_text() != "precious"


def test_failure_mid_write_keeps_the_old_file(tmp_path, corpus, monkeypatch):
    target = tmp_path / "out.jsonl"
    target.write_text("old contents\n")
    frame = build_frame(corpus, np.arange(40), ["ids", "metadata", "vectors"])
    from embexplorer.core.io import export

    def full_disk(temps, frame):
        with open(temps[0], "w") as fh:
            fh.write("partial")
        yield
        raise OSError(28, "No space left on device")

    monkeypatch.setitem(export._WRITERS, "jsonl", full_disk)
    with pytest.raises(InputError, match=r"No space left on device\. Nothing was changed"):
        run_task(export_task(target, frame, overwrite=True))
    assert target.read_text() == "old contents\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]  # no temporary left


def test_read_only_folder_is_refused_cleanly(tmp_path, corpus, monkeypatch):
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(InputError, match=r"Cannot write to .*Permission denied"):
        run_task(export_task(tmp_path / "x.csv", build_frame(corpus, np.arange(2), ["ids"])))
    assert list(tmp_path.iterdir()) == []
