"""An analysed dataset opened in place: map columns up front, rows read by row group, the stored
neighbours, streamed export; checked against pyarrow reading the same files directly."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from embexplorer.benchmarks.bigmap import write_analysed_dataset
from embexplorer.core.categories import CategoricalColumn
from embexplorer.core.errors import InputError
from embexplorer.core.io.analysed_dataset import AnalysedDataset, LazyColumn, is_analysed_dataset
from embexplorer.core.io.analysed_export import export_rows_task
from embexplorer.core.io.analysed_map import open_analysed_task
from embexplorer.core.state.filters import ColumnFilter, column_chart
from embexplorer.core.tasks import run_task
from embexplorer.gui.plot.colormap import color_mapping

ROWS, ROW_GROUP = 3000, 256


@pytest.fixture(scope="module")
def sharded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("analysed")
    write_analysed_dataset(folder, ROWS, shards=3, row_group_rows=ROW_GROUP)
    return folder


def _direct(folder) -> pa.Table:
    """The whole dataset as pyarrow reads it: the shards concatenated in name order."""
    return pa.concat_tables(pq.read_table(p) for p in sorted(folder.glob("*.parquet")))


def _open(path):
    return run_task(open_analysed_task(path))


def test_folder_opens_with_the_map_columns_in_memory_and_the_rest_by_row(sharded):
    dataset, corpus, coords = _open(sharded)
    table = _direct(sharded)
    assert dataset.n_rows == corpus.n_rows == ROWS
    assert len(dataset.files) == 3 and dataset.n_row_groups > 3
    expected = np.column_stack([table["x"].to_numpy(), table["y"].to_numpy()])
    np.testing.assert_array_equal(coords, expected)
    np.testing.assert_array_equal(corpus.columns["k_occurrence"], table["k_occurrence"])
    assert isinstance(corpus.columns["cluster_label"], CategoricalColumn)
    assert list(corpus.columns["cluster_label"]) == table["cluster_label"].to_pylist()
    assert isinstance(corpus.texts, LazyColumn) and isinstance(corpus.ids, LazyColumn)
    assert "neighbors" not in corpus.columns and corpus.vectors is None
    assert corpus.text_column == "text" and corpus.label_column == "category"
    rows = np.array([2999, 5, 1700, 5])
    assert list(corpus.texts[rows]) == [table["text"][int(r)].as_py() for r in rows]
    assert corpus.ids[-1] == table["id"][ROWS - 1].as_py()
    assert corpus.ids.index_of(table["id"][2345].as_py()) == 2345
    assert corpus.ids.index_of("no such id") == -1
    # a number the map does not need stays in the files until asked for, then is read whole
    scores = corpus.columns["preservation"]
    assert isinstance(scores, LazyColumn) and scores.dtype == np.float64
    reads = dataset.row_group_reads
    np.testing.assert_array_equal(np.asarray(scores), table["preservation"].to_numpy())
    assert dataset.row_group_reads == reads  # one column of each file, not the row groups


def test_one_file_opens_too(tmp_path):
    write_analysed_dataset(tmp_path, 700, shards=1, row_group_rows=100)
    (file,) = tmp_path.glob("*.parquet")
    assert is_analysed_dataset(file)
    _, corpus, coords = _open(file)
    assert corpus.n_rows == 700 and coords.shape == (700, 2)
    assert corpus.texts[699] == pq.read_table(file)["text"][699].as_py()


def test_a_plain_corpus_is_not_an_analysed_dataset(tmp_path):
    path = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"text": ["a", "b"], "x": [1.0, 2.0]}), path)
    assert not is_analysed_dataset(path)


def test_neighbours_of_a_row_are_the_stored_ones(sharded):
    dataset, _, _ = _open(sharded)
    table = _direct(sharded)
    for row in (0, 1234, ROWS - 1):
        indices, distances = dataset.neighbors(row)
        assert indices.tolist() == table["neighbors"][row].as_py()
        np.testing.assert_array_equal(
            distances, np.array(table["neighbor_distances"][row].as_py(), np.float32)
        )
    assert dataset.neighbor_label() == "precomputed, approximate (recall not measured)"


def test_the_label_says_exact_or_the_recall(sharded, tmp_path):
    dataset = AnalysedDataset.open(sharded)
    dataset.summary.update(knn_method="exact")
    assert dataset.neighbor_label() == "precomputed, exact"
    dataset.summary.update(knn_method="ivf", recall=0.9312)
    assert dataset.neighbor_label() == "precomputed, approximate (recall 0.931)"


def test_rows_are_read_one_row_group_at_a_time(sharded):
    dataset, corpus, _ = _open(sharded)
    dataset.row_group_reads = 0
    corpus.texts[[1, 2, 3]]  # row group 0's texts: read when opening
    assert dataset.row_group_reads == 0
    assert corpus.texts[2 * ROW_GROUP + 10] and corpus.texts[2 * ROW_GROUP + 200]  # group 2
    assert dataset.row_group_reads == 1
    assert corpus.columns["id"][ROW_GROUP + 3]  # another column, group 1
    assert dataset.row_group_reads == 2
    corpus.texts[[2 * ROW_GROUP, 2 * ROW_GROUP + 1]]  # cached
    assert dataset.row_group_reads == 2
    corpus.texts[[5, ROWS - 1]]  # the last group of the last shard: one more read
    assert dataset.row_group_reads == 3
    dataset.neighbors(7)  # the graph's two columns of group 0
    assert dataset.row_group_reads == 5


def test_export_of_a_selection_equals_the_rows(sharded, tmp_path):
    dataset, _, _ = _open(sharded)
    rows = np.sort(np.random.default_rng(0).choice(ROWS, 400, replace=False))
    tags = np.full(ROWS, "", dtype=object)
    tags[rows[:3]] = "keep"
    out = tmp_path / "selection.parquet"
    paths = run_task(export_rows_task(dataset, rows, out, extra={"tags": tags}))
    assert paths[0] == out and paths[-1].name == "selection.parquet.provenance.json"
    written = pq.read_table(out)
    expected = _direct(sharded).take(pa.array(rows))
    assert written.drop(["tags"]).equals(
        expected.replace_schema_metadata(None).cast(written.drop(["tags"]).schema)
    )
    assert written["tags"].to_pylist()[:4] == ["keep", "keep", "keep", ""]
    assert json.loads(paths[-1].read_text())["rows"] == 400


def test_export_to_csv_and_of_no_rows(sharded, tmp_path):
    dataset, _, _ = _open(sharded)
    rows = np.array([3, 2999])
    run_task(export_rows_task(dataset, rows, tmp_path / "two.csv"))
    lines = (tmp_path / "two.csv").read_text().splitlines()
    assert len(lines) == 3 and lines[0].startswith('"id","category","text","x"')
    assert json.dumps(_direct(sharded)["neighbors"][3].as_py()) in lines[1].replace('""', '"')
    run_task(export_rows_task(dataset, np.array([], dtype=int), tmp_path / "none.parquet"))
    assert pq.read_table(tmp_path / "none.parquet").num_rows == 0


def test_a_corrupt_shard_is_named(tmp_path):
    write_analysed_dataset(tmp_path, 900, shards=3, row_group_rows=100)
    broken = sorted(tmp_path.glob("*.parquet"))[1]
    broken.write_bytes(b"PAR1 this is not parquet PAR1")
    with pytest.raises(InputError, match=broken.name):
        _open(tmp_path)


def test_categories_colour_and_filter_as_the_plain_values_do(sharded):
    _, corpus, _ = _open(sharded)
    coded = corpus.columns["cluster_label"]
    plain = np.array(list(coded), dtype=object)  # the same values, no codes
    plain[::7] = None
    coded = CategoricalColumn(np.where(np.arange(ROWS) % 7 == 0, -1, coded.codes), coded.categories)
    fast, slow = color_mapping(coded, "c"), color_mapping(plain, "c")
    assert fast.entries == slow.entries
    np.testing.assert_array_equal(fast.codes, slow.codes)
    np.testing.assert_array_equal(fast.palette, slow.palette)
    chart_fast, chart_slow = column_chart("c", coded), column_chart("c", plain)
    assert chart_fast.labels == chart_slow.labels
    np.testing.assert_array_equal(chart_fast.counts, chart_slow.counts)
    np.testing.assert_array_equal(chart_fast.codes, chart_slow.codes)
    wanted = ColumnFilter("c", values=frozenset([chart_slow.labels[0], ""]))
    np.testing.assert_array_equal(wanted.mask(coded), wanted.mask(plain))


def test_what_analyze_writes_opens_with_its_recall(tmp_path, small_corpus_data):
    from embexplorer.cli import main
    from tests.files import write_csv

    source = write_csv(tmp_path / "corpus.csv", small_corpus_data)
    out = tmp_path / "analysed.parquet"
    args = ["analyze", str(source), "-k", "3", "--knn", "approx", "-o", str(out)]
    assert main([*args, "--projection", "pca"]) == 0
    summary = json.loads(out.with_suffix(".json").read_text())
    assert is_analysed_dataset(out)
    dataset, corpus, coords = _open(out)
    table = pq.read_table(out)
    assert corpus.n_rows == 30 and dataset.graph_k == 3
    assert dataset.neighbor_label() == f"precomputed, approximate (recall {summary['recall']:.3f})"
    assert dataset.neighbors(7)[0].tolist() == table["neighbors"][7].as_py()
    np.testing.assert_array_equal(coords[:, 1], table["y"].to_numpy())
    assert corpus.text_column == summary["text_column"]
