"""Exports round-trip in every format; writes are atomic; existing files are never clobbered."""

from __future__ import annotations

import json

import numpy as np
import pytest

from embexplorer.core.analysis.params import AnalysisParams
from embexplorer.core.analysis.pipeline import analysis_task
from embexplorer.core.corpus import Corpus
from embexplorer.core.errors import InputError
from embexplorer.core.io import read_corpus
from embexplorer.core.io.export import export_task
from embexplorer.core.state.export_frame import build_frame
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
    assert table.column("neighbors").to_pylist() == result.knn.indices[rows, :3].tolist()
    assert table.column("k_occurrence").to_pylist() == result.hubness.k_occurrence[rows].tolist()
    assert "reduced_neighbors" in table.column_names and "cluster_label" in table.column_names
    provenance = json.loads(written[-1].read_text())
    assert provenance["metric"] == "cosine" and provenance["k"] == 3
    assert provenance["selection"] == "3 rows"
    reduction = provenance["reduction_params"]  # how the reduced lists were made
    assert (reduction["method"], reduction["exact"], reduction["search"]) == ("csls", True, "exact")
    assert reduction["candidates"] == corpus.n_rows - 1 and reduction["k"] == 3


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


def _empty_reads_as_no_rows(path):
    with pytest.raises(InputError, match=r"no rows|no data rows|is empty \(0 bytes\)"):
        read_corpus(path)


@pytest.mark.parametrize("fmt", [*FORMATS, "npy"])
def test_no_rows_is_still_a_valid_file(tmp_path, corpus, fmt):
    """Defect 8: a 0-row export was a 0-byte file (invalid Parquet, CSV without a header)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / ("v.npy" if fmt == "npy" else _path(tmp_path, fmt).name)
    frame = build_frame(corpus, np.array([], dtype=int), ["ids", "metadata", "text", "vectors"])
    written = run_task(export_task(path, frame, fmt))
    data = written[0]
    if fmt == "parquet":
        schema = pq.read_schema(data)
        assert (
            schema.field("text").type == pa.string() and schema.field("score").type == pa.float64()
        )
        assert schema.field("vector").type == pa.list_(pa.float32(), 6)
        assert pq.read_table(data).num_rows == 0
    elif fmt in ("csv", "tsv"):
        sep = "," if fmt == "csv" else "\t"
        header = data.read_text().splitlines()
        assert len(header) == 1 and header[0].split(sep)[:3] == ['"row"', '"id"', '"label"']
    elif fmt == "npy":
        assert np.load(data, allow_pickle=False).shape == (0, 6)
    elif fmt == "projector":  # the format has no header: vectors.tsv is empty, metadata a header
        assert data.read_text() == ""
        assert written[1].read_text() == "row\tid\tlabel\tscore\ttext\n"
    else:  # JSON Lines: no rows, no lines
        assert data.read_text() == ""
    _empty_reads_as_no_rows(data)
    assert json.loads(written[-1].read_text())["rows"] == 0


def test_a_folder_in_the_way_is_refused_before_writing(tmp_path, corpus):
    """Defect 9's reproduction: a folder named like the provenance file."""
    target = tmp_path / "nc.csv"
    run_task(export_task(target, build_frame(corpus, np.arange(5), ["ids"])))
    before = target.read_bytes()
    (tmp_path / "nc.csv.provenance.json").unlink()
    (tmp_path / "nc.csv.provenance.json" / "x").mkdir(parents=True)
    frame = build_frame(corpus, np.arange(9), ["ids"])
    with pytest.raises(InputError, match=r"nc\.csv\.provenance\.json: a folder .* in the way"):
        run_task(export_task(target, frame, overwrite=True))
    assert target.read_bytes() == before


def test_a_failed_rename_of_the_provenance_puts_the_data_file_back(tmp_path, corpus, monkeypatch):
    """A later rename that fails no longer leaves the data file replaced under a false
    "Nothing was changed"; the message names the file that failed."""
    from embexplorer.core.io import atomic

    target = tmp_path / "nc.csv"
    run_task(export_task(target, build_frame(corpus, np.arange(5), ["ids"])))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    real = atomic.os.replace

    def replace(src, dst):
        if str(dst).endswith(".provenance.json"):
            raise IsADirectoryError(21, "Is a directory")
        return real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace)
    with pytest.raises(InputError) as caught:
        run_task(export_task(target, build_frame(corpus, np.arange(9), ["ids"]), overwrite=True))
    assert str(caught.value) == (
        f"Writing {target}.provenance.json failed: Is a directory. Nothing was changed "
        "(nc.csv put back as before)."
    )
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_an_interrupted_projector_export_is_not_opened_as_a_pair(tmp_path, corpus, monkeypatch):
    """Defect 9: a kill between the two renames left a new vectors.tsv beside the old
    metadata.tsv, which reopened silently mislabelled."""
    from embexplorer.core.io import atomic

    target = tmp_path / "sel_vectors.tsv"
    groups = ["ids", "metadata", "vectors"]
    run_task(export_task(target, build_frame(corpus, np.arange(0, 40, 2), groups), "projector"))

    class Killed(BaseException):
        pass

    real = atomic.os.replace

    def replace(src, dst):
        if str(dst).endswith("sel_metadata.tsv"):
            raise Killed  # what the disk holds after kill -9 here: no putting back
        return real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace)
    monkeypatch.setattr(atomic, "_put_back", lambda replaced: [])
    monkeypatch.setattr(atomic, "_finish", lambda marker, slots: None)
    frame = build_frame(corpus, np.arange(1, 40, 2), groups)
    with pytest.raises(Killed):
        run_task(export_task(target, frame, "projector", overwrite=True))
    monkeypatch.undo()
    for half in ("sel_vectors.tsv", "sel_metadata.tsv"):
        with pytest.raises(InputError, match="writing them together was interrupted"):
            read_corpus(tmp_path / half)
    run_task(export_task(target, frame, "projector", overwrite=True))
    again = read_corpus(target)
    np.testing.assert_array_equal(again.vectors, corpus.vectors[1::2])
    assert list(again.columns["row"]) == list(range(1, 40, 2))


def test_exporting_vectors_from_a_corpus_without_any(tmp_path, corpus):
    """Issue 9 item 7: refused with the columns found, not written from another column."""
    from embexplorer.core.state.export_frame import check_vectors_available

    source = tmp_path / "analysed.parquet"
    bare = Corpus(
        ids=corpus.ids,
        columns={"id": corpus.columns["id"], "text": corpus.columns["text"]},
        provenance={"source": str(source)},
    )
    for fmt, groups in (("npy", ["ids"]), ("projector", ["ids"]), ("csv", ["ids", "vectors"])):
        with pytest.raises(InputError) as caught:
            check_vectors_available(bare, groups, fmt)
        message = str(caught.value)
        assert message.startswith("analysed.parquet has no vectors (columns: id, text); ")
        assert message.endswith("or open a file with vectors.")
    check_vectors_available(bare, ["ids", "text"], "csv")  # nothing asked of the vectors
    frame = build_frame(bare, np.arange(3), ["ids", "metadata", "vectors"])
    with pytest.raises(InputError, match=r"this export has none \(its columns: row, id, text\)"):
        run_task(export_task(tmp_path / "v.npy", frame))
    assert list(tmp_path.iterdir()) == []
